//! Test support for native tests of the engine and of each factory: a fake IC (`FakeRuntime`) that keeps canisters
//! in memory, journals every management call, fails any step on demand and can pause before a step so a test can
//! interleave another message, plus a minimal executor.

#![cfg(any(test, feature = "testing"))]

use candid::Principal;
use ic_stable_structures::VectorMemory;
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::runtime::{CallResult, CanisterFacts, RunStatus, Runtime, SnapshotFacts};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Create,
    Install,
    UploadChunk,
    InstallChunked,
    ClearChunkStore,
    UpdateSettings,
    Uninstall,
    Status,
    Deposit,
    Stop,
    Start,
    Upgrade,
    UpgradeChunked,
    TakeSnapshot,
    ListSnapshots,
    LoadSnapshot,
    Version,
    Health,
}

/// Every await of an upgrade, for tests that fail or interrupt the step machine at each in turn.
pub const UPGRADE_STEPS: [Step; 11] = [
    Step::Status,
    Step::Deposit,
    Step::Stop,
    Step::Start,
    Step::Upgrade,
    Step::TakeSnapshot,
    Step::ListSnapshots,
    Step::LoadSnapshot,
    Step::Version,
    Step::Health,
    Step::UploadChunk,
];

/// Every step, for tests that interrupt or fail a deployment at each await in turn.
pub const ALL_STEPS: [Step; 9] = [
    Step::Create,
    Step::Install,
    Step::UploadChunk,
    Step::InstallChunked,
    Step::ClearChunkStore,
    Step::UpdateSettings,
    Step::Uninstall,
    Step::Status,
    Step::Deposit,
];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FakeCanister {
    pub controllers: Vec<Principal>,
    pub cycles: u128,
    pub module: Option<Vec<u8>>,
    pub init_arg: Option<Vec<u8>>,
    pub chunk_store: Vec<Vec<u8>>,
    /// The controllers when the module was installed (the factory alone, for a deployment).
    pub controllers_at_install: Vec<Principal>,
    /// Stopped (or stopping) rather than running.
    pub stopped: bool,
    /// The contract's state, as an upgrade test sees it: kept by upgrades, put back by loading a snapshot.
    pub state: Vec<u8>,
    /// Snapshots: (id, taken at, module, state).
    pub snapshots: Vec<(Vec<u8>, u64, Option<Vec<u8>>, Vec<u8>)>,
    /// How many times code was installed or upgraded.
    pub installs: u32,
}

pub struct FakeRuntime {
    pub now: Cell<u64>,
    pub self_id: Principal,
    pub balance: Cell<u128>,
    pub fee: u128,
    next_canister: Cell<u64>,
    /// Live canisters; a deleted one is removed.
    pub canisters: RefCell<BTreeMap<Principal, FakeCanister>>,
    /// Every management call made, in order, e.g. `create_canister`, `install_code`.
    pub calls: RefCell<Vec<&'static str>>,
    fail: RefCell<BTreeSet<Step>>,
    fail_once: RefCell<BTreeSet<Step>>,
    pause: RefCell<BTreeSet<Step>>,
    pause_after: RefCell<BTreeSet<Step>>,
    /// What each module answers to `version`, by module bytes (an upgrade test registers its modules).
    pub module_versions: RefCell<BTreeMap<Vec<u8>, String>>,
    /// Modules whose `post_upgrade` traps (the upgrade fails and the canister keeps its old code and state).
    pub trapping_modules: RefCell<BTreeSet<Vec<u8>>>,
    /// Canisters whose `health` says not ok.
    pub unhealthy: RefCell<BTreeSet<Principal>>,
    /// Canisters whose `health` says not ok yet, `migrating: …`.
    pub migrating: RefCell<BTreeSet<Principal>>,
    next_snapshot: Cell<u64>,
}

impl Default for FakeRuntime {
    fn default() -> Self {
        Self {
            now: Cell::new(1_700_000_000_000_000_000),
            self_id: Principal::from_slice(&[0xFA, 0xC7, 0x01]),
            balance: Cell::new(1_000_000_000_000_000),
            fee: 500_000_000_000,
            next_canister: Cell::new(1),
            canisters: RefCell::default(),
            calls: RefCell::default(),
            fail: RefCell::default(),
            fail_once: RefCell::default(),
            module_versions: RefCell::default(),
            trapping_modules: RefCell::default(),
            unhealthy: RefCell::default(),
            migrating: RefCell::default(),
            next_snapshot: Cell::new(1),
            pause: RefCell::default(),
            pause_after: RefCell::default(),
        }
    }
}

