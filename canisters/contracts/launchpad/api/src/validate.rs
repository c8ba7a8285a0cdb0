//! Validation of the launchpad's init arguments, and the sale's arithmetic. The backend and the factory run
//! [`validate_init`] and [`validate_window`] (with their clock) before anything is charged or deployed; the contract
//! runs both again in `init` and refuses the install on error. Every message names the field and says what is wrong.

use crate::{
    LaunchpadArgs, LaunchpadInit, Price, VestingSchedule, MAX_PERIODS, MAX_PRINCIPALS_PER_BATCH,
    MAX_SALE_DURATION_NANOS, MAX_START_DELAY_NANOS,
};
use candid::{Nat, Principal};
use fleet_api::FleetError;
use num_traits::ToPrimitive;
use std::collections::BTreeSet;

/// A candid `nat` as a `u128`, `None` when it does not fit.
pub fn amount_u128(amount: &Nat) -> Option<u128> {
    amount.0.to_u128()
}

/// The sale tokens `contributed` payment buys: `floor(contributed * price.tokens / price.payment)`. Exact for every
/// contribution up to the hard cap (validation checks `hard_cap * price.tokens` fits in 128 bits); saturates beyond.
pub fn tokens_for(contributed: u128, price: &Price) -> u128 {
    let (payment, tokens) = price.parts();
    if payment == 0 {
        return 0;
    }
    contributed.checked_mul(tokens).map_or(u128::MAX, |product| product / payment)
}

/// The part of `tokens` vested at `now` for a sale that ended at `end_time`: everything without vesting.
pub fn vested(tokens: u128, vesting: Option<&VestingSchedule>, end_time: u64, now: u64) -> u128 {
    let Some(v) = vesting else { return tokens };
    if now < end_time.saturating_add(v.cliff) || v.duration == 0 || v.periods == 0 {
        return 0;
    }
    let elapsed = (now - end_time).min(v.duration);
    let periods = u128::from(v.periods);
    let k = u128::from(elapsed) * periods / u128::from(v.duration);
    // floor(tokens * k / periods) without overflow: tokens = q * periods + r.
    (tokens / periods) * k + (tokens % periods) * k / periods
}

/// Checks the launchpad's own arguments (everything but the clock: see [`validate_window`]).
pub fn validate(args: &LaunchpadArgs) -> Result<(), FleetError> {
    fleet_api::label::validate_label("name", &args.name)?;
    for (field, ledger) in [("sale_ledger", args.sale_ledger), ("payment_ledger", args.payment_ledger)] {
        if ledger == Principal::anonymous() || ledger == Principal::management_canister() {
            return Err(invalid(format!("{field}: {ledger} is not a canister that can hold a ledger")));
        }
    }
    if args.sale_ledger == args.payment_ledger {
        return Err(invalid("payment_ledger: the same ledger as sale_ledger; a sale needs two different tokens"));
    }
    let price_payment = positive("price.payment", &args.price.payment)?;
    let price_tokens = positive("price.tokens", &args.price.tokens)?;
    let hard = positive("hard_cap", &args.hard_cap)?;
    let soft = fits("soft_cap", &args.soft_cap)?;
    let min = positive("min_per_buyer", &args.min_per_buyer)?;
    let max = positive("max_per_buyer", &args.max_per_buyer)?;
    if soft > hard {
        return Err(invalid(format!("soft_cap: {soft} is above the hard cap {hard}")));
    }
    if min > max {
        return Err(invalid(format!("min_per_buyer: {min} is above max_per_buyer {max}")));
    }
    if max > hard {
        return Err(invalid(format!("max_per_buyer: {max} is above the hard cap {hard}")));
    }
    if hard.checked_mul(price_tokens).is_none() {
        return Err(invalid(format!(
            "hard_cap: {hard} at a price of {price_tokens} tokens per {price_payment} buys more than 2^128 - 1 tokens"
        )));
    }
    if tokens_for(min, &args.price) == 0 {
        return Err(invalid(format!(
            "min_per_buyer: {min} buys no token at a price of {price_tokens} tokens per {price_payment}"
        )));
    }
    if args.end_time <= args.start_time {
        return Err(invalid(format!(
            "end_time: {} is not after start_time {}; a sale must end after it starts",
            args.end_time, args.start_time
        )));
    }
    if args.end_time - args.start_time > MAX_SALE_DURATION_NANOS {
        return Err(invalid(format!("end_time: the sale would last more than {MAX_SALE_DURATION_NANOS} ns")));
    }
    if let Some(list) = &args.allow_list {
        validate_allow_list("allow_list", list)?;
    }
    if let Some(v) = &args.vesting {
        validate_vesting(v, args.end_time)?;
    }
    Ok(())
}

