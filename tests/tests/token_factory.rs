//! The token factory's wasm on the IC (the emulator by default, PocketIC with `--features pocket-ic`): a release
//! principal publishes token 1.0.0 by chunked upload, the whitelisted backend deploys tokens (controllers exactly
//! [factory, owner] once installed, indexes, the contract's own `notifyDeploymentComplete`), a failed install keeps
//! its canister as a spare the next deployment reuses, request ids replay only their own request, spoofed callbacks,
//! non-whitelisted creates and anonymous or oversized ingress are refused, every registry error comes back typed,
//! and a factory upgrade keeps registry, contracts and indexes. `factory_instruction_counts` prints the benchmark (emulator only: it reads `instructions_used`).

use candid::{encode_one, CandidType, Nat, Principal};
use factory_engine::registry::wasm_meta::{plain_module, read_metadata, test_modules};
use fleet_api::{ContractStatus, DeployOptions, FleetError, Page, PageRequest, ServiceHealth, SetupStatus};
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use fleet_tests::wasm::canister_wasm;
use sha2::{Digest, Sha256};
use token_api::{Account, TokenArgs};
use token_factory_api::{
    BeginUploadArgs, ContractDetails, ContractInfo, DeploymentRequestState, DeploymentRequestView, FactoryInitArgs,
    FactoryStats, UpgradeMetadata, UploadChunkArgs, UploadProgress, VersionInfo, VersionStatus,
};

const TOKEN_VERSION: &str = "1.1.0";
const CHUNK: usize = 128 * 1024;

fn principal(name: &str) -> Principal {
    Principal::self_authenticating(name.as_bytes())
}
fn admin() -> Principal {
    principal("factory-admin")
}
fn release() -> Principal {
    principal("release-pipeline")
}
fn backend() -> Principal {
    principal("backend")
}
fn owner() -> Principal {
    principal("token-owner")
}
fn stranger() -> Principal {
    principal("stranger")
}

