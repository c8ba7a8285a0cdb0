//! `fleet_client`: typed clients of the fleet's canisters over one [`Transport`].
//!
//! A transport moves candid bytes to a canister and back (`update`, `query`), signed as one caller; a client knows
//! one canister interface: its method names, its argument and reply types, and how its `Result<T, FleetError>`
//! replies flatten into one [`ClientError`]. No caller writes a method name or encodes candid by hand.
//!
//! Transports:
//! - [`emulator::EmulatorTransport`] (feature `emulator`): the in-process emulator, for the rehearsal and the tests;
//! - [`pocket_ic::PocketIcTransport`] (feature `pocket-ic`): a PocketIC server, the tests' other backend;
//! - [`agent::AgentTransport`] (feature `agent`): a real network through `ic-agent`, with a dfx / icp-cli identity PEM.
//!
//! Clients: [`factory::FactoryClient`] (the registry endpoints every factory shares) and, over it,
//! [`publish::publish`], the chunked, resumable upload the release CLI and the tests use.

pub mod canister;
pub mod error;
pub mod factory;
pub mod publish;
pub mod rollout;
pub mod transport;

#[cfg(feature = "agent")]
pub mod agent;
#[cfg(feature = "emulator")]
pub mod emulator;
#[cfg(feature = "pocket-ic")]
pub mod pocket_ic;
#[cfg(any(feature = "emulator", feature = "pocket-ic"))]
mod pocket_ic_shaped;

pub use canister::CanisterClient;
pub use error::{ClientError, TransportError};
pub use factory::FactoryClient;
pub use transport::Transport;
