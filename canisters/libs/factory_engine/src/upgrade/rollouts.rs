//! Rollout operations (admins and release principals): start with a validated plan, pause, resume (also widening a
//! canary), abort, and the views. One rollout is active at a time; nothing here awaits: the scheduler does the work.

use candid::Principal;
use fleet_api::{FleetError, Page, PageRequest};
use ic_stable_structures::Memory;

use super::api::*;
use super::store::Rollout;
use crate::api::VersionStatus;
use crate::events::EventKind;
use crate::factory::Factory;
use crate::roles::Caller;

/// The IC guarantees a canister this many outstanding calls; a rollout never has more contracts in flight.
pub const MAX_CONCURRENCY: u32 = 50;
pub const MAX_BATCH_SIZE: u32 = 1_000;
pub const MAX_LISTED_CONTRACTS: usize = 1_000;
pub const MIN_STOP_TIMEOUT_S: u64 = 10;
pub const MAX_STOP_TIMEOUT_S: u64 = 3_600;

impl<M: Memory> Factory<M> {
    pub fn start_rollout(
        &mut self,
        caller: &Caller,
        now: u64,
        mut plan: RolloutPlan,
    ) -> Result<RolloutView, FleetError> {
        self.roles.require_release(caller)?;
        if let Some(active) = self.upgrades.active_rollout() {
            return Err(FleetError::invalid_state(format!(
                "rollout {} is {:?}: one rollout at a time (abort it or let it finish)",
                active.id, active.state
            )));
        }
        let record = self.registry.record(&plan.target_version)?;
        match record.status {
            VersionStatus::Published | VersionStatus::Deprecated => {}
            VersionStatus::Yanked => return Err(FleetError::invalid(format!("target {} is yanked", record.version))),
            VersionStatus::Uploading => {
                return Err(FleetError::invalid(format!("target {} is still uploading", record.version)))
            }
        }
        plan.target_version = record.version;
        if !(1..=MAX_CONCURRENCY).contains(&plan.max_concurrency) {
            return Err(FleetError::invalid(format!("max_concurrency must be within 1..={MAX_CONCURRENCY}")));
        }
        if !(1..=MAX_BATCH_SIZE).contains(&plan.batch_size) {
            return Err(FleetError::invalid(format!("batch_size must be within 1..={MAX_BATCH_SIZE}")));
        }
        if plan.failure_budget == 0 {
            return Err(FleetError::invalid("failure_budget must be at least 1"));
        }
        if let Some(t) = plan.stop_timeout_seconds {
            if !(MIN_STOP_TIMEOUT_S..=MAX_STOP_TIMEOUT_S).contains(&t) {
                return Err(FleetError::invalid(format!(
                    "stop_timeout_seconds must be within {MIN_STOP_TIMEOUT_S}..={MAX_STOP_TIMEOUT_S}"
                )));
            }
        }
        let listed = match &plan.selector {
            RolloutSelector::Contracts(list) => {
                if list.is_empty() || list.len() > MAX_LISTED_CONTRACTS {
                    return Err(FleetError::invalid(format!("list 1..={MAX_LISTED_CONTRACTS} contracts")));
                }
                if let Some(unknown) = list.iter().find(|c| !self.contracts.contains(c)) {
                    return Err(FleetError::not_found(format!("contract {unknown} is not one of this factory's")));
                }
                let mut unique = list.clone();
                unique.sort();
                unique.dedup();
                if unique.len() != list.len() {
                    return Err(FleetError::invalid("a contract is listed twice"));
                }
                list.clone()
            }
            RolloutSelector::Canary(0) => return Err(FleetError::invalid("a canary needs at least 1 contract")),
            _ => vec![],
        };
        let list_len = listed.len() as u32;
        let target = plan.target_version.clone();
        let rollout = self.upgrades.new_rollout(
            |id| Rollout {
                id,
                plan,
                state: RolloutState::Running,
                pause_reason: None,
                counts: TaskCounts::default(),
                cursor: None,
                list_cursor: 0,
                list_len,
                considered: 0,
                selected: 0,
                selection_complete: false,
                started_by: caller.principal,
                started_at: now,
                updated_at: now,
                finished_at: None,
            },
            &listed,
        );
        self.events.record(now, caller.principal, EventKind::RolloutStarted { rollout: rollout.id, target });
        Ok(rollout.view())
    }

