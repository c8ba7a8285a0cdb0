//! Creating proposals (with their voting-power snapshot), voting on them, deciding them when voting ends, and
//! reading them back. A vote reads one member's power at the snapshot (one B-tree lookup) and adds it to the
//! proposal's tally: nothing scans the members.

use super::{state_tag, to_u128, Dao};
use candid::{Nat, Principal};
use contract_runtime::state_index::newest_first_page;
use contract_runtime::storable::Candid;
use dao_api::{
    staking_subaccount, Ballot, Proposal, ProposalAction, ProposalState, ProposalsRequest, ProposeArgs, Vote, VoteArgs,
    BASIS_POINTS, MAX_MOTION_CHARS, MAX_OPEN_PROPOSALS, MAX_SUMMARY_CHARS,
};
use fleet_api::{FleetError, Page};
use ic_stable_structures::Memory;
use num_traits::ToPrimitive;

const NANOS_PER_SECOND: u64 = 1_000_000_000;
/// Proposals decided by one sweep; the rest wait for the next timer or update.
pub const DECIDE_SWEEP: usize = 100;

/// Why `SetUpgradePolicy` proposals are refused in this release.
pub const UPGRADE_POLICY_REFUSAL: &str = "SetUpgradePolicy: the DAO's factory accepts setUpgradePolicy only from the \
     contract's owner recorded at deployment (the DAO's creator), not from the contract itself, so the DAO cannot \
     carry out this proposal; its owner sets the upgrade policy at the factory";

impl<M: Memory> Dao<M> {
    pub(super) fn proposal(&self, id: u64) -> Result<Proposal, FleetError> {
        self.proposals.get(&id).map(|c| c.0).ok_or_else(|| FleetError::not_found(format!("proposal {id}")))
    }

    /// Stores `proposal`, whose state may have changed since `before`, and keeps the indexes and counts in step.
    pub(super) fn save(&mut self, before: Option<ProposalState>, proposal: &Proposal) {
        if before != Some(proposal.state) {
            if let Some(before) = before {
                self.by_state.remove(&(state_tag(before), proposal.id));
                if before == ProposalState::Open {
                    self.open_by_deadline.remove(&(proposal.voting_ends_at, proposal.id));
                }
            }
            self.by_state.insert((state_tag(proposal.state), proposal.id), ());
            let from = before.map(|b| state_tag(b) as usize);
            let to = state_tag(proposal.state) as usize;
            self.update_config(|c| {
                if let Some(from) = from {
                    c.proposals_per_state[from] = c.proposals_per_state[from].saturating_sub(1);
                }
                c.proposals_per_state[to] += 1;
            });
        }
        self.proposals.insert(proposal.id, Candid(proposal.clone()));
    }

    /// `propose` by a member with at least the minimum stake. The proposal snapshots the stake history's current
    /// point, the total voting power and the rules.
    pub fn propose(
        &mut self,
        caller: Principal,
        args: ProposeArgs,
        self_id: Principal,
        now: u64,
    ) -> Result<Proposal, FleetError> {
        self.decide_due(now);
        let config = self.config().clone();
        let min = to_u128(&config.parameters.min_stake_to_propose);
        let staked = self.member(&caller).map_or(0, |m| to_u128(&m.staked));
        if staked == 0 || staked < min {
            return Err(FleetError::unauthorized(format!(
                "only members with at least {min} staked (and more than 0) may propose; {caller} has {staked}"
            )));
        }
        let undecided = self.count_of(ProposalState::Open)
            + self.count_of(ProposalState::Adopted)
            + self.count_of(ProposalState::Executing);
        if undecided >= MAX_OPEN_PROPOSALS {
            return Err(FleetError::invalid_state(format!(
                "{undecided} proposals are open or being executed, the most the DAO keeps; wait for some to close"
            )));
        }
        let chars = args.summary.chars().count();
        if args.summary.trim().is_empty() || chars > MAX_SUMMARY_CHARS {
            return Err(FleetError::invalid(format!(
                "summary: {chars} characters; 1 to {MAX_SUMMARY_CHARS} (not only spaces) are allowed"
            )));
        }
        validate_action(&args.action, self_id)?;
        let proposal = Proposal {
            id: config.next_proposal_id,
            proposer: caller,
            summary: args.summary,
            action: args.action,
            created_at: now,
            voting_ends_at: now
                .saturating_add(config.parameters.voting_period_seconds.saturating_mul(NANOS_PER_SECOND)),
            snapshot: config.history_point,
            total_voting_power: Nat::from(config.total_voting_power),
            quorum_basis_points: config.parameters.quorum_basis_points,
            approval_threshold_basis_points: config.parameters.approval_threshold_basis_points,
            yes: Nat::from(0u8),
            no: Nat::from(0u8),
            voters: 0,
            state: ProposalState::Open,
            decided_at: None,
            execution: None,
        };
        self.update_config(|c| c.next_proposal_id += 1);
        self.open_by_deadline.insert((proposal.voting_ends_at, proposal.id), ());
        self.save(None, &proposal);
        let status = self.status_text();
        self.reports.queue_status(status);
        Ok(proposal)
    }

