//! The operations that await: each records what it is about to do in the books first, then calls, then settles.
//! Generic over the state cell and the runtime, so native tests run them on a fake ledger.

use crate::books::{SendVerdict, Status, TransferRecord};
use crate::runtime::Runtime;
use crate::state::DistributionCell;
use candid::{Nat, Principal};
use distribution_api::{amount_u128, Account, FundingReport, TransferInfo};
use fleet_api::contract::callbacks::MAX_PARTICIPANTS_PER_CALL;
use fleet_api::FleetError;
use ic_stable_structures::Memory;

/// Re-sends at most this many pending transfers per round of the retry timer.
pub const RESEND_BATCH: usize = 50;

/// `checkFunding`: reads the ledger fee and the contract's balance, funds a Created distribution whose balance is
/// enough, and brings tokens received since into the books when no transfer moved meanwhile.
pub async fn check_funding<M: Memory>(
    state: &impl DistributionCell<M>,
    rt: &impl Runtime,
    caller: Principal,
) -> Result<FundingReport, FleetError> {
    let ticket = state.with(|d| d.sync_ticket(caller, rt.owner()))?;
    let (fee, balance) = read_ledger(state, rt).await?;
    let (report, changed) = state.with(|d| d.finish_sync(ticket, balance, fee, rt.now()));
    if changed {
        report_status(state, rt).await;
    }
    Ok(report)
}

async fn read_ledger<M: Memory>(
    state: &impl DistributionCell<M>,
    rt: &impl Runtime,
) -> Result<(u128, u128), FleetError> {
    let ledger = state.with(|d| d.config().ledger);
    let fee = to_u128(rt.icrc1_fee(ledger).await?, "icrc1_fee")?;
    let account = Account { owner: rt.self_id(), subaccount: None };
    let balance = to_u128(rt.icrc1_balance_of(ledger, account).await?, "icrc1_balance_of")?;
    Ok((fee, balance))
}

fn to_u128(value: Nat, what: &str) -> Result<u128, FleetError> {
    amount_u128(&value)
        .ok_or_else(|| FleetError::Internal(format!("the ledger's {what} answered {value}, beyond 2^128")))
}

/// `claim`: records the caller's claimable amount as claimed, sends it, settles the transfer.
pub async fn claim<M: Memory>(
    state: &impl DistributionCell<M>,
    rt: &impl Runtime,
    caller: Principal,
) -> Result<TransferInfo, FleetError> {
    let id = state.with(|d| d.start_claim(caller, rt.now()))?;
    send_and_answer(state, rt, id).await
}

/// `withdrawSurplus`: sends the owner what the books do not need.
pub async fn withdraw_surplus<M: Memory>(
    state: &impl DistributionCell<M>,
    rt: &impl Runtime,
    caller: Principal,
) -> Result<TransferInfo, FleetError> {
    let id = state.with(|d| d.start_surplus_withdrawal(caller, rt.owner(), rt.now()))?;
    send_and_answer(state, rt, id).await
}

/// `cancel`: freezes vesting, then sends the surplus (what did not vest, and unused fees) to the owner. A
/// distribution cancelled before funding has its balance read first. `None` when there is nothing to send or the
/// balance could not be read (the owner can then call `checkFunding` and `withdrawSurplus`).
pub async fn cancel<M: Memory>(
    state: &impl DistributionCell<M>,
    rt: &impl Runtime,
    caller: Principal,
) -> Result<Option<TransferInfo>, FleetError> {
    let cancelled = state.with(|d| d.cancel(caller, rt.owner(), rt.now()))?;
    report_status(state, rt).await;
    if cancelled.needs_sync {
        let ticket = state.with(|d| d.ticket());
        let Ok((fee, balance)) = read_ledger(state, rt).await else { return Ok(None) };
        state.with(|d| d.finish_sync(ticket, balance, fee, rt.now()));
    }
    let Ok(id) = state.with(|d| d.start_surplus_withdrawal(rt.owner(), rt.owner(), rt.now())) else { return Ok(None) };
    Ok(send(state, rt, id).await.map(|(record, _)| record.info()))
}

