//! `withdrawFees`: an admin sends collected fees from the backend's account, never more than what no open deployment
//! may still have to refund. A withdrawal is a [`LedgerSend`] like a charge or a refund: written before it is sent,
//! re-sent identically by the timer while its outcome is unknown, journaled in the audit log. One withdrawal is open
//! at a time, so the balance read before it cannot be spent twice.

use super::guard::FlagGuard;
use super::ledger_send::{classify_transfer, judge, LedgerSend, Verdict};
use super::runtime::Runtime;
use super::steps::short;
use crate::state::{BackendState, Shared, SERVICE_NAME, WITHDRAWAL_SEQ};
use audit_storage_api::{AuditAction, AuditOutcome, LogEventArgs};
use backend_api::{DeploymentStage, WithdrawFeesArgs, WithdrawalStatus};
use candid::{CandidType, Deserialize, Nat, Principal};
use fleet_api::{FleetError, FleetResult};
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{Memo, TransferArg};
use service_base::{Caller, Candid};

/// Delay before the timer re-sends a withdrawal of unknown outcome (ns): a minute.
const RETRY_AFTER: u64 = 60 * 1_000_000_000;

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    pub view: backend_api::Withdrawal,
    pub ledger: Principal,
    pub send: LedgerSend<TransferArg>,
    pub next_attempt_at: u64,
}

impl<M: Memory> BackendState<M> {
    /// What every open deployment may still owe its user: the fees taken, or perhaps taken, and not yet settled.
    pub fn reserved_for_refunds(&self) -> Nat {
        self.open_deployments
            .keys()
            .filter_map(|id| self.deployment_record(id))
            .filter(|record| match record.stage() {
                DeploymentStage::Charging => record.charge.as_ref().is_some_and(|charge| charge.outcome_unknown),
                DeploymentStage::Deploying | DeploymentStage::Refunding | DeploymentStage::RefundFailed => true,
                _ => false,
            })
            .fold(Nat::from(0u8), |sum, record| sum + record.view.fee)
    }

    fn open_withdrawal(&self) -> Option<Withdrawal> {
        let (_, Candid(last)) = self.withdrawals.last_key_value()?;
        matches!(last.view.status, WithdrawalStatus::Sending | WithdrawalStatus::NeedsOperator { .. }).then_some(last)
    }

    pub fn withdrawal_needs_operator(&self) -> bool {
        self.open_withdrawal().is_some_and(|w| matches!(w.view.status, WithdrawalStatus::NeedsOperator { .. }))
    }

    pub fn withdrawals_newest_first(&self, caller: &Caller, limit: usize) -> FleetResult<Vec<backend_api::Withdrawal>> {
        self.access.require_admin(caller)?;
        Ok(self.withdrawals.iter().rev().take(limit.min(100)).map(|entry| entry.value().0.view).collect())
    }

    fn store_withdrawal(&mut self, withdrawal: Withdrawal) {
        self.withdrawals.insert(withdrawal.view.id, Candid(withdrawal));
    }

    fn audit_withdrawal(&mut self, withdrawal: &Withdrawal, action: &str, outcome: AuditOutcome) {
        let view = &withdrawal.view;
        self.audit(LogEventArgs {
            user: view.requested_by,
            action: AuditAction::Other(action.into()),
            service: SERVICE_NAME.into(),
            contract: None,
            invoice_id: None,
            outcome,
            metadata: format!("withdrawal {}: {} to {}", view.id, view.amount, view.to),
            request_id: None,
        });
    }

    /// Applies the ledger's answer to a send of `id`.
    fn settle_withdrawal(&mut self, id: u64, verdict: Verdict, now: u64) -> Option<backend_api::Withdrawal> {
        let Candid(mut withdrawal) = self.withdrawals.get(&id)?;
        let (status, action, outcome) = match verdict {
            Verdict::Done(block_index) => {
                withdrawal.send.outcome_unknown = false;
                (WithdrawalStatus::Done { block_index }, Some("FeesWithdrawn"), AuditOutcome::Success)
            }
            Verdict::NotExecuted(reason) => {
                withdrawal.send.outcome_unknown = false;
                let reason = short(reason);
                (
                    WithdrawalStatus::Failed { reason: reason.clone() },
                    Some("FeesWithdrawalFailed"),
                    AuditOutcome::Failure(reason),
                )
            }
            Verdict::Retry(_) => {
                withdrawal.next_attempt_at = now.saturating_add(RETRY_AFTER);
                (WithdrawalStatus::Sending, None, AuditOutcome::Success)
            }
            Verdict::NeedsOperator(reason) => {
                let reason = short(reason);
                let status = WithdrawalStatus::NeedsOperator { reason: reason.clone() };
                (status, Some("FeesWithdrawalNeedsOperator"), AuditOutcome::Failure(reason))
            }
        };
        withdrawal.view.status = status;
        if let Some(action) = action {
            self.audit_withdrawal(&withdrawal, action, outcome);
        }
        let view = withdrawal.view.clone();
        self.store_withdrawal(withdrawal);
        Some(view)
    }
}

