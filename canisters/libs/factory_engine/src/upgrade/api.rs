//! The candid types of the upgrade engine's endpoints: upgrade paths, rollout plans and views, per-contract tasks
//! and the upgrade journal (tasks, journal entries, per-contract bookkeeping and the hot rollout counters are stored
//! in hand-written layouts, see `task_codec`, `record_codec`, `meta`; a rollout record is candid).

use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// One step of an upgrade path: the version installed by it, and why the planner put it there.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct UpgradeStep {
    pub version: String,
    /// sha256 of the module the step installs (the `module_hash` the contract reports after it).
    #[serde(with = "serde_bytes")]
    pub sha256: Vec<u8>,
    /// A checkpoint carries a required migration: no path skips it.
    pub checkpoint: bool,
}

/// `getUpgradePath`: from the installed version to the target, in order (empty when already there).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct UpgradePath {
    pub contract: Principal,
    pub installed: String,
    pub target: String,
    pub steps: Vec<UpgradeStep>,
}

/// Which contracts a rollout works on. Contracts whose owner did not opt in are skipped (and counted) whatever
/// the selector says.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum RolloutSelector {
    /// Every contract of the factory.
    AllEligible,
    /// Only these (at most `MAX_LISTED_CONTRACTS`).
    Contracts(Vec<Principal>),
    /// The first `n` eligible contracts; then the rollout waits in `CanaryDone` until `resumeRollout` widens it to
    /// every eligible contract.
    Canary(u32),
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct RolloutPlan {
    pub target_version: String,
    pub selector: RolloutSelector,
    /// Contracts considered (selected or skipped) per scheduler tick.
    pub batch_size: u32,
    /// Contracts being upgraded at once: 1..=50, the outstanding-call budget the IC guarantees a canister.
    pub max_concurrency: u32,
    /// Failures (failed or rolled back) after which the rollout pauses itself: at least 1.
    pub failure_budget: u32,
    /// Take a snapshot before each install, to roll back to (default true).
    pub snapshot: Option<bool>,
    /// How long a contract may take to stop before it is started again and its task fails (default 300 s).
    pub stop_timeout_seconds: Option<u64>,
    /// Cycles a contract must hold before it is upgraded; below, the factory tops it up (default 500 B).
    pub cycles_floor: Option<u128>,
    /// Most cycles the factory gives one contract in this rollout (default 2 T).
    pub top_up_cap: Option<u128>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum RolloutState {
    Running,
    /// By `pauseRollout` or because the failure budget was spent (`pause_reason`).
    Paused,
    /// The canary's contracts are all done; `resumeRollout` widens to every eligible contract.
    CanaryDone,
    /// `abortRollout`: no new contracts; those in flight finish or roll back.
    Aborting,
    Finished,
    Aborted,
}

impl RolloutState {
    pub fn is_over(&self) -> bool {
        matches!(self, RolloutState::Finished | RolloutState::Aborted)
    }
}

/// Where one contract's upgrade stands. The states between `Preflight` and `RollingBack` are "in flight".
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaskState {
    Queued,
    Preflight,
    Stopping,
    Snapshotting,
    Installing,
    Starting,
    Verifying,
    RollingBack,
    Done,
    Skipped,
    RolledBack,
    Failed,
}

impl TaskState {
    pub const ALL: [TaskState; 12] = [
        TaskState::Queued,
        TaskState::Preflight,
        TaskState::Stopping,
        TaskState::Snapshotting,
        TaskState::Installing,
        TaskState::Starting,
        TaskState::Verifying,
        TaskState::RollingBack,
        TaskState::Done,
        TaskState::Skipped,
        TaskState::RolledBack,
        TaskState::Failed,
    ];
    pub const IN_FLIGHT: [TaskState; 7] = [
        TaskState::Preflight,
        TaskState::Stopping,
        TaskState::Snapshotting,
        TaskState::Installing,
        TaskState::Starting,
        TaskState::Verifying,
        TaskState::RollingBack,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, TaskState::Done | TaskState::Skipped | TaskState::RolledBack | TaskState::Failed)
    }

    pub fn is_in_flight(self) -> bool {
        !self.is_terminal() && self != TaskState::Queued
    }
}

/// Tasks of a rollout per state.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskCounts {
    pub queued: u64,
    pub in_flight: u64,
    pub done: u64,
    pub skipped: u64,
    pub rolled_back: u64,
    pub failed: u64,
}

impl TaskCounts {
    pub fn slot(&mut self, state: TaskState) -> &mut u64 {
        match state {
            TaskState::Queued => &mut self.queued,
            TaskState::Done => &mut self.done,
            TaskState::Skipped => &mut self.skipped,
            TaskState::RolledBack => &mut self.rolled_back,
            TaskState::Failed => &mut self.failed,
            _ => &mut self.in_flight,
        }
    }

    pub fn failures(&self) -> u64 {
        self.failed + self.rolled_back
    }
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct RolloutView {
    pub id: u64,
    pub plan: RolloutPlan,
    pub state: RolloutState,
    pub pause_reason: Option<String>,
    pub counts: TaskCounts,
    /// Contracts the selector has considered so far (tasks created, skipped ones included).
    pub considered: u64,
    /// Whether every contract the selector names has been considered.
    pub selection_complete: bool,
    pub started_by: Principal,
    pub started_at: u64,
    pub updated_at: u64,
    pub finished_at: Option<u64>,
}

/// One contract's upgrade, by a rollout (`rollout` = its id) or by its owner (`rollout` = 0).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct TaskView {
    pub id: u64,
    pub rollout: u64,
    pub contract: Principal,
    pub state: TaskState,
    /// The version the contract was on when the task started.
    pub from_version: String,
    /// The versions the task installs, in order.
    pub path: Vec<String>,
    /// Index in `path` of the step being worked on (= `path.len()` once done).
    pub step: u32,
    /// Why it was skipped, rolled back or failed.
    pub reason: Option<String>,
    pub cycles_topped_up: u128,
    pub started_at: u64,
    pub updated_at: u64,
}

/// One transition of a task, as the journal keeps it.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub at: u64,
    pub task: u64,
    pub rollout: u64,
    pub contract: Principal,
    pub from: TaskState,
    pub to: TaskState,
    pub detail: String,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum JournalFilter {
    Rollout(u64),
    Contract(Principal),
}

/// The factory's pre-upgrade snapshot of a contract (one per contract: each upgrade replaces the previous one).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRef {
    pub id: ByteBuf,
    /// The version (and module) the contract ran when the snapshot was taken: what a restore puts back.
    pub version: String,
    pub module_hash: ByteBuf,
    pub taken_at: u64,
}

/// The upgrade bookkeeping of one contract: its lock, last snapshot and last upgrade.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ContractUpgradeInfo {
    /// The task working on the contract now; no other task starts on it meanwhile.
    pub busy_with: Option<u64>,
    pub last_snapshot: Option<SnapshotRef>,
    pub last_upgraded_at: Option<u64>,
    pub last_task: Option<u64>,
}
