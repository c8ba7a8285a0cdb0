//! Everything the distribution needs from the outside world, as one trait: the real one makes inter-canister calls,
//! the tests' fake one is an in-memory ledger with scripted failures.

use crate::books::SendFailure;
use candid::{Nat, Principal};
use contract_runtime::{ContractEnv, FactoryNotifier};
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};

/// The clock, ids and owner are the contract runtime's [`ContractEnv`], the factory callbacks its
/// [`FactoryNotifier`].
#[allow(async_fn_in_trait)] // Futures run on the canister's single thread; no Send bound wanted.
pub trait Runtime: ContractEnv + FactoryNotifier {
    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError>;
    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> Result<Nat, FleetError>;
    async fn icrc1_transfer(
        &self,
        ledger: Principal,
        arg: TransferArg,
    ) -> Result<Result<Nat, TransferError>, SendFailure>;
}

/// The real runtime: the calls of `contract_runtime::ledger` (reads bounded-wait; transfers unbounded-wait, so a
/// reject means the ledger did not execute them unless it is `SysUnknown`, and an undecodable reply is an unknown
/// outcome) and the factory callbacks of `contract_runtime`.
pub struct IcRuntime;

impl Runtime for IcRuntime {
    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError> {
        contract_runtime::ledger::icrc1_fee(ledger).await
    }

    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> Result<Nat, FleetError> {
        contract_runtime::ledger::icrc1_balance_of(ledger, account).await
    }

    async fn icrc1_transfer(
        &self,
        ledger: Principal,
        arg: TransferArg,
    ) -> Result<Result<Nat, TransferError>, SendFailure> {
        Ok(contract_runtime::ledger::unbounded(ledger, "icrc1_transfer", &(arg,)).await?)
    }
}

/// The clock and ids of `contract_runtime`.
impl contract_runtime::ContractEnv for IcRuntime {}

/// The factory callbacks of `contract_runtime` (bounded-wait).
impl FactoryNotifier for IcRuntime {}
