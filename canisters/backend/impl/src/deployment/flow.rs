//! The async half of the flow: the calls to the ledger, invoice storage and the factory, each preceded by the stage
//! written in `steps` (so a trap or a lost reply leaves a state the timer can finish).

use super::guard::{DeploymentGuard, UserGuard};
use super::ledger_send::{classify_transfer, classify_transfer_from, judge, Verdict};
use super::outbox;
use super::record::DeploymentRecord;
use super::runtime::FactoryRequest;
use super::runtime::Runtime;
use super::steps::{Leg, Plan, MAX_DEPLOY_ATTEMPTS};
use crate::state::{BackendState, Shared};
use backend_api::DeploymentStage;
use candid::{CandidType, Nat, Principal};
use fleet_api::{ContractKind, DeployOptions, FleetError, FleetResult};
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc2::allowance::AllowanceArgs;
use invoice_storage_api::{Invoice, InvoiceStatus, RecordPaymentArgs};

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
    let key = state.borrow().deployment_record(id).and_then(|record| record.request_key);
    let options = DeployOptions { initial_cycles: plan.initial_cycles.clone(), request_id: key };
    let arg = match candid::encode_args((user, args, options)) {
        Ok(arg) => arg,
        Err(e) => {
            state.borrow_mut().fail_unpaid(id, format!("cannot encode the arguments: {e}"), runtime.now());
            return Err(FleetError::Internal(format!("cannot encode createContract arguments: {e}")));
        }
    };

    if plan.fee == 0u32 {
        state.borrow_mut().begin_free_deploy(id, arg, runtime.now());
    } else {
        let invoice_args = invoice_request(&plan, user, key);
        let reply = runtime.record_payment(plan.invoice_storage, invoice_args.clone()).await;
        let invoice = match reply {
            Ok(Ok(invoice)) => match check_new_invoice(&invoice, &invoice_args) {
                Ok(()) => invoice,
                Err(why) => {
                    state.borrow_mut().fail_unpaid(id, why.clone(), runtime.now());
                    return Err(FleetError::invalid_state(why));
                }
            },
            Ok(Err(e)) => {
                state.borrow_mut().fail_unpaid(id, format!("invoice storage refused the invoice: {e}"), runtime.now());
                return Err(e);
            }
            Err(e) if e.may_have_executed => {
                // The invoice may exist: the timer asks again with the same key and closes it (nothing is charged).
                state.borrow_mut().park(id, format!("invoice storage outcome unknown: {}", e.reason), runtime.now());
                return Err(FleetError::call_failed(
                    plan.invoice_storage,
                    "recordPayment",
                    format!("{}; nothing was charged, please retry", e.reason),
                ));
            }
            Err(e) => {
                state.borrow_mut().fail_unpaid(id, format!("invoice storage unreachable: {}", e.reason), runtime.now());
                return Err(e.into());
            }
        };
        state.borrow_mut().begin_charge(id, invoice.id, arg, runtime.self_id(), runtime.now());
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
        DeploymentStage::Failed if record.view.payment_block.is_none() && record.charge.is_some() => {
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
        DeploymentStage::CreatingInvoice => Err(FleetError::invalid_state(format!(
            "deployment {id} was stopped before payment ({last_error}); nothing was charged, please retry"
        ))),
        DeploymentStage::Charging | DeploymentStage::Deploying => Err(FleetError::invalid_state(format!(
            "deployment {id} is waiting for an unknown outcome ({last_error}); it will be completed or refunded \
                 automatically: see getDeployment({id})"
        ))),
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
    let Some(charge) = record.charge else {
        state.borrow_mut().escalate(id, "charging without a recorded transfer", runtime.now());
        return Step::Stop;
    };
    state.borrow_mut().mark_sent(id, Leg::Charge, runtime.now());
    let reply = runtime.icrc2_transfer_from(record.view.ledger, charge.args).await;
    let now = runtime.now();
    let mut state = state.borrow_mut();
    match judge(classify_transfer_from(reply), charge.outcome_unknown) {
        Verdict::Done(block) => {
            state.mark_paid(id, block, now);
            Step::Continue
        }
        Verdict::NotExecuted(reason) => {
            state.charge_not_executed(id, format!("payment refused by the ledger: {reason}"), now);
            Step::Stop
        }
        Verdict::Retry(reason) => {
            state.park(id, format!("payment outcome unknown: {reason}"), now);
            Step::Stop
        }
        Verdict::NeedsOperator(reason) => {
            state.escalate(id, format!("payment of invoice {:?}: {reason}", record.view.invoice_id), now);
            Step::Stop
        }
    }
}

async fn deploy<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R, id: u64) -> Step {
    let Some(record) = state.borrow().deployment_record(id) else { return Step::Stop };
    if record.factory_call.settle {
        return settle(state, runtime, record).await;
    }
    let Some(arg) = state.borrow().contract_arg(id) else {
        state.borrow_mut().escalate(id, "deploying without a recorded createContract argument", runtime.now());
        return Step::Stop;
    };
    let unknown_before = record.factory_call.outcome_unknown;
    state.borrow_mut().mark_sent(id, Leg::Factory, runtime.now());
    let reply = runtime.create_contract(record.factory, arg).await;
    let now = runtime.now();
    let mut state = state.borrow_mut();
    let error = match reply {
        Ok(Ok(contract)) => {
            state.complete(id, contract, now);
            return Step::Stop;
        }
        // The factory is still working on this request id (a re-send after an unknown outcome): ask again later.
        Ok(Err(FleetError::AlreadyInProgress)) => {
            state.factory_busy(id, now);
            return Step::Stop;
        }
        // A typed answer to a re-send after an unknown outcome should be the factory's replay of what it recorded;
        // the refund waits for the factory's own word on the request id all the same (it costs one call).
        Ok(Err(_)) if unknown_before => {
            state.settle_with_factory(id, now);
            return Step::Continue;
        }
        // A typed answer to the first send: the factory refused the request and recorded that.
        Ok(Err(refused)) => refused,
        Err(e) if !e.may_have_executed && !unknown_before => e.into(),
        Err(e) => {
            // Schema 1's free deployments sent no request id: re-sending could deploy twice.
            if record.request_key.is_none() {
                state.fail_unpaid(id, format!("factory outcome unknown: {}", e.reason), now);
                return Step::Stop;
            }
            let attempts = state.park(id, format!("factory outcome unknown: {}", e.reason), now);
            if attempts >= MAX_DEPLOY_ATTEMPTS {
                state.settle_with_factory(id, now);
            }
            return Step::Stop;
        }
    };
    fail_deployment(&mut state, &record, error, now)
}

