//! Fixed-size stable encodings of the ledger's keys and allowance values. Hand-written rather than candid: keys are
//! compared and stored millions of times, and a fixed size lets the B-tree store them inline.

use candid::Principal;
use ic_stable_structures::storable::{Bound, Storable};
use icrc_ledger_types::icrc1::account::{Account, Subaccount};
use std::borrow::Cow;

/// An account in canonical form: the default subaccount is stored as 32 zero bytes whether the caller wrote `null` or
/// the zeros, so both spellings are the same balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccountKey {
    pub owner: Principal,
    pub subaccount: Subaccount,
}

const PRINCIPAL_MAX: usize = 29;
const ACCOUNT_KEY_SIZE: usize = 1 + PRINCIPAL_MAX + 32;

impl AccountKey {
    #[cfg(test)]
    pub fn account(&self) -> Account {
        Account { owner: self.owner, subaccount: (self.subaccount != [0; 32]).then_some(self.subaccount) }
    }

    fn write(&self, out: &mut Vec<u8>) {
        let owner = self.owner.as_slice();
        out.push(owner.len() as u8);
        out.extend_from_slice(owner);
        out.resize(out.len() + PRINCIPAL_MAX - owner.len(), 0);
        out.extend_from_slice(&self.subaccount);
    }

    fn read(bytes: &[u8]) -> Self {
        let len = (bytes[0] as usize).min(PRINCIPAL_MAX);
        let owner = Principal::from_slice(&bytes[1..1 + len]);
        let mut subaccount = [0u8; 32];
        subaccount.copy_from_slice(&bytes[1 + PRINCIPAL_MAX..ACCOUNT_KEY_SIZE]);
        Self { owner, subaccount }
    }
}

impl From<&Account> for AccountKey {
    fn from(account: &Account) -> Self {
        Self { owner: account.owner, subaccount: *account.effective_subaccount() }
    }
}

impl Storable for AccountKey {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ACCOUNT_KEY_SIZE);
        self.write(&mut out);
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        Self::read(&bytes)
    }
    const BOUND: Bound = Bound::Bounded { max_size: ACCOUNT_KEY_SIZE as u32, is_fixed_size: true };
}

/// Who may spend from which account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AllowanceKey {
    pub account: AccountKey,
    pub spender: AccountKey,
}

impl Storable for AllowanceKey {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 * ACCOUNT_KEY_SIZE);
        self.account.write(&mut out);
        self.spender.write(&mut out);
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        Self {
            account: AccountKey::read(&bytes[..ACCOUNT_KEY_SIZE]),
            spender: AccountKey::read(&bytes[ACCOUNT_KEY_SIZE..]),
        }
    }
    const BOUND: Bound = Bound::Bounded { max_size: 2 * ACCOUNT_KEY_SIZE as u32, is_fixed_size: true };
}

/// An allowance as stored. Zero allowances are never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredAllowance {
    pub amount: u128,
    pub expires_at: Option<u64>,
}

impl Storable for StoredAllowance {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(25);
        out.extend_from_slice(&self.amount.to_be_bytes());
        out.push(self.expires_at.is_some() as u8);
        out.extend_from_slice(&self.expires_at.unwrap_or(0).to_be_bytes());
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let amount = u128::from_be_bytes(bytes[..16].try_into().unwrap_or([0; 16]));
        let at = u64::from_be_bytes(bytes[17..25].try_into().unwrap_or([0; 8]));
        Self { amount, expires_at: (bytes[16] == 1).then_some(at) }
    }
    const BOUND: Bound = Bound::Bounded { max_size: 25, is_fixed_size: true };
}

/// Index of allowances by expiry time, to delete expired ones in time order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AllowanceExpiry {
    pub at: u64,
    pub key: AllowanceKey,
}

impl Storable for AllowanceExpiry {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let mut out = self.at.to_be_bytes().to_vec();
        out.extend(self.key.into_bytes());
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let at = u64::from_be_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
        Self { at, key: AllowanceKey::from_bytes(Cow::Borrowed(&bytes[8..])) }
    }
    const BOUND: Bound = Bound::Bounded { max_size: 8 + 2 * ACCOUNT_KEY_SIZE as u32, is_fixed_size: true };
}

/// Index of deduplication entries by `created_at_time`, to forget them once they leave the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DedupExpiry {
    pub created_at_time: u64,
    pub hash: [u8; 32],
}

impl Storable for DedupExpiry {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let mut out = self.created_at_time.to_be_bytes().to_vec();
        out.extend_from_slice(&self.hash);
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let created_at_time = u64::from_be_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&bytes[8..40]);
        Self { created_at_time, hash }
    }
    const BOUND: Bound = Bound::Bounded { max_size: 40, is_fixed_size: true };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(owner_len: usize, sub: u8) -> AccountKey {
        AccountKey { owner: Principal::from_slice(&vec![7; owner_len]), subaccount: [sub; 32] }
    }

    #[test]
    fn keys_round_trip_for_every_principal_length() {
        for len in [0, 1, 10, 29] {
            let k = key(len, 3);
            assert_eq!(AccountKey::from_bytes(k.to_bytes()), k);
            let a = AllowanceKey { account: k, spender: key(29 - len, 4) };
            assert_eq!(AllowanceKey::from_bytes(a.to_bytes()), a);
            let e = AllowanceExpiry { at: 99, key: a };
            assert_eq!(AllowanceExpiry::from_bytes(e.to_bytes()), e);
        }
    }

    #[test]
    fn default_subaccount_spellings_are_one_key() {
        let owner = Principal::from_slice(&[1; 29]);
        let implicit = AccountKey::from(&Account { owner, subaccount: None });
        let explicit = AccountKey::from(&Account { owner, subaccount: Some([0; 32]) });
        assert_eq!(implicit, explicit);
        assert_eq!(implicit.account().subaccount, None);
    }

    #[test]
    fn allowance_values_round_trip() {
        for value in [
            StoredAllowance { amount: u128::MAX, expires_at: None },
            StoredAllowance { amount: 1, expires_at: Some(0) },
            StoredAllowance { amount: 5, expires_at: Some(u64::MAX) },
        ] {
            assert_eq!(StoredAllowance::from_bytes(value.to_bytes()), value);
        }
        let d = DedupExpiry { created_at_time: 5, hash: [9; 32] };
        assert_eq!(DedupExpiry::from_bytes(d.to_bytes()), d);
    }
}
