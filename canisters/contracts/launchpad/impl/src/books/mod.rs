//! The launchpad's books: configuration, buyers, contributions, outgoing transfers and totals, all in stable
//! structures. Plain Rust over any `Memory`: the canister runs it on its stable memory, unit tests on `VectorMemory`.
//!
//! Every change to a buyer goes through [`Launchpad::put_buyer`], which moves the totals (tokens sold, claimed) by the
//! difference between the record before and after, so a contribution or a claim touches one buyer whatever their
//! number. The refund job and the participant reports walk the buyer order from a stored cursor, a batch at a time.

mod codec;
mod contributions;
mod payouts;
mod records;
mod sends;

pub use records::{
    is_sale_token, memo, Books, BuyerRecord, Config, ContributionRecord, Outcome, TransferRecord, NOT_LISTED, PROCEEDS,
    SALE_RETURN, UNSOLD,
};
pub use sends::{LedgerReply, SendFailure, SendOutcome, SendVerdict};

use crate::memory;
use candid::Principal;
use contract_runtime::storable::Candid;
use fleet_api::{FleetError, Page, PageRequest};
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, StableVec};
use launchpad_api::{
    amount_u128, tokens_for, vested, BuyerInfo, ContributionInfo, FundingReport, LaunchpadInit, LaunchpadStatus,
    SaleInfo, TransferInfo, MAX_ALLOW_LIST,
};
use std::collections::BTreeSet;

pub struct Launchpad<M: Memory> {
    config: StableCell<Candid<Config>, M>,
    books: StableCell<Books, M>,
    buyers: StableBTreeMap<Principal, BuyerRecord, M>,
    order: StableVec<Principal, M>,
    allow_list: StableBTreeMap<Principal, (), M>,
    contributions: StableBTreeMap<u64, ContributionRecord, M>,
    transfers: StableBTreeMap<u64, TransferRecord, M>,
    pending_contributions: StableBTreeMap<u64, (), M>,
    pending_transfers: StableBTreeMap<u64, (), M>,
    /// Contributions and transfers with a send awaiting its reply in this execution of the code (heap only: an
    /// upgrade drops the replies with the futures, so after it nothing is being sent).
    sending_contributions: BTreeSet<u64>,
    sending_transfers: BTreeSet<u64>,
    /// A failed sale's balance read for the sale return is under way.
    pub(crate) reading_sale_balance: bool,
}

impl<M: Memory> Launchpad<M> {
    /// Opens the structures on the memories `memory(id)` returns (ids from `crate::memory`).
    pub fn open(memory: impl Fn(u8) -> M) -> Self {
        Self {
            config: StableCell::init(memory(memory::CONFIG), Candid(Config::default())),
            books: StableCell::init(memory(memory::BOOKS), Books::default()),
            buyers: StableBTreeMap::init(memory(memory::BUYERS)),
            order: StableVec::init(memory(memory::BUYER_ORDER)),
            allow_list: StableBTreeMap::init(memory(memory::ALLOW_LIST)),
            contributions: StableBTreeMap::init(memory(memory::CONTRIBUTIONS)),
            transfers: StableBTreeMap::init(memory(memory::TRANSFERS)),
            pending_contributions: StableBTreeMap::init(memory(memory::PENDING_CONTRIBUTIONS)),
            pending_transfers: StableBTreeMap::init(memory(memory::PENDING_TRANSFERS)),
            sending_contributions: BTreeSet::new(),
            sending_transfers: BTreeSet::new(),
            reading_sale_balance: false,
        }
    }

