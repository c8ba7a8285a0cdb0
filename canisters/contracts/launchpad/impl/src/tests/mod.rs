//! Native tests of the launchpad: the books and the flows on `VectorMemory` with two fake ledgers.

mod bad_input;
mod faults;
mod lifecycle;
mod money;
mod participants;

use crate::books::Launchpad;
use crate::fake_runtime::FakeRuntime;
use crate::flows;
use candid::{Nat, Principal};
use fleet_api::{ContractInit, FleetError};
use ic_stable_structures::VectorMemory;
use launchpad_api::{
    ContributionInfo, FundingReport, LaunchpadArgs, LaunchpadInit, LaunchpadStatus, Price, SaleInfo, TransferInfo,
};
use std::cell::RefCell;

pub const SALE_FEE: u128 = 10;
pub const PAYMENT_FEE: u128 = 3;
pub const HOUR: u64 = 3_600 * SECOND;

pub use contract_runtime::testing::{block_on, owner, stranger, user, SECOND};

/// A sale starting in an hour and lasting an hour: 2 payment units buy 5 tokens, soft cap 1,000, hard cap 10,000,
/// 10 to 2,000 per buyer, no allow-list, no vesting.
pub fn sale_args(rt: &FakeRuntime) -> LaunchpadArgs {
    let now = rt.now.get();
    LaunchpadArgs {
        name: "Seed".into(),
        sale_ledger: rt.sale_id,
        payment_ledger: rt.payment_id,
        price: Price { payment: Nat::from(2u8), tokens: Nat::from(5u8) },
        soft_cap: Nat::from(1_000u32),
        hard_cap: Nat::from(10_000u32),
        start_time: now + HOUR,
        end_time: now + 2 * HOUR,
        min_per_buyer: Nat::from(10u32),
        max_per_buyer: Nat::from(2_000u32),
        allow_list: None,
        vesting: None,
    }
}

pub struct World {
    pub memories: Vec<VectorMemory>,
    pub state: RefCell<Launchpad<VectorMemory>>,
    pub rt: FakeRuntime,
    pub args: LaunchpadArgs,
}

impl World {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    /// A sale of [`sale_args`] changed by `change`; every user 1..=50 holds 10^6 payment units and approved the
    /// launchpad for all of it; the owner holds 10^9 sale tokens.
    pub fn with(change: impl FnOnce(&mut LaunchpadArgs)) -> Self {
        let rt = FakeRuntime::new(owner(), SALE_FEE, PAYMENT_FEE);
        let mut args = sale_args(&rt);
        change(&mut args);
        let init: LaunchpadInit =
            ContractInit { factory: None, owner: owner(), version: crate::VERSION.into(), args: args.clone() };
        let memories: Vec<VectorMemory> = (0..32).map(|_| VectorMemory::default()).collect();
        let state = RefCell::new(Launchpad::open(|id| memories[usize::from(id)].clone()));
        state.borrow_mut().install(&init).expect("installs");
        let w = Self { memories, state, rt, args };
        w.rt.sale.borrow_mut().mint(owner(), 1_000_000_000);
        for i in 1..=50 {
            w.give(user(i), 1_000_000);
        }
        w
    }

    /// Mints `amount` payment units to `who` and approves the launchpad for all of them.
    pub fn give(&self, who: Principal, amount: u128) {
        let mut ledger = self.rt.payment.borrow_mut();
        ledger.mint(who, amount);
        *ledger.allowances.entry((who, self.rt.me)).or_default() += amount;
    }

    /// What an upgrade does to the books: the heap is gone, the stable structures are opened again.
    pub fn upgrade(&self) {
        let reopened = Launchpad::open(|id| self.memories[usize::from(id)].clone());
        self.state.replace(reopened);
    }

    pub fn l<R>(&self, f: impl FnOnce(&mut Launchpad<VectorMemory>) -> R) -> R {
        f(&mut self.state.borrow_mut())
    }

    pub fn info(&self) -> SaleInfo {
        self.l(|l| l.info(self.rt.now.get()))
    }

