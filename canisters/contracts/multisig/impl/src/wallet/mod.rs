//! The wallet: its signer set, proposals with their votes and execution records, the balances the ledgers reported,
//! and what is still to be reported to the factory. Plain Rust over any `Memory`: the canister runs it on its stable
//! memory, unit tests on `VectorMemory`.
//!
//! Every update validates everything first and changes nothing on error. Calls to other canisters are not made here:
//! an execution is split into [`Wallet::begin_execution`] (records the attempt as Executing, returns what to send) and
//! `finish_*` (records the answer); `crate::executor` makes the call in between.

mod balances;
mod execution;
mod proposals;

#[cfg(test)]
mod tests;

pub use contract_runtime::reports::{ReportState, MAX_REPORT_ATTEMPTS};
pub use execution::{LedgerAnswer, Outgoing, Step};

use crate::memory;
use candid::{CandidType, Nat, Principal};
use contract_runtime::reports::FactoryReports;
use contract_runtime::storable::Candid;
use fleet_api::FleetError;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use multisig_api::{MultisigInit, Proposal, ProposalState, SignerSet, VoteRecord, DEFAULT_EXPIRY_SECONDS};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The signer set and counters, one stable cell.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct WalletConfig {
    pub name: String,
    pub signers: Vec<Principal>,
    pub threshold: u32,
    pub default_expiry_seconds: u64,
    pub next_proposal_id: u64,
    /// Proposals per state, indexed by [`state_tag`].
    pub proposals_per_state: Vec<u64>,
}

/// The index of a state in `proposals_per_state` and in the by-state index's keys. Never renumbered.
pub fn state_tag(state: ProposalState) -> u8 {
    match state {
        ProposalState::Open => 0,
        ProposalState::Executing => 1,
        ProposalState::Executed => 2,
        ProposalState::Failed => 3,
        ProposalState::Rejected => 4,
        ProposalState::Expired => 5,
    }
}

const STATES: usize = 6;

/// The all-zero subaccount stands for `None` in balance keys (ICRC-1: the same account).
pub type BalanceKey = (Principal, [u8; 32]);

pub struct Wallet<M: Memory> {
    config: StableCell<Candid<WalletConfig>, M>,
    proposals: StableBTreeMap<u64, Candid<Proposal>, M>,
    votes: StableBTreeMap<(u64, u32), Candid<VoteRecord>, M>,
    by_state: StableBTreeMap<(u8, u64), (), M>,
    open_by_expiry: StableBTreeMap<(u64, u64), (), M>,
    balances: StableBTreeMap<BalanceKey, Candid<(Nat, u64)>, M>,
    /// Signers not yet reported to the factory as participants (creation-time signers and every one added later)
    /// and the latest status text.
    reports: FactoryReports<M>,
    /// Proposals whose call is awaiting its answer in this heap, and whether that call re-sends an earlier one
    /// (heap only: an upgrade drops the awaiting futures, and with them this set).
    in_flight: BTreeMap<u64, bool>,
}

impl<M: Memory> Wallet<M> {
    /// Opens the wallet's structures on the memories `memory(id)` returns (ids from `crate::memory`).
    pub fn open(memory: impl Fn(u8) -> M) -> Self {
        Self {
            config: StableCell::init(memory(memory::CONFIG), Candid(WalletConfig::default())),
            proposals: StableBTreeMap::init(memory(memory::PROPOSALS)),
            votes: StableBTreeMap::init(memory(memory::VOTES)),
            by_state: StableBTreeMap::init(memory(memory::PROPOSALS_BY_STATE)),
            open_by_expiry: StableBTreeMap::init(memory(memory::OPEN_BY_EXPIRY)),
            balances: StableBTreeMap::init(memory(memory::BALANCES)),
            reports: FactoryReports::open(memory(memory::UNREPORTED_PARTICIPANTS), memory(memory::REPORTS)),
            in_flight: BTreeMap::new(),
        }
    }

    /// Stores the signer set of a validated init argument and queues every signer for the factory.
    pub fn install(&mut self, init: &MultisigInit) -> Result<(), FleetError> {
        multisig_api::validate_init(init)?;
        if !self.config().signers.is_empty() {
            return Err(FleetError::invalid_state("the wallet is already installed"));
        }
        let args = &init.args;
        self.config.set(Candid(WalletConfig {
            name: args.name.clone(),
            signers: args.signers.clone(),
            threshold: args.threshold,
            default_expiry_seconds: args.default_expiry_seconds.unwrap_or(DEFAULT_EXPIRY_SECONDS),
            next_proposal_id: 0,
            proposals_per_state: vec![0; STATES],
        }));
        for signer in &args.signers {
            self.reports.queue_participant(*signer);
        }
        Ok(())
    }

