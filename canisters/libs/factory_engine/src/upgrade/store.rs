//! The upgrade engine's stable state: rollouts, tasks (one per contract per rollout or owner upgrade) indexed by
//! `(rollout, state, task)` so the scheduler reads only the tasks it acts on, each contract's upgrade bookkeeping
//! (lock, last snapshot), the contracts a rollout lists, and the journal of every task transition.

use candid::{CandidType, Principal};
use fleet_api::{FleetError, Page, PageRequest};
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, StableLog};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::collections::{BTreeMap, BTreeSet};

use super::api::*;
pub use super::meta::{RolloutHot, TaskParams, UpgradeMeta};
use crate::codec::candid_storable;
use crate::memory::Mem;

/// A stored task. Kept small (≤ 256 bytes for a one-step path): reasons are short, details go to the journal.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub id: u64,
    /// 0 for an owner's own upgrade.
    pub rollout: u64,
    pub contract: Principal,
    pub state: TaskState,
    pub from_version: String,
    pub path: Vec<String>,
    pub step: u32,
    /// The snapshot taken for the current step (what a rollback loads).
    pub snapshot: Option<ByteBuf>,
    /// The current step's install was sent (a rollback then has something to undo).
    pub install_tried: bool,
    pub reason: Option<String>,
    pub cycles_topped_up: u128,
    /// A deposit sent whose reply was not seen yet (counted in `cycles_topped_up`): a resumed preflight learns from
    /// the contract's balance whether it arrived.
    pub top_up_in_flight: Option<u128>,
    pub started_at: u64,
    /// When the task entered its current state (stop timeouts and verification deadlines count from it).
    pub state_since: u64,
}

impl Task {
    pub fn view(&self) -> TaskView {
        TaskView {
            id: self.id,
            rollout: self.rollout,
            contract: self.contract,
            state: self.state,
            from_version: self.from_version.clone(),
            path: self.path.clone(),
            step: self.step,
            reason: self.reason.clone(),
            cycles_topped_up: self.cycles_topped_up,
            started_at: self.started_at,
            updated_at: self.state_since,
        }
    }

    /// The version the current step installs.
    pub fn step_target(&self) -> Option<&str> {
        self.path.get(self.step as usize).map(String::as_str)
    }

    /// The version the contract runs before the current step.
    pub fn step_source(&self) -> &str {
        match self.step {
            0 => &self.from_version,
            n => &self.path[n as usize - 1],
        }
    }
}

/// A stored rollout.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Rollout {
    pub id: u64,
    pub plan: RolloutPlan,
    pub state: RolloutState,
    pub pause_reason: Option<String>,
    pub counts: TaskCounts,
    /// The next contract (`AllEligible`, `Canary`: by id order) or list index (`Contracts`) to consider.
    pub cursor: Option<Principal>,
    pub list_cursor: u32,
    pub list_len: u32,
    pub considered: u64,
    /// Eligible contracts taken so far (what a canary counts).
    pub selected: u64,
    pub selection_complete: bool,
    pub started_by: Principal,
    pub started_at: u64,
    pub updated_at: u64,
    pub finished_at: Option<u64>,
}

impl Rollout {
    pub fn view(&self) -> RolloutView {
        RolloutView {
            id: self.id,
            plan: self.plan.clone(),
            state: self.state.clone(),
            pause_reason: self.pause_reason.clone(),
            counts: self.counts.clone(),
            considered: self.considered,
            selection_complete: self.selection_complete,
            started_by: self.started_by,
            started_at: self.started_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
        }
    }
}

candid_storable!(Rollout);

