//! Outgoing transfers: a claim or a surplus withdrawal is recorded (the amount leaves `owed`/`surplus` and enters
//! `pending_total`) before anything is sent; each send is the recorded arguments exactly; the ledger's answer settles
//! the record once: executed (the block index is kept), refused (a claim's amount is claimable again), or unknown
//! (kept pending and re-sent identically later).

use super::{require_owner, schedule, Distribution, RecipientRecord, Status, TransferRecord};
use crate::books::records::transfer_memo;
use candid::{Nat, Principal};
use distribution_api::{Account, TransferPurpose, TransferState};
use fleet_api::FleetError;
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::transfer::{Memo, TransferArg, TransferError};

/// What a send produced: the ledger's reply, or a call error saying whether the ledger may have executed it.
pub type SendOutcome = Result<Result<Nat, TransferError>, SendFailure>;

/// A failed send: whether the ledger may have executed it (every kind's classification of a failed call).
pub use contract_runtime::ledger::SendFailure;

/// How a settled send changed the books.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendVerdict {
    Executed { block_index: Nat },
    Refused { reason: String },
    Unknown { reason: String },
    NeedsOperator { reason: String },
}

impl<M: Memory> Distribution<M> {
    /// Records a claim of everything the caller may claim now and returns the transfer's id.
    pub fn start_claim(&mut self, caller: Principal, now: u64) -> Result<u64, FleetError> {
        self.activate_if_due(now);
        match self.books().status {
            Status::Active | Status::Cancelled => {}
            Status::Completed => return Err(FleetError::invalid_state("every allocation has been paid out")),
            Status::Created | Status::Funded => {
                return Err(FleetError::invalid_state(format!(
                    "the distribution is not active yet (status {:?}; active from {:?})",
                    self.books().status,
                    self.books().active_from
                )))
            }
        }
        let Some(record) = self.recipients.get(&caller) else {
            return Err(FleetError::unauthorized(format!("only recipients may claim; {caller} is not one")));
        };
        let k = self.periods_vested(now);
        let vested = schedule::vested_amount(record.allocation, k, self.periods());
        let claimable = vested.saturating_sub(record.claimed);
        if claimable == 0 {
            let next = match self.books().status {
                Status::Active => schedule::next_release(&self.config().schedule, now),
                _ => None,
            };
            return Err(FleetError::invalid_state(format!(
                "nothing to claim: vested {vested}, claimed {}{}",
                record.claimed,
                next.map(|t| format!("; more vests at {t}")).unwrap_or_default()
            )));
        }
        let fee = self.books().fee.ok_or_else(|| FleetError::Internal("funded without a fee".into()))?;
        if record.reserved == 0 {
            return Err(FleetError::Internal(format!("no fee is reserved for {caller}'s claim")));
        }
        let after = RecipientRecord {
            claimed: record.claimed + claimable,
            reserved: (record.reserved - 1).min(self.periods() - k),
            ..record
        };
        self.put_recipient(caller, Some(&record), after);
        let mut books = self.books().clone();
        books.pending_claims += 1;
        self.set_books(books);
        let id = self.record_transfer(TransferPurpose::Claim { recipient: caller }, caller, claimable, fee, now);
        self.assert_books_cover(id);
        Ok(id)
    }

    /// Records a transfer of the surplus less one fee to the owner and returns its id.
    pub fn start_surplus_withdrawal(
        &mut self,
        caller: Principal,
        owner: Principal,
        now: u64,
    ) -> Result<u64, FleetError> {
        require_owner(caller, owner, "withdraw the surplus")?;
        self.activate_if_due(now);
        if self.books().status == Status::Created {
            return Err(FleetError::invalid_state("the distribution is not funded yet; cancel it to get tokens back"));
        }
        let (Some(fee), Some(surplus)) = (self.books().fee, self.surplus()) else {
            return Err(FleetError::invalid_state("the balance has not been read yet: call checkFunding first"));
        };
        if surplus <= fee {
            return Err(FleetError::invalid_state(format!(
                "the surplus of {surplus} does not cover the ledger fee of {fee}"
            )));
        }
        let id = self.record_transfer(TransferPurpose::Surplus, owner, surplus - fee, fee, now);
        self.assert_books_cover(id);
        Ok(id)
    }

    fn record_transfer(&mut self, purpose: TransferPurpose, to: Principal, amount: u128, fee: u128, now: u64) -> u64 {
        let mut books = self.books().clone();
        let id = books.next_transfer_id;
        books.next_transfer_id += 1;
        books.transfer_epoch += 1;
        books.pending_total += amount + fee;
        self.set_books(books);
        let record = TransferRecord {
            id,
            purpose,
            to: Account { owner: to, subaccount: None },
            amount,
            fee,
            memo: serde_bytes::ByteBuf::from(transfer_memo(id)),
            created_at_time: now,
            state: TransferState::Pending,
            attempts: 0,
            last_error: None,
        };
        self.transfers.insert(id, record);
        self.pending.insert(id, ());
        id
    }

    /// A recorded transfer must leave the books covered; otherwise the code has a bug and the message traps, which
    /// undoes the recording.
    fn assert_books_cover(&self, id: u64) {
        if self.surplus().is_none() {
            trap(&format!("transfer {id} would leave the books short: {:?}", self.books()));
        }
    }