/// The deployment did not happen and never will: refund a paid one, close a free one.
fn fail_deployment<M: Memory>(
    state: &mut BackendState<M>,
    record: &DeploymentRecord,
    error: FleetError,
    now: u64,
) -> Step {
    let id = record.view.id;
    if record.is_free() {
        state.fail_unpaid(id, error.to_string(), now);
        state.set_factory_error(id, error, now);
        return Step::Stop;
    }
    state.begin_refund(id, error, now);
    Step::Continue
}

/// Asks the factory for the settled outcome of this request, closing it there if it never arrived, so that the
/// refund is sent only when the factory has provably not deployed and never will.
async fn settle<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R, record: DeploymentRecord) -> Step {
    let id = record.view.id;
    let Some(key) = record.request_key else {
        state.borrow_mut().escalate(id, "no request id to settle with the factory", runtime.now());
        return Step::Stop;
    };
    let reply = runtime.abandon_deployment_request(record.factory, key).await;
    let now = runtime.now();
    let mut state = state.borrow_mut();
    match reply {
        Ok(Ok(FactoryRequest::Succeeded { contract, owner })) if owner == record.view.user => {
            state.complete(id, contract, now);
            Step::Stop
        }
        Ok(Ok(FactoryRequest::Succeeded { contract, owner })) => {
            let why = format!("the factory deployed {contract} for {owner} under this request id, not for the user");
            state.escalate(id, why, now);
            Step::Stop
        }
        Ok(Ok(FactoryRequest::InProgress)) => {
            state.factory_busy(id, now);
            Step::Stop
        }
        Ok(Ok(FactoryRequest::Failed(error))) => fail_deployment(&mut state, &record, error, now),
        Ok(Ok(FactoryRequest::Abandoned)) => {
            let error = FleetError::call_failed(record.factory, "createContract", "the factory never deployed it");
            fail_deployment(&mut state, &record, error, now)
        }
        Ok(Err(refused)) => {
            state.escalate(id, format!("the factory refused to settle request {key}: {refused}"), now);
            Step::Stop
        }
        Err(e) => {
            state.park(id, format!("settling with the factory: {}", e.reason), now);
            Step::Stop
        }
    }
}