/// Sends the stored transfer of withdrawal `id` and records the answer.
async fn send<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R, id: u64) -> Option<backend_api::Withdrawal> {
    let Candid(mut withdrawal) = state.borrow().withdrawals.get(&id)?;
    let unknown_before = withdrawal.send.outcome_unknown;
    withdrawal.send.sends = withdrawal.send.sends.saturating_add(1);
    withdrawal.send.outcome_unknown = true;
    let (ledger, args) = (withdrawal.ledger, withdrawal.send.args.clone());
    state.borrow_mut().store_withdrawal(withdrawal);
    let reply = runtime.icrc1_transfer(ledger, args).await;
    let verdict = judge(classify_transfer(reply), unknown_before);
    state.borrow_mut().settle_withdrawal(id, verdict, runtime.now())
}

/// `withdrawFees`, admins only.
pub async fn withdraw_fees<M: Memory, R: Runtime>(
    state: &Shared<M>,
    runtime: &R,
    caller: &Caller,
    args: WithdrawFeesArgs,
) -> FleetResult<backend_api::Withdrawal> {
    state.borrow().access.require_admin(caller)?;
    let backend = Account { owner: runtime.self_id(), subaccount: None };
    if args.amount == 0u8 {
        return Err(FleetError::invalid("amount: must be greater than 0"));
    }
    if args.to.owner == Principal::anonymous() || args.to == backend {
        return Err(FleetError::invalid("to: must be an account other than the anonymous one or the backend's own"));
    }
    let ledger = state
        .borrow()
        .settings()
        .payment_ledger
        .ok_or_else(|| FleetError::ServiceNotConfigured("payment ledger".into()))?;
    let _one_at_a_time = FlagGuard::try_acquire(state, |s| &mut s.withdrawing).ok_or(FleetError::AlreadyInProgress)?;
    if let Some(open) = state.borrow().open_withdrawal() {
        return Err(FleetError::invalid_state(format!(
            "withdrawal {} is still open ({:?}); it must settle first",
            open.view.id, open.view.status
        )));
    }
    let balance = runtime.icrc1_balance_of(ledger, backend).await.map_err(FleetError::from)?;
    let ledger_fee = runtime.icrc1_fee(ledger).await.map_err(FleetError::from)?;
    // Read after the awaits: deployments paid meanwhile only add to the balance read before.
    let reserved = state.borrow().reserved_for_refunds();
    let needed = args.amount.clone() + reserved.clone() + ledger_fee.clone();
    if needed > balance {
        let kept = reserved.clone() + ledger_fee.clone();
        let available = if balance > kept { balance.clone() - kept } else { Nat::from(0u8) };
        return Err(FleetError::invalid(format!(
            "amount: at most {available} can be withdrawn now (balance {balance}, {reserved} reserved for open \
             deployments, ledger fee {ledger_fee})"
        )));
    }
    let now = runtime.now();
    let id = state.borrow_mut().next_counter(WITHDRAWAL_SEQ);
    let memo = format!("fleet fee withdrawal {id}").into_bytes();
    let withdrawal = Withdrawal {
        view: backend_api::Withdrawal {
            id,
            to: args.to,
            amount: args.amount.clone(),
            requested_by: caller.principal,
            requested_at: now,
            status: WithdrawalStatus::Sending,
        },
        ledger,
        send: LedgerSend::new(TransferArg {
            from_subaccount: None,
            to: args.to,
            fee: None,
            created_at_time: Some(now),
            memo: Some(Memo::from(memo)),
            amount: args.amount,
        }),
        next_attempt_at: now,
    };
    {
        let mut state = state.borrow_mut();
        state.audit_withdrawal(&withdrawal, "FeesWithdrawalRequested", AuditOutcome::Success);
        state.store_withdrawal(withdrawal);
    }
    send(state, runtime, id).await.ok_or_else(|| FleetError::Internal(format!("withdrawal {id} vanished")))
}

/// The timer's part: re-sends the open withdrawal whose outcome is unknown, when due. Returns how many it sent.
pub async fn retry_open<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R) -> usize {
    let Some(_one_at_a_time) = FlagGuard::try_acquire(state, |s| &mut s.withdrawing) else { return 0 };
    let due = state
        .borrow()
        .open_withdrawal()
        .filter(|w| w.view.status == WithdrawalStatus::Sending && w.next_attempt_at <= runtime.now());
    match due {
        Some(withdrawal) => usize::from(send(state, runtime, withdrawal.view.id).await.is_some()),
        None => 0,
    }
}
