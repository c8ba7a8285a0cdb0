//! Byte layouts of the books, contributions and transfers: a contribution reads and writes each of them, and candid
//! would cost hundreds of thousands of instructions per record in wasm where these cost a few thousand.
//!
//! Each layout starts with a version byte. A later release may append fields: a reader fills fields missing at the end
//! of older bytes with their defaults, so what an older release wrote stays readable; a newer layout is refused.

use super::records::{Books, ContributionRecord, Outcome, TransferRecord};
use contract_runtime::layout::{LayoutReader, LayoutWriter};
use ic_stable_structures::storable::{Bound, Storable};
use launchpad_api::{TransferPurpose, TransferState};
use std::borrow::Cow;

const LAYOUT: u8 = 1;

/// A transfer's or contribution's state: a tag byte, then the block index or the reason.
fn write_state(w: &mut LayoutWriter, s: &TransferState) {
    match s {
        TransferState::Pending => w.u8(0),
        TransferState::Executed { block_index } => {
            w.u8(1);
            w.u128(launchpad_api::amount_u128(block_index).unwrap_or(u128::MAX));
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
}

fn read_state(r: &mut LayoutReader) -> TransferState {
    match r.u8() {
        1 => TransferState::Executed { block_index: r.u128().into() },
        2 => TransferState::Failed { reason: r.text() },
        3 => TransferState::NeedsOperator { reason: r.text() },
        _ => TransferState::Pending,
    }
}

/// The retry tail of a contribution or transfer: attempts, then the last error.
fn write_tail(w: &mut LayoutWriter, attempts: u32, last_error: &Option<String>) {
    w.u32(attempts);
    w.u8(u8::from(last_error.is_some()));
    w.text(last_error.as_deref().unwrap_or(""));
}

fn read_tail(r: &mut LayoutReader) -> (u32, Option<String>) {
    let attempts = r.u32();
    let has_error = r.u8() == 1;
    let error = r.text();
    (attempts, has_error.then_some(error))
}

impl Storable for Books {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut w = LayoutWriter::new(LAYOUT);
        w.u8(match self.outcome {
            Outcome::Undecided => 0,
            Outcome::Succeeded => 1,
            Outcome::Failed => 2,
        });
        w.opt_u64(self.funded_at);
        w.u128(self.funded_amount);
        w.opt_u128(self.sale_fee);
        w.opt_u128(self.payment_fee);
        for v in [
            self.raised,
            self.reserved,
            self.tokens_sold,
            self.claimed_total,
            self.payment_out_recorded,
            self.payment_out_executed,
            self.sale_out_recorded,
            self.sale_out_executed,
        ] {
            w.u128(v);
        }
        for v in [
            self.next_contribution_id,
            self.next_transfer_id,
            self.pending_contributions,
            self.needs_operator,
            self.reported,
            self.refund_cursor,
            self.allow_listed,
        ] {
            w.u64(v);
        }
        w.opt_u64(self.finalized_at);
        w.u8(self.reported_status);
        w.u8(self.owner_payouts);
        w.finish()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        if bytes.is_empty() {
            return Self::default();
        }
        let mut r = LayoutReader::open(&bytes, LAYOUT, "books");
        Self {
            outcome: match r.u8() {
                1 => Outcome::Succeeded,
                2 => Outcome::Failed,
                _ => Outcome::Undecided,
            },
            funded_at: r.opt_u64(),
            funded_amount: r.u128(),
            sale_fee: r.opt_u128(),
            payment_fee: r.opt_u128(),
            raised: r.u128(),
            reserved: r.u128(),
            tokens_sold: r.u128(),
            claimed_total: r.u128(),
            payment_out_recorded: r.u128(),
            payment_out_executed: r.u128(),
            sale_out_recorded: r.u128(),
            sale_out_executed: r.u128(),
            next_contribution_id: r.u64(),
            next_transfer_id: r.u64(),
            pending_contributions: r.u64(),
            needs_operator: r.u64(),
            reported: r.u64(),
            refund_cursor: r.u64(),
            allow_listed: r.u64(),
            finalized_at: r.opt_u64(),
            reported_status: r.u8(),
            owner_payouts: r.u8(),
        }
    }

    const BOUND: Bound = Bound::Unbounded;
}

impl Storable for ContributionRecord {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut w = LayoutWriter::new(LAYOUT);
        w.u64(self.id);
        w.bytes(self.buyer.as_slice());
        w.u128(self.amount);
        w.u64(self.created_at_time);
        write_state(&mut w, &self.state);
        write_tail(&mut w, self.attempts, &self.last_error);
        w.finish()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let mut r = LayoutReader::open(&bytes, LAYOUT, "contribution");
        let (id, buyer, amount, created_at_time, state) =
            (r.u64(), r.principal(), r.u128(), r.u64(), read_state(&mut r));
        let (attempts, last_error) = read_tail(&mut r);
        Self { id, buyer, amount, created_at_time, state, attempts, last_error }
    }

    const BOUND: Bound = Bound::Unbounded;
}

