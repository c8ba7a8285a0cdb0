//! An in-memory ICRC-1/ICRC-2 ledger over accounts for the kinds' fake runtimes (multisig, DAO): the real ledger's
//! deduplication (same caller and arguments with a `created_at_time` within 24 hours → `Duplicate`, older → `TooOld`),
//! its fee, and every block in order. A kind's fake runtime owns one and adds its own faults and call records.

use super::DAY;
use candid::Nat;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct FakeLedger {
    pub fee: u128,
    pub balances: BTreeMap<Account, u128>,
    /// (owner, spender) → allowance.
    pub allowances: BTreeMap<(Account, Account), u128>,
    /// Every block: (from, to or spender, amount), in order.
    pub blocks: Vec<(Account, Account, u128)>,
    dedup: BTreeMap<String, u64>,
}

/// Why the deduplication check refused a call.
enum Dedup {
    TooOld,
    Duplicate(u64),
}

fn amount_of(nat: &Nat) -> u128 {
    u128::try_from(&nat.0).unwrap_or(u128::MAX)
}

impl FakeLedger {
    pub fn new(fee: u128) -> Self {
        Self { fee, ..Self::default() }
    }

    pub fn balance(&self, account: Account) -> u128 {
        self.balances.get(&account).copied().unwrap_or(0)
    }

    fn dedup_check(&self, key: &str, created_at_time: Option<u64>, now: u64) -> Result<(), Dedup> {
        let Some(at) = created_at_time else { return Ok(()) };
        if at.saturating_add(DAY) < now {
            return Err(Dedup::TooOld);
        }
        match self.dedup.get(key) {
            Some(block) => Err(Dedup::Duplicate(*block)),
            None => Ok(()),
        }
    }

    /// Appends a block, remembered for deduplication when the call had a `created_at_time`.
    fn record(&mut self, block: (Account, Account, u128), key: String, dedup: bool) -> Nat {
        self.blocks.push(block);
        let index = self.blocks.len() as u64 - 1;
        if dedup {
            self.dedup.insert(key, index);
        }
        Nat::from(index)
    }

    /// `icrc1_transfer` from `from` at time `now`.
    pub fn transfer(&mut self, from: Account, arg: &TransferArg, now: u64) -> Result<Nat, TransferError> {
        let key = format!("transfer {from} {arg:?}");
        match self.dedup_check(&key, arg.created_at_time, now) {
            Err(Dedup::TooOld) => return Err(TransferError::TooOld),
            Err(Dedup::Duplicate(block)) => return Err(TransferError::Duplicate { duplicate_of: Nat::from(block) }),
            Ok(()) => {}
        }
        if arg.fee.as_ref().is_some_and(|fee| amount_of(fee) != self.fee) {
            return Err(TransferError::BadFee { expected_fee: Nat::from(self.fee) });
        }
        let amount = amount_of(&arg.amount);
        let balance = self.balance(from);
        let Some(rest) = balance.checked_sub(amount.saturating_add(self.fee)) else {
            return Err(TransferError::InsufficientFunds { balance: Nat::from(balance) });
        };
        self.balances.insert(from, rest);
        *self.balances.entry(arg.to).or_default() += amount;
        Ok(self.record((from, arg.to, amount), key, arg.created_at_time.is_some()))
    }

    /// `icrc2_approve` by `from` at time `now` (the allowance is set, not added to; the fee is charged).
    pub fn approve(&mut self, from: Account, arg: &ApproveArgs, now: u64) -> Result<Nat, ApproveError> {
        let key = format!("approve {from} {arg:?}");
        match self.dedup_check(&key, arg.created_at_time, now) {
            Err(Dedup::TooOld) => return Err(ApproveError::TooOld),
            Err(Dedup::Duplicate(block)) => return Err(ApproveError::Duplicate { duplicate_of: Nat::from(block) }),
            Ok(()) => {}
        }
        let balance = self.balance(from);
        let Some(rest) = balance.checked_sub(self.fee) else {
            return Err(ApproveError::InsufficientFunds { balance: Nat::from(balance) });
        };
        self.balances.insert(from, rest);
        let amount = amount_of(&arg.amount);
        self.allowances.insert((from, arg.spender), amount);
        Ok(self.record((from, arg.spender, amount), key, arg.created_at_time.is_some()))
    }

