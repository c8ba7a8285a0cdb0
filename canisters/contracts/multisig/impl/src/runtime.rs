//! Everything the wallet needs from the outside world, as one trait: the real one makes inter-canister calls
//! (`crate::ic_runtime`), the tests' fake one (`crate::fake_runtime`) scripts answers and failures.

use candid::{Nat, Principal};
use contract_runtime::FactoryNotifier;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};

/// A call that produced no reply the wallet could read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallFailure {
    /// The call was certainly not executed: refused before it left (cycles, queue full) or by the system before
    /// delivery (no such canister or method).
    NotDelivered(String),
    /// The callee ran and rejected or trapped. A single-message callee (an ICRC ledger) changed nothing; a callee
    /// that awaits may have committed part of its work.
    RejectedByCallee(String),
    /// The callee may have executed the call: a reply that could not be decoded, or no answer at all.
    Unknown(String),
}

impl CallFailure {
    pub fn reason(&self) -> &str {
        match self {
            Self::NotDelivered(r) | Self::RejectedByCallee(r) | Self::Unknown(r) => r,
        }
    }
}

pub type CallResult<T> = Result<T, CallFailure>;

/// The factory callbacks are the contract runtime's [`FactoryNotifier`].
#[allow(async_fn_in_trait)] // Futures run on the canister's single thread; no Send bound wanted.
pub trait Runtime: FactoryNotifier {
    fn now(&self) -> u64;
    /// The wallet's own principal: the owner of the accounts it holds tokens in.
    fn self_id(&self) -> Principal;

    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> CallResult<Result<Nat, TransferError>>;
    async fn icrc2_approve(&self, ledger: Principal, arg: ApproveArgs) -> CallResult<Result<Nat, ApproveError>>;
    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> CallResult<Nat>;
    /// `method` of `canister` with a candid-encoded argument and `cycles` attached; the raw reply.
    async fn call_raw(&self, canister: Principal, method: &str, arg: &[u8], cycles: u128) -> CallResult<Vec<u8>>;
}
