//! Certification (issue 12): certificates of the emulated state verify against `root_key()` with the IC's BLS
//! verifier and with ic-agent's, reveal exactly the requested paths, say what the state is, and queries of the
//! called canister get a data certificate of its certified data.

use candid::Principal;
use emulator::certification::{Path, RequestOutcome, STATE_ROOT_DOMAIN_SEPARATOR};
use emulator::{PocketIc, PocketIcBuilder};
use ic_certification::hash_tree::SubtreeLookupResult;
use ic_certification::{Certificate, HashTree, HashTreeNode, LookupResult};

use crate::support::{controller, probe_wasm, probe_wasm_variant, sha256, user, Probe};

// ----- helpers -----

fn decode(bytes: &[u8]) -> Certificate {
    assert_eq!(&bytes[..3], &[0xd9, 0xd9, 0xf7], "a certificate starts with the self-describing CBOR tag");
    serde_cbor::from_slice(bytes).expect("a certificate decodes as {tree, signature}")
}

/// The IC's check: BLS signature of `domain ∥ root hash` under the raw key inside the DER root key.
fn verifies(certificate: &Certificate, root_key_der: &[u8]) -> bool {
    let mut message = STATE_ROOT_DOMAIN_SEPARATOR.to_vec();
    message.extend_from_slice(&certificate.tree.digest());
    root_key_der.len() == 133
        && ic_verify_bls_signature::verify_bls_signature(&certificate.signature, &message, &root_key_der[37..]).is_ok()
}

fn path(labels: &[&[u8]]) -> Path {
    labels.iter().map(|l| l.to_vec()).collect()
}

fn canister_path(canister: Principal, leaf: &str) -> Path {
    path(&[b"canister", canister.as_slice(), leaf.as_bytes()])
}

fn found<'a>(tree: &'a HashTree, labels: &[&[u8]]) -> &'a [u8] {
    match tree.lookup_path(labels.iter().copied()) {
        LookupResult::Found(value) => value,
        other => {
            panic!("{:?} not found: {other:?}", labels.iter().map(|l| String::from_utf8_lossy(l)).collect::<Vec<_>>())
        }
    }
}

fn leb128(mut bytes: &[u8]) -> u64 {
    leb128::read::unsigned(&mut bytes).expect("LEB128")
}

/// Every leaf the tree reveals, as paths.
fn revealed_paths(tree: &HashTree) -> Vec<Vec<Vec<u8>>> {
    fn walk(node: &HashTreeNode, prefix: &mut Vec<Vec<u8>>, out: &mut Vec<Vec<Vec<u8>>>) {
        match node {
            HashTreeNode::Empty() | HashTreeNode::Pruned(_) => {}
            HashTreeNode::Leaf(_) => out.push(prefix.clone()),
            HashTreeNode::Fork(children) => {
                walk(&children.0, prefix, out);
                walk(&children.1, prefix, out);
            }
            HashTreeNode::Labeled(label, child) => {
                prefix.push(label.as_bytes().to_vec());
                walk(child, prefix, out);
                prefix.pop();
            }
        }
    }
    let mut out = Vec::new();
    walk(tree.as_ref(), &mut Vec::new(), &mut out);
    out
}

/// The certificate with one bit of one leaf flipped (the first leaf found under `label`).
fn with_flipped_leaf(certificate: &Certificate, label: &[u8]) -> Certificate {
    fn flip(node: &HashTreeNode, label: &[u8], under: bool, done: &mut bool) -> HashTree {
        match node {
            HashTreeNode::Leaf(value) if under && !*done => {
                *done = true;
                let mut value = value.clone();
                value.push(0);
                value[0] ^= 1;
                ic_certification::leaf(value)
            }
            HashTreeNode::Leaf(value) => ic_certification::leaf(value.clone()),
            HashTreeNode::Empty() => ic_certification::empty(),
            HashTreeNode::Pruned(hash) => ic_certification::pruned(*hash),
            HashTreeNode::Fork(children) => {
                let left = flip(&children.0, label, under, done);
                ic_certification::fork(left, flip(&children.1, label, under, done))
            }
            HashTreeNode::Labeled(l, child) => {
                ic_certification::labeled(l.clone(), flip(child, label, under || l.as_bytes() == label, done))
            }
        }
    }
    let mut done = false;
    let tree = flip(certificate.tree.as_ref(), label, false, &mut done);
    assert!(done, "no leaf under {label:?}");
    Certificate { tree, signature: certificate.signature.clone(), delegation: None }
}

