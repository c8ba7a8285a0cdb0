//! ic-agent 0.49 against the live emulator, with no setting beyond `fetch_root_key`: updates (synchronous call
//! with a certificate) and queries (node-signed responses, verified by default) with Ed25519, secp256k1, delegated
//! and anonymous identities; read_state of module hash, controllers and metadata; request-status polling; and a
//! wrong root key or a tampered certificate refused by the agent.

use candid::{Decode, Encode, Principal};
use ic_agent::agent::RejectCode;
use ic_agent::identity::{AnonymousIdentity, DelegatedIdentity, Delegation, SignedDelegation};
use ic_agent::{AgentError, Identity};

use super::support::{call_content, ed25519, secp256k1, signed, LiveIc, PROBE_DID, SECRET};

#[derive(candid::CandidType, candid::Deserialize, Debug, Clone, PartialEq, Eq)]
struct Counters {
    heap: u64,
    stable: u64,
    timer_ticks: u64,
    callbacks: u64,
    cleanups: u64,
}

fn whoami(live: &LiveIc, agent: &ic_agent::Agent) -> Principal {
    let reply = live
        .block_on(agent.update(&live.probe, "whoami").with_arg(Encode!().unwrap()).call_and_wait())
        .expect("whoami");
    Decode!(&reply, Principal).unwrap()
}

#[test]
fn root_key_update_and_query_with_an_ed25519_identity() {
    let identity = ed25519(1);
    let controller = identity.sender().unwrap();
    let live = LiveIc::start(controller);
    let agent = live.agent(identity);
    assert_eq!(agent.read_root_key(), live.pic.root_key().unwrap(), "the agent fetched the emulator's root key");
    let status = live.block_on(agent.status()).expect("status");
    assert_eq!(status.replica_health_status.as_deref(), Some("healthy"));

    assert_eq!(whoami(&live, &agent), controller, "the canister sees the signer as caller");
    let reply = live
        .block_on(agent.update(&live.probe, "increment").with_arg(Encode!().unwrap()).call_and_wait())
        .expect("increment");
    assert_eq!(Decode!(&reply, Counters).unwrap().heap, 1);
    // A query: the response is signed by the node key the subnet's read_state reports (verified by default).
    let reply =
        live.block_on(agent.query(&live.probe, "counters").with_arg(Encode!().unwrap()).call()).expect("counters");
    assert_eq!(Decode!(&reply, Counters).unwrap().heap, 1);
    // The state the agent changed is the emulator's own.
    let (counters,): (Counters,) = emulator::query_candid(&live.pic, live.probe, "counters", ()).unwrap();
    assert_eq!(counters.heap, 1);
}

#[test]
fn secp256k1_delegated_and_anonymous_identities() {
    let live = LiveIc::start(ed25519(1).sender().unwrap());
    let secp = secp256k1(3);
    let secp_principal = secp.sender().unwrap();
    assert_eq!(whoami(&live, &live.agent(secp)), secp_principal);
    assert_eq!(whoami(&live, &live.agent(AnonymousIdentity)), Principal::anonymous());

    // A delegation chain: an Ed25519 key delegates to a secp256k1 key, which signs the requests.
    let root = ed25519(9);
    let delegation = Delegation {
        pubkey: secp256k1(4).public_key().unwrap(),
        expiration: live.now_nanos() + 3_600_000_000_000,
        targets: None,
        permissions: None,
    };
    let signature = root.sign_delegation(&delegation).expect("sign delegation").signature.unwrap();
    let delegated = DelegatedIdentity::new_unchecked(
        root.public_key().unwrap(),
        Box::new(secp256k1(4)),
        vec![SignedDelegation { delegation, signature }],
    );
    let delegated_principal = delegated.sender().unwrap();
    assert_eq!(delegated_principal, root.sender().unwrap());
    assert_eq!(whoami(&live, &live.agent(delegated)), delegated_principal);
}

#[test]
fn rejects_reach_the_agent_with_their_codes() {
    let live = LiveIc::start(ed25519(1).sender().unwrap());
    let agent = live.agent(ed25519(2));
    let update = live
        .block_on(agent.update(&live.probe, "reject").with_arg(Encode!(&"no thanks").unwrap()).call_and_wait())
        .unwrap_err();
    match update {
        AgentError::CertifiedReject { reject, .. } => {
            assert_eq!(reject.reject_code, RejectCode::CanisterReject);
            assert_eq!(reject.reject_message, "no thanks");
            assert_eq!(reject.error_code.as_deref(), Some("IC0406"));
        }
        other => panic!("expected a certified reject, got {other:?}"),
    }
    let query = live
        .block_on(agent.query(&live.probe, "reject_query").with_arg(Encode!(&"not now").unwrap()).call())
        .unwrap_err();
    match query {
        AgentError::UncertifiedReject { reject, .. } => {
            assert_eq!(reject.reject_code, RejectCode::CanisterReject);
            assert_eq!(reject.reject_message, "not now");
        }
        other => panic!("expected a signed query reject, got {other:?}"),
    }
    // A method that does not exist: IC0536, whichever way the agent receives the reject.
    let missing = live
        .block_on(agent.update(&live.probe, "no_such_method").with_arg(Encode!().unwrap()).call_and_wait())
        .unwrap_err();
    assert!(format!("{missing:?}").contains("IC0536"), "{missing:?}");
}

