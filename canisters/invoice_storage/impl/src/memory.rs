//! Every stable memory region of invoice_storage, named once. Ids are never reused.

use ic_stable_structures::memory_manager::MemoryId;

/// Ids 0 to 2 are the storage skeleton's: the schema version, the admins and the writers.
pub use service_base::storage::{
    ADMINS_MEMORY as ADMINS, SCHEMA_VERSION_MEMORY as SCHEMA_VERSION, WRITERS_MEMORY as WRITERS,
};
pub const INVOICES: MemoryId = MemoryId::new(3);
pub const INVOICES_BY_USER: MemoryId = MemoryId::new(4);
pub const INVOICES_BY_STATUS: MemoryId = MemoryId::new(5);
pub const STATUS_COUNTS: MemoryId = MemoryId::new(6);
pub const HISTORY: MemoryId = MemoryId::new(7);
pub const REQUEST_IDS: MemoryId = MemoryId::new(8);