/// A small canister built with walrus that reads and writes certified data with the raw ic0 API:
/// - `canister_update set`: `certified_data_set(arg)`;
/// - `canister_query cert` and `canister_composite_query cert_composite`: reply with `data_certificate_copy`;
/// - `canister_query present` and `canister_update present_update`: reply with `data_certificate_present` (1 byte);
/// - `canister_query root_key`: reply with `root_key_copy`.
fn certified_data_wasm() -> Vec<u8> {
    use walrus::ir::{MemArg, StoreKind};
    use walrus::{FunctionBuilder, Module, ModuleConfig, ValType};

    let mut module = Module::with_config(ModuleConfig::new());
    let memory = module.memories.add_local(false, false, 1, None, None);
    let unit = module.types.add(&[], &[]);
    let to_i32 = module.types.add(&[], &[ValType::I32]);
    let two = module.types.add(&[ValType::I32, ValType::I32], &[]);
    let three = module.types.add(&[ValType::I32, ValType::I32, ValType::I32], &[]);
    let (arg_size, _) = module.add_import_func("ic0", "msg_arg_data_size", to_i32);
    let (arg_copy, _) = module.add_import_func("ic0", "msg_arg_data_copy", three);
    let (set, _) = module.add_import_func("ic0", "certified_data_set", two);
    let (present, _) = module.add_import_func("ic0", "data_certificate_present", to_i32);
    let (size, _) = module.add_import_func("ic0", "data_certificate_size", to_i32);
    let (copy, _) = module.add_import_func("ic0", "data_certificate_copy", three);
    let (append, _) = module.add_import_func("ic0", "msg_reply_data_append", two);
    let (reply, _) = module.add_import_func("ic0", "msg_reply", unit);
    let (root_key_size, _) = module.add_import_func("ic0", "root_key_size", to_i32);
    let (root_key_copy, _) = module.add_import_func("ic0", "root_key_copy", three);
    let n = module.locals.add(ValType::I32);

    let mut f = FunctionBuilder::new(&mut module.types, &[], &[]);
    f.func_body()
        .call(arg_size)
        .local_set(n)
        .i32_const(0)
        .i32_const(0)
        .local_get(n)
        .call(arg_copy)
        .i32_const(0)
        .local_get(n)
        .call(set)
        .call(reply);
    let set_fn = f.finish(vec![], &mut module.funcs);
    module.exports.add("canister_update set", set_fn);

    let mut f = FunctionBuilder::new(&mut module.types, &[], &[]);
    f.func_body()
        .call(size)
        .local_set(n)
        .i32_const(0)
        .i32_const(0)
        .local_get(n)
        .call(copy)
        .i32_const(0)
        .local_get(n)
        .call(append)
        .call(reply);
    let cert_fn = f.finish(vec![], &mut module.funcs);
    module.exports.add("canister_query cert", cert_fn);
    module.exports.add("canister_composite_query cert_composite", cert_fn);

    let mut f = FunctionBuilder::new(&mut module.types, &[], &[]);
    f.func_body()
        .i32_const(0)
        .call(present)
        .store(memory, StoreKind::I32_8 { atomic: false }, MemArg { align: 0, offset: 0 })
        .i32_const(0)
        .i32_const(1)
        .call(append)
        .call(reply);
    let present_fn = f.finish(vec![], &mut module.funcs);
    module.exports.add("canister_query present", present_fn);
    module.exports.add("canister_update present_update", present_fn);

    let mut f = FunctionBuilder::new(&mut module.types, &[], &[]);
    f.func_body()
        .call(root_key_size)
        .local_set(n)
        .i32_const(0)
        .i32_const(0)
        .local_get(n)
        .call(root_key_copy)
        .i32_const(0)
        .local_get(n)
        .call(append)
        .call(reply);
    let root_key_fn = f.finish(vec![], &mut module.funcs);
    module.exports.add("canister_query root_key", root_key_fn);
    module.emit_wasm()
}

