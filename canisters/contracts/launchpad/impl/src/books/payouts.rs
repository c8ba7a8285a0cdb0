//! The end of the sale and what it pays: the decision, buyers' claims and refunds, the refund job's batches, the
//! owner's proceeds and sale tokens. Every outgoing transfer is recorded (its amount leaves what is owed) before it
//! is sent; each send is the recorded arguments exactly; the ledger's answer settles the record once.

use super::sends::{verdict, SendOutcome, SendVerdict};
use super::{is_sale_token, memo, BuyerRecord, Launchpad, Outcome, TransferRecord, PROCEEDS, SALE_RETURN, UNSOLD};
use candid::Principal;
use fleet_api::FleetError;
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{Memo, TransferArg};
use launchpad_api::{amount_u128, tokens_for, TransferPurpose, TransferState};

impl<M: Memory> Launchpad<M> {
    /// Whether the sale can be decided now: past its end, undecided, no contribution in flight.
    pub fn finalize_due(&self, now: u64) -> bool {
        let b = self.books();
        b.outcome == Outcome::Undecided && now >= self.config().end_time && b.pending_contributions == 0
    }

    /// Decides the sale: Succeeded when it was funded and raised the soft cap, Failed otherwise. Returns whether it
    /// decided now.
    pub fn finalize(&mut self, now: u64) -> bool {
        if !self.finalize_due(now) {
            return false;
        }
        let succeeded = self.books().funded_at.is_some() && self.books().raised >= self.config().soft_cap;
        self.update_books(|b| {
            b.outcome = if succeeded { Outcome::Succeeded } else { Outcome::Failed };
            b.finalized_at = Some(now);
        });
        true
    }

    /// Records a claim of everything `caller` may take now (tokens or refund); returns the transfer's id.
    pub fn start_claim(&mut self, caller: Principal, now: u64) -> Result<u64, FleetError> {
        let Some(record) = self.buyers.get(&caller).filter(|r| r.contributed > 0) else {
            return Err(FleetError::unauthorized(format!("only buyers may claim; {caller} has contributed nothing")));
        };
        let outcome = self.books().outcome;
        if outcome == Outcome::Undecided {
            return Err(FleetError::invalid_state(format!(
                "the sale is not decided yet (status {:?}; it ends at {})",
                self.status(now),
                self.config().end_time
            )));
        }
        self.record_claim(caller, record, now).ok_or_else(|| match outcome {
            Outcome::Failed if record.claimed == record.contributed => {
                FleetError::invalid_state("already refunded (see getTransfers)")
            }
            Outcome::Failed => FleetError::invalid_state("the refund does not cover the payment ledger fee"),
            _ => FleetError::invalid_state(format!(
                "nothing to claim beyond the sale ledger fee: vested {}, claimed {}",
                self.vested_tokens(&record, now),
                record.claimed
            )),
        })
    }

    /// Records `buyer`'s claim (Succeeded) or refund (Failed) when it is worth more than the ledger fee.
    fn record_claim(&mut self, buyer: Principal, record: BuyerRecord, now: u64) -> Option<u64> {
        let claimable = self.claimable(&record, now);
        let (fee, purpose) = match self.books().outcome {
            Outcome::Succeeded => (self.books().sale_fee?, TransferPurpose::Claim { buyer }),
            Outcome::Failed => (self.books().payment_fee?, TransferPurpose::Refund { buyer }),
            Outcome::Undecided => return None,
        };
        if claimable <= fee {
            return None;
        }
        self.put_buyer(buyer, record, BuyerRecord { claimed: record.claimed + claimable, ..record });
        Some(self.record_transfer(purpose, buyer, claimable - fee, fee, now))
    }

    /// The refund job's next batch (Failed): records the refunds of up to `limit` buyers from the stored cursor and
    /// moves it past them. Buyers refunded already (by `claim`) are passed over.
    pub fn record_refund_batch(&mut self, limit: usize, now: u64) -> Vec<u64> {
        if self.books().outcome != Outcome::Failed {
            return Vec::new();
        }
        let start = self.books().refund_cursor;
        let end = start.saturating_add(limit as u64).min(self.order.len());
        let mut ids = Vec::new();
        for i in start..end {
            let Some(buyer) = self.order.get(i) else { continue };
            if let Some(id) = self.buyers.get(&buyer).and_then(|r| self.record_claim(buyer, r, now)) {
                ids.push(id);
            }
        }
        self.update_books(|b| b.refund_cursor = end);
        ids
    }

