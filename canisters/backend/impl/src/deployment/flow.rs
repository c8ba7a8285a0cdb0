//! The async half of the flow: the calls to the ledger, invoice storage and the factory, each preceded by the stage
//! written in `steps` (so a trap or a lost reply leaves a state the timer can finish).

use super::guard::{DeploymentGuard, UserGuard};
use super::outbox;
use super::runtime::Runtime;
use super::steps::MAX_DEPLOY_ATTEMPTS;
use crate::state::Shared;
use backend_api::DeploymentStage;
use candid::{CandidType, Nat, Principal};
use fleet_api::{ContractKind, DeployOptions, FleetError, FleetResult};
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::allowance::AllowanceArgs;
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
use invoice_storage_api::{invoice_memo, RecordPaymentArgs};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The stage changed; advance again.
    Continue,
    /// Final, or waiting for the timer.
    Stop,
}

fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}

/// A user's paid request for a contract of `kind` with the kind's arguments `args` (already validated by the caller).
/// Returns the new contract, or why there is none (the payment is then refunded, or was never taken).
pub async fn create<M: Memory, R: Runtime, A: CandidType>(
    state: &Shared<M>,
    runtime: &R,
    user: Principal,
    kind: ContractKind,
    args: &A,
) -> FleetResult<Principal> {
    let plan = state.borrow().plan(user, kind)?;
    let _user_guard = UserGuard::acquire(state, user)?;

    let ledger_fee = if plan.fee == 0u32 {
        Nat::from(0u32)
    } else {
        let ledger_fee = runtime.icrc1_fee(plan.ledger).await?;
        // transfer_from takes the fee and the ledger fee from the user's allowance.
        let required = plan.fee.clone() + ledger_fee.clone();
        let allowance_args = AllowanceArgs { account: account(user), spender: account(runtime.self_id()) };
        let allowance = runtime.icrc2_allowance(plan.ledger, allowance_args).await?;
        let expired = allowance.expires_at.is_some_and(|at| at <= runtime.now());
        let approved = if expired { Nat::from(0u32) } else { allowance.allowance };
        if approved < required {
            return Err(FleetError::InsufficientAllowance { required, approved });
        }
        ledger_fee
    };
    // The config may have changed while we waited for the ledger: charge only what the user was shown.
    let current = state.borrow().plan(user, kind)?;
    if current != plan {
        return Err(FleetError::invalid_state(format!(
            "the {} configuration changed during the request; please retry",
            kind.factory_service()
        )));
    }

    let now = runtime.now();
    let id = state.borrow_mut().open_deployment(user, &plan, ledger_fee, now);
    let guard =
        DeploymentGuard::try_acquire(state, id).ok_or_else(|| FleetError::Internal("new deployment busy".into()))?;

    if plan.fee == 0u32 {
        let options = DeployOptions { initial_cycles: plan.initial_cycles.clone(), request_id: None };
        match candid::encode_args((user, args, options)) {
            Ok(arg) => state.borrow_mut().begin_free_deploy(id, arg, runtime.now()),
            Err(e) => {
                state.borrow_mut().fail_unpaid(id, format!("cannot encode the arguments: {e}"), runtime.now());
                return Err(FleetError::Internal(format!("cannot encode createContract arguments: {e}")));
            }
        }
    } else {
        let invoice_args = RecordPaymentArgs {
            user,
            service: kind.factory_service().into(),
            amount: plan.fee.clone(),
            ledger: plan.ledger,
            request_id: Some(id),
        };
        let invoice = match runtime.record_payment(plan.invoice_storage, invoice_args.clone()).await {
            Ok(Ok(invoice)) => invoice,
            Ok(Err(e)) => {
                state.borrow_mut().fail_unpaid(id, format!("invoice storage refused the invoice: {e}"), runtime.now());
                return Err(e);
            }
            Err(e) => {
                if e.may_have_executed {
                    // The invoice may exist: asking again with the same request id returns it, so that it can be
                    // marked Failed instead of staying Pending forever.
                    if let Ok(Ok(orphan)) = runtime.record_payment(plan.invoice_storage, invoice_args).await {
                        state.borrow_mut().attach_invoice(id, orphan.id, runtime.now());
                    }
                }
                state.borrow_mut().fail_unpaid(id, format!("invoice storage unreachable: {}", e.reason), runtime.now());
                return Err(e.into());
            }
        };
        let options = DeployOptions { initial_cycles: plan.initial_cycles.clone(), request_id: Some(invoice.id) };
        match candid::encode_args((user, args, options)) {
            Ok(arg) => state.borrow_mut().begin_charge(id, invoice.id, arg, runtime.now()),
            Err(e) => {
                state.borrow_mut().fail_unpaid(id, format!("cannot encode the arguments: {e}"), runtime.now());
                return Err(FleetError::Internal(format!("cannot encode createContract arguments: {e}")));
            }
        }
    }

    advance_guarded(state, runtime, id, &guard).await;
    drop(guard);
    outbox::flush(state, runtime).await;
    outcome(state, id)
}

