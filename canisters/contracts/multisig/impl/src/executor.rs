//! The updates that call other canisters, over any [`Runtime`] and any [`WalletCell`]: the canister runs them on
//! ic-cdk calls and its stable memory, the tests on a fake runtime and `VectorMemory`. The wallet is never borrowed
//! across an await; everything a call depends on is recorded before it is sent.

use crate::runtime::Runtime;
use crate::wallet::{LedgerAnswer, Outgoing, Step, Wallet};
use candid::Principal;
use contract_runtime::reports::{self, FactoryReports, ReportsCell};
use fleet_api::FleetError;
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use multisig_api::{BalanceRequest, KnownBalance, ProposalResult, ProposeArgs, Vote};
use std::time::Duration;

/// Access to the one wallet of the canister (a thread-local there, a `RefCell` in tests).
pub trait WalletCell {
    type M: Memory;
    fn with<R>(&self, f: impl FnOnce(&mut Wallet<Self::M>) -> R) -> R;
}

/// `propose`; executes the proposal at once when the proposer's approval alone reaches the threshold.
pub async fn propose(
    rt: &impl Runtime,
    cell: &impl WalletCell,
    caller: Principal,
    args: ProposeArgs,
) -> ProposalResult {
    let (self_id, now) = (rt.self_id(), rt.now());
    let (proposal, ready) = cell.with(|w| w.propose(caller, args, self_id, now))?;
    if ready {
        return Ok(execute_after_vote(rt, cell, proposal.id).await.unwrap_or(proposal));
    }
    Ok(proposal)
}

/// `approve` / `reject`; the approval that reaches the threshold executes the proposal before the reply.
pub async fn vote(rt: &impl Runtime, cell: &impl WalletCell, caller: Principal, id: u64, vote: Vote) -> ProposalResult {
    let (proposal, ready) = cell.with(|w| w.vote(caller, id, vote, rt.now()))?;
    if ready {
        return Ok(execute_after_vote(rt, cell, id).await.unwrap_or(proposal));
    }
    Ok(proposal)
}

/// `execute` by a signer of the proposal's snapshot.
pub async fn execute(rt: &impl Runtime, cell: &impl WalletCell, caller: Principal, id: u64) -> ProposalResult {
    run(rt, cell, Some(caller), id).await
}

/// The automatic execution after a vote: the vote is recorded whatever happens, so a refusal to start (which a
/// just-approved proposal cannot meet) leaves the reply to show the proposal as voted.
async fn execute_after_vote(rt: &impl Runtime, cell: &impl WalletCell, id: u64) -> Option<multisig_api::Proposal> {
    run(rt, cell, None, id).await.ok()
}

async fn run(rt: &impl Runtime, cell: &impl WalletCell, caller: Option<Principal>, id: u64) -> ProposalResult {
    let outgoing = match cell.with(|w| w.begin_execution(caller, id, rt.now()))? {
        Step::Finished(proposal) => return Ok(proposal),
        Step::Send(outgoing) => *outgoing,
    };
    match outgoing {
        Outgoing::Transfer { ledger, arg } => {
            let answer = LedgerAnswer::from_transfer(rt.icrc1_transfer(ledger, arg).await);
            cell.with(|w| w.finish_ledger(id, answer, rt.now()))
        }
        Outgoing::Approve { ledger, arg } => {
            let answer = LedgerAnswer::from_approve(rt.icrc2_approve(ledger, arg).await);
            cell.with(|w| w.finish_ledger(id, answer, rt.now()))
        }
        Outgoing::Call { canister, method, arg, cycles } => {
            let reply = rt.call_raw(canister, &method, &arg, cycles).await;
            cell.with(|w| w.finish_call(id, reply, rt.now()))
        }
    }
}

/// `refreshBalance` by a current signer: asks the ledger and records its answer.
pub async fn refresh_balance(
    rt: &impl Runtime,
    cell: &impl WalletCell,
    caller: Principal,
    request: BalanceRequest,
) -> Result<KnownBalance, FleetError> {
    let BalanceRequest { ledger, subaccount } = request;
    cell.with(|w| {
        if !w.is_signer(&caller) {
            return Err(FleetError::unauthorized("only a signer of the wallet may refresh its balances"));
        }
        if ledger == Principal::anonymous() || ledger == Principal::management_canister() || ledger == rt.self_id() {
            return Err(FleetError::invalid(format!("ledger: {ledger} is not a ledger canister")));
        }
        w.can_record_balance(ledger, subaccount)
    })?;
    let account = Account { owner: rt.self_id(), subaccount };
    let balance = rt
        .icrc1_balance_of(ledger, account)
        .await
        .map_err(|failure| FleetError::call_failed(ledger, "icrc1_balance_of", failure.reason()))?;
    cell.with(|w| w.record_balance(ledger, subaccount, balance, rt.now()))
}

/// One round of factory reports (`contract_runtime::reports::send_round`): the delay before the next round, or
/// `None` when nothing is left (or the wallet gives up until something new is queued).
pub async fn send_reports(rt: &impl Runtime, cell: &impl WalletCell) -> Option<Duration> {
    reports::send_round(rt, &WalletReports(cell)).await
}

/// The wallet's reports, as the shared report round takes them.
struct WalletReports<'a, C>(&'a C);

impl<C: WalletCell> ReportsCell<C::M> for WalletReports<'_, C> {
    fn with_reports<R>(&self, f: impl FnOnce(&mut FactoryReports<C::M>) -> R) -> R {
        self.0.with(|w| f(w.reports_mut()))
    }
}
