//! The distribution's books: configuration, recipients, totals and outgoing transfers, all in stable structures.
//! Plain Rust over any `Memory`: the canister runs it on its stable memory, unit tests on `VectorMemory`.
//!
//! Every change to a recipient goes through [`Distribution::put_recipient`], which moves the totals (owed, fees
//! reserved, claimed) by the difference between the record before and after, so no operation but a cancel in the
//! middle of vesting ever looks at more than one recipient. The invariant `held >= owed + fee * reserved_claims +
//! pending_total` holds after every operation once the distribution is funded; `surplus` is the difference.

mod claims;
mod codec;
mod funding;
mod records;
pub mod schedule;

pub use claims::{SendFailure, SendOutcome, SendVerdict};
pub use funding::{Cancelled, SyncTicket};
pub use records::{transfer_memo, Books, Config, RecipientRecord, Status, TransferRecord};

use crate::memory;
use candid::{Nat, Principal};
use contract_runtime::storable::Candid;
use distribution_api::{
    AddRecipientsReport, DistributionInfo, DistributionInit, RecipientInfo, TransferInfo, MAX_RECIPIENTS,
};
use fleet_api::{FleetError, Page, PageRequest};
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, StableVec};
use std::collections::BTreeSet;

pub struct Distribution<M: Memory> {
    config: StableCell<Candid<Config>, M>,
    books: StableCell<Books, M>,
    recipients: StableBTreeMap<Principal, RecipientRecord, M>,
    order: StableVec<Principal, M>,
    transfers: StableBTreeMap<u64, TransferRecord, M>,
    pending: StableBTreeMap<u64, (), M>,
    /// Transfers with a send awaiting its reply in this execution of the code (heap only: an upgrade drops the
    /// replies with the futures, so after it nothing is being sent).
    sending: BTreeSet<u64>,
}

impl<M: Memory> Distribution<M> {
    /// Opens the structures on the memories `memory(id)` returns (ids from `crate::memory`).
    pub fn open(memory: impl Fn(u8) -> M) -> Self {
        Self {
            config: StableCell::init(memory(memory::CONFIG), Candid(Config::default())),
            books: StableCell::init(memory(memory::BOOKS), Books::default()),
            recipients: StableBTreeMap::init(memory(memory::RECIPIENTS)),
            order: StableVec::init(memory(memory::RECIPIENT_ORDER)),
            transfers: StableBTreeMap::init(memory(memory::TRANSFERS)),
            pending: StableBTreeMap::init(memory(memory::PENDING)),
            sending: BTreeSet::new(),
        }
    }

    /// Sets the distribution up from its init argument, with its initial recipients.
    pub fn install(&mut self, init: &DistributionInit) -> Result<(), FleetError> {
        distribution_api::validate_init(init)?;
        let args = &init.args;
        self.config.set(Candid(Config {
            name: args.name.clone(),
            ledger: args.ledger,
            schedule: args.schedule.clone(),
        }));
        self.insert_batch(&args.recipients).map(|_| ())
    }

    pub fn config(&self) -> &Config {
        &self.config.get().0
    }

    pub fn books(&self) -> &Books {
        self.books.get()
    }

    fn set_books(&mut self, books: Books) {
        self.books.set(books);
    }

    fn periods(&self) -> u32 {
        schedule::periods(&self.config().schedule)
    }

    /// The status at `now`: a funded distribution whose start has come is Active even before a call records it.
    pub fn status(&self, now: u64) -> Status {
        let books = self.books();
        match books.status {
            Status::Funded if books.active_from.is_some_and(|at| now >= at) => Status::Active,
            status => status,
        }
    }

    /// Records Funded → Active when its time has come. Returns whether it did.
    pub fn activate_if_due(&mut self, now: u64) -> bool {
        if self.books().status == Status::Funded && self.status(now) == Status::Active {
            let mut books = self.books().clone();
            books.status = Status::Active;
            self.set_books(books);
            return true;
        }
        false
    }

    /// Periods counted as vested at `now`: none before the distribution is Active, frozen at a cancel.
    pub fn periods_vested(&self, now: u64) -> u32 {
        match self.status(now) {
            Status::Created | Status::Funded => 0,
            Status::Active | Status::Completed => schedule::elapsed_periods(&self.config().schedule, now),
            Status::Cancelled => self.books().cancel_periods.unwrap_or(0),
        }
    }

