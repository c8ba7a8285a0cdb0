//! Rollouts on the fake runtime: eligibility per policy, a canary then widening, the failure budget, the factory's
//! own upgrade mid-rollout, and every refusal of a bad plan.

use candid::Principal;
use fleet_api::{DeployOptions, FleetError, UpgradePolicy};

use super::machine::{drive, owner, upgradable, STATE};
use crate::tests::{alice, args, backend, nobody, releaser, Env};
use crate::upgrade::api::*;

fn plan(selector: RolloutSelector) -> RolloutPlan {
    RolloutPlan {
        target_version: "1.1.0".into(),
        selector,
        batch_size: 10,
        max_concurrency: 2,
        failure_budget: 2,
        snapshot: None,
        stop_timeout_seconds: None,
        cycles_floor: None,
        top_up_cap: None,
    }
}

/// `upgradable()` plus five more contracts of alice's: policies Auto ×3, AutoWithinMajor, Manual, Pinned(1.0.0).
fn fleet() -> (Env, Vec<Principal>, Vec<u8>) {
    let u = upgradable();
    let env = u.env;
    let mut contracts = vec![u.contract];
    env.rt.module_versions.borrow_mut().clear();
    for _ in 0..5 {
        // Deployed at the default (1.1.0 is newest): pin the default to 1.0.0 first.
        env.factory.borrow_mut().set_default_version(&crate::tests::controller(), 1, Some("1.0.0".into())).unwrap();
        contracts.push(env.deploy(backend(), alice(), args("t"), DeployOptions::default()).unwrap());
    }
    let v1 = u.v1.clone();
    env.rt.module_versions.borrow_mut().insert(u.v1, "1.0.0".into());
    env.rt.module_versions.borrow_mut().insert(u.v2.clone(), "1.1.0".into());
    let policies = [
        UpgradePolicy::Auto,
        UpgradePolicy::Auto,
        UpgradePolicy::Auto,
        UpgradePolicy::AutoWithinMajor,
        UpgradePolicy::Manual,
        UpgradePolicy::Pinned("1.0.0".into()),
    ];
    for (contract, policy) in contracts.iter().zip(policies) {
        env.rt.canisters.borrow_mut().get_mut(contract).unwrap().state = STATE.to_vec();
        env.factory.borrow_mut().set_upgrade_policy(&owner(), 1, *contract, policy).unwrap();
    }
    (env, contracts, v1)
}

#[test]
fn a_canary_then_widening_upgrades_exactly_the_opted_in_contracts() {
    let (env, contracts, v1) = fleet();
    let started = env.factory.borrow_mut().start_rollout(&releaser(), 10, plan(RolloutSelector::Canary(1))).unwrap();
    drive(&env);
    let canary = env.factory.borrow().rollout_view(started.id).unwrap();
    assert_eq!(canary.state, RolloutState::CanaryDone, "{canary:?}");
    assert_eq!(canary.counts.done, 1);
    env.factory.borrow_mut().resume_rollout(&releaser(), 20, started.id).unwrap();
    drive(&env);
    let done = env.factory.borrow().rollout_view(started.id).unwrap();
    assert_eq!(done.state, RolloutState::Finished, "{done:?}");
    assert_eq!((done.counts.done, done.counts.skipped, done.counts.failures()), (4, 2, 0), "{done:?}");
    let f = env.factory.borrow();
    for (i, contract) in contracts.iter().enumerate() {
        let canister = env.rt.canister(contract).unwrap();
        assert!(!canister.stopped);
        let upgraded = i < 4;
        assert_eq!(canister.module.as_ref() != Some(&v1), upgraded, "contract {i}");
        assert_eq!(f.contracts.get(contract).unwrap().version, if upgraded { "1.1.0" } else { "1.0.0" });
    }
    let skipped = f.rollout_tasks(started.id, Some(TaskState::Skipped), fleet_api::PageRequest::new(0, 10)).unwrap();
    assert!(skipped.items.iter().all(|t| t.reason.as_deref().unwrap_or("").starts_with("NotOptedIn")), "{skipped:?}");
}

