//! Everything the wallet needs from the outside world, as one trait: the real one makes inter-canister calls
//! (`crate::ic_runtime`), the tests' fake one (`crate::fake_runtime`) scripts answers and failures.

use candid::{Nat, Principal};
use contract_runtime::{ContractEnv, FactoryNotifier};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};

/// A call that produced no reply the wallet could read, as every contract kind classifies it.
pub use contract_runtime::ledger::{CallFailure, CallResult};

/// The clock, ids and owner are the contract runtime's [`ContractEnv`], the factory callbacks its
/// [`FactoryNotifier`].
#[allow(async_fn_in_trait)] // Futures run on the canister's single thread; no Send bound wanted.
pub trait Runtime: ContractEnv + FactoryNotifier {
    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> CallResult<Result<Nat, TransferError>>;
    async fn icrc2_approve(&self, ledger: Principal, arg: ApproveArgs) -> CallResult<Result<Nat, ApproveError>>;
    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> CallResult<Nat>;
    /// `method` of `canister` with a candid-encoded argument and `cycles` attached; the raw reply.
    async fn call_raw(&self, canister: Principal, method: &str, arg: &[u8], cycles: u128) -> CallResult<Vec<u8>>;
}