    /// What the wallet still has to tell its factory (sent by `crate::executor::send_reports`).
    pub fn reports(&self) -> &FactoryReports<M> {
        &self.reports
    }

    pub fn reports_mut(&mut self) -> &mut FactoryReports<M> {
        &mut self.reports
    }

    pub fn config(&self) -> &WalletConfig {
        &self.config.get().0
    }

    fn update_config(&mut self, f: impl FnOnce(&mut WalletConfig)) {
        let mut config = self.config.get().0.clone();
        f(&mut config);
        self.config.set(Candid(config));
    }

    pub fn is_signer(&self, principal: &Principal) -> bool {
        self.config().signers.contains(principal)
    }

    pub fn signer_set(&self) -> SignerSet {
        let config = self.config();
        SignerSet {
            signers: config.signers.clone(),
            threshold: config.threshold,
            default_expiry_seconds: config.default_expiry_seconds,
        }
    }

    /// The status reported to the factory and shown by `health`.
    pub fn status_text(&self) -> String {
        let config = self.config();
        format!("{} of {} signers", config.threshold, config.signers.len())
    }

    /// `health`'s summary of the wallet, or what is wrong with it.
    pub fn status(&self) -> Result<String, String> {
        let config = self.config();
        if config.signers.is_empty() {
            return Err("not installed: no signers".into());
        }
        let count = |state| config.proposals_per_state.get(state_tag(state) as usize).copied().unwrap_or(0);
        let mut text = format!(
            "{}; proposals: {} open, {} executing, {} executed, {} failed",
            self.status_text(),
            count(ProposalState::Open),
            count(ProposalState::Executing),
            count(ProposalState::Executed),
            count(ProposalState::Failed),
        );
        text.push_str(&self.reports.pending_summary());
        Ok(text)
    }

    fn count_of(&self, state: ProposalState) -> u64 {
        self.config().proposals_per_state.get(state_tag(state) as usize).copied().unwrap_or(0)
    }

    fn proposal(&self, id: u64) -> Result<Proposal, FleetError> {
        self.proposals.get(&id).map(|c| c.0).ok_or_else(|| FleetError::not_found(format!("proposal {id}")))
    }

    /// Stores a new proposal in state `Open`.
    fn insert_new(&mut self, proposal: &Proposal) {
        self.proposals.insert(proposal.id, Candid(proposal.clone()));
        self.by_state.insert((state_tag(proposal.state), proposal.id), ());
        self.open_by_expiry.insert((proposal.expires_at, proposal.id), ());
        let tag = state_tag(proposal.state) as usize;
        self.update_config(|c| {
            c.next_proposal_id = proposal.id + 1;
            c.proposals_per_state[tag] += 1;
        });
    }

    /// Stores `proposal`, whose state may have changed since `before`, and keeps the indexes and counts in step.
    fn save(&mut self, before: ProposalState, proposal: &Proposal) {
        if before != proposal.state {
            self.by_state.remove(&(state_tag(before), proposal.id));
            self.by_state.insert((state_tag(proposal.state), proposal.id), ());
            if before == ProposalState::Open {
                self.open_by_expiry.remove(&(proposal.expires_at, proposal.id));
            }
            let (from, to) = (state_tag(before) as usize, state_tag(proposal.state) as usize);
            self.update_config(|c| {
                c.proposals_per_state[from] = c.proposals_per_state[from].saturating_sub(1);
                c.proposals_per_state[to] += 1;
            });
        }
        self.proposals.insert(proposal.id, Candid(proposal.clone()));
    }

    /// Sizes of the stored structures, for the benchmark: (entries, encoded key + value bytes) per structure.
    #[cfg(test)]
    pub fn stored_bytes(&self) -> BTreeMap<&'static str, (u64, u64)> {
        use contract_runtime::testing::stored_size as sum;
        use ic_stable_structures::Storable;
        BTreeMap::from([
            ("config", (1, self.config.get().to_bytes().len() as u64)),
            ("proposals", sum(&self.proposals)),
            ("votes", sum(&self.votes)),
            ("by_state", sum(&self.by_state)),
            ("open_by_expiry", sum(&self.open_by_expiry)),
            ("balances", sum(&self.balances)),
            ("unreported_participants", sum(self.reports.unreported_participants())),
        ])
    }
}
