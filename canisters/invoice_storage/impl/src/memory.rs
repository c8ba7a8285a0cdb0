//! Every stable memory region of invoice_storage, named once. Ids are never reused.

use ic_stable_structures::memory_manager::MemoryId;

pub const SCHEMA_VERSION: MemoryId = MemoryId::new(0);
pub const ADMINS: MemoryId = MemoryId::new(1);
pub const WRITERS: MemoryId = MemoryId::new(2);
pub const INVOICES: MemoryId = MemoryId::new(3);
pub const INVOICES_BY_USER: MemoryId = MemoryId::new(4);
pub const INVOICES_BY_STATUS: MemoryId = MemoryId::new(5);
pub const STATUS_COUNTS: MemoryId = MemoryId::new(6);
pub const HISTORY: MemoryId = MemoryId::new(7);
pub const REQUEST_IDS: MemoryId = MemoryId::new(8);
