//! The reconciliation job, run by a timer: advances deployments whose user call could not finish them (unknown
//! outcomes, failed refunds, calls cut short by a trap) and flushes the outbox.

use super::flow::advance_guarded;
use super::guard::DeploymentGuard;
use super::outbox;
use super::runtime::Runtime;
use crate::state::Shared;
use backend_api::DeploymentStage;
use ic_stable_structures::Memory;

/// Deployments advanced per run; the rest wait for the next run.
pub const MAX_PER_RUN: usize = 20;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub advanced: usize,
    pub flushed: usize,
}

pub async fn reconcile<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R) -> ReconcileReport {
    let due = state.borrow().due_deployments(runtime.now(), MAX_PER_RUN);
    let mut report = ReconcileReport::default();
    for id in due {
        let Some(guard) = DeploymentGuard::try_acquire(state, id) else { continue };
        let stage = state.borrow().deployment_record(id).map(|record| record.stage());
        match stage {
            // The user's call stopped (trapped) while creating the invoice: nothing was charged. Its typed arguments
            // are gone with it, so the request cannot go on; the user asks again.
            Some(DeploymentStage::CreatingInvoice) => {
                state.borrow_mut().fail_unpaid(id, "interrupted before payment; nothing was charged", runtime.now());
            }
            Some(DeploymentStage::RefundFailed) => state.borrow_mut().retry_refund(id, runtime.now()),
            _ => {}
        }
        advance_guarded(state, runtime, id, &guard).await;
        report.advanced += 1;
    }
    report.flushed = outbox::flush(state, runtime).await;
    report
}
