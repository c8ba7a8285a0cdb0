//! Validation of the token's init arguments. The factory runs [`validate`] before it takes a canister for the
//! deployment; the contract runs [`validate_init`] again in `init` and refuses the install on error. Every message
//! names the field and says what is wrong.

use crate::{
    TokenArgs, TokenInit, DEFAULT_MAX_MEMO_LENGTH, MAX_DECIMALS, MAX_INITIAL_BALANCES, MAX_LOGO_BYTES, MAX_MEMO_LENGTH,
    MAX_SYMBOL_CHARS,
};
use candid::{Nat, Principal};
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::account::Account;
use num_traits::ToPrimitive;
use std::collections::BTreeSet;

/// A candid `nat` as a `u128`, `None` when it does not fit (amounts beyond 2^128 - 1 cannot exist in this ledger).
pub fn amount_u128(amount: &Nat) -> Option<u128> {
    amount.0.to_u128()
}

/// Checks the token's own arguments.
pub fn validate(args: &TokenArgs) -> Result<(), FleetError> {
    fleet_api::label::validate_label("name", &args.name)?;
    validate_symbol(&args.symbol)?;
    if args.decimals > MAX_DECIMALS {
        return Err(invalid(format!("decimals: {} is more than the maximum of {MAX_DECIMALS}", args.decimals)));
    }
    if amount_u128(&args.transfer_fee).is_none() {
        return Err(invalid(format!("transfer_fee: {} does not fit in 128 bits", args.transfer_fee)));
    }
    if let Some(minting) = &args.minting_account {
        if minting.owner == Principal::anonymous() {
            return Err(invalid(
                "minting_account: the anonymous principal cannot be the minting account, anyone could mint",
            ));
        }
    }
    validate_initial_balances(args, args.minting_account.as_ref())?;
    if let Some(logo) = &args.logo {
        if logo.trim().is_empty() {
            return Err(invalid("logo: empty; leave it out instead"));
        }
        if logo.len() > MAX_LOGO_BYTES {
            return Err(invalid(format!("logo: {} bytes, at most {MAX_LOGO_BYTES} are allowed", logo.len())));
        }
    }
    if let Some(max_memo) = args.max_memo_length {
        if !(DEFAULT_MAX_MEMO_LENGTH..=MAX_MEMO_LENGTH).contains(&max_memo) {
            return Err(invalid(format!(
                "max_memo_length: {max_memo} is outside {DEFAULT_MAX_MEMO_LENGTH}..={MAX_MEMO_LENGTH} \
                 (ICRC-1 requires accepting memos of at least {DEFAULT_MAX_MEMO_LENGTH} bytes)"
            )));
        }
    }
    Ok(())
}

/// Checks the whole init argument: the token's arguments, the owner, and the initial balances against the effective
/// minting account (the owner's default account when none is given). The version is checked by the contract runtime.
pub fn validate_init(init: &TokenInit) -> Result<(), FleetError> {
    if init.owner == Principal::anonymous() {
        return Err(invalid("owner: the anonymous principal cannot own a token"));
    }
    validate(&init.args)?;
    let minting = init.args.minting_account.unwrap_or(Account { owner: init.owner, subaccount: None });
    validate_initial_balances(&init.args, Some(&minting))
}

fn validate_symbol(symbol: &str) -> Result<(), FleetError> {
    if symbol.is_empty() {
        return Err(invalid("symbol: empty"));
    }
    let chars = symbol.chars().count();
    if chars > MAX_SYMBOL_CHARS {
        return Err(invalid(format!(
            "symbol: `{symbol}` has {chars} characters, at most {MAX_SYMBOL_CHARS} are allowed"
        )));
    }
    if !symbol.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(invalid(format!("symbol: `{symbol}` may only contain ASCII letters, digits, `-`, `_` and `.`")));
    }
    if !symbol.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(format!("symbol: `{symbol}` has no letter or digit")));
    }
    Ok(())
}

fn validate_initial_balances(args: &TokenArgs, minting: Option<&Account>) -> Result<(), FleetError> {
    if args.initial_balances.len() > MAX_INITIAL_BALANCES {
        return Err(invalid(format!(
            "initial_balances: {} entries, at most {MAX_INITIAL_BALANCES} are allowed",
            args.initial_balances.len()
        )));
    }
    let mut seen = BTreeSet::new();
    let mut total: u128 = 0;
    for (i, (account, amount)) in args.initial_balances.iter().enumerate() {
        let Some(value) = amount_u128(amount) else {
            return Err(invalid(format!("initial_balances[{i}]: amount {amount} does not fit in 128 bits")));
        };
        if value == 0 {
            return Err(invalid(format!("initial_balances[{i}]: amount is zero; leave the account out")));
        }
        if minting == Some(account) {
            return Err(invalid(format!(
                "initial_balances[{i}]: {account} is the minting account, which cannot hold a balance"
            )));
        }
        // `Account` equality treats `None` and the all-zero subaccount as the same account.
        if !seen.insert(*account) {
            return Err(invalid(format!("initial_balances[{i}]: account {account} is listed more than once")));
        }
        total = total
            .checked_add(value)
            .ok_or_else(|| invalid(format!("initial_balances: the total supply exceeds 2^128 - 1 at entry {i}")))?;
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> FleetError {
    FleetError::InvalidInput(message.into())
}

#[cfg(test)]
mod tests;
