//! The step machine on the fake runtime: a clean upgrade, each fault kind, a fault at every await, and the
//! factory's own upgrade (its futures dropped, the state reopened from the same memory) at every await.

use candid::Principal;
use fleet_api::{ContractStatus, DeployOptions, UpgradePolicy};

use crate::testing::{block_on, interrupt, Step, UPGRADE_STEPS};
use crate::tests::{alice, args, backend, Env};
use crate::upgrade::api::TaskState;
use crate::upgrade::machine::run_task;
use crate::upgrade::owner::{restore_my_contract, upgrade_my_contract};
use crate::Caller;

pub const STATE: &[u8] = b"balances and allowances";

pub struct Upgradable {
    pub env: Env,
    pub contract: Principal,
    pub v1: Vec<u8>,
    pub v2: Vec<u8>,
}

/// A contract deployed at 1.0.0 (holding `STATE`), then 1.1.0 published.
pub fn upgradable() -> Upgradable {
    let env = Env::new();
    let v1 = env.publish("1.0.0", 2_000).unwrap();
    let contract = env.deploy(backend(), alice(), args("t"), DeployOptions::default()).unwrap();
    let v2 = env.publish("1.1.0", 2_000).unwrap();
    for (module, version) in [(&v1, "1.0.0"), (&v2, "1.1.0")] {
        env.rt.module_versions.borrow_mut().insert(module.clone(), version.into());
    }
    env.rt.canisters.borrow_mut().get_mut(&contract).unwrap().state = STATE.to_vec();
    Upgradable { env, contract, v1, v2 }
}

pub fn owner() -> Caller {
    Caller::new(alice(), false)
}

/// Runs scheduler ticks (3 s apart) until nothing is left to do.
pub fn drive(env: &Env) {
    for _ in 0..200 {
        env.rt.now.set(env.rt.now.get() + 3_000_000_000);
        let plan = env.factory.borrow_mut().plan_tick(env.rt.now.get(), env.rt.self_id, &|| false);
        for id in plan.run {
            block_on(run_task(&env.rt, &env.factory, id));
        }
        for contract in plan.unstick {
            let _ = block_on(crate::Runtime::start_canister(&env.rt, contract));
        }
        if !env.factory.borrow().upgrades_pending() {
            return;
        }
    }
    panic!("the scheduler never settled");
}

/// What must hold after any upgrade, whatever failed: running, on the old or the new module with its state, the
/// record matching the module, the task settled.
pub fn assert_settled(u: &Upgradable, task: u64) -> TaskState {
    let canister = u.env.rt.canister(&u.contract).unwrap();
    assert!(!canister.stopped, "the contract is left stopped");
    assert_eq!(canister.state, STATE, "the contract's state changed");
    let module = canister.module.clone().unwrap();
    assert!(module == u.v1 || module == u.v2, "an unknown module is installed");
    let f = u.env.factory.borrow();
    let record = f.contracts.get(&u.contract).unwrap();
    let expected = if module == u.v1 { "1.0.0" } else { "1.1.0" };
    assert_eq!(record.version, expected, "the record does not match the installed module");
    let task = f.upgrades.task(task).unwrap();
    assert!(task.state.is_terminal(), "task left {:?}", task.state);
    assert!(f.upgrades.contract_info(&u.contract).busy_with.is_none(), "the contract stays locked");
    task.state
}

#[test]
fn an_owner_upgrade_stops_snapshots_installs_starts_and_verifies() {
    let u = upgradable();
    let view = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    assert_eq!(view.state, TaskState::Done);
    assert_eq!(view.path, ["1.1.0"]);
    assert_eq!(assert_settled(&u, view.id), TaskState::Done);
    assert_eq!(u.env.rt.canister(&u.contract).unwrap().module.unwrap(), u.v2);
    assert_eq!(u.env.rt.canister(&u.contract).unwrap().snapshots.len(), 1);
    let calls = u.env.rt.calls();
    let order: Vec<&str> = calls.iter().copied().skip_while(|c| *c != "stop_canister").collect();
    // The straight path: no listing before the snapshot, no status read after the start (the replies proved it).
    assert_eq!(
        &order[..5],
        ["stop_canister", "take_canister_snapshot", "install_code(upgrade)", "start_canister", "health"]
    );
    assert!(!order.contains(&"canister_status") && !order.contains(&"list_canister_snapshots"), "{order:?}");
    // The journal has every transition.
    let journal =
        u.env.factory.borrow().upgrades.journal_page(
            &crate::upgrade::api::JournalFilter::Contract(u.contract),
            fleet_api::PageRequest::new(0, 50),
        );
    assert_eq!(journal.items.first().map(|e| e.to), Some(TaskState::Done));
    assert!(journal.total >= 6, "{journal:?}");
}

