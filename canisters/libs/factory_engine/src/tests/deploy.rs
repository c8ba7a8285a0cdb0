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
    assert_eq!(canister.controllers_at_install, vec![env.rt.self_id], "the owner controls nothing before the install");
    assert_eq!(canister.controllers, vec![env.rt.self_id, alice()]);
    assert_eq!(canister.cycles, FactoryConfig::default().default_initial_cycles);
    let init: ContractInit<TestArgs> = candid::decode_one(&canister.init_arg.unwrap()).unwrap();
    assert_eq!(
        init,
        ContractInit { factory: Some(env.rt.self_id), owner: alice(), version: "1.0.0".into(), args: args("AAA") }
    );
    assert_eq!(env.rt.calls(), vec!["create_canister", "install_code", "update_settings"]);

    let f = env.factory.borrow();
    let record = f.contracts.get(&id).unwrap();
    let module = canister.module.unwrap();
    assert_eq!(record.module_hash.to_vec(), Sha256::digest(&module).to_vec());
    assert_eq!((record.owner, record.version.as_str(), record.status), (alice(), "1.0.0", ContractStatus::Deploying));
    assert_eq!(f.contracts_of(&nobody(), alice(), PageRequest::default()).items[0].id, id);
    assert_eq!(f.registry.get("1.0.0").unwrap().deployments, 1);
    assert_eq!(f.stats().deployments_succeeded, 1);
    assert_eq!(f.stats().last_deploy_instructions, 3, "the fake counts one instruction per call");
    assert_eq!(f.inflight.pending_count(), 0);
}

