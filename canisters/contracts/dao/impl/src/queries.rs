//! The query endpoints, one line each over the DAO.

use crate::state;
use candid::Principal;
use dao_api::{Ballot, DaoInfo, Member, Proposal, ProposalsRequest, Stake};
use fleet_api::{FleetError, Page, PageRequest};
use ic_cdk::query;

#[query(name = "getDao")]
fn get_dao() -> DaoInfo {
    state::read(|d| d.info(ic_cdk::api::canister_self()))
}

#[query(name = "getMember")]
fn get_member(member: Principal) -> Option<Member> {
    state::read(|d| d.member(&member))
}

#[query(name = "getStakes")]
fn get_stakes(member: Principal, page: PageRequest) -> Page<Stake> {
    state::read(|d| d.stakes_page(member, page))
}

#[query(name = "getProposal")]
fn get_proposal(id: u64) -> Result<Proposal, FleetError> {
    state::read(|d| d.proposal_of(id))
}

#[query(name = "getProposals")]
fn get_proposals(request: ProposalsRequest) -> Page<Proposal> {
    state::read(|d| d.proposals_page(&request))
}

#[query(name = "getBallot")]
fn get_ballot(id: u64, member: Principal) -> Option<Ballot> {
    state::read(|d| d.ballot(id, member))
}
