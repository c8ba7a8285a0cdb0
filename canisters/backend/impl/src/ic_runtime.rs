//! The real [`Runtime`]: inter-canister calls with ic-cdk.
//!
//! Ledger transfers and `createContract` use unbounded-wait calls: their reject then means the call did not execute
//! (no `SysUnknown`), except for a factory that traps after an await, which may have done part of the work:
//! `CanisterError` from the factory is therefore an unknown outcome, resolved by re-sending with the same request id.
//! A reply we cannot decode is always an unknown outcome: the callee did execute.

use crate::deployment::runtime::{CallError, CallResult, FactoryRequest, Runtime};
use audit_storage_api::LogEventArgs;
use candid::utils::ArgumentEncoder;
use candid::{CandidType, Nat, Principal};
use fleet_api::FleetError;
use ic_cdk::call::{Call, CallFailed, RejectCode};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::allowance::{Allowance, AllowanceArgs};
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
use invoice_storage_api::{methods as invoice_methods, Invoice, InvoiceTransition, RecordPaymentArgs};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The part of the factory's `getDeploymentRequest`/`abandonDeploymentRequest` reply the backend reads. Candid
/// decodes by field and variant name, so fields the factory adds are skipped. (To be replaced by the factory api
/// crate's own types once callers can depend on types without the engine.)
mod factory_reply {
    use super::*;

    #[derive(CandidType, Deserialize)]
    pub struct Empty {}

    #[derive(CandidType, Deserialize)]
    pub struct Succeeded {
        pub contract: Principal,
    }

    #[derive(CandidType, Deserialize)]
    pub struct Failed {
        pub error: FleetError,
    }

    #[derive(CandidType, Deserialize)]
    pub enum DeploymentRequestState {
        InProgress(Empty),
        Succeeded(Succeeded),
        Failed(Failed),
        Abandoned(Empty),
    }

    #[derive(CandidType, Deserialize)]
    pub struct DeploymentRequestView {
        pub owner: Principal,
        pub state: DeploymentRequestState,
    }

    pub type Response = Result<Option<DeploymentRequestView>, FleetError>;
}

pub struct IcRuntime;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Callee {
    /// Executes in one message: any reject means nothing happened.
    SingleMessage,
    /// May commit state before it traps: a `CanisterError` reject is an unknown outcome.
    MultiMessage,
}

async fn finish<T: CandidType + DeserializeOwned>(
    canister: Principal,
    method: &str,
    callee: Callee,
    call: Call<'_, '_>,
) -> CallResult<T> {
    let error = |reason: String, may_have_executed| CallError {
        canister,
        method: method.to_string(),
        reason,
        may_have_executed,
    };
    match call.await {
        Ok(response) => response.candid::<T>().map_err(|e| error(format!("undecodable reply: {e}"), true)),
        Err(CallFailed::CallRejected(rejected)) => {
            let code = rejected.reject_code();
            let unknown = matches!(code, Ok(RejectCode::SysUnknown))
                || (callee == Callee::MultiMessage && matches!(code, Ok(RejectCode::CanisterError)));
            Err(error(format!("rejected ({:?}): {}", code, rejected.reject_message()), unknown))
        }
        Err(other) => Err(error(other.to_string(), false)),
    }
}

fn bounded<A: ArgumentEncoder>(canister: Principal, method: &'static str, args: &A) -> Call<'static, 'static> {
    Call::bounded_wait(canister, method).with_args(args)
}

fn unbounded<A: ArgumentEncoder>(canister: Principal, method: &'static str, args: &A) -> Call<'static, 'static> {
    Call::unbounded_wait(canister, method).with_args(args)
}

impl Runtime for IcRuntime {
    fn now(&self) -> u64 {
        ic_cdk::api::time()
    }

    fn self_id(&self) -> Principal {
        ic_cdk::api::canister_self()
    }

    async fn icrc1_fee(&self, ledger: Principal) -> CallResult<Nat> {
        finish(ledger, "icrc1_fee", Callee::SingleMessage, bounded(ledger, "icrc1_fee", &())).await
    }