pub struct UpgradeStore<M: Memory> {
    meta: StableCell<UpgradeMeta, Mem<M>>,
    rollouts: StableBTreeMap<u64, Rollout, Mem<M>>,
    tasks: StableBTreeMap<u64, Task, Mem<M>>,
    /// (rollout, state code, task id): the tasks of a rollout (0: owners' upgrades) in each state.
    by_state: StableBTreeMap<(u64, u8, u64), (), Mem<M>>,
    contracts: StableBTreeMap<Principal, ContractUpgradeInfo, Mem<M>>,
    /// (rollout, index) → contract, for `RolloutSelector::Contracts`.
    listed: StableBTreeMap<(u64, u32), Principal, Mem<M>>,
    journal: StableLog<JournalEntry, Mem<M>, Mem<M>>,
    journal_by_rollout: StableBTreeMap<(u64, u64), (), Mem<M>>,
    journal_by_contract: StableBTreeMap<(Principal, u64), (), Mem<M>>,
    /// Heap only: sha256 of registry versions past uploading (a published module's hash never changes), so the
    /// machine does not decode a registry record for each check.
    sha_cache: BTreeMap<String, Vec<u8>>,
    /// Heap only: `(task, step)` whose install this heap saw succeed (its reply, or a status read after a resume).
    /// Empty after the factory's own upgrade, so a resumed verification reads the facts again.
    proven_installs: BTreeSet<(u64, u32)>,
    /// Heap only: the active rollout whose selector has named every contract (`selection_complete`, which never
    /// becomes false again), so a task finishing between ticks does not read its record to admit nothing. Empty
    /// after the factory's own upgrade: the first refill reads the record once and learns it again.
    selection_done: Option<u64>,
}

/// The memories of an `UpgradeStore`, in the order `memory.rs` names them.
pub struct UpgradeMemories<M: Memory> {
    pub meta: Mem<M>,
    pub rollouts: Mem<M>,
    pub tasks: Mem<M>,
    pub by_state: Mem<M>,
    pub contracts: Mem<M>,
    pub listed: Mem<M>,
    pub journal_index: Mem<M>,
    pub journal_data: Mem<M>,
    pub journal_by_rollout: Mem<M>,
    pub journal_by_contract: Mem<M>,
}

impl<M: Memory> UpgradeStore<M> {
    pub fn init(m: UpgradeMemories<M>) -> Self {
        Self {
            meta: StableCell::init(m.meta, UpgradeMeta::default()),
            rollouts: StableBTreeMap::init(m.rollouts),
            tasks: StableBTreeMap::init(m.tasks),
            by_state: StableBTreeMap::init(m.by_state),
            contracts: StableBTreeMap::init(m.contracts),
            listed: StableBTreeMap::init(m.listed),
            journal: StableLog::init(m.journal_index, m.journal_data),
            journal_by_rollout: StableBTreeMap::init(m.journal_by_rollout),
            journal_by_contract: StableBTreeMap::init(m.journal_by_contract),
            sha_cache: BTreeMap::new(),
            proven_installs: BTreeSet::new(),
            selection_done: None,
        }
    }

    pub fn meta(&self) -> UpgradeMeta {
        self.meta.get().clone()
    }

    fn update_meta(&mut self, f: impl FnOnce(&mut UpgradeMeta)) {
        let mut meta = self.meta.get().clone();
        f(&mut meta);
        self.meta.set(meta);
    }

    // --- rollouts ---

    pub fn new_rollout(&mut self, build: impl FnOnce(u64) -> Rollout, listed: &[Principal]) -> Rollout {
        let id = self.meta.get().next_rollout.max(1);
        let rollout = build(id);
        for (i, contract) in listed.iter().enumerate() {
            self.listed.insert((id, i as u32), *contract);
        }
        self.rollouts.insert(id, rollout.clone());
        let running = rollout.state == RolloutState::Running;
        let hot = RolloutHot::of(id, &rollout.counts, rollout.updated_at, &rollout.plan, running);
        self.update_meta(|m| {
            m.next_rollout = id + 1;
            m.active_rollout = Some(id);
            m.hot = Some(hot);
        });
        rollout
    }