    /// Sets the sale up from its init argument (validated again here) and its initial allow-list.
    pub fn install(&mut self, init: &LaunchpadInit) -> Result<(), FleetError> {
        launchpad_api::validate_init(init)?;
        let a = &init.args;
        let amount = |n: &candid::Nat| amount_u128(n).unwrap_or_default();
        self.config.set(Candid(Config {
            name: a.name.clone(),
            sale_ledger: a.sale_ledger,
            payment_ledger: a.payment_ledger,
            price: a.price.clone(),
            soft_cap: amount(&a.soft_cap),
            hard_cap: amount(&a.hard_cap),
            start_time: a.start_time,
            end_time: a.end_time,
            min_per_buyer: amount(&a.min_per_buyer),
            max_per_buyer: amount(&a.max_per_buyer),
            allow_list: a.allow_list.is_some(),
            vesting: a.vesting,
        }));
        self.insert_allow_list(a.allow_list.as_deref().unwrap_or_default());
        Ok(())
    }

    pub fn config(&self) -> &Config {
        &self.config.get().0
    }

    pub fn books(&self) -> &Books {
        self.books.get()
    }

    fn update_books(&mut self, f: impl FnOnce(&mut Books)) {
        let mut books = self.books().clone();
        f(&mut books);
        self.books.set(books);
    }

    pub fn status(&self, now: u64) -> LaunchpadStatus {
        let (config, books) = (self.config(), self.books());
        match books.outcome {
            Outcome::Succeeded => LaunchpadStatus::Succeeded,
            Outcome::Failed => LaunchpadStatus::Failed,
            Outcome::Undecided if now >= config.end_time => LaunchpadStatus::Closed,
            Outcome::Undecided if books.funded_at.is_some() && now >= config.start_time => LaunchpadStatus::Open,
            Outcome::Undecided => LaunchpadStatus::Upcoming,
        }
    }

    /// Sale tokens funding requires: what the hard cap buys.
    pub fn required_funding(&self) -> u128 {
        tokens_for(self.config().hard_cap, &self.config().price)
    }

    /// Checks `checkFunding` may run: the owner, before the end, not funded yet.
    pub fn check_funding_allowed(&self, caller: Principal, owner: Principal, now: u64) -> Result<(), FleetError> {
        require_owner(caller, owner, "fund the sale")?;
        if self.books().funded_at.is_some() {
            return Err(FleetError::invalid_state("the sale is already funded"));
        }
        if now >= self.config().end_time {
            return Err(FleetError::invalid_state("the sale has ended; it can no longer be funded"));
        }
        Ok(())
    }

    /// Records what `checkFunding` read: the fees, and the sale as funded when the balance covers the hard cap.
    pub fn finish_funding(&mut self, balance: u128, sale_fee: u128, payment_fee: u128, now: u64) -> FundingReport {
        let required = self.required_funding();
        let fund = self.books().funded_at.is_none() && balance >= required && now < self.config().end_time;
        self.update_books(|b| {
            b.sale_fee = Some(sale_fee);
            b.payment_fee = Some(payment_fee);
            if fund {
                b.funded_at = Some(now);
                b.funded_amount = balance;
            }
        });
        FundingReport {
            status: self.status(now),
            balance: balance.into(),
            required: required.into(),
            funded: self.books().funded_at.is_some(),
        }
    }

    /// `addToAllowList`: the owner, before the end, on a sale with an allow-list. Returns the listed count.
    pub fn add_to_allow_list(
        &mut self,
        caller: Principal,
        owner: Principal,
        list: &[Principal],
        now: u64,
    ) -> Result<u64, FleetError> {
        require_owner(caller, owner, "change the allow-list")?;
        if !self.config().allow_list {
            return Err(FleetError::invalid_state("this sale has no allow-list: anyone may buy"));
        }
        if now >= self.config().end_time || self.books().outcome != Outcome::Undecided {
            return Err(FleetError::invalid_state("the sale has ended"));
        }
        launchpad_api::validate_allow_list("principals", list)?;
        let new = list.iter().filter(|p| !self.allow_list.contains_key(p)).count() as u64;
        if self.books().allow_listed + new > MAX_ALLOW_LIST {
            return Err(FleetError::invalid(format!(
                "principals: {new} more would pass the allow-list limit of {MAX_ALLOW_LIST}"
            )));
        }
        self.insert_allow_list(list);
        Ok(self.books().allow_listed)
    }

