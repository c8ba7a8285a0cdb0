//! Every stable memory region of audit_storage, named once. Ids are never reused: a retired region keeps its id
//! reserved so that old data is never read as something else.

use ic_stable_structures::memory_manager::MemoryId;

/// Ids 0 to 2 are the storage skeleton's: the schema version, the admins and the writers.
pub use service_base::storage::{
    ADMINS_MEMORY as ADMINS, SCHEMA_VERSION_MEMORY as SCHEMA_VERSION, WRITERS_MEMORY as WRITERS,
};
pub const EVENT_LOG_INDEX: MemoryId = MemoryId::new(3);
pub const EVENT_LOG_DATA: MemoryId = MemoryId::new(4);
pub const EVENTS_BY_USER: MemoryId = MemoryId::new(5);
pub const EVENTS_BY_CONTRACT: MemoryId = MemoryId::new(6);
pub const EVENTS_BY_ACTION: MemoryId = MemoryId::new(7);
pub const EVENTS_BY_REQUEST_ID: MemoryId = MemoryId::new(8);
