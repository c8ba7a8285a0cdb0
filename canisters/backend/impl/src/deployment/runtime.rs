//! Everything the deployment flow needs from the outside world, as one trait: the real one makes inter-canister calls
//! (`crate::ic_runtime`), the tests' fake one scripts answers and failures.

use audit_storage_api::LogEventArgs;
use candid::{Nat, Principal};
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::allowance::{Allowance, AllowanceArgs};
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
use invoice_storage_api::{Invoice, InvoiceTransition, RecordPaymentArgs};

/// A call that did not produce a reply we could read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    pub canister: Principal,
    pub method: String,
    pub reason: String,
    /// True when the callee may have executed the call (an unknown outcome, or a reply we could not decode); false
    /// when it certainly did not (rejected before or instead of executing).
    pub may_have_executed: bool,
}

impl From<CallError> for FleetError {
    fn from(e: CallError) -> Self {
        FleetError::CallFailed { canister: e.canister, method: e.method, reason: e.reason }
    }
}

pub type CallResult<T> = Result<T, CallError>;

/// What the factory says of one of the backend's request ids (`abandonDeploymentRequest`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FactoryRequest {
    /// Still running on the factory (or waiting for its own reconciliation).
    InProgress,
    Succeeded {
        contract: Principal,
        owner: Principal,
    },
    Failed(FleetError),
    /// The factory never received it and has closed the id: a later `createContract` with it is refused.
    Abandoned,
}

#[allow(async_fn_in_trait)] // Futures run on the canister's single thread; no Send bound wanted.
pub trait Runtime {
    fn now(&self) -> u64;
    /// The backend's own principal: payments go to its default account, refunds leave from it.
    fn self_id(&self) -> Principal;

    async fn icrc1_fee(&self, ledger: Principal) -> CallResult<Nat>;
    async fn icrc2_allowance(&self, ledger: Principal, args: AllowanceArgs) -> CallResult<Allowance>;
    async fn icrc2_transfer_from(
        &self,
        ledger: Principal,
        args: TransferFromArgs,
    ) -> CallResult<Result<Nat, TransferFromError>>;
    async fn icrc1_transfer(&self, ledger: Principal, args: TransferArg) -> CallResult<Result<Nat, TransferError>>;
    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> CallResult<Nat>;

    async fn record_payment(
        &self,
        storage: Principal,
        args: RecordPaymentArgs,
    ) -> CallResult<Result<Invoice, FleetError>>;
    async fn update_invoice_status(
        &self,
        storage: Principal,
        invoice_id: u64,
        transition: InvoiceTransition,
    ) -> CallResult<Result<Invoice, FleetError>>;
    async fn log_event(&self, storage: Principal, args: LogEventArgs) -> CallResult<Result<u64, FleetError>>;

    /// `createContract(owner, args, options)` with the argument already candid-encoded.
    async fn create_contract(&self, factory: Principal, arg: Vec<u8>) -> CallResult<Result<Principal, FleetError>>;
    /// `abandonDeploymentRequest(request_id)`: the request's settled outcome; closes the id if it never arrived.
    async fn abandon_deployment_request(
        &self,
        factory: Principal,
        request_id: u64,
    ) -> CallResult<Result<FactoryRequest, FleetError>>;
}
