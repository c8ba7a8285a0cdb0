use super::*;
use crate::api::DeployStage;
use crate::testing::{run_interleaved, Step};
use fleet_api::{ContractInit, ContractStatus, PageRequest};

fn deployed(env: &Env) -> Vec<Principal> {
    env.rt.canisters.borrow().keys().copied().collect()
}

#[test]
fn deploys_with_controllers_factory_and_owner_and_the_init_argument() {
    let env = Env::new().with_version("1.0.0", 1000);
    let id = env.deploy(backend(), alice(), args("AAA"), DeployOptions::default()).unwrap();

    let canister = env.rt.canister(&id).unwrap();
    assert_eq!(canister.controllers, vec![env.rt.self_id, alice()]);
    assert_eq!(canister.cycles, FactoryConfig::default().default_initial_cycles);
    let init: ContractInit<TestArgs> = candid::decode_one(&canister.init_arg.unwrap()).unwrap();
    assert_eq!(
        init,
        ContractInit { factory: Some(env.rt.self_id), owner: alice(), version: "1.0.0".into(), args: args("AAA") }
    );
    assert_eq!(env.rt.calls(), vec!["create_canister", "install_code"]);

    let f = env.factory.borrow();
    let record = f.contracts.get(&id).unwrap();
    let module = canister.module.unwrap();
    assert_eq!(record.module_hash.to_vec(), Sha256::digest(&module).to_vec());
    assert_eq!((record.owner, record.version.as_str(), record.status), (alice(), "1.0.0", ContractStatus::Deploying));
    assert_eq!(f.contracts_of(&nobody(), alice(), PageRequest::default()).items[0].id, id);
    assert_eq!(f.registry.get("1.0.0").unwrap().deployments, 1);
    assert_eq!(f.stats().deployments_succeeded, 1);
    assert_eq!(f.stats().last_deploy_instructions, 2, "the fake counts one instruction per call");
    assert_eq!(f.inflight.pending_count(), 0);
}

#[test]
fn large_module_is_installed_from_chunks_and_the_store_is_cleared() {
    let env = Env::new().with_version("1.0.0", 1_500_000);
    let id = env.deploy(backend(), alice(), args("BIG"), DeployOptions::default()).unwrap();
    let calls = env.rt.calls();
    assert_eq!(calls.iter().filter(|c| **c == "upload_chunk").count(), 6, "{calls:?}");
    assert_eq!(calls[calls.len() - 2..], ["install_chunked_code", "clear_chunk_store"]);
    let canister = env.rt.canister(&id).unwrap();
    assert!(canister.chunk_store.is_empty());
    let f = env.factory.borrow();
    let record = f.registry.record("1.0.0").unwrap();
    assert_eq!(canister.module.unwrap(), f.registry.module_bytes(&record).unwrap());
}

#[test]
fn only_the_whitelist_deploys_and_bad_input_creates_nothing() {
    let env = Env::new().with_version("1.0.0", 100);
    let denied = env.deploy(nobody(), alice(), args("X"), DeployOptions::default());
    assert!(matches!(denied, Err(FleetError::Unauthorized(_))));
    // Controllers are admins, not deployers: deployments go through the backend.
    assert!(matches!(
        env.deploy(controller(), alice(), args("X"), DeployOptions::default()),
        Err(FleetError::Unauthorized(_))
    ));
    assert!(matches!(
        env.deploy(backend(), alice(), args(""), DeployOptions::default()),
        Err(FleetError::InvalidInput(_))
    ));
    let anonymous = env.deploy(backend(), Principal::anonymous(), args("X"), DeployOptions::default());
    assert!(matches!(anonymous, Err(FleetError::InvalidInput(_))));
    let greedy = DeployOptions {
        initial_cycles: Some((FactoryConfig::default().max_initial_cycles + 1).into()),
        request_id: None,
    };
    assert!(matches!(env.deploy(backend(), alice(), args("X"), greedy), Err(FleetError::InvalidInput(_))));
    env.rt.balance.set(1_000);
    assert!(matches!(
        env.deploy(backend(), alice(), args("X"), DeployOptions::default()),
        Err(FleetError::InvalidState(_))
    ));
    assert!(env.rt.calls().is_empty());
}