#[test]
fn a_snapshot_the_owner_deleted_is_not_replaced_the_contracts_snapshots_are_listed_and_a_new_one_taken() {
    let u = upgradable();
    block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    // The owner (a controller) deletes the factory's snapshot; then 1.2.0 comes out.
    u.env.rt.canisters.borrow_mut().get_mut(&u.contract).unwrap().snapshots.clear();
    let v3 = u.env.publish("1.2.0", 2_000).unwrap();
    u.env.rt.module_versions.borrow_mut().insert(v3.clone(), "1.2.0".into());
    let first = u.env.rt.calls().len();
    let view = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    assert_eq!(view.state, TaskState::Done, "{view:?}");
    let calls = u.env.rt.calls()[first..].to_vec();
    let order: Vec<&str> = calls.into_iter().skip_while(|c| *c != "stop_canister").take(4).collect();
    assert_eq!(order, ["stop_canister", "take_canister_snapshot", "list_canister_snapshots", "take_canister_snapshot"]);
    assert_eq!(u.env.rt.canister(&u.contract).unwrap().snapshots.len(), 1);
    let f = u.env.factory.borrow();
    let known = f.upgrades.contract_info(&u.contract).last_snapshot.unwrap();
    assert_eq!(u.env.rt.canister(&u.contract).unwrap().snapshots[0].0, known.id.to_vec(), "the new one is recorded");
}

#[test]
fn a_verification_resumed_after_the_factorys_upgrade_reads_the_facts_again() {
    let u = upgradable();
    u.env.rt.migrating.borrow_mut().insert(u.contract);
    let view = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    assert_eq!(view.state, TaskState::Verifying, "{view:?}");
    // The factory's own upgrade: the heap (and what its replies proved) is gone.
    u.env.upgrade();
    u.env.rt.migrating.borrow_mut().clear();
    let first = u.env.rt.calls().len();
    drive(&u.env);
    assert_eq!(assert_settled(&u, view.id), TaskState::Done);
    let calls = u.env.rt.calls()[first..].to_vec();
    assert!(calls.contains(&"canister_status"), "a resumed verification reads the module hash: {calls:?}");
}

#[test]
fn only_the_owner_may_upgrade_and_a_second_upgrade_finds_nothing_newer() {
    let u = upgradable();
    let stranger = Caller::new(Principal::from_slice(&[77; 29]), false);
    let refused = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, stranger, u.contract, None));
    assert!(matches!(refused, Err(fleet_api::FleetError::Unauthorized(_))), "{refused:?}");
    let downgrade = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, Some("0.9.0".into())));
    assert!(downgrade.is_err());
    block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    let again = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None));
    assert!(matches!(again, Err(fleet_api::FleetError::InvalidInput(_))), "{again:?}");
}

#[test]
fn a_trapping_post_upgrade_is_rolled_back_to_the_exact_state() {
    let u = upgradable();
    u.env.rt.trapping_modules.borrow_mut().insert(u.v2.clone());
    let view = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    assert_eq!(view.state, TaskState::RolledBack, "{view:?}");
    assert!(view.reason.unwrap().contains("post_upgrade"));
    assert_eq!(assert_settled(&u, view.id), TaskState::RolledBack);
    assert_eq!(u.env.rt.canister(&u.contract).unwrap().module.unwrap(), u.v1);
}

