//! The DAO contract: members stake a governance token (ICRC-2 `transfer_from` into a staking subaccount) with a
//! lock that multiplies their voting power; motions, treasury transfers and parameter changes are proposed, voted
//! yes/no with the power each member had when the proposal was created, decided at the end of the voting period by
//! a timer, and executed at most once. Runs on the contract runtime (owner, factory, version, migrations,
//! `health`). The logic is in `dao` (plain Rust over stable structures) and `executor` (the calls, over the
//! `Runtime` trait); the endpoint files are one line each.

pub mod dao;
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

pub use lifecycle::{MIGRATIONS, SPEC};

/// The version of this contract code, as the factory's registry names it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn kind_status() -> Result<String, String> {
    state::read(|d| d.status())
}

contract_runtime::contract_queries!(SPEC, kind_status);

// `export_candid!` resolves the types of every endpoint signature from the crate root.
#[allow(unused_imports)]
use {
    candid::Principal,
    dao_api::{
        Ballot, DaoInfo, DaoInit, Member, Proposal, ProposalResult, ProposalsRequest, ProposeArgs, Stake, StakeArgs,
        StakeResult, VoteArgs,
    },
    fleet_api::{ContractUpgrade, FleetError, Page, PageRequest},
};

ic_cdk::export_candid!();

#[cfg(test)]
mod did_tests {
    #[test]
    fn the_code_implements_exactly_dao_did() {
        did_check::assert_did_matches_code("dao.did", &super::__export_service(), include_str!("../../api/dao.did"));
    }
}