    fn insert_allow_list(&mut self, list: &[Principal]) {
        let mut added = 0;
        for p in list {
            if self.allow_list.insert(*p, ()).is_none() {
                added += 1;
            }
        }
        self.update_books(|b| b.allow_listed += added);
    }

    pub fn is_allow_listed(&self, who: &Principal) -> bool {
        !self.config().allow_list || self.allow_list.contains_key(who)
    }

    /// Writes a buyer's record and moves the totals by the difference it makes.
    fn put_buyer(&mut self, buyer: Principal, before: BuyerRecord, after: BuyerRecord) {
        let price = self.config().price.clone();
        self.update_books(|b| {
            b.tokens_sold =
                b.tokens_sold - tokens_for(before.contributed, &price) + tokens_for(after.contributed, &price);
            b.claimed_total = b.claimed_total - before.claimed + after.claimed;
        });
        self.buyers.insert(buyer, after);
    }

    pub fn buyer(&self, who: &Principal) -> Option<BuyerRecord> {
        self.buyers.get(who)
    }

    pub fn buyer_count(&self) -> u64 {
        self.order.len()
    }

    /// What `claim` would take from `record` now: vested tokens less claimed (Succeeded), the refund (Failed).
    fn claimable(&self, record: &BuyerRecord, now: u64) -> u128 {
        match self.books().outcome {
            Outcome::Undecided => 0,
            Outcome::Succeeded => self.vested_tokens(record, now).saturating_sub(record.claimed),
            Outcome::Failed => record.contributed.saturating_sub(record.claimed),
        }
    }

    fn vested_tokens(&self, record: &BuyerRecord, now: u64) -> u128 {
        let config = self.config();
        let tokens = tokens_for(record.contributed, &config.price);
        vested(tokens, config.vesting.as_ref(), config.end_time, now)
    }

    pub fn buyer_info(&self, buyer: Principal, now: u64) -> Option<BuyerInfo> {
        let r = self.buyers.get(&buyer)?;
        Some(BuyerInfo {
            buyer,
            contributed: r.contributed.into(),
            pending: r.pending.into(),
            tokens: tokens_for(r.contributed, &self.config().price).into(),
            vested: self.vested_tokens(&r, now).into(),
            claimed: r.claimed.into(),
            claimable: self.claimable(&r, now).into(),
        })
    }

    /// Buyers in order: one index read and one lookup per item, never a scan.
    pub fn buyers_page(&self, page: PageRequest, now: u64) -> Page<BuyerInfo> {
        let total = self.order.len();
        let end = page.offset.saturating_add(page.effective_limit() as u64).min(total);
        let items: Vec<BuyerInfo> = (page.offset.min(end)..end)
            .filter_map(|i| self.order.get(i))
            .filter_map(|p| self.buyer_info(p, now))
            .collect();
        Page { next_offset: (end < total && !items.is_empty()).then_some(end), items, total }
    }

    pub fn contributions_page(&self, page: PageRequest) -> Page<ContributionInfo> {
        newest_first(page, self.books().next_contribution_id, |id| self.contributions.get(&id).map(|c| c.info()))
    }

    pub fn transfers_page(&self, page: PageRequest) -> Page<TransferInfo> {
        let config = self.config();
        newest_first(page, self.books().next_transfer_id, |id| self.transfers.get(&id).map(|t| t.info(config)))
    }

    pub fn contribution(&self, id: u64) -> Option<ContributionRecord> {
        self.contributions.get(&id)
    }

    pub fn transfer(&self, id: u64) -> Option<TransferRecord> {
        self.transfers.get(&id)
    }

