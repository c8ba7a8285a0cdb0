//! Everything the launchpad needs from the outside world, as one trait: the real one makes inter-canister calls, the
//! tests' fake one is two in-memory ledgers with scripted failures.

use crate::books::{LedgerReply, SendOutcome};
use candid::{Nat, Principal};
use contract_runtime::{ContractEnv, FactoryNotifier};
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::TransferArg;
use icrc_ledger_types::icrc2::transfer_from::TransferFromArgs;

/// The clock, ids and owner are the contract runtime's [`ContractEnv`], the factory callbacks its
/// [`FactoryNotifier`].
#[allow(async_fn_in_trait)] // Futures run on the canister's single thread; no Send bound wanted.
pub trait Runtime: ContractEnv + FactoryNotifier {
    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError>;
    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> Result<Nat, FleetError>;
    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> SendOutcome;
    async fn icrc2_transfer_from(&self, ledger: Principal, arg: TransferFromArgs) -> SendOutcome;
}

/// The real runtime: the calls of `contract_runtime::ledger` (reads bounded-wait; ledger moves unbounded-wait, so
/// a reject means the ledger did not execute them unless it is `SysUnknown`, and an undecodable reply is an unknown
/// outcome) and the factory callbacks of `contract_runtime`.
pub struct IcRuntime;

/// A ledger move and its answer as the books read it.
async fn send<E>(ledger: Principal, method: &str, arg: impl candid::CandidType) -> SendOutcome
where
    E: candid::CandidType + for<'de> candid::Deserialize<'de>,
    LedgerReply: From<Result<Nat, E>>,
{
    let reply: Result<Nat, E> = contract_runtime::ledger::unbounded(ledger, method, &(arg,)).await?;
    Ok(LedgerReply::from(reply))
}

impl Runtime for IcRuntime {
    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError> {
        contract_runtime::ledger::icrc1_fee(ledger).await
    }

    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> Result<Nat, FleetError> {
        contract_runtime::ledger::icrc1_balance_of(ledger, account).await
    }

    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> SendOutcome {
        send::<icrc_ledger_types::icrc1::transfer::TransferError>(ledger, "icrc1_transfer", arg).await
    }

    async fn icrc2_transfer_from(&self, ledger: Principal, arg: TransferFromArgs) -> SendOutcome {
        send::<icrc_ledger_types::icrc2::transfer_from::TransferFromError>(ledger, "icrc2_transfer_from", arg).await
    }
}

/// The clock and ids of `contract_runtime`.
impl contract_runtime::ContractEnv for IcRuntime {}

/// The factory callbacks of `contract_runtime` (bounded-wait).
impl FactoryNotifier for IcRuntime {}