    pub fn refund_job_due(&self) -> bool {
        self.books().outcome == Outcome::Failed && self.books().refund_cursor < self.order.len()
    }

    /// A succeeded sale's owner payouts not recorded yet: the proceeds and the unsold tokens (each less its fee;
    /// nothing is sent when the fee would take it all). Returns the transfers recorded.
    pub fn record_owner_payouts(&mut self, owner: Principal, now: u64) -> Vec<u64> {
        let b = self.books().clone();
        if b.outcome != Outcome::Succeeded {
            return Vec::new();
        }
        let mut ids = Vec::new();
        if b.owner_payouts & PROCEEDS == 0 {
            if let Some(fee) = b.payment_fee.filter(|fee| b.payment_owed() > *fee) {
                ids.push(self.record_transfer(TransferPurpose::Proceeds, owner, b.payment_owed() - fee, fee, now));
            }
            self.update_books(|b| b.owner_payouts |= PROCEEDS);
        }
        if b.owner_payouts & UNSOLD == 0 {
            let unsold = b.funded_amount.saturating_sub(b.tokens_sold);
            if let Some(fee) = b.sale_fee.filter(|fee| unsold > *fee) {
                ids.push(self.record_transfer(TransferPurpose::Unsold, owner, unsold - fee, fee, now));
            }
            self.update_books(|b| b.owner_payouts |= UNSOLD);
        }
        ids
    }

    /// Whether a failed sale still has to send its sale tokens back (after reading its balance).
    pub fn sale_return_due(&self) -> bool {
        let b = self.books();
        b.outcome == Outcome::Failed && b.owner_payouts & SALE_RETURN == 0 && !self.reading_sale_balance
    }

    /// Records the return of a failed sale's sale tokens: `balance` (just read; no other sale transfer ever happens in
    /// a failed sale) less the fee.
    pub fn record_sale_return(&mut self, owner: Principal, balance: u128, fee: u128, now: u64) -> Option<u64> {
        if self.books().outcome != Outcome::Failed || self.books().owner_payouts & SALE_RETURN != 0 {
            return None;
        }
        self.update_books(|b| {
            b.owner_payouts |= SALE_RETURN;
            b.sale_fee = Some(fee);
        });
        (balance > fee).then(|| self.record_transfer(TransferPurpose::SaleReturn, owner, balance - fee, fee, now))
    }

    fn record_transfer(&mut self, purpose: TransferPurpose, to: Principal, amount: u128, fee: u128, now: u64) -> u64 {
        let total = amount + fee;
        let mut id = 0;
        self.update_books(|b| {
            id = b.next_transfer_id;
            b.next_transfer_id += 1;
            if is_sale_token(&purpose) {
                b.sale_out_recorded += total;
            } else {
                b.payment_out_recorded += total;
            }
        });
        let record = TransferRecord {
            id,
            purpose,
            to,
            amount,
            fee,
            created_at_time: now,
            state: TransferState::Pending,
            attempts: 0,
            last_error: None,
        };
        self.transfers.insert(id, record);
        self.pending_transfers.insert(id, ());
        id
    }

    /// Starts a send of pending transfer `id`: its ledger and exact arguments, or `None` when it is settled or a send
    /// of it is awaiting its reply.
    pub fn begin_send(&mut self, id: u64) -> Option<(Principal, TransferArg)> {
        if self.sending_transfers.contains(&id) || !self.pending_transfers.contains_key(&id) {
            return None;
        }
        let mut record = self.transfers.get(&id)?;
        record.attempts += 1;
        let arg = TransferArg {
            from_subaccount: None,
            to: Account { owner: record.to, subaccount: None },
            amount: record.amount.into(),
            fee: Some(record.fee.into()),
            memo: Some(Memo(memo(b't', id).into())),
            created_at_time: Some(record.created_at_time),
        };
        let ledger = if record.is_sale_token() { self.config().sale_ledger } else { self.config().payment_ledger };
        self.transfers.insert(id, record);
        self.sending_transfers.insert(id);
        Some((ledger, arg))
    }