async fn refund<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R, id: u64) -> Step {
    let Some(mut record) = state.borrow().deployment_record(id) else { return Step::Stop };
    if record.refund.is_none() {
        // A new transfer: with the ledger fee as it is now (nothing of an earlier one executed).
        let fee = match runtime.icrc1_fee(record.view.ledger).await {
            Ok(fee) => fee,
            Err(e) => {
                state.borrow_mut().refund_failed(id, format!("reading the ledger fee: {}", e.reason), runtime.now());
                return Step::Stop;
            }
        };
        if !state.borrow_mut().prepare_refund(id, fee, runtime.now()) {
            return Step::Stop;
        }
        let Some(prepared) = state.borrow().deployment_record(id) else { return Step::Stop };
        record = prepared;
    }
    let Some(refund) = record.refund else { return Step::Stop };
    state.borrow_mut().mark_sent(id, Leg::Refund, runtime.now());
    let reply = runtime.icrc1_transfer(record.view.ledger, refund.args).await;
    let now = runtime.now();
    let mut state = state.borrow_mut();
    match judge(classify_transfer(reply), refund.outcome_unknown) {
        Verdict::Done(block) => state.refunded(id, block, now),
        Verdict::NotExecuted(reason) => state.refund_not_executed(id, format!("refund refused: {reason}"), now),
        Verdict::Retry(reason) => state.refund_failed(id, format!("refund outcome unknown: {reason}"), now),
        Verdict::NeedsOperator(reason) => {
            state.escalate(id, format!("refund: {reason}"), now);
            state.refund_failed(id, "refund outcome unknown and past the ledger's deduplication", now);
        }
    }
    Step::Stop
}

fn invoice_request(plan: &Plan, user: Principal, key: Option<u64>) -> RecordPaymentArgs {
    RecordPaymentArgs {
        user,
        service: plan.kind.factory_service().into(),
        amount: plan.fee.clone(),
        ledger: plan.ledger,
        request_id: key,
    }
}

/// A charge goes only against a new invoice of this very request: Pending, for this user, amount and ledger, under
/// this request's key (a reinstalled storage or backend could otherwise hand back an old, settled invoice).
pub(crate) fn check_new_invoice(invoice: &Invoice, asked: &RecordPaymentArgs) -> Result<(), String> {
    let matches = invoice.status == InvoiceStatus::Pending
        && invoice.user == asked.user
        && invoice.amount == asked.amount
        && invoice.ledger == asked.ledger
        && invoice.service == asked.service
        && invoice.request_id == asked.request_id;
    if matches {
        Ok(())
    } else {
        Err(format!(
            "invoice storage answered with invoice {} ({:?}, {} for {}), not a new invoice of this request; nothing \
             was charged",
            invoice.id, invoice.status, invoice.amount, invoice.user
        ))
    }
}
