//! Everything the DAO needs from the outside world, as one trait: the real one makes inter-canister calls
//! (`crate::ic_runtime`), the tests' fake one (`crate::fake_runtime`) is an in-memory ledger with scripted faults.

use candid::{Nat, Principal};
use contract_runtime::{ContractEnv, FactoryNotifier};
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};

/// A call that produced no reply the DAO could read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallFailure {
    /// Certainly not executed: refused before it left or by the system before delivery, or rejected by the ledger
    /// (a single-message callee changes nothing when it rejects or traps).
    NotExecuted(String),
    /// The ledger may have executed it: a reply that could not be decoded, or no answer at all.
    Unknown(String),
}

impl CallFailure {
    pub fn reason(&self) -> &str {
        match self {
            Self::NotExecuted(r) | Self::Unknown(r) => r,
        }
    }
}

pub type CallResult<T> = Result<T, CallFailure>;

/// The clock, ids and owner are the contract runtime's [`ContractEnv`], the factory callbacks its
/// [`FactoryNotifier`].
#[allow(async_fn_in_trait)] // Futures run on the canister's single thread; no Send bound wanted.
pub trait Runtime: ContractEnv + FactoryNotifier {
    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError>;
    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> CallResult<Result<Nat, TransferError>>;
    async fn icrc2_transfer_from(
        &self,
        ledger: Principal,
        arg: TransferFromArgs,
    ) -> CallResult<Result<Nat, TransferFromError>>;
}