#[test]
fn a_failed_snapshot_load_still_starts_the_contract_and_reports_both_errors() {
    let u = upgradable();
    u.env.rt.unhealthy.borrow_mut().insert(u.contract);
    u.env.rt.fail_at(Step::LoadSnapshot);
    let view = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    // Unhealthy: waits for the grace period, then rolls back; the load fails.
    assert_eq!(view.state, TaskState::Verifying);
    u.env.rt.now.set(u.env.rt.now.get() + crate::upgrade::machine::VERIFY_GRACE_NS);
    drive(&u.env);
    let task = u.env.factory.borrow().upgrades.task(view.id).unwrap();
    assert_eq!(task.state, TaskState::Failed);
    assert!(!u.env.rt.canister(&u.contract).unwrap().stopped);
    let journal = u
        .env
        .factory
        .borrow()
        .upgrades
        .journal_page(&crate::upgrade::api::JournalFilter::Contract(u.contract), fleet_api::PageRequest::new(0, 1));
    let detail = &journal.items[0].detail;
    assert!(detail.contains("health") && detail.contains("loading the snapshot failed"), "{detail}");
}

#[test]
fn an_owner_who_removed_the_factory_gets_a_detached_contract() {
    let u = upgradable();
    u.env.rt.canisters.borrow_mut().get_mut(&u.contract).unwrap().controllers = vec![alice()];
    let view = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    assert_eq!(view.state, TaskState::Skipped);
    assert!(view.reason.unwrap().starts_with("Detached"));
    let f = u.env.factory.borrow();
    assert_eq!(f.contracts.get(&u.contract).unwrap().status, ContractStatus::Detached);
    drop(f);
    let again = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None));
    assert!(matches!(again, Err(fleet_api::FleetError::InvalidState(_))), "a detached contract is never touched");
}

#[test]
fn a_contract_low_on_cycles_is_topped_up_once() {
    let u = upgradable();
    u.env.rt.canisters.borrow_mut().get_mut(&u.contract).unwrap().cycles = 100_000_000_000;
    let before = u.env.rt.balance.get();
    let view = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    assert_eq!(view.state, TaskState::Done);
    assert!(view.cycles_topped_up > 0);
    assert_eq!(before - u.env.rt.balance.get(), view.cycles_topped_up, "given exactly once");
}

#[test]
fn a_fault_at_every_await_leaves_the_contract_running_on_one_version() {
    for step in UPGRADE_STEPS {
        let u = upgradable();
        u.env.rt.fail_once_at(step);
        let view = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
        drive(&u.env);
        let state = assert_settled(&u, view.id);
        assert!(matches!(state, TaskState::Done | TaskState::RolledBack | TaskState::Failed), "{step:?}: {state:?}");
    }
}

#[test]
fn a_factory_upgrade_at_every_await_resumes_and_finishes() {
    for step in UPGRADE_STEPS {
        for after in [false, true] {
            let u = upgradable();
            u.env.rt.canisters.borrow_mut().get_mut(&u.contract).unwrap().cycles = 100_000_000_000;
            let before = u.env.rt.balance.get();
            if after {
                u.env.rt.pause_after(step);
            } else {
                u.env.rt.pause_at(step);
            }
            let id = u
                .env
                .factory
                .borrow_mut()
                .prepare_owner_upgrade(&owner(), u.env.rt.now.get(), u.contract, None)
                .unwrap();
            interrupt(run_task(&u.env.rt, &u.env.factory, id));
            // The factory is upgraded: every future is gone, the state is reopened from stable memory.
            u.env.upgrade();
            drive(&u.env);
            let state = assert_settled(&u, id);
            assert_eq!(state, TaskState::Done, "{step:?} (after: {after}) did not finish");
            let task = u.env.factory.borrow().upgrades.task(id).unwrap();
            assert_eq!(before - u.env.rt.balance.get(), task.cycles_topped_up, "{step:?}: cycles given twice");
            assert!(u.env.rt.canister(&u.contract).unwrap().snapshots.len() <= 2, "{step:?}: snapshots leak");
        }
    }
}