#[test]
fn no_published_version_is_a_configuration_error() {
    let env = Env::new();
    let result = env.deploy(backend(), alice(), args("X"), DeployOptions::default());
    assert!(matches!(result, Err(FleetError::ServiceNotConfigured(_))));
}

#[test]
fn initial_cycles_option_overrides_the_default() {
    let env = Env::new().with_version("1.0.0", 100);
    let options = DeployOptions { initial_cycles: Some(3_000_000_000_000u128.into()), request_id: None };
    let id = env.deploy(backend(), alice(), args("X"), options).unwrap();
    assert_eq!(env.rt.canister(&id).unwrap().cycles, 3_000_000_000_000);
}

#[test]
fn create_failure_leaves_nothing_behind() {
    let env = Env::new().with_version("1.0.0", 100);
    env.rt.fail_at(Step::Create);
    let result = env.deploy(backend(), alice(), args("X"), DeployOptions::default());
    assert!(matches!(result, Err(FleetError::CallFailed { method, .. }) if method == "create_canister"));
    let f = env.factory.borrow();
    assert!(f.contracts.is_empty());
    assert_eq!((f.stats().deployments_failed, f.inflight.pending_count()), (1, 0));
}

#[test]
fn install_failure_stops_and_deletes_the_canister() {
    for (size, step) in [(100, Step::Install), (1_500_000, Step::UploadChunk), (1_500_000, Step::InstallChunked)] {
        let env = Env::new().with_version("1.0.0", size);
        env.rt.fail_at(step);
        let result = env.deploy(backend(), alice(), args("X"), DeployOptions::default());
        assert!(matches!(result, Err(FleetError::CallFailed { .. })), "{step:?}: {result:?}");
        assert!(deployed(&env).is_empty(), "{step:?}: canister left behind");
        assert_eq!(env.rt.calls()[env.rt.calls().len() - 2..], ["stop_canister", "delete_canister"]);
        let f = env.factory.borrow();
        assert!(f.contracts.is_empty());
        assert_eq!(f.inflight.pending_count(), 0);
        assert_eq!(f.contracts_of(&controller(), alice(), PageRequest::default()).total, 0);
    }
}

#[test]
fn failed_clean_up_is_kept_as_an_orphaned_deployment() {
    for cleanup in [Step::Stop, Step::Delete] {
        let env = Env::new().with_version("1.0.0", 100);
        env.rt.fail_at(Step::Install);
        env.rt.fail_at(cleanup);
        let result =
            env.deploy(backend(), alice(), args("X"), DeployOptions { request_id: Some(7), ..Default::default() });
        assert!(matches!(result, Err(FleetError::CallFailed { .. })));
        let canister = deployed(&env)[0];
        let mut f = env.factory.borrow_mut();
        let pending = f.pending_deployments(&controller(), PageRequest::default()).unwrap();
        assert_eq!(pending.items.len(), 1);
        let orphan = &pending.items[0];
        assert_eq!((orphan.stage, orphan.canister), (DeployStage::Orphaned, Some(canister)));
        assert!(orphan.last_error.as_deref().unwrap().contains("clean-up failed"));
        assert_eq!(f.stats().orphaned_canisters, 1);
        assert!(!f.health(vitals(u128::MAX)).healthy);
        assert!(matches!(f.clear_pending_deployment(&nobody(), 1, orphan.id), Err(FleetError::Unauthorized(_))));
        f.clear_pending_deployment(&controller(), 1, orphan.id).unwrap();
        assert_eq!(f.stats().orphaned_canisters, 0);
    }
}