    pub fn info(&self, now: u64) -> SaleInfo {
        let (c, b) = (self.config(), self.books());
        SaleInfo {
            name: c.name.clone(),
            sale_ledger: c.sale_ledger,
            payment_ledger: c.payment_ledger,
            price: c.price.clone(),
            soft_cap: c.soft_cap.into(),
            hard_cap: c.hard_cap.into(),
            start_time: c.start_time,
            end_time: c.end_time,
            min_per_buyer: c.min_per_buyer.into(),
            max_per_buyer: c.max_per_buyer.into(),
            allow_list: c.allow_list,
            allow_listed: b.allow_listed,
            vesting: c.vesting,
            status: self.status(now),
            required_funding: self.required_funding().into(),
            funded_at: b.funded_at,
            funded_amount: b.funded_amount.into(),
            raised: b.raised.into(),
            reserved: b.reserved.into(),
            tokens_sold: b.tokens_sold.into(),
            buyers: self.order.len(),
            payment_held: b.payment_held().into(),
            sale_held: b.sale_held().into(),
            payment_owed: b.payment_owed().into(),
            tokens_owed: b.tokens_owed().into(),
            sale_fee: b.sale_fee.map(Into::into),
            payment_fee: b.payment_fee.map(Into::into),
            finalized_at: b.finalized_at,
            participants_reported: b.reported,
            refund_cursor: b.refund_cursor,
        }
    }

    /// The next buyers to report to the factory (at most `limit`), and the cursor they start at.
    pub fn participants_to_report(&self, limit: usize) -> (u64, Vec<Principal>) {
        let start = self.books().reported;
        let end = start.saturating_add(limit as u64).min(self.order.len());
        (start, (start..end).filter_map(|i| self.order.get(i)).collect())
    }

    /// Moves the report cursor past `count` buyers from `start`, if nobody moved it meanwhile.
    pub fn mark_reported(&mut self, start: u64, count: u64) {
        if self.books().reported == start {
            self.update_books(|b| b.reported = start + count);
        }
    }

    pub fn participants_pending(&self) -> bool {
        self.books().reported < self.order.len()
    }

    /// The status to tell the factory, when it differs from the last one it accepted.
    pub fn status_to_report(&self, now: u64) -> Option<LaunchpadStatus> {
        let status = self.status(now);
        (status_code(status) != self.books().reported_status).then_some(status)
    }

    pub fn mark_status_reported(&mut self, status: LaunchpadStatus) {
        self.update_books(|b| b.reported_status = status_code(status));
    }

    /// The cheap health check: not ok when a contribution or transfer needs an operator, or the books are short.
    pub fn check_books(&self, now: u64) -> Result<String, String> {
        let b = self.books();
        if b.needs_operator > 0 {
            return Err(format!(
                "{} contribution(s) or transfer(s) need an operator (see getTransfers)",
                b.needs_operator
            ));
        }
        if b.funded_at.is_some() && b.sale_held() < b.tokens_owed() {
            return Err(format!("sale tokens short: held {} < owed {}", b.sale_held(), b.tokens_owed()));
        }
        Ok(format!(
            "{:?}: {} buyers, {} raised of {}",
            self.status(now),
            self.order.len(),
            b.raised,
            self.config().hard_cap
        ))
    }
}

fn status_code(status: LaunchpadStatus) -> u8 {
    match status {
        LaunchpadStatus::Upcoming => 1,
        LaunchpadStatus::Open => 2,
        LaunchpadStatus::Closed => 3,
        LaunchpadStatus::Succeeded => 4,
        LaunchpadStatus::Failed => 5,
    }
}

fn newest_first<T>(page: PageRequest, total: u64, get: impl Fn(u64) -> Option<T>) -> Page<T> {
    let first = total.saturating_sub(page.offset);
    let last = first.saturating_sub(page.effective_limit() as u64);
    let items: Vec<T> = (last..first).rev().filter_map(get).collect();
    let end = page.offset.saturating_add(items.len() as u64);
    Page { next_offset: (end < total && !items.is_empty()).then_some(end), items, total }
}

pub(crate) fn require_owner(caller: Principal, owner: Principal, what: &str) -> Result<(), FleetError> {
    if caller != owner {
        return Err(FleetError::unauthorized(format!("only the owner may {what}")));
    }
    Ok(())
}
