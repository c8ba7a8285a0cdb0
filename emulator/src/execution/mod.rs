//! Executing entry points atomically, and the install/upgrade/reinstall/uninstall semantics.
//!
//! The functions the management canister uses are methods on `Subnet`:
//! `install_code`, `uninstall_code`, `take_memory_snapshot`, `load_memory_snapshot`, `create_canister_entry`,
//! `delete_canister_entry`, `reject_stop_waiters`.

use candid::Principal;
use ic_management_canister_types::{CanisterInstallMode, CanisterLogRecord};
use rand::SeedableRng;

use crate::errors::RejectResponse;
use crate::state::{Canister, CanisterId, MemorySnapshot, MessageId, Subnet, SubnetConfig};

impl Subnet {
    pub fn new(time_nanos: u64, seed: u64, config: SubnetConfig) -> Self {
        Subnet {
            subnet_id: Principal::from_slice(&[0x11; 29]),
            time_nanos,
            canisters: Default::default(),
            used_ids: Default::default(),
            next_canister_index: 0,
            rng: rand_chacha::ChaCha20Rng::seed_from_u64(seed),
            config,
            scheduler: Default::default(),
        }
    }

    /// Adds a new empty canister (Running, given controllers and cycles). `specified_id` must be unused.
    pub fn create_canister_entry(
        &mut self,
        specified_id: Option<CanisterId>,
        controllers: Vec<Principal>,
        cycles: u128,
    ) -> Result<CanisterId, RejectResponse> {
        let id = match specified_id {
            Some(id) if self.used_ids.contains(&id) => {
                return Err(RejectResponse::new(
                    crate::errors::ErrorCode::CanisterIdAlreadyExists,
                    format!("Canister {id} is already installed."),
                ))
            }
            Some(id) => id,
            None => self.allocate_canister_id(),
        };
        self.used_ids.insert(id);
        self.canisters.insert(id, Canister::new(id, controllers, cycles));
        Ok(id)
    }

    /// Removes a (stopped) canister; its id is never reused, messages still queued to it are rejected.
    pub fn delete_canister_entry(&mut self, _canister_id: CanisterId) -> Result<(), RejectResponse> {
        todo!()
    }

    /// Runs install / reinstall / upgrade of `wasm` (raw or gzip) on the canister, atomically.
    /// `caller` is what `msg_caller` returns in init/pre/post_upgrade. Does not check controllers.
    pub fn install_code(
        &mut self,
        _canister_id: CanisterId,
        _mode: CanisterInstallMode,
        _wasm: &[u8],
        _arg: &[u8],
        _caller: Principal,
    ) -> Result<(), RejectResponse> {
        todo!()
    }

    /// Empties the canister: code, heap, stable memory, chunk store, certified data, timer; rejects open call
    /// contexts with CANISTER_REJECT; bumps the version. Does not check controllers.
    pub fn uninstall_code(&mut self, _canister_id: CanisterId) -> Result<(), RejectResponse> {
        todo!()
    }

    /// Copies the canister's code and memories (heap copied, stable memory shared copy-on-write).
    pub fn take_memory_snapshot(&self, _canister_id: CanisterId) -> Result<MemorySnapshot, RejectResponse> {
        todo!()
    }

    /// Restores code and memories from a snapshot (fresh instance from the cached module); bumps the version.
    pub fn load_memory_snapshot(
        &mut self,
        _canister_id: CanisterId,
        _snapshot: &MemorySnapshot,
    ) -> Result<(), RejectResponse> {
        todo!()
    }

    /// Rejects every pending `stop_canister` call of the canister (start_canister on a Stopping canister).
    pub fn reject_stop_waiters(&mut self, _canister_id: CanisterId, _reject: RejectResponse) {
        todo!()
    }

    pub(crate) fn submit_ingress(
        &mut self,
        _canister_id: CanisterId,
        _sender: Principal,
        _method: &str,
        _payload: Vec<u8>,
    ) -> Result<MessageId, RejectResponse> {
        todo!()
    }

    pub(crate) fn await_ingress(&mut self, _id: MessageId) -> Result<Vec<u8>, RejectResponse> {
        todo!()
    }

    pub(crate) fn ingress_result(&self, _id: MessageId) -> Option<Result<Vec<u8>, RejectResponse>> {
        todo!()
    }

    pub(crate) fn ingress_sender(&self, _id: MessageId) -> Option<Principal> {
        todo!()
    }

    pub(crate) fn query(
        &mut self,
        _canister_id: CanisterId,
        _sender: Principal,
        _method: &str,
        _payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        todo!()
    }

    pub(crate) fn tick(&mut self) {
        todo!()
    }

    pub(crate) fn fetch_logs(
        &self,
        _canister_id: CanisterId,
        _sender: Principal,
    ) -> Result<Vec<CanisterLogRecord>, RejectResponse> {
        todo!()
    }
}