#[test]
fn restore_puts_back_the_pre_upgrade_snapshot_and_its_version() {
    let u = upgradable();
    block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    u.env.rt.canisters.borrow_mut().get_mut(&u.contract).unwrap().state = b"changed by 1.1.0".to_vec();
    let view = block_on(restore_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract)).unwrap();
    assert_eq!(view.state, TaskState::RolledBack, "{view:?}");
    assert_settled(&u, view.id);
    assert_eq!(u.env.factory.borrow().contracts.get(&u.contract).unwrap().version, "1.0.0");
    assert_eq!(u.env.factory.borrow().contracts.get(&u.contract).unwrap().upgrade_policy, UpgradePolicy::Manual);
}

#[test]
fn a_contract_still_migrating_is_waited_for_past_the_ordinary_grace() {
    let u = upgradable();
    u.env.rt.migrating.borrow_mut().insert(u.contract);
    let view = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None)).unwrap();
    assert_eq!(view.state, TaskState::Verifying);
    u.env.rt.now.set(u.env.rt.now.get() + 2 * crate::upgrade::machine::VERIFY_GRACE_NS);
    let tick = u.env.factory.borrow_mut().plan_tick(u.env.rt.now.get(), u.env.rt.self_id, &|| false);
    for id in tick.run {
        block_on(run_task(&u.env.rt, &u.env.factory, id));
    }
    assert_eq!(u.env.factory.borrow().upgrades.task(view.id).unwrap().state, TaskState::Verifying, "not rolled back");
    u.env.rt.migrating.borrow_mut().clear();
    drive(&u.env);
    assert_eq!(assert_settled(&u, view.id), TaskState::Done);
    assert_eq!(u.env.rt.canister(&u.contract).unwrap().module.unwrap(), u.v2);
}

#[test]
fn a_tick_over_its_instruction_budget_considers_no_more_contracts() {
    let u = upgradable();
    u.env.factory.borrow_mut().set_upgrade_policy(&owner(), 1, u.contract, UpgradePolicy::Auto).unwrap();
    let plan = crate::upgrade::api::RolloutPlan {
        target_version: "1.1.0".into(),
        selector: crate::upgrade::api::RolloutSelector::AllEligible,
        batch_size: 10,
        max_concurrency: 5,
        failure_budget: 1,
        snapshot: None,
        stop_timeout_seconds: None,
        cycles_floor: None,
        top_up_cap: None,
    };
    let id = u.env.factory.borrow_mut().start_rollout(&crate::tests::releaser(), 1, plan).unwrap().id;
    let spent = u.env.factory.borrow_mut().plan_tick(u.env.rt.now.get(), u.env.rt.self_id, &|| true);
    assert!(spent.run.is_empty());
    assert_eq!(u.env.factory.borrow().rollout_view(id).unwrap().considered, 0);
    drive(&u.env);
    assert_eq!(u.env.factory.borrow().rollout_view(id).unwrap().counts.done, 1, "the next ticks go on");
}

#[test]
fn a_module_above_the_message_limit_is_upgraded_from_the_contracts_chunk_store() {
    let env = Env::new();
    let v1 = env.publish("1.0.0", 2_000).unwrap();
    let contract = env.deploy(backend(), alice(), args("t"), DeployOptions::default()).unwrap();
    // Above the factory's chunked_install_threshold (1,000,000 in this test factory).
    let v2 = env.publish("1.1.0", 1_100_000).unwrap();
    env.rt.module_versions.borrow_mut().insert(v1.clone(), "1.0.0".into());
    env.rt.module_versions.borrow_mut().insert(v2.clone(), "1.1.0".into());
    let view = block_on(upgrade_my_contract(&env.rt, &env.factory, owner(), contract, None)).unwrap();
    assert_eq!(view.state, TaskState::Done, "{view:?}");
    let canister = env.rt.canister(&contract).unwrap();
    assert_eq!(canister.module.unwrap(), v2);
    assert!(canister.chunk_store.is_empty(), "the chunks are cleared after the install");
    let calls = env.rt.calls();
    assert!(calls.contains(&"install_chunked_code(upgrade)") && !calls.contains(&"install_code(upgrade)"), "{calls:?}");
}

