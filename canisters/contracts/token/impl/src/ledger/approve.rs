//! ICRC-2 approvals: `icrc2_approve`, `icrc2_allowance`, and the allowance bookkeeping `transfer_from` uses.
//! An allowance whose `expires_at` has passed counts as zero; expired entries are deleted a few at a time.

use super::dedup::{Dedup, RequestHash};
use super::keys::{AccountKey, AllowanceExpiry, AllowanceKey, StoredAllowance};
use super::{Ledger, LedgerError, Operation, StoredTx};
use candid::{Nat, Principal};
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use token_api::{amount_u128, error_codes, Allowance, AllowanceArgs, ApproveArgs};

/// Expired allowances deleted per update call.
const PRUNE_PER_CALL: usize = 20;

impl<M: Memory> Ledger<M> {
    pub fn approve(&mut self, caller: Principal, args: &ApproveArgs, now: u64) -> Result<u64, LedgerError> {
        self.housekeeping(now);
        let from = Account { owner: caller, subaccount: args.from_subaccount };
        if from == self.config().minting_account {
            return Err(LedgerError::generic(
                error_codes::INVALID_ACCOUNTS,
                "the minting account cannot approve spenders",
            ));
        }
        if args.spender.owner == caller {
            return Err(LedgerError::generic(
                error_codes::INVALID_ACCOUNTS,
                "the spender's owner is the caller: approving one's own accounts is not allowed",
            ));
        }
        let dedup = args.created_at_time.map(|created_at_time| Dedup {
            created_at_time,
            hash: RequestHash::new("icrc2_approve")
                .account(&from)
                .account(&args.spender)
                .nat(&args.amount)
                .opt_nat(args.expected_allowance.as_ref())
                .opt_u64(args.expires_at)
                .opt_nat(args.fee.as_ref())
                .memo(args.memo.as_ref())
                .opt_u64(args.created_at_time)
                .finish(),
        });
        self.check_request(args.memo.as_ref(), dedup, now)?;
        let fee = self.config().transfer_fee;
        if let Some(given) = &args.fee {
            if amount_u128(given) != Some(fee) {
                return Err(LedgerError::BadFee { expected_fee: fee });
            }
        }
        self.check_duplicate(dedup)?;
        if let Some(expires_at) = args.expires_at {
            if expires_at <= now {
                return Err(LedgerError::Expired { ledger_time: now });
            }
        }
        let key = AllowanceKey { account: AccountKey::from(&from), spender: AccountKey::from(&args.spender) };
        let current = self.current_allowance(&key, now);
        if let Some(expected) = &args.expected_allowance {
            if amount_u128(expected) != Some(current.amount) {
                return Err(LedgerError::AllowanceChanged { current_allowance: current.amount });
            }
        }
        self.check_funds(&from, Some(fee))?;
        // An allowance above u128::MAX can never be exhausted anyway: store the largest representable one.
        let amount = amount_u128(&args.amount).unwrap_or(u128::MAX);

        let tx = StoredTx {
            operation: Operation::Approve {
                from,
                spender: args.spender,
                amount,
                expected_allowance: args.expected_allowance.as_ref().and_then(amount_u128),
                expires_at: args.expires_at,
                fee,
            },
            timestamp: now,
            created_at_time: args.created_at_time,
            memo: args.memo.clone().map(|m| m.0),
            fee_in_request: Some(args.fee.is_some()),
        };
        let index = self.commit(tx, dedup)?;
        self.set_allowance(key, StoredAllowance { amount, expires_at: args.expires_at });
        Ok(index)
    }

    pub fn allowance(&self, args: &AllowanceArgs, now: u64) -> Allowance {
        let key = AllowanceKey { account: AccountKey::from(&args.account), spender: AccountKey::from(&args.spender) };
        let current = self.current_allowance(&key, now);
        Allowance { allowance: Nat::from(current.amount), expires_at: current.expires_at }
    }

    /// Number of stored (non-zero) allowances, expired ones not yet deleted included.
    pub fn allowance_entries(&self) -> u64 {
        self.allowances.len()
    }

    /// The allowance in force: zero (and no expiry) when none was given or it has expired.
    pub(super) fn current_allowance(&self, key: &AllowanceKey, now: u64) -> StoredAllowance {
        match self.allowances.get(key) {
            Some(a) if a.expires_at.is_none_or(|at| at > now) => a,
            _ => StoredAllowance { amount: 0, expires_at: None },
        }
    }

    /// Replaces an allowance and its expiry index entry; a zero allowance is deleted.
    pub(super) fn set_allowance(&mut self, key: AllowanceKey, allowance: StoredAllowance) {
        if let Some(old) = self.allowances.get(&key) {
            if let Some(at) = old.expires_at {
                self.allowance_expiries.remove(&AllowanceExpiry { at, key });
            }
        }
        if allowance.amount == 0 {
            self.allowances.remove(&key);
            return;
        }
        self.allowances.insert(key, allowance);
        if let Some(at) = allowance.expires_at {
            self.allowance_expiries.insert(AllowanceExpiry { at, key }, ());
        }
    }

    pub(super) fn prune_expired_allowances(&mut self, now: u64) {
        for _ in 0..PRUNE_PER_CALL {
            match self.allowance_expiries.first_key_value() {
                Some((entry, ())) if entry.at <= now => {
                    self.allowance_expiries.remove(&entry);
                    self.allowances.remove(&entry.key);
                }
                _ => break,
            }
        }
    }
}
