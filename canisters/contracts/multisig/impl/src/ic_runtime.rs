//! The real [`Runtime`]: the calls of `contract_runtime::ledger` (token moves and proposals' canister calls
//! unbounded-wait, `icrc1_balance_of` bounded-wait) and the factory callbacks of `contract_runtime` (bounded-wait).

use crate::runtime::{CallResult, Runtime};
use candid::{Nat, Principal};
use contract_runtime::ledger;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};

pub struct IcRuntime;

impl Runtime for IcRuntime {
    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> CallResult<Result<Nat, TransferError>> {
        ledger::unbounded(ledger, "icrc1_transfer", &(arg,)).await
    }

    async fn icrc2_approve(&self, ledger: Principal, arg: ApproveArgs) -> CallResult<Result<Nat, ApproveError>> {
        ledger::unbounded(ledger, "icrc2_approve", &(arg,)).await
    }

    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> CallResult<Nat> {
        ledger::bounded(ledger, "icrc1_balance_of", &(account,)).await
    }

    async fn call_raw(&self, canister: Principal, method: &str, arg: &[u8], cycles: u128) -> CallResult<Vec<u8>> {
        ledger::call_raw(canister, method, arg, cycles).await
    }
}

/// The clock and ids of `contract_runtime`.
impl contract_runtime::ContractEnv for IcRuntime {}

/// The factory callbacks of `contract_runtime` (bounded-wait).
impl contract_runtime::FactoryNotifier for IcRuntime {}
