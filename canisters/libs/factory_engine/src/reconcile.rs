//! Settling deployments whose running call was lost. A deployment is driven by one future (`deploy`); if that future
//! dies mid-flight (a trap in one of its callbacks, the factory upgraded while its management calls were open), its
//! pending deployment would stay InProgress forever. The reconciliation timer finds such deployments and settles them
//! from the facts `canister_status` gives.
//!
//! Which deployments have lost their future: every running deployment holds a `RunningGuard` that keeps its pending
//! id in a heap set (`RunningDeployments`) and removes it when dropped. The set is exact: ic-cdk drops a future, and
//! so its locals, in the cleanup callback when one of its callbacks traps (the cleanup's heap changes are kept), and
//! an upgrade starts from an empty heap, in which no old future survives. So a pending id that is not in the set is
//! owned by nobody. The timer's own work on a deployment holds a guard too, so two ticks never work on the same one.
//!
//! The facts decide, never the stage alone:
//! - no canister recorded: none was created (or its reply never arrived, and then its id was never learnt): Failed;
//! - the module installed is the version's (only the factory controlled the canister, so it is the factory's
//!   install): finish: add the owner to the controllers, record the contract, settle Succeeded;
//! - anything else: take the canister back (the factory its only controller), uninstall, keep it as a spare, Failed.
//! An Orphaned deployment (already settled Failed, its canister not emptied) is retried the same way.

use candid::Principal;
use fleet_api::FleetError;
use ic_stable_structures::Memory;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use crate::api::{DeployStage, PendingDeployment};
use crate::deploy::{fail, hand_over, record};
use crate::events::EventKind;
use crate::runtime::{mgmt_error, Runtime};
use crate::FactoryCell;

/// Pending deployments some running future (a `createContract` or a reconciliation) owns. Heap only, by design.
#[derive(Clone, Default)]
pub struct RunningDeployments(Rc<RefCell<BTreeSet<u64>>>);

impl RunningDeployments {
    /// Marks `id` as owned until the guard is dropped.
    pub fn claim(&self, id: u64) -> RunningGuard {
        self.0.borrow_mut().insert(id);
        RunningGuard { set: self.clone(), id }
    }

    /// Claims `id` unless a live future already owns it.
    pub fn try_claim(&self, id: u64) -> Option<RunningGuard> {
        if self.0.borrow().contains(&id) {
            return None;
        }
        Some(self.claim(id))
    }

    pub fn contains(&self, id: u64) -> bool {
        self.0.borrow().contains(&id)
    }
}

/// Owns one pending deployment for the life of the future holding it.
pub struct RunningGuard {
    set: RunningDeployments,
    id: u64,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.set.0.borrow_mut().remove(&self.id);
    }
}

/// How many deployments one tick settles at most (each takes up to three management calls).
pub const MAX_PER_TICK: usize = 10;

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub succeeded: u32,
    pub failed: u32,
    /// Orphaned canisters emptied and kept as spares.
    pub recycled: u32,
    /// Deployments left for a later tick (a management call failed; the reason is on the pending deployment).
    pub deferred: u32,
}

/// One reconciliation tick: settles up to `MAX_PER_TICK` pending deployments no running future owns.
pub async fn reconcile<M: Memory, R: Runtime>(runtime: &R, state: &impl FactoryCell<M>) -> ReconcileReport {
    let mut report = ReconcileReport::default();
    let ids = state.with(|f| f.inflight.pending_ids());
    let mut done = 0;
    for id in ids {
        if done == MAX_PER_TICK {
            break;
        }
        let Some((guard, pending)) = state.with(|f| {
            let pending = f.inflight.get(id)?;
            Some((f.running.try_claim(id)?, pending))
        }) else {
            continue;
        };
        done += 1;
        match settle_one(runtime, state, pending).await {
            Ok(Settled::Succeeded) => report.succeeded += 1,
            Ok(Settled::Failed) => report.failed += 1,
            Ok(Settled::Recycled) => report.recycled += 1,
            Err(reason) => {
                report.deferred += 1;
                state.with(|f| f.inflight.update(id, |d| d.last_error = Some(reason.to_string())));
            }
        }
        drop(guard);
    }
    report
}

enum Settled {
    Succeeded,
    Failed,
    Recycled,
}

async fn settle_one<M: Memory, R: Runtime>(
    runtime: &R,
    state: &impl FactoryCell<M>,
    pending: PendingDeployment,
) -> Result<Settled, FleetError> {
    let Some(canister) = pending.canister else {
        let error = interrupted(&pending);
        state.with(|f| {
            fail(f, runtime.now(), &pending, None, &error);
            settle(f, &pending, Err(error));
            journal(f, runtime, &pending, false);
        });
        return Ok(Settled::Failed);
    };
    let facts = runtime.canister_status(canister).await.map_err(|r| mgmt_error("canister_status", r))?;
    let expected = state.with(|f| f.registry.record(&pending.version).map(|r| r.sha256.to_vec()))?;
    if pending.stage != DeployStage::Orphaned && facts.module_hash.as_ref() == Some(&expected) {
        if !facts.controllers.contains(&pending.owner) {
            hand_over(runtime, canister, pending.owner).await?;
        }
        return state.with(|f| {
            // Re-read: a contract's early `notifyDeploymentComplete` may have arrived during the awaits.
            let current = f.inflight.get(pending.id).unwrap_or(pending);
            let result = record(f, runtime, current.clone(), expected, canister);
            settle(f, &current, result.clone());
            journal(f, runtime, &current, result.is_ok());
            result.map(|_| Settled::Succeeded)
        });
    }
    if facts.controllers != [runtime.self_id()] {
        // Only a canister created by an earlier layout (with the owner as a controller) gets here.
        runtime
            .update_settings(canister, vec![runtime.self_id()])
            .await
            .map_err(|r| mgmt_error("update_settings", r))?;
    }
    runtime.uninstall_code(canister).await.map_err(|r| mgmt_error("uninstall_code", r))?;
    Ok(state.with(|f| {
        let now = runtime.now();
        f.spares.keep(canister, facts.cycles, now);
        if pending.stage == DeployStage::Orphaned {
            // Already failed and settled when its clean-up failed.
            f.inflight.close(pending.id);
            f.contracts.update_stats(|s| s.orphaned_canisters = s.orphaned_canisters.saturating_sub(1));
            journal(f, runtime, &pending, false);
            Settled::Recycled
        } else {
            let error = interrupted(&pending);
            fail(f, now, &pending, Some(canister), &error);
            settle(f, &pending, Err(error));
            journal(f, runtime, &pending, false);
            Settled::Failed
        }
    }))
}

fn interrupted(pending: &PendingDeployment) -> FleetError {
    FleetError::invalid_state(format!(
        "deployment {} was interrupted before its contract was installed and handed over; nothing was deployed",
        pending.id
    ))
}

fn settle<M: Memory>(
    factory: &mut crate::Factory<M>,
    pending: &PendingDeployment,
    result: Result<Principal, FleetError>,
) {
    if let Some(request_id) = pending.request_id {
        factory.inflight.settle(pending.caller, request_id, &result);
    }
}

fn journal<M: Memory, R: Runtime>(
    factory: &mut crate::Factory<M>,
    runtime: &R,
    pending: &PendingDeployment,
    succeeded: bool,
) {
    let kind = EventKind::DeploymentReconciled { id: pending.id, canister: pending.canister, succeeded };
    factory.events.record(runtime.now(), runtime.self_id(), kind);
}