fn install_certified_data_canister(pic: &PocketIc) -> Principal {
    let id = pic.create_canister_with_settings(Some(controller()), None);
    pic.install_canister(id, certified_data_wasm(), Vec::new(), Some(controller()));
    id
}

// ----- keys -----

#[test]
fn root_key_is_der_and_deterministic_from_the_seed() {
    let key = |seed| PocketIcBuilder::new().with_seed(seed).build().root_key().expect("a root key");
    let default = PocketIc::new().root_key().expect("a root key");
    assert_eq!(default.len(), 133);
    assert_eq!(&default[..37], &emulator::certification::BLS_DER_PREFIX);
    assert_eq!(key(0), default, "the default seed is 0");
    assert_eq!(key(42), key(42), "same seed, same key");
    assert_ne!(key(42), key(43), "different seed, different key");

    let pic = PocketIcBuilder::new().with_seed(42).build();
    let keys = pic.subnet_keys();
    assert_ne!(
        keys.node_public_key_der(),
        PocketIcBuilder::new().with_seed(43).build().subnet_keys().node_public_key_der()
    );
    let canister = pic.create_canister();
    assert_eq!(pic.get_subnet(canister), Some(Principal::self_authenticating(key(42))), "the root subnet's id");
}

#[test]
fn a_canister_reads_the_root_key() {
    let pic = PocketIcBuilder::new().with_seed(3).build();
    let canister = install_certified_data_canister(&pic);
    let key = pic.query_call(canister, user(1), "root_key", Vec::new()).expect("ic0.root_key_copy");
    assert_eq!(Some(key), pic.root_key());
}

// ----- read_state certificates -----

#[test]
fn certificate_verifies_against_the_root_key_and_a_flipped_bit_does_not() {
    let pic = PocketIc::new();
    let probe = Probe::install(&pic);
    let root_key = pic.root_key().expect("a root key");
    let bytes = pic.certificate(&[canister_path(probe.id, "module_hash"), canister_path(probe.id, "controllers")], &[]);
    let certificate = decode(&bytes);
    assert!(certificate.delegation.is_none());
    assert_eq!(certificate.signature.len(), 48);
    assert!(verifies(&certificate, &root_key));

    let other_root = PocketIcBuilder::new().with_seed(1).build().root_key().expect("a root key");
    assert!(!verifies(&certificate, &other_root), "another subnet's key");
    for label in [b"module_hash".as_slice(), b"controllers", b"time"] {
        assert!(!verifies(&with_flipped_leaf(&certificate, label), &root_key), "flipped {label:?}");
    }
    for bit in [0usize, 7, 200, 383] {
        let mut flipped = certificate.clone();
        flipped.signature[bit / 8] ^= 1 << (bit % 8);
        assert!(!verifies(&flipped, &root_key), "signature bit {bit} flipped");
    }
}

#[test]
fn ic_agent_verifies_emulator_certificates_and_refuses_a_wrong_root_key() {
    let pic = PocketIc::new(); // wall-clock time: the agent refuses certificates older than its ingress expiry
    let probe = Probe::install(&pic);
    let certificate = decode(&pic.certificate(&[canister_path(probe.id, "module_hash")], &[]));
    let agent = ic_agent::Agent::builder().with_url("http://127.0.0.1:1").build().expect("an agent");
    agent.set_root_key(pic.root_key().expect("a root key"));
    agent.verify(&certificate, probe.id).expect("ic-agent accepts the emulator's certificate");
    assert!(agent.verify(&with_flipped_leaf(&certificate, b"module_hash"), probe.id).is_err());
    agent.set_root_key(PocketIcBuilder::new().with_seed(9).build().root_key().expect("a root key"));
    assert!(agent.verify(&certificate, probe.id).is_err(), "a wrong root key is refused");
}

