//! `icrc2_transfer_from`: a spender moves tokens out of an account within its allowance. The allowance is reduced by
//! the amount plus the fee (a burn to the minting account is free and uses only the amount). A spender acting on its
//! own account needs no allowance, as with `icrc1_transfer`.

use super::dedup::{Dedup, RequestHash};
use super::keys::{AccountKey, AllowanceKey, StoredAllowance};
use super::transfer::Movement;
use super::{Ledger, LedgerError, Operation, StoredTx};
use candid::Principal;
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use token_api::{amount_u128, error_codes, TransferFromArgs};

impl<M: Memory> Ledger<M> {
    pub fn transfer_from(&mut self, caller: Principal, args: &TransferFromArgs, now: u64) -> Result<u64, LedgerError> {
        self.housekeeping(now);
        let spender = Account { owner: caller, subaccount: args.spender_subaccount };
        let dedup = args.created_at_time.map(|created_at_time| Dedup {
            created_at_time,
            hash: RequestHash::new("icrc2_transfer_from")
                .account(&spender)
                .account(&args.from)
                .account(&args.to)
                .nat(&args.amount)
                .opt_nat(args.fee.as_ref())
                .memo(args.memo.as_ref())
                .opt_u64(args.created_at_time)
                .finish(),
        });
        self.check_request(args.memo.as_ref(), dedup, now)?;
        let movement = match self.movement(&args.from, &args.to)? {
            Movement::Mint => {
                return Err(LedgerError::generic(
                    error_codes::INVALID_ACCOUNTS,
                    "the minting account cannot be the source of transfer_from; mint with icrc1_transfer",
                ))
            }
            other => other,
        };
        self.check_fee(&movement, args.fee.as_ref())?;
        self.check_duplicate(dedup)?;

        let (amount, fee) = match movement {
            Movement::Burn => (Some(self.check_burn_amount(&args.from, &args.amount)?), 0),
            _ => (amount_u128(&args.amount), self.config().transfer_fee),
        };
        // `None`: the amount plus the fee exceeds u128::MAX, more than any allowance or balance.
        let debit = amount.and_then(|a| a.checked_add(fee));
        let allowance_key = AllowanceKey { account: AccountKey::from(&args.from), spender: AccountKey::from(&spender) };
        let allowance = (args.from != spender).then(|| self.current_allowance(&allowance_key, now));
        if let Some(allowance) = allowance {
            if debit.is_none_or(|d| d > allowance.amount) {
                return Err(LedgerError::InsufficientAllowance { allowance: allowance.amount });
            }
        }
        self.check_funds(&args.from, debit)?;
        let (amount, debit) = (amount.unwrap_or_default(), debit.unwrap_or_default());

        let spender_field = allowance.is_some().then_some(spender);
        let operation = match movement {
            Movement::Burn => Operation::Burn { from: args.from, spender: spender_field, amount },
            _ => Operation::Transfer { from: args.from, to: args.to, spender: spender_field, amount, fee },
        };
        let tx = StoredTx {
            operation,
            timestamp: now,
            created_at_time: args.created_at_time,
            memo: args.memo.clone().map(|m| m.0),
            fee_in_request: Some(args.fee.is_some()),
        };
        let index = self.commit(tx, dedup)?;
        if let Some(allowance) = allowance {
            let remaining = StoredAllowance { amount: allowance.amount - debit, expires_at: allowance.expires_at };
            self.set_allowance(allowance_key, remaining);
        }
        Ok(index)
    }
}
