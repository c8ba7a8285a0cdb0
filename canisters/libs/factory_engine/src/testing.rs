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

use crate::runtime::{CallResult, Runtime};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Create,
    Install,
    UploadChunk,
    InstallChunked,
    ClearChunkStore,
    Stop,
    Delete,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FakeCanister {
    pub controllers: Vec<Principal>,
    pub cycles: u128,
    pub module: Option<Vec<u8>>,
    pub init_arg: Option<Vec<u8>>,
    pub chunk_store: Vec<Vec<u8>>,
    pub stopped: bool,
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
    pause: RefCell<BTreeSet<Step>>,
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
            pause: RefCell::default(),
        }
    }
}

impl FakeRuntime {
    pub fn fail_at(&self, step: Step) {
        self.fail.borrow_mut().insert(step);
    }
    pub fn heal(&self) {
        self.fail.borrow_mut().clear();
    }
    /// The next call of `step` returns Pending once (one await point), letting the test run something in between.
    pub fn pause_at(&self, step: Step) {
        self.pause.borrow_mut().insert(step);
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
        if self.fail.borrow().contains(&step) {
            return Err(format!("injected failure of {name}"));
        }
        Ok(())
    }

    fn with_canister<T>(&self, id: Principal, f: impl FnOnce(&mut FakeCanister) -> T) -> CallResult<T> {
        let mut canisters = self.canisters.borrow_mut();
        let canister = canisters.get_mut(&id).ok_or_else(|| format!("canister {id} not found"))?;
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
        Ok(id)
    }

    async fn install_code(&self, canister: Principal, wasm: Vec<u8>, arg: Vec<u8>) -> CallResult<()> {
        self.step(Step::Install, "install_code").await?;
        self.with_canister(canister, |c| {
            c.module = Some(wasm);
            c.init_arg = Some(arg);
        })
    }

    async fn upload_chunk(&self, canister: Principal, chunk: Vec<u8>) -> CallResult<Vec<u8>> {
        self.step(Step::UploadChunk, "upload_chunk").await?;
        let hash = Sha256::digest(&chunk).to_vec();
        self.with_canister(canister, |c| c.chunk_store.push(chunk))?;
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
            c.module = Some(module);
            c.init_arg = Some(arg);
            Ok(())
        })?
    }

    async fn clear_chunk_store(&self, canister: Principal) -> CallResult<()> {
        self.step(Step::ClearChunkStore, "clear_chunk_store").await?;
        self.with_canister(canister, |c| c.chunk_store.clear())
    }

    async fn stop_canister(&self, canister: Principal) -> CallResult<()> {
        self.step(Step::Stop, "stop_canister").await?;
        self.with_canister(canister, |c| c.stopped = true)
    }

    async fn delete_canister(&self, canister: Principal) -> CallResult<()> {
        self.step(Step::Delete, "delete_canister").await?;
        if !self.with_canister(canister, |c| c.stopped)? {
            return Err("canister is not stopped".into());
        }
        self.canisters.borrow_mut().remove(&canister);
        Ok(())
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

/// A fresh stable memory; clone it to "upgrade" (open a new `Factory` over the same bytes).
pub fn memory() -> VectorMemory {
    VectorMemory::default()
}
