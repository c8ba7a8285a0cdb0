//! Stable memory layout shared by the runtime and the contract kind it runs in.
//!
//! One `MemoryManager` over the canister's stable memory hands out virtual memories by `MemoryId`.
//! Ids are split so that the runtime and a kind never collide, and an id is never reused for another purpose, even
//! after the structure that used it is retired (old stable memory would be read as the new structure otherwise):
//!
//! | id      | owner   | what |
//! |---------|---------|------|
//! | 0       | runtime | owner principal (`StableCell`) |
//! | 1       | runtime | factory principal, `None` for a hand-installed contract (`StableCell`) |
//! | 2       | runtime | installed version, semver text (`StableCell`) |
//! | 3       | runtime | schema version of the kind's stable data (`StableCell<u32>`) |
//! | 4, 5    | runtime | install history, index and data (`StableLog`) |
//! | 6       | runtime | deployment notice: pending (attempts, next due) / delivered / given up (`StableCell`) |
//! | 7..=9   | runtime | reserved, unused |
//! | 10..    | kind    | the contract kind's own structures; each kind names its ids in its own `memory.rs` |

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;
use std::cell::RefCell;

pub const OWNER: MemoryId = MemoryId::new(0);
pub const FACTORY: MemoryId = MemoryId::new(1);
pub const INSTALLED_VERSION: MemoryId = MemoryId::new(2);
pub const SCHEMA_VERSION: MemoryId = MemoryId::new(3);
pub const INSTALL_HISTORY_INDEX: MemoryId = MemoryId::new(4);
pub const INSTALL_HISTORY_DATA: MemoryId = MemoryId::new(5);
pub const DEPLOYMENT_NOTICE: MemoryId = MemoryId::new(6);

/// The first id a contract kind may use; every id below it belongs to the runtime.
pub const FIRST_KIND_MEMORY_ID: u8 = 10;

/// A virtual memory of the canister's stable memory (a `VectorMemory` in native builds).
pub type Memory = VirtualMemory<DefaultMemoryImpl>;

thread_local! {
    static MEMORY_MANAGER: RefCell<MemoryManager<DefaultMemoryImpl>> =
        RefCell::new(MemoryManager::init(DefaultMemoryImpl::default()));
}

/// The runtime's own memories. Only this crate calls it.
pub(crate) fn runtime_memory(id: MemoryId) -> Memory {
    MEMORY_MANAGER.with(|m| m.borrow().get(id))
}

/// A memory for the contract kind's own structures.
///
/// # Panics
/// When `id` is one of the runtime's reserved ids (below [`FIRST_KIND_MEMORY_ID`]): that is a programming error in
/// the kind, caught the first time its state is touched (in every test), never a runtime input.
pub fn kind_memory(id: u8) -> Memory {
    assert!(
        id >= FIRST_KIND_MEMORY_ID,
        "memory id {id} is reserved for the contract runtime; contract kinds use ids from {FIRST_KIND_MEMORY_ID} up"
    );
    runtime_memory(MemoryId::new(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "reserved for the contract runtime")]
    fn kinds_cannot_take_runtime_ids() {
        kind_memory(9);
    }

    #[test]
    fn kind_ids_are_separate_memories() {
        use ic_stable_structures::Memory as _;
        let a = kind_memory(10);
        let b = kind_memory(11);
        a.grow(1);
        a.write(0, b"kind ten");
        b.grow(1);
        let mut buf = [0u8; 8];
        b.read(0, &mut buf);
        assert_eq!(buf, [0u8; 8]);
    }
}