    /// The most a recipient will ever get: its allocation, or what had vested at the cancel.
    fn cap(&self, record: &RecipientRecord) -> u128 {
        match self.books().cancel_periods {
            Some(k) => schedule::vested_amount(record.allocation, k, self.periods()),
            None => record.allocation,
        }
    }

    /// The fees still set aside for a recipient: after a cancel, at most the one claim it may still make.
    fn reserve(&self, record: &RecipientRecord) -> u128 {
        match self.books().cancel_periods {
            Some(_) => u128::from(record.reserved.min(u32::from(self.cap(record) > record.claimed))),
            None => u128::from(record.reserved),
        }
    }

    /// Writes a recipient's record and moves the totals by the difference it makes.
    fn put_recipient(&mut self, recipient: Principal, before: Option<&RecipientRecord>, after: RecipientRecord) {
        let owed = |r: &RecipientRecord| self.cap(r).saturating_sub(r.claimed);
        let (owed_before, reserve_before, claimed_before) =
            before.map_or((0, 0, 0), |r| (owed(r), self.reserve(r), r.claimed));
        let (owed_after, reserve_after) = (owed(&after), self.reserve(&after));
        let mut books = self.books().clone();
        books.owed_total = books.owed_total - owed_before + owed_after;
        books.reserved_claims = books.reserved_claims - reserve_before + reserve_after;
        books.claimed_total = books.claimed_total - claimed_before + after.claimed;
        self.set_books(books);
        self.recipients.insert(recipient, after);
    }

    /// Adds a batch of recipients (the owner, while Created). All or nothing.
    pub fn add_recipients(
        &mut self,
        caller: Principal,
        owner: Principal,
        batch: &[(Principal, Nat)],
    ) -> Result<AddRecipientsReport, FleetError> {
        require_owner(caller, owner, "add recipients")?;
        if self.books().status != Status::Created {
            return Err(FleetError::invalid_state(
                "recipients can only be added while the distribution is Created (before it is funded)",
            ));
        }
        let added = self.insert_batch(batch)?;
        Ok(AddRecipientsReport {
            added,
            recipients: self.recipients.len(),
            total_allocation: self.books().allocation_total.into(),
        })
    }

    fn insert_batch(&mut self, batch: &[(Principal, Nat)]) -> Result<u64, FleetError> {
        let total = distribution_api::validate_batch("recipients", batch)?;
        let count = self.recipients.len() as usize;
        if count + batch.len() > MAX_RECIPIENTS {
            return Err(FleetError::invalid(format!(
                "recipients: {count} already, {} more would pass the limit of {MAX_RECIPIENTS}",
                batch.len()
            )));
        }
        if let Some((i, (p, _))) = batch.iter().enumerate().find(|(_, (p, _))| self.recipients.contains_key(p)) {
            return Err(FleetError::invalid(format!("recipients[{i}]: {p} is already a recipient")));
        }
        let allocation_total = self.books().allocation_total.checked_add(total).ok_or_else(|| {
            FleetError::invalid("recipients: the total allocation would exceed 2^128 - 1".to_string())
        })?;
        let reserved = schedule::max_claims(&self.config().schedule);
        for (recipient, amount) in batch {
            let allocation = distribution_api::amount_u128(amount).unwrap_or_default();
            let index = self.order.len() as u32;
            self.order.push(recipient);
            self.put_recipient(*recipient, None, RecipientRecord { allocation, claimed: 0, reserved, index });
        }
        let mut books = self.books().clone();
        books.allocation_total = allocation_total;
        self.set_books(books);
        Ok(batch.len() as u64)
    }

    pub fn recipient_count(&self) -> u64 {
        self.recipients.len()
    }

    /// What the books still have to pay: owed amounts, fees reserved and pending transfers.
    pub fn obligations(&self) -> u128 {
        let books = self.books();
        let fees = books.fee.unwrap_or(0).saturating_mul(books.reserved_claims);
        books.owed_total.saturating_add(fees).saturating_add(books.pending_total)
    }

    /// `held - obligations`, `None` when the books are short (an invariant violation) or not yet synced (Created).
    pub fn surplus(&self) -> Option<u128> {
        if self.books().status == Status::Created {
            return None;
        }
        self.books().held.checked_sub(self.obligations())
    }

    pub fn recipient(&self, recipient: &Principal, now: u64) -> Option<RecipientInfo> {
        self.recipients.get(recipient).map(|r| self.recipient_info(*recipient, &r, now))
    }