#[test]
fn lookups_in_the_certificate_equal_the_emulator_state() {
    let pic = PocketIc::new();
    let probe = Probe::install(&pic);
    pic.set_controllers(probe.id, Some(controller()), vec![user(3), controller(), user(1)]).expect("set controllers");
    let data = install_certified_data_canister(&pic);
    pic.update_call(data, user(5), "set", b"thirty-two bytes of certified!!!".to_vec()).expect("set");
    let empty = pic.create_canister();

    let paths = vec![
        canister_path(probe.id, "module_hash"),
        canister_path(probe.id, "controllers"),
        canister_path(data, "certified_data"),
        canister_path(empty, "module_hash"),
        canister_path(empty, "certified_data"),
    ];
    let certificate = decode(&pic.certificate(&paths, &[]));
    assert!(verifies(&certificate, &pic.root_key().expect("a root key")));
    let tree = &certificate.tree;

    assert_eq!(leb128(found(tree, &[b"time"])), pic.get_time().as_nanos_since_unix_epoch());
    assert_eq!(found(tree, &[b"canister", probe.id.as_slice(), b"module_hash"]), sha256(&probe_wasm()).as_slice());
    let controllers: Vec<serde_bytes::ByteBuf> =
        ciborium::from_reader(found(tree, &[b"canister", probe.id.as_slice(), b"controllers"])).expect("CBOR");
    let controllers: Vec<Principal> = controllers.iter().map(|p| Principal::from_slice(p)).collect();
    assert_eq!(controllers, pic.get_controllers(probe.id), "the sorted set");
    assert_eq!(found(tree, &[b"canister", data.as_slice(), b"certified_data"]), b"thirty-two bytes of certified!!!");
    assert_eq!(found(tree, &[b"canister", empty.as_slice(), b"certified_data"]), b"");
    assert_eq!(
        tree.lookup_path([b"canister".as_slice(), empty.as_slice(), b"module_hash"]),
        LookupResult::Absent,
        "no module_hash without a module"
    );
}

#[test]
fn subnet_paths_give_the_keys_and_ranges_agents_look_up() {
    let pic = PocketIc::new();
    let canister = pic.create_canister();
    let keys = pic.subnet_keys();
    let subnet = pic.get_subnet(canister).expect("a subnet");
    let certificate =
        decode(&pic.certificate(&[path(&[b"subnet"]), path(&[b"canister_ranges", subnet.as_slice()])], &[]));
    assert!(verifies(&certificate, &keys.root_key_der()));
    let tree = &certificate.tree;
    assert_eq!(found(tree, &[b"subnet", subnet.as_slice(), b"public_key"]), keys.root_key_der().as_slice());
    let node_key = found(tree, &[b"subnet", subnet.as_slice(), b"node", keys.node_id().as_slice(), b"public_key"]);
    assert_eq!(node_key, keys.node_public_key_der().as_slice());
    assert_eq!(Principal::self_authenticating(node_key), keys.node_id());
    let ranges: Vec<(serde_bytes::ByteBuf, serde_bytes::ByteBuf)> =
        ciborium::from_reader(found(tree, &[b"subnet", subnet.as_slice(), b"canister_ranges"])).expect("CBOR");
    let (low, high) = (Principal::from_slice(&ranges[0].0), Principal::from_slice(&ranges[0].1));
    assert!(low <= canister && canister <= high, "the subnet's ranges hold its canisters");
    let SubtreeLookupResult::Found(shards) = tree.lookup_subtree([b"canister_ranges".as_slice(), subnet.as_slice()])
    else {
        panic!("no sharded canister ranges");
    };
    assert_eq!(shards.list_paths().len(), 1);
}

