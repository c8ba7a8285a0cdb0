//! The reconciliation job, run by a timer: advances deployments whose user call could not finish them (unknown
//! outcomes, failed refunds, calls cut short by a trap) and flushes the outbox.

use super::flow::advance_guarded;
use super::guard::DeploymentGuard;
use super::outbox;
use super::runtime::Runtime;
use crate::state::Shared;
use backend_api::DeploymentStage;
use ic_stable_structures::Memory;
use invoice_storage_api::RecordPaymentArgs;

/// Deployments advanced per run; the rest wait for the next run.
pub const MAX_PER_RUN: usize = 20;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub advanced: usize,
    pub withdrawals: usize,
    pub flushed: usize,
}

/// Asks invoice storage again with the request's key (it answers with the invoice if the first call created it) and
/// fails the request, the invoice with it. Without an answer it waits for the next run (a bounded number of times).
async fn close_invoice<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R, id: u64) {
    let Some(record) = state.borrow().deployment_record(id) else { return };
    let args = RecordPaymentArgs {
        user: record.view.user,
        service: record.view.kind.factory_service().into(),
        amount: record.view.fee.clone(),
        ledger: record.view.ledger,
        request_id: record.request_key,
    };
    let reply = runtime.record_payment(record.invoice_storage, args).await;
    let now = runtime.now();
    let mut state = state.borrow_mut();
    const REASON: &str = "interrupted before payment; nothing was charged";
    match reply {
        Ok(Ok(invoice)) if invoice.request_id == record.request_key && invoice.user == record.view.user => {
            state.attach_invoice(id, invoice.id, now);
            state.fail_unpaid(id, REASON, now);
        }
        Ok(_) => state.fail_unpaid(id, REASON, now),
        Err(e) if record.view.failed_attempts + 1 >= MAX_INVOICE_CLOSE_ATTEMPTS => {
            state.fail_unpaid(id, format!("{REASON}; the invoice could not be closed: {}", e.reason), now);
        }
        Err(e) => {
            state.park(id, format!("closing the invoice: {}", e.reason), now);
        }
    }
}

/// Tries to close the invoice of an interrupted request before giving up on it (it stays Pending, no money moved).
pub const MAX_INVOICE_CLOSE_ATTEMPTS: u32 = 10;

pub async fn reconcile<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R) -> ReconcileReport {
    let due = state.borrow().due_deployments(runtime.now(), MAX_PER_RUN);
    let mut report = ReconcileReport::default();
    for id in due {
        let Some(guard) = DeploymentGuard::try_acquire(state, id) else { continue };
        let stage = state.borrow().deployment_record(id).map(|record| record.stage());
        match stage {
            // The user's call stopped (trapped, or the invoice's reply was lost) while creating the invoice: nothing
            // was charged, and nothing will be. Close the invoice if it exists, so it is not left Pending.
            Some(DeploymentStage::CreatingInvoice) => close_invoice(state, runtime, id).await,
            Some(DeploymentStage::RefundFailed) => state.borrow_mut().retry_refund(id, runtime.now()),
            _ => {}
        }
        advance_guarded(state, runtime, id, &guard).await;
        report.advanced += 1;
    }
    report.withdrawals = super::withdrawal::retry_open(state, runtime).await;
    report.flushed = outbox::flush(state, runtime).await;
    report
}
