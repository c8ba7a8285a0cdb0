//! The few facts endpoints take from the IC. Logic never calls these: it receives their values as arguments, so it
//! runs natively in unit tests. Calling these outside a canister panics.

use crate::Caller;
use candid::{Nat, Principal};

/// The caller of the current message, with whether it controls this canister.
pub fn caller() -> Caller {
    let principal = ic_cdk::api::msg_caller();
    Caller { principal, is_controller: ic_cdk::api::is_controller(&principal) }
}

pub fn now() -> u64 {
    ic_cdk::api::time()
}

pub fn canister_id() -> Principal {
    ic_cdk::api::canister_self()
}

pub fn cycles() -> Nat {
    Nat::from(ic_cdk::api::canister_cycle_balance())
}

/// Heap plus stable memory in bytes, as the canister itself sees them.
pub fn memory_bytes() -> u64 {
    const WASM_PAGE: u64 = 64 * 1024;
    #[cfg(target_arch = "wasm32")]
    let heap = core::arch::wasm32::memory_size(0) as u64 * WASM_PAGE;
    #[cfg(not(target_arch = "wasm32"))]
    let heap = 0;
    heap + ic_cdk::api::stable_size() * WASM_PAGE
}

/// What a health report needs from the IC, read once by the endpoint and handed to the logic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeFacts {
    pub canister_id: Principal,
    pub cycles: Nat,
    pub memory_bytes: u64,
    pub now: u64,
}

pub fn runtime_facts() -> RuntimeFacts {
    RuntimeFacts { canister_id: canister_id(), cycles: cycles(), memory_bytes: memory_bytes(), now: now() }
}

impl RuntimeFacts {
    /// The health report of `service` (whose code is at `version`): healthy when `problems` is empty, in which case
    /// the message is `summary`; otherwise the problems, joined.
    pub fn health_report(
        &self,
        service: &str,
        version: &str,
        problems: Vec<String>,
        summary: impl FnOnce() -> String,
    ) -> fleet_api::ServiceHealth {
        let healthy = problems.is_empty();
        fleet_api::ServiceHealth {
            service: service.into(),
            canister_id: self.canister_id,
            healthy,
            cycles: self.cycles.clone(),
            memory_bytes: self.memory_bytes,
            version: version.into(),
            message: if healthy { summary() } else { problems.join("; ") },
            checked_at: self.now,
        }
    }
}
