//! Transaction deduplication (ICRC-1): a request that carries `created_at_time` is applied at most once within the
//! transaction window. A request is identified by the hash of the caller and every argument field exactly as sent
//! (ICRC-1: a duplicate is a structurally equal payload), so a retry after a lost reply gets
//! `Duplicate { duplicate_of }` with the index of the original, and two spellings of the same value are two requests:
//! a `null` and an `opt [0; 32]` subaccount, a `null` and a spelled-out fee, a `null` and an empty memo.
//!
//! Stored keys: the dedup map is `[u8; 32] -> u64` (hash -> transaction index), whatever the hashing. Until token 1.0.0
//! was changed to hash as sent, subaccounts were hashed in their effective form (`null` as 32 zero bytes); an entry
//! written that way is never misread after an upgrade, it can only fail to match a request hashed the new way. The
//! one thing that costs: a request applied before such an upgrade and re-sent after it, inside its 24 h + drift window,
//! would be applied again. No token version has been released with the old hashing (`migrations/` and
//! `wasm-registry/` hold none), so no deployed ledger has such entries; once a version is released, a change of this
//! hashing must keep looking up the old key for one window after the upgrade.

use super::error::LedgerError;
use super::keys::DedupExpiry;
use super::Ledger;
use candid::Nat;
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::{Account, Subaccount};
use icrc_ledger_types::icrc1::transfer::Memo;
use sha2::{Digest, Sha256};
use token_api::{PERMITTED_DRIFT_NANOS, TRANSACTION_WINDOW_NANOS};

/// Dedup entries forgotten per update call: enough to keep up with any sustained rate of calls, small enough to keep
/// every call cheap.
const PRUNE_PER_CALL: usize = 20;

/// Refuses a `created_at_time` outside `[now - window - drift, now + drift]`.
pub fn check_time(created_at_time: Option<u64>, now: u64) -> Result<(), LedgerError> {
    let Some(created) = created_at_time else { return Ok(()) };
    if created.saturating_add(TRANSACTION_WINDOW_NANOS).saturating_add(PERMITTED_DRIFT_NANOS) < now {
        return Err(LedgerError::TooOld);
    }
    if created > now.saturating_add(PERMITTED_DRIFT_NANOS) {
        return Err(LedgerError::CreatedInFuture { ledger_time: now });
    }
    Ok(())
}

/// Builds the identity of a request. Every field is written with a tag or a length, so different requests cannot
/// produce the same byte stream.
pub struct RequestHash(Sha256);

impl RequestHash {
    pub fn new(method: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update((method.len() as u32).to_be_bytes());
        hasher.update(method.as_bytes());
        Self(hasher)
    }

    /// An account as sent: `null` and `opt [0; 32]` are different requests although they name the same account.
    /// The caller's own account is its principal with the `from_subaccount` / `spender_subaccount` argument as sent.
    pub fn account(mut self, account: &Account) -> Self {
        let owner = account.owner.as_slice();
        self.0.update([owner.len() as u8]);
        self.0.update(owner);
        self.opt_subaccount(account.subaccount.as_ref())
    }

    fn opt_subaccount(self, subaccount: Option<&Subaccount>) -> Self {
        match subaccount {
            Some(s) => {
                let mut this = self.tag(1);
                this.0.update(s);
                this
            }
            None => self.tag(0),
        }
    }

    pub fn nat(mut self, value: &Nat) -> Self {
        let bytes = value.0.to_bytes_be();
        self.0.update((bytes.len() as u32).to_be_bytes());
        self.0.update(&bytes);
        self
    }

    pub fn opt_nat(self, value: Option<&Nat>) -> Self {
        match value {
            Some(v) => self.tag(1).nat(v),
            None => self.tag(0),
        }
    }

    pub fn opt_u64(self, value: Option<u64>) -> Self {
        match value {
            Some(v) => {
                let mut this = self.tag(1);
                this.0.update(v.to_be_bytes());
                this
            }
            None => self.tag(0),
        }
    }

    pub fn memo(mut self, memo: Option<&Memo>) -> Self {
        match memo {
            Some(m) => {
                self = self.tag(1);
                self.0.update((m.0.len() as u32).to_be_bytes());
                self.0.update(m.0.as_slice());
                self
            }
            None => self.tag(0),
        }
    }

    fn tag(mut self, tag: u8) -> Self {
        self.0.update([tag]);
        self
    }

    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// A request that will be remembered once applied.
#[derive(Clone, Copy, Debug)]
pub struct Dedup {
    pub created_at_time: u64,
    pub hash: [u8; 32],
}

impl<M: Memory> Ledger<M> {
    /// `Duplicate` when the same request was already applied inside the window. Requests without `created_at_time`
    /// are never deduplicated.
    pub(super) fn check_duplicate(&self, dedup: Option<Dedup>) -> Result<(), LedgerError> {
        match dedup.and_then(|d| self.dedup.get(&d.hash)) {
            Some(duplicate_of) => Err(LedgerError::Duplicate { duplicate_of }),
            None => Ok(()),
        }
    }

    pub(super) fn remember(&mut self, dedup: Option<Dedup>, index: u64) {
        if let Some(d) = dedup {
            self.dedup.insert(d.hash, index);
            self.dedup_expiries.insert(DedupExpiry { created_at_time: d.created_at_time, hash: d.hash }, ());
        }
    }

    /// Forgets requests whose `created_at_time` has left the window: they would be refused as `TooOld` anyway.
    pub(super) fn prune_dedup(&mut self, now: u64) {
        let horizon = now.saturating_sub(TRANSACTION_WINDOW_NANOS).saturating_sub(PERMITTED_DRIFT_NANOS);
        for _ in 0..PRUNE_PER_CALL {
            match self.dedup_expiries.first_key_value() {
                Some((entry, ())) if entry.created_at_time < horizon => {
                    self.dedup_expiries.remove(&entry);
                    self.dedup.remove(&entry.hash);
                }
                _ => break,
            }
        }
    }

    /// Number of requests currently remembered for deduplication.
    pub fn dedup_entries(&self) -> u64 {
        self.dedup.len()
    }
}
