//! The token factory's interface. Its endpoints are the shared factory endpoints (`factory_engine::api` types,
//! see `token_factory.did`) with `createContract : (principal, TokenArgs, DeployOptions) -> (variant { Ok : principal;
//! Err : FleetError })`. Callers (the backend, the release CLI, tests) depend on this crate.

pub use factory_engine::api::*;
pub use factory_engine::events::{Event, EventKind};
pub use factory_engine::roles::Role;
pub use fleet_api::{ContractInfo, DeployOptions, FleetError, Page, PageRequest, ServiceHealth, SetupStatus};
pub use token_api::{TokenArgs, TokenInit};

/// Candid method names, for clients that call by name.
pub mod methods {
    pub const CREATE_CONTRACT: &str = "createContract";
    pub const SETUP_WHITELIST: &str = "setupWhitelist";
    pub const GET_SETUP_STATUS: &str = "getSetupStatus";
    pub const GET_HEALTH: &str = "getHealth";
    pub const GET_MY_CONTRACTS: &str = "getMyContracts";
    pub const GET_CONTRACT: &str = "getContract";
    pub const BEGIN_UPLOAD: &str = "beginUpload";
    pub const UPLOAD_CHUNK: &str = "uploadChunk";
    pub const FINALIZE_UPLOAD: &str = "finalizeUpload";
    pub const LIST_VERSIONS: &str = "listVersions";
    pub const GET_DEFAULT_VERSION: &str = "getDefaultVersion";
}

/// The candid interface of the token factory.
pub const DID: &str = include_str!("../token_factory.did");
