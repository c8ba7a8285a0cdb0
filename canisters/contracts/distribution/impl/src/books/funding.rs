//! Funding and cancelling. `checkFunding` reads the ledger (an await between [`Distribution::sync_ticket`] and
//! [`Distribution::finish_sync`]); the books adopt the balance only when the read was exact: no transfer was pending
//! and none was recorded or settled while it was on the way. A cancel freezes vesting at the periods elapsed then.

use super::{require_owner, schedule, Distribution, Status};
use candid::Principal;
use distribution_api::FundingReport;
use fleet_api::FleetError;
use ic_stable_structures::Memory;

/// Taken before a balance read, checked after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncTicket {
    epoch: u64,
    quiet: bool,
}

/// What a cancel did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled {
    /// It was cancelled before it was ever funded: its balance has never been read.
    pub needs_sync: bool,
    /// Periods vested at the cancel.
    pub periods: u32,
}

impl<M: Memory> Distribution<M> {
    /// Checks the caller and takes a ticket for a balance read.
    pub fn sync_ticket(&self, caller: Principal, owner: Principal) -> Result<SyncTicket, FleetError> {
        require_owner(caller, owner, "check the funding")?;
        if self.books().status == Status::Created && self.recipient_count() == 0 {
            return Err(FleetError::invalid_state("no recipients yet: add them before funding"));
        }
        Ok(self.ticket())
    }

    pub fn ticket(&self) -> SyncTicket {
        SyncTicket { epoch: self.books().transfer_epoch, quiet: !self.has_pending() && self.books().pending_total == 0 }
    }

    /// Applies a balance and fee read with `ticket`. In Created, funds the distribution when the balance covers the
    /// total allocation plus one fee per possible claim. Returns the report and whether the status changed.
    pub fn finish_sync(&mut self, ticket: SyncTicket, balance: u128, fee: u128, now: u64) -> (FundingReport, bool) {
        let exact = ticket.quiet && ticket == self.ticket();
        let mut books = self.books().clone();
        let before = books.status;
        if exact {
            books.held = balance;
        }
        if books.status == Status::Created {
            // Nothing is sent while Created: the read is always exact here.
            let required = books.allocation_total.saturating_add(fee.saturating_mul(books.reserved_claims));
            books.fee = Some(fee);
            books.required_funding = Some(required);
            if exact && balance >= required && self.recipient_count() > 0 {
                books.status = Status::Funded;
                books.funded_at = Some(now);
                books.active_from = Some(schedule::active_from(&self.config().schedule, now));
            }
        } else if books.fee.is_none() {
            books.fee = Some(fee);
        }
        self.set_books(books);
        self.activate_if_due(now);
        let books = self.books();
        let required = match books.status {
            Status::Created => books.required_funding.unwrap_or(0),
            _ => self.obligations(),
        };
        let report = FundingReport {
            status: self.status(now).into(),
            balance: balance.into(),
            required: required.into(),
            transfer_fee: books.fee.unwrap_or(fee).into(),
            synced: exact,
        };
        (report, books.status != before)
    }

    /// Cancels (the owner, before Completed): vesting stops at the periods elapsed now, each recipient's cap becomes
    /// what it had vested, and whatever the books no longer owe becomes surplus.
    ///
    /// The one operation that looks at every recipient, and only for a cancel in the middle of vesting: each cap
    /// then depends on its own allocation's rounding.
    pub fn cancel(&mut self, caller: Principal, owner: Principal, now: u64) -> Result<Cancelled, FleetError> {
        require_owner(caller, owner, "cancel the distribution")?;
        self.activate_if_due(now);
        let status = self.books().status;
        if matches!(status, Status::Completed | Status::Cancelled) {
            return Err(FleetError::invalid_state(format!("the distribution is already {status:?}")));
        }
        let periods = match status {
            Status::Active => schedule::elapsed_periods(&self.config().schedule, now),
            _ => 0,
        };
        let mut books = self.books().clone();
        books.status = Status::Cancelled;
        books.cancelled_at = Some(now);
        books.cancel_periods = Some(periods);
        self.set_books(books);
        let (mut owed, mut reserved) = (0u128, 0u128);
        if periods > 0 {
            for entry in self.recipients.iter() {
                let record = entry.value();
                owed += self.cap(&record).saturating_sub(record.claimed);
                reserved += self.reserve(&record);
            }
        }
        let mut books = self.books().clone();
        books.owed_total = owed;
        books.reserved_claims = reserved;
        self.set_books(books);
        Ok(Cancelled { needs_sync: status == Status::Created, periods })
    }
}