    /// Starts a send of pending transfer `id`: the ledger and the exact arguments, or `None` when it is settled or
    /// a send of it is already awaiting its reply.
    pub fn begin_send(&mut self, id: u64) -> Option<(Principal, TransferArg)> {
        if self.sending.contains(&id) || !self.pending.contains_key(&id) {
            return None;
        }
        let mut record = self.transfer(id)?;
        record.attempts += 1;
        let arg = TransferArg {
            from_subaccount: None,
            to: record.to,
            amount: record.amount.into(),
            fee: Some(record.fee.into()),
            memo: Some(Memo(record.memo.clone())),
            created_at_time: Some(record.created_at_time),
        };
        self.transfers.insert(id, record);
        self.sending.insert(id);
        Some((self.config().ledger, arg))
    }

    /// Settles a send of transfer `id` with the ledger's answer. Returns the transfer and what happened.
    /// `None` when no transfer `id` was ever recorded.
    pub fn settle(&mut self, id: u64, outcome: SendOutcome, now: u64) -> Option<(TransferRecord, SendVerdict)> {
        self.sending.remove(&id);
        let mut record = self.transfer(id)?;
        if record.state != TransferState::Pending || !self.pending.contains_key(&id) {
            let verdict = match &record.state {
                TransferState::Executed { block_index } => SendVerdict::Executed { block_index: block_index.clone() },
                other => SendVerdict::Refused { reason: format!("already settled: {other:?}") },
            };
            return Some((record, verdict));
        }
        // Only the first send's refusal proves nothing moved: after a send of unknown outcome, a ledger that checks
        // the fee or the deduplication window before deduplicating may refuse a re-send of an executed transfer.
        let first = record.attempts <= 1;
        let verdict = match outcome {
            Ok(Ok(block_index)) => SendVerdict::Executed { block_index },
            Ok(Err(TransferError::Duplicate { duplicate_of })) => SendVerdict::Executed { block_index: duplicate_of },
            Ok(Err(error)) if first => SendVerdict::Refused { reason: format!("{error:?}") },
            Ok(Err(TransferError::TemporarilyUnavailable)) => {
                SendVerdict::Unknown { reason: "ledger temporarily unavailable".into() }
            }
            Ok(Err(error @ (TransferError::BadFee { .. } | TransferError::TooOld))) => SendVerdict::NeedsOperator {
                reason: format!("a re-send after an unknown outcome was refused with {error:?}"),
            },
            Ok(Err(error)) => SendVerdict::Refused { reason: format!("{error:?}") },
            Err(failure) if failure.may_have_executed || !first => SendVerdict::Unknown { reason: failure.reason },
            Err(failure) => SendVerdict::Refused { reason: failure.reason },
        };
        let mut books = self.books().clone();
        match &verdict {
            SendVerdict::Executed { block_index } => {
                record.state = TransferState::Executed { block_index: block_index.clone() };
                books.held = books.held.saturating_sub(record.total());
                self.close_pending(&mut books, &record);
            }
            SendVerdict::Refused { reason } => {
                record.state = TransferState::Failed { reason: reason.clone() };
                self.close_pending(&mut books, &record);
            }
            SendVerdict::Unknown { reason } => record.last_error = Some(reason.clone()),
            SendVerdict::NeedsOperator { reason } => {
                record.state = TransferState::NeedsOperator { reason: reason.clone() };
                books.needs_operator += 1;
                self.pending.remove(&id);
            }
        }
        self.set_books(books);
        if let (SendVerdict::Refused { .. }, TransferPurpose::Claim { recipient }) = (&verdict, record.purpose) {
            self.restore_claim(recipient, record.amount);
        }
        if matches!(verdict, SendVerdict::Executed { .. }) {
            self.complete_if_done(now);
        }
        self.transfers.insert(id, record.clone());
        Some((record, verdict))
    }

    /// Removes a settled transfer from the pending totals.
    fn close_pending(&mut self, books: &mut super::Books, record: &TransferRecord) {
        books.pending_total -= record.total();
        books.transfer_epoch += 1;
        if matches!(record.purpose, TransferPurpose::Claim { .. }) {
            books.pending_claims -= 1;
        }
        self.pending.remove(&record.id);
    }

    /// A refused claim: its amount is claimable again, and its fee (never charged) is set aside for the new claim.
    fn restore_claim(&mut self, recipient: Principal, amount: u128) {
        if let Some(record) = self.recipients.get(&recipient) {
            let after = RecipientRecord {
                claimed: record.claimed.saturating_sub(amount),
                reserved: record.reserved.saturating_add(1),
                ..record
            };
            self.put_recipient(recipient, Some(&record), after);
        }
    }

    /// Active → Completed once every allocation has been paid out. Returns whether it did.
    pub fn complete_if_done(&mut self, _now: u64) -> bool {
        let books = self.books();
        if books.status == Status::Active && books.owed_total == 0 && books.pending_claims == 0 {
            let mut books = books.clone();
            books.status = Status::Completed;
            self.set_books(books);
            return true;
        }
        false
    }

    /// Pending transfers no send is awaiting (the ones to re-send), at most `limit`.
    pub fn resendable(&self, limit: usize) -> Vec<u64> {
        self.pending.iter().map(|e| *e.key()).filter(|id| !self.sending.contains(id)).take(limit).collect()
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

#[cfg(target_family = "wasm")]
fn trap(message: &str) -> ! {
    ic_cdk::trap(message)
}

#[cfg(not(target_family = "wasm"))]
fn trap(message: &str) -> ! {
    panic!("{message}")
}