    /// A rollout as stored, with the hot fields of the active one merged in.
    pub fn rollout(&self, id: u64) -> Result<Rollout, FleetError> {
        let mut rollout = self.rollouts.get(&id).ok_or_else(|| FleetError::not_found(format!("rollout {id}")))?;
        if let Some(hot) = self.meta.get().hot.as_ref().filter(|h| h.rollout == id) {
            rollout.counts = hot.counts.clone();
            rollout.updated_at = rollout.updated_at.max(hot.updated_at);
        }
        Ok(rollout)
    }

    pub fn active_rollout(&self) -> Option<Rollout> {
        self.meta.get().active_rollout.and_then(|id| self.rollout(id).ok())
    }

    /// Writes a rollout's cold fields (state, plan, cursors). Its counts are the hot ones while it is active; once
    /// it is over they are written into the record and the hot part is dropped.
    pub fn put_rollout(&mut self, mut rollout: Rollout) {
        if let Some(mut hot) = self.meta.get().hot.clone().filter(|h| h.rollout == rollout.id) {
            rollout.counts = hot.counts.clone();
            rollout.updated_at = rollout.updated_at.max(hot.updated_at);
            hot.running = rollout.state == RolloutState::Running;
            hot.max_concurrency = rollout.plan.max_concurrency;
            hot.failure_budget = rollout.plan.failure_budget;
            self.update_meta(|m| m.hot = Some(hot));
        }
        if rollout.state.is_over() && self.meta.get().active_rollout == Some(rollout.id) {
            self.update_meta(|m| {
                m.active_rollout = None;
                m.hot = None;
            });
        }
        self.rollouts.insert(rollout.id, rollout);
    }

    /// The hot fields of rollout `id` if it is the active one, filled from its record the first time (a cell
    /// written by format 1 has none).
    fn hot_of(&mut self, id: u64) -> Option<RolloutHot> {
        let meta = self.meta.get();
        if meta.active_rollout != Some(id) {
            return None;
        }
        if let Some(hot) = meta.hot.as_ref().filter(|h| h.rollout == id) {
            return Some(hot.clone());
        }
        let record = self.rollouts.get(&id)?;
        let running = record.state == RolloutState::Running;
        let hot = RolloutHot::of(id, &record.counts, record.updated_at, &record.plan, running);
        self.update_meta(|m| m.hot = Some(hot.clone()));
        Some(hot)
    }

    /// Moves one task of rollout `id` from one count to another (`from` `None`: a new task).
    fn count_transition(&mut self, id: u64, from: Option<TaskState>, to: TaskState, at: u64) {
        if let Some(mut hot) = self.hot_of(id) {
            if let Some(from) = from {
                let slot = hot.counts.slot(from);
                *slot = slot.saturating_sub(1);
            }
            *hot.counts.slot(to) += 1;
            hot.updated_at = hot.updated_at.max(at);
            self.update_meta(|m| m.hot = Some(hot));
        } else if let Some(mut rollout) = self.rollouts.get(&id) {
            // Not the active rollout (never expected: only its tasks move): the record itself keeps the counts.
            if let Some(from) = from {
                let slot = rollout.counts.slot(from);
                *slot = slot.saturating_sub(1);
            }
            *rollout.counts.slot(to) += 1;
            rollout.updated_at = rollout.updated_at.max(at);
            self.rollouts.insert(id, rollout);
        }
    }

    /// A queued task of the active rollout that may start now (running, a slot free, budget not spent), from the
    /// hot cell and one index range: what a task that just finished uses to refill its slot between ticks.
    pub fn startable_queued(&mut self, skip: impl Fn(u64) -> bool) -> Option<u64> {
        let id = self.meta.get().active_rollout?;
        if !self.hot_of(id)?.may_start() {
            return None;
        }
        let code = TaskState::Queued.code();
        self.by_state.range((id, code, 0)..=(id, code, u64::MAX)).map(|e| e.key().2).find(|t| !skip(*t))
    }