    /// Settles a send of transfer `id` with the ledger's answer. `None` when no transfer `id` was recorded.
    pub fn settle_transfer(&mut self, id: u64, outcome: SendOutcome) -> Option<(TransferRecord, SendVerdict)> {
        self.sending_transfers.remove(&id);
        let mut record = self.transfers.get(&id)?;
        if record.state != TransferState::Pending || !self.pending_transfers.contains_key(&id) {
            let verdict = match &record.state {
                TransferState::Executed { block_index } => SendVerdict::Executed { block_index: block_index.clone() },
                other => SendVerdict::Refused { reason: format!("already settled: {other:?}"), expected_fee: None },
            };
            return Some((record, verdict));
        }
        let verdict = verdict(record.attempts <= 1, outcome);
        let (total, sale) = (record.total(), record.is_sale_token());
        match &verdict {
            SendVerdict::Executed { block_index } => {
                record.state = TransferState::Executed { block_index: block_index.clone() };
                self.update_books(|b| match sale {
                    true => b.sale_out_executed += total,
                    false => b.payment_out_executed += total,
                });
                self.pending_transfers.remove(&id);
            }
            SendVerdict::Refused { reason, expected_fee } => {
                record.state = TransferState::Failed { reason: reason.clone() };
                self.pending_transfers.remove(&id);
                let fee = expected_fee.as_ref().and_then(amount_u128);
                self.update_books(|b| {
                    if sale {
                        b.sale_out_recorded -= total;
                        b.sale_fee = fee.or(b.sale_fee);
                    } else {
                        b.payment_out_recorded -= total;
                        b.payment_fee = fee.or(b.payment_fee);
                    }
                });
                self.restore(&record);
            }
            SendVerdict::Unknown { reason } => record.last_error = Some(reason.clone()),
            SendVerdict::NeedsOperator { reason } => {
                record.state = TransferState::NeedsOperator { reason: reason.clone() };
                self.pending_transfers.remove(&id);
                self.update_books(|b| b.needs_operator += 1);
            }
        }
        self.transfers.insert(id, record.clone());
        Some((record, verdict))
    }

    /// A refused transfer: what it would have paid is owed again (a buyer's claim or refund, an owner payout).
    fn restore(&mut self, record: &TransferRecord) {
        match record.purpose {
            TransferPurpose::Claim { buyer } | TransferPurpose::Refund { buyer } => {
                if let Some(r) = self.buyers.get(&buyer) {
                    self.put_buyer(buyer, r, BuyerRecord { claimed: r.claimed.saturating_sub(record.total()), ..r });
                    if matches!(record.purpose, TransferPurpose::Refund { .. }) {
                        // The refund job passes this buyer again.
                        self.update_books(|b| b.refund_cursor = b.refund_cursor.min(u64::from(r.index)));
                    }
                }
            }
            TransferPurpose::Proceeds => self.update_books(|b| b.owner_payouts &= !PROCEEDS),
            TransferPurpose::Unsold => self.update_books(|b| b.owner_payouts &= !UNSOLD),
            TransferPurpose::SaleReturn => self.update_books(|b| b.owner_payouts &= !SALE_RETURN),
        }
    }

    /// Pending transfers no send is awaiting (the ones to re-send), at most `limit`.
    pub fn resendable_transfers(&self, limit: usize) -> Vec<u64> {
        let sending = &self.sending_transfers;
        self.pending_transfers.keys().filter(|id| !sending.contains(id)).take(limit).collect()
    }

    pub fn has_pending(&self) -> bool {
        !self.pending_transfers.is_empty() || !self.pending_contributions.is_empty()
    }

    /// Whether a succeeded sale still has owner payouts to record (after a refusal, or right after the decision).
    pub fn owner_payouts_due(&self) -> bool {
        let b = self.books();
        b.outcome == Outcome::Succeeded && b.owner_payouts & (PROCEEDS | UNSOLD) != PROCEEDS | UNSOLD
    }

    /// The tokens a buyer bought, for tests and queries.
    pub fn tokens_of(&self, buyer: &Principal) -> u128 {
        self.buyers.get(buyer).map_or(0, |r| tokens_for(r.contributed, &self.config().price))
    }
}