#[test]
fn the_failure_budget_pauses_a_rollout_whose_upgrades_roll_back() {
    let (env, contracts, _) = fleet();
    for contract in &contracts {
        env.factory.borrow_mut().set_upgrade_policy(&owner(), 1, *contract, UpgradePolicy::Auto).unwrap();
    }
    let v2 = env.rt.module_versions.borrow().iter().find(|(_, v)| *v == "1.1.0").map(|(m, _)| m.clone()).unwrap();
    env.rt.trapping_modules.borrow_mut().insert(v2);
    let started = env.factory.borrow_mut().start_rollout(&releaser(), 10, plan(RolloutSelector::AllEligible)).unwrap();
    drive(&env);
    let paused = env.factory.borrow().rollout_view(started.id).unwrap();
    assert_eq!(paused.state, RolloutState::Paused, "{paused:?}");
    assert!(paused.counts.rolled_back >= 2 && paused.counts.done == 0, "{paused:?}");
    for contract in &contracts {
        let canister = env.rt.canister(contract).unwrap();
        assert!(!canister.stopped);
        assert_eq!(canister.state, STATE);
    }
    // Aborting finishes it: the contracts not started are skipped.
    env.factory.borrow_mut().abort_rollout(&releaser(), 30, started.id).unwrap();
    drive(&env);
    assert_eq!(env.factory.borrow().rollout_view(started.id).unwrap().state, RolloutState::Aborted);
}

#[test]
fn a_rollout_survives_the_factorys_own_upgrade_between_ticks() {
    let (env, contracts, _) = fleet();
    for contract in &contracts {
        env.factory.borrow_mut().set_upgrade_policy(&owner(), 1, *contract, UpgradePolicy::Auto).unwrap();
    }
    let started = env.factory.borrow_mut().start_rollout(&releaser(), 10, plan(RolloutSelector::AllEligible)).unwrap();
    for step in [crate::testing::Step::Stop, crate::testing::Step::Upgrade] {
        env.rt.pause_after(step);
        let plan = env.factory.borrow_mut().plan_tick(env.rt.now.get(), env.rt.self_id, &|| false);
        for id in plan.run {
            crate::testing::interrupt(crate::upgrade::machine::run_task(&env.rt, &env.factory, id));
        }
        env.upgrade();
    }
    drive(&env);
    let done = env.factory.borrow().rollout_view(started.id).unwrap();
    assert_eq!((done.state.clone(), done.counts.done), (RolloutState::Finished, 6), "{done:?}");
}

#[test]
fn bad_plans_are_refused_and_change_nothing() {
    let (env, contracts, _) = fleet();
    let mut f = env.factory.borrow_mut();
    let refuse = |f: &mut crate::Factory<_>, p: RolloutPlan| f.start_rollout(&releaser(), 10, p).unwrap_err();
    assert!(matches!(
        f.start_rollout(&nobody(), 10, plan(RolloutSelector::AllEligible)),
        Err(FleetError::Unauthorized(_))
    ));
    for concurrency in [0, 51] {
        let e = refuse(&mut f, RolloutPlan { max_concurrency: concurrency, ..plan(RolloutSelector::AllEligible) });
        assert!(matches!(e, FleetError::InvalidInput(_)), "{e:?}");
    }
    let e = refuse(&mut f, RolloutPlan { target_version: "9.9.9".into(), ..plan(RolloutSelector::AllEligible) });
    assert!(matches!(e, FleetError::NotFound(_)), "{e:?}");
    let e = refuse(&mut f, plan(RolloutSelector::Contracts(vec![Principal::from_slice(&[42; 29])])));
    assert!(matches!(e, FleetError::NotFound(_)), "{e:?}");
    let e = refuse(&mut f, plan(RolloutSelector::Contracts(vec![contracts[0], contracts[0]])));
    assert!(matches!(e, FleetError::InvalidInput(_)), "{e:?}");
    assert!(matches!(refuse(&mut f, plan(RolloutSelector::Canary(0))), FleetError::InvalidInput(_)));
    assert!(f.rollout_list(fleet_api::PageRequest::new(0, 10)).items.is_empty(), "nothing was stored");
    f.yank_version(&releaser(), 5, "1.1.0", "bad".into()).unwrap();
    assert!(matches!(refuse(&mut f, plan(RolloutSelector::AllEligible)), FleetError::InvalidInput(_)));
    assert!(matches!(f.resume_rollout(&releaser(), 5, 77), Err(FleetError::NotFound(_))));
}

#[test]
fn a_second_active_rollout_and_resuming_a_finished_one_are_refused() {
    let (env, _, _) = fleet();
    let first = env.factory.borrow_mut().start_rollout(&releaser(), 10, plan(RolloutSelector::AllEligible)).unwrap();
    let second = env.factory.borrow_mut().start_rollout(&releaser(), 10, plan(RolloutSelector::AllEligible));
    assert!(matches!(second, Err(FleetError::InvalidState(_))), "{second:?}");
    drive(&env);
    let resumed = env.factory.borrow_mut().resume_rollout(&releaser(), 20, first.id);
    assert!(matches!(resumed, Err(FleetError::InvalidState(_))), "{resumed:?}");
}