fn token_args(symbol: &str) -> TokenArgs {
    TokenArgs {
        name: format!("{symbol} token"),
        symbol: symbol.into(),
        decimals: 8,
        transfer_fee: Nat::from(10_000u64),
        initial_balances: vec![(Account { owner: principal("alice"), subaccount: None }, Nat::from(1_000_000u64))],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}

/// The token wasm as the release pipeline ships it: gzip with `fleet:kind` / `fleet:version` metadata. A module
/// built by plain cargo (no `release build` yet) gets the two sections appended, as the pipeline would.
fn released_token_wasm() -> Vec<u8> {
    let wasm = canister_wasm("token");
    if read_metadata(&wasm).expect("token wasm is a module").kind.is_some() {
        return wasm;
    }
    let mut plain = plain_module(&wasm).expect("token wasm inflates").into_owned();
    let sections = test_modules::wasm_with_sections(
        &[("icp:public fleet:kind", b"token"), ("icp:public fleet:version", TOKEN_VERSION.as_bytes())],
        0,
    );
    plain.extend_from_slice(&sections[8..]);
    test_modules::gzip(&plain)
}

/// The token wasm relabelled as `version`: its `fleet:*` sections replaced, its compiled-in version unchanged (so its
/// init refuses to install as `version`: a real install failure).
fn relabelled_token_wasm(version: &str) -> Vec<u8> {
    let plain = plain_module(&released_token_wasm()).expect("token wasm inflates").into_owned();
    let mut out = plain[..8].to_vec();
    let mut rest = &plain[8..];
    while !rest.is_empty() {
        let (size, header) = leb(&rest[1..]);
        let section = &rest[..1 + header + size];
        let payload = &section[1 + header..];
        let is_fleet = rest[0] == 0 && {
            let (name_len, n) = leb(payload);
            std::str::from_utf8(&payload[n..n + name_len]).is_ok_and(|name| name.contains("fleet:"))
        };
        if !is_fleet {
            out.extend_from_slice(section);
        }
        rest = &rest[section.len()..];
    }
    let sections = test_modules::wasm_with_sections(
        &[("icp:public fleet:kind", b"token"), ("icp:public fleet:version", version.as_bytes())],
        0,
    );
    out.extend_from_slice(&sections[8..]);
    test_modules::gzip(&out)
}

/// An unsigned LEB128 and its length in bytes.
fn leb(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().enumerate() {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("truncated LEB128")
}

type R<T> = Result<T, FleetError>;

struct Factory {
    pic: PocketIc,
    id: Principal,
}

impl Factory {
    /// A token factory controlled by `admin()`, with `release()` as release principal and no whitelist yet.
    fn install() -> Self {
        let pic = ic::new_instance();
        let settings = CanisterSettings { controllers: Some(vec![admin()]), ..Default::default() };
        let id = pic.create_canister_with_settings(Some(admin()), Some(settings));
        pic.add_cycles(id, 500_000_000_000_000);
        let init = FactoryInitArgs { release_principals: vec![release()], ..Default::default() };
        pic.install_canister(id, canister_wasm("token_factory"), encode_one(Some(init)).unwrap(), Some(admin()));
        Self { pic, id }
    }

    /// Installed, backend whitelisted, token 1.0.0 published.
    fn ready() -> Self {
        let factory = Self::install();
        factory.update::<R<()>>(admin(), "setupWhitelist", (backend(),)).unwrap();
        factory.publish(TOKEN_VERSION, &released_token_wasm()).unwrap();
        factory
    }

    fn update<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        from: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> T {
        let (reply,): (T,) = ic::update_candid_as(&self.pic, self.id, from, method, args).expect(method);
        reply
    }

    fn query<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        from: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> T {
        let (reply,): (T,) = ic::query_candid_as(&self.pic, self.id, from, method, args).expect(method);
        reply
    }

    fn begin(&self, from: Principal, version: &str, module: &[u8]) -> R<UploadProgress> {
        let args = BeginUploadArgs {
            version: version.into(),
            sha256: Sha256::digest(module).to_vec(),
            size: module.len() as u64,
            chunk_size: Some(CHUNK as u32),
            release_notes: format!("token {version}"),
            upgrade: UpgradeMetadata::default(),
        };
        self.update(from, "beginUpload", (args,))
    }

    fn chunk(&self, version: &str, module: &[u8], index: u32) -> R<UploadProgress> {
        let start = index as usize * CHUNK;
        let bytes = module[start..(start + CHUNK).min(module.len())].to_vec();
        self.update(release(), "uploadChunk", (UploadChunkArgs { version: version.into(), index, bytes },))
    }

    /// Chunked upload, last chunk first, then finalize.
    fn publish(&self, version: &str, module: &[u8]) -> R<VersionInfo> {
        let progress = self.begin(release(), version, module)?;
        for index in (0..progress.chunk_count).rev() {
            self.chunk(version, module, index)?;
        }
        self.update(release(), "finalizeUpload", (version.to_string(),))
    }

    fn create(&self, from: Principal, symbol: &str, request_id: Option<u64>) -> R<Principal> {
        let options = DeployOptions { initial_cycles: None, request_id };
        self.update(from, "createContract", (owner(), token_args(symbol), options))
    }

    fn contracts_of(&self, viewer: Principal, user: Principal) -> Page<ContractInfo> {
        self.query(viewer, "getMyContracts", (user, PageRequest::new(0, 100)))
    }

    fn contract(&self, id: Principal) -> ContractDetails {
        self.query::<R<ContractDetails>>(admin(), "getContract", (id,)).expect("getContract")
    }

    fn versions(&self) -> Vec<(String, VersionStatus)> {
        let page: Page<VersionInfo> = self.query(stranger(), "listVersions", (PageRequest::default(),));
        page.items.into_iter().map(|v| (v.version, v.status)).collect()
    }

    /// Rounds (and time) for the contracts' timers to fire and their calls to land.
    fn settle(&self) {
        for _ in 0..10 {
            self.pic.advance_time(std::time::Duration::from_secs(1));
            self.pic.tick();
        }
    }
}

fn sorted(mut principals: Vec<Principal>) -> Vec<Principal> {
    principals.sort();
    principals
}

#[test]
fn release_principal_publishes_token_by_chunked_upload() {
    let factory = Factory::install();
    let module = released_token_wasm();
    let progress = factory.begin(release(), TOKEN_VERSION, &module).unwrap();
    assert!(progress.chunk_count >= 2, "the token wasm should need several {CHUNK}-byte chunks");
    let last = progress.chunk_count - 1;
    factory.chunk(TOKEN_VERSION, &module, last).unwrap();
    // A re-sent chunk is accepted once (resumable upload) and the progress says what is missing.
    let again = factory.chunk(TOKEN_VERSION, &module, last).unwrap();
    assert_eq!(again.received, 1);
    assert_eq!(again.missing, (0..last).collect::<Vec<_>>());
    for index in 0..last {
        factory.chunk(TOKEN_VERSION, &module, index).unwrap();
    }
    let info: R<VersionInfo> = factory.update(release(), "finalizeUpload", (TOKEN_VERSION.to_string(),));
    let info = info.unwrap();
    assert_eq!((info.status, info.uploader, info.size), (VersionStatus::Published, release(), module.len() as u64));
    assert_eq!(info.sha256, Sha256::digest(&module).to_vec());
    let default: Option<VersionInfo> = factory.query(stranger(), "getDefaultVersion", ());
    assert_eq!(default.unwrap().version, TOKEN_VERSION);
}

#[test]
fn registry_errors_are_typed_and_change_nothing() {
    let factory = Factory::ready();
    let module = released_token_wasm();
    let before = factory.versions();
    let unauthorized = factory.begin(backend(), "1.0.1", &module);
    assert!(matches!(unauthorized, Err(FleetError::Unauthorized(_))), "{unauthorized:?}");
    assert!(matches!(factory.begin(release(), "1.0", &module), Err(FleetError::InvalidInput(_))));
    assert!(matches!(factory.begin(release(), TOKEN_VERSION, b"other"), Err(FleetError::AlreadyExists(_))));
    let huge = BeginUploadArgs {
        version: "9.0.0".into(),
        sha256: vec![0; 32],
        size: 31 * 1024 * 1024,
        chunk_size: None,
        release_notes: String::new(),
        upgrade: UpgradeMetadata::default(),
    };
    assert!(matches!(
        factory.update::<R<UploadProgress>>(release(), "beginUpload", (huge,)),
        Err(FleetError::TooLarge { .. })
    ));

    // Missing chunks, then a hash mismatch (the sha256 announced at begin is not the module's).
    let mut tampered = module.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0xff;
    factory.begin(release(), "1.0.1", &module).unwrap();
    factory.chunk("1.0.1", &tampered, 0).unwrap();
    let missing: R<VersionInfo> = factory.update(release(), "finalizeUpload", ("1.0.1".to_string(),));
    assert!(matches!(missing, Err(FleetError::InvalidState(ref m)) if m.contains("missing")), "{missing:?}");
    let progress: R<UploadProgress> = factory.query(release(), "getUploadProgress", ("1.0.1".to_string(),));
    for index in progress.unwrap().missing {
        factory.chunk("1.0.1", &tampered, index).unwrap();
    }
    let mismatch: R<VersionInfo> = factory.update(release(), "finalizeUpload", ("1.0.1".to_string(),));
    assert!(matches!(mismatch, Err(FleetError::HashMismatch { .. })), "{mismatch:?}");
    factory.update::<R<()>>(release(), "abortUpload", ("1.0.1".to_string(),)).unwrap();

    // Wrong kind, and a module whose embedded version is not the one uploaded.
    let dao = test_modules::gzip(&test_modules::fleet_wasm("dao", "1.0.2", 1000));
    assert!(matches!(factory.publish("1.0.2", &dao), Err(FleetError::InvalidInput(ref m)) if m.contains("dao")));
    factory.update::<R<()>>(release(), "abortUpload", ("1.0.2".to_string(),)).unwrap();
    assert!(
        matches!(factory.publish("1.0.3", &module), Err(FleetError::InvalidInput(ref m)) if m.contains(TOKEN_VERSION))
    );
    factory.update::<R<()>>(release(), "abortUpload", ("1.0.3".to_string(),)).unwrap();

    assert_eq!(factory.versions(), before);
    let yank: R<VersionInfo> = factory.update(stranger(), "yankVersion", (TOKEN_VERSION.to_string(), "no".to_string()));
    assert!(matches!(yank, Err(FleetError::Unauthorized(_))));
}

#[test]
fn whitelisted_backend_deploys_a_token_owned_by_factory_and_owner() {
    let factory = Factory::install();
    factory.publish(TOKEN_VERSION, &released_token_wasm()).unwrap();
    // Nobody can deploy before the whitelist is set, and only an admin sets it.
    assert!(matches!(factory.create(backend(), "AAA", None), Err(FleetError::Unauthorized(_))));
    let hijack: R<()> = factory.update(stranger(), "setupWhitelist", (stranger(),));
    assert!(matches!(hijack, Err(FleetError::Unauthorized(_))));
    let status: SetupStatus = factory.query(stranger(), "getSetupStatus", ());
    assert!(!status.ready);
    factory.update::<R<()>>(admin(), "setupWhitelist", (backend(),)).unwrap();
    let status: SetupStatus = factory.query(stranger(), "getSetupStatus", ());
    assert!(status.ready, "{:?}", status.missing);

    let id = factory.create(backend(), "AAA", Some(1)).unwrap();
    assert_eq!(sorted(factory.pic.get_controllers(id)), sorted(vec![factory.id, owner()]));
    let (symbol,): (String,) = ic::query_candid(&factory.pic, id, "icrc1_symbol", ()).unwrap();
    assert_eq!(symbol, "AAA");
    let status = factory.pic.canister_status(id, Some(owner())).expect("owner reads the status");
    assert_eq!(Some(factory.contract(id).info.module_hash), status.module_hash);

    // The contract confirms its deployment itself, from its init timer.
    factory.settle();
    let details = factory.contract(id);
    assert_eq!(details.info.status, ContractStatus::Active);
    assert!(details.confirmed_at.is_some());
    assert_eq!((details.info.owner, details.info.version.as_str()), (owner(), TOKEN_VERSION));

    // Indexed for its creator; a repeated request returns the first contract.
    assert_eq!(factory.contracts_of(stranger(), owner()).items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(factory.create(backend(), "AAA", Some(1)), Ok(id));
    assert_eq!(factory.contracts_of(owner(), owner()).total, 1);

    assert!(matches!(factory.create(stranger(), "BBB", None), Err(FleetError::Unauthorized(_))));
    assert!(matches!(factory.create(admin(), "BBB", None), Err(FleetError::Unauthorized(_))));
    let health: ServiceHealth = factory.query(stranger(), "getHealth", ());
    assert!(health.healthy, "{}", health.message);
    assert!(health.message.contains("1 contracts"), "{}", health.message);
}

#[test]
fn module_over_the_threshold_is_installed_from_chunks() {
    let factory = Factory::ready();
    let mut config: token_factory_api::FactoryConfig = factory.query(stranger(), "getConfig", ());
    config.chunked_install_threshold = 100_000;
    let denied: R<()> = factory.update(stranger(), "setConfig", (config.clone(),));
    assert!(matches!(denied, Err(FleetError::Unauthorized(_))));
    factory.update::<R<()>>(admin(), "setConfig", (config,)).unwrap();

    let id = factory.create(backend(), "BIG", None).unwrap();
    let status = factory.pic.canister_status(id, Some(owner())).expect("owner reads the status");
    let version: VersionInfo =
        factory.query::<R<VersionInfo>>(stranger(), "getVersion", (TOKEN_VERSION.to_string(),)).unwrap();
    assert_eq!(status.module_hash, Some(version.sha256));
    assert!(factory.pic.stored_chunks(id, Some(owner())).expect("stored_chunks").is_empty(), "chunk store cleared");
    let (symbol,): (String,) = ic::query_candid(&factory.pic, id, "icrc1_symbol", ()).unwrap();
    assert_eq!(symbol, "BIG");
    factory.settle();
    assert_eq!(factory.contract(id).info.status, ContractStatus::Active);
}

#[test]
fn failed_install_keeps_the_canister_as_a_spare_that_the_next_deployment_reuses() {
    let factory = Factory::ready();
    // 1.1.1 passes the registry's checks (its metadata says 1.1.1) but the contract refuses to install as 1.1.1.
    factory.publish("1.1.1", &relabelled_token_wasm("1.1.1")).unwrap();
    let result = factory.create(backend(), "BAD", Some(9));
    assert!(matches!(result, Err(FleetError::CallFailed { ref method, .. }) if method == "install_code"), "{result:?}");
    let events: R<Page<token_factory_api::Event>> = factory.query(admin(), "getEvents", (PageRequest::default(),));
    let created = events.unwrap().items.into_iter().find_map(|e| match e.kind {
        token_factory_api::EventKind::DeploymentFailed { canister, .. } => canister,
        _ => None,
    });
    let spare = created.expect("the failed deployment names the canister it created");
    // Kept, emptied, the factory its only controller: the owner never got it, its cycles are not burnt.
    assert!(factory.pic.canister_exists(spare));
    assert_eq!(factory.pic.get_controllers(spare), vec![factory.id]);
    let status = factory.pic.canister_status(spare, Some(factory.id)).expect("the factory reads its spare");
    assert_eq!(status.module_hash, None);
    let pending: R<Page<token_factory_api::PendingDeployment>> =
        factory.query(admin(), "listPendingDeployments", (PageRequest::default(),));
    assert_eq!(pending.unwrap().total, 0);
    assert_eq!(factory.contracts_of(admin(), owner()).total, 0);
    // The same request replays its failure (the backend refunded it); yanking 1.1.1 makes deployments work again.
    assert_eq!(factory.create(backend(), "BAD", Some(9)), result);
    let yanked: R<VersionInfo> =
        factory.update(release(), "yankVersion", ("1.1.1".to_string(), "refuses to install".to_string()));
    assert_eq!(yanked.unwrap().status, VersionStatus::Yanked);
    let balance = factory.pic.cycle_balance(factory.id);
    let id = factory.create(backend(), "GOOD", Some(10)).unwrap();
    assert_eq!(id, spare, "the next deployment takes the spare instead of creating a canister");
    assert!(balance - factory.pic.cycle_balance(factory.id) < 500_000_000_000, "no creation fee was paid");
    assert_eq!(sorted(factory.pic.get_controllers(id)), sorted(vec![factory.id, owner()]));
    let (symbol,): (String,) = ic::query_candid(&factory.pic, id, "icrc1_symbol", ()).unwrap();
    assert_eq!(symbol, "GOOD");
    assert_eq!(factory.contract(id).info.version, TOKEN_VERSION);
    let stats: FactoryStats = factory.query(admin(), "getStats", ());
    assert_eq!((stats.deployments_failed, stats.deployments_succeeded, stats.orphaned_canisters), (1, 1, 0));
}

#[test]
fn the_backend_reads_and_abandons_its_requests() {
    let factory = Factory::ready();
    let id = factory.create(backend(), "AAA", Some(1)).unwrap();
    let view: R<Option<DeploymentRequestView>> = factory.query(backend(), "getDeploymentRequest", (1u64,));
    let view = view.unwrap().unwrap();
    assert_eq!((view.owner, view.state), (owner(), DeploymentRequestState::Succeeded { contract: id }));
    // The same id for another owner is refused, nothing created.
    let other = DeployOptions { initial_cycles: None, request_id: Some(1) };
    let reused: R<Principal> = factory.update(backend(), "createContract", (stranger(), token_args("AAA"), other));
    assert!(matches!(reused, Err(FleetError::InvalidInput(_))), "{reused:?}");
    assert_eq!(factory.contracts_of(admin(), stranger()).total, 0);

    let nothing: R<Option<DeploymentRequestView>> = factory.query(backend(), "getDeploymentRequest", (2u64,));
    assert_eq!(nothing, Ok(None));
    let abandoned: R<Option<DeploymentRequestView>> = factory.update(backend(), "abandonDeploymentRequest", (2u64,));
    assert!(matches!(abandoned.unwrap().unwrap().state, DeploymentRequestState::Abandoned { .. }));
    let late = factory.create(backend(), "BBB", Some(2));
    assert_eq!(late, Err(FleetError::InvalidState("request 2 was abandoned".into())));
    // A caller off the whitelist learns nothing is there, and nothing is stored for it.
    let stranger_asks: R<Option<DeploymentRequestView>> =
        factory.update(stranger(), "abandonDeploymentRequest", (3u64,));
    assert_eq!(stranger_asks, Ok(None));
}

#[test]
fn inspect_message_refuses_anonymous_ingress_and_oversized_arguments() {
    let factory = Factory::ready();
    let options = DeployOptions { initial_cycles: None, request_id: None };
    let arg = candid::encode_args((owner(), token_args("AAA"), options)).unwrap();
    let anonymous = factory.pic.update_call(factory.id, Principal::anonymous(), "createContract", arg);
    assert!(anonymous.is_err(), "{anonymous:?}");
    // A well-typed beginUpload larger than its ingress limit (release notes plus post_upgrade argument plus the
    // rest): refused before it runs (without the filter the endpoint would reply).
    let begin = |notes: String| BeginUploadArgs {
        version: "2.0.0".into(),
        sha256: vec![0; 32],
        size: 10,
        chunk_size: None,
        release_notes: notes,
        upgrade: UpgradeMetadata::default(),
    };
    let huge = encode_one(begin("x".repeat(320 * 1024))).unwrap();
    let oversized = factory.pic.update_call(factory.id, release(), "beginUpload", huge);
    assert!(oversized.is_err(), "{oversized:?}");
    let normal = factory.pic.update_call(factory.id, release(), "beginUpload", encode_one(begin("ok".into())).unwrap());
    assert!(normal.is_ok(), "{normal:?}");
    assert!(factory.versions().iter().any(|(v, _)| v == "2.0.0"), "only the small one was applied");
}

#[test]
fn spoofed_callbacks_are_rejected() {
    let factory = Factory::ready();
    let id = factory.create(backend(), "AAA", None).unwrap();
    factory.settle(); // the contract's own confirmation lands first
    let before = factory.contract(id);
    assert_eq!(before.info.status, ContractStatus::Active);
    for caller in [stranger(), owner(), backend(), admin()] {
        let r: R<()> = factory.update(caller, "notifyDeploymentComplete", (id,));
        assert!(matches!(r, Err(FleetError::Unauthorized(_))), "{caller}: {r:?}");
        let r: R<()> = factory.update(caller, "notifyParticipantAdded", (id, stranger()));
        assert!(matches!(r, Err(FleetError::Unauthorized(_))));
        let r: R<()> = factory.update(caller, "notifyStatusChanged", (id, "Hacked".to_string()));
        assert!(matches!(r, Err(FleetError::Unauthorized(_))));
        let r: R<()> = factory.update(caller, "notifyVisibilityChanged", (id, false));
        assert!(matches!(r, Err(FleetError::Unauthorized(_))));
    }
    // A caller speaking for itself is refused too: it is not a deployed contract.
    let r: R<()> = factory.update(stranger(), "notifyStatusChanged", (stranger(), "x".to_string()));
    assert!(matches!(r, Err(FleetError::Unauthorized(_))));
    assert_eq!(factory.contract(id), before);
    assert_eq!(factory.contracts_of(admin(), stranger()).total, 0);
    let stats: FactoryStats = factory.query(admin(), "getStats", ());
    assert_eq!(stats.callbacks_rejected, 17);
}

#[test]
fn factory_upgrade_keeps_registry_contracts_and_indexes() {
    let factory = Factory::ready();
    let first = factory.create(backend(), "AAA", Some(7)).unwrap();
    factory.settle();
    let versions = factory.versions();
    let listed = factory.contracts_of(stranger(), owner());
    let details = factory.contract(first);
    let status: SetupStatus = factory.query(stranger(), "getSetupStatus", ());

    let arg = encode_one(None::<FactoryInitArgs>).unwrap();
    factory.pic.upgrade_canister(factory.id, canister_wasm("token_factory"), arg, Some(admin())).expect("upgrade");

    assert_eq!(factory.versions(), versions);
    assert_eq!(factory.contracts_of(stranger(), owner()), listed);
    assert_eq!(factory.contract(first), details);
    assert_eq!(factory.query::<SetupStatus>(stranger(), "getSetupStatus", ()), status);
    // The idempotency keys survived; new deployments still work from the kept registry.
    assert_eq!(factory.create(backend(), "AAA", Some(7)), Ok(first));
    let second = factory.create(backend(), "BBB", None).unwrap();
    assert_eq!(factory.contracts_of(stranger(), owner()).total, 2);
    assert_eq!(factory.contract(second).info.version, TOKEN_VERSION);
}

/// Benchmark, printed: instructions of `createContract` on the factory side (all its executions, from the
/// factory's own call-context counter), and of `getMyContracts` in a factory holding 10,000 contracts (state built
/// natively with the engine and loaded as the canister's stable memory). Run with `--nocapture` to see the numbers.
#[cfg(not(feature = "pocket-ic"))]
#[test]
fn factory_instruction_counts() {
    use factory_engine::contracts::NewContract;
    use factory_engine::ic_stable_structures::VectorMemory;

    let factory = Factory::ready();
    factory.create(backend(), "AAA", None).unwrap();
    let stats: FactoryStats = factory.query(admin(), "getStats", ());
    println!(
        "createContract (factory side, token wasm {} bytes): {} instructions",
        released_token_wasm().len(),
        stats.last_deploy_instructions
    );
    assert!(stats.last_deploy_instructions > 0);

    // 10,000 contracts: a whale owning 5,000 (one in ten private) and 50 users owning 100 each.
    let memory = VectorMemory::default();
    let mut state = factory_engine::Factory::open(memory.clone(), fleet_api::ContractKind::Token);
    state.migrate().unwrap();
    let whale = principal("whale");
    let users: Vec<Principal> = (0..50).map(|i| principal(&format!("user-{i}"))).collect();
    for i in 0..10_000u64 {
        let owner = if i < 5_000 { whale } else { users[(i % 50) as usize] };
        let id = Principal::from_slice(&[0, 0, 0, 0, 1, (i >> 16) as u8, (i >> 8) as u8, i as u8, 1, 1]);
        let record = NewContract {
            id,
            owner,
            version: TOKEN_VERSION.into(),
            module_hash: vec![0xAB; 32],
            created_at: i,
            confirmed_at: Some(i),
            is_public: i % 10 != 0,
            name: format!("T{i} token (T{i})"),
            participants: vec![],
        };
        state.contracts.insert(record).unwrap();
    }
    drop(state);
    let bytes = memory.borrow().clone();
    factory.pic.set_stable_memory(factory.id, bytes, ic::BlobCompression::NoCompression);
    let arg = encode_one(None::<FactoryInitArgs>).unwrap();
    factory.pic.upgrade_canister(factory.id, canister_wasm("token_factory"), arg, Some(admin())).expect("reload state");

    let measure = |viewer: Principal, user: Principal, offset: u64| {
        let page: Page<ContractInfo> = factory.query(viewer, "getMyContracts", (user, PageRequest::new(offset, 50)));
        (page.items.len(), page.total, factory.pic.instructions_used(factory.id))
    };
    for (label, viewer, user, offset) in [
        ("whale's own first page (5,000 contracts)", whale, whale, 0),
        ("whale's own page at offset 4,900", whale, whale, 4_900),
        ("whale seen by a stranger (public only)", stranger(), whale, 0),
        ("a user with 100 contracts", users[0], users[0], 0),
    ] {
        let (items, total, instructions) = measure(viewer, user, offset);
        println!("getMyContracts, 10,000 contracts in the factory, {label}: {items} of {total} items, {instructions} instructions");
        assert!(items > 0 && instructions > 0);
    }
}
