//! The subnet's state: canisters (settings, status, cycles, code, memories, chunk store, snapshots, logs) and the
//! message machinery the scheduler keeps. Management-canister code (src/management/) reads and writes these
//! structs directly; the wasm side (instances, execution) lives in `crate::wasm` and `crate::execution`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use candid::Principal;
use ic_management_canister_types::{
    CanisterLogRecord, Change, ChangeDetails, ChangeOrigin, DefiniteCanisterSettings, EnvironmentVariable,
    LogVisibility, SnapshotVisibility,
};
use rand_chacha::ChaCha20Rng;

use crate::errors::RejectResponse;
use crate::scheduler::Scheduler;
use crate::stable::StableMemory;
use crate::wasm::{CompiledModule, LiveInstance};

pub type CanisterId = Principal;

/// Default cycles of a canister created through the test API (PocketIC also gives 100 T).
pub const DEFAULT_PROVISIONAL_CYCLES: u128 = 100_000_000_000_000;
/// Fee charged by `create_canister` on a 13-node application subnet.
pub const CANISTER_CREATION_FEE: u128 = 500_000_000_000;
/// Maximum number of controllers of a canister.
pub const MAX_CONTROLLERS: usize = 10;
/// Maximum chunk size of the chunk store and maximum number of chunks it holds.
pub const MAX_CHUNK_SIZE: usize = 1 << 20;
pub const MAX_CHUNKS: usize = 100;
/// Changes the canister history keeps (the spec guarantees at least 20; the replica keeps exactly 20).
pub const MAX_CANISTER_HISTORY_CHANGES: usize = 20;
/// Maximum number of snapshots per canister.
pub const MAX_SNAPSHOTS: usize = 10;
/// Maximum request/response payload (ingress and inter-canister), application subnet.
pub const MAX_PAYLOAD_BYTES: usize = 2 * 1024 * 1024;
/// Canister log buffer limit in bytes (the `log_memory_limit` default).
pub const DEFAULT_LOG_MEMORY_LIMIT: u64 = 4096;

/// Run status of a canister.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Stopping,
    Stopped,
}

/// The settings in effect (the `definite_canister_settings` record, with plain integers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub controllers: Vec<Principal>,
    pub compute_allocation: u64,
    pub memory_allocation: u64,
    pub freezing_threshold: u64,
    pub reserved_cycles_limit: u128,
    pub log_visibility: LogVisibility,
    pub log_memory_limit: u64,
    pub snapshot_visibility: SnapshotVisibility,
    pub wasm_memory_limit: u64,
    pub wasm_memory_threshold: u64,
    pub environment_variables: Vec<EnvironmentVariable>,
}