    /// The active rollout, if a task finishing between ticks may admit more of its contracts: it runs, a slot is
    /// free, the failure budget is not spent, and its selection is not known to be complete (hot cell and heap
    /// only, no record read).
    pub fn admission_open(&mut self) -> Option<u64> {
        let id = self.meta.get().active_rollout?;
        (self.selection_done != Some(id) && self.hot_of(id)?.may_start()).then_some(id)
    }

    /// Remembers (heap only) that rollout `id`'s selector has named every contract.
    pub fn note_selection_done(&mut self, id: u64) {
        self.selection_done = Some(id);
    }

    /// The knobs of a task of rollout `id` (0: an owner's upgrade, the defaults): from the hot cell, no record read.
    pub fn task_params(&self, id: u64) -> TaskParams {
        if id == 0 {
            return TaskParams::default();
        }
        match self.meta.get().hot.as_ref().filter(|h| h.rollout == id) {
            Some(hot) => hot.params,
            None => self.rollouts.get(&id).map(|r| TaskParams::of_plan(&r.plan)).unwrap_or_default(),
        }
    }

    pub fn listed(&self, rollout: u64, index: u32) -> Option<Principal> {
        self.listed.get(&(rollout, index))
    }

    /// Rollouts newest first.
    pub fn rollouts(&self, page: PageRequest) -> Page<RolloutView> {
        let total = self.rollouts.len();
        Page::from_iter(page, total, self.rollouts.iter().rev().map(|e| e.value().view()))
    }

    // --- tasks ---

    /// Creates a task in `state` and counts it in its rollout (a rollout task) — the caller stores the rollout
    /// it passes.
    pub fn new_task(&mut self, rollout: Option<&mut Rollout>, mut task: Task) -> Task {
        let id = self.meta.get().next_task.max(1);
        task.id = id;
        self.update_meta(|m| m.next_task = id + 1);
        if let Some(r) = rollout {
            *r.counts.slot(task.state) += 1;
            self.count_transition(r.id, None, task.state, task.state_since);
        }
        self.by_state.insert((task.rollout, task.state.code(), id), ());
        if !task.state.is_terminal() {
            let mut info = self.contract_info(&task.contract);
            info.busy_with = Some(id);
            info.last_task = Some(id);
            self.contracts.insert(task.contract, info);
        }
        self.tasks.insert(id, task.clone());
        task
    }

    pub fn task(&self, id: u64) -> Result<Task, FleetError> {
        self.tasks.get(&id).ok_or_else(|| FleetError::not_found(format!("upgrade task {id}")))
    }

    /// Writes a task whose state may have changed: keeps the state index, the rollout's counts and the contract's
    /// lock in step, and journals the transition.
    pub fn save_task(&mut self, before: TaskState, task: &Task, detail: String) {
        if before != task.state {
            self.by_state.remove(&(task.rollout, before.code(), task.id));
            self.by_state.insert((task.rollout, task.state.code(), task.id), ());
            if task.rollout != 0 {
                self.count_transition(task.rollout, Some(before), task.state, task.state_since);
            }
            if task.state.is_terminal() {
                let mut info = self.contract_info(&task.contract);
                if info.busy_with == Some(task.id) {
                    info.busy_with = None;
                }
                self.contracts.insert(task.contract, info);
            }
            self.journal(JournalEntry {
                at: task.state_since,
                task: task.id,
                rollout: task.rollout,
                contract: task.contract,
                from: before,
                to: task.state,
                detail,
            });
        }
        self.tasks.insert(task.id, task.clone());
    }

    /// Journals a task created already settled (a contract a rollout skipped).
    pub fn journal_skip(&mut self, task: &Task, detail: String) {
        self.journal(JournalEntry {
            at: task.state_since,
            task: task.id,
            rollout: task.rollout,
            contract: task.contract,
            from: TaskState::Queued,
            to: task.state,
            detail,
        });
    }

