//! `icrc1_transfer`: a transfer between accounts, a mint when the minting account sends, a burn when it receives.

use super::dedup::{Dedup, RequestHash};
use super::{Ledger, LedgerError, Operation, StoredTx};
use candid::{Nat, Principal};
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use token_api::{amount_u128, error_codes, TransferArg};

/// What a transfer-like request turns out to be once the minting account is taken into account.
pub(super) enum Movement {
    Mint,
    Burn,
    Transfer,
}

impl<M: Memory> Ledger<M> {
    pub fn transfer(&mut self, caller: Principal, arg: &TransferArg, now: u64) -> Result<u64, LedgerError> {
        self.housekeeping(now);
        let from = Account { owner: caller, subaccount: arg.from_subaccount };
        let dedup = arg.created_at_time.map(|created_at_time| Dedup {
            created_at_time,
            hash: RequestHash::new("icrc1_transfer")
                .account(&from)
                .account(&arg.to)
                .nat(&arg.amount)
                .opt_nat(arg.fee.as_ref())
                .memo(arg.memo.as_ref())
                .opt_u64(arg.created_at_time)
                .finish(),
        });
        self.check_request(arg.memo.as_ref(), dedup, now)?;
        let movement = self.movement(&from, &arg.to)?;
        self.check_fee(&movement, arg.fee.as_ref())?;
        self.check_duplicate(dedup)?;

        let operation = match movement {
            Movement::Mint => {
                let amount = amount_u128(&arg.amount)
                    .filter(|a| self.total_supply().checked_add(*a).is_some())
                    .ok_or_else(|| supply_overflow(&arg.amount, self.total_supply()))?;
                Operation::Mint { to: arg.to, amount }
            }
            Movement::Burn => {
                let amount = self.check_burn_amount(&from, &arg.amount)?;
                self.check_funds(&from, Some(amount))?;
                Operation::Burn { from, spender: None, amount }
            }
            Movement::Transfer => {
                let fee = self.config().transfer_fee;
                let amount = amount_u128(&arg.amount);
                self.check_funds(&from, amount.and_then(|a| a.checked_add(fee)))?;
                Operation::Transfer { from, to: arg.to, spender: None, amount: amount.unwrap_or_default(), fee }
            }
        };
        let tx = StoredTx {
            operation,
            timestamp: now,
            created_at_time: arg.created_at_time,
            memo: arg.memo.clone().map(|m| m.0),
            fee_in_request: Some(arg.fee.is_some()),
        };
        self.commit(tx, dedup)
    }

    /// Classifies a movement from `from` to `to`. The minting account cannot send to itself.
    pub(super) fn movement(&self, from: &Account, to: &Account) -> Result<Movement, LedgerError> {
        let minting = self.config().minting_account;
        match (*from == minting, *to == minting) {
            (true, true) => Err(LedgerError::generic(
                error_codes::INVALID_ACCOUNTS,
                "the minting account cannot transfer to itself",
            )),
            (true, false) => Ok(Movement::Mint),
            (false, true) => Ok(Movement::Burn),
            (false, false) => Ok(Movement::Transfer),
        }
    }

    /// A fee the caller names must be the one that applies: the transfer fee, or zero for mints and burns.
    pub(super) fn check_fee(&self, movement: &Movement, fee: Option<&Nat>) -> Result<(), LedgerError> {
        let expected_fee = match movement {
            Movement::Mint | Movement::Burn => 0,
            Movement::Transfer => self.config().transfer_fee,
        };
        match fee {
            Some(fee) if amount_u128(fee) != Some(expected_fee) => Err(LedgerError::BadFee { expected_fee }),
            _ => Ok(()),
        }
    }

    /// A burn must be at least the transfer fee, so burning is never a cheaper way to move value than a transfer.
    pub(super) fn check_burn_amount(&self, from: &Account, amount: &Nat) -> Result<u128, LedgerError> {
        let min_burn_amount = self.config().transfer_fee;
        match amount_u128(amount) {
            Some(a) if a >= min_burn_amount => Ok(a),
            Some(_) => Err(LedgerError::BadBurn { min_burn_amount }),
            // More than can exist, hence more than any balance.
            None => Err(LedgerError::InsufficientFunds { balance: self.balance_of(from) }),
        }
    }

    /// `InsufficientFunds` unless `from` holds `needed`. `None` stands for an amount beyond `u128::MAX`, which no
    /// balance can cover.
    pub(super) fn check_funds(&self, from: &Account, needed: Option<u128>) -> Result<(), LedgerError> {
        let balance = self.balance_of(from);
        match needed {
            Some(needed) if needed <= balance => Ok(()),
            _ => Err(LedgerError::InsufficientFunds { balance }),
        }
    }

    /// Bounded clean-up run by every update: forgets expired approvals and requests that left the dedup window.
    pub(super) fn housekeeping(&mut self, now: u64) {
        self.prune_dedup(now);
        self.prune_expired_allowances(now);
    }
}

fn supply_overflow(amount: &Nat, supply: u128) -> LedgerError {
    LedgerError::generic(
        error_codes::SUPPLY_OVERFLOW,
        format!("minting {amount} would take the total supply ({supply}) beyond 2^128 - 1"),
    )
}
