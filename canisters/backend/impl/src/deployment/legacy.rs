//! Schema 1's deployment record and the step that turns it into schema 2's: the `createContract` argument moves to
//! its own map (the timer and `getHealth` no longer decode it), each transfer becomes a [`LedgerSend`] holding the
//! exact arguments schema 1 sent, and open deployments get the due-time and operator indexes.
//!
//! What schema 1 did not record is assumed the worst way: a charge or a factory call recorded as started may have been
//! sent (its outcome is unknown until the ledger or the factory answers a re-send), so nothing is ever re-sent with
//! different arguments.

use super::ledger_send::LedgerSend;
use super::record::{DeploymentRecord, FactoryCall};
use backend_api::{Deployment, DeploymentStage};
use candid::{CandidType, Deserialize, Nat, Principal};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::TransferArg;
use icrc_ledger_types::icrc2::transfer_from::TransferFromArgs;
use invoice_storage_api::invoice_memo;

/// The record as schema 1 stored it.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeploymentRecordV1 {
    pub view: Deployment,
    pub factory: Principal,
    pub invoice_storage: Principal,
    pub audit_storage: Principal,
    pub ledger_fee: Nat,
    pub create_contract_arg: Vec<u8>,
    pub charge_created_at: Option<u64>,
    pub refund_created_at: Option<u64>,
    pub refund_outcome_unknown: bool,
    pub next_attempt_at: u64,
    pub factory_error: Option<fleet_api::FleetError>,
    pub needs_operator: Option<String>,
}

fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}

/// Schema 2's record and the `createContract` argument. `backend` is the backend's own principal (payments went to
/// its default account).
pub fn upgrade_record(old: DeploymentRecordV1, backend: Principal) -> (DeploymentRecord, Vec<u8>) {
    let stage = old.view.stage;
    let invoice_id = old.view.invoice_id;
    let memo = invoice_id.map(|id| invoice_memo(id).into());
    // Schema 1 wrote the charge time just before sending: still Charging means it may have been sent.
    let charge = old.charge_created_at.map(|created_at| LedgerSend {
        args: TransferFromArgs {
            spender_subaccount: None,
            from: account(old.view.user),
            to: account(backend),
            amount: old.view.fee.clone(),
            fee: None,
            memo: memo.clone(),
            created_at_time: Some(created_at),
        },
        sends: 1,
        outcome_unknown: stage == DeploymentStage::Charging,
    });
    // Schema 1 sent refunds with an explicit fee and `fee - ledger_fee`; a re-send must be exactly that.
    let refund = match (old.refund_created_at, old.view.fee > old.ledger_fee) {
        (Some(created_at), true) => Some(LedgerSend {
            args: TransferArg {
                from_subaccount: None,
                to: account(old.view.user),
                fee: Some(old.ledger_fee.clone()),
                created_at_time: Some(created_at),
                memo,
                amount: old.view.fee.clone() - old.ledger_fee.clone(),
            },
            sends: 1,
            outcome_unknown: old.refund_outcome_unknown || stage == DeploymentStage::Refunding,
        }),
        _ => None,
    };
    // Schema 1 used the invoice id as the factory's request id (free deployments sent none).
    let request_key = if old.view.fee == 0u32 { None } else { invoice_id };
    let factory_call = FactoryCall {
        sends: u32::from(stage == DeploymentStage::Deploying) + old.view.failed_attempts,
        outcome_unknown: stage == DeploymentStage::Deploying,
        busy_answers: 0,
        settle: false,
        first_sent_at: (stage == DeploymentStage::Deploying).then_some(old.view.updated_at),
    };
    let record = DeploymentRecord {
        view: old.view,
        factory: old.factory,
        invoice_storage: old.invoice_storage,
        audit_storage: old.audit_storage,
        ledger_fee: old.ledger_fee,
        request_key,
        charge,
        refund,
        factory_call,
        next_attempt_at: old.next_attempt_at,
        factory_error: old.factory_error,
        needs_operator: old.needs_operator,
    };
    (record, old.create_contract_arg)
}
