//! The scheduler: one timer job that drives every task. A tick (`plan_tick`, plain Rust) resumes in-flight tasks no
//! live future owns (after a trap or the factory's own upgrade), asks contracts stuck stopping past the timeout to
//! start again, starts queued tasks of the active rollout up to its concurrency, considers the next contracts of its
//! selector (a bounded batch, never a scan of all tasks or all contracts), and moves the rollout along (canary done,
//! failure budget spent, finished, aborted). The canister layer then spawns one future per task to run
//! (`machine::run_task`). Every read is a range of the `(rollout, state, task)` index: a tick costs the same with 10
//! or 100,000 tasks. Between ticks, a task that finishes asks `next_between_ticks` for the next one to start in its
//! own message (admitting the selector's next contracts when none is queued), so the concurrency limit stays full.
//! That admission is the tick's own `admit`, run synchronously in one message: it reads the rollout record, moves
//! its cursor and writes it back with no await between, so a tick and a finishing task never consider the same
//! contract twice, and a factory upgrade or a trap loses nothing (the cursor and the tasks are stable; the only heap
//! state, the selection-complete hint, is re-learnt from the record).

use candid::Principal;
use ic_stable_structures::Memory;
use semver::Version;

use super::api::{RolloutSelector, RolloutState, TaskState};
use super::path::{plan, rollout_allows, PlannedVersion};
use super::store::{Rollout, Task};
use crate::events::EventKind;
use crate::factory::Factory;
use fleet_api::ContractStatus;

/// What a tick asks the canister layer to do once the state is written.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TickPlan {
    /// Tasks to run (each in its own future).
    pub run: Vec<u64>,
    /// Contracts stuck in `stop_canister` past their rollout's timeout: `start_canister` makes the pending stop fail.
    pub unstick: Vec<Principal>,
}

/// Paths planned during one tick, by installed version.
type PathCache = std::collections::BTreeMap<String, Result<Vec<String>, String>>;

/// Most owner upgrades resumed per tick.
const OWNER_TASKS_PER_TICK: usize = 50;

impl<M: Memory> Factory<M> {
    /// Whether the scheduler has anything to do (the timer stays armed while it does).
    pub fn upgrades_pending(&self) -> bool {
        let owner_in_flight = TaskState::IN_FLIGHT.iter().any(|s| !self.upgrades.tasks_in(0, *s, 1).is_empty());
        let rollout_busy = self.upgrades.active_rollout().is_some_and(|r| {
            matches!(r.state, RolloutState::Running | RolloutState::Aborting) || r.counts.in_flight > 0
        });
        owner_in_flight || rollout_busy
    }

    /// `over_budget` says when the tick has spent its instruction budget: it then considers no more contracts (the
    /// next tick goes on from the cursor), so a tick's cost is bounded whatever the batch size and task count.
    pub fn plan_tick(&mut self, now: u64, self_id: Principal, over_budget: &dyn Fn() -> bool) -> TickPlan {
        let mut plan = TickPlan::default();
        self.resume_orphans(0, OWNER_TASKS_PER_TICK, &mut plan);
        let Some(mut rollout) = self.upgrades.active_rollout() else {
            return plan;
        };
        let concurrency = rollout.plan.max_concurrency as usize;
        self.resume_orphans(rollout.id, concurrency, &mut plan);
        let timeout =
            rollout.plan.stop_timeout_seconds.unwrap_or(super::machine::DEFAULT_STOP_TIMEOUT_S) * 1_000_000_000;
        for id in self.upgrades.tasks_in(rollout.id, TaskState::Stopping, concurrency) {
            if let Ok(task) = self.upgrades.task(id) {
                if now.saturating_sub(task.state_since) >= timeout {
                    plan.unstick.push(task.contract);
                }
            }
        }
        if rollout.state == RolloutState::Running {
            self.admit(&mut rollout, now, over_budget);
            let free = concurrency.saturating_sub(rollout.counts.in_flight as usize);
            for id in self.upgrades.tasks_in(rollout.id, TaskState::Queued, free) {
                plan.run.push(id);
            }
        }
        if rollout.state == RolloutState::Aborting {
            for id in self.upgrades.tasks_in(rollout.id, TaskState::Queued, rollout.plan.batch_size as usize) {
                self.finish_unstarted(&mut rollout, id, now, "rollout aborted before this contract started");
            }
        }
        self.move_rollout(&mut rollout, now, self_id);
        plan
    }

