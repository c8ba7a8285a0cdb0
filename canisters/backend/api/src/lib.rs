//! Interface of the `backend`: the fleet's payment gateway and deployment coordinator.
//!
//! A user approves the fee (plus one ledger fee) to the backend on the payment ledger (ICRC-2), then calls
//! `createToken` (and, as their factories land, the other kinds). The backend checks maintenance mode,
//! `<service>.enabled` and `<service>.fee`, creates a `Pending` invoice, takes the payment with `icrc2_transfer_from`
//! (memo = invoice id, `created_at_time` set so a retry is deduplicated by the ledger), asks the factory to deploy
//! (`request_id` = invoice id, so a retry never deploys twice) and returns the contract. Any failure after the payment
//! refunds it, less one ledger fee; a refund that fails is retried by a timer. Every step is recorded in the
//! backend's stable memory before the call it leads to, and mirrored to invoice and audit storage.
//!
//! Candid: `backend.did` beside this crate, checked against the implementation by a unit test.

use candid::{CandidType, Nat, Principal};
use fleet_api::{ContractKind, FleetError, Page};
use serde::{Deserialize, Serialize};

pub const DID: &str = include_str!("../backend.did");

/// Install argument `(BackendInitArgs)`.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct BackendInitArgs {
    /// Admins besides the controllers.
    pub admins: Vec<Principal>,
    /// The ICRC-1/2 ledger fees are paid in (the ICP ledger in production).
    pub payment_ledger: Principal,
}

/// The canisters the backend works with, set by `setupMicroservices`.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Microservices {
    pub audit_storage: Principal,
    pub invoice_storage: Principal,
    pub token_factory: Principal,
    pub distribution_factory: Principal,
    pub multisig_factory: Principal,
    pub dao_factory: Principal,
    pub launchpad_factory: Principal,
}

impl Microservices {
    pub fn factory(&self, kind: ContractKind) -> Principal {
        match kind {
            ContractKind::Token => self.token_factory,
            ContractKind::Multisig => self.multisig_factory,
            ContractKind::Distribution => self.distribution_factory,
            ContractKind::Dao => self.dao_factory,
            ContractKind::Launchpad => self.launchpad_factory,
        }
    }

    /// Every canister with its service name, in the order of `setupMicroservices`' arguments.
    pub fn named(&self) -> [(&'static str, Principal); 7] {
        [
            ("audit_storage", self.audit_storage),
            ("invoice_storage", self.invoice_storage),
            ("token_factory", self.token_factory),
            ("distribution_factory", self.distribution_factory),
            ("multisig_factory", self.multisig_factory),
            ("dao_factory", self.dao_factory),
            ("launchpad_factory", self.launchpad_factory),
        ]
    }
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ConfigEntry {
    pub key: String,
    pub value: String,
    pub updated_at: u64,
    pub updated_by: Principal,
}

/// Where a deployment request stands. `Completed`, `Refunded`, `Failed` are final.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeploymentStage {
    /// The invoice is being created; nothing has been charged.
    CreatingInvoice,
    /// The payment is being taken (`icrc2_transfer_from`).
    Charging,
    /// Paid; the factory is deploying.
    Deploying,
    /// The deployment failed after payment; the refund is being sent.
    Refunding,
    /// A refund attempt failed; a timer retries it.
    RefundFailed,
    Completed,
    Refunded,
    /// Nothing was charged (e.g. insufficient funds, invoice storage unreachable).
    Failed,
}

impl DeploymentStage {
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Refunded | Self::Failed)
    }
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    pub id: u64,
    pub user: Principal,
    pub kind: ContractKind,
    pub fee: Nat,
    pub ledger: Principal,
    pub invoice_id: Option<u64>,
    pub stage: DeploymentStage,
    pub created_at: u64,
    pub updated_at: u64,
    pub payment_block: Option<Nat>,
    pub contract: Option<Principal>,
    pub refund_block: Option<Nat>,
    pub refund_amount: Option<Nat>,
    /// Why the last step failed, if it did.
    pub last_error: Option<String>,
    /// Failed attempts of the current step (factory calls or refunds), for the retry timer.
    pub failed_attempts: u32,
    /// Why no retry can settle this deployment, when an operator must (`resolveDeployment`).
    pub needs_operator: Option<String>,
}