/// Controllers as the IC keeps them: a set, in `Principal`'s order (the replica's `BTreeSet<PrincipalId>`),
/// whatever the order given.
pub fn controller_set(controllers: impl IntoIterator<Item = Principal>) -> Vec<Principal> {
    controllers.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

impl Settings {
    /// The IC's defaults with the given controllers (kept as a sorted set).
    pub fn with_controllers(controllers: Vec<Principal>) -> Self {
        Settings {
            controllers: controller_set(controllers),
            compute_allocation: 0,
            memory_allocation: 0,
            freezing_threshold: 2_592_000,
            reserved_cycles_limit: 5_000_000_000_000,
            log_visibility: LogVisibility::Controllers,
            log_memory_limit: DEFAULT_LOG_MEMORY_LIMIT,
            snapshot_visibility: SnapshotVisibility::Controllers,
            wasm_memory_limit: 3 * 1024 * 1024 * 1024,
            wasm_memory_threshold: 0,
            environment_variables: Vec::new(),
        }
    }

    pub fn to_definite(&self) -> DefiniteCanisterSettings {
        DefiniteCanisterSettings {
            controllers: self.controllers.clone(),
            compute_allocation: self.compute_allocation.into(),
            memory_allocation: self.memory_allocation.into(),
            freezing_threshold: self.freezing_threshold.into(),
            reserved_cycles_limit: self.reserved_cycles_limit.into(),
            log_visibility: self.log_visibility.clone(),
            log_memory_limit: self.log_memory_limit.into(),
            snapshot_visibility: self.snapshot_visibility.clone(),
            wasm_memory_limit: self.wasm_memory_limit.into(),
            wasm_memory_threshold: self.wasm_memory_threshold.into(),
            environment_variables: self.environment_variables.clone(),
        }
    }
}

/// The installed code: the module as submitted (for `module_hash` and snapshots) and its compiled form
/// (shared process-wide by hash of the decompressed module).
#[derive(Clone)]
pub struct InstalledCode {
    /// sha256 of the `wasm_module` bytes as submitted (gzip or not).
    pub module_hash: [u8; 32],
    /// The bytes as submitted.
    pub wasm: Arc<Vec<u8>>,
    pub module: Arc<CompiledModule>,
}

/// Everything a snapshot needs to restore a canister's code and memories. Cheap to take for stable memory
/// (pages are shared copy-on-write); the heap is copied.
#[derive(Clone)]
pub struct MemorySnapshot {
    pub code: Option<InstalledCode>,
    pub heap: Vec<u8>,
    /// Values of the module's mutable globals, in the rewritten module's export order.
    pub globals: Vec<GlobalValue>,
    pub stable: StableMemory,
    pub certified_data: Vec<u8>,
    pub global_timer: u64,
}

impl MemorySnapshot {
    /// Bytes the snapshot accounts for (heap + stable + module + certified data).
    pub fn size(&self) -> u64 {
        let code = self.code.as_ref().map_or(0, |c| c.wasm.len() as u64);
        self.heap.len() as u64 + self.stable.size_bytes() + code + self.certified_data.len() as u64
    }
}

/// A global's value, saved host-side (wasm32 canisters use i32/i64/f32/f64 globals).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GlobalValue {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
}

/// A snapshot stored on a canister (owned by the management code).
#[derive(Clone)]
pub struct StoredSnapshot {
    /// 8-byte big-endian per-canister counter ++ canister id bytes.
    pub id: Vec<u8>,
    pub taken_at_timestamp: u64,
    /// The canister's version when the snapshot was taken (the history's load_snapshot record names it).
    pub canister_version: u64,
    pub memory: MemorySnapshot,
    pub chunk_store: BTreeMap<[u8; 32], Vec<u8>>,
}

impl StoredSnapshot {
    pub fn total_size(&self) -> u64 {
        self.memory.size() + self.chunk_store.values().map(|c| c.len() as u64).sum::<u64>()
    }
}

/// Who is waiting for the response to a call, so the response can be routed back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOrigin {
    /// An ingress message (from a test through `submit_call`/`update_call`).
    Ingress(MessageId),
    /// A canister's call: the response goes to this callback of the caller.
    Canister { caller: CanisterId, callback: CallbackId },
    /// A system task (global timer, heartbeat): no response.
    System,
}

/// Id of an ingress message (opaque bytes in `RawMessageId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u64);

/// Id of a callback registered by `call_perform` (unique in the subnet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallbackId(pub u64);

/// Result of a management-canister call handled by `crate::management::handle_management_call`.
#[derive(Debug)]
pub enum ManagementOutcome {
    /// Reply now. `cycles_accepted` of the attached cycles are kept (create_canister, deposit_cycles); the rest is
    /// refunded to the calling canister.
    Reply { data: Vec<u8>, cycles_accepted: u128 },
    /// Reject now; all attached cycles are refunded.
    Reject(RejectResponse),
    /// `stop_canister` on a canister that is now Stopping: the core replies `()` to the caller once the canister
    /// becomes Stopped (or rejects with IC0511 if it is started again). The handler has already set the status to
    /// `Stopping`; the core registers the caller in `Canister::stop_waiters`.
    StopPending { canister_id: CanisterId },
}