#[test]
fn the_pruned_tree_reveals_only_the_requested_paths() {
    let pic = PocketIc::new();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let certificate = decode(&pic.certificate(&[canister_path(a.id, "module_hash")], &[]));
    let mut revealed = revealed_paths(&certificate.tree);
    revealed.sort();
    assert_eq!(revealed, vec![canister_path(a.id, "module_hash"), path(&[b"time"])]);
    let tree = &certificate.tree;
    for hidden in
        [canister_path(a.id, "controllers"), canister_path(a.id, "certified_data"), canister_path(b.id, "module_hash")]
    {
        assert_eq!(tree.lookup_path(&hidden), LookupResult::Unknown, "{hidden:?} is pruned");
    }
    // The full state hashes to the same root: the pruned parts are the state's, not placeholders.
    let full = decode(&pic.certificate(&[path(&[b"canister"]), path(&[b"subnet"])], &[]));
    assert_eq!(full.tree.digest(), certificate.tree.digest());
    assert!(revealed_paths(&full.tree).contains(&canister_path(b.id, "controllers")));

    // A path to nothing is proven absent, not revealed.
    let nobody = crate::support::unused_canister_id();
    let absent = decode(&pic.certificate(&[canister_path(nobody, "module_hash")], &[]));
    assert!(verifies(&absent, &pic.root_key().expect("a root key")));
    assert_eq!(absent.tree.lookup_path(canister_path(nobody, "module_hash")), LookupResult::Absent);
    assert_eq!(revealed_paths(&absent.tree), vec![path(&[b"time"])]);
}

#[test]
fn metadata_sections_are_in_the_tree_with_their_visibility() {
    let pic = PocketIc::new();
    let probe = Probe::create_empty(&pic);
    let wasm = with_custom_section(
        with_custom_section(probe_wasm_variant("m"), "icp:public tag", b"public data"),
        "icp:private secret",
        b"private data",
    );
    pic.install_canister(probe.id, wasm, crate::support::no_lifecycle_arg(), Some(controller()));
    use emulator::certification::MetadataVisibility;
    assert_eq!(pic.canister_metadata_visibility(probe.id, "tag"), Some(MetadataVisibility::Public));
    assert_eq!(pic.canister_metadata_visibility(probe.id, "secret"), Some(MetadataVisibility::Private));
    assert_eq!(pic.canister_metadata_visibility(probe.id, "absent"), None);
    let metadata = |name: &str| path(&[b"canister", probe.id.as_slice(), b"metadata", name.as_bytes()]);
    let certificate = decode(&pic.certificate(&[metadata("tag"), metadata("secret"), metadata("absent")], &[]));
    assert_eq!(found(&certificate.tree, &[b"canister", probe.id.as_slice(), b"metadata", b"tag"]), b"public data");
    assert_eq!(found(&certificate.tree, &[b"canister", probe.id.as_slice(), b"metadata", b"secret"]), b"private data");
    assert_eq!(certificate.tree.lookup_path(metadata("absent")), LookupResult::Absent);
}

fn with_custom_section(mut module: Vec<u8>, name: &str, content: &[u8]) -> Vec<u8> {
    let mut section = Vec::new();
    leb128::write::unsigned(&mut section, name.len() as u64).expect("write");
    section.extend_from_slice(name.as_bytes());
    section.extend_from_slice(content);
    module.push(0);
    leb128::write::unsigned(&mut module, section.len() as u64).expect("write");
    module.extend_from_slice(&section);
    module
}

