//! The stored form of a deployment: the public view plus what the steps need to be retried exactly.

use super::ledger_send::LedgerSend;
use backend_api::{Deployment, DeploymentStage};
use candid::{CandidType, Deserialize, Nat, Principal};
use icrc_ledger_types::icrc1::transfer::TransferArg;
use icrc_ledger_types::icrc2::transfer_from::TransferFromArgs;

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeploymentRecord {
    pub view: Deployment,
    pub factory: Principal,
    pub invoice_storage: Principal,
    pub audit_storage: Principal,
    /// The ledger's fee when the request started: the allowance must cover `fee + ledger_fee`.
    pub ledger_fee: Nat,
    /// This deployment's idempotency key with invoice storage (`recordPayment`) and the factory (`createContract`),
    /// unique per install of the backend (see `keys`). `None` only for free deployments recorded by schema 1, which
    /// sent no key.
    pub request_key: Option<u64>,
    /// The payment, written before it is first sent.
    pub charge: Option<LedgerSend<TransferFromArgs>>,
    /// The refund, written before it is first sent.
    pub refund: Option<LedgerSend<TransferArg>>,
    /// What is known of the `createContract` calls (the argument itself is kept apart: `BackendState::contract_args`).
    pub factory_call: FactoryCall,
    /// The timer leaves this deployment alone until then (ns): retries back off.
    pub next_attempt_at: u64,
    /// The typed error the factory answered with, returned to the user whose deployment was refunded.
    pub factory_error: Option<fleet_api::FleetError>,
    /// Set when retrying cannot help; an operator must look (`resolveDeployment`).
    pub needs_operator: Option<String>,
}

/// The factory leg of a deployment.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct FactoryCall {
    /// `createContract` sends, counted before each.
    pub sends: u32,
    /// Some send may have executed without us learning its outcome.
    pub outcome_unknown: bool,
    /// `AlreadyInProgress` answers in a row: the factory is still on it (or stuck; see `MAX_BUSY_ANSWERS`).
    pub busy_answers: u32,
    /// The factory is to be asked for the request's settled outcome (`abandonDeploymentRequest`) instead of being
    /// sent `createContract` again: after too many unknown outcomes, before any refund that follows one.
    pub settle: bool,
    /// When the first `createContract` was sent (ns), for the time limit on an answer.
    pub first_sent_at: Option<u64>,
}

impl DeploymentRecord {
    pub fn stage(&self) -> DeploymentStage {
        self.view.stage
    }

    pub fn invoice_id(&self) -> Option<u64> {
        self.view.invoice_id
    }

    pub fn is_free(&self) -> bool {
        self.view.fee == 0u32
    }

    /// What goes back to the user when the ledger fee is `ledger_fee`: the fee less the refund transfer's fee.
    pub fn refund_amount_at(&self, ledger_fee: &Nat) -> Option<Nat> {
        (self.view.fee > *ledger_fee).then(|| self.view.fee.clone() - ledger_fee.clone())
    }

    /// Whether the timer should look at this deployment at all.
    pub fn is_due_candidate(&self) -> bool {
        !self.stage().is_final() && self.needs_operator.is_none()
    }
}