    async fn icrc2_allowance(&self, ledger: Principal, args: AllowanceArgs) -> CallResult<Allowance> {
        let call = bounded(ledger, "icrc2_allowance", &(args,));
        finish(ledger, "icrc2_allowance", Callee::SingleMessage, call).await
    }

    async fn icrc2_transfer_from(
        &self,
        ledger: Principal,
        args: TransferFromArgs,
    ) -> CallResult<Result<Nat, TransferFromError>> {
        let call = unbounded(ledger, "icrc2_transfer_from", &(args,));
        finish(ledger, "icrc2_transfer_from", Callee::SingleMessage, call).await
    }

    async fn icrc1_transfer(&self, ledger: Principal, args: TransferArg) -> CallResult<Result<Nat, TransferError>> {
        let call = unbounded(ledger, "icrc1_transfer", &(args,));
        finish(ledger, "icrc1_transfer", Callee::SingleMessage, call).await
    }

    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> CallResult<Nat> {
        let call = bounded(ledger, "icrc1_balance_of", &(account,));
        finish(ledger, "icrc1_balance_of", Callee::SingleMessage, call).await
    }

    async fn record_payment(
        &self,
        storage: Principal,
        args: RecordPaymentArgs,
    ) -> CallResult<Result<Invoice, FleetError>> {
        let call = bounded(storage, invoice_methods::RECORD_PAYMENT, &(args,));
        finish(storage, invoice_methods::RECORD_PAYMENT, Callee::SingleMessage, call).await
    }

    async fn update_invoice_status(
        &self,
        storage: Principal,
        invoice_id: u64,
        transition: InvoiceTransition,
    ) -> CallResult<Result<Invoice, FleetError>> {
        let call = bounded(storage, invoice_methods::UPDATE_INVOICE_STATUS, &(invoice_id, transition));
        finish(storage, invoice_methods::UPDATE_INVOICE_STATUS, Callee::SingleMessage, call).await
    }

    async fn log_event(&self, storage: Principal, args: LogEventArgs) -> CallResult<Result<u64, FleetError>> {
        let call = bounded(storage, audit_storage_api::methods::LOG_EVENT, &(args,));
        finish(storage, audit_storage_api::methods::LOG_EVENT, Callee::SingleMessage, call).await
    }

    async fn create_contract(&self, factory: Principal, arg: Vec<u8>) -> CallResult<Result<Principal, FleetError>> {
        let call = Call::unbounded_wait(factory, "createContract").take_raw_args(arg);
        finish(factory, "createContract", Callee::MultiMessage, call).await
    }

    async fn abandon_deployment_request(
        &self,
        factory: Principal,
        request_id: u64,
    ) -> CallResult<Result<FactoryRequest, FleetError>> {
        use factory_reply::DeploymentRequestState as State;
        const METHOD: &str = "abandonDeploymentRequest";
        let call = unbounded(factory, METHOD, &(request_id,));
        let reply: factory_reply::Response = finish(factory, METHOD, Callee::SingleMessage, call).await?;
        Ok(reply.map(|view| {
            // No request and none recorded (the backend is off the factory's whitelist): a createContract sent before
            // this call was answered already (calls between two canisters arrive in order), so none is in flight.
            let Some(view) = view else { return FactoryRequest::Abandoned };
            match view.state {
                State::InProgress(_) => FactoryRequest::InProgress,
                State::Succeeded(done) => FactoryRequest::Succeeded { contract: done.contract, owner: view.owner },
                State::Failed(failed) => FactoryRequest::Failed(failed.error),
                State::Abandoned(_) => FactoryRequest::Abandoned,
            }
        }))
    }
}

/// A service's report query (`getHealth`, `getSetupStatus`) with a bounded-wait call; why it has no answer, in words.
pub async fn ask_report<T: CandidType + DeserializeOwned>(
    canister: Principal,
    method: &'static str,
) -> Result<T, String> {
    finish(canister, method, Callee::SingleMessage, bounded(canister, method, &())).await.map_err(|e| e.reason)
}