#[test]
fn read_state_of_module_hash_controllers_and_metadata() {
    let owner = ed25519(1);
    let controller = owner.sender().unwrap();
    let live = LiveIc::start(controller);
    let agent = live.agent(owner);
    let hash = live.block_on(agent.read_state_canister_module_hash(live.probe)).expect("module_hash");
    let status = live.pic.canister_status(live.probe, Some(controller)).unwrap();
    assert_eq!(Some(hash), status.module_hash);
    let controllers = live.block_on(agent.read_state_canister_controllers(live.probe)).expect("controllers");
    assert_eq!(controllers, vec![controller]);
    let did = live.block_on(agent.read_state_canister_metadata(live.probe, "candid:service")).expect("metadata");
    assert_eq!(did, PROBE_DID.as_bytes());
    let secret = live.block_on(agent.read_state_canister_metadata(live.probe, "secret")).expect("private metadata");
    assert_eq!(secret, SECRET, "a controller reads the private section");
    let stranger = live.agent(ed25519(2));
    let refused = live.block_on(stranger.read_state_canister_metadata(live.probe, "secret")).unwrap_err();
    assert!(format!("{refused:?}").contains("403"), "{refused:?}");
    // Public metadata and the module hash are for anyone.
    assert!(live.block_on(stranger.read_state_canister_metadata(live.probe, "candid:service")).is_ok());
}

#[test]
fn a_call_submitted_asynchronously_is_polled_to_its_reply() {
    let identity = ed25519(5);
    let live = LiveIc::start(identity.sender().unwrap());
    let agent = live.agent(ed25519(5));
    let content =
        call_content(identity.sender().unwrap(), live.probe, "increment", Encode!().unwrap(), live.now_nanos());
    let request_id = content.to_request_id();
    let (status, body) = live.post(&live.call_path("v2", live.probe), signed(&identity, content));
    assert_eq!((status, body.len()), (202, 0), "the asynchronous call endpoint answers 202 with no body");
    let (reply, _certificate) = live.block_on(agent.wait(&request_id, live.probe)).expect("request status polling");
    assert_eq!(Decode!(&reply, Counters).unwrap().heap, 1);
    let (counters,): (Counters,) = emulator::query_candid(&live.pic, live.probe, "counters", ()).unwrap();
    assert_eq!(counters.heap, 1);
}

#[test]
fn an_identical_request_is_executed_once() {
    let identity = ed25519(6);
    let live = LiveIc::start(identity.sender().unwrap());
    let agent = live.agent(ed25519(6));
    let content =
        call_content(identity.sender().unwrap(), live.probe, "increment", Encode!().unwrap(), live.now_nanos());
    let request_id = content.to_request_id();
    let envelope = signed(&identity, content);
    for version in ["v3", "v2", "v4", "v2"] {
        let (status, _) = live.post(&live.call_path(version, live.probe), envelope.clone());
        assert!(status == 200 || status == 202, "{version}: {status}");
    }
    let (reply, _) = live.block_on(agent.wait(&request_id, live.probe)).expect("status");
    assert_eq!(Decode!(&reply, Counters).unwrap().heap, 1);
    let (counters,): (Counters,) = emulator::query_candid(&live.pic, live.probe, "counters", ()).unwrap();
    assert_eq!(counters.heap, 1, "four submissions of one request ran once");
}

#[test]
fn another_senders_request_status_is_forbidden() {
    let identity = ed25519(5);
    let live = LiveIc::start(identity.sender().unwrap());
    let content =
        call_content(identity.sender().unwrap(), live.probe, "increment", Encode!().unwrap(), live.now_nanos());
    let request_id = content.to_request_id();
    let (status, _) = live.post(&live.call_path("v3", live.probe), signed(&identity, content));
    assert_eq!(status, 200);
    let stranger = live.agent(ed25519(6));
    let refused = live.block_on(stranger.request_status_raw(&request_id, live.probe)).unwrap_err();
    assert!(format!("{refused:?}").contains("403"), "{refused:?}");
    let owner = live.agent(ed25519(5));
    assert!(live.block_on(owner.request_status_raw(&request_id, live.probe)).is_ok());
}

