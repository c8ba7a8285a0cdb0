//! Validation of the wallet's init arguments. The factory runs [`validate`] before it takes a canister for the
//! deployment; the contract runs [`validate_init`] again in `init` and refuses the install on error. Every message
//! names the field and says what is wrong.

use crate::{MultisigArgs, MultisigInit, MAX_EXPIRY_SECONDS, MAX_SIGNERS, MIN_EXPIRY_SECONDS};
use candid::Principal;
use fleet_api::FleetError;
use std::collections::BTreeSet;

/// Checks the wallet's own arguments.
pub fn validate(args: &MultisigArgs) -> Result<(), FleetError> {
    fleet_api::label::validate_label("name", &args.name)?;
    validate_signers(&args.signers, args.threshold)?;
    if let Some(seconds) = args.default_expiry_seconds {
        if !(MIN_EXPIRY_SECONDS..=MAX_EXPIRY_SECONDS).contains(&seconds) {
            return Err(invalid(format!(
                "default_expiry_seconds: {seconds} is outside {MIN_EXPIRY_SECONDS}..={MAX_EXPIRY_SECONDS}"
            )));
        }
    }
    Ok(())
}

/// Checks the whole init argument: the owner and the wallet's arguments. The version is checked by the contract
/// runtime.
pub fn validate_init(init: &MultisigInit) -> Result<(), FleetError> {
    if init.owner == Principal::anonymous() {
        return Err(invalid("owner: the anonymous principal cannot own a wallet"));
    }
    validate(&init.args)
}

/// A signer set: 1 ..= [`MAX_SIGNERS`] distinct, non-anonymous principals, and a threshold of 1 ..= their number.
pub fn validate_signers(signers: &[Principal], threshold: u32) -> Result<(), FleetError> {
    if signers.is_empty() {
        return Err(invalid("signers: empty; a wallet needs at least one signer"));
    }
    if signers.len() > MAX_SIGNERS {
        return Err(invalid(format!("signers: {} listed, at most {MAX_SIGNERS} are allowed", signers.len())));
    }
    let mut seen = BTreeSet::new();
    for (i, signer) in signers.iter().enumerate() {
        if *signer == Principal::anonymous() {
            return Err(invalid(format!("signers[{i}]: the anonymous principal cannot be a signer")));
        }
        if *signer == Principal::management_canister() {
            return Err(invalid(format!("signers[{i}]: the management canister cannot be a signer")));
        }
        if !seen.insert(*signer) {
            return Err(invalid(format!("signers[{i}]: {signer} is listed more than once")));
        }
    }
    if threshold == 0 {
        return Err(invalid("threshold: 0; at least one approval is needed"));
    }
    if threshold as usize > signers.len() {
        return Err(invalid(format!("threshold: {threshold} is more than the {} signers", signers.len())));
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> FleetError {
    FleetError::InvalidInput(message.into())
}

#[cfg(test)]
mod tests;
