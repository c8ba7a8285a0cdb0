//! The updates that call other canisters, over any [`Runtime`] and any [`DaoCell`]: the canister runs them on
//! ic-cdk calls and its stable memory, the tests on a fake runtime and `VectorMemory`. The DAO is never borrowed
//! across an await; everything a call depends on is recorded before it is sent.

use crate::dao::{to_u128, Dao, ExecutionStep, LedgerAnswer, SettleStep};
use crate::runtime::Runtime;
use candid::Principal;
use contract_runtime::reports::{self, FactoryReports, ReportsCell};
use dao_api::{ProposalResult, ProposeArgs, StakeArgs, StakeResult, VoteArgs};
use fleet_api::FleetError;
use ic_stable_structures::Memory;
use std::time::Duration;

/// Access to the one DAO of the canister (a thread-local there, a `RefCell` in tests).
pub trait DaoCell {
    type M: Memory;
    fn with<R>(&self, f: impl FnOnce(&mut Dao<Self::M>) -> R) -> R;
}

/// `stake`: checks, reads the ledger fee, records the stake, sends the `transfer_from`, records the answer.
pub async fn stake(rt: &impl Runtime, cell: &impl DaoCell, caller: Principal, args: StakeArgs) -> StakeResult {
    let ledger = cell.with(|d| d.check_stake(caller, &args).map(|_| d.config().governance_token))?;
    let fee = to_u128(&rt.icrc1_fee(ledger).await?);
    let (stake, step) = cell.with(|d| d.begin_stake(caller, &args, fee, rt.self_id(), rt.now()))?;
    let answer = LedgerAnswer::from_transfer_from(rt.icrc2_transfer_from(step.ledger, step.arg).await);
    cell.with(|d| d.finish_stake(stake.id, answer))
}

/// `unstake`: after the lock, the stake less the ledger fee goes back to the member.
pub async fn unstake(rt: &impl Runtime, cell: &impl DaoCell, caller: Principal, id: u64) -> StakeResult {
    let ledger = cell.with(|d| d.check_unstake(caller, id, rt.now()).map(|_| d.config().governance_token))?;
    let fee = to_u128(&rt.icrc1_fee(ledger).await?);
    let (_, step) = cell.with(|d| d.begin_unstake(caller, id, fee, rt.now()))?;
    let answer = LedgerAnswer::from_transfer(rt.icrc1_transfer(step.ledger, step.arg).await);
    cell.with(|d| d.finish_unstake(id, answer))
}

/// `settleStake`: re-sends a stake's call of unknown outcome identically.
pub async fn settle_stake(rt: &impl Runtime, cell: &impl DaoCell, caller: Principal, id: u64) -> StakeResult {
    match cell.with(|d| d.begin_settle(caller, id, rt.self_id()))? {
        SettleStep::Stake(step) => {
            let answer = LedgerAnswer::from_transfer_from(rt.icrc2_transfer_from(step.ledger, step.arg).await);
            cell.with(|d| d.finish_stake(id, answer))
        }
        SettleStep::Unstake(step) => {
            let answer = LedgerAnswer::from_transfer(rt.icrc1_transfer(step.ledger, step.arg).await);
            cell.with(|d| d.finish_unstake(id, answer))
        }
    }
}

pub fn propose(rt: &impl Runtime, cell: &impl DaoCell, caller: Principal, args: ProposeArgs) -> ProposalResult {
    cell.with(|d| d.propose(caller, args, rt.self_id(), rt.now()))
}

pub fn vote(rt: &impl Runtime, cell: &impl DaoCell, caller: Principal, args: VoteArgs) -> ProposalResult {
    cell.with(|d| d.vote(caller, args, rt.now()))
}

/// `execute` by a member or the owner.
pub async fn execute(rt: &impl Runtime, cell: &impl DaoCell, caller: Principal, id: u64) -> ProposalResult {
    let allowed = caller == rt.owner() || cell.with(|d| d.member(&caller).is_some());
    if !allowed || caller == Principal::anonymous() {
        return Err(FleetError::unauthorized("only a member of the DAO or its owner may execute a proposal"));
    }
    run(rt, cell, id).await
}

/// One execution attempt of proposal `id`.
pub async fn run(rt: &impl Runtime, cell: &impl DaoCell, id: u64) -> ProposalResult {
    match cell.with(|d| d.begin_execution(id, rt.now()))? {
        ExecutionStep::Finished(proposal) => Ok(proposal),
        ExecutionStep::Send { ledger, arg } => {
            let answer = LedgerAnswer::from_transfer(rt.icrc1_transfer(ledger, arg).await);
            cell.with(|d| d.finish_execution(id, answer, rt.now()))
        }
    }
}

/// Proposals run by one round of the execution timer.
pub const EXECUTIONS_PER_ROUND: usize = 10;

/// The timer's round: decides proposals whose voting ended, then runs adopted (or interrupted) executions, at most
/// [`EXECUTIONS_PER_ROUND`]. Whether more are due.
pub async fn decide_and_execute(rt: &impl Runtime, cell: &impl DaoCell) -> bool {
    cell.with(|d| d.decide_due(rt.now()));
    let due = cell.with(|d| d.executions_due(EXECUTIONS_PER_ROUND));
    for id in &due {
        // A refusal to start (another attempt is awaiting) leaves it to that attempt.
        let _ = run(rt, cell, *id).await;
    }
    let now = rt.now();
    cell.with(|d| !d.executions_due(1).is_empty() || d.next_deadline().is_some_and(|at| at <= now))
}

/// One round of factory reports (`contract_runtime::reports::send_round`): the delay before the next round, or
/// `None` when nothing is left (or the DAO gives up until something new is queued).
pub async fn send_reports(rt: &impl Runtime, cell: &impl DaoCell) -> Option<Duration> {
    reports::send_round(rt, &DaoReports(cell)).await
}

/// The DAO's reports, as the shared report round takes them.
struct DaoReports<'a, C>(&'a C);

impl<C: DaoCell> ReportsCell<C::M> for DaoReports<'_, C> {
    fn with_reports<R>(&self, f: impl FnOnce(&mut FactoryReports<C::M>) -> R) -> R {
        self.0.with(|d| f(d.reports_mut()))
    }
}