/// One management call, from a test (ingress) or from a canister.
#[derive(Debug)]
pub struct ManagementCall<'a> {
    pub caller: Principal,
    /// True when the call came from a test through the ingress API (then `create_canister`, `raw_rand` and
    /// `deposit_cycles` are refused, as on the IC).
    pub is_ingress: bool,
    pub method: &'a str,
    pub arg: &'a [u8],
    /// Cycles attached by the calling canister (0 for ingress).
    pub cycles: u128,
}

/// One canister.
pub struct Canister {
    pub id: CanisterId,
    pub status: RunStatus,
    pub settings: Settings,
    pub cycles: u128,
    pub code: Option<InstalledCode>,
    /// The live wasm instance (heap, globals, table) when code is installed.
    pub(crate) instance: Option<LiveInstance>,
    pub stable: StableMemory,
    pub certified_data: Vec<u8>,
    /// Global timer deadline in ns since epoch; 0 = none.
    pub global_timer: u64,
    /// `canister_version`: bumped on every successful install, settings change, start/stop, update execution...
    pub version: u64,
    /// Number of changes ever recorded in the canister history (`canister_info`'s total_num_changes).
    pub history_changes: u64,
    /// The most recent changes, oldest first, at most `MAX_CANISTER_HISTORY_CHANGES`.
    pub history: VecDeque<Change>,
    /// Chunk store: sha256 → chunk bytes.
    pub chunk_store: BTreeMap<[u8; 32], Vec<u8>>,
    pub snapshots: Vec<StoredSnapshot>,
    pub next_snapshot_counter: u64,
    /// `debug_print` / trap output (bounded by `log_memory_limit`).
    pub logs: VecDeque<CanisterLogRecord>,
    pub next_log_idx: u64,
    /// Callers of `stop_canister` waiting for the canister to become Stopped.
    pub stop_waiters: Vec<CallOrigin>,
    /// Instructions used by the last message executed on this canister.
    pub last_instructions: u64,
    /// Every execution's instructions added up, since the canister was created.
    pub total_instructions: u64,
    /// `canister_on_low_wasm_memory` ran since the heap last had more than `wasm_memory_threshold` free bytes.
    pub low_wasm_memory_hook_ran: bool,
}

impl Canister {
    pub fn new(id: CanisterId, controllers: Vec<Principal>, cycles: u128) -> Self {
        Canister {
            id,
            status: RunStatus::Running,
            settings: Settings::with_controllers(controllers),
            cycles,
            code: None,
            instance: None,
            stable: StableMemory::default(),
            certified_data: Vec::new(),
            global_timer: 0,
            version: 0,
            history_changes: 0,
            history: VecDeque::new(),
            chunk_store: BTreeMap::new(),
            snapshots: Vec::new(),
            next_snapshot_counter: 0,
            logs: VecDeque::new(),
            next_log_idx: 0,
            stop_waiters: Vec::new(),
            last_instructions: 0,
            total_instructions: 0,
            low_wasm_memory_hook_ran: false,
        }
    }

    /// Appends a change to the canister history, at the canister's current version (the version after the
    /// change), dropping the oldest beyond `MAX_CANISTER_HISTORY_CHANGES`.
    pub fn record_change(&mut self, timestamp_nanos: u64, origin: ChangeOrigin, details: ChangeDetails) {
        self.history_changes += 1;
        self.history.push_back(Change {
            timestamp_nanos,
            canister_version: self.version,
            origin,
            details: Some(details),
        });
        while self.history.len() > MAX_CANISTER_HISTORY_CHANGES {
            self.history.pop_front();
        }
    }

    pub fn is_controller(&self, principal: &Principal) -> bool {
        self.settings.controllers.contains(principal)
    }