#[test]
fn request_status_entries_are_certified_as_given() {
    let pic = PocketIc::new();
    let replied = [1u8; 32];
    let rejected = [2u8; 32];
    let unknown = [3u8; 32];
    let statuses = vec![
        (replied, RequestOutcome::Replied(b"DIDL\x00\x00".to_vec())),
        (
            rejected,
            RequestOutcome::Rejected {
                reject_code: 4,
                reject_message: "no".to_string(),
                error_code: Some("IC0406".to_string()),
            },
        ),
    ];
    let status = |id: &[u8; 32]| path(&[b"request_status", id]);
    let certificate = decode(&pic.certificate(&[status(&replied), status(&rejected), status(&unknown)], &statuses));
    assert!(verifies(&certificate, &pic.root_key().expect("a root key")));
    let tree = &certificate.tree;
    assert_eq!(found(tree, &[b"request_status", &replied, b"status"]), b"replied");
    assert_eq!(found(tree, &[b"request_status", &replied, b"reply"]), b"DIDL\x00\x00");
    assert_eq!(found(tree, &[b"request_status", &rejected, b"status"]), b"rejected");
    assert_eq!(leb128(found(tree, &[b"request_status", &rejected, b"reject_code"])), 4);
    assert_eq!(found(tree, &[b"request_status", &rejected, b"reject_message"]), b"no");
    assert_eq!(found(tree, &[b"request_status", &rejected, b"error_code"]), b"IC0406");
    assert_eq!(tree.lookup_path(status(&unknown)), LookupResult::Absent, "an unknown request is absent");
    // Only the requested entries: asking for one request hides the other.
    let one = decode(&pic.certificate(&[status(&replied)], &statuses));
    assert_eq!(one.tree.lookup_path([b"request_status".as_slice(), &rejected, b"status"]), LookupResult::Unknown);
}

// ----- data certificates in queries -----

#[test]
fn a_query_gets_a_data_certificate_of_its_certified_data_and_time() {
    let pic = PocketIc::new();
    let canister = install_certified_data_canister(&pic);
    let other = install_certified_data_canister(&pic);
    pic.update_call(canister, user(1), "set", b"tip hash".to_vec()).expect("set");
    pic.update_call(other, user(1), "set", b"other".to_vec()).expect("set");

    for method in ["cert", "cert_composite"] {
        let bytes = pic.query_call(canister, user(2), method, Vec::new()).expect("a data certificate");
        let certificate = decode(&bytes);
        assert!(verifies(&certificate, &pic.root_key().expect("a root key")), "{method}");
        let tree = &certificate.tree;
        assert_eq!(found(tree, &[b"canister", canister.as_slice(), b"certified_data"]), b"tip hash", "{method}");
        assert_eq!(leb128(found(tree, &[b"time"])), pic.get_time().as_nanos_since_unix_epoch(), "{method}");
        let mut revealed = revealed_paths(tree);
        revealed.sort();
        assert_eq!(revealed, vec![canister_path(canister, "certified_data"), path(&[b"time"])], "{method}");
        assert!(!verifies(&with_flipped_leaf(&certificate, b"certified_data"), &pic.root_key().expect("key")));
    }
    // A later update changes what the next query's certificate says.
    pic.update_call(canister, user(1), "set", b"new tip".to_vec()).expect("set");
    let certificate = decode(&pic.query_call(canister, user(2), "cert", Vec::new()).expect("a data certificate"));
    assert_eq!(found(&certificate.tree, &[b"canister", canister.as_slice(), b"certified_data"]), b"new tip");
}

#[test]
fn only_queries_have_a_data_certificate() {
    let pic = PocketIc::new();
    let canister = install_certified_data_canister(&pic);
    assert_eq!(pic.query_call(canister, user(1), "present", Vec::new()).expect("query"), vec![1]);
    assert_eq!(pic.update_call(canister, user(1), "present_update", Vec::new()).expect("update"), vec![0]);
    // In replicated mode (an update call to a query method) there is none either, and asking for it traps.
    assert_eq!(pic.update_call(canister, user(1), "present", Vec::new()).expect("replicated query"), vec![0]);
    let reject = pic.update_call(canister, user(1), "cert", Vec::new()).expect_err("no certificate to copy");
    assert_eq!(reject.error_code, emulator::ErrorCode::CanisterContractViolation, "{reject:?}");
}

