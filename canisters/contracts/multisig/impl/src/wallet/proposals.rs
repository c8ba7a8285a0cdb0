//! Creating proposals, voting on them, expiring them, and reading them back.

use super::{state_tag, Wallet};
use candid::{Nat, Principal};
use contract_runtime::state_index::newest_first_page;
use contract_runtime::storable::Candid;
use fleet_api::{FleetError, Page};
use ic_stable_structures::Memory;
use multisig_api::{
    CanisterCallAction, Proposal, ProposalAction, ProposalDetail, ProposalState, ProposalsRequest, ProposeArgs, Vote,
    VoteRecord, MAX_CALL_ARG_BYTES, MAX_EXPIRY_SECONDS, MAX_METHOD_NAME_BYTES, MAX_OPEN_PROPOSALS, MAX_SIGNERS,
    MAX_SUMMARY_CHARS,
};
use num_traits::{ToPrimitive, Zero};

const NANOS_PER_SECOND: u64 = 1_000_000_000;
/// Open proposals expired by one sweep; the rest wait for the next update or timer.
pub const EXPIRY_SWEEP: usize = 100;

/// Whether the proposal has just reached its threshold and should be executed now.
pub type Ready = bool;

impl<M: Memory> Wallet<M> {
    /// `propose` by `caller`, a current signer. The proposal snapshots the current signers and threshold and counts
    /// as the proposer's approval; `Ready` when that alone reaches the threshold.
    pub fn propose(
        &mut self,
        caller: Principal,
        args: ProposeArgs,
        self_id: Principal,
        now: u64,
    ) -> Result<(Proposal, Ready), FleetError> {
        self.expire_due(now);
        if !self.is_signer(&caller) {
            return Err(FleetError::unauthorized("only a signer of the wallet may propose"));
        }
        let open = self.count_of(ProposalState::Open) + self.count_of(ProposalState::Executing);
        if open >= MAX_OPEN_PROPOSALS {
            return Err(FleetError::invalid_state(format!(
                "{open} proposals are open or executing, the most the wallet keeps; vote on or let some expire first"
            )));
        }
        if let Some(summary) = &args.summary {
            let chars = summary.chars().count();
            if chars > MAX_SUMMARY_CHARS {
                return Err(FleetError::invalid(format!(
                    "summary: {chars} characters, at most {MAX_SUMMARY_CHARS} are allowed"
                )));
            }
        }
        let latest = now.saturating_add(MAX_EXPIRY_SECONDS * NANOS_PER_SECOND);
        let expires_at = match args.expires_at {
            Some(at) if at <= now => {
                return Err(FleetError::invalid(format!("expires_at: {at} is not after now ({now})")))
            }
            Some(at) if at > latest => {
                return Err(FleetError::invalid(format!(
                    "expires_at: {at} is more than {MAX_EXPIRY_SECONDS} s ahead (latest {latest})"
                )))
            }
            Some(at) => at,
            None => now.saturating_add(self.config().default_expiry_seconds.saturating_mul(NANOS_PER_SECOND)),
        };
        self.validate_action(&args.action, self_id)?;
        let config = self.config();
        let proposal = Proposal {
            id: config.next_proposal_id,
            proposer: caller,
            summary: args.summary,
            action: args.action,
            created_at: now,
            expires_at,
            signers: config.signers.clone(),
            threshold: config.threshold,
            approvals: 1,
            rejections: 0,
            state: ProposalState::Open,
            execution: None,
        };
        self.insert_new(&proposal);
        self.votes.insert((proposal.id, 0), Candid(VoteRecord { signer: caller, vote: Vote::Approve, at: now }));
        let ready = proposal.approvals >= proposal.threshold;
        Ok((proposal, ready))
    }

