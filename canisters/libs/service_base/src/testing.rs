//! Fixtures the storages' native tests share: numbered principals, the controller, the backend (the usual writer),
//! a stranger, the IC facts of a health report, and a freshly installed storage with the backend whitelisted.
//! Plain values, no IC calls; a canister that does not use them loses them to dead-code elimination.

use crate::ic_env::RuntimeFacts;
use crate::storage::StorageState;
use crate::Caller;
use candid::{Nat, Principal};

/// The principal numbered `n` (ten bytes of `n`): tests name their actors by number.
pub fn principal(n: u8) -> Principal {
    Principal::from_slice(&[n; 10])
}

/// The number of the canister's controller.
pub const CONTROLLER: u8 = 1;
/// The number of the backend, the writer the fleet whitelists.
pub const BACKEND: u8 = 2;
/// The number of a caller with no role at all.
pub const STRANGER: u8 = 99;

pub fn controller() -> Caller {
    Caller::controller(principal(CONTROLLER))
}

pub fn backend() -> Caller {
    Caller::user(principal(BACKEND))
}

pub fn stranger() -> Caller {
    Caller::user(principal(STRANGER))
}

/// The facts a health endpoint reads from the IC, at time `now`, for canister 50.
pub fn facts(now: u64) -> RuntimeFacts {
    RuntimeFacts { canister_id: principal(50), cycles: Nat::from(5u8), memory_bytes: 1, now }
}

/// `state` as `#[init]` leaves it (current schema), with the backend whitelisted by the controller.
pub fn installed_with_backend<S: StorageState>(mut state: S) -> S {
    state.mark_fresh_install();
    if let Err(e) = state.access_mut().add_writer(&controller(), principal(BACKEND), 0) {
        panic!("whitelisting the backend in a fresh {}: {e}", S::SERVICE_NAME);
    }
    state
}
