//! The runtime every contract kind runs on: who owns the contract, which factory deployed it, which version is
//! installed, the schema version of the kind's stable data and its step-by-step migration, the `version` / `health`
//! / `owner` / `factory` queries, and the callbacks to the factory.
//!
//! A kind uses it like this (see the token contract for a complete example):
//! ```ignore
//! pub const SPEC: ContractSpec = ContractSpec {
//!     kind: ContractKind::Token,
//!     version: env!("CARGO_PKG_VERSION"),
//!     schema_version: 1,
//! };
//!
//! #[init]
//! fn init(arg: ContractInit<TokenArgs>) {
//!     // validate and store the kind's own args, then:
//!     contract_runtime::runtime::install(&SPEC, &arg).unwrap_or_else(|e| ic_cdk::trap(e.to_string()));
//! }
//!
//! #[post_upgrade(decode_with = "contract_runtime::runtime::decode_upgrade_arg")]
//! fn post_upgrade(arg: Option<ContractUpgrade>) {
//!     contract_runtime::runtime::upgrade(&SPEC, arg.as_ref(), MIGRATIONS, &mut ())
//!         .unwrap_or_else(|e| ic_cdk::trap(e.to_string()));
//! }
//!
//! contract_runtime::contract_queries!(SPEC, kind_status);
//! ```
//! The building blocks the kinds share beside the lifecycle: [`reports`] (the participant and status reports to the
//! factory, queued in stable memory and sent by a timer), [`layout`] (hand-written versioned byte layouts for hot records), [`ledger`] (the calls to ledgers and other canisters, and what a failed one means), [`state_index`] (newest-first pages of records indexed by state), [`timers`] (one timer per job, the retry backoff), [`testing`] (the kinds' native-test helpers).
//!
//! No kind has a `pre_upgrade`: all state is in stable structures, so upgrades cost the same whatever the state size.

pub mod deployment;
pub mod factory_client;
pub mod layout;
pub mod ledger;
pub mod memory;
pub mod migration;
pub mod reports;
pub mod runtime;
pub mod state_index;
pub mod storable;
pub mod store;
pub mod testing;
pub mod timers;

pub use factory_client::{
    notify_participant_added, notify_participants_added, notify_status_changed, notify_visibility_changed,
};
pub use migration::{MigrationError, MigrationReport, MigrationStep};
pub use reports::{FactoryNotifier, FactoryReports, ReportsCell};
pub use runtime::ContractEnv;
pub use store::{DeploymentNotice, InstallMode, InstallRecord, RuntimeStore};

use fleet_api::{ContractKind, ContractUpgrade, FleetError};

/// What a contract kind's code is: its kind, its version (the crate version, `env!("CARGO_PKG_VERSION")`), and the
/// schema version of the stable data it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContractSpec {
    pub kind: ContractKind,
    pub version: &'static str,
    pub schema_version: u32,
}

/// Decodes a `post_upgrade` argument: empty bytes (no argument at all), `()` and `(null)` are `None`,
/// `(opt record {...})` is the upgrade request, and a bare record is accepted too (candid coerces it into the `opt`).
/// A value of any other type is refused, although candid's `opt` rule would quietly read it as `null`: an upgrade
/// whose argument was meant to say something must not run as if it said nothing.
pub fn parse_upgrade_arg(bytes: &[u8]) -> Result<Option<ContractUpgrade>, FleetError> {
    let malformed = |e: &dyn std::fmt::Display| {
        FleetError::invalid(format!("the upgrade argument must be candid `(opt ContractUpgrade)`: {e}"))
    };
    if bytes.is_empty() {
        return Ok(None);
    }
    let (arg,) = candid::utils::decode_args::<(Option<ContractUpgrade>,)>(bytes).map_err(|e| malformed(&e))?;
    if arg.is_none() {
        // Anything at all decodes into `opt reserved`; only a null or absent value decodes to `None` there too.
        let (anything,) =
            candid::utils::decode_args::<(Option<candid::Reserved>,)>(bytes).map_err(|e| malformed(&e))?;
        if anything.is_some() {
            return Err(malformed(&"found a value of another type"));
        }
    }
    Ok(arg)
}

/// Defines the four queries every contract exposes: `version`, `health`, `owner` and `factory`.
/// `$spec` is the kind's [`ContractSpec`]; `$kind_status` is a `fn() -> Result<String, String>` that checks the kind's
/// own state cheaply (a summary when healthy, the problem otherwise). The calling crate must depend on `ic-cdk`,
/// `candid` and `fleet_api`.
#[macro_export]
macro_rules! contract_queries {
    ($spec:expr, $kind_status:expr) => {
        /// The version of the running code (semver).
        #[::ic_cdk::query]
        fn version() -> String {
            $spec.version.to_string()
        }

        #[::ic_cdk::query]
        fn health() -> ::fleet_api::ContractHealth {
            $crate::runtime::health(&$spec, $kind_status())
        }

        #[::ic_cdk::query]
        fn owner() -> ::candid::Principal {
            $crate::runtime::owner()
        }

        #[::ic_cdk::query]
        fn factory() -> Option<::candid::Principal> {
            $crate::runtime::factory()
        }
    };
}

#[cfg(test)]
mod tests;
