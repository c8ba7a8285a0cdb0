//! The multisig wallet contract: signers and a threshold; proposals (ICRC-1 transfers, ICRC-2 approves, signer and
//! threshold changes, generic canister calls) that execute once enough signers approve, at most once each. Runs on
//! the contract runtime (owner, factory, version, migrations, `health`). The logic is in `wallet` (plain Rust over
//! stable structures) and `executor` (the calls, over the `Runtime` trait); the endpoint files are one line each.

pub mod executor;
#[cfg(test)]
mod fake_runtime;
mod ic_runtime;
mod ingress;
mod lifecycle;
pub mod memory;
mod queries;
pub mod runtime;
mod state;
mod timers;
mod updates;
pub mod wallet;

pub use lifecycle::{MIGRATIONS, SPEC};

/// The version of this contract code, as the factory's registry names it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn kind_status() -> Result<String, String> {
    state::read(|w| w.status())
}

contract_runtime::contract_queries!(SPEC, kind_status);

// `export_candid!` resolves the types of every endpoint signature from the crate root.
#[allow(unused_imports)]
use {
    fleet_api::{ContractUpgrade, FleetError, Page, PageRequest},
    multisig_api::{
        BalanceRequest, KnownBalance, MultisigInit, Proposal, ProposalDetail, ProposalResult, ProposalsRequest,
        ProposeArgs, SignerSet,
    },
};

ic_cdk::export_candid!();

#[cfg(test)]
mod did_tests {
    #[test]
    fn the_code_implements_exactly_multisig_did() {
        did_check::assert_did_matches_code(
            "multisig.did",
            &super::__export_service(),
            include_str!("../../api/multisig.did"),
        );
    }
}