    pub fn pause_rollout(&mut self, caller: &Caller, now: u64, id: u64) -> Result<RolloutView, FleetError> {
        self.roles.require_release(caller)?;
        let mut rollout = self.upgrades.rollout(id)?;
        if rollout.state != RolloutState::Running {
            return Err(FleetError::invalid_state(format!("rollout {id} is {:?}, not Running", rollout.state)));
        }
        rollout.state = RolloutState::Paused;
        rollout.pause_reason = Some(format!("paused by {}", caller.principal));
        rollout.updated_at = now;
        self.upgrades.put_rollout(rollout.clone());
        let reason = rollout.pause_reason.clone().unwrap_or_default();
        self.events.record(now, caller.principal, EventKind::RolloutPaused { rollout: id, reason });
        Ok(rollout.view())
    }

    /// Resumes a paused rollout; from `CanaryDone`, widens it to every eligible contract. A rollout paused by its
    /// failure budget gets a fresh budget of the same size.
    pub fn resume_rollout(&mut self, caller: &Caller, now: u64, id: u64) -> Result<RolloutView, FleetError> {
        self.roles.require_release(caller)?;
        let mut rollout = self.upgrades.rollout(id)?;
        match rollout.state {
            RolloutState::Paused => {
                if rollout.counts.failures() >= u64::from(rollout.plan.failure_budget) {
                    rollout.plan.failure_budget =
                        (rollout.counts.failures() as u32).saturating_add(rollout.plan.failure_budget);
                }
            }
            RolloutState::CanaryDone => rollout.plan.selector = RolloutSelector::AllEligible,
            ref other => {
                return Err(FleetError::invalid_state(format!(
                    "rollout {id} is {other:?}: only a paused rollout or a finished canary resumes"
                )))
            }
        }
        rollout.state = RolloutState::Running;
        rollout.pause_reason = None;
        rollout.updated_at = now;
        self.upgrades.put_rollout(rollout.clone());
        self.events.record(now, caller.principal, EventKind::RolloutResumed { rollout: id });
        Ok(rollout.view())
    }

    /// No new contracts; those in flight finish or roll back, then the rollout is Aborted.
    pub fn abort_rollout(&mut self, caller: &Caller, now: u64, id: u64) -> Result<RolloutView, FleetError> {
        self.roles.require_release(caller)?;
        let mut rollout = self.upgrades.rollout(id)?;
        if rollout.state.is_over() || rollout.state == RolloutState::Aborting {
            return Err(FleetError::invalid_state(format!("rollout {id} is already {:?}", rollout.state)));
        }
        rollout.state = RolloutState::Aborting;
        rollout.updated_at = now;
        self.upgrades.put_rollout(rollout.clone());
        self.events.record(now, caller.principal, EventKind::RolloutAborted { rollout: id });
        Ok(rollout.view())
    }

    pub fn rollout_view(&self, id: u64) -> Result<RolloutView, FleetError> {
        self.upgrades.rollout(id).map(|r| r.view())
    }

    pub fn rollout_list(&self, page: PageRequest) -> Page<RolloutView> {
        self.upgrades.rollouts(page)
    }

    pub fn rollout_tasks(
        &self,
        id: u64,
        state: Option<TaskState>,
        page: PageRequest,
    ) -> Result<Page<TaskView>, FleetError> {
        self.upgrades.rollout(id)?;
        Ok(self.upgrades.task_page(id, state, page))
    }

    /// The journal of a rollout (admins and release principals) or of a contract (also its owner).
    pub fn upgrade_journal(
        &self,
        caller: &Caller,
        filter: JournalFilter,
        page: PageRequest,
    ) -> Result<Page<JournalEntry>, FleetError> {
        let is_owner = |c: &Principal| self.contracts.get(c).is_some_and(|r| r.owner == caller.principal);
        match &filter {
            JournalFilter::Contract(c) if is_owner(c) => {}
            JournalFilter::Contract(c) if !self.contracts.contains(c) => {
                return Err(FleetError::not_found(format!("contract {c}")))
            }
            JournalFilter::Rollout(0) => self.roles.require_release(caller)?,
            JournalFilter::Rollout(r) => {
                self.roles.require_release(caller)?;
                self.upgrades.rollout(*r)?;
            }
            _ => self.roles.require_release(caller)?,
        }
        Ok(self.upgrades.journal_page(&filter, page))
    }
}