impl Storable for TransferRecord {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut w = LayoutWriter::new(LAYOUT);
        w.u64(self.id);
        match self.purpose {
            TransferPurpose::Claim { buyer } => {
                w.u8(0);
                w.bytes(buyer.as_slice());
            }
            TransferPurpose::Refund { buyer } => {
                w.u8(1);
                w.bytes(buyer.as_slice());
            }
            TransferPurpose::Proceeds => w.u8(2),
            TransferPurpose::Unsold => w.u8(3),
            TransferPurpose::SaleReturn => w.u8(4),
        }
        w.bytes(self.to.as_slice());
        w.u128(self.amount);
        w.u128(self.fee);
        w.u64(self.created_at_time);
        write_state(&mut w, &self.state);
        write_tail(&mut w, self.attempts, &self.last_error);
        w.finish()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let mut r = LayoutReader::open(&bytes, LAYOUT, "transfer");
        let id = r.u64();
        let purpose = match r.u8() {
            0 => TransferPurpose::Claim { buyer: r.principal() },
            1 => TransferPurpose::Refund { buyer: r.principal() },
            2 => TransferPurpose::Proceeds,
            3 => TransferPurpose::Unsold,
            _ => TransferPurpose::SaleReturn,
        };
        let (to, amount, fee, created_at_time, state) =
            (r.principal(), r.u128(), r.u128(), r.u64(), read_state(&mut r));
        let (attempts, last_error) = read_tail(&mut r);
        Self { id, purpose, to, amount, fee, created_at_time, state, attempts, last_error }
    }

    const BOUND: Bound = Bound::Unbounded;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_round_trip_and_shorter_older_bytes_read_with_defaults() {
        let books = Books {
            outcome: Outcome::Failed,
            funded_at: Some(1),
            funded_amount: u128::MAX,
            sale_fee: Some(3),
            payment_fee: None,
            raised: 4,
            reserved: 5,
            tokens_sold: 6,
            claimed_total: 7,
            payment_out_recorded: 8,
            payment_out_executed: 9,
            sale_out_recorded: 10,
            sale_out_executed: 11,
            next_contribution_id: 12,
            next_transfer_id: 13,
            pending_contributions: 14,
            needs_operator: 15,
            reported: 16,
            refund_cursor: 17,
            allow_listed: 18,
            finalized_at: Some(19),
            reported_status: 3,
            owner_payouts: 5,
        };
        let bytes = books.clone().into_bytes();
        assert_eq!(Books::from_bytes(Cow::Borrowed(&bytes)), books);
        let cut = Books::from_bytes(Cow::Borrowed(&bytes[..bytes.len() - 2]));
        assert_eq!((cut.reported_status, cut.owner_payouts), (0, 0));
        assert_eq!(Books::from_bytes(Cow::Borrowed(&[])), Books::default());
    }

    #[test]
    fn contributions_and_transfers_round_trip() {
        let p = candid::Principal::from_slice(&[3; 29]);
        for state in [
            TransferState::Pending,
            TransferState::Executed { block_index: 77u8.into() },
            TransferState::Failed { reason: "no".into() },
            TransferState::NeedsOperator { reason: "TooOld".into() },
        ] {
            let c = ContributionRecord {
                id: 4,
                buyer: p,
                amount: 9,
                created_at_time: 5,
                state: state.clone(),
                attempts: 2,
                last_error: Some("lost".into()),
            };
            assert_eq!(ContributionRecord::from_bytes(Cow::Owned(c.clone().into_bytes())), c);
            for purpose in [
                TransferPurpose::Claim { buyer: p },
                TransferPurpose::Refund { buyer: p },
                TransferPurpose::Proceeds,
                TransferPurpose::Unsold,
                TransferPurpose::SaleReturn,
            ] {
                let t = TransferRecord {
                    id: 42,
                    purpose,
                    to: p,
                    amount: 1,
                    fee: 2,
                    created_at_time: 99,
                    state: state.clone(),
                    attempts: 1,
                    last_error: None,
                };
                assert_eq!(TransferRecord::from_bytes(Cow::Owned(t.clone().into_bytes())), t);
            }
        }
    }

    #[test]
    #[should_panic(expected = "newer than this code")]
    fn a_newer_layout_is_refused() {
        Books::from_bytes(Cow::Borrowed(&[LAYOUT + 1, 0]));
    }
}
