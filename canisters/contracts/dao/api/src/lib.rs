//! The DAO contract's interface: members stake a governance token (an ICRC-1/ICRC-2 ledger) with a lock that
//! multiplies their voting power, propose motions, treasury transfers and parameter changes, and vote yes or no;
//! the voting period ends by a timer and an adopted proposal executes at most once.
//!
//! Callers, the factory and tests depend on this crate, never on the implementation. `dao.did` is the candid
//! interface; the implementation crate checks itself against it in a test.

mod validate;

use candid::{CandidType, Nat, Principal};
use serde::{Deserialize, Serialize};

pub use fleet_api::{Page, PageRequest, UpgradePolicy};
pub use icrc_ledger_types::icrc1::account::{Account, Subaccount};
pub use validate::{validate, validate_init, validate_parameters};

/// Init argument of the DAO contract: candid `record { factory : opt principal; owner : principal; version : text;
/// args : DaoArgs }`.
pub type DaoInit = fleet_api::ContractInit<DaoArgs>;

/// The DAO's own init arguments.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct DaoArgs {
    /// A label for the DAO, shown in `getMyContracts`.
    pub name: String,
    /// The ICRC-1/ICRC-2 ledger whose tokens members stake for voting power.
    pub governance_token: Principal,
    pub parameters: DaoParameters,
}

/// The voting rules; a `ChangeParameters` proposal replaces them (for proposals created after it executes).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct DaoParameters {
    /// How long a proposal is open for votes: [`MIN_VOTING_PERIOD_SECONDS`] ..= [`MAX_VOTING_PERIOD_SECONDS`].
    pub voting_period_seconds: u64,
    /// The share of the voting power at the proposal's snapshot that must vote (yes or no), in basis points:
    /// 1 ..= 10,000.
    pub quorum_basis_points: u32,
    /// The share of the votes cast (by voting power) that must be yes, in basis points: 5,000 ..= 10,000; yes must
    /// also outweigh no (a tie is not adopted).
    pub approval_threshold_basis_points: u32,
    /// The staked amount (all of the member's active stakes, in token units) a member needs to propose.
    pub min_stake_to_propose: Nat,
    /// The locks a stake may choose: 1 ..= [`MAX_LOCKS`], durations strictly increasing, multipliers not decreasing.
    pub locks: Vec<LockOption>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockOption {
    /// 0 ..= [`MAX_LOCK_SECONDS`]; 0: the stake may be withdrawn at any time.
    pub duration_seconds: u64,
    /// Voting power per staked unit, in basis points: [`MIN_MULTIPLIER_BASIS_POINTS`] (1x) ..=
    /// [`MAX_MULTIPLIER_BASIS_POINTS`] (10x).
    pub multiplier_basis_points: u32,
}

