//! Types every canister of the fleet shares. Callers, clients and tests depend on these (and on the per-canister api
//! crates), never on an implementation crate.

pub mod contract;
pub mod error;
pub mod health;
pub mod ingress;
pub mod label;
pub mod paging;
pub mod version;

pub use contract::{
    ContractInfo, ContractInit, ContractKind, ContractStatus, ContractUpgrade, DeployOptions, UpgradePolicy,
};
pub use error::{FleetError, FleetResult};
pub use health::{ContractHealth, ServiceHealth, SetupStatus, SystemStatus};
pub use paging::{Page, PageRequest};
