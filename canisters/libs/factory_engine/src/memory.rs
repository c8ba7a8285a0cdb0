//! Every stable-memory region of a factory, named once. Ids are never reused: a retired structure keeps its id
//! forever so that an old layout can never be read as a new one.

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::Memory;

pub const SCHEMA_VERSION: MemoryId = MemoryId::new(0);
pub const CONFIG: MemoryId = MemoryId::new(1);
pub const ADMINS: MemoryId = MemoryId::new(2);
pub const WHITELIST: MemoryId = MemoryId::new(3);
pub const RELEASE_PRINCIPALS: MemoryId = MemoryId::new(4);
pub const VERSIONS: MemoryId = MemoryId::new(5);
pub const CHUNKS: MemoryId = MemoryId::new(6);
pub const REGISTRY_META: MemoryId = MemoryId::new(7);
pub const CONTRACTS: MemoryId = MemoryId::new(8);
pub const MEMBERSHIPS: MemoryId = MemoryId::new(9);
pub const USER_COUNTS: MemoryId = MemoryId::new(10);
pub const CONTRACT_PARTICIPANTS: MemoryId = MemoryId::new(11);
pub const REQUESTS: MemoryId = MemoryId::new(12);
pub const PENDING_DEPLOYMENTS: MemoryId = MemoryId::new(13);
pub const STATS: MemoryId = MemoryId::new(14);
pub const EVENTS_INDEX: MemoryId = MemoryId::new(15);
pub const EVENTS_DATA: MemoryId = MemoryId::new(16);
pub const DEPLOY_COUNTER: MemoryId = MemoryId::new(17);
/// The upgrade engine (`upgrade::store`): counters, rollouts, tasks, their state index, per-contract bookkeeping,
/// listed contracts, and the journal with its two indexes. 28..=39 stay reserved for it.
pub const UPGRADE_META: MemoryId = MemoryId::new(18);
pub const ROLLOUTS: MemoryId = MemoryId::new(19);
pub const UPGRADE_TASKS: MemoryId = MemoryId::new(20);
pub const TASKS_BY_STATE: MemoryId = MemoryId::new(21);
pub const CONTRACT_UPGRADES: MemoryId = MemoryId::new(22);
pub const ROLLOUT_LISTS: MemoryId = MemoryId::new(23);
pub const UPGRADE_JOURNAL_INDEX: MemoryId = MemoryId::new(24);
pub const UPGRADE_JOURNAL_DATA: MemoryId = MemoryId::new(25);
pub const JOURNAL_BY_ROLLOUT: MemoryId = MemoryId::new(26);
pub const JOURNAL_BY_CONTRACT: MemoryId = MemoryId::new(27);
/// Owner and argument hash of each idempotency key (`inflight`).
pub const REQUEST_KEYS: MemoryId = MemoryId::new(40);
/// Canisters kept from failed deployments for reuse (`spare`).
pub const SPARE_CANISTERS: MemoryId = MemoryId::new(41);
// 42..=49 are reserved for the engine's deployment bookkeeping.
/// sha256 of every received chunk, `(slot, index)`, kept out of the version records (`registry`).
pub const CHUNK_HASHES: MemoryId = MemoryId::new(50);
/// The registry's counters and newest release (`registry::RegistryIndex`).
pub const REGISTRY_INDEX: MemoryId = MemoryId::new(51);
/// Callback token buckets per contract (`callbacks`).
pub const CALLBACK_BUCKETS: MemoryId = MemoryId::new(52);
/// Visibility changes still being applied to participants' index entries (`contracts`).
pub const VISIBILITY_WORK: MemoryId = MemoryId::new(53);
// 54..=63 are reserved for the registry and the contract indexes; 64.. for a factory's own kind-specific state.

pub type Mem<M> = VirtualMemory<M>;

pub fn get<M: Memory>(manager: &MemoryManager<M>, id: MemoryId) -> Mem<M> {
    manager.get(id)
}
