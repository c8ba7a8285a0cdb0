//! The launchpad contract: a sale of an ICRC-1 sale token for an ICRC-2 payment token, running on the contract
//! runtime (owner, factory, version, migrations, `health`). The logic is in `books` (plain Rust over stable
//! structures) and `flows` (the awaits, over the `Runtime` trait); the endpoint files are thin.

pub mod books;
pub mod flows;
mod ingress;
mod lifecycle;
pub mod memory;
mod queries;
pub mod runtime;
pub mod state;
mod timers;
mod updates;

#[cfg(test)]
mod fake_runtime;
#[cfg(test)]
mod tests;

pub use lifecycle::{INSTALL_CLOCK_SLACK_NANOS, MIGRATIONS, SPEC};

/// The version of this contract code, as the factory's registry names it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn kind_status() -> Result<String, String> {
    state::read(|l| l.check_books(ic_cdk::api::time()))
}

contract_runtime::contract_queries!(SPEC, kind_status);

// `export_candid!` resolves the types of every endpoint signature from the crate root.
#[allow(unused_imports)]
use {
    candid::{Nat, Principal},
    fleet_api::{ContractUpgrade, FleetError, Page, PageRequest},
    launchpad_api::{BuyerInfo, ContributionInfo, FundingReport, LaunchpadInit, SaleInfo, TransferInfo},
};

ic_cdk::export_candid!();

#[cfg(test)]
mod did_tests {
    #[test]
    fn the_code_implements_exactly_launchpad_did() {
        did_check::assert_did_matches_code("launchpad.did", &super::__export_service(), launchpad_api::DID);
    }
}