#[test]
fn failing_to_clear_the_chunk_store_does_not_fail_a_good_deployment() {
    let env = Env::new().with_version("1.0.0", 1_500_000);
    env.rt.fail_at(Step::ClearChunkStore);
    let id = env.deploy(backend(), alice(), args("X"), DeployOptions::default()).unwrap();
    assert!(env.factory.borrow().contracts.contains(&id));
    let events = env.factory.borrow().events_page(&controller(), PageRequest::default()).unwrap();
    assert!(events.items.iter().any(|e| matches!(e.kind, crate::events::EventKind::ChunkStoreNotCleared { .. })));
}

#[test]
fn a_repeated_request_returns_the_first_result() {
    let env = Env::new().with_version("1.0.0", 100);
    let options = DeployOptions { request_id: Some(42), initial_cycles: None };
    let first = env.deploy(backend(), alice(), args("X"), options.clone()).unwrap();
    let again = env.deploy(backend(), alice(), args("Y"), options.clone()).unwrap();
    assert_eq!(first, again);
    assert_eq!(deployed(&env).len(), 1);

    // A failed request replays its failure too: the backend has refunded it.
    env.rt.fail_at(Step::Create);
    let failed = env.deploy(backend(), alice(), args("X"), DeployOptions { request_id: Some(43), ..options.clone() });
    env.rt.heal();
    let replayed = env.deploy(backend(), alice(), args("X"), DeployOptions { request_id: Some(43), ..options });
    assert_eq!(failed, replayed);
    assert_eq!(deployed(&env).len(), 1);
}

#[test]
fn a_concurrent_duplicate_gets_already_in_progress() {
    let env = Env::new().with_version("1.0.0", 100);
    let options = DeployOptions { request_id: Some(1), initial_cycles: None };
    env.rt.pause_at(Step::Create);
    let first = crate::deploy::create_contract::<TestKind, _, _>(
        &env.rt,
        &env.factory,
        backend(),
        alice(),
        args("X"),
        options.clone(),
    );
    let (first, duplicate) = run_interleaved(first, || env.deploy(backend(), alice(), args("X"), options.clone()));
    assert_eq!(duplicate, Err(FleetError::AlreadyInProgress));
    assert!(first.is_ok());
    assert_eq!(deployed(&env).len(), 1);
}

#[test]
fn confirmation_arriving_before_the_install_returns_makes_the_contract_active() {
    let env = Env::new().with_version("1.0.0", 100);
    env.rt.pause_at(Step::Install);
    let future = crate::deploy::create_contract::<TestKind, _, _>(
        &env.rt,
        &env.factory,
        backend(),
        alice(),
        args("X"),
        DeployOptions::default(),
    );
    let (result, early) = run_interleaved(future, || {
        let canister = deployed(&env)[0];
        env.factory.borrow_mut().notify_deployment_complete(canister, canister, 77)
    });
    assert_eq!(early, Ok(()));
    let id = result.unwrap();
    assert_eq!(env.factory.borrow().contracts.get(&id).unwrap().status, ContractStatus::Active);
}

#[test]
fn initial_participants_and_visibility_come_from_the_kind() {
    let env = Env::new().with_version("1.0.0", 100);
    let private = TestArgs { name: "MS".into(), signers: vec![bob()], public: false };
    let id = env.deploy(backend(), alice(), private, DeployOptions::default()).unwrap();
    let f = env.factory.borrow();
    let bob_caller = Caller::new(bob(), false);
    assert_eq!(f.contracts_of(&bob_caller, bob(), PageRequest::default()).items[0].id, id);
    assert_eq!(f.contracts_of(&nobody(), bob(), PageRequest::default()).total, 0);
    assert_eq!(f.contracts_of(&nobody(), alice(), PageRequest::default()).total, 0);
    assert_eq!(f.contracts_of(&controller(), alice(), PageRequest::default()).total, 1);
}

pub fn vitals(cycles: u128) -> crate::views::Vitals {
    crate::views::Vitals { canister_id: p(250), cycles, memory_bytes: 1, now: 1, code_version: "0.1.0".into() }
}