#[test]
fn the_callees_of_a_composite_query_have_no_data_certificate() {
    let pic = PocketIc::new();
    let relay = Probe::install(&pic);
    let canister = install_certified_data_canister(&pic);
    let relayed = |method: &str| {
        let arg = crate::support::encode((canister, method.to_string(), Vec::<u8>::new()));
        pic.query_call(relay.id, user(1), "composite_relay", arg)
    };
    assert_eq!(relayed("present").expect("relayed"), vec![0], "only the canister the user called has one");
    let reject = relayed("cert").expect_err("the callee has no certificate to copy");
    assert!(reject.reject_message.contains("no data certificate"), "{reject:?}");
    assert_eq!(pic.query_call(canister, user(1), "present", Vec::new()).expect("direct"), vec![1]);
}

// ----- benchmark -----

/// Prints what certification costs (`cargo test -p emulator --test ic certification_benchmark -- --ignored
/// --nocapture`): keys, a read_state certificate on a fleet of 20 installed canisters, the data certificate of a
/// query, and what taking the state for a possible data certificate adds to every query as the subnet grows.
#[test]
#[ignore = "benchmark: prints a table"]
fn certification_benchmark() {
    use std::time::{Duration, Instant};
    fn mean(runs: u32, mut f: impl FnMut()) -> Duration {
        f();
        let start = Instant::now();
        for _ in 0..runs {
            f();
        }
        start.elapsed() / runs
    }
    println!("| what | measured |");
    println!("|---|---|");
    let keygen = mean(20, || drop(PocketIcBuilder::new().with_seed(5).build()));
    println!("| PocketIc build with key generation (BLS + Ed25519) | {keygen:.2?} |");

    let pic = PocketIc::new();
    let fleet: Vec<Principal> = (0..20).map(|_| Probe::install(&pic).id).collect();
    let one = vec![canister_path(fleet[7], "module_hash"), canister_path(fleet[7], "controllers")];
    let read_state = mean(50, || drop(pic.certificate(&one, &[])));
    println!("| read_state certificate (module_hash + controllers), 20 canisters | {read_state:.2?} |");
    let all = vec![path(&[b"canister"]), path(&[b"subnet"])];
    let full = mean(50, || drop(pic.certificate(&all, &[])));
    let size = pic.certificate(&all, &[]).len();
    println!("| certificate of the whole tree, 20 canisters ({size} bytes) | {full:.2?} |");
    let keys = pic.subnet_keys();
    let sign = mean(50, || {
        std::hint::black_box(keys.sign_with_root_key(b"\x0dic-state-root0123456789abcdef0123456789abcdef"));
    });
    println!("| of which one BLS signature | {sign:.2?} |");

    let data = install_certified_data_canister(&pic);
    pic.update_call(data, user(1), "set", b"tip".to_vec()).expect("set");
    let with_cert = mean(50, || drop(pic.query_call(data, user(1), "cert", Vec::new()).expect("cert")));
    let without = mean(50, || drop(pic.query_call(data, user(1), "present", Vec::new()).expect("present")));
    println!("| query reading its data certificate, 21 canisters | {with_cert:.2?} |");
    println!("| query not reading it (present only), 21 canisters | {without:.2?} |");
    let counters = crate::support::encode(());
    let probe = fleet[0];
    let plain = mean(200, || drop(pic.query_call(probe, user(1), "counters", counters.clone()).expect("counters")));
    println!("| query of a module that imports no data_certificate_size/copy, 21 canisters | {plain:.2?} |");
    for _ in 0..1_000 {
        pic.create_canister();
    }
    let without_1000 = mean(200, || drop(pic.query_call(data, user(1), "present", Vec::new()).expect("present")));
    println!("| query not reading it, 1,021 canisters | {without_1000:.2?} |");
    let plain = mean(200, || drop(pic.query_call(probe, user(1), "counters", counters.clone()).expect("counters")));
    println!("| query of a module that imports no data_certificate_size/copy, 1,021 canisters | {plain:.2?} |");
}
