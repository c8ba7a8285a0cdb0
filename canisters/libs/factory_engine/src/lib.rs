//! The factory engine: everything the five factories share. A factory crate names its contract kind and arguments
//! (`ContractKindSpec`) and expands `factory_canister!`; the engine supplies the state (roles, WASM registry,
//! contracts and indexes, in-flight deployments, journal), the deploy flow, the callbacks, the views and the
//! endpoints.
//!
//! Layout: plain Rust over stable structures (`factory`, `registry`, `contracts`, `inflight`, `events`, `roles`),
//! tested natively over `VectorMemory`; the IC behind `runtime::Runtime`; `deploy` is the one async flow, tested with
//! a fake runtime (`testing`); `canister` holds the thread-local state and the endpoint bodies the macro calls.
//! `upgrade` is the upgrade engine (path planner, owner operations, rollouts, the scheduler and the per-contract step
//! machine, their store and journal), its endpoints in `canister_upgrade` (expanded by `upgrade_endpoints!`).

pub mod api;
pub mod callbacks;
pub mod canister;
pub mod canister_upgrade;
mod codec;
mod contract_codec;
pub mod contracts;
pub mod cycles_floor;
pub mod deploy;
pub mod events;
pub mod factory;
pub mod fleet_summary;
pub mod inflight;
pub mod memory;
pub mod reconcile;
pub mod registry;
pub mod roles;
pub mod runtime;
pub mod spare;
pub mod testing;
pub mod upgrade;
pub mod views;

#[cfg(test)]
mod tests;

use candid::{CandidType, Principal};
use fleet_api::{ContractInit, ContractKind, FleetError};
use ic_stable_structures::Memory;
use serde::de::DeserializeOwned;
use std::cell::RefCell;

pub use factory::Factory;
/// Re-exported so tests can build a factory's stable memory (`VectorMemory`) with the engine's own version.
pub use ic_stable_structures;
pub use roles::{Caller, Role};
pub use runtime::{IcRuntime, Runtime};

/// What a factory adds to the engine: its contract kind and that kind's typed creation arguments.
pub trait ContractKindSpec: 'static {
    /// The kind's `createContract` arguments, passed to the contract inside `ContractInit<Args>`.
    type Args: CandidType + DeserializeOwned + Clone;
    const KIND: ContractKind;

    /// Rejects an init argument the contract would refuse, before any cycles are spent. It sees the whole
    /// `ContractInit` because some rules involve the owner (e.g. a token's default minting account is the owner's).
    fn validate(init: &ContractInit<Self::Args>) -> Result<(), FleetError>;
    /// A human label for the contract (token symbol, DAO name...), shown in `ContractInfo.name`.
    fn display_name(args: &Self::Args) -> String;
    /// Principals to index as participants from the start (e.g. a multisig's signers).
    fn initial_participants(_args: &Self::Args) -> Vec<Principal> {
        Vec::new()
    }
    /// Whether the contract is listed to everyone from the start.
    fn is_public(_args: &Self::Args) -> bool {
        true
    }
}

/// Access to the factory state for code that awaits in between: each `with` is one short borrow, never held across
/// an await.
pub trait FactoryCell<M: Memory> {
    fn with<T>(&self, f: impl FnOnce(&mut Factory<M>) -> T) -> T;
}

impl<M: Memory> FactoryCell<M> for RefCell<Factory<M>> {
    fn with<T>(&self, f: impl FnOnce(&mut Factory<M>) -> T) -> T {
        f(&mut self.borrow_mut())
    }
}