impl FakeRuntime {
    pub fn fail_at(&self, step: Step) {
        self.fail.borrow_mut().insert(step);
    }
    pub fn heal(&self) {
        self.fail.borrow_mut().clear();
        self.fail_once.borrow_mut().clear();
    }
    /// The next call of `step` fails (a reject); later ones succeed.
    pub fn fail_once_at(&self, step: Step) {
        self.fail_once.borrow_mut().insert(step);
    }
    /// The next call of `step` returns Pending once (one await point), letting the test run something in between.
    pub fn pause_at(&self, step: Step) {
        self.pause.borrow_mut().insert(step);
    }
    /// The next call of `step` takes effect, then returns Pending once before its reply: dropping the future there
    /// is a reply that never reached the factory (a trapping callback, an upgrade while the call was open).
    pub fn pause_after(&self, step: Step) {
        self.pause_after.borrow_mut().insert(step);
    }
    pub fn canister(&self, id: &Principal) -> Option<FakeCanister> {
        self.canisters.borrow().get(id).cloned()
    }
    pub fn calls(&self) -> Vec<&'static str> {
        self.calls.borrow().clone()
    }

    async fn step(&self, step: Step, name: &'static str) -> CallResult<()> {
        self.calls.borrow_mut().push(name);
        if self.pause.borrow_mut().remove(&step) {
            YieldOnce(false).await;
        }
        if self.fail.borrow().contains(&step) || self.fail_once.borrow_mut().remove(&step) {
            return Err(format!("injected failure of {name}"));
        }
        Ok(())
    }

    /// `install_code`/`install_chunked_code` in upgrade mode: the canister must be stopped and have code; a trapping
    /// `post_upgrade` leaves the old code and state; otherwise the state is kept under the new code.
    fn apply_upgrade(&self, canister: Principal, module: Vec<u8>) -> CallResult<()> {
        let traps = self.trapping_modules.borrow().contains(&module);
        self.with_canister(canister, |c| {
            if c.module.is_none() {
                return Err("canister has no code to upgrade".to_string());
            }
            if !c.stopped {
                return Err("canister must be stopped to be upgraded".to_string());
            }
            if traps {
                return Err("Canister trapped in post_upgrade: migration refused".to_string());
            }
            c.module = Some(module);
            c.installs += 1;
            Ok(())
        })?
    }

    /// The reply's suspension point: Pending once if the test asked for `pause_after(step)`.
    async fn reply(&self, step: Step) {
        if self.pause_after.borrow_mut().remove(&step) {
            YieldOnce(false).await;
        }
    }

    /// Applies `f` to a canister the factory controls, as the management canister does (IC0512 otherwise).
    fn with_canister<T>(&self, id: Principal, f: impl FnOnce(&mut FakeCanister) -> T) -> CallResult<T> {
        let mut canisters = self.canisters.borrow_mut();
        let canister = canisters.get_mut(&id).ok_or_else(|| format!("canister {id} not found"))?;
        if !canister.controllers.contains(&self.self_id) {
            return Err(format!("the factory is not a controller of {id}"));
        }
        Ok(f(canister))
    }
}

impl Runtime for FakeRuntime {
    fn now(&self) -> u64 {
        self.now.get()
    }
    fn self_id(&self) -> Principal {
        self.self_id
    }
    fn cycle_balance(&self) -> u128 {
        self.balance.get()
    }
    fn creation_fee(&self) -> u128 {
        self.fee
    }
    fn call_context_instructions(&self) -> u64 {
        self.calls.borrow().len() as u64
    }

    async fn create_canister(&self, controllers: Vec<Principal>, cycles: u128) -> CallResult<Principal> {
        self.step(Step::Create, "create_canister").await?;
        self.balance.set(self.balance.get() - cycles - self.fee);
        let n = self.next_canister.get();
        self.next_canister.set(n + 1);
        let id = Principal::from_slice(&[0, 0, 0, 0, 0, 0x10, (n >> 8) as u8, n as u8, 1, 1]);
        self.canisters.borrow_mut().insert(id, FakeCanister { controllers, cycles, ..Default::default() });
        self.reply(Step::Create).await;
        Ok(id)
    }

    async fn install_code(&self, canister: Principal, wasm: Vec<u8>, arg: Vec<u8>) -> CallResult<()> {
        self.step(Step::Install, "install_code").await?;
        self.with_canister(canister, |c| {
            if c.module.is_some() {
                return Err("canister is not empty".to_string());
            }
            c.module = Some(wasm);
            c.init_arg = Some(arg);
            c.controllers_at_install = c.controllers.clone();
            Ok(())
        })??;
        self.reply(Step::Install).await;
        Ok(())
    }

    async fn upload_chunk(&self, canister: Principal, chunk: Vec<u8>) -> CallResult<Vec<u8>> {
        self.step(Step::UploadChunk, "upload_chunk").await?;
        let hash = Sha256::digest(&chunk).to_vec();
        self.with_canister(canister, |c| c.chunk_store.push(chunk))?;
        self.reply(Step::UploadChunk).await;
        Ok(hash)
    }