/// Checks the whole init argument: the owner and the launchpad's arguments. The version is checked by the contract
/// runtime, the clock by [`validate_window`].
pub fn validate_init(init: &LaunchpadInit) -> Result<(), FleetError> {
    if init.owner == Principal::anonymous() {
        return Err(invalid("owner: the anonymous principal cannot own a launchpad"));
    }
    validate(&init.args)
}

/// Checks the sale's window against the clock at creation: it has not started yet, and starts within
/// [`MAX_START_DELAY_NANOS`].
pub fn validate_window(args: &LaunchpadArgs, now: u64) -> Result<(), FleetError> {
    if args.start_time < now {
        return Err(invalid(format!(
            "start_time: {} is in the past (now {now}); a sale starts after its creation",
            args.start_time
        )));
    }
    if args.start_time - now > MAX_START_DELAY_NANOS {
        return Err(invalid(format!("start_time: more than {MAX_START_DELAY_NANOS} ns from now")));
    }
    Ok(())
}

fn validate_vesting(v: &VestingSchedule, end_time: u64) -> Result<(), FleetError> {
    if v.duration == 0 {
        return Err(invalid("vesting.duration: 0; vesting must end after it starts"));
    }
    if end_time.checked_add(v.duration).is_none() {
        return Err(invalid("vesting.duration: ends beyond the last representable time"));
    }
    if v.cliff > v.duration {
        return Err(invalid(format!("vesting.cliff: {} ns is after the end of vesting ({} ns)", v.cliff, v.duration)));
    }
    if v.periods == 0 || v.periods > MAX_PERIODS {
        return Err(invalid(format!("vesting.periods: {} is outside 1..={MAX_PERIODS}", v.periods)));
    }
    if u64::from(v.periods) > v.duration {
        return Err(invalid(format!("vesting.periods: {} periods do not fit in {} ns", v.periods, v.duration)));
    }
    Ok(())
}

/// A batch of allow-listed principals: at most [`MAX_PRINCIPALS_PER_BATCH`], none anonymous, each once.
pub fn validate_allow_list(field: &str, list: &[Principal]) -> Result<(), FleetError> {
    if list.len() > MAX_PRINCIPALS_PER_BATCH {
        return Err(invalid(format!(
            "{field}: {} principals in one batch, at most {MAX_PRINCIPALS_PER_BATCH} (add the rest with addToAllowList)",
            list.len()
        )));
    }
    let mut seen = BTreeSet::new();
    for (i, p) in list.iter().enumerate() {
        if *p == Principal::anonymous() {
            return Err(invalid(format!("{field}[{i}]: the anonymous principal cannot buy")));
        }
        if !seen.insert(*p) {
            return Err(invalid(format!("{field}[{i}]: {p} is listed more than once")));
        }
    }
    Ok(())
}

fn fits(field: &str, amount: &Nat) -> Result<u128, FleetError> {
    amount_u128(amount).ok_or_else(|| invalid(format!("{field}: {amount} does not fit in 128 bits")))
}

fn positive(field: &str, amount: &Nat) -> Result<u128, FleetError> {
    match fits(field, amount)? {
        0 => Err(invalid(format!("{field}: 0; it must be above 0"))),
        v => Ok(v),
    }
}

fn invalid(message: impl Into<String>) -> FleetError {
    FleetError::InvalidInput(message.into())
}

#[cfg(test)]
mod tests;