    /// A vote of `caller`, a signer of the proposal's snapshot, on an open proposal. `Ready` when this approval
    /// reached the threshold; a rejection that makes the threshold unreachable rejects the proposal.
    pub fn vote(&mut self, caller: Principal, id: u64, vote: Vote, now: u64) -> Result<(Proposal, Ready), FleetError> {
        self.expire_due(now);
        let mut proposal = self.proposal(id)?;
        if !proposal.signers.contains(&caller) {
            return Err(FleetError::unauthorized(format!(
                "only the signers proposal {id} was created with may vote on it"
            )));
        }
        match proposal.state {
            ProposalState::Open if now < proposal.expires_at => {}
            ProposalState::Open | ProposalState::Expired => {
                return Err(FleetError::invalid_state(format!(
                    "proposal {id} expired at {}; voting is closed",
                    proposal.expires_at
                )))
            }
            state => return Err(FleetError::invalid_state(format!("proposal {id} is {state:?}; voting is closed"))),
        }
        let votes = self.votes_of(id);
        if votes.iter().any(|v| v.signer == caller) {
            return Err(FleetError::AlreadyExists(format!("{caller} has already voted on proposal {id}")));
        }
        let number = votes.len() as u32;
        self.votes.insert((id, number), Candid(VoteRecord { signer: caller, vote, at: now }));
        match vote {
            Vote::Approve => proposal.approvals += 1,
            Vote::Reject => proposal.rejections += 1,
        }
        let ready = proposal.approvals >= proposal.threshold;
        let reachable = proposal.signers.len() as u64 - u64::from(proposal.rejections) >= u64::from(proposal.threshold);
        if !ready && !reachable {
            proposal.state = ProposalState::Rejected;
        }
        self.save(ProposalState::Open, &proposal);
        Ok((proposal, ready))
    }

    /// Marks open proposals whose voting closed as Expired, oldest expiry first, at most [`EXPIRY_SWEEP`].
    pub fn expire_due(&mut self, now: u64) -> usize {
        let due: Vec<(u64, u64)> = self
            .open_by_expiry
            .range(..(now.saturating_add(1), 0))
            .take(EXPIRY_SWEEP)
            .map(|entry| *entry.key())
            .filter(|(at, _)| *at <= now)
            .collect();
        for (_, id) in &due {
            if let Ok(mut proposal) = self.proposal(*id) {
                proposal.state = ProposalState::Expired;
                self.save(ProposalState::Open, &proposal);
            }
        }
        due.len()
    }

    /// When the next open proposal expires.
    pub fn next_expiry(&self) -> Option<u64> {
        self.open_by_expiry.first_key_value().map(|(key, ())| key.0)
    }

