//! Every stable memory region of the backend, named once. Ids are never reused.

use ic_stable_structures::memory_manager::MemoryId;

pub const SCHEMA_VERSION: MemoryId = MemoryId::new(0);
pub const ADMINS: MemoryId = MemoryId::new(1);
/// The access-control writer list; the backend has no writers, the region is reserved so the id is never reused.
pub const WRITERS_UNUSED: MemoryId = MemoryId::new(2);
pub const SETTINGS: MemoryId = MemoryId::new(3);
pub const CONFIG: MemoryId = MemoryId::new(4);
/// Schema 1's deployment records; emptied by the migration to schema 2 (`deployment::legacy`).
pub const DEPLOYMENTS_V1: MemoryId = MemoryId::new(5);
pub const DEPLOYMENTS_BY_USER: MemoryId = MemoryId::new(6);
/// Deployments not yet in a final stage: what the reconciliation timer looks at.
pub const OPEN_DEPLOYMENTS: MemoryId = MemoryId::new(7);
pub const OUTBOX: MemoryId = MemoryId::new(8);
/// Outbox entries the storage refused with a typed error: kept for operators, never retried.
pub const DEAD_LETTERS: MemoryId = MemoryId::new(9);
/// Schema 2's deployment records (without their `createContract` argument).
pub const DEPLOYMENTS: MemoryId = MemoryId::new(10);
/// The candid `createContract` argument of each deployment, read only when it is sent.
pub const CONTRACT_ARGS: MemoryId = MemoryId::new(11);
/// Open deployments by (next attempt time, id): the timer reads only the due ones.
pub const DUE_DEPLOYMENTS: MemoryId = MemoryId::new(12);
/// Open deployments an operator must resolve.
pub const FLAGGED_DEPLOYMENTS: MemoryId = MemoryId::new(13);
/// Monotonic counters (outbox sequence, withdrawal ids) that never restart, unlike "last key + 1".
pub const COUNTERS: MemoryId = MemoryId::new(14);
/// Fee withdrawals (`withdrawFees`), each a ledger transfer kept until the ledger answers it.
pub const WITHDRAWALS: MemoryId = MemoryId::new(15);