    /// The queued task a slot freed between ticks should start, admitting the selector's next contracts first
    /// when none is queued (the same bounded `admit` as a tick, with its eligibility checks): the finishing task's
    /// message keeps the concurrency limit full instead of leaving the slot to the next tick. `skip` names tasks a
    /// live future already owns. Nothing is admitted unless the rollout runs with a free slot and its failure
    /// budget unspent (`admission_open`, from the hot cell); the record is read only when something may be admitted.
    pub fn next_between_ticks(
        &mut self,
        now: u64,
        over_budget: &dyn Fn() -> bool,
        skip: &dyn Fn(u64) -> bool,
    ) -> Option<u64> {
        if let Some(id) = self.upgrades.startable_queued(skip) {
            return Some(id);
        }
        let id = self.upgrades.admission_open()?;
        let mut rollout = self.upgrades.rollout(id).ok()?;
        if rollout.state != RolloutState::Running || rollout.selection_complete {
            if rollout.selection_complete {
                self.upgrades.note_selection_done(id);
            }
            return None;
        }
        self.admit(&mut rollout, now, over_budget);
        if rollout.selection_complete {
            self.upgrades.note_selection_done(id);
        }
        self.upgrades.startable_queued(skip)
    }

    fn resume_orphans(&self, rollout: u64, limit: usize, plan: &mut TickPlan) {
        for state in TaskState::IN_FLIGHT {
            for id in self.upgrades.tasks_in(rollout, state, limit) {
                if !self.running_tasks.contains(id) {
                    plan.run.push(id);
                }
            }
        }
    }

    /// Considers up to `batch_size` more contracts of the selector while fewer than `max_concurrency` wait queued
    /// (tasks that finish between ticks start queued ones at once: `canister_upgrade::drive`).
    fn admit(&mut self, rollout: &mut Rollout, now: u64, over_budget: &dyn Fn() -> bool) {
        // Read from the registry only if a contract is considered this tick.
        let mut versions: Option<Vec<PlannedVersion>> = None;
        // Most contracts share their installed version: one path per version per tick.
        let mut paths = PathCache::new();
        let Ok(target) = Version::parse(&rollout.plan.target_version) else { return };
        let mut considered = 0;
        let was_complete = rollout.selection_complete;
        while !rollout.selection_complete
            && considered < rollout.plan.batch_size
            && rollout.counts.queued < u64::from(rollout.plan.max_concurrency)
        {
            if over_budget() {
                break;
            }
            if let RolloutSelector::Canary(n) = rollout.plan.selector {
                if rollout.selected >= u64::from(n) {
                    break;
                }
            }
            let Some(contract) = self.next_candidate(rollout) else {
                rollout.selection_complete = true;
                break;
            };
            considered += 1;
            rollout.considered += 1;
            if versions.is_none() {
                let planned = self.registry.planned_versions();
                self.upgrades.cache_shas(&planned);
                versions = Some(planned);
            }
            let versions = versions.as_deref().unwrap_or_default();
            let (state, path, from, reason) = self.eligibility(&contract, &target, versions, &mut paths);
            if state == TaskState::Queued {
                rollout.selected += 1;
            }
            let task = Task {
                id: 0,
                rollout: rollout.id,
                contract,
                state,
                from_version: from,
                path,
                step: 0,
                snapshot: None,
                install_tried: false,
                reason: reason.clone(),
                cycles_topped_up: 0,
                top_up_in_flight: None,
                started_at: now,
                state_since: now,
            };
            let task = self.upgrades.new_task(Some(rollout), task);
            if let Some(reason) = reason {
                self.upgrades.journal_skip(&task, reason);
            }
        }
        // An idle tick (nothing considered) leaves the stored rollout as it is.
        if considered > 0 || rollout.selection_complete != was_complete {
            rollout.updated_at = now;
            self.upgrades.put_rollout(rollout.clone());
        }
    }

