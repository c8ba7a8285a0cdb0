//! The real [`Runtime`]: the calls of `contract_runtime::ledger` (transfers unbounded-wait, `icrc1_fee` a
//! bounded-wait read) and the factory callbacks of `contract_runtime` (bounded-wait).

use crate::runtime::{CallFailure, CallResult, Runtime};
use candid::{CandidType, Nat, Principal};
use contract_runtime::ledger;
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
use serde::de::DeserializeOwned;

pub struct IcRuntime;

/// A ledger move: a rejected or undelivered one changed nothing (a ledger is a single-message callee), only an
/// unknown outcome may have executed.
async fn ledger_move<A: CandidType, T: CandidType + DeserializeOwned>(
    ledger: Principal,
    method: &str,
    arg: A,
) -> CallResult<T> {
    ledger::unbounded(ledger, method, &(arg,)).await.map_err(|failure| match failure {
        ledger::CallFailure::Unknown(reason) => CallFailure::Unknown(reason),
        ledger::CallFailure::NotDelivered(reason) | ledger::CallFailure::RejectedByCallee(reason) => {
            CallFailure::NotExecuted(reason)
        }
    })
}

impl Runtime for IcRuntime {
    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError> {
        ledger::icrc1_fee(ledger).await
    }

    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> CallResult<Result<Nat, TransferError>> {
        ledger_move(ledger, "icrc1_transfer", arg).await
    }

    async fn icrc2_transfer_from(
        &self,
        ledger: Principal,
        arg: TransferFromArgs,
    ) -> CallResult<Result<Nat, TransferFromError>> {
        ledger_move(ledger, "icrc2_transfer_from", arg).await
    }
}

/// The clock and ids of `contract_runtime`.
impl contract_runtime::ContractEnv for IcRuntime {}

/// The factory callbacks of `contract_runtime` (bounded-wait).
impl contract_runtime::FactoryNotifier for IcRuntime {}