    /// `icrc2_transfer_from` by `spender` at time `now` (amount and fee come out of the allowance).
    pub fn transfer_from(
        &mut self,
        spender: Account,
        arg: &TransferFromArgs,
        now: u64,
    ) -> Result<Nat, TransferFromError> {
        let key = format!("transfer_from {spender} {arg:?}");
        match self.dedup_check(&key, arg.created_at_time, now) {
            Err(Dedup::TooOld) => return Err(TransferFromError::TooOld),
            Err(Dedup::Duplicate(block)) => {
                return Err(TransferFromError::Duplicate { duplicate_of: Nat::from(block) })
            }
            Ok(()) => {}
        }
        let amount = amount_of(&arg.amount);
        let needed = amount.saturating_add(self.fee);
        let allowance = self.allowances.get(&(arg.from, spender)).copied().unwrap_or(0);
        if allowance < needed {
            return Err(TransferFromError::InsufficientAllowance { allowance: Nat::from(allowance) });
        }
        let balance = self.balance(arg.from);
        if balance < needed {
            return Err(TransferFromError::InsufficientFunds { balance: Nat::from(balance) });
        }
        self.allowances.insert((arg.from, spender), allowance - needed);
        self.balances.insert(arg.from, balance - needed);
        *self.balances.entry(arg.to).or_default() += amount;
        Ok(self.record((arg.from, arg.to, amount), key, arg.created_at_time.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Principal;

    fn account(n: u8) -> Account {
        Account { owner: Principal::from_slice(&[n; 29]), subaccount: None }
    }

    fn transfer(to: u8, amount: u64, created_at_time: Option<u64>) -> TransferArg {
        TransferArg {
            from_subaccount: None,
            to: account(to),
            fee: None,
            created_at_time,
            memo: None,
            amount: Nat::from(amount),
        }
    }

    #[test]
    fn a_resent_transfer_is_a_duplicate_within_the_window_and_too_old_after_it() {
        let mut ledger = FakeLedger::new(10);
        ledger.balances.insert(account(1), 1_000);
        let arg = transfer(2, 100, Some(5));
        assert_eq!(ledger.transfer(account(1), &arg, 5), Ok(Nat::from(0u8)));
        assert_eq!(
            ledger.transfer(account(1), &arg, 6),
            Err(TransferError::Duplicate { duplicate_of: Nat::from(0u8) })
        );
        assert_eq!(ledger.transfer(account(1), &arg, 6 + DAY), Err(TransferError::TooOld));
        assert_eq!((ledger.balance(account(1)), ledger.balance(account(2))), (890, 100));
        // Without a created_at_time nothing is deduplicated.
        let plain = transfer(2, 100, None);
        ledger.transfer(account(1), &plain, 7).unwrap();
        ledger.transfer(account(1), &plain, 7).unwrap();
        assert_eq!(ledger.blocks.len(), 3);
    }

    #[test]
    fn transfer_from_spends_the_allowance_with_the_fee() {
        let mut ledger = FakeLedger::new(10);
        ledger.balances.insert(account(1), 1_000);
        let approve = ApproveArgs {
            from_subaccount: None,
            spender: account(3),
            amount: Nat::from(110u8),
            expected_allowance: None,
            expires_at: None,
            fee: None,
            memo: None,
            created_at_time: None,
        };
        ledger.approve(account(1), &approve, 1).unwrap();
        let arg = TransferFromArgs {
            spender_subaccount: None,
            from: account(1),
            to: account(3),
            amount: Nat::from(100u8),
            fee: None,
            memo: None,
            created_at_time: None,
        };
        assert_eq!(ledger.transfer_from(account(3), &arg, 2), Ok(Nat::from(1u8)));
        assert_eq!(ledger.allowances.get(&(account(1), account(3))), Some(&0));
        assert!(matches!(
            ledger.transfer_from(account(3), &arg, 3),
            Err(TransferFromError::InsufficientAllowance { .. })
        ));
        assert_eq!((ledger.balance(account(1)), ledger.balance(account(3))), (880, 100));
    }
}