/// What the user's call answers once the flow stopped.
fn outcome<M: Memory>(state: &Shared<M>, id: u64) -> FleetResult<Principal> {
    let record = state
        .borrow()
        .deployment_record(id)
        .ok_or_else(|| FleetError::Internal(format!("deployment {id} vanished")))?;
    let last_error = record.view.last_error.clone().unwrap_or_default();
    match record.stage() {
        DeploymentStage::Completed => record
            .view
            .contract
            .ok_or_else(|| FleetError::Internal(format!("deployment {id} completed without a contract"))),
        DeploymentStage::Failed if record.view.payment_block.is_none() && record.charge_created_at.is_some() => {
            Err(FleetError::PaymentFailed(last_error))
        }
        DeploymentStage::Refunded | DeploymentStage::Refunding | DeploymentStage::RefundFailed => {
            Err(record.factory_error.clone().unwrap_or_else(|| {
                FleetError::call_failed(
                    record.factory,
                    "createContract",
                    format!("{last_error}; the fee is being refunded"),
                )
            }))
        }
        DeploymentStage::Failed => Err(record
            .factory_error
            .clone()
            .unwrap_or_else(|| FleetError::call_failed(record.factory, "createContract", last_error))),
        DeploymentStage::CreatingInvoice | DeploymentStage::Charging | DeploymentStage::Deploying => {
            Err(FleetError::invalid_state(format!(
                "deployment {id} is waiting for an unknown outcome ({last_error}); it will be completed or refunded \
                 automatically: see getDeployment({id})"
            )))
        }
    }
}

/// Advances deployment `id` as far as it can go now, unless another future is already doing so.
pub async fn advance<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R, id: u64) {
    if let Some(guard) = DeploymentGuard::try_acquire(state, id) {
        advance_guarded(state, runtime, id, &guard).await;
    }
}

pub(crate) async fn advance_guarded<M: Memory, R: Runtime>(
    state: &Shared<M>,
    runtime: &R,
    id: u64,
    _guard: &DeploymentGuard<M>,
) {
    loop {
        let stage = state.borrow().deployment_record(id).map(|record| record.stage());
        let step = match stage {
            Some(DeploymentStage::Charging) => charge(state, runtime, id).await,
            Some(DeploymentStage::Deploying) => deploy(state, runtime, id).await,
            Some(DeploymentStage::Refunding) => refund(state, runtime, id).await,
            _ => Step::Stop,
        };
        if step == Step::Stop {
            break;
        }
    }
}

async fn charge<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R, id: u64) -> Step {
    let Some(record) = state.borrow().deployment_record(id) else { return Step::Stop };
    let (Some(invoice_id), Some(created_at)) = (record.invoice_id(), record.charge_created_at) else {
        state.borrow_mut().escalate(id, "charging without an invoice or a transfer time", runtime.now());
        return Step::Stop;
    };
    let args = TransferFromArgs {
        spender_subaccount: None,
        from: account(record.view.user),
        to: account(runtime.self_id()),
        amount: record.view.fee.clone(),
        fee: None,
        memo: Some(invoice_memo(invoice_id).into()),
        created_at_time: Some(created_at),
    };
    let reply = runtime.icrc2_transfer_from(record.view.ledger, args).await;
    let now = runtime.now();
    let mut state = state.borrow_mut();
    match reply {
        Ok(Ok(block)) | Ok(Err(TransferFromError::Duplicate { duplicate_of: block })) => {
            state.mark_paid(id, block, now);
            Step::Continue
        }
        // A retry after an unknown outcome, too late for the ledger to deduplicate: only a person can tell.
        Ok(Err(TransferFromError::TooOld)) if record.view.failed_attempts > 0 => {
            state.escalate(
                id,
                format!("payment outcome unknown and past the ledger's dedup window (invoice {invoice_id})"),
                now,
            );
            Step::Stop
        }
        Ok(Err(refused)) => {
            state.fail_unpaid(id, format!("payment refused by the ledger: {refused}"), now);
            Step::Stop
        }
        Err(e) if !e.may_have_executed => {
            state.fail_unpaid(id, format!("payment call failed: {}", e.reason), now);
            Step::Stop
        }
        Err(e) => {
            state.park(id, format!("payment outcome unknown: {}", e.reason), now);
            Step::Stop
        }
    }
}

