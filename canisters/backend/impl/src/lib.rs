//! `backend`: the fleet's payment gateway and deployment coordinator.
//!
//! - `config`: the config service (`<service>.fee|enabled|initial_cycles`, validated, seeded with the spec's defaults).
//! - `admin`: admins, maintenance mode, `setupMicroservices`, health and setup status.
//! - `deployment`: the payment flow as a state machine in stable memory (`steps` sync, `flow` async), its outbox to
//!   invoice/audit storage, guards, and the reconciliation timer job. It talks to the world only through
//!   `deployment::runtime::Runtime`; `ic_runtime` is the real one, tests use a scripted fake.
//! - `probe`: the fleet's health and setup reports, asked of every microservice in parallel.
//! - `endpoints`, `lifecycle`: thin candid wrappers.

use backend_api::*;
use candid::{Nat, Principal};
use fleet_api::{FleetResult, Page, PageRequest, ServiceHealth, SetupStatus, SystemStatus};
use ic_stable_structures::DefaultMemoryImpl;

pub mod admin;
pub mod config;
pub mod deployment;
mod endpoints;
pub mod ic_runtime;
mod lifecycle;
pub mod memory;
pub mod probe;
pub mod state;

pub use state::{BackendState, Shared};

thread_local! {
    static STATE: Shared<DefaultMemoryImpl> = BackendState::init(DefaultMemoryImpl::default()).into_shared();
}

fn state() -> Shared<DefaultMemoryImpl> {
    STATE.with(|state| state.clone())
}

ic_cdk::export_candid!();

#[cfg(test)]
mod tests;
