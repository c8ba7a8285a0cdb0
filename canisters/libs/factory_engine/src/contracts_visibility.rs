//! Visibility changes, applied in bounded batches.
//!
//! The user index copies a contract's visibility into every member's entry and keeps per-user private counts, so that
//! `getMyContracts` filters and totals for any viewer in O(log n + page) without reading contract records. The price
//! is that a visibility change touches every participant's entry and counts: up to `MAX_PARTICIPANTS` of them, more
//! than one message should do. So `set_visibility` changes the record, the creator's entry and the factory's counts at
//! once, applies the first `VISIBILITY_BATCH` participants, and leaves the rest as a work item (`VisibilityWork`, in
//! stable memory, so it survives an upgrade); `propagate_visibility` continues it, a batch at a time, from the
//! endpoint that made the change (one batch per message execution) and from every later callback.
//!
//! Reading visibility from the record at page time instead would make the page cost a record read per skipped entry
//! and make a stranger's total a scan of the user's entries, which a phishing contract can make as long as it likes.
//! The batched copy keeps paging cheap; the one cost is that, until a change is propagated, a participant's entry
//! shows the previous visibility (`getContract` answers from the record at once). Each entry and its count change
//! together, so counts stay exact at every step; a second change before the first is done restarts the walk with the
//! new target (entries already at the target are skipped).

use candid::Principal;
use fleet_api::FleetError;
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, Storable};
use std::borrow::Cow;
use std::ops::Bound as RangeBound;

use super::{index_key, ContractStore};
use crate::codec::{bounded, put_principal, take_principal, MAX_PRINCIPAL_LEN};

/// Participants' entries updated per batch: about 4 stable-map operations each, a few hundred million instructions
/// a batch at most, far below one message's limit.
pub const VISIBILITY_BATCH: usize = 500;

/// A visibility change not yet applied to every participant: the target, and the last participant done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VisibilityWork {
    pub is_public: bool,
    pub after: Option<Principal>,
}

impl Storable for VisibilityWork {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let mut out = vec![u8::from(self.is_public) | (u8::from(self.after.is_some()) << 1)];
        if let Some(after) = &self.after {
            put_principal(&mut out, after);
        }
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let after = (bytes[0] & 2 != 0).then(|| take_principal(&bytes[1..]).0);
        Self { is_public: bytes[0] & 1 != 0, after }
    }
    const BOUND: Bound = bounded(2 + MAX_PRINCIPAL_LEN as u32);
}

impl<M: Memory> ContractStore<M> {
    /// Makes `contract` public or private: the record, the creator's entry and the counts now, its participants'
    /// entries in batches (the first one now). Returns whether participants remain to be updated.
    pub fn set_visibility(&mut self, contract: &Principal, is_public: bool) -> Result<bool, FleetError> {
        let mut record = self.require(contract)?;
        if record.is_public == is_public {
            return Ok(self.visibility_pending() > 0);
        }
        record.is_public = is_public;
        self.set_entry_visibility(record.owner, record.seq, is_public);
        if record.participants > 0 {
            self.visibility_work.insert(record.seq, VisibilityWork { is_public, after: None });
        }
        self.records.insert(record.id, record);
        self.update_stats(|s| {
            s.private_contracts =
                if is_public { s.private_contracts.saturating_sub(1) } else { s.private_contracts + 1 }
        });
        Ok(self.propagate_visibility(VISIBILITY_BATCH))
    }

    /// Applies up to `budget` participants' entries of the pending visibility changes, oldest contract first.
    /// Returns whether work remains.
    pub fn propagate_visibility(&mut self, mut budget: usize) -> bool {
        while budget > 0 {
            let Some((seq, work)) = self.visibility_work.first_key_value() else { return false };
            let start = match work.after {
                Some(after) => RangeBound::Excluded((seq, after)),
                None => RangeBound::Included((seq, Principal::management_canister())), // the smallest principal
            };
            let batch: Vec<Principal> = self
                .participants
                .keys_range((start, RangeBound::Unbounded))
                .take_while(|(s, _)| *s == seq)
                .take(budget)
                .map(|(_, user)| user)
                .collect();
            for user in &batch {
                self.set_entry_visibility(*user, seq, work.is_public);
            }
            budget -= batch.len();
            if budget == 0 && !batch.is_empty() {
                // Maybe more: remember where this batch ended.
                self.visibility_work.insert(seq, VisibilityWork { after: batch.last().copied(), ..work });
            } else {
                self.visibility_work.remove(&seq);
            }
        }
        !self.visibility_work.is_empty()
    }

    /// Contracts whose visibility change is still being applied to participants' entries.
    pub fn visibility_pending(&self) -> u64 {
        self.visibility_work.len()
    }

    /// Sets one member's entry to `is_public` and moves their private count with it; no-op when already so.
    fn set_entry_visibility(&mut self, user: Principal, seq: u64, is_public: bool) {
        let key = index_key(user, seq);
        let Some(mut entry) = self.memberships.get(&key) else { return };
        if entry.is_public == is_public {
            return;
        }
        entry.is_public = is_public;
        self.memberships.insert(key, entry);
        let mut counts = self.user_counts.get(&user).unwrap_or_default();
        counts.private = if is_public { counts.private.saturating_sub(1) } else { counts.private + 1 };
        self.user_counts.insert(user, counts);
    }
}
