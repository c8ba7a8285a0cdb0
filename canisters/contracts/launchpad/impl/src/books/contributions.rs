//! Contributions: each is checked against the window, the allow-list, the buyer's limits and the hard cap counting
//! every contribution in flight, then recorded (reserved) before its `icrc2_transfer_from` is sent; the ledger's
//! answer settles it once: accepted (counted as raised), refused (the reservation is released) or unknown (kept
//! reserved and re-sent identically).

use super::sends::{verdict, SendOutcome, SendVerdict};
use super::{memo, BuyerRecord, ContributionRecord, Launchpad, NOT_LISTED};
use candid::{Nat, Principal};
use fleet_api::FleetError;
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::Memo;
use icrc_ledger_types::icrc2::transfer_from::TransferFromArgs;
use launchpad_api::{amount_u128, LaunchpadStatus, TransferState};

impl<M: Memory> Launchpad<M> {
    /// Checks and records a contribution of `amount` by `buyer`; returns its id. Nothing changes on an error.
    pub fn start_contribution(&mut self, buyer: Principal, amount: &Nat, now: u64) -> Result<u64, FleetError> {
        if buyer == Principal::anonymous() {
            return Err(FleetError::unauthorized("the anonymous principal cannot buy"));
        }
        let config = self.config();
        match self.status(now) {
            LaunchpadStatus::Open => {}
            LaunchpadStatus::Upcoming if self.books().funded_at.is_none() => {
                return Err(FleetError::invalid_state("the sale is not open: it is not funded yet"))
            }
            LaunchpadStatus::Upcoming => {
                return Err(FleetError::invalid_state(format!(
                    "the sale is not open yet: it opens at {}",
                    config.start_time
                )))
            }
            status => {
                return Err(FleetError::invalid_state(format!(
                    "the sale is over (status {status:?}, ended at {})",
                    config.end_time
                )))
            }
        }
        if !self.is_allow_listed(&buyer) {
            return Err(FleetError::unauthorized(format!("{buyer} is not on the sale's allow-list")));
        }
        let amount = match amount_u128(amount) {
            Some(0) => return Err(FleetError::invalid("amount: 0; a contribution must be above 0")),
            Some(a) => a,
            None => return Err(FleetError::invalid(format!("amount: {amount} does not fit in 128 bits"))),
        };
        let fee =
            self.books().payment_fee.ok_or_else(|| FleetError::Internal("funded without a payment fee".into()))?;
        let record = self.buyers.get(&buyer).unwrap_or(BuyerRecord { index: NOT_LISTED, ..BuyerRecord::default() });
        let before = record.contributed + record.pending;
        let total = before.saturating_add(amount);
        if total > config.max_per_buyer {
            return Err(FleetError::invalid(format!(
                "amount: {amount} would bring the buyer's total to {total}, above max_per_buyer {} ({before} so far)",
                config.max_per_buyer
            )));
        }
        if total < config.min_per_buyer {
            return Err(FleetError::invalid(format!(
                "amount: {amount} would bring the buyer's total to {total}, below min_per_buyer {}",
                config.min_per_buyer
            )));
        }
        if total <= fee {
            return Err(FleetError::invalid(format!(
                "amount: a total of {total} does not cover the payment ledger fee of {fee} a refund would cost"
            )));
        }
        let taken = self.books().raised + self.books().reserved;
        if taken.saturating_add(amount) > config.hard_cap {
            return Err(FleetError::invalid(format!(
                "amount: {amount} is above what is left under the hard cap: {} of {}",
                config.hard_cap.saturating_sub(taken),
                config.hard_cap
            )));
        }
        self.buyers.insert(buyer, BuyerRecord { pending: record.pending + amount, ..record });
        let mut id = 0;
        self.update_books(|b| {
            id = b.next_contribution_id;
            b.next_contribution_id += 1;
            b.reserved += amount;
            b.pending_contributions += 1;
        });
        let contribution = ContributionRecord {
            id,
            buyer,
            amount,
            created_at_time: now,
            state: TransferState::Pending,
            attempts: 0,
            last_error: None,
        };
        self.contributions.insert(id, contribution);
        self.pending_contributions.insert(id, ());
        Ok(id)
    }

