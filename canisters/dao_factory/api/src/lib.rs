//! The DAO factory's interface: the shared factory endpoints (`factory_engine::api` types, documented in
//! `token_factory.did` and the factory engine's README) with `createContract : (principal, DaoArgs, DeployOptions)`.
//! `dao_factory.did` is generated from the code (`FLEET_BLESS_DID=1 cargo test -p dao_factory candid`).

pub use dao_api::{DaoArgs, DaoInit};
pub use factory_engine::api::*;
pub use fleet_api::{ContractInfo, DeployOptions, FleetError, Page, PageRequest, ServiceHealth, SetupStatus};

/// The candid interface of the DAO factory.
pub const DID: &str = include_str!("../dao_factory.did");