    fn next_candidate(&self, rollout: &mut Rollout) -> Option<Principal> {
        match &rollout.plan.selector {
            RolloutSelector::Contracts(_) => {
                if rollout.list_cursor >= rollout.list_len {
                    return None;
                }
                let next = self.upgrades.listed(rollout.id, rollout.list_cursor);
                rollout.list_cursor += 1;
                next
            }
            RolloutSelector::AllEligible | RolloutSelector::Canary(_) => {
                let next = self.contracts.next_id_after(rollout.cursor.as_ref())?;
                rollout.cursor = Some(next);
                Some(next)
            }
        }
    }

    /// Queued with its path, or Skipped with the reason: detached, busy, not opted in, already there, no path.
    fn eligibility(
        &self,
        contract: &Principal,
        target: &Version,
        versions: &[PlannedVersion],
        paths: &mut PathCache,
    ) -> (TaskState, Vec<String>, String, Option<String>) {
        let skip = |from: String, why: String| (TaskState::Skipped, vec![], from, Some(why));
        let Some(record) = self.contracts.get(contract) else {
            return skip(String::new(), "not a contract of this factory".into());
        };
        let from = record.version.clone();
        if record.status == ContractStatus::Detached {
            return skip(from, "Detached: the factory no longer controls it".into());
        }
        if let Some(task) = self.upgrades.contract_info(contract).busy_with {
            return skip(from, format!("Busy: upgrade task {task} is working on it"));
        }
        let Ok(installed) = Version::parse(&record.version) else {
            return skip(from, "its recorded version is not semver".into());
        };
        if let Err(why) = rollout_allows(&record.upgrade_policy, &installed, target) {
            return skip(from, format!("NotOptedIn: {why}"));
        }
        if installed == *target {
            return skip(from, "AlreadyAtTarget".into());
        }
        let planned = paths.entry(record.version.clone()).or_insert_with(|| {
            plan(&installed, target, versions)
                .map(|steps| steps.iter().map(|s| s.version.to_string()).collect())
                .map_err(|e| format!("NoPath: {e}"))
        });
        match planned {
            Ok(steps) => (TaskState::Queued, steps.clone(), from, None),
            Err(why) => skip(from, why.clone()),
        }
    }

    fn finish_unstarted(&mut self, rollout: &mut Rollout, id: u64, now: u64, why: &str) {
        if let Ok(mut task) = self.upgrades.task(id) {
            let before = task.state;
            task.state = TaskState::Skipped;
            task.state_since = now;
            task.reason = Some(why.to_string());
            self.upgrades.save_task(before, &task, why.to_string());
        }
        if let Ok(fresh) = self.upgrades.rollout(rollout.id) {
            *rollout = fresh;
        }
    }

    /// Canary done, failure budget spent, finished or aborted.
    fn move_rollout(&mut self, rollout: &mut Rollout, now: u64, self_id: Principal) {
        // Counts changed under us (tasks saved their transitions): read them fresh.
        let Ok(mut fresh) = self.upgrades.rollout(rollout.id) else { return };
        let idle = fresh.counts.queued == 0 && fresh.counts.in_flight == 0;
        let event = match fresh.state {
            RolloutState::Running if fresh.counts.failures() >= u64::from(fresh.plan.failure_budget) => {
                fresh.state = RolloutState::Paused;
                let reason = format!("failure budget of {} spent", fresh.plan.failure_budget);
                fresh.pause_reason = Some(reason.clone());
                Some(EventKind::RolloutPaused { rollout: fresh.id, reason })
            }
            RolloutState::Running if idle && fresh.selection_complete => {
                fresh.state = RolloutState::Finished;
                fresh.finished_at = Some(now);
                Some(EventKind::RolloutFinished { rollout: fresh.id, counts: fresh.counts.clone() })
            }
            RolloutState::Running
                if idle
                    && matches!(fresh.plan.selector, RolloutSelector::Canary(n) if fresh.selected >= u64::from(n)) =>
            {
                fresh.state = RolloutState::CanaryDone;
                Some(EventKind::RolloutCanaryDone { rollout: fresh.id })
            }
            RolloutState::Aborting if idle => {
                fresh.state = RolloutState::Aborted;
                fresh.finished_at = Some(now);
                Some(EventKind::RolloutFinished { rollout: fresh.id, counts: fresh.counts.clone() })
            }
            _ => None,
        };
        if let Some(event) = event {
            fresh.updated_at = now;
            self.events.record(now, self_id, event);
            self.upgrades.put_rollout(fresh.clone());
        }
        *rollout = fresh;
    }
}
