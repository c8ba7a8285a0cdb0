//! The multisig factory's interface: the shared factory endpoints (`factory_engine::api` types, documented in
//! `token_factory.did` and the factory engine's README) with `createContract : (principal, MultisigArgs, DeployOptions)`.
//! `multisig_factory.did` is generated from the code (`FLEET_BLESS_DID=1 cargo test -p multisig_factory candid`).

pub use factory_engine::api::*;
pub use fleet_api::{ContractInfo, DeployOptions, FleetError, Page, PageRequest, ServiceHealth, SetupStatus};
pub use multisig_api::{MultisigArgs, MultisigInit};

/// The candid interface of the multisig factory.
pub const DID: &str = include_str!("../multisig_factory.did");
