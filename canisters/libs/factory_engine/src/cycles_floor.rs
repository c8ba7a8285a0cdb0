//! The least `initial_cycles` a factory accepts: enough for a new contract to stay above its freezing threshold for
//! its first 30 days with no top-up, so a paid deployment never hands over a canister that freezes at once.
//!
//! A canister is frozen when its balance falls below what it would burn idle during its freezing threshold
//! (30 days by default, which is what the factory creates canisters with). Idle burn is storage: 127,000 cycles per
//! GiB and second on a 13-node application subnet (`/work/shared/ic-reference.md`, §4). To be above the threshold
//! after 30 days, a contract needs 30 days of burn for the threshold plus 30 days of burn it spends, on its memory:
//! the module plus a working-memory estimate, plus what its install (init) execution costs.

/// Storage price on a 13-node application subnet, cycles per GiB per second.
pub const STORAGE_CYCLES_PER_GIB_SECOND: u128 = 127_000;
/// Memory a fresh contract uses besides its module. ic-stable-structures' memory manager gives each virtual memory
/// a first bucket of 8 MiB as soon as it is written; 256 MiB covers 30 such memories plus heap, with room to grow.
pub const WORKING_MEMORY_ESTIMATE: u64 = 256 * 1024 * 1024;
/// The freezing threshold the factory creates canisters with (the IC's default).
pub const FREEZING_THRESHOLD_SECONDS: u128 = 30 * 86_400;
/// How long the contract must stay above its threshold without a top-up.
pub const RUNWAY_SECONDS: u128 = 30 * 86_400;
/// The install's own execution, paid from the new canister's balance: an init of up to 100 B instructions (at the
/// reference's 1 cycle per instruction; a third of the 300 B install limit, the token's init takes well under 1 B).
pub const INSTALL_ALLOWANCE: u128 = 100_000_000_000;

const GIB: u128 = 1024 * 1024 * 1024;

/// The floor for a module of `module_bytes` (as uploaded to the registry). About 265 B cycles for a small module,
/// 283 B at the registry's default 30 MiB limit.
pub fn min_initial_cycles(module_bytes: u64) -> u128 {
    let bytes = u128::from(module_bytes) + u128::from(WORKING_MEMORY_ESTIMATE);
    bytes * STORAGE_CYCLES_PER_GIB_SECOND * (FREEZING_THRESHOLD_SECONDS + RUNWAY_SECONDS) / GIB + INSTALL_ALLOWANCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_covers_sixty_days_of_storage_and_the_install() {
        // 0.25 GiB * 127,000 * 5,184,000 s = 164.592 B, plus the install allowance.
        assert_eq!(min_initial_cycles(0), 164_592_000_000 + INSTALL_ALLOWANCE);
        let big = min_initial_cycles(30 * 1024 * 1024);
        assert!(big > min_initial_cycles(600_000) && big < 300_000_000_000, "{big}");
        assert!(crate::api::FactoryConfig::default().default_initial_cycles >= big);
    }
}