#[test]
fn a_stored_task_stays_within_256_bytes() {
    use ic_stable_structures::Storable;
    let task = crate::upgrade::store::Task {
        id: u64::MAX,
        rollout: u64::MAX,
        contract: Principal::from_slice(&[7; 10]),
        state: TaskState::RollingBack,
        from_version: "10.20.30".into(),
        path: vec!["10.21.0".into()],
        step: 0,
        snapshot: Some(serde_bytes::ByteBuf::from(vec![1; 18])),
        install_tried: true,
        reason: None,
        cycles_topped_up: 2_000_000_000_000,
        top_up_in_flight: None,
        started_at: u64::MAX,
        state_since: u64::MAX,
    };
    let bytes = task.to_bytes().len();
    println!("stable bytes per rollout task: {bytes} (+ 27 for its state-index entry)");
    assert!(bytes + 27 <= 256, "{bytes}");
}

#[test]
fn a_contract_that_does_not_stop_in_time_is_started_again_and_its_task_fails() {
    let (env, contracts, v1) = fleet();
    let listed = RolloutPlan { stop_timeout_seconds: Some(60), ..plan(RolloutSelector::Contracts(vec![contracts[0]])) };
    let started = env.factory.borrow_mut().start_rollout(&releaser(), 10, listed).unwrap();
    let tick = env.factory.borrow_mut().plan_tick(env.rt.now.get(), env.rt.self_id, &|| false);
    assert_eq!(tick.run.len(), 1);
    // The stop hangs (an open call context), then fails once the tick has started the contract again.
    env.rt.pause_at(crate::testing::Step::Stop);
    env.rt.fail_once_at(crate::testing::Step::Stop);
    let run = crate::upgrade::machine::run_task(&env.rt, &env.factory, tick.run[0]);
    let (_, unstuck) = crate::testing::run_interleaved(run, || {
        env.rt.now.set(env.rt.now.get() + 61_000_000_000);
        let tick = env.factory.borrow_mut().plan_tick(env.rt.now.get(), env.rt.self_id, &|| false);
        for contract in &tick.unstick {
            crate::testing::block_on(crate::Runtime::start_canister(&env.rt, *contract)).unwrap();
        }
        tick.unstick
    });
    assert_eq!(unstuck, vec![contracts[0]], "the tick restarts the contract stuck stopping");
    drive(&env);
    let task = env.factory.borrow().rollout_tasks(started.id, None, fleet_api::PageRequest::new(0, 5)).unwrap();
    let task = &task.items[0];
    assert_eq!(task.state, TaskState::Failed);
    assert!(task.reason.as_deref().unwrap_or("").starts_with("StopTimeout"), "{task:?}");
    let canister = env.rt.canister(&contracts[0]).unwrap();
    assert!(!canister.stopped);
    assert_eq!(canister.module.unwrap(), v1, "nothing was installed");
}

#[test]
fn a_freed_slot_starts_a_queued_task_only_while_the_rollout_runs_within_its_limits() {
    let (env, _contracts, _) = fleet();
    let started = env.factory.borrow_mut().start_rollout(&releaser(), 10, plan(RolloutSelector::AllEligible)).unwrap();
    let startable = |env: &Env| {
        let mut f = env.factory.borrow_mut();
        let f = &mut *f;
        f.upgrades.startable_queued(|t| f.running_tasks.contains(t))
    };
    assert_eq!(startable(&env), None, "nothing queued before the first tick");
    // The first tick queues 2 (the concurrency) and starts them; they are marked started by hand here.
    let tick = env.factory.borrow_mut().plan_tick(20, env.rt.self_id, &|| false);
    assert_eq!(tick.run.len(), 2, "{tick:?}");
    for id in &tick.run {
        let mut f = env.factory.borrow_mut();
        let mut task = f.upgrades.task(*id).unwrap();
        task.state = TaskState::Preflight;
        f.upgrades.save_task(TaskState::Queued, &task, "started".into());
    }
    // The next tick queues two more ahead (fewer than the concurrency wait queued) and starts none of them (no
    // slot; it only resumes the two in flight, which no future owns here).
    let second = env.factory.borrow_mut().plan_tick(22, env.rt.self_id, &|| false);
    assert!(second.run.iter().all(|id| tick.run.contains(id)), "{second:?}");
    assert_eq!(startable(&env), None, "both slots are taken");
    // One finishes: its slot may take a queued task.
    {
        let mut f = env.factory.borrow_mut();
        let mut task = f.upgrades.task(tick.run[0]).unwrap();
        task.state = TaskState::Done;
        f.upgrades.save_task(TaskState::Preflight, &task, "done".into());
    }
    let next = startable(&env).expect("a queued task for the freed slot");
    assert_eq!(env.factory.borrow().upgrades.task(next).unwrap().state, TaskState::Queued);
    // Paused: no start between ticks; resumed: again.
    env.factory.borrow_mut().pause_rollout(&releaser(), 30, started.id).unwrap();
    assert_eq!(startable(&env), None, "a paused rollout starts nothing");
    env.factory.borrow_mut().resume_rollout(&releaser(), 31, started.id).unwrap();
    assert_eq!(startable(&env), Some(next));
    // The failure budget (2) spent: nothing starts, even before a tick pauses the rollout.
    move_task(&env, tick.run[1], TaskState::Preflight, TaskState::Failed);
    let mut f = env.factory.borrow_mut();
    let mut task = f.upgrades.task(next).unwrap();
    task.state = TaskState::RolledBack;
    f.upgrades.save_task(TaskState::Queued, &task, "rolled back".into());
    drop(f);
    assert_eq!(startable(&env), None, "the failure budget is spent");
}

