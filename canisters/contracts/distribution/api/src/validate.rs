//! Validation of the distribution's init arguments and recipient batches. The factory runs [`validate_init`] before
//! it takes a canister for the deployment; the contract runs it again in `init` and refuses the install on error,
//! and runs [`validate_batch`] on every `addRecipients`. Every message names the field and says what is wrong.

use crate::{DistributionArgs, DistributionInit, Schedule, VestingSchedule, MAX_PERIODS, MAX_RECIPIENTS_PER_BATCH};
use candid::{Nat, Principal};
use fleet_api::FleetError;
use num_traits::ToPrimitive;
use std::collections::BTreeSet;

/// A candid `nat` as a `u128`, `None` when it does not fit (no ICRC-1 amount can exceed 2^128 - 1 here).
pub fn amount_u128(amount: &Nat) -> Option<u128> {
    amount.0.to_u128()
}

/// Checks the distribution's own arguments.
pub fn validate(args: &DistributionArgs) -> Result<(), FleetError> {
    fleet_api::label::validate_label("name", &args.name)?;
    if args.ledger == Principal::anonymous() || args.ledger == Principal::management_canister() {
        return Err(invalid(format!("ledger: {} is not a canister that can hold a ledger", args.ledger)));
    }
    validate_schedule(&args.schedule)?;
    validate_batch("recipients", &args.recipients).map(|_| ())
}

/// Checks the whole init argument: the owner and the distribution's arguments. The version is checked by the
/// contract runtime.
pub fn validate_init(init: &DistributionInit) -> Result<(), FleetError> {
    if init.owner == Principal::anonymous() {
        return Err(invalid("owner: the anonymous principal cannot own a distribution"));
    }
    validate(&init.args)
}

pub fn validate_schedule(schedule: &Schedule) -> Result<(), FleetError> {
    let Schedule::Vesting(VestingSchedule { start_time, cliff, duration, periods }) = *schedule else {
        return Ok(());
    };
    if duration == 0 {
        return Err(invalid("schedule.duration: 0; a vesting schedule must end after it starts"));
    }
    if start_time.checked_add(duration).is_none() {
        return Err(invalid(format!(
            "schedule: start_time {start_time} + duration {duration} ends beyond the last representable time"
        )));
    }
    if cliff > duration {
        return Err(invalid(format!("schedule.cliff: {cliff} ns is after the end of the schedule ({duration} ns)")));
    }
    if periods == 0 || periods > MAX_PERIODS {
        return Err(invalid(format!("schedule.periods: {periods} is outside 1..={MAX_PERIODS}")));
    }
    if u64::from(periods) > duration {
        return Err(invalid(format!(
            "schedule.periods: {periods} periods do not fit in {duration} ns (a period lasts at least 1 ns)"
        )));
    }
    Ok(())
}

/// Checks one batch of recipients on its own (the contract checks it against the recipients it already has):
/// at most [`MAX_RECIPIENTS_PER_BATCH`], no anonymous principal, each listed once, amounts above 0 that fit in
/// 128 bits, and a total that fits too. Returns the batch's total. `field` names the argument in messages.
pub fn validate_batch(field: &str, recipients: &[(Principal, Nat)]) -> Result<u128, FleetError> {
    if recipients.len() > MAX_RECIPIENTS_PER_BATCH {
        return Err(invalid(format!(
            "{field}: {} recipients in one batch, at most {MAX_RECIPIENTS_PER_BATCH} are allowed (add the rest with \
             further addRecipients calls)",
            recipients.len()
        )));
    }
    let mut seen = BTreeSet::new();
    let mut total: u128 = 0;
    for (i, (recipient, amount)) in recipients.iter().enumerate() {
        if *recipient == Principal::anonymous() {
            return Err(invalid(format!("{field}[{i}]: the anonymous principal cannot claim")));
        }
        let Some(value) = amount_u128(amount) else {
            return Err(invalid(format!("{field}[{i}]: amount {amount} does not fit in 128 bits")));
        };
        if value == 0 {
            return Err(invalid(format!("{field}[{i}]: amount is 0")));
        }
        if !seen.insert(*recipient) {
            return Err(invalid(format!("{field}[{i}]: {recipient} is listed more than once")));
        }
        total = total
            .checked_add(value)
            .ok_or_else(|| invalid(format!("{field}: the total exceeds 2^128 - 1 at entry {i}")))?;
    }
    Ok(total)
}

fn invalid(message: impl Into<String>) -> FleetError {
    FleetError::InvalidInput(message.into())
}

#[cfg(test)]
mod tests;
