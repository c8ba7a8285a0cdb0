//! Cycle fees of a 13-node application subnet (rs/config subnet_config.rs), simplified: the emulator charges
//! message execution, call transmission and creation, and derives the freezing reserve from memory and the
//! freezing threshold. Compute/memory allocation and reservation mechanics are not modelled.

pub use crate::state::CANISTER_CREATION_FEE;

pub const UPDATE_MESSAGE_FEE: u128 = 5_000_000;
pub const XNET_CALL_FEE: u128 = 260_000;
pub const XNET_BYTE_FEE: u128 = 1_000;
/// Storage: 127,000 cycles per GiB per second.
const STORAGE_FEE_PER_GIB_SECOND: u128 = 127_000;
const MAX_RESPONSE_BYTES: u128 = 2 * 1024 * 1024;
const MAX_INSTRUCTIONS_PER_MESSAGE: u128 = 40_000_000_000;

/// Fee for executing a replicated message that used `instructions` (4 cycles per 10 instructions).
pub fn execution_fee(instructions: u64) -> u128 {
    UPDATE_MESSAGE_FEE + instructions as u128 * 4 / 10
}

/// Fee charged to the caller when a call is sent.
pub fn xnet_call_fee(bytes: usize) -> u128 {
    XNET_CALL_FEE + XNET_BYTE_FEE * bytes as u128
}

/// `ic0.cost_call`: sending the request, plus the largest response and its execution.
pub fn cost_call(method_name_size: u64, payload_size: u64) -> u128 {
    let request = xnet_call_fee(method_name_size.saturating_add(payload_size) as usize);
    request + XNET_BYTE_FEE * MAX_RESPONSE_BYTES + execution_fee(MAX_INSTRUCTIONS_PER_MESSAGE as u64)
}

/// `ic0.cost_http_request` (the replica's formula for a 13-node subnet).
pub fn cost_http_request(request_size: u64, max_response_bytes: u64) -> u128 {
    let n = 13u128;
    (3_000_000 + 60_000 * n) * n + 400 * n * request_size as u128 + 800 * n * max_response_bytes as u128
}

/// Cycles a canister of `memory_bytes` burns per day while idle.
pub fn idle_cycles_per_day(memory_bytes: u64) -> u128 {
    memory_bytes as u128 * STORAGE_FEE_PER_GIB_SECOND * 86_400 / (1u128 << 30)
}

/// Balance below which the canister is frozen: what it would burn idle during `freezing_threshold` seconds.
pub fn freeze_reserve(memory_bytes: u64, freezing_threshold_seconds: u64) -> u128 {
    idle_cycles_per_day(memory_bytes) * freezing_threshold_seconds as u128 / 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_self_call_is_affordable_with_default_balance() {
        // ic-cdk-timers refuses to schedule unless liquid balance >= cost_call(len(method), 8).
        let cost = cost_call("<ic-cdk internal> timer_executor".len() as u64, 8);
        assert!(cost < 100_000_000_000_000 - freeze_reserve(100 << 20, 2_592_000));
    }

    #[test]
    fn freeze_reserve_grows_with_memory_and_threshold() {
        assert_eq!(freeze_reserve(0, 2_592_000), 0);
        assert!(freeze_reserve(1 << 30, 2_592_000) > freeze_reserve(1 << 20, 2_592_000));
        assert_eq!(freeze_reserve(1 << 30, 1), 127_000);
    }
}