#[test]
fn a_counters_cell_without_the_hot_part_takes_the_counts_and_knobs_from_the_rollout_record() {
    let (env, _contracts, _) = fleet();
    let plan = RolloutPlan { stop_timeout_seconds: Some(42), ..plan(RolloutSelector::AllEligible) };
    let started = env.factory.borrow_mut().start_rollout(&releaser(), 10, plan).unwrap();
    // One tick admits and counts some tasks; the hot counts are then written into the record by a pause.
    env.factory.borrow_mut().plan_tick(20, env.rt.self_id, &|| false);
    env.factory.borrow_mut().pause_rollout(&releaser(), 21, started.id).unwrap();
    let before = env.factory.borrow().rollout_view(started.id).unwrap();
    assert!(before.counts.queued > 0, "{before:?}");
    // The factory's upgrade from the candid counters cell (format 1): no hot part.
    env.factory.borrow_mut().upgrades.forget_hot();
    env.upgrade();
    env.factory.borrow_mut().upgrades.forget_hot();
    let f = env.factory.borrow();
    assert_eq!(f.upgrades.task_params(started.id).stop_timeout_ns, 42_000_000_000, "knobs from the plan");
    assert_eq!(f.rollout_view(started.id).unwrap().counts, before.counts, "counts from the record");
    drop(f);
    env.factory.borrow_mut().resume_rollout(&releaser(), 30, started.id).unwrap();
    drive(&env);
    let done = env.factory.borrow().rollout_view(started.id).unwrap();
    assert_eq!(done.state, RolloutState::Finished, "{done:?}");
    assert_eq!(done.counts.queued + done.counts.in_flight, 0, "{done:?}");
    assert_eq!(done.counts.done + done.counts.skipped + done.counts.failures(), done.considered, "{done:?}");
}

/// What `canister_upgrade::drive` asks when a task finishes between ticks.
fn next_between_ticks(env: &Env, over_budget: bool) -> Option<u64> {
    let mut f = env.factory.borrow_mut();
    let running = f.running_tasks.clone();
    f.next_between_ticks(40, &|| over_budget, &|t| running.contains(t))
}

/// Moves task `id` from `from` to `to` by hand (what the step machine would write).
fn move_task(env: &Env, id: u64, from: TaskState, to: TaskState) {
    let mut f = env.factory.borrow_mut();
    let mut task = f.upgrades.task(id).unwrap();
    assert_eq!(task.state, from);
    task.state = to;
    f.upgrades.save_task(from, &task, format!("{to:?}"));
}

fn considered(env: &Env, id: u64) -> (u64, TaskCounts) {
    let view = env.factory.borrow().rollout_view(id).unwrap();
    (view.considered, view.counts)
}