async fn deploy<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R, id: u64) -> Step {
    let Some(record) = state.borrow().deployment_record(id) else { return Step::Stop };
    let reply = runtime.create_contract(record.factory, record.create_contract_arg.clone()).await;
    let now = runtime.now();
    let mut state = state.borrow_mut();
    let error = match reply {
        Ok(Ok(contract)) => {
            state.complete(id, contract, now);
            return Step::Stop;
        }
        // The factory is still working on this request id (a re-send after an unknown outcome): ask again later.
        Ok(Err(FleetError::AlreadyInProgress)) if !record.is_free() => {
            state.park(id, "the factory is still deploying this request", now);
            return Step::Stop;
        }
        Ok(Err(refused)) => refused,
        Err(e) if !e.may_have_executed => e.into(),
        Err(e) => {
            // Re-sending is safe: the request id makes the factory answer with the contract it may have created.
            // A free deployment has no request id, so it is not re-sent.
            if record.is_free() {
                state.fail_unpaid(id, format!("factory outcome unknown: {}", e.reason), now);
                return Step::Stop;
            }
            let attempts = state.park(id, format!("factory outcome unknown: {}", e.reason), now);
            if attempts < MAX_DEPLOY_ATTEMPTS {
                return Step::Stop;
            }
            e.into()
        }
    };
    if record.is_free() {
        state.fail_unpaid(id, error.to_string(), now);
        state.set_factory_error(id, error, now);
        return Step::Stop;
    }
    state.begin_refund(id, error, now);
    Step::Continue
}

async fn refund<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R, id: u64) -> Step {
    let Some(record) = state.borrow().deployment_record(id) else { return Step::Stop };
    let (Some(invoice_id), Some(created_at), Some(amount)) =
        (record.invoice_id(), record.refund_created_at, record.refund_amount())
    else {
        state.borrow_mut().escalate(id, "refunding without an invoice, a transfer time or an amount", runtime.now());
        return Step::Stop;
    };
    let args = TransferArg {
        from_subaccount: None,
        to: account(record.view.user),
        fee: Some(record.ledger_fee.clone()),
        created_at_time: Some(created_at),
        memo: Some(invoice_memo(invoice_id).into()),
        amount: amount.clone(),
    };
    let reply = runtime.icrc1_transfer(record.view.ledger, args).await;
    let now = runtime.now();
    let mut state = state.borrow_mut();
    match reply {
        Ok(Ok(block)) | Ok(Err(TransferError::Duplicate { duplicate_of: block })) => {
            state.refunded(id, block, amount, now);
            Step::Stop
        }
        // The ledger fee changed. Safe to re-send with the new amount only if no earlier attempt may have executed.
        Ok(Err(TransferError::BadFee { expected_fee })) if !record.refund_outcome_unknown => {
            state.set_ledger_fee(id, expected_fee.clone(), now);
            state.refund_failed(id, format!("ledger fee changed to {expected_fee}"), now);
            Step::Stop
        }
        Ok(Err(TransferError::TooOld)) if !record.refund_outcome_unknown => {
            state.renew_refund_time(id, now);
            state.refund_failed(id, "refund transfer too old; retrying with a new time", now);
            Step::Stop
        }
        Ok(Err(TransferError::BadFee { .. } | TransferError::TooOld)) => {
            state.escalate(id, format!("refund of invoice {invoice_id} may have been sent; check the ledger"), now);
            state.refund_failed(id, "refund outcome unknown and cannot be deduplicated", now);
            Step::Stop
        }
        Ok(Err(refused)) => {
            state.refund_failed(id, format!("refund refused by the ledger: {refused}"), now);
            Step::Stop
        }
        Err(e) => {
            if e.may_have_executed {
                state.mark_refund_outcome_unknown(id, now);
            }
            state.refund_failed(id, format!("refund call failed: {}", e.reason), now);
            Step::Stop
        }
    }
}