    /// Starts a send of pending contribution `id`: the payment ledger and the exact arguments, or `None` when it is
    /// settled or a send of it is awaiting its reply.
    pub fn begin_contribution_send(&mut self, id: u64, me: Principal) -> Option<(Principal, TransferFromArgs)> {
        if self.sending_contributions.contains(&id) || !self.pending_contributions.contains_key(&id) {
            return None;
        }
        let mut record = self.contributions.get(&id)?;
        record.attempts += 1;
        let arg = TransferFromArgs {
            spender_subaccount: None,
            from: Account { owner: record.buyer, subaccount: None },
            to: Account { owner: me, subaccount: None },
            amount: record.amount.into(),
            // The buyer pays the fee, whatever it is: the launchpad receives `amount` exactly.
            fee: None,
            memo: Some(Memo(memo(b'c', id).into())),
            created_at_time: Some(record.created_at_time),
        };
        self.contributions.insert(id, record);
        self.sending_contributions.insert(id);
        Some((self.config().payment_ledger, arg))
    }

    /// Settles a send of contribution `id` with the ledger's answer. `None` when there is no such contribution.
    pub fn settle_contribution(&mut self, id: u64, outcome: SendOutcome) -> Option<(ContributionRecord, SendVerdict)> {
        self.sending_contributions.remove(&id);
        let mut record = self.contributions.get(&id)?;
        if record.state != TransferState::Pending || !self.pending_contributions.contains_key(&id) {
            let verdict = match &record.state {
                TransferState::Executed { block_index } => SendVerdict::Executed { block_index: block_index.clone() },
                other => SendVerdict::Refused { reason: format!("already settled: {other:?}"), expected_fee: None },
            };
            return Some((record, verdict));
        }
        let verdict = verdict(record.attempts <= 1, outcome);
        let buyer = self.buyers.get(&record.buyer).unwrap_or_default();
        let released = BuyerRecord { pending: buyer.pending.saturating_sub(record.amount), ..buyer };
        match &verdict {
            SendVerdict::Executed { block_index } => {
                record.state = TransferState::Executed { block_index: block_index.clone() };
                let mut after = BuyerRecord { contributed: buyer.contributed + record.amount, ..released };
                if after.index == NOT_LISTED {
                    after.index = self.order.len() as u32;
                    self.order.push(&record.buyer);
                }
                self.put_buyer(record.buyer, buyer, after);
                self.close_contribution(record.amount, true);
            }
            SendVerdict::Refused { reason, .. } => {
                record.state = TransferState::Failed { reason: reason.clone() };
                if released == (BuyerRecord { index: NOT_LISTED, ..BuyerRecord::default() }) {
                    // A caller who never bought anything leaves no buyer record behind.
                    self.buyers.remove(&record.buyer);
                } else {
                    self.buyers.insert(record.buyer, released);
                }
                self.close_contribution(record.amount, false);
            }
            SendVerdict::Unknown { reason } => record.last_error = Some(reason.clone()),
            SendVerdict::NeedsOperator { reason } => {
                // Its amount stays reserved against the caps (it may have been taken); it never counts as raised.
                record.state = TransferState::NeedsOperator { reason: reason.clone() };
                self.pending_contributions.remove(&id);
                self.update_books(|b| {
                    b.pending_contributions -= 1;
                    b.needs_operator += 1;
                });
            }
        }
        if !matches!(verdict, SendVerdict::Unknown { .. } | SendVerdict::NeedsOperator { .. }) {
            self.pending_contributions.remove(&id);
        }
        self.contributions.insert(id, record.clone());
        Some((record, verdict))
    }

    fn close_contribution(&mut self, amount: u128, accepted: bool) {
        self.update_books(|b| {
            b.reserved -= amount;
            b.pending_contributions -= 1;
            if accepted {
                b.raised += amount;
            }
        });
    }

    /// Pending contributions no send is awaiting (the ones to re-send), at most `limit`.
    pub fn resendable_contributions(&self, limit: usize) -> Vec<u64> {
        let sending = &self.sending_contributions;
        self.pending_contributions.keys().filter(|id| !sending.contains(id)).take(limit).collect()
    }
}
