//! The real [`Runtime`]: inter-canister calls with ic-cdk.
//!
//! Ledger transfers are unbounded-wait calls: a reject then means the ledger did not execute them (or rejected them
//! itself, changing nothing), except `SysUnknown`; an undecodable reply is an unknown outcome. `icrc1_fee` is a
//! bounded-wait read. The factory callbacks are contract_runtime's (bounded-wait).

use crate::runtime::{CallFailure, CallResult, Runtime};
use candid::{CandidType, Nat, Principal};
use fleet_api::FleetError;
use ic_cdk::call::{Call, CallFailed, RejectCode};
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
use serde::de::DeserializeOwned;

pub struct IcRuntime;

async fn ledger_call<T: CandidType + DeserializeOwned>(call: Call<'_, '_>, method: &str) -> CallResult<T> {
    match call.await {
        Ok(reply) => reply.candid::<T>().map_err(|e| CallFailure::Unknown(format!("{method}: undecodable reply: {e}"))),
        Err(CallFailed::CallRejected(rejected)) => {
            let text = format!("{method} rejected ({:?}): {}", rejected.reject_code(), rejected.reject_message());
            match rejected.reject_code() {
                Ok(RejectCode::SysUnknown) | Err(_) => Err(CallFailure::Unknown(text)),
                Ok(_) => Err(CallFailure::NotExecuted(text)),
            }
        }
        Err(other) => Err(CallFailure::NotExecuted(format!("{method} not sent: {other}"))),
    }
}

impl Runtime for IcRuntime {
    fn now(&self) -> u64 {
        ic_cdk::api::time()
    }

    fn self_id(&self) -> Principal {
        ic_cdk::api::canister_self()
    }

    fn owner(&self) -> Principal {
        contract_runtime::runtime::owner()
    }

    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError> {
        let failed = |e: &dyn std::fmt::Display| FleetError::call_failed(ledger, "icrc1_fee", e);
        let reply = Call::bounded_wait(ledger, "icrc1_fee").await.map_err(|e| failed(&e))?;
        reply.candid().map_err(|e| failed(&e))
    }

    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> CallResult<Result<Nat, TransferError>> {
        ledger_call(Call::unbounded_wait(ledger, "icrc1_transfer").with_arg(arg), "icrc1_transfer").await
    }

    async fn icrc2_transfer_from(
        &self,
        ledger: Principal,
        arg: TransferFromArgs,
    ) -> CallResult<Result<Nat, TransferFromError>> {
        ledger_call(Call::unbounded_wait(ledger, "icrc2_transfer_from").with_arg(arg), "icrc2_transfer_from").await
    }
}

/// The factory callbacks of `contract_runtime` (bounded-wait).
impl contract_runtime::FactoryNotifier for IcRuntime {}