#[test]
fn every_owner_and_operator_endpoint_refuses_strangers_and_bad_input_and_changes_nothing() {
    use crate::upgrade::api::JournalFilter;
    use crate::upgrade::owner::release_contract;
    use fleet_api::{FleetError, PageRequest};
    let u = upgradable();
    let stranger = Caller::new(Principal::from_slice(&[77; 29]), false);
    let unknown = Principal::from_slice(&[78; 29]);
    let f = &u.env.factory;
    let unauthorized = |r: Result<(), FleetError>| assert!(matches!(r, Err(FleetError::Unauthorized(_))), "{r:?}");

    unauthorized(f.borrow_mut().set_upgrade_policy(&stranger, 1, u.contract, UpgradePolicy::Auto));
    unauthorized(block_on(restore_my_contract(&u.env.rt, f, stranger, u.contract)).map(|_| ()));
    unauthorized(block_on(release_contract(&u.env.rt, f, stranger, u.contract)));
    unauthorized(
        f.borrow().upgrade_journal(&stranger, JournalFilter::Contract(u.contract), PageRequest::new(0, 5)).map(|_| ()),
    );
    unauthorized(f.borrow().upgrade_journal(&stranger, JournalFilter::Rollout(0), PageRequest::new(0, 5)).map(|_| ()));
    for op in [0, 1, 2] {
        let r = match op {
            0 => f.borrow_mut().pause_rollout(&stranger, 1, 1),
            1 => f.borrow_mut().resume_rollout(&stranger, 1, 1),
            _ => f.borrow_mut().abort_rollout(&stranger, 1, 1),
        };
        unauthorized(r.map(|_| ()));
    }

    let policy = |p: UpgradePolicy| f.borrow_mut().set_upgrade_policy(&owner(), 1, u.contract, p);
    assert!(matches!(policy(UpgradePolicy::Pinned("9.9.9".into())), Err(FleetError::NotFound(_))));
    assert!(matches!(policy(UpgradePolicy::Pinned("not semver".into())), Err(FleetError::InvalidInput(_))));
    f.borrow_mut().yank_version(&crate::tests::releaser(), 1, "1.1.0", "bad".into()).unwrap();
    assert!(matches!(policy(UpgradePolicy::Pinned("1.1.0".into())), Err(FleetError::InvalidInput(_))));
    let missing = f.borrow_mut().set_upgrade_policy(&owner(), 1, unknown, UpgradePolicy::Auto);
    assert!(matches!(missing, Err(FleetError::NotFound(_))), "{missing:?}");
    let no_snapshot = block_on(restore_my_contract(&u.env.rt, f, owner(), u.contract));
    assert!(matches!(no_snapshot, Err(FleetError::InvalidState(_))), "{no_snapshot:?}");
    assert!(matches!(f.borrow_mut().pause_rollout(&crate::tests::releaser(), 1, 42), Err(FleetError::NotFound(_))));
    assert_eq!(f.borrow().contracts.get(&u.contract).unwrap().upgrade_policy, UpgradePolicy::Manual, "unchanged");
    assert_eq!(f.borrow().upgrades.journal_len(), 0, "no task was written");
    assert_eq!(u.env.rt.canister(&u.contract).unwrap().controllers.len(), 2, "controllers untouched");
}

#[test]
fn release_contract_removes_the_factory_from_the_controllers_and_detaches() {
    let u = upgradable();
    block_on(crate::upgrade::owner::release_contract(&u.env.rt, &u.env.factory, owner(), u.contract)).unwrap();
    assert_eq!(u.env.rt.canister(&u.contract).map(|c| c.controllers), Some(vec![alice()]));
    assert_eq!(u.env.factory.borrow().contracts.get(&u.contract).unwrap().status, ContractStatus::Detached);
    let again = block_on(upgrade_my_contract(&u.env.rt, &u.env.factory, owner(), u.contract, None));
    assert!(matches!(again, Err(fleet_api::FleetError::InvalidState(_))), "{again:?}");
}

#[test]
fn the_install_argument_built_from_the_record_is_the_registrys_own() {
    let u = upgradable();
    let f = u.env.factory.borrow();
    let record = f.registry.record("1.1.0").unwrap();
    assert_eq!(f.registry.upgrade_arg_bytes_of(&record).unwrap(), f.registry.upgrade_arg_bytes("1.1.0").unwrap());
}