    /// Up to `limit` task ids of `rollout` in `state`, oldest first: one range read, whatever the number of tasks.
    pub fn tasks_in(&self, rollout: u64, state: TaskState, limit: usize) -> Vec<u64> {
        let code = state.code();
        self.by_state.range((rollout, code, 0)..=(rollout, code, u64::MAX)).take(limit).map(|e| e.key().2).collect()
    }

    pub fn task_page(&self, rollout: u64, state: Option<TaskState>, page: PageRequest) -> Page<TaskView> {
        let (from, to) = match state {
            Some(s) => ((rollout, s.code(), 0), (rollout, s.code(), u64::MAX)),
            None => ((rollout, 0, 0), (rollout, u8::MAX, u64::MAX)),
        };
        let ids: Vec<u64> = self.by_state.range(from..=to).map(|e| e.key().2).collect();
        let total = ids.len() as u64;
        Page::from_iter(page, total, ids.into_iter().filter_map(|id| self.tasks.get(&id)).map(|t| t.view()))
    }

    // --- contracts ---

    pub fn contract_info(&self, contract: &Principal) -> ContractUpgradeInfo {
        self.contracts.get(contract).unwrap_or_default()
    }

    pub fn put_contract_info(&mut self, contract: Principal, info: ContractUpgradeInfo) {
        self.contracts.insert(contract, info);
    }

    // --- heap knowledge ---

    pub fn cached_sha(&self, version: &str) -> Option<Vec<u8>> {
        self.sha_cache.get(version).cloned()
    }

    pub fn cache_sha(&mut self, version: &str, sha: Vec<u8>) {
        self.sha_cache.insert(version.to_string(), sha);
    }

    /// What a counters cell written by format 1 reads as: no hot part (tests of the lazy fill).
    #[cfg(test)]
    pub fn forget_hot(&mut self) {
        self.update_meta(|m| m.hot = None);
    }

    /// Caches the sha256 of every version past uploading (from records already decoded).
    pub fn cache_shas(&mut self, versions: &[super::path::PlannedVersion]) {
        for v in versions.iter().filter(|v| v.status != crate::api::VersionStatus::Uploading) {
            self.sha_cache.insert(v.version.to_string(), v.sha256.clone());
        }
    }

    pub fn prove_install(&mut self, task: u64, step: u32) {
        self.proven_installs.insert((task, step));
    }

    /// Whether this heap saw the install of `(task, step)` succeed; forgets it.
    pub fn take_install_proof(&mut self, task: u64, step: u32) -> bool {
        self.proven_installs.remove(&(task, step))
    }

    // --- journal ---

    fn journal(&mut self, entry: JournalEntry) {
        let (rollout, contract) = (entry.rollout, entry.contract);
        // A full stable memory is the only failure: the transition itself is stored anyway (in the task).
        if let Ok(index) = self.journal.append(&entry) {
            self.journal_by_rollout.insert((rollout, index), ());
            self.journal_by_contract.insert((contract, index), ());
        }
    }

    /// Journal entries of a rollout (0: owners' upgrades) or of a contract, newest first.
    pub fn journal_page(&self, filter: &JournalFilter, page: PageRequest) -> Page<JournalEntry> {
        let indexes: Vec<u64> = match filter {
            JournalFilter::Rollout(r) => {
                self.journal_by_rollout.range((*r, 0)..=(*r, u64::MAX)).map(|e| e.key().1).collect()
            }
            JournalFilter::Contract(c) => {
                self.journal_by_contract.range((*c, 0)..=(*c, u64::MAX)).map(|e| e.key().1).collect()
            }
        };
        let total = indexes.len() as u64;
        Page::from_iter(page, total, indexes.into_iter().rev().filter_map(|i| self.journal.get(i)))
    }

    pub fn journal_len(&self) -> u64 {
        self.journal.len()
    }
}