    fn validate_action(&self, action: &ProposalAction, self_id: Principal) -> Result<(), FleetError> {
        let config = self.config();
        let n = config.signers.len();
        let check_ledger = |ledger: &Principal| {
            if *ledger == Principal::anonymous() || *ledger == Principal::management_canister() || *ledger == self_id {
                return Err(FleetError::invalid(format!("ledger: {ledger} is not a ledger canister")));
            }
            Ok(())
        };
        match action {
            ProposalAction::Transfer(t) => {
                check_ledger(&t.ledger)?;
                if t.amount.0.is_zero() {
                    return Err(FleetError::invalid("amount: zero; a transfer moves at least one unit"));
                }
                if t.to.owner == Principal::anonymous() {
                    return Err(FleetError::invalid("to: the anonymous principal's account; the tokens would be lost"));
                }
                check_u128("amount", &t.amount)?;
                t.fee.as_ref().map_or(Ok(()), |fee| check_u128("fee", fee))
            }
            ProposalAction::Approve(a) => {
                check_ledger(&a.ledger)?;
                if a.spender.owner == Principal::anonymous() {
                    return Err(FleetError::invalid("spender: the anonymous principal cannot be a spender"));
                }
                check_u128("amount", &a.amount)?;
                a.fee.as_ref().map_or(Ok(()), |fee| check_u128("fee", fee))
            }
            ProposalAction::AddSigner { signer } => {
                if *signer == Principal::anonymous() || *signer == Principal::management_canister() {
                    return Err(FleetError::invalid(format!("signer: {signer} cannot be a signer")));
                }
                if config.signers.contains(signer) {
                    return Err(FleetError::AlreadyExists(format!("{signer} is already a signer")));
                }
                if n >= MAX_SIGNERS {
                    return Err(FleetError::invalid(format!("signer: the wallet has {MAX_SIGNERS} signers, the most")));
                }
                Ok(())
            }
            ProposalAction::RemoveSigner { signer } => {
                if !config.signers.contains(signer) {
                    return Err(FleetError::not_found(format!("{signer} is not a signer")));
                }
                if n - 1 < config.threshold as usize {
                    return Err(FleetError::invalid(format!(
                        "signer: removing one of {n} signers would leave fewer than the threshold of {}; lower the \
                         threshold first",
                        config.threshold
                    )));
                }
                Ok(())
            }
            ProposalAction::ChangeThreshold { threshold } => {
                if *threshold == 0 || *threshold as usize > n {
                    return Err(FleetError::invalid(format!("threshold: {threshold} is outside 1..={n}")));
                }
                if *threshold == config.threshold {
                    return Err(FleetError::invalid(format!("threshold: {threshold} is already the threshold")));
                }
                Ok(())
            }
            ProposalAction::CanisterCall(call) => validate_call(call, self_id),
        }
    }

    fn votes_of(&self, id: u64) -> Vec<VoteRecord> {
        self.votes.range((id, 0)..=(id, u32::MAX)).map(|entry| entry.value().0).collect()
    }

    /// One proposal as a query shows it (an open proposal past its expiry shows as Expired) with its votes.
    pub fn proposal_detail(&self, id: u64, now: u64) -> Result<ProposalDetail, FleetError> {
        let proposal = self.proposal(id)?;
        Ok(ProposalDetail { proposal: as_of(proposal, now), votes: self.votes_of(id) })
    }

    /// Newest first, every proposal or those in one state. No scan: the ids are consecutive, the states indexed.
    pub fn proposals_page(&self, request: &ProposalsRequest, now: u64) -> Page<Proposal> {
        let state = request.state.map(|state| (state_tag(state), self.count_of(state)));
        let count = self.config().next_proposal_id;
        newest_first_page(&self.by_state, count, state, &request.page, |id| {
            self.proposal(id).ok().map(|p| as_of(p, now))
        })
    }
}

/// The proposal as of `now`: one still stored Open after its expiry (not yet swept) shows as Expired.
fn as_of(mut proposal: Proposal, now: u64) -> Proposal {
    if proposal.state == ProposalState::Open && now >= proposal.expires_at {
        proposal.state = ProposalState::Expired;
    }
    proposal
}

fn check_u128(field: &str, value: &Nat) -> Result<(), FleetError> {
    match value.0.to_u128() {
        Some(_) => Ok(()),
        None => Err(FleetError::invalid(format!("{field}: {value} does not fit in 128 bits"))),
    }
}

fn validate_call(call: &CanisterCallAction, self_id: Principal) -> Result<(), FleetError> {
    if call.canister == self_id {
        return Err(FleetError::invalid("canister: the wallet itself; propose the action directly"));
    }
    if call.canister == Principal::anonymous() {
        return Err(FleetError::invalid("canister: the anonymous principal is not a canister"));
    }
    if call.method.is_empty() || call.method.len() > MAX_METHOD_NAME_BYTES {
        return Err(FleetError::invalid(format!("method: must be 1 to {MAX_METHOD_NAME_BYTES} bytes")));
    }
    if call.arg.len() > MAX_CALL_ARG_BYTES {
        return Err(FleetError::TooLarge { size: call.arg.len() as u64, limit: MAX_CALL_ARG_BYTES as u64 });
    }
    check_u128("cycles", &call.cycles)
}
