//! The upgrade engine's endpoint bodies and its scheduler timer, for `factory_canister!` (which expands
//! `upgrade_endpoints!` beside the other endpoints). Each body establishes the caller and the clock and calls plain
//! Rust in `upgrade::*`.

use candid::Principal;
use fleet_api::{FleetError, Page, PageRequest, UpgradePolicy};
use std::cell::Cell;
use std::time::Duration;

use crate::canister::{caller, now, CanisterState};
use crate::upgrade::api::*;
use crate::{FactoryCell, IcRuntime};

/// How often the scheduler ticks while there is upgrade work (no timer at all when there is none).
pub const TICK_EVERY: Duration = Duration::from_secs(2);

/// Instructions a tick may spend considering contracts before it leaves the rest to the next tick.
pub const TICK_INSTRUCTION_BUDGET: u64 = 25_000_000;

/// A task the tick spawned runs its first segment (up to its first call) in the tick's own message; past this
/// count it does not start, and the next tick runs it (a queued task stays queued, an in-flight one is resumed).
/// The longest first segment (an install reading the module) stays well under the 50 M a tick may cost.
pub const TICK_TASKS_BUDGET: u64 = 42_000_000;

thread_local! {
    /// Heap only: whether a tick is already scheduled (empty after an upgrade, when `post_upgrade` re-arms).
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

/// Schedules the next tick if there is work and none is scheduled.
pub fn arm_scheduler() {
    if ARMED.get() || !CanisterState.with(|f| f.upgrades_pending()) {
        return;
    }
    ARMED.set(true);
    ic_cdk_timers::set_timer(TICK_EVERY, async {
        ARMED.set(false);
        tick();
        arm_scheduler();
    });
}

/// One scheduler tick: plan (plain Rust, bounded), then one future per task to run and a `start_canister` per
/// contract stuck stopping past its timeout (which makes the pending `stop_canister` fail, and its task roll over).
fn tick() {
    let over_budget = || ic_cdk::api::performance_counter(0) > TICK_INSTRUCTION_BUDGET;
    let plan = CanisterState.with(|f| f.plan_tick(now(), ic_cdk::api::canister_self(), &over_budget));
    for id in plan.run {
        ic_cdk::futures::spawn(async move {
            if ic_cdk::api::performance_counter(0) < TICK_TASKS_BUDGET {
                drive(id).await;
            }
        });
    }
    for contract in plan.unstick {
        ic_cdk::futures::spawn(async move {
            let _ = crate::Runtime::start_canister(&IcRuntime, contract).await;
        });
    }
    // The spawned futures run their first segment (up to their first call) in this same message, after this
    // function returns, in spawn order: a last one reads the message's whole count.
    ic_cdk::futures::spawn(async {
        let used = ic_cdk::api::performance_counter(1);
        CanisterState.with(|f| {
            f.contracts.update_stats(|s| {
                s.last_scheduler_tick_instructions = Some(used);
                s.max_scheduler_tick_instructions = Some(s.max_scheduler_tick_instructions.unwrap_or(0).max(used));
            })
        });
    });
}

/// Runs task `id`, then, while the active rollout has a free slot and a task to start, that task: a slot freed
/// between ticks is refilled in the message that freed it, not at the next tick, and when nothing is queued that
/// message admits the selector's next contracts itself (`next_between_ticks`, within `TICK_INSTRUCTION_BUDGET` of
/// the message). Each start is written (Queued → Preflight) before its first await, so two messages never start the
/// same task, and the slot check reads the counts those writes keep.
async fn drive(id: u64) {
    let mut next = Some(id);
    for _ in 0..=2 * crate::upgrade::rollouts::MAX_CONCURRENCY {
        let Some(id) = next else { return };
        crate::upgrade::machine::run_task(&IcRuntime, &CanisterState, id).await;
        let over_budget = || ic_cdk::api::performance_counter(0) > TICK_INSTRUCTION_BUDGET;
        next = CanisterState.with(|f| {
            let running = f.running_tasks.clone();
            f.next_between_ticks(now(), &over_budget, &|t| running.contains(t))
        });
    }
}

pub fn set_upgrade_policy(contract: Principal, policy: UpgradePolicy) -> Result<(), FleetError> {
    CanisterState.with(|f| f.set_upgrade_policy(&caller(), now(), contract, policy))
}

pub fn get_upgrade_path(contract: Principal, target: Option<String>) -> Result<UpgradePath, FleetError> {
    CanisterState.with(|f| f.upgrade_path(contract, target))
}

pub async fn upgrade_my_contract(contract: Principal, target: Option<String>) -> Result<TaskView, FleetError> {
    let result =
        crate::upgrade::owner::upgrade_my_contract(&IcRuntime, &CanisterState, caller(), contract, target).await;
    arm_scheduler();
    result
}

pub async fn restore_my_contract(contract: Principal) -> Result<TaskView, FleetError> {
    let result = crate::upgrade::owner::restore_my_contract(&IcRuntime, &CanisterState, caller(), contract).await;
    arm_scheduler();
    result
}

pub async fn release_contract(contract: Principal) -> Result<(), FleetError> {
    crate::upgrade::owner::release_contract(&IcRuntime, &CanisterState, caller(), contract).await
}

pub fn start_rollout(plan: RolloutPlan) -> Result<RolloutView, FleetError> {
    let view = CanisterState.with(|f| f.start_rollout(&caller(), now(), plan))?;
    arm_scheduler();
    Ok(view)
}

pub fn pause_rollout(id: u64) -> Result<RolloutView, FleetError> {
    CanisterState.with(|f| f.pause_rollout(&caller(), now(), id))
}

pub fn resume_rollout(id: u64) -> Result<RolloutView, FleetError> {
    let view = CanisterState.with(|f| f.resume_rollout(&caller(), now(), id))?;
    arm_scheduler();
    Ok(view)
}

pub fn abort_rollout(id: u64) -> Result<RolloutView, FleetError> {
    let view = CanisterState.with(|f| f.abort_rollout(&caller(), now(), id))?;
    arm_scheduler();
    Ok(view)
}

pub fn get_rollout(id: u64) -> Result<RolloutView, FleetError> {
    CanisterState.with(|f| f.rollout_view(id))
}

pub fn list_rollouts(page: PageRequest) -> Page<RolloutView> {
    CanisterState.with(|f| f.rollout_list(page))
}

pub fn list_rollout_tasks(id: u64, state: Option<TaskState>, page: PageRequest) -> Result<Page<TaskView>, FleetError> {
    CanisterState.with(|f| f.rollout_tasks(id, state, page))
}

pub fn get_upgrade_journal(filter: JournalFilter, page: PageRequest) -> Result<Page<JournalEntry>, FleetError> {
    CanisterState.with(|f| f.upgrade_journal(&caller(), filter, page))
}

/// The upgrade engine's endpoints, expanded inside `factory_canister!`'s endpoint module.
#[macro_export]
macro_rules! upgrade_endpoints {
    () => {
        use $crate::canister_upgrade as u;

        #[ic_cdk::update(name = "setUpgradePolicy")]
        fn set_upgrade_policy(
            contract: ::candid::Principal,
            policy: ::fleet_api::UpgradePolicy,
        ) -> Result<(), ::fleet_api::FleetError> {
            u::set_upgrade_policy(contract, policy)
        }
        #[ic_cdk::query(name = "getUpgradePath")]
        fn get_upgrade_path(
            contract: ::candid::Principal,
            target: Option<String>,
        ) -> Result<::factory_engine::upgrade::api::UpgradePath, ::fleet_api::FleetError> {
            u::get_upgrade_path(contract, target)
        }
        #[ic_cdk::update(name = "upgradeMyContract")]
        async fn upgrade_my_contract(
            contract: ::candid::Principal,
            target: Option<String>,
        ) -> Result<::factory_engine::upgrade::api::TaskView, ::fleet_api::FleetError> {
            u::upgrade_my_contract(contract, target).await
        }
        #[ic_cdk::update(name = "restoreMyContract")]
        async fn restore_my_contract(
            contract: ::candid::Principal,
        ) -> Result<::factory_engine::upgrade::api::TaskView, ::fleet_api::FleetError> {
            u::restore_my_contract(contract).await
        }
        #[ic_cdk::update(name = "releaseContract")]
        async fn release_contract(contract: ::candid::Principal) -> Result<(), ::fleet_api::FleetError> {
            u::release_contract(contract).await
        }
        #[ic_cdk::update(name = "startRollout")]
        fn start_rollout(
            plan: ::factory_engine::upgrade::api::RolloutPlan,
        ) -> Result<::factory_engine::upgrade::api::RolloutView, ::fleet_api::FleetError> {
            u::start_rollout(plan)
        }
        #[ic_cdk::update(name = "pauseRollout")]
        fn pause_rollout(id: u64) -> Result<::factory_engine::upgrade::api::RolloutView, ::fleet_api::FleetError> {
            u::pause_rollout(id)
        }
        #[ic_cdk::update(name = "resumeRollout")]
        fn resume_rollout(id: u64) -> Result<::factory_engine::upgrade::api::RolloutView, ::fleet_api::FleetError> {
            u::resume_rollout(id)
        }
        #[ic_cdk::update(name = "abortRollout")]
        fn abort_rollout(id: u64) -> Result<::factory_engine::upgrade::api::RolloutView, ::fleet_api::FleetError> {
            u::abort_rollout(id)
        }
        #[ic_cdk::query(name = "getRollout")]
        fn get_rollout(id: u64) -> Result<::factory_engine::upgrade::api::RolloutView, ::fleet_api::FleetError> {
            u::get_rollout(id)
        }
        #[ic_cdk::query(name = "listRollouts")]
        fn list_rollouts(
            page: ::fleet_api::PageRequest,
        ) -> ::fleet_api::Page<::factory_engine::upgrade::api::RolloutView> {
            u::list_rollouts(page)
        }
        #[ic_cdk::query(name = "listRolloutTasks")]
        fn list_rollout_tasks(
            id: u64,
            state: Option<::factory_engine::upgrade::api::TaskState>,
            page: ::fleet_api::PageRequest,
        ) -> Result<::fleet_api::Page<::factory_engine::upgrade::api::TaskView>, ::fleet_api::FleetError> {
            u::list_rollout_tasks(id, state, page)
        }
        #[ic_cdk::query(name = "getUpgradeJournal")]
        fn get_upgrade_journal(
            filter: ::factory_engine::upgrade::api::JournalFilter,
            page: ::fleet_api::PageRequest,
        ) -> Result<::fleet_api::Page<::factory_engine::upgrade::api::JournalEntry>, ::fleet_api::FleetError> {
            u::get_upgrade_journal(filter, page)
        }
    };
}