    /// Size of the wasm heap in bytes (0 when empty).
    pub fn heap_size(&self) -> u64 {
        self.instance.as_ref().map_or(0, |i| i.heap_size())
    }

    /// Total memory for `canister_status.memory_size`.
    pub fn memory_size(&self) -> u64 {
        let code = self.code.as_ref().map_or(0, |c| c.wasm.len() as u64);
        let chunks: u64 = self.chunk_store.values().map(|c| c.len() as u64).sum();
        let snapshots: u64 = self.snapshots.iter().map(|s| s.total_size()).sum();
        self.heap_size() + self.stable.size_bytes() + code + chunks + snapshots
    }

    /// Appends a log record, dropping the oldest ones beyond `log_memory_limit` bytes.
    pub fn append_log(&mut self, timestamp_nanos: u64, content: Vec<u8>) {
        let idx = self.next_log_idx;
        self.next_log_idx += 1;
        self.logs.push_back(CanisterLogRecord { idx, timestamp_nanos, content });
        let limit = self.settings.log_memory_limit.max(1) as usize;
        let mut total: usize = self.logs.iter().map(|r| r.content.len()).sum();
        while total > limit && self.logs.len() > 1 {
            if let Some(old) = self.logs.pop_front() {
                total -= old.content.len();
            }
        }
    }
}

/// Limits of the emulated (application) subnet.
#[derive(Clone, Debug)]
pub struct SubnetConfig {
    pub update_instruction_limit: u64,
    pub query_instruction_limit: u64,
    pub install_instruction_limit: u64,
    /// Upper bound of message executions in one `tick` (guards against endless self-call loops).
    pub max_executions_per_round: usize,
    /// Creation fee charged to canisters calling `create_canister`.
    pub creation_fee: u128,
}

impl Default for SubnetConfig {
    fn default() -> Self {
        SubnetConfig {
            update_instruction_limit: 40_000_000_000,
            query_instruction_limit: 5_000_000_000,
            install_instruction_limit: 300_000_000_000,
            max_executions_per_round: 10_000,
            creation_fee: CANISTER_CREATION_FEE,
        }
    }
}

/// The whole emulated subnet.
pub struct Subnet {
    pub subnet_id: Principal,
    /// Current time, ns since the Unix epoch.
    pub time_nanos: u64,
    /// Time of the last round (`tick`; the initial time before the first): the next runs at least 1 ns later.
    pub last_round_nanos: Option<u64>,
    pub canisters: BTreeMap<CanisterId, Canister>,
    /// Ids ever used (a deleted canister's id is never reused).
    pub used_ids: BTreeSet<CanisterId>,
    pub next_canister_index: u64,
    /// Deterministic randomness (raw_rand): seeded at construction.
    pub rng: ChaCha20Rng,
    pub config: SubnetConfig,
    pub(crate) scheduler: Scheduler,
    /// The subnet's root and node keys (`crate::certification`), from the seed; `subnet_id` derives from them.
    pub keys: Arc<crate::certification::SubnetKeys>,
}

impl Subnet {
    pub fn canister(&self, id: &CanisterId) -> Option<&Canister> {
        self.canisters.get(id)
    }

    pub fn canister_mut(&mut self, id: &CanisterId) -> Option<&mut Canister> {
        self.canisters.get_mut(id)
    }

    /// Allocates the next free canister id of this subnet's range.
    pub fn allocate_canister_id(&mut self) -> CanisterId {
        loop {
            let id = canister_id_from_index(self.next_canister_index);
            self.next_canister_index += 1;
            if !self.used_ids.contains(&id) {
                return id;
            }
        }
    }
}

/// The IC's canister id layout: 8-byte big-endian index followed by the "opaque id" class bytes 0x01 0x01.
pub fn canister_id_from_index(index: u64) -> CanisterId {
    let mut bytes = index.to_be_bytes().to_vec();
    bytes.extend_from_slice(&[0x01, 0x01]);
    Principal::from_slice(&bytes)
}
