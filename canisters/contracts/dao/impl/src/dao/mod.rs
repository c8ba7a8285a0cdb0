//! The DAO: its voting rules and totals, members with their stakes and voting-power history, proposals with their
//! ballots and execution records, and what is still to be reported to the factory. Plain Rust over any `Memory`:
//! the canister runs it on its stable memory, unit tests on `VectorMemory`.
//!
//! Every update validates everything first and changes nothing on error. Calls to other canisters are not made here:
//! each ledger call is split into `begin_*` (records the call exactly as it will be sent, the commit point) and
//! `finish_*` (records the answer); `crate::executor` makes the call in between.

mod execution;
mod proposals;
mod staking;

#[cfg(test)]
mod tests;

pub use contract_runtime::reports::{ReportState, MAX_REPORT_ATTEMPTS};
pub use execution::{ExecutionStep, LedgerAnswer};
pub use staking::{SettleStep, StakeStep, UnstakeStep};

use crate::memory;
use candid::{CandidType, Nat, Principal};
use contract_runtime::reports::FactoryReports;
use contract_runtime::storable::Candid;
use dao_api::{staking_subaccount, Account, DaoInfo, DaoInit, DaoParameters, Member, Proposal, ProposalState, Stake};
use fleet_api::FleetError;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A stake's ledger call awaiting its answer: whether it re-sends an earlier call, and the fee read before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub resend: bool,
    pub fee: u128,
}

/// The rules, counters and totals, one stable cell.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DaoConfig {
    pub name: String,
    pub governance_token: Principal,
    pub parameters: DaoParameters,
    pub next_stake_id: u64,
    pub next_proposal_id: u64,
    /// The stake history's current point: raised by every change of anyone's voting power. A proposal snapshots it.
    pub history_point: u64,
    pub total_staked: u128,
    pub total_voting_power: u128,
    pub members: u64,
    /// Proposals per state, indexed by [`state_tag`].
    pub proposals_per_state: Vec<u64>,
}

impl Default for DaoConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            governance_token: Principal::anonymous(),
            parameters: DaoParameters {
                voting_period_seconds: 0,
                quorum_basis_points: 0,
                approval_threshold_basis_points: 0,
                min_stake_to_propose: Nat::from(0u8),
                locks: vec![],
            },
            next_stake_id: 0,
            next_proposal_id: 0,
            history_point: 0,
            total_staked: 0,
            total_voting_power: 0,
            members: 0,
            proposals_per_state: vec![],
        }
    }
}

/// The index of a state in `proposals_per_state` and in the by-state index's keys. Never renumbered.
pub fn state_tag(state: ProposalState) -> u8 {
    match state {
        ProposalState::Open => 0,
        ProposalState::Adopted => 1,
        ProposalState::Executing => 2,
        ProposalState::Executed => 3,
        ProposalState::Failed => 4,
        ProposalState::Rejected => 5,
        ProposalState::QuorumNotReached => 6,
    }
}

const STATES: usize = 7;

pub struct Dao<M: Memory> {
    config: StableCell<Candid<DaoConfig>, M>,
    members: StableBTreeMap<Principal, Candid<Member>, M>,
    stakes: StableBTreeMap<u64, Candid<Stake>, M>,
    stakes_by_member: StableBTreeMap<(Principal, u64), (), M>,
    power_history: StableBTreeMap<(Principal, u64), u128, M>,
    proposals: StableBTreeMap<u64, Candid<Proposal>, M>,
    ballots: StableBTreeMap<(u64, Principal), Candid<dao_api::Ballot>, M>,
    by_state: StableBTreeMap<(u8, u64), (), M>,
    open_by_deadline: StableBTreeMap<(u64, u64), (), M>,
    /// Members not yet reported to the factory as participants (each member once, when their first stake becomes
    /// active) and the latest status text.
    reports: FactoryReports<M>,
    /// Stakes and proposals whose ledger call is awaiting its answer in this heap (heap only: an upgrade drops the
    /// awaiting futures, and with them this set; what they sent is in stable memory).
    stakes_in_flight: BTreeMap<u64, InFlight>,
    /// Proposal id → whether its transfer in flight re-sends an earlier one.
    proposals_in_flight: BTreeMap<u64, bool>,
}

impl<M: Memory> Dao<M> {
    /// Opens the DAO's structures on the memories `memory(id)` returns (ids from `crate::memory`).
    pub fn open(memory: impl Fn(u8) -> M) -> Self {
        Self {
            config: StableCell::init(memory(memory::CONFIG), Candid(DaoConfig::default())),
            members: StableBTreeMap::init(memory(memory::MEMBERS)),
            stakes: StableBTreeMap::init(memory(memory::STAKES)),
            stakes_by_member: StableBTreeMap::init(memory(memory::STAKES_BY_MEMBER)),
            power_history: StableBTreeMap::init(memory(memory::POWER_HISTORY)),
            proposals: StableBTreeMap::init(memory(memory::PROPOSALS)),
            ballots: StableBTreeMap::init(memory(memory::BALLOTS)),
            by_state: StableBTreeMap::init(memory(memory::PROPOSALS_BY_STATE)),
            open_by_deadline: StableBTreeMap::init(memory(memory::OPEN_BY_DEADLINE)),
            reports: FactoryReports::open(memory(memory::UNREPORTED_PARTICIPANTS), memory(memory::REPORTS)),
            stakes_in_flight: BTreeMap::new(),
            proposals_in_flight: BTreeMap::new(),
        }
    }