async fn send_and_answer<M: Memory>(
    state: &impl DistributionCell<M>,
    rt: &impl Runtime,
    id: u64,
) -> Result<TransferInfo, FleetError> {
    let ledger = state.with(|d| d.config().ledger);
    let failed = |reason: String| FleetError::call_failed(ledger, "icrc1_transfer", reason);
    let Some((record, verdict)) = send(state, rt, id).await else {
        return Err(failed(format!("transfer {id} is already being sent; see getTransfers")));
    };
    match verdict {
        SendVerdict::Executed { .. } => Ok(record.info()),
        SendVerdict::Refused { reason } => Err(failed(format!(
            "transfer {id} refused ({reason}); nothing moved{}",
            if record.purpose == distribution_api::TransferPurpose::Surplus {
                ""
            } else {
                " and the amount is claimable again"
            }
        ))),
        SendVerdict::Unknown { reason } => Err(failed(format!(
            "transfer {id}: outcome unknown ({reason}); it stays recorded and is re-sent identically until the ledger \
             answers"
        ))),
        SendVerdict::NeedsOperator { reason } => Err(failed(format!("transfer {id} needs an operator: {reason}"))),
    }
}

/// Sends pending transfer `id` once and settles it. `None` when it is settled or already being sent. When the
/// transfer completes the distribution, reports it and sends the surplus to the owner.
pub async fn send<M: Memory>(
    state: &impl DistributionCell<M>,
    rt: &impl Runtime,
    id: u64,
) -> Option<(TransferRecord, SendVerdict)> {
    let (ledger, arg) = state.with(|d| d.begin_send(id))?;
    let outcome = rt.icrc1_transfer(ledger, arg).await;
    let (settled, completed) = state.with(|d| {
        let before = d.books().status;
        let settled = d.settle(id, outcome, rt.now());
        (settled, before != Status::Completed && d.books().status == Status::Completed)
    });
    if completed {
        report_status(state, rt).await;
        if let Ok(surplus) = state.with(|d| d.start_surplus_withdrawal(rt.owner(), rt.owner(), rt.now())) {
            Box::pin(send(state, rt, surplus)).await;
        }
    }
    settled
}

/// One round of the retry timer: re-sends pending transfers no send is awaiting. Returns whether any is left.
pub async fn resend_pending<M: Memory>(state: &impl DistributionCell<M>, rt: &impl Runtime) -> bool {
    for id in state.with(|d| d.resendable(RESEND_BATCH)) {
        send(state, rt, id).await;
    }
    state.with(|d| d.has_pending())
}

/// Reports the recipients not yet reported to the factory, 500 per call, moving the stored cursor after each
/// accepted call. Stops at the first refusal (the timer tries again later).
pub async fn report_participants<M: Memory>(
    state: &impl DistributionCell<M>,
    rt: &impl Runtime,
) -> Result<(), FleetError> {
    loop {
        let (start, batch) = state.with(|d| d.participants_to_report(MAX_PARTICIPANTS_PER_CALL));
        if batch.is_empty() {
            return Ok(());
        }
        rt.notify_participants_added(&batch).await?;
        state.with(|d| d.mark_reported(start, batch.len() as u64));
    }
}

/// Records Funded → Active when its time has come and tells the factory.
pub async fn activate_if_due<M: Memory>(state: &impl DistributionCell<M>, rt: &impl Runtime) {
    if state.with(|d| d.activate_if_due(rt.now())) {
        report_status(state, rt).await;
    }
}

/// Tells the factory the current status; best effort (the factory shows it, nothing depends on it).
async fn report_status<M: Memory>(state: &impl DistributionCell<M>, rt: &impl Runtime) {
    let status = state.with(|d| d.status(rt.now()));
    let _ = rt.notify_status_changed(format!("{status:?}")).await;
}
