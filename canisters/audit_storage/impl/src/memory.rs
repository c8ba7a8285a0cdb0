//! Every stable memory region of audit_storage, named once. Ids are never reused: a retired region keeps its id
//! reserved so that old data is never read as something else.

use ic_stable_structures::memory_manager::MemoryId;

pub const SCHEMA_VERSION: MemoryId = MemoryId::new(0);
pub const ADMINS: MemoryId = MemoryId::new(1);
pub const WRITERS: MemoryId = MemoryId::new(2);
pub const EVENT_LOG_INDEX: MemoryId = MemoryId::new(3);
pub const EVENT_LOG_DATA: MemoryId = MemoryId::new(4);
pub const EVENTS_BY_USER: MemoryId = MemoryId::new(5);
pub const EVENTS_BY_CONTRACT: MemoryId = MemoryId::new(6);
pub const EVENTS_BY_ACTION: MemoryId = MemoryId::new(7);
pub const EVENTS_BY_REQUEST_ID: MemoryId = MemoryId::new(8);
