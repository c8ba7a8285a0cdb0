//! Vesting arithmetic, exact in integers: how many periods have elapsed at a time, what a recipient has vested after
//! `k` periods, and how many claims (each paying one ledger fee) a recipient can make at most.

use distribution_api::{Schedule, VestingSchedule};

/// Number of release periods of a schedule: 1 for an airdrop.
pub fn periods(schedule: &Schedule) -> u32 {
    match schedule {
        Schedule::Airdrop => 1,
        Schedule::Vesting(v) => v.periods,
    }
}

/// Periods elapsed at `now` for a schedule that is running (an airdrop: all of its one period). Nothing before the
/// cliff; then `floor(min(now - start, duration) * periods / duration)`.
pub fn elapsed_periods(schedule: &Schedule, now: u64) -> u32 {
    let Schedule::Vesting(v) = schedule else { return 1 };
    if now < v.start_time.saturating_add(v.cliff) {
        return 0;
    }
    periods_at_offset(v, now - v.start_time)
}

fn periods_at_offset(v: &VestingSchedule, offset: u64) -> u32 {
    if v.duration == 0 {
        // Refused by validation; a schedule without duration vests at once.
        return v.periods;
    }
    let elapsed = u128::from(offset.min(v.duration));
    // elapsed < 2^64 and periods < 2^32: the product fits in 128 bits; the quotient is at most `periods`.
    let k = elapsed * u128::from(v.periods) / u128::from(v.duration);
    u32::try_from(k).unwrap_or(v.periods).min(v.periods)
}

/// `floor(allocation * k / periods)` without overflow, for `k <= periods`: with `allocation = q * periods + r`,
/// it is `q * k + floor(r * k / periods)`, and `r * k < periods^2` fits.
pub fn vested_amount(allocation: u128, k: u32, periods: u32) -> u128 {
    if periods == 0 || k >= periods {
        return allocation;
    }
    let (p, k) = (u128::from(periods), u128::from(k));
    (allocation / p) * k + (allocation % p) * k / p
}

/// The most claims one recipient can make, hence the fees to set aside for it: one per period from the first
/// period that can vest anything (the cliff's, or the first) to the last.
pub fn max_claims(schedule: &Schedule) -> u32 {
    let Schedule::Vesting(v) = schedule else { return 1 };
    let first = periods_at_offset(v, v.cliff).max(1);
    v.periods - first + 1
}

/// When a funded distribution becomes Active: at once for an airdrop, at `start_time` for vesting.
pub fn active_from(schedule: &Schedule, funded_at: u64) -> u64 {
    match schedule {
        Schedule::Airdrop => funded_at,
        Schedule::Vesting(v) => v.start_time.max(funded_at),
    }
}

/// The first time after `now` at which more periods have elapsed, `None` once everything is vested.
pub fn next_release(schedule: &Schedule, now: u64) -> Option<u64> {
    let Schedule::Vesting(v) = schedule else { return None };
    let k = elapsed_periods(schedule, now);
    if k >= v.periods {
        return None;
    }
    let cliff_at = v.start_time.saturating_add(v.cliff);
    // The smallest offset t with floor(t * periods / duration) >= k + 1: ceil((k + 1) * duration / periods).
    let (d, p) = (u128::from(v.duration), u128::from(v.periods));
    let offset = (u128::from(k + 1) * d).div_ceil(p);
    let at = v.start_time.saturating_add(u64::try_from(offset).unwrap_or(u64::MAX));
    Some(at.max(cliff_at))
}

#[cfg(test)]
mod tests;