    /// A vote of `caller` with their voting power at the proposal's snapshot, once, while voting is open.
    pub fn vote(&mut self, caller: Principal, args: VoteArgs, now: u64) -> Result<Proposal, FleetError> {
        self.decide_due(now);
        let id = args.proposal_id;
        let mut proposal = self.proposal(id)?;
        let power = self.power_at(caller, proposal.snapshot);
        if power == 0 {
            return Err(FleetError::unauthorized(format!(
                "{caller} had no voting power when proposal {id} was created; only members staked then vote on it"
            )));
        }
        if proposal.state != ProposalState::Open || now >= proposal.voting_ends_at {
            return Err(FleetError::invalid_state(format!(
                "voting on proposal {id} closed at {} ({:?})",
                proposal.voting_ends_at, proposal.state
            )));
        }
        if self.ballots.contains_key(&(id, caller)) {
            return Err(FleetError::AlreadyExists(format!("{caller} has already voted on proposal {id}")));
        }
        let ballot =
            Ballot { proposal_id: id, member: caller, vote: args.vote, voting_power: Nat::from(power), at: now };
        self.ballots.insert((id, caller), Candid(ballot));
        match args.vote {
            Vote::Yes => proposal.yes = Nat::from(to_u128(&proposal.yes) + power),
            Vote::No => proposal.no = Nat::from(to_u128(&proposal.no) + power),
        }
        proposal.voters += 1;
        self.save(Some(ProposalState::Open), &proposal);
        Ok(proposal)
    }

    /// Decides the open proposals whose voting period has ended, earliest deadline first, at most
    /// [`DECIDE_SWEEP`]. Returns how many it decided.
    pub fn decide_due(&mut self, now: u64) -> usize {
        let due: Vec<(u64, u64)> = self
            .open_by_deadline
            .range(..(now.saturating_add(1), 0))
            .take(DECIDE_SWEEP)
            .map(|entry| *entry.key())
            .filter(|(at, _)| *at <= now)
            .collect();
        for (_, id) in &due {
            if let Ok(mut proposal) = self.proposal(*id) {
                proposal.state = outcome(&proposal);
                proposal.decided_at = Some(now);
                self.save(Some(ProposalState::Open), &proposal);
            }
        }
        if !due.is_empty() {
            let status = self.status_text();
            self.reports.queue_status(status);
        }
        due.len()
    }

    /// When the next open proposal's voting ends.
    pub fn next_deadline(&self) -> Option<u64> {
        self.open_by_deadline.first_key_value().map(|(key, ())| key.0)
    }

    pub fn ballot(&self, id: u64, member: Principal) -> Option<Ballot> {
        self.ballots.get(&(id, member)).map(|c| c.0)
    }

    pub fn proposal_of(&self, id: u64) -> Result<Proposal, FleetError> {
        self.proposal(id)
    }

    /// Newest first, every proposal or those in one state. No scan: the ids are consecutive, the states indexed.
    pub fn proposals_page(&self, request: &ProposalsRequest) -> Page<Proposal> {
        let state = request.state.map(|state| (state_tag(state), self.count_of(state)));
        let count = self.config().next_proposal_id;
        newest_first_page(&self.by_state, count, state, &request.page, |id| self.proposal(id).ok())
    }
}

/// Quorum: yes + no >= quorum share of the snapshot's total. Approval: yes >= threshold share of yes + no, and
/// yes > no. Exact integer arithmetic (voting power < 2^81, times 10,000 < 2^95).
fn outcome(p: &Proposal) -> ProposalState {
    let (yes, no, total) = (to_u128(&p.yes), to_u128(&p.no), to_u128(&p.total_voting_power));
    let cast = yes + no;
    let bp = u128::from(BASIS_POINTS);
    if cast == 0 || cast * bp < u128::from(p.quorum_basis_points) * total {
        ProposalState::QuorumNotReached
    } else if yes > no && yes * bp >= u128::from(p.approval_threshold_basis_points) * cast {
        ProposalState::Adopted
    } else {
        ProposalState::Rejected
    }
}

fn validate_action(action: &ProposalAction, self_id: Principal) -> Result<(), FleetError> {
    match action {
        ProposalAction::Motion { text } => {
            let chars = text.chars().count();
            if text.trim().is_empty() || chars > MAX_MOTION_CHARS {
                return Err(FleetError::invalid(format!(
                    "text: {chars} characters; 1 to {MAX_MOTION_CHARS} (not only spaces) are allowed"
                )));
            }
            Ok(())
        }
        ProposalAction::TreasuryTransfer(t) => {
            if t.ledger == Principal::anonymous() || t.ledger == Principal::management_canister() || t.ledger == self_id
            {
                return Err(FleetError::invalid(format!("ledger: {} is not a ledger canister", t.ledger)));
            }
            if t.to.owner == Principal::anonymous() {
                return Err(FleetError::invalid("to: the anonymous principal's account; the tokens would be lost"));
            }
            if t.to.owner == self_id && (t.to.subaccount.is_none() || t.to.subaccount == Some(staking_subaccount())) {
                return Err(FleetError::invalid("to: the DAO's own treasury or staking account"));
            }
            match t.amount.0.to_u64() {
                Some(0) => return Err(FleetError::invalid("amount: zero; a transfer moves at least one unit")),
                None => return Err(FleetError::invalid(format!("amount: {} does not fit in 64 bits", t.amount))),
                Some(_) => {}
            }
            if t.fee.as_ref().is_some_and(|fee| fee.0.to_u64().is_none()) {
                return Err(FleetError::invalid("fee: does not fit in 64 bits"));
            }
            Ok(())
        }
        ProposalAction::ChangeParameters(parameters) => dao_api::validate_parameters(parameters),
        ProposalAction::SetUpgradePolicy(_) => Err(FleetError::NotImplemented(UPGRADE_POLICY_REFUSAL.into())),
    }
}
