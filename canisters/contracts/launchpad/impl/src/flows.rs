//! The operations that await: each records what it is about to do in the books first, then calls, then settles.
//! Generic over the state cell and the runtime, so native tests run them on fake ledgers.

use crate::books::{SendVerdict, TransferRecord};
use crate::runtime::Runtime;
use crate::state::LaunchpadCell;
use candid::{Nat, Principal};
use fleet_api::contract::callbacks::MAX_PARTICIPANTS_PER_CALL;
use fleet_api::FleetError;
use futures_util::future::join_all;
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use launchpad_api::{amount_u128, ContributionInfo, FundingReport, TransferInfo};

/// Re-sends at most this many pending contributions and transfers per round of the retry timer.
pub const RESEND_BATCH: usize = 50;
/// Refunds the refund job records and sends per round (one message records them all, then one reply each).
pub const REFUND_BATCH: usize = 100;

fn to_u128(value: Nat, what: &str) -> Result<u128, FleetError> {
    amount_u128(&value)
        .ok_or_else(|| FleetError::Internal(format!("the ledger's {what} answered {value}, beyond 2^128")))
}

/// `checkFunding`: reads both ledgers' fees and the sale token balance; funds the sale when the balance covers the
/// hard cap.
pub async fn check_funding<M: Memory>(
    state: &impl LaunchpadCell<M>,
    rt: &impl Runtime,
    caller: Principal,
) -> Result<FundingReport, FleetError> {
    state.with(|l| l.check_funding_allowed(caller, rt.owner(), rt.now()))?;
    let (sale_ledger, payment_ledger) = state.with(|l| (l.config().sale_ledger, l.config().payment_ledger));
    let sale_fee = to_u128(rt.icrc1_fee(sale_ledger).await?, "icrc1_fee")?;
    let payment_fee = to_u128(rt.icrc1_fee(payment_ledger).await?, "icrc1_fee")?;
    let account = Account { owner: rt.self_id(), subaccount: None };
    let balance = to_u128(rt.icrc1_balance_of(sale_ledger, account).await?, "icrc1_balance_of")?;
    let report = state.with(|l| l.finish_funding(balance, sale_fee, payment_fee, rt.now()));
    report_status(state, rt).await;
    Ok(report)
}

/// `contribute`: records the contribution (reserving it against the caps), takes it by `icrc2_transfer_from`,
/// settles it.
pub async fn contribute<M: Memory>(
    state: &impl LaunchpadCell<M>,
    rt: &impl Runtime,
    caller: Principal,
    amount: Nat,
) -> Result<ContributionInfo, FleetError> {
    let id = state.with(|l| l.start_contribution(caller, &amount, rt.now()))?;
    let ledger = state.with(|l| l.config().payment_ledger);
    let failed = |reason: String| FleetError::call_failed(ledger, "icrc2_transfer_from", reason);
    let Some((record, verdict)) = send_contribution(state, rt, id).await else {
        return Err(failed(format!("contribution {id} is already being sent; see getContributions")));
    };
    match verdict {
        SendVerdict::Executed { .. } => Ok(record.info()),
        SendVerdict::Refused { reason, .. } => Err(FleetError::PaymentFailed(format!(
            "contribution {id} refused by the payment ledger ({reason}); nothing was taken or counted"
        ))),
        SendVerdict::Unknown { reason } => Err(failed(format!(
            "contribution {id}: outcome unknown ({reason}); it stays reserved and is re-sent identically until the \
             ledger answers"
        ))),
        SendVerdict::NeedsOperator { reason } => Err(failed(format!("contribution {id} needs an operator: {reason}"))),
    }
}

/// Sends pending contribution `id` once and settles it; decides the sale when that was the last one in flight past
/// the end. `None` when it is settled or already being sent.
pub async fn send_contribution<M: Memory>(
    state: &impl LaunchpadCell<M>,
    rt: &impl Runtime,
    id: u64,
) -> Option<(crate::books::ContributionRecord, SendVerdict)> {
    let (ledger, arg) = state.with(|l| l.begin_contribution_send(id, rt.self_id()))?;
    let outcome = rt.icrc2_transfer_from(ledger, arg).await;
    let settled = state.with(|l| l.settle_contribution(id, outcome));
    if state.with(|l| l.finalize_due(rt.now())) {
        Box::pin(finalize_and_pay(state, rt)).await;
    }
    settled
}