/// Argument of `stake`: `amount` units move from the caller's account by `icrc2_transfer_from` (approve `amount` +
/// the ledger fee to the DAO first).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct StakeArgs {
    pub amount: Nat,
    /// Index into `parameters.locks`.
    pub lock_index: u32,
    /// The caller's account the tokens come from (`null`: the default account).
    pub from_subaccount: Option<Subaccount>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StakeState {
    /// The `transfer_from` is sent (or its outcome is unknown: `settleStake` re-sends it identically).
    Staking,
    /// Staked: counts as voting power.
    Active,
    /// The return transfer is sent (or its outcome is unknown: `settleStake` re-sends it identically); no voting
    /// power any more.
    Unstaking,
    /// Returned to the member (less the ledger fee).
    Unstaked,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Stake {
    pub id: u64,
    pub member: Principal,
    pub from_subaccount: Option<Subaccount>,
    pub amount: Nat,
    pub lock_seconds: u64,
    pub multiplier_basis_points: u32,
    /// `amount * multiplier_basis_points`: voting power is counted in basis-point units, so it is exact.
    pub voting_power: Nat,
    /// When the stake was created (`Staking`); the lock runs from then.
    pub created_at: u64,
    pub lock_ends_at: u64,
    pub state: StakeState,
    /// The ledger call of the current (or last) state: what it sent, so that a re-send is identical.
    pub created_at_time: u64,
    pub stake_block: Option<Nat>,
    /// The fee the return transfer pays (from the stake): the member receives `amount - unstake_fee`.
    pub unstake_fee: Option<Nat>,
    pub unstake_block: Option<Nat>,
    /// Why the last ledger call did not settle the stake; `outcome_unknown`: it may have executed.
    pub last_failure: Option<String>,
    pub outcome_unknown: bool,
}

/// A member: anyone who has staked. Their voting power now (what a proposal created now snapshots).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub principal: Principal,
    /// Sum of the active stakes' amounts.
    pub staked: Nat,
    pub voting_power: Nat,
    /// Stakes not yet returned (Staking, Active, Unstaking).
    pub open_stakes: u32,
    pub joined_at: u64,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct TreasuryTransfer {
    pub ledger: Principal,
    pub to: Account,
    /// More than zero; at most `u64::MAX`.
    pub amount: Nat,
    /// Passed to the ledger as given; `null`: the ledger's current fee.
    pub fee: Option<Nat>,
}

/// What a proposal does when it is adopted.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum ProposalAction {
    /// A text the DAO adopts or rejects; executing it changes nothing.
    Motion { text: String },
    /// `icrc1_transfer` from the DAO's treasury (its default account; stakes are held apart in the staking
    /// subaccount and never spent by a proposal).
    TreasuryTransfer(TreasuryTransfer),
    /// Replaces the voting rules for proposals created afterwards; existing stakes keep their lock and multiplier.
    ChangeParameters(DaoParameters),
    /// Refused at proposal time in this release: the factory accepts `setUpgradePolicy` only from the contract's
    /// owner recorded at deployment (the DAO's creator), never from the contract itself.
    SetUpgradePolicy(UpgradePolicy),
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposeArgs {
    /// What the proposal is for: 1 ..= [`MAX_SUMMARY_CHARS`] characters.
    pub summary: String,
    pub action: ProposalAction,
}

/// Where a proposal is. Also the filter of `getProposals`.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProposalState {
    /// Collecting votes until `voting_ends_at`.
    Open,
    /// Voting closed with quorum and approval; execution is next (a timer starts it).
    Adopted,
    /// The execution's call is sent and its outcome not recorded yet.
    Executing,
    /// Executed once; `execution.outcome` says what happened.
    Executed,
    /// The last execution attempt failed; `execution.last_failure` says why and whether `execute` may retry.
    Failed,
    /// Quorum reached, approval not.
    Rejected,
    /// Too little voting power voted.
    QuorumNotReached,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    Yes,
    No,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct VoteArgs {
    pub proposal_id: u64,
    pub vote: Vote,
}

/// A member's vote on a proposal, with the voting power they had at its snapshot.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    pub proposal_id: u64,
    pub member: Principal,
    pub vote: Vote,
    pub voting_power: Nat,
    pub at: u64,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub id: u64,
    pub proposer: Principal,
    pub summary: String,
    pub action: ProposalAction,
    pub created_at: u64,
    pub voting_ends_at: u64,
    /// The voting-power snapshot: each member votes with their power at this point of the stake history.
    pub snapshot: u64,
    /// Everyone's voting power at the snapshot, and the rules then: they decide this proposal.
    pub total_voting_power: Nat,
    pub quorum_basis_points: u32,
    pub approval_threshold_basis_points: u32,
    pub yes: Nat,
    pub no: Nat,
    pub voters: u32,
    pub state: ProposalState,
    pub decided_at: Option<u64>,
    pub execution: Option<Execution>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    pub attempts: u32,
    pub last_attempt_at: u64,
    /// Treasury transfers: the `created_at_time` and `memo` the last attempt sent.
    pub created_at_time: Option<u64>,
    pub memo: Option<serde_bytes::ByteBuf>,
    pub outcome: Option<ExecutionOutcome>,
    pub last_failure: Option<ExecutionFailure>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum ExecutionOutcome {
    MotionAdopted,
    Transferred { block_index: Nat },
    ParametersChanged,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ExecutionFailure {
    pub reason: String,
    pub at: u64,
    /// The transfer may have executed; a retry re-sends it identically (the ledger deduplicates it).
    pub outcome_unknown: bool,
    /// Whether `execute` may try again.
    pub retryable: bool,
}

/// Argument of `getProposals`: newest first, all states or one.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ProposalsRequest {
    pub state: Option<ProposalState>,
    pub page: PageRequest,
}

/// `getDao`: the DAO as it is now.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct DaoInfo {
    pub name: String,
    pub governance_token: Principal,
    pub parameters: DaoParameters,
    /// The DAO's default account: what treasury transfers spend.
    pub treasury: Account,
    /// Where staked tokens are held, apart from the treasury.
    pub staking_account: Account,
    pub total_staked: Nat,
    pub total_voting_power: Nat,
    pub members: u64,
    pub proposals: u64,
}

pub type StakeResult = Result<Stake, fleet_api::FleetError>;
pub type ProposalResult = Result<Proposal, fleet_api::FleetError>;

pub const MAX_NAME_CHARS: usize = fleet_api::label::MAX_LABEL_CHARS;
pub const MIN_VOTING_PERIOD_SECONDS: u64 = 60;
pub const MAX_VOTING_PERIOD_SECONDS: u64 = 30 * 24 * 60 * 60;
pub const MAX_LOCKS: usize = 10;
pub const MAX_LOCK_SECONDS: u64 = 8 * 365 * 24 * 60 * 60;
pub const MIN_MULTIPLIER_BASIS_POINTS: u32 = 10_000;
pub const MAX_MULTIPLIER_BASIS_POINTS: u32 = 100_000;
pub const BASIS_POINTS: u32 = 10_000;
pub const MIN_APPROVAL_THRESHOLD_BASIS_POINTS: u32 = 5_000;
pub const MAX_SUMMARY_CHARS: usize = 1_024;
pub const MAX_MOTION_CHARS: usize = 4_096;
/// Proposals open, adopted or executing at once; one more is refused until some are decided.
pub const MAX_OPEN_PROPOSALS: u64 = 100;
/// Stakes a member holds at once (Staking, Active or Unstaking).
pub const MAX_OPEN_STAKES_PER_MEMBER: u32 = 32;

/// The subaccount of the DAO's staking account: `"dao-stakes"` then zeros. The treasury is the default account.
pub fn staking_subaccount() -> Subaccount {
    let mut subaccount = [0u8; 32];
    subaccount[..10].copy_from_slice(b"dao-stakes");
    subaccount
}

/// The memo of proposal `id`'s treasury transfer: `dao:p` then the id (big-endian); distinct per proposal, the same
/// on every re-send.
pub fn proposal_memo(proposal_id: u64) -> Vec<u8> {
    memo(b"dao:p", proposal_id)
}

/// The memo of stake `id`'s `transfer_from` into the DAO.
pub fn stake_memo(stake_id: u64) -> Vec<u8> {
    memo(b"dao:s", stake_id)
}

/// The memo of stake `id`'s return transfer.
pub fn unstake_memo(stake_id: u64) -> Vec<u8> {
    memo(b"dao:u", stake_id)
}

fn memo(prefix: &[u8], id: u64) -> Vec<u8> {
    let mut memo = prefix.to_vec();
    memo.extend_from_slice(&id.to_be_bytes());
    memo
}