    fn recipient_info(&self, recipient: Principal, r: &RecipientRecord, now: u64) -> RecipientInfo {
        let vested = schedule::vested_amount(r.allocation, self.periods_vested(now), self.periods());
        RecipientInfo {
            recipient,
            allocation: r.allocation.into(),
            vested: vested.into(),
            claimed: r.claimed.into(),
            claimable: vested.saturating_sub(r.claimed).into(),
        }
    }

    /// Recipients in the order they were added: one index read and one lookup per item, never a scan.
    pub fn recipients_page(&self, page: PageRequest, now: u64) -> Page<RecipientInfo> {
        let total = self.order.len();
        let end = page.offset.saturating_add(page.effective_limit() as u64).min(total);
        let items: Vec<RecipientInfo> = (page.offset.min(end)..end)
            .filter_map(|i| self.order.get(i))
            .filter_map(|p| self.recipients.get(&p).map(|r| self.recipient_info(p, &r, now)))
            .collect();
        Page { next_offset: (end < total && !items.is_empty()).then_some(end), items, total }
    }

    /// Transfers, newest first.
    pub fn transfers_page(&self, page: PageRequest) -> Page<TransferInfo> {
        let total = self.books().next_transfer_id;
        let first = total.saturating_sub(page.offset);
        let last = first.saturating_sub(page.effective_limit() as u64);
        let items: Vec<TransferInfo> =
            (last..first).rev().filter_map(|id| self.transfers.get(&id)).map(|t| t.info()).collect();
        let end = page.offset.saturating_add(items.len() as u64);
        Page { next_offset: (end < total && !items.is_empty()).then_some(end), items, total }
    }

    pub fn transfer(&self, id: u64) -> Option<TransferRecord> {
        self.transfers.get(&id)
    }

    pub fn info(&self, now: u64) -> DistributionInfo {
        let (config, books) = (self.config(), self.books());
        let fee = books.fee.unwrap_or(0);
        DistributionInfo {
            name: config.name.clone(),
            ledger: config.ledger,
            schedule: config.schedule.clone(),
            status: self.status(now).into(),
            recipients: self.recipients.len(),
            total_allocation: books.allocation_total.into(),
            total_claimed: books.claimed_total.into(),
            owed: books.owed_total.into(),
            transfer_fee: books.fee.map(Nat::from),
            reserved_fees: fee.saturating_mul(books.reserved_claims).into(),
            pending_transfers: books.pending_total.into(),
            held: books.held.into(),
            surplus: self.surplus().unwrap_or(0).into(),
            required_funding: books.required_funding.map(Nat::from),
            funded_at: books.funded_at,
            active_from: books.active_from,
            cancelled_at: books.cancelled_at,
            participants_reported: books.reported,
        }
    }

    /// The next recipients to report to the factory (at most `limit`), and the cursor they start at.
    pub fn participants_to_report(&self, limit: usize) -> (u64, Vec<Principal>) {
        let start = self.books().reported;
        let end = start.saturating_add(limit as u64).min(self.order.len());
        (start, (start..end).filter_map(|i| self.order.get(i)).collect())
    }

    /// Moves the report cursor past `count` recipients from `start`, if nobody moved it meanwhile.
    pub fn mark_reported(&mut self, start: u64, count: u64) {
        if self.books().reported == start {
            let mut books = self.books().clone();
            books.reported = start + count;
            self.set_books(books);
        }
    }

    pub fn participants_pending(&self) -> bool {
        self.books().reported < self.order.len()
    }

    /// The cheap health check: not ok when the books are short or a transfer needs an operator.
    pub fn check_books(&self, now: u64) -> Result<String, String> {
        let stuck = self.books().needs_operator;
        if stuck > 0 {
            return Err(format!("{stuck} transfer(s) need an operator (see getTransfers)"));
        }
        let status = self.status(now);
        if status != Status::Created && self.surplus().is_none() {
            return Err(format!("books short: held {} < obligations {}", self.books().held, self.obligations()));
        }
        Ok(format!("{status:?}: {} recipients, {} owed", self.recipients.len(), self.books().owed_total))
    }
}

pub(crate) fn require_owner(caller: Principal, owner: Principal, what: &str) -> Result<(), FleetError> {
    if caller != owner {
        return Err(FleetError::unauthorized(format!("only the owner may {what}")));
    }
    Ok(())
}