    async fn install_chunked_code(
        &self,
        canister: Principal,
        hashes: Vec<Vec<u8>>,
        module_hash: Vec<u8>,
        arg: Vec<u8>,
    ) -> CallResult<()> {
        self.step(Step::InstallChunked, "install_chunked_code").await?;
        self.with_canister(canister, |c| {
            let by_hash: BTreeMap<Vec<u8>, Vec<u8>> =
                c.chunk_store.iter().map(|chunk| (Sha256::digest(chunk).to_vec(), chunk.clone())).collect();
            let mut module = vec![];
            for hash in &hashes {
                module.extend_from_slice(by_hash.get(hash).ok_or("chunk not in store")?);
            }
            if Sha256::digest(&module).to_vec() != module_hash {
                return Err("wasm_module_hash does not match the chunks".to_string());
            }
            if c.module.is_some() {
                return Err("canister is not empty".to_string());
            }
            c.module = Some(module);
            c.init_arg = Some(arg);
            c.controllers_at_install = c.controllers.clone();
            Ok(())
        })??;
        self.reply(Step::InstallChunked).await;
        Ok(())
    }

    async fn clear_chunk_store(&self, canister: Principal) -> CallResult<()> {
        self.step(Step::ClearChunkStore, "clear_chunk_store").await?;
        self.with_canister(canister, |c| c.chunk_store.clear())?;
        self.reply(Step::ClearChunkStore).await;
        Ok(())
    }

    async fn update_settings(&self, canister: Principal, controllers: Vec<Principal>) -> CallResult<()> {
        self.step(Step::UpdateSettings, "update_settings").await?;
        self.with_canister(canister, |c| c.controllers = controllers)?;
        self.reply(Step::UpdateSettings).await;
        Ok(())
    }

    async fn uninstall_code(&self, canister: Principal) -> CallResult<()> {
        self.step(Step::Uninstall, "uninstall_code").await?;
        self.with_canister(canister, |c| {
            c.module = None;
            c.init_arg = None;
            c.chunk_store.clear();
        })?;
        self.reply(Step::Uninstall).await;
        Ok(())
    }

    async fn canister_status(&self, canister: Principal) -> CallResult<CanisterFacts> {
        self.step(Step::Status, "canister_status").await?;
        let facts = self.with_canister(canister, |c| CanisterFacts {
            module_hash: c.module.as_ref().map(|m| Sha256::digest(m).to_vec()),
            controllers: c.controllers.clone(),
            status: if c.stopped { RunStatus::Stopped } else { RunStatus::Running },
            cycles: c.cycles,
        })?;
        self.reply(Step::Status).await;
        Ok(facts)
    }

    async fn deposit_cycles(&self, canister: Principal, cycles: u128) -> CallResult<()> {
        self.step(Step::Deposit, "deposit_cycles").await?;
        // Anyone may deposit; the canister only has to exist.
        let mut canisters = self.canisters.borrow_mut();
        let target = canisters.get_mut(&canister).ok_or_else(|| format!("canister {canister} not found"))?;
        target.cycles += cycles;
        self.balance.set(self.balance.get() - cycles);
        drop(canisters);
        self.reply(Step::Deposit).await;
        Ok(())
    }

    async fn stop_canister(&self, canister: Principal) -> CallResult<()> {
        self.step(Step::Stop, "stop_canister").await?;
        self.with_canister(canister, |c| c.stopped = true)?;
        self.reply(Step::Stop).await;
        Ok(())
    }

    async fn start_canister(&self, canister: Principal) -> CallResult<()> {
        self.step(Step::Start, "start_canister").await?;
        self.with_canister(canister, |c| c.stopped = false)?;
        self.reply(Step::Start).await;
        Ok(())
    }

    async fn upgrade_code(&self, canister: Principal, wasm: Vec<u8>, _arg: Vec<u8>) -> CallResult<()> {
        self.step(Step::Upgrade, "install_code(upgrade)").await?;
        self.apply_upgrade(canister, wasm)?;
        self.reply(Step::Upgrade).await;
        Ok(())
    }

    async fn upgrade_chunked_code(
        &self,
        canister: Principal,
        hashes: Vec<Vec<u8>>,
        module_hash: Vec<u8>,
        _arg: Vec<u8>,
    ) -> CallResult<()> {
        self.step(Step::UpgradeChunked, "install_chunked_code(upgrade)").await?;
        let module = self.with_canister(canister, |c| {
            let by_hash: BTreeMap<Vec<u8>, Vec<u8>> =
                c.chunk_store.iter().map(|chunk| (Sha256::digest(chunk).to_vec(), chunk.clone())).collect();
            let mut module = vec![];
            for hash in &hashes {
                module.extend_from_slice(by_hash.get(hash).ok_or("chunk not in store")?);
            }
            if Sha256::digest(&module).to_vec() != module_hash {
                return Err("wasm_module_hash does not match the chunks".to_string());
            }
            Ok(module)
        })??;
        self.apply_upgrade(canister, module)?;
        self.reply(Step::UpgradeChunked).await;
        Ok(())
    }