#[test]
fn a_slot_freed_with_nothing_queued_admits_the_next_eligible_contracts_in_the_finishing_message() {
    let (env, contracts, _) = fleet();
    let wide = RolloutPlan { failure_budget: 10, ..plan(RolloutSelector::AllEligible) };
    let started = env.factory.borrow_mut().start_rollout(&releaser(), 10, wide).unwrap();
    let contract_of = |id: u64| env.factory.borrow().upgrades.task(id).unwrap().contract;
    // Paused, or the message's budget spent: nothing is admitted.
    env.factory.borrow_mut().pause_rollout(&releaser(), 11, started.id).unwrap();
    assert_eq!(next_between_ticks(&env, false), None);
    env.factory.borrow_mut().resume_rollout(&releaser(), 12, started.id).unwrap();
    assert_eq!(next_between_ticks(&env, true), None);
    assert_eq!(considered(&env, started.id).0, 0, "nothing considered while paused or over budget");
    // Nothing queued, a slot free: up to the concurrency (2) admitted, the first returned to start.
    let a = next_between_ticks(&env, false).expect("admitted and startable");
    assert_eq!(contract_of(a), contracts[0]);
    let (seen, counts) = considered(&env, started.id);
    assert_eq!((seen, counts.queued), (2, 2));
    move_task(&env, a, TaskState::Queued, TaskState::Preflight);
    // One queued: it is taken, nothing more admitted.
    let b = next_between_ticks(&env, false).expect("the queued one");
    assert_eq!(contract_of(b), contracts[1]);
    move_task(&env, b, TaskState::Queued, TaskState::Preflight);
    assert_eq!(considered(&env, started.id).0, 2);
    // Both slots taken: nothing starts and nothing is admitted.
    assert_eq!(next_between_ticks(&env, false), None);
    assert_eq!(considered(&env, started.id).0, 2);
    // `a` finishes with the queue empty: its message admits contracts 2 (Auto) and 3 (AutoWithinMajor, same major).
    move_task(&env, a, TaskState::Preflight, TaskState::Done);
    let c = next_between_ticks(&env, false).expect("admitted in the finishing message");
    assert_eq!(contract_of(c), contracts[2]);
    assert_eq!(considered(&env, started.id).0, 4);
    move_task(&env, c, TaskState::Queued, TaskState::Preflight);
    move_task(&env, b, TaskState::Preflight, TaskState::Done);
    let d = next_between_ticks(&env, false).expect("contract 3, queued already");
    assert_eq!(contract_of(d), contracts[3]);
    move_task(&env, d, TaskState::Queued, TaskState::Preflight);
    // The Manual and the Pinned contracts are considered and skipped, as in a tick; then the selection is complete.
    move_task(&env, c, TaskState::Preflight, TaskState::Done);
    assert_eq!(next_between_ticks(&env, false), None);
    let view = env.factory.borrow().rollout_view(started.id).unwrap();
    assert!(view.selection_complete, "{view:?}");
    assert_eq!((view.considered, view.counts.skipped, view.counts.in_flight), (6, 2, 1), "{view:?}");
    let f = env.factory.borrow();
    let skipped = f.rollout_tasks(started.id, Some(TaskState::Skipped), fleet_api::PageRequest::new(0, 10)).unwrap();
    assert!(skipped.items.iter().all(|t| t.reason.as_deref().unwrap_or("").starts_with("NotOptedIn")), "{skipped:?}");
    assert!(skipped.items.iter().all(|t| t.contract == contracts[4] || t.contract == contracts[5]));
    drop(f);
    // The last one finishes: the tick finishes the rollout with every count consistent.
    move_task(&env, d, TaskState::Preflight, TaskState::Done);
    assert_eq!(next_between_ticks(&env, false), None);
    env.factory.borrow_mut().plan_tick(50, env.rt.self_id, &|| false);
    let done = env.factory.borrow().rollout_view(started.id).unwrap();
    assert_eq!(done.state, RolloutState::Finished, "{done:?}");
    assert_eq!((done.counts.done, done.counts.skipped, done.counts.queued, done.counts.in_flight), (4, 2, 0, 0));
}

#[test]
fn a_freed_slot_admits_nothing_once_the_failure_budget_is_spent_or_the_rollout_is_aborting() {
    let (env, _contracts, _) = fleet();
    let narrow = RolloutPlan { failure_budget: 1, ..plan(RolloutSelector::AllEligible) };
    let started = env.factory.borrow_mut().start_rollout(&releaser(), 10, narrow).unwrap();
    let a = next_between_ticks(&env, false).unwrap();
    move_task(&env, a, TaskState::Queued, TaskState::Preflight);
    let b = next_between_ticks(&env, false).unwrap();
    move_task(&env, b, TaskState::Queued, TaskState::Preflight);
    // One fails (the budget of 1 is spent, no tick has paused the rollout yet): its free slot admits nothing.
    move_task(&env, a, TaskState::Preflight, TaskState::Failed);
    assert_eq!(next_between_ticks(&env, false), None);
    assert_eq!(considered(&env, started.id).0, 2);
    // Aborting: nothing either.
    env.factory.borrow_mut().abort_rollout(&releaser(), 20, started.id).unwrap();
    move_task(&env, b, TaskState::Preflight, TaskState::Done);
    assert_eq!(next_between_ticks(&env, false), None);
    let (seen, counts) = considered(&env, started.id);
    assert_eq!((seen, counts.queued, counts.in_flight), (2, 0, 0));
}