    /// What the DAO still has to tell its factory (sent by `crate::executor::send_reports`).
    pub fn reports(&self) -> &FactoryReports<M> {
        &self.reports
    }

    pub fn reports_mut(&mut self) -> &mut FactoryReports<M> {
        &mut self.reports
    }

    /// Stores the rules of a validated init argument.
    pub fn install(&mut self, init: &DaoInit) -> Result<(), FleetError> {
        dao_api::validate_init(init)?;
        if self.is_installed() {
            return Err(FleetError::invalid_state("the DAO is already installed"));
        }
        let args = &init.args;
        self.config.set(Candid(DaoConfig {
            name: args.name.clone(),
            governance_token: args.governance_token,
            parameters: args.parameters.clone(),
            proposals_per_state: vec![0; STATES],
            ..DaoConfig::default()
        }));
        let status = self.status_text();
        self.reports.queue_status(status);
        Ok(())
    }

    pub fn is_installed(&self) -> bool {
        !self.config().parameters.locks.is_empty()
    }

    pub fn config(&self) -> &DaoConfig {
        &self.config.get().0
    }

    fn update_config(&mut self, f: impl FnOnce(&mut DaoConfig)) {
        let mut config = self.config.get().0.clone();
        f(&mut config);
        self.config.set(Candid(config));
    }

    pub fn member(&self, principal: &Principal) -> Option<Member> {
        self.members.get(principal).map(|c| c.0)
    }

    pub fn info(&self, self_id: Principal) -> DaoInfo {
        let c = self.config();
        DaoInfo {
            name: c.name.clone(),
            governance_token: c.governance_token,
            parameters: c.parameters.clone(),
            treasury: Account { owner: self_id, subaccount: None },
            staking_account: Account { owner: self_id, subaccount: Some(staking_subaccount()) },
            total_staked: Nat::from(c.total_staked),
            total_voting_power: Nat::from(c.total_voting_power),
            members: c.members,
            proposals: c.next_proposal_id,
        }
    }

    /// The status reported to the factory: members and decided proposals.
    pub fn status_text(&self) -> String {
        let c = self.config();
        format!(
            "{} members; proposals: {} open, {} executed",
            c.members,
            self.count_of(ProposalState::Open),
            self.count_of(ProposalState::Executed)
        )
    }

    /// `health`'s summary of the DAO, or what is wrong with it.
    pub fn status(&self) -> Result<String, String> {
        if !self.is_installed() {
            return Err("not installed: no voting rules".into());
        }
        let c = self.config();
        let mut text = format!(
            "{}; {} staked, voting power {}; proposals: {} adopted, {} executing, {} failed",
            self.status_text(),
            c.total_staked,
            c.total_voting_power,
            self.count_of(ProposalState::Adopted),
            self.count_of(ProposalState::Executing),
            self.count_of(ProposalState::Failed),
        );
        text.push_str(&self.reports.pending_summary());
        Ok(text)
    }

    fn count_of(&self, state: ProposalState) -> u64 {
        self.config().proposals_per_state.get(state_tag(state) as usize).copied().unwrap_or(0)
    }

    /// Sizes of the stored structures, for the benchmark: (entries, encoded key + value bytes) per structure.
    #[cfg(test)]
    pub fn stored_bytes(&self) -> BTreeMap<&'static str, (u64, u64)> {
        use contract_runtime::testing::stored_size as sum;
        use ic_stable_structures::Storable;
        BTreeMap::from([
            ("config", (1, self.config.get().to_bytes().len() as u64)),
            ("members", sum(&self.members)),
            ("stakes", sum(&self.stakes)),
            ("stakes_by_member", sum(&self.stakes_by_member)),
            ("power_history", sum(&self.power_history)),
            ("proposals", sum(&self.proposals)),
            ("ballots", sum(&self.ballots)),
            ("by_state", sum(&self.by_state)),
            ("open_by_deadline", sum(&self.open_by_deadline)),
            ("unreported_participants", sum(self.reports.unreported_participants())),
        ])
    }
}

/// A `Nat` the DAO has validated to fit 64 bits (amounts) or computed itself; saturates otherwise.
pub fn to_u128(value: &Nat) -> u128 {
    use num_traits::ToPrimitive;
    value.0.to_u128().unwrap_or(u128::MAX)
}
