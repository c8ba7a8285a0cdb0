//! The stored form of a deployment: the public view plus what the steps need to be retried exactly.

use backend_api::{Deployment, DeploymentStage};
use candid::{CandidType, Deserialize, Nat, Principal};

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeploymentRecord {
    pub view: Deployment,
    pub factory: Principal,
    pub invoice_storage: Principal,
    pub audit_storage: Principal,
    /// The ledger's fee when the request started: the allowance must cover `fee + ledger_fee`, and a refund returns
    /// `fee - ledger_fee`.
    pub ledger_fee: Nat,
    /// The candid argument of `createContract(owner, args, options)`, encoded once (with `request_id` = invoice id)
    /// and re-sent unchanged on every retry.
    pub create_contract_arg: Vec<u8>,
    /// `created_at_time` of the charge, fixed when the charge is first attempted.
    pub charge_created_at: Option<u64>,
    /// `created_at_time` of the refund, fixed when the refund is first attempted.
    pub refund_created_at: Option<u64>,
    /// A refund call may have executed without us learning its outcome: only the ledger's deduplication (within its
    /// 24 h window) can tell; past that window an operator must check.
    pub refund_outcome_unknown: bool,
    /// The timer leaves this deployment alone until then (ns): retries back off.
    pub next_attempt_at: u64,
    /// The typed error the factory answered with, returned to the user whose deployment was refunded.
    pub factory_error: Option<fleet_api::FleetError>,
    /// Set when retrying cannot help (e.g. the fee does not cover the ledger fee); an operator must look.
    pub needs_operator: Option<String>,
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

    /// What goes back to the user: the fee less the ledger fee of the refund transfer.
    pub fn refund_amount(&self) -> Option<Nat> {
        (self.view.fee > self.ledger_fee).then(|| self.view.fee.clone() - self.ledger_fee.clone())
    }
}