    async fn take_snapshot(&self, canister: Principal, replace: Option<Vec<u8>>) -> CallResult<SnapshotFacts> {
        self.step(Step::TakeSnapshot, "take_canister_snapshot").await?;
        let n = self.next_snapshot.get();
        let now = self.now.get();
        let id = self.with_canister(canister, |c| {
            if !c.stopped {
                return Err("a snapshot needs a stopped canister".to_string());
            }
            if let Some(replace) = &replace {
                let before = c.snapshots.len();
                c.snapshots.retain(|s| &s.0 != replace);
                if c.snapshots.len() == before {
                    return Err("snapshot to replace not found".to_string());
                }
            }
            if c.snapshots.len() >= 10 {
                return Err("the canister has 10 snapshots already".to_string());
            }
            let id = n.to_be_bytes().to_vec();
            c.snapshots.push((id.clone(), now, c.module.clone(), c.state.clone()));
            Ok(id)
        })??;
        self.next_snapshot.set(n + 1);
        self.reply(Step::TakeSnapshot).await;
        Ok(SnapshotFacts { id, taken_at: now })
    }

    async fn list_snapshots(&self, canister: Principal) -> CallResult<Vec<SnapshotFacts>> {
        self.step(Step::ListSnapshots, "list_canister_snapshots").await?;
        let list = self.with_canister(canister, |c| {
            c.snapshots.iter().map(|s| SnapshotFacts { id: s.0.clone(), taken_at: s.1 }).collect()
        })?;
        self.reply(Step::ListSnapshots).await;
        Ok(list)
    }

    async fn load_snapshot(&self, canister: Principal, snapshot: Vec<u8>) -> CallResult<()> {
        self.step(Step::LoadSnapshot, "load_canister_snapshot").await?;
        self.with_canister(canister, |c| {
            if !c.stopped {
                return Err("loading a snapshot needs a stopped canister".to_string());
            }
            let (_, _, module, state) =
                c.snapshots.iter().find(|s| s.0 == snapshot).cloned().ok_or("snapshot not found")?;
            c.module = module;
            c.state = state;
            Ok(())
        })??;
        self.reply(Step::LoadSnapshot).await;
        Ok(())
    }

    async fn contract_version(&self, canister: Principal) -> CallResult<String> {
        self.step(Step::Version, "version").await?;
        let module = self.canister(&canister).and_then(|c| if c.stopped { None } else { c.module });
        let module = module.ok_or_else(|| format!("canister {canister} is not running"))?;
        let version = self.module_versions.borrow().get(&module).cloned().unwrap_or_default();
        self.reply(Step::Version).await;
        Ok(version)
    }

    async fn contract_health(&self, canister: Principal) -> CallResult<fleet_api::ContractHealth> {
        self.step(Step::Health, "health").await?;
        let version = self.contract_version(canister).await?;
        let migrating = self.migrating.borrow().contains(&canister);
        let ok = !self.unhealthy.borrow().contains(&canister) && !migrating;
        self.reply(Step::Health).await;
        Ok(fleet_api::ContractHealth {
            ok,
            kind: fleet_api::ContractKind::Token,
            version,
            schema_version: 1,
            owner: Principal::anonymous(),
            factory: Some(self.self_id),
            message: match (ok, migrating) {
                (true, _) => "ok".into(),
                (false, true) => "migrating: 4000 blocks behind".into(),
                (false, false) => "unhealthy".into(),
            },
        })
    }
}

/// Returns Pending once, then Ready: one suspension point, like an await on a real call.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

/// Runs a future whose awaits are all on `FakeRuntime` to completion.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Polls `future` until its first suspension, runs `between`, then finishes `future`: a message interleaved at an
/// await point.
pub fn run_interleaved<F: Future, T>(future: F, between: impl FnOnce() -> T) -> (F::Output, T) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
        return (out, between());
    }
    let middle = between();
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return (out, middle);
        }
    }
}

/// Polls `future` until its first suspension and drops it there: the deployment's message trapped in a callback
/// (ic-cdk drops the future in the cleanup) or the factory was upgraded while the call was open. Returns the output
/// instead if the future finished without suspending.
pub fn interrupt<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

/// A fresh stable memory; clone it to "upgrade" (open a new `Factory` over the same bytes).
pub fn memory() -> VectorMemory {
    VectorMemory::default()
}
