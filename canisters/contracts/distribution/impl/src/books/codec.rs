//! The byte layouts of the books and of transfer records. Candid costs a few hundred thousand instructions per
//! record in wasm, and a claim reads and writes both several times; these layouts cost a few thousand.
//!
//! Each layout starts with a version byte. A later release may append fields: a reader fills fields missing at the
//! end of older bytes with their defaults, so what an older release wrote stays readable.

use super::records::{Books, Status, TransferRecord};
use contract_runtime::layout::{LayoutReader, LayoutWriter};
use distribution_api::{Account, TransferPurpose, TransferState};
use ic_stable_structures::storable::{Bound, Storable};
use std::borrow::Cow;

const BOOKS_LAYOUT: u8 = 1;
const TRANSFER_LAYOUT: u8 = 1;

fn status_byte(s: Status) -> u8 {
    match s {
        Status::Created => 0,
        Status::Funded => 1,
        Status::Active => 2,
        Status::Completed => 3,
        Status::Cancelled => 4,
    }
}

fn status_of(b: u8) -> Status {
    match b {
        1 => Status::Funded,
        2 => Status::Active,
        3 => Status::Completed,
        4 => Status::Cancelled,
        _ => Status::Created,
    }
}

impl Storable for Books {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut w = LayoutWriter::new(BOOKS_LAYOUT);
        w.u8(status_byte(self.status));
        w.opt_u128(self.fee);
        for v in [
            self.held,
            self.allocation_total,
            self.claimed_total,
            self.owed_total,
            self.reserved_claims,
            self.pending_total,
        ] {
            w.u128(v);
        }
        for v in [self.pending_claims, self.needs_operator, self.next_transfer_id, self.transfer_epoch, self.reported] {
            w.u64(v);
        }
        w.opt_u128(self.required_funding);
        w.opt_u64(self.funded_at);
        w.opt_u64(self.active_from);
        w.opt_u64(self.cancelled_at);
        w.opt_u64(self.cancel_periods.map(u64::from));
        w.finish()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        if bytes.is_empty() {
            return Self::default();
        }
        let mut r = LayoutReader::open(&bytes, BOOKS_LAYOUT, "books");
        Self {
            status: status_of(r.u8()),
            fee: r.opt_u128(),
            held: r.u128(),
            allocation_total: r.u128(),
            claimed_total: r.u128(),
            owed_total: r.u128(),
            reserved_claims: r.u128(),
            pending_total: r.u128(),
            pending_claims: r.u64(),
            needs_operator: r.u64(),
            next_transfer_id: r.u64(),
            transfer_epoch: r.u64(),
            reported: r.u64(),
            required_funding: r.opt_u128(),
            funded_at: r.opt_u64(),
            active_from: r.opt_u64(),
            cancelled_at: r.opt_u64(),
            cancel_periods: r.opt_u64().map(|k| k as u32),
        }
    }

    const BOUND: Bound = Bound::Unbounded;
}

impl Storable for TransferRecord {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut w = LayoutWriter::new(TRANSFER_LAYOUT);
        w.u64(self.id);
        match self.purpose {
            TransferPurpose::Claim { recipient } => {
                w.u8(0);
                w.principal(&recipient);
            }
            TransferPurpose::Surplus => w.u8(1),
        }
        w.principal(&self.to.owner);
        w.bytes(self.to.subaccount.as_ref().map_or(&[][..], |s| &s[..]));
        w.u128(self.amount);
        w.u128(self.fee);
        w.bytes(&self.memo);
        w.u64(self.created_at_time);
        match &self.state {
            TransferState::Pending => w.u8(0),
            TransferState::Executed { block_index } => {
                w.u8(1);
                w.u128(distribution_api::amount_u128(block_index).unwrap_or(u128::MAX));
            }
            TransferState::Failed { reason } => {
                w.u8(2);
                w.text(reason);
            }
            TransferState::NeedsOperator { reason } => {
                w.u8(3);
                w.text(reason);
            }
        }
        w.u32(self.attempts);
        w.u8(u8::from(self.last_error.is_some()));
        w.text(self.last_error.as_deref().unwrap_or(""));
        w.finish()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let mut r = LayoutReader::open(&bytes, TRANSFER_LAYOUT, "transfer record");
        let id = r.u64();
        let purpose = match r.u8() {
            0 => TransferPurpose::Claim { recipient: r.principal() },
            _ => TransferPurpose::Surplus,
        };
        let owner = r.principal();
        let subaccount = <[u8; 32]>::try_from(r.bytes().as_slice()).ok();
        let (amount, fee) = (r.u128(), r.u128());
        let memo = serde_bytes::ByteBuf::from(r.bytes());
        let created_at_time = r.u64();
        let state = match r.u8() {
            1 => TransferState::Executed { block_index: r.u128().into() },
            2 => TransferState::Failed { reason: r.text() },
            3 => TransferState::NeedsOperator { reason: r.text() },
            _ => TransferState::Pending,
        };
        let attempts = r.u32();
        let has_error = r.u8() == 1;
        let error = r.text();
        Self {
            id,
            purpose,
            to: Account { owner, subaccount },
            amount,
            fee,
            memo,
            created_at_time,
            state,
            attempts,
            last_error: has_error.then_some(error),
        }
    }

    const BOUND: Bound = Bound::Unbounded;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_round_trip_and_older_shorter_bytes_read_with_defaults() {
        let books = Books {
            status: Status::Cancelled,
            fee: Some(10_000),
            held: u128::MAX,
            allocation_total: 7,
            claimed_total: 3,
            owed_total: 4,
            reserved_claims: 9,
            pending_total: 11,
            pending_claims: 1,
            needs_operator: 2,
            next_transfer_id: 5,
            transfer_epoch: 6,
            reported: 500,
            required_funding: None,
            funded_at: Some(1),
            active_from: Some(2),
            cancelled_at: Some(3),
            cancel_periods: Some(4),
        };
        let bytes = books.clone().into_bytes();
        assert_eq!(Books::from_bytes(Cow::Borrowed(&bytes)), books);
        let cut = &bytes[..bytes.len() - 9];
        assert_eq!(Books::from_bytes(Cow::Borrowed(cut)).cancel_periods, None);
        assert_eq!(Books::from_bytes(Cow::Borrowed(&[])), Books::default());
    }

    #[test]
    fn transfer_records_round_trip() {
        let p = candid::Principal::from_slice(&[3; 29]);
        for state in [
            TransferState::Pending,
            TransferState::Executed { block_index: 77u8.into() },
            TransferState::Failed { reason: "no".into() },
            TransferState::NeedsOperator { reason: "TooOld".into() },
        ] {
            let record = TransferRecord {
                id: 42,
                purpose: TransferPurpose::Claim { recipient: p },
                to: Account { owner: p, subaccount: None },
                amount: 1,
                fee: 2,
                memo: serde_bytes::ByteBuf::from(vec![1, 2, 3]),
                created_at_time: 99,
                state,
                attempts: 3,
                last_error: Some("lost".into()),
            };
            assert_eq!(TransferRecord::from_bytes(Cow::Owned(record.clone().into_bytes())), record);
        }
    }

    #[test]
    #[should_panic(expected = "newer than this code")]
    fn a_newer_layout_is_refused() {
        Books::from_bytes(Cow::Borrowed(&[BOOKS_LAYOUT + 1, 0]));
    }
}
