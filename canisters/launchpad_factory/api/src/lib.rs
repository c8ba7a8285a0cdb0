//! The launchpad factory's interface: the shared factory endpoints (`factory_engine::api` types, documented in
//! `token_factory.did` and the factory engine's README) with `createContract : (principal, LaunchpadArgs, DeployOptions)`.
//! `launchpad_factory.did` is generated from the code (`FLEET_BLESS_DID=1 cargo test -p launchpad_factory candid`).

pub use factory_engine::api::*;
pub use fleet_api::{ContractInfo, DeployOptions, FleetError, Page, PageRequest, ServiceHealth, SetupStatus};
pub use launchpad_api::{LaunchpadArgs, LaunchpadInit};

/// The candid interface of the launchpad factory.
pub const DID: &str = include_str!("../launchpad_factory.did");
