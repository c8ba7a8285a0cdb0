//! The real [`Runtime`]: inter-canister calls with ic-cdk.
//!
//! Ledger transfers, approves and proposals' canister calls are unbounded-wait calls: their reject then means the
//! callee did not execute them or rejected them itself, never "no answer yet" (`SysUnknown` cannot happen). Queries of
//! a ledger (`icrc1_balance_of`) are bounded-wait: a ledger that never answers cannot keep the wallet's call context
//! open, which would block stopping it for an upgrade. The factory callbacks are contract_runtime's (bounded-wait).

use crate::runtime::{CallFailure, CallResult, Runtime};
use candid::utils::ArgumentEncoder;
use candid::{CandidType, Nat, Principal};
use ic_cdk::call::{Call, CallFailed, RejectCode};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};
use serde::de::DeserializeOwned;

pub struct IcRuntime;

fn classify(method: &str, failed: CallFailed) -> CallFailure {
    match failed {
        CallFailed::CallRejected(rejected) => {
            let text = format!("{method} rejected ({:?}): {}", rejected.reject_code(), rejected.reject_message());
            match rejected.reject_code() {
                Ok(RejectCode::SysFatal | RejectCode::SysTransient | RejectCode::DestinationInvalid) => {
                    CallFailure::NotDelivered(text)
                }
                Ok(RejectCode::CanisterReject | RejectCode::CanisterError) => CallFailure::RejectedByCallee(text),
                Ok(RejectCode::SysUnknown) | Err(_) => CallFailure::Unknown(text),
            }
        }
        other => CallFailure::NotDelivered(format!("{method} not sent: {other}")),
    }
}

async fn candid_call<T: CandidType + DeserializeOwned>(call: Call<'_, '_>, method: &str) -> CallResult<T> {
    match call.await {
        Ok(response) => {
            response.candid::<T>().map_err(|e| CallFailure::Unknown(format!("{method}: undecodable reply: {e}")))
        }
        Err(failed) => Err(classify(method, failed)),
    }
}

fn unbounded<'m, A: ArgumentEncoder>(canister: Principal, method: &'m str, args: &A) -> Call<'m, 'static> {
    Call::unbounded_wait(canister, method).with_args(args)
}

impl Runtime for IcRuntime {
    fn now(&self) -> u64 {
        ic_cdk::api::time()
    }

    fn self_id(&self) -> Principal {
        ic_cdk::api::canister_self()
    }

    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> CallResult<Result<Nat, TransferError>> {
        candid_call(unbounded(ledger, "icrc1_transfer", &(arg,)), "icrc1_transfer").await
    }

    async fn icrc2_approve(&self, ledger: Principal, arg: ApproveArgs) -> CallResult<Result<Nat, ApproveError>> {
        candid_call(unbounded(ledger, "icrc2_approve", &(arg,)), "icrc2_approve").await
    }

    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> CallResult<Nat> {
        let call = Call::bounded_wait(ledger, "icrc1_balance_of").with_args(&(account,));
        candid_call(call, "icrc1_balance_of").await
    }

    async fn call_raw(&self, canister: Principal, method: &str, arg: &[u8], cycles: u128) -> CallResult<Vec<u8>> {
        let call = Call::unbounded_wait(canister, method).with_raw_args(arg).with_cycles(cycles);
        match call.await {
            Ok(response) => Ok(response.into_bytes()),
            Err(failed) => Err(classify(method, failed)),
        }
    }
}

/// The factory callbacks of `contract_runtime` (bounded-wait).
impl contract_runtime::FactoryNotifier for IcRuntime {}