#[test]
fn large_module_is_installed_from_chunks_and_the_store_is_cleared() {
    let env = Env::new().with_version("1.0.0", 1_500_000);
    let id = env.deploy(backend(), alice(), args("BIG"), DeployOptions::default()).unwrap();
    let calls = env.rt.calls();
    assert_eq!(calls.iter().filter(|c| **c == "upload_chunk").count(), 6, "{calls:?}");
    assert_eq!(calls[calls.len() - 3..], ["install_chunked_code", "clear_chunk_store", "update_settings"]);
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
fn a_failed_install_or_hand_over_keeps_the_emptied_canister_and_the_next_deployment_reuses_it() {
    let cases = [
        (100, Step::Install),
        (1_500_000, Step::UploadChunk),
        (1_500_000, Step::InstallChunked),
        (100, Step::UpdateSettings),
    ];
    for (size, step) in cases {
        let env = Env::new().with_version("1.0.0", size);
        env.rt.fail_at(step);
        let result = env.deploy(backend(), alice(), args("X"), DeployOptions::default());
        assert!(matches!(result, Err(FleetError::CallFailed { .. })), "{step:?}: {result:?}");
        let spare = deployed(&env)[0];
        let kept = env.rt.canister(&spare).unwrap();
        assert_eq!((kept.module, kept.chunk_store.len()), (None, 0), "{step:?}: the canister is emptied");
        assert_eq!(kept.controllers, vec![env.rt.self_id], "{step:?}: the owner never got it");
        assert_eq!(env.rt.calls().last(), Some(&"uninstall_code"));
        {
            let f = env.factory.borrow();
            assert!(f.contracts.is_empty());
            assert_eq!((f.inflight.pending_count(), f.spares.len()), (0, 1));
            assert_eq!(f.contracts_of(&controller(), alice(), PageRequest::default()).total, 0);
        }

        env.rt.heal();
        env.rt.calls.borrow_mut().clear();
        let balance = env.rt.balance.get();
        let id = env.deploy(backend(), alice(), args("X"), DeployOptions::default()).unwrap();
        assert_eq!(id, spare, "{step:?}: the spare is reused");
        assert!(!env.rt.calls().contains(&"create_canister"), "{step:?}: {:?}", env.rt.calls());
        assert_eq!(env.rt.calls()[0], "canister_status");
        assert_eq!(env.rt.balance.get(), balance, "{step:?}: no creation fee, no new cycles");
        assert_eq!(env.rt.canister(&id).unwrap().controllers, vec![env.rt.self_id, alice()]);
        assert_eq!(env.factory.borrow().spares.len(), 0);
    }
}

#[test]
fn a_spare_with_fewer_cycles_is_topped_up_and_one_that_is_not_empty_is_discarded() {
    let env = Env::new().with_version("1.0.0", 100);
    env.rt.fail_at(Step::Install);
    env.deploy(backend(), alice(), args("X"), DeployOptions::default()).unwrap_err();
    env.rt.heal();
    let spare = deployed(&env)[0];
    env.rt.canisters.borrow_mut().get_mut(&spare).unwrap().cycles = 100;
    let id = env.deploy(backend(), alice(), args("X"), DeployOptions::default()).unwrap();
    assert_eq!(id, spare);
    assert!(env.rt.calls().contains(&"deposit_cycles"));
    assert_eq!(env.rt.canister(&id).unwrap().cycles, FactoryConfig::default().default_initial_cycles);

    // A spare someone else also controls is not reused: dropped from the pool, a new canister is created.
    env.rt.fail_at(Step::Install);
    env.deploy(backend(), alice(), args("Y"), DeployOptions::default()).unwrap_err();
    env.rt.heal();
    let second = *deployed(&env).iter().find(|c| **c != id).unwrap();
    env.rt.canisters.borrow_mut().get_mut(&second).unwrap().controllers.push(bob());
    let fresh = env.deploy(backend(), alice(), args("Y"), DeployOptions::default()).unwrap();
    assert!(fresh != second && fresh != id);
    let f = env.factory.borrow();
    assert_eq!(f.spares.len(), 0);
    let events = f.events_page(&controller(), PageRequest::default()).unwrap();
    let discarded = |e: &crate::events::Event| matches!(e.kind, crate::events::EventKind::SpareDiscarded { canister, .. } if canister == second);
    assert!(events.items.iter().any(discarded));
}

#[test]
fn initial_cycles_below_the_floor_are_refused_before_anything_is_spent() {
    let env = Env::new().with_version("1.0.0", 100);
    let size = env.factory.borrow().registry.default_version().unwrap().size;
    let floor = crate::cycles_floor::min_initial_cycles(size);
    let poor = DeployOptions { initial_cycles: Some((floor - 1).into()), request_id: Some(3) };
    let refused = env.deploy(backend(), alice(), args("X"), poor);
    assert!(matches!(&refused, Err(FleetError::InvalidInput(m)) if m.contains(&floor.to_string())), "{refused:?}");
    assert!(env.rt.calls().is_empty());
    assert_eq!(env.factory.borrow().inflight.request(backend().principal, 3), None, "the key stays free");
    let enough = DeployOptions { initial_cycles: Some(floor.into()), request_id: Some(3) };
    assert!(env.deploy(backend(), alice(), args("X"), enough).is_ok());
    // The config's default may not be below the floor either.
    let low = FactoryConfig { default_initial_cycles: 200_000_000, ..FactoryConfig::default() };
    let set = env.factory.borrow_mut().set_config(&controller(), 1, low);
    assert!(matches!(set, Err(FleetError::InvalidInput(_))), "{set:?}");
}

#[test]
fn failed_clean_up_is_kept_as_an_orphaned_deployment() {
    for failed in [Step::Install, Step::UpdateSettings] {
        let env = Env::new().with_version("1.0.0", 100);
        env.rt.fail_at(failed);
        env.rt.fail_at(Step::Uninstall);
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
    let again = env.deploy(backend(), alice(), args("X"), options.clone()).unwrap();
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

#[test]
fn too_many_initial_participants_are_refused_before_a_canister_exists() {
    let env = Env::new().with_version("1.0.0", 1000);
    let signers = (0..=crate::contracts::MAX_PARTICIPANTS).map(|i| Principal::from_slice(&i.to_be_bytes())).collect();
    let crowded = TestArgs { name: "Crowded".into(), signers, public: false };
    let refused = env.deploy(backend(), alice(), crowded, DeployOptions::default());
    assert!(matches!(refused, Err(FleetError::InvalidInput(_))), "{refused:?}");
    assert!(env.rt.calls().is_empty(), "a canister was created: {:?}", env.rt.calls());
    assert!(deployed(&env).is_empty());
}