#[test]
fn a_wrong_root_key_or_a_tampered_certificate_is_refused() {
    let live = LiveIc::start(ed25519(1).sender().unwrap());
    let agent = live.agent(ed25519(2));
    let other_root_key = emulator::PocketIcBuilder::new().with_seed(8).build().root_key().unwrap();
    assert_ne!(other_root_key, agent.read_root_key());

    // A certificate the agent verified, then tampered with: one bit of the signature, or one leaf of the tree.
    let path = vec![vec!["canister".into(), live.probe.as_slice().into(), "module_hash".into()]];
    let certificate = live.block_on(agent.read_state_raw(path, live.probe)).expect("read_state");
    assert!(agent.verify(&certificate, live.probe).is_ok());
    let mut bad_signature = certificate.clone();
    bad_signature.signature[10] ^= 1;
    assert!(matches!(agent.verify(&bad_signature, live.probe), Err(AgentError::CertificateVerificationFailed())));

    agent.set_root_key(other_root_key);
    assert!(agent.verify(&certificate, live.probe).is_err(), "another root key does not verify the certificate");
    let update = live.block_on(agent.update(&live.probe, "increment").with_arg(Encode!().unwrap()).call_and_wait());
    assert!(matches!(update, Err(AgentError::CertificateVerificationFailed())), "{update:?}");
    let query = live.block_on(agent.query(&live.probe, "counters").with_arg(Encode!().unwrap()).call());
    assert!(matches!(query, Err(AgentError::CertificateVerificationFailed())), "{query:?}");
}

#[test]
fn management_canister_calls_go_to_their_effective_canister_id() {
    use emulator::management_types::{CanisterIdRecord, CanisterStatusResult, ProvisionalCreateCanisterWithCyclesArgs};
    let owner = ed25519(1);
    let controller = owner.sender().unwrap();
    let live = LiveIc::start(controller);
    let agent = live.agent(ed25519(1));
    let management = Principal::management_canister();
    // Any effective canister id will do for provisional_create_canister_with_cycles (dfx's local `canister create`).
    let create = ProvisionalCreateCanisterWithCyclesArgs {
        amount: Some(candid::Nat::from(5_000_000_000_000u64)),
        settings: None,
        specified_id: None,
        sender_canister_version: None,
    };
    let reply = live
        .block_on(
            agent
                .update(&management, "provisional_create_canister_with_cycles")
                .with_effective_canister_id(live.probe)
                .with_arg(Encode!(&create).unwrap())
                .call_and_wait(),
        )
        .expect("create");
    let created = Decode!(&reply, CanisterIdRecord).unwrap().canister_id;
    assert!(live.pic.canister_exists(created));
    assert_eq!(live.pic.get_controllers(created), vec![controller], "the caller controls what it created");
    // canister_status goes to the canister it names.
    let reply = live
        .block_on(
            agent
                .update(&management, "canister_status")
                .with_effective_canister_id(live.probe)
                .with_arg(Encode!(&CanisterIdRecord { canister_id: live.probe }).unwrap())
                .call_and_wait(),
        )
        .expect("canister_status");
    let status = Decode!(&reply, CanisterStatusResult).unwrap();
    assert_eq!(status.module_hash, live.pic.canister_status(live.probe, Some(controller)).unwrap().module_hash);
    let elsewhere = live.block_on(
        agent
            .update(&management, "canister_status")
            .with_effective_canister_id(created)
            .with_arg(Encode!(&CanisterIdRecord { canister_id: live.probe }).unwrap())
            .call_and_wait(),
    );
    let error = format!("{:?}", elsewhere.unwrap_err());
    assert!(error.contains("400") && error.contains("does not match effective canister id"), "{error}");
}

#[test]
fn a_browser_preflight_is_answered_with_permissive_cors() {
    let live = LiveIc::start(ed25519(1).sender().unwrap());
    let url = live.url.join(&live.call_path("v3", live.probe)).unwrap();
    let (status, origin) = live.block_on(async {
        let response = reqwest::Client::new().request(reqwest::Method::OPTIONS, url).send().await.unwrap();
        let origin = response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_string());
        (response.status().as_u16(), origin)
    });
    assert_eq!((status, origin.as_deref()), (204, Some("*")));
}

#[test]
fn subnet_read_state_gives_the_subnet_keys_and_ranges() {
    let live = LiveIc::start(ed25519(1).sender().unwrap());
    let agent = live.agent(ed25519(2));
    let subnet_id = live.pic.get_subnet(live.probe).expect("the probe's subnet");
    assert_eq!(subnet_id, Principal::self_authenticating(agent.read_root_key()), "a delegation-free root subnet");
    let subnet = live.block_on(agent.fetch_subnet_by_id(&subnet_id)).expect("subnet read_state");
    assert_eq!(subnet.id(), subnet_id);
    let node = live.pic.subnet_keys().node_id();
    assert_eq!(subnet.get_node_key(&node), Some(&live.pic.subnet_keys().node_public_key_der()[..]));
    let ranges = live.block_on(agent.read_state_subnet_canister_ranges(subnet_id)).expect("canister ranges");
    assert!(ranges.iter().any(|(low, high)| *low <= live.probe && live.probe <= *high), "{ranges:?}");
    // The subnet as seen from a canister (what query-signature checks use) is the same one.
    let by_canister = live.block_on(agent.fetch_subnet_by_canister(&live.probe)).expect("subnet by canister");
    assert_eq!(by_canister.id(), subnet_id);
    // Another subnet id is not this IC's.
    let other = Principal::self_authenticating(b"another subnet");
    let refused = live.block_on(agent.fetch_subnet_by_id(&other)).unwrap_err();
    assert!(format!("{refused:?}").contains("404"), "{refused:?}");
}
