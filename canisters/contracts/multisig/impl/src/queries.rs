//! The query endpoints, one line each over the wallet.

use crate::state;
use fleet_api::{FleetError, Page, PageRequest};
use ic_cdk::query;
use multisig_api::{KnownBalance, Proposal, ProposalDetail, ProposalsRequest, SignerSet};

#[query(name = "getProposals")]
fn get_proposals(request: ProposalsRequest) -> Page<Proposal> {
    state::read(|w| w.proposals_page(&request, ic_cdk::api::time()))
}

#[query(name = "getProposal")]
fn get_proposal(id: u64) -> Result<ProposalDetail, FleetError> {
    state::read(|w| w.proposal_detail(id, ic_cdk::api::time()))
}

#[query(name = "getSigners")]
fn get_signers() -> SignerSet {
    state::read(|w| w.signer_set())
}

#[query(name = "getBalances")]
fn get_balances(request: PageRequest) -> Page<KnownBalance> {
    state::read(|w| w.balances_page(request))
}
