//! `release rollout`: the plan a command line describes, watching a rollout until it stops moving, and the table
//! of its failures and rollbacks. Plain logic over `fleet_client::rollout::RolloutClient`; the command adds the
//! progress bar and the clock (`commands/rollout.rs`), the tests drive the emulator in between polls.

use factory_engine::upgrade::api::{RolloutPlan, RolloutSelector, RolloutState, RolloutView, TaskState, TaskView};
use fleet_client::rollout::RolloutClient;
use fleet_client::ClientError;

/// What ended a watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchOutcome {
    pub view: RolloutView,
    /// Tasks that failed or rolled back, with their reasons.
    pub failures: Vec<TaskView>,
}

impl WatchOutcome {
    /// Failures or rollbacks make the watch (and the command) fail.
    pub fn succeeded(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Whether a rollout has stopped moving: over, paused, or its canary done, with nothing in flight.
pub fn is_settled(view: &RolloutView) -> bool {
    !matches!(view.state, RolloutState::Running | RolloutState::Aborting) && view.counts.in_flight == 0
}

/// Polls rollout `id` (calling `wait` between polls, `on_view` on each answer) until it settles, then lists its
/// failed and rolled-back tasks.
pub fn watch(
    client: &RolloutClient<'_>,
    id: u64,
    mut wait: impl FnMut(),
    mut on_view: impl FnMut(&RolloutView),
) -> Result<WatchOutcome, ClientError> {
    loop {
        let view = client.get(id)?;
        on_view(&view);
        if is_settled(&view) {
            let mut failures = client.all_tasks(id, TaskState::RolledBack)?;
            failures.extend(client.all_tasks(id, TaskState::Failed)?);
            return Ok(WatchOutcome { view, failures });
        }
        wait();
    }
}

/// One line of counts, as the progress bar and `status` print it.
pub fn counts_line(view: &RolloutView) -> String {
    let c = &view.counts;
    format!(
        "rollout {} → {} {:?}: {} done, {} in flight, {} queued, {} skipped, {} rolled back, {} failed",
        view.id,
        view.plan.target_version,
        view.state,
        c.done,
        c.in_flight,
        c.queued,
        c.skipped,
        c.rolled_back,
        c.failed
    )
}

/// The closing table of failures and rollbacks (empty string when there are none).
pub fn failure_table(failures: &[TaskView]) -> String {
    if failures.is_empty() {
        return String::new();
    }
    let mut out = String::from("contract                         outcome      at step  reason\n");
    for task in failures {
        let step = task.path.get(task.step as usize).map(String::as_str).unwrap_or("-");
        out.push_str(&format!(
            "{:<32} {:<12} {:<8} {}\n",
            task.contract.to_text(),
            format!("{:?}", task.state),
            step,
            task.reason.as_deref().unwrap_or("")
        ));
    }
    out
}

/// The plan a command line describes (`--canary`, `--contracts` or every eligible contract).
pub struct PlanOptions {
    pub target: String,
    pub canary: Option<u32>,
    pub contracts: Vec<candid::Principal>,
    pub batch_size: u32,
    pub max_concurrency: u32,
    pub failure_budget: u32,
    pub no_snapshot: bool,
    pub stop_timeout_seconds: Option<u64>,
    pub cycles_floor: Option<u128>,
}

pub fn plan(options: PlanOptions) -> Result<RolloutPlan, String> {
    let selector = match (options.canary, options.contracts.is_empty()) {
        (Some(_), false) => return Err("--canary and --contracts exclude each other".into()),
        (Some(n), true) => RolloutSelector::Canary(n),
        (None, false) => RolloutSelector::Contracts(options.contracts),
        (None, true) => RolloutSelector::AllEligible,
    };
    Ok(RolloutPlan {
        target_version: options.target,
        selector,
        batch_size: options.batch_size,
        max_concurrency: options.max_concurrency,
        failure_budget: options.failure_budget,
        snapshot: Some(!options.no_snapshot),
        stop_timeout_seconds: options.stop_timeout_seconds,
        cycles_floor: options.cycles_floor,
        top_up_cap: None,
    })
}
