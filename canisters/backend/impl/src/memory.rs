//! Every stable memory region of the backend, named once. Ids are never reused.

use ic_stable_structures::memory_manager::MemoryId;

pub const SCHEMA_VERSION: MemoryId = MemoryId::new(0);
pub const ADMINS: MemoryId = MemoryId::new(1);
/// The access-control writer list; the backend has no writers, the region is reserved so the id is never reused.
pub const WRITERS_UNUSED: MemoryId = MemoryId::new(2);
pub const SETTINGS: MemoryId = MemoryId::new(3);
pub const CONFIG: MemoryId = MemoryId::new(4);
pub const DEPLOYMENTS: MemoryId = MemoryId::new(5);
pub const DEPLOYMENTS_BY_USER: MemoryId = MemoryId::new(6);
/// Deployments not yet in a final stage: what the reconciliation timer looks at.
pub const OPEN_DEPLOYMENTS: MemoryId = MemoryId::new(7);
pub const OUTBOX: MemoryId = MemoryId::new(8);
/// Outbox entries the storage refused with a typed error: kept for operators, never retried.
pub const DEAD_LETTERS: MemoryId = MemoryId::new(9);
