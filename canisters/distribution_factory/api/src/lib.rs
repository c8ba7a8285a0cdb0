//! The distribution factory's interface: the shared factory endpoints (`factory_engine::api` types, documented in
//! `token_factory.did` and the factory engine's README) with `createContract : (principal, DistributionArgs, DeployOptions)`.
//! `distribution_factory.did` is generated from the code (`FLEET_BLESS_DID=1 cargo test -p distribution_factory candid`).

pub use factory_engine::api::*;
pub use fleet_api::{ContractInfo, DeployOptions, FleetError, Page, PageRequest, ServiceHealth, SetupStatus};
pub use distribution_api::{DistributionArgs, DistributionInit};

/// The candid interface of the distribution factory.
pub const DID: &str = include_str!("../distribution_factory.did");
