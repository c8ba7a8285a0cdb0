//! Validation of the DAO's init arguments and of its voting rules. The backend and the factory run
//! [`validate_init`] before anything is paid or created; the contract runs it again in `init` and refuses the install
//! on error; a `ChangeParameters` proposal is checked with [`validate_parameters`]. Every message names the field.

use crate::{
    DaoArgs, DaoInit, DaoParameters, BASIS_POINTS, MAX_LOCKS, MAX_LOCK_SECONDS, MAX_MULTIPLIER_BASIS_POINTS,
    MAX_VOTING_PERIOD_SECONDS, MIN_APPROVAL_THRESHOLD_BASIS_POINTS, MIN_MULTIPLIER_BASIS_POINTS,
    MIN_VOTING_PERIOD_SECONDS,
};
use candid::Principal;
use fleet_api::FleetError;
use num_traits::ToPrimitive;

/// Checks the DAO's own arguments.
pub fn validate(args: &DaoArgs) -> Result<(), FleetError> {
    fleet_api::label::validate_label("name", &args.name)?;
    let token = args.governance_token;
    if token == Principal::anonymous() || token == Principal::management_canister() {
        return Err(invalid(format!("governance_token: {token} is not a ledger canister")));
    }
    validate_parameters(&args.parameters)
}

/// Checks the whole init argument: the owner and the DAO's arguments. The version is checked by the contract runtime.
pub fn validate_init(init: &DaoInit) -> Result<(), FleetError> {
    if init.owner == Principal::anonymous() {
        return Err(invalid("owner: the anonymous principal cannot own a DAO"));
    }
    if init.factory.is_some_and(|f| f == init.args.governance_token) {
        return Err(invalid("governance_token: the factory is not a ledger"));
    }
    validate(&init.args)
}

/// Checks voting rules (init and `ChangeParameters`).
pub fn validate_parameters(p: &DaoParameters) -> Result<(), FleetError> {
    let period = p.voting_period_seconds;
    if !(MIN_VOTING_PERIOD_SECONDS..=MAX_VOTING_PERIOD_SECONDS).contains(&period) {
        return Err(invalid(format!(
            "parameters.voting_period_seconds: {period} is outside \
             {MIN_VOTING_PERIOD_SECONDS}..={MAX_VOTING_PERIOD_SECONDS}"
        )));
    }
    if !(1..=BASIS_POINTS).contains(&p.quorum_basis_points) {
        return Err(invalid(format!(
            "parameters.quorum_basis_points: {} is outside 1..={BASIS_POINTS}",
            p.quorum_basis_points
        )));
    }
    if !(MIN_APPROVAL_THRESHOLD_BASIS_POINTS..=BASIS_POINTS).contains(&p.approval_threshold_basis_points) {
        return Err(invalid(format!(
            "parameters.approval_threshold_basis_points: {} is outside \
             {MIN_APPROVAL_THRESHOLD_BASIS_POINTS}..={BASIS_POINTS} (at least a majority)",
            p.approval_threshold_basis_points
        )));
    }
    if p.min_stake_to_propose.0.to_u64().is_none() {
        return Err(invalid(format!(
            "parameters.min_stake_to_propose: {} does not fit in 64 bits",
            p.min_stake_to_propose
        )));
    }
    if p.locks.is_empty() || p.locks.len() > MAX_LOCKS {
        return Err(invalid(format!("parameters.locks: {} given, 1..={MAX_LOCKS} are allowed", p.locks.len())));
    }
    for (i, lock) in p.locks.iter().enumerate() {
        if lock.duration_seconds > MAX_LOCK_SECONDS {
            return Err(invalid(format!(
                "parameters.locks[{i}].duration_seconds: {} is more than {MAX_LOCK_SECONDS} (8 years)",
                lock.duration_seconds
            )));
        }
        let m = lock.multiplier_basis_points;
        if !(MIN_MULTIPLIER_BASIS_POINTS..=MAX_MULTIPLIER_BASIS_POINTS).contains(&m) {
            return Err(invalid(format!(
                "parameters.locks[{i}].multiplier_basis_points: {m} is outside \
                 {MIN_MULTIPLIER_BASIS_POINTS}..={MAX_MULTIPLIER_BASIS_POINTS} (1x to 10x)"
            )));
        }
        if let Some(previous) = i.checked_sub(1).map(|j| p.locks[j]) {
            if lock.duration_seconds <= previous.duration_seconds {
                return Err(invalid(format!(
                    "parameters.locks[{i}].duration_seconds: {} is not longer than the lock before it ({})",
                    lock.duration_seconds, previous.duration_seconds
                )));
            }
            if m < previous.multiplier_basis_points {
                return Err(invalid(format!(
                    "parameters.locks[{i}].multiplier_basis_points: {m} is less than the shorter lock's ({})",
                    previous.multiplier_basis_points
                )));
            }
        }
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> FleetError {
    FleetError::InvalidInput(message.into())
}

#[cfg(test)]
mod tests;