/// How an admin settles a deployment flagged for an operator (`resolveDeployment`). Each is refused unless the
/// deployment is in a stage where it applies.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum DeploymentResolution {
    /// Take it up again as it is (e.g. the ledger or the factory is back): the same transfer or request is re-sent.
    Retry,
    /// `Deploying`: ask the factory for the request's settled outcome and act on it: complete with the contract it
    /// deployed for the user, or refund when it provably did not deploy and never will (the factory closes the id).
    SettleWithFactory,
    /// The operator checked the ledger: the transfer of unknown outcome (the charge in `Charging`, the refund in
    /// `Refunding`/`RefundFailed`) executed in this block.
    TransferExecuted { block_index: Nat },
    /// The operator checked the ledger: that transfer did not execute (a charge then fails unpaid, a refund is sent
    /// anew).
    TransferNotExecuted,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ResolveDeploymentArgs {
    pub id: u64,
    pub resolution: DeploymentResolution,
    /// What the operator checked, for the audit log (at most 1024 bytes).
    pub note: String,
}

/// `withdrawFees`: send collected fees from the backend's account.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct WithdrawFeesArgs {
    pub to: icrc_ledger_types::icrc1::account::Account,
    /// What `to` receives; the ledger fee comes on top, from the backend's account.
    pub amount: Nat,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum WithdrawalStatus {
    /// Sent, or being sent; a reply of unknown outcome is re-sent identically by the timer.
    Sending,
    Done {
        block_index: Nat,
    },
    /// The ledger refused it; nothing moved.
    Failed {
        reason: String,
    },
    /// Its outcome cannot be told any more (past the ledger's deduplication window): check the ledger.
    NeedsOperator {
        reason: String,
    },
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    pub id: u64,
    pub to: icrc_ledger_types::icrc1::account::Account,
    pub amount: Nat,
    pub requested_by: Principal,
    pub requested_at: u64,
    pub status: WithdrawalStatus,
}

pub type WithdrawalResponse = Result<Withdrawal, FleetError>;

/// What one run of the reconciliation job did (`adminRunReconciliation`; a timer runs it every minute).
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconcileSummary {
    /// Deployments advanced (retried refunds, re-sent calls of unknown outcome).
    pub advanced: u64,
    /// Invoice and audit records delivered to storage.
    pub flushed: u64,
}

/// An invoice or audit record the storage refused as wrong; it is kept here, never retried (see `getRefusedRecords`).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct RefusedRecord {
    /// The storage canister that refused it.
    pub storage: Principal,
    /// What was sent, for a human (`invoice 5: Paid { block_index: 12 }`, `audit: ContractDeployed for ...`).
    pub description: String,
    pub error: FleetError,
    pub at: u64,
}

pub type CreateResponse = Result<Principal, FleetError>;
pub type AdminResponse = Result<(), FleetError>;
pub type DeploymentResponse = Result<Deployment, FleetError>;
pub type DeploymentsResponse = Result<Page<Deployment>, FleetError>;

pub mod methods {
    pub const CREATE_TOKEN: &str = "createToken";
    pub const CREATE_MULTISIG: &str = "createMultisig";
    pub const CREATE_DISTRIBUTION: &str = "createDistribution";
    pub const CREATE_DAO: &str = "createDao";
    pub const CREATE_LAUNCHPAD: &str = "createLaunchpad";
    pub const GET_DEPLOYMENT: &str = "getDeployment";
    pub const GET_MY_DEPLOYMENTS: &str = "getMyDeployments";
    pub const GET_OPEN_DEPLOYMENTS: &str = "getOpenDeployments";
    pub const ADMIN_RUN_RECONCILIATION: &str = "adminRunReconciliation";
    pub const GET_REFUSED_RECORDS: &str = "getRefusedRecords";
    pub const GET_SERVICE_FEE: &str = "getServiceFee";
    pub const GET_CONFIG_VALUE: &str = "getConfigValue";
    pub const GET_ALL_CONFIG_VALUES: &str = "getAllConfigValues";
    pub const ADMIN_SET_CONFIG_VALUE: &str = "adminSetConfigValue";
    pub const ADMIN_SET_MAINTENANCE_MODE: &str = "adminSetMaintenanceMode";
    pub const IS_MAINTENANCE_MODE: &str = "isMaintenanceMode";
    pub const SETUP_MICROSERVICES: &str = "setupMicroservices";
    pub const GET_MICROSERVICES: &str = "getMicroservices";
    pub const ADD_ADMIN: &str = "addAdmin";
    pub const REMOVE_ADMIN: &str = "removeAdmin";
    pub const GET_ADMINS: &str = "getAdmins";
    pub const GET_HEALTH: &str = "getHealth";
    pub const GET_SETUP_STATUS: &str = "getSetupStatus";
    pub const GET_MICROSERVICE_HEALTH: &str = "getMicroserviceHealth";
    pub const GET_MICROSERVICE_SETUP_STATUS: &str = "getMicroserviceSetupStatus";
    pub const GET_SYSTEM_STATUS: &str = "getSystemStatus";
    pub const RESOLVE_DEPLOYMENT: &str = "resolveDeployment";
    pub const WITHDRAW_FEES: &str = "withdrawFees";
    pub const GET_WITHDRAWALS: &str = "getWithdrawals";
}