/// `claim`: decides the sale first if its end has passed, then records and sends what the caller may take.
pub async fn claim<M: Memory>(
    state: &impl LaunchpadCell<M>,
    rt: &impl Runtime,
    caller: Principal,
) -> Result<TransferInfo, FleetError> {
    finalize_and_pay(state, rt).await;
    let id = state.with(|l| l.start_claim(caller, rt.now()))?;
    let Some((record, verdict)) = send(state, rt, id).await else {
        return Err(FleetError::invalid_state(format!("transfer {id} is already being sent; see getTransfers")));
    };
    let (ledger, info) = state.with(|l| {
        let info = record.info(l.config());
        (info.ledger, info)
    });
    let failed = |reason: String| FleetError::call_failed(ledger, "icrc1_transfer", reason);
    match verdict {
        SendVerdict::Executed { .. } => Ok(info),
        SendVerdict::Refused { reason, .. } => {
            Err(failed(format!("transfer {id} refused ({reason}); nothing moved and it is claimable again")))
        }
        SendVerdict::Unknown { reason } => Err(failed(format!(
            "transfer {id}: outcome unknown ({reason}); it stays recorded and is re-sent identically until the ledger \
             answers"
        ))),
        SendVerdict::NeedsOperator { reason } => Err(failed(format!("transfer {id} needs an operator: {reason}"))),
    }
}

/// Sends pending transfer `id` once and settles it. `None` when it is settled or already being sent.
pub async fn send<M: Memory>(
    state: &impl LaunchpadCell<M>,
    rt: &impl Runtime,
    id: u64,
) -> Option<(TransferRecord, SendVerdict)> {
    let (ledger, arg) = state.with(|l| l.begin_send(id))?;
    let outcome = rt.icrc1_transfer(ledger, arg).await;
    state.with(|l| l.settle_transfer(id, outcome))
}

/// Decides the sale when it is due and tells the factory; then records and sends the owner's payouts still due
/// (a succeeded sale's proceeds and unsold tokens, a failed sale's sale tokens).
pub async fn finalize_and_pay<M: Memory>(state: &impl LaunchpadCell<M>, rt: &impl Runtime) {
    state.with(|l| l.finalize(rt.now()));
    report_status(state, rt).await;
    let ids = state.with(|l| l.record_owner_payouts(rt.owner(), rt.now()));
    join_all(ids.into_iter().map(|id| send(state, rt, id))).await;
    if !state.with(|l| l.sale_return_due()) {
        return;
    }
    state.with(|l| l.reading_sale_balance = true);
    let ledger = state.with(|l| l.config().sale_ledger);
    let account = Account { owner: rt.self_id(), subaccount: None };
    let read = async {
        let fee = to_u128(rt.icrc1_fee(ledger).await?, "icrc1_fee")?;
        let balance = to_u128(rt.icrc1_balance_of(ledger, account).await?, "icrc1_balance_of")?;
        Ok::<_, FleetError>((fee, balance))
    };
    let read = read.await;
    state.with(|l| l.reading_sale_balance = false);
    if let Ok((fee, balance)) = read {
        if let Some(id) = state.with(|l| l.record_sale_return(rt.owner(), balance, fee, rt.now())) {
            send(state, rt, id).await;
        }
    }
}

/// One round of the refund job of a failed sale: records the next batch of refunds and sends them all at once.
/// Returns whether buyers are left for another round, and whether every send of this round executed.
pub async fn refund_round<M: Memory>(state: &impl LaunchpadCell<M>, rt: &impl Runtime) -> (bool, bool) {
    let ids = state.with(|l| l.record_refund_batch(REFUND_BATCH, rt.now()));
    let sent = join_all(ids.into_iter().map(|id| send(state, rt, id))).await;
    let clean = sent.iter().all(|s| matches!(s, Some((_, SendVerdict::Executed { .. }))));
    (state.with(|l| l.refund_job_due()), clean)
}

/// One round of the retry timer: re-sends pending contributions and transfers no send is awaiting, then decides
/// the sale if that was what it waited for. Returns whether any is left.
pub async fn resend_pending<M: Memory>(state: &impl LaunchpadCell<M>, rt: &impl Runtime) -> bool {
    let contributions = state.with(|l| l.resendable_contributions(RESEND_BATCH));
    join_all(contributions.into_iter().map(|id| send_contribution(state, rt, id))).await;
    let transfers = state.with(|l| l.resendable_transfers(RESEND_BATCH));
    join_all(transfers.into_iter().map(|id| send(state, rt, id))).await;
    finalize_and_pay(state, rt).await;
    state.with(|l| l.has_pending())
}

/// Reports the buyers not yet reported to the factory, 500 per call, moving the stored cursor after each accepted
/// call. Stops at the first refusal (the timer tries again later).
pub async fn report_participants<M: Memory>(
    state: &impl LaunchpadCell<M>,
    rt: &impl Runtime,
) -> Result<(), FleetError> {
    loop {
        let (start, batch) = state.with(|l| l.participants_to_report(MAX_PARTICIPANTS_PER_CALL));
        if batch.is_empty() {
            return Ok(());
        }
        rt.notify_participants_added(&batch).await?;
        state.with(|l| l.mark_reported(start, batch.len() as u64));
    }
}

/// Tells the factory the status when it changed since the last one it accepted (best effort: a refusal is retried
/// at the next change or timer).
pub async fn report_status<M: Memory>(state: &impl LaunchpadCell<M>, rt: &impl Runtime) {
    let Some(status) = state.with(|l| l.status_to_report(rt.now())) else { return };
    if rt.notify_status_changed(format!("{status:?}")).await.is_ok() {
        state.with(|l| l.mark_status_reported(status));
    }
}