    pub fn status(&self) -> LaunchpadStatus {
        self.info().status
    }

    /// The owner sends `amount` sale tokens to the launchpad.
    pub fn deposit(&self, amount: u128) {
        let mut sale = self.rt.sale.borrow_mut();
        let from = sale.balance(owner());
        sale.balances.insert(owner(), from - amount);
        *sale.balances.entry(self.rt.me).or_default() += amount;
    }

    pub fn check_funding(&self) -> Result<FundingReport, FleetError> {
        block_on(flows::check_funding(&self.state, &self.rt, owner()))
    }

    /// Deposits what funding requires, funds, and moves the clock to the start.
    pub fn fund_and_open(&self) {
        let required = launchpad_api::amount_u128(&self.info().required_funding).expect("fits");
        self.deposit(required);
        assert!(self.check_funding().expect("funds").funded);
        self.rt.now.set(self.args.start_time);
        assert_eq!(self.status(), LaunchpadStatus::Open);
    }

    pub fn contribute(&self, who: Principal, amount: u128) -> Result<ContributionInfo, FleetError> {
        block_on(flows::contribute(&self.state, &self.rt, who, Nat::from(amount)))
    }

    pub fn claim(&self, who: Principal) -> Result<TransferInfo, FleetError> {
        block_on(flows::claim(&self.state, &self.rt, who))
    }

    /// Moves the clock to the end and runs what its timer runs.
    pub fn end(&self) {
        self.rt.now.set(self.rt.now.get().max(self.args.end_time));
        block_on(flows::finalize_and_pay(&self.state, &self.rt));
    }

    pub fn resend(&self) -> bool {
        block_on(flows::resend_pending(&self.state, &self.rt))
    }

    /// Runs the refund job to its end; returns its rounds.
    pub fn run_refund_job(&self) -> usize {
        let mut rounds = 0;
        while self.l(|l| l.refund_job_due()) {
            block_on(flows::refund_round(&self.state, &self.rt));
            rounds += 1;
            assert!(rounds < 10_000, "the refund job does not end");
        }
        rounds
    }

    pub fn paid_by_sale(&self, to: Principal) -> u128 {
        self.rt.sale.borrow().moves.iter().filter(|m| m.0 == self.rt.me && m.1 == to).map(|m| m.2).sum()
    }

    pub fn paid_by_payment(&self, to: Principal) -> u128 {
        self.rt.payment.borrow().moves.iter().filter(|m| m.0 == self.rt.me && m.1 == to).map(|m| m.2).sum()
    }

    /// The invariant at any point: the ledgers' balances cover what the books owe (buyers, or the owner);
    /// with nothing in flight they cover everything the books hold; no token is created or lost on either ledger.
    pub fn assert_invariants(&self) {
        let info = self.info();
        let n = |v: &Nat| launchpad_api::amount_u128(v).expect("fits");
        let payment = self.rt.payment.borrow().balance(self.rt.me);
        let sale = self.rt.sale.borrow().balance(self.rt.me);
        let quiet = !self.l(|l| l.has_pending());
        assert!(payment >= n(&info.payment_owed), "payment balance {payment} < owed {}", info.payment_owed);
        assert!(n(&info.payment_held) >= n(&info.payment_owed), "{info:?}");
        assert!(!quiet || payment >= n(&info.payment_held), "payment balance {payment} < held {}", info.payment_held);
        if info.funded_at.is_some() {
            assert!(sale >= n(&info.tokens_owed), "sale balance {sale} < owed {}", info.tokens_owed);
            assert!(n(&info.sale_held) >= n(&info.tokens_owed), "{info:?}");
            assert!(!quiet || sale >= n(&info.sale_held), "sale balance {sale} < held {}", info.sale_held);
        }
        assert!(n(&info.raised) + n(&info.reserved) <= n(&info.hard_cap), "{info:?}");
        self.rt.payment.borrow().assert_conserved();
        self.rt.sale.borrow().assert_conserved();
    }
}

pub use contract_runtime::testing::{assert_invalid, assert_state_error, assert_unauthorized};
