//! What the distribution stores: its configuration, its books (totals and counters), one record per recipient and
//! one per outgoing transfer.

use candid::{CandidType, Principal};
use distribution_api::{Account, DistributionStatus, Schedule, TransferInfo, TransferPurpose, TransferState};
use ic_stable_structures::storable::{Bound, Storable};
use serde::Deserialize;
use std::borrow::Cow;

/// Fixed at install.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub name: String,
    pub ledger: Principal,
    pub schedule: Schedule,
}

impl Default for Config {
    /// What an uninstalled contract reads; `status` reports it as not installed.
    fn default() -> Self {
        Self { name: String::new(), ledger: Principal::management_canister(), schedule: Schedule::Airdrop }
    }
}

/// The distribution's totals. Invariant (checked by `Distribution::check_books`):
/// `held >= owed + transfer_fee * reserved_claims + pending_total` once funded, where `owed` is the sum over recipients
/// of (cap - claimed), the cap being the allocation (after a cancel: what had vested), and `reserved_claims` the sum of
/// each recipient's fees still set aside.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Books {
    pub status: Status,
    /// The ledger fee fixed at funding (`None` before the first `checkFunding`: the last fee read in Created).
    pub fee: Option<u128>,
    /// Tokens held by the books: the balance at the last exact `checkFunding` less executed transfers and their fees.
    pub held: u128,
    pub allocation_total: u128,
    pub claimed_total: u128,
    pub owed_total: u128,
    pub reserved_claims: u128,
    /// Amount plus fee of every pending transfer.
    pub pending_total: u128,
    pub pending_claims: u64,
    /// Transfers whose outcome a re-send cannot learn (kept in `pending_total`, no longer re-sent).
    pub needs_operator: u64,
    pub next_transfer_id: u64,
    /// Incremented whenever a transfer is recorded or settled: a balance read with no pending transfer and the same
    /// epoch before and after saw exactly what the books describe.
    pub transfer_epoch: u64,
    /// Recipients (in order) reported to the factory as participants.
    pub reported: u64,
    pub required_funding: Option<u128>,
    pub funded_at: Option<u64>,
    pub active_from: Option<u64>,
    pub cancelled_at: Option<u64>,
    /// Periods that had elapsed when the distribution was cancelled: each recipient's cap from then on.
    pub cancel_periods: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Created,
    Funded,
    Active,
    Completed,
    Cancelled,
}

impl From<Status> for DistributionStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Created => Self::Created,
            Status::Funded => Self::Funded,
            Status::Active => Self::Active,
            Status::Completed => Self::Completed,
            Status::Cancelled => Self::Cancelled,
        }
    }
}

/// One recipient, 40 bytes in stable memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecipientRecord {
    pub allocation: u128,
    /// Claims with an open transfer included.
    pub claimed: u128,
    /// Fees still set aside for this recipient's claims to come.
    pub reserved: u32,
    /// Position in the order recipients were added.
    pub index: u32,
}

const RECIPIENT_BYTES: usize = 40;

impl Storable for RecipientRecord {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RECIPIENT_BYTES);
        out.extend_from_slice(&self.allocation.to_le_bytes());
        out.extend_from_slice(&self.claimed.to_le_bytes());
        out.extend_from_slice(&self.reserved.to_le_bytes());
        out.extend_from_slice(&self.index.to_le_bytes());
        out
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let b = bytes.as_ref();
        assert_eq!(b.len(), RECIPIENT_BYTES, "a recipient record is {RECIPIENT_BYTES} bytes");
        let u128_at = |i: usize| u128::from_le_bytes(b[i..i + 16].try_into().expect("16 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        Self { allocation: u128_at(0), claimed: u128_at(16), reserved: u32_at(32), index: u32_at(36) }
    }

    const BOUND: Bound = Bound::Bounded { max_size: RECIPIENT_BYTES as u32, is_fixed_size: true };
}

/// An outgoing transfer: the exact arguments sent (a re-send is identical) and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRecord {
    pub id: u64,
    pub purpose: TransferPurpose,
    pub to: Account,
    pub amount: u128,
    pub fee: u128,
    pub memo: serde_bytes::ByteBuf,
    pub created_at_time: u64,
    pub state: TransferState,
    /// Sends started so far. A definite refusal proves nothing moved only when no earlier send may have executed.
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl TransferRecord {
    pub fn info(&self) -> TransferInfo {
        TransferInfo {
            id: self.id,
            purpose: self.purpose,
            to: self.to,
            amount: self.amount.into(),
            fee: self.fee.into(),
            memo: self.memo.clone(),
            created_at_time: self.created_at_time,
            state: self.state.clone(),
        }
    }

    /// Amount plus fee: what the transfer takes from the contract's account when it executes.
    pub fn total(&self) -> u128 {
        self.amount.saturating_add(self.fee)
    }
}

/// The memo of transfer `id`: a fixed prefix and the id, so every transfer's memo differs and a re-send is the same.
pub fn transfer_memo(id: u64) -> Vec<u8> {
    let mut memo = b"fleet-distribution".to_vec();
    memo.extend_from_slice(&id.to_be_bytes());
    memo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_record_round_trips_in_40_bytes() {
        let r = RecipientRecord { allocation: u128::MAX, claimed: 7, reserved: 3_660, index: 9_999 };
        let bytes = r.into_bytes();
        assert_eq!(bytes.len(), 40);
        assert_eq!(RecipientRecord::from_bytes(Cow::Owned(bytes)), r);
    }

    #[test]
    fn memos_are_distinct_and_within_the_icrc1_minimum() {
        assert_ne!(transfer_memo(1), transfer_memo(2));
        assert!(transfer_memo(u64::MAX).len() <= 32);
    }
}
