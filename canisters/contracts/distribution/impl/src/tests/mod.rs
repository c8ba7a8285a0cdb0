//! Native tests of the distribution: the books and the flows on `VectorMemory` with the fake ledger.

mod cancel;
mod faults;
mod lifecycle;
mod money;
mod participants;

use crate::books::{Distribution, Status};
use crate::fake_runtime::FakeRuntime;
use crate::flows;
use candid::{Nat, Principal};
use distribution_api::{DistributionArgs, DistributionInit, Schedule, TransferInfo, VestingSchedule};
use fleet_api::{ContractInit, FleetError};
use ic_stable_structures::VectorMemory;
use std::cell::RefCell;

pub const FEE: u128 = 10;

pub use contract_runtime::testing::{block_on, owner, stranger, user, SECOND};

pub struct World {
    pub memories: Vec<VectorMemory>,
    pub state: RefCell<Distribution<VectorMemory>>,
    pub rt: FakeRuntime,
    /// Tokens minted into the world (the conservation check's total).
    pub minted: RefCell<u128>,
}

pub fn vesting(start_in: u64, cliff: u64, duration: u64, periods: u32, rt: &FakeRuntime) -> Schedule {
    Schedule::Vesting(VestingSchedule { start_time: rt.now.get() + start_in, cliff, duration, periods })
}

impl World {
    /// A distribution installed with `recipients` (users 1..) and `schedule`.
    pub fn new(schedule: impl FnOnce(&FakeRuntime) -> Schedule, allocations: &[u128]) -> Self {
        let rt = FakeRuntime::new(owner(), FEE);
        let recipients = allocations.iter().enumerate().map(|(i, a)| (user(i as u32 + 1), Nat::from(*a))).collect();
        let init: DistributionInit = ContractInit {
            factory: None,
            owner: owner(),
            version: crate::VERSION.into(),
            args: DistributionArgs { name: "Test".into(), ledger: rt.ledger_id, schedule: schedule(&rt), recipients },
        };
        let memories: Vec<VectorMemory> = (0..32).map(|_| VectorMemory::default()).collect();
        let state = RefCell::new(Distribution::open(|id| memories[usize::from(id)].clone()));
        state.borrow_mut().install(&init).expect("installs");
        Self { memories, state, rt, minted: RefCell::new(0) }
    }

    /// What an upgrade does to the books: the heap is gone, the stable structures are opened again.
    pub fn upgrade(&self) {
        let reopened = Distribution::open(|id| self.memories[usize::from(id)].clone());
        self.state.replace(reopened);
    }

    pub fn d<R>(&self, f: impl FnOnce(&mut Distribution<VectorMemory>) -> R) -> R {
        f(&mut self.state.borrow_mut())
    }

    /// Sends `amount` to the contract's account.
    pub fn deposit(&self, amount: u128) {
        self.rt.mint(self.rt.me, amount);
        *self.minted.borrow_mut() += amount;
    }

    /// Deposits exactly what funding requires and funds.
    pub fn fund_exactly(&self) {
        let report = self.check_funding().expect("reads the ledger");
        let required = distribution_api::amount_u128(&report.required).expect("fits");
        self.deposit(required - self.rt.balance(self.rt.me).min(required));
        let report = self.check_funding().expect("funds");
        assert_ne!(report.status, distribution_api::DistributionStatus::Created, "{report:?}");
    }

    pub fn check_funding(&self) -> Result<distribution_api::FundingReport, FleetError> {
        block_on(flows::check_funding(&self.state, &self.rt, owner()))
    }

    pub fn claim(&self, who: Principal) -> Result<TransferInfo, FleetError> {
        block_on(flows::claim(&self.state, &self.rt, who))
    }

    pub fn cancel(&self, who: Principal) -> Result<Option<TransferInfo>, FleetError> {
        block_on(flows::cancel(&self.state, &self.rt, who))
    }

    pub fn withdraw(&self, who: Principal) -> Result<TransferInfo, FleetError> {
        block_on(flows::withdraw_surplus(&self.state, &self.rt, who))
    }

    pub fn resend(&self) -> bool {
        block_on(flows::resend_pending(&self.state, &self.rt))
    }

    pub fn status(&self) -> Status {
        self.d(|d| d.status(self.rt.now.get()))
    }

    pub fn claimed(&self, who: Principal) -> u128 {
        self.d(|d| d.recipient(&who, 0)).map_or(0, |r| distribution_api::amount_u128(&r.claimed).unwrap_or(0))
    }

    /// The invariant and the books' own, at any point: the contract's real balance covers what recipients
    /// are still owed, and it lies between the books' `held` less the pending transfers (all of them executed) and
    /// `held` (none of them executed) plus deposits not yet counted.
    pub fn assert_invariants(&self) {
        let balance = self.rt.balance(self.rt.me);
        self.d(|d| {
            let books = d.books().clone();
            if books.status == Status::Created {
                return;
            }
            assert!(balance >= books.owed_total, "balance {balance} < owed {}", books.owed_total);
            let all_executed = books.held - books.pending_total.min(books.held);
            assert!(
                all_executed <= balance,
                "books hold {} - pending {} > balance {balance}",
                books.held,
                books.pending_total
            );
            if books.pending_total == 0 {
                assert!(books.held <= balance, "books hold {} > ledger balance {balance}", books.held);
            }
            assert!(d.surplus().is_some(), "books short: {books:?}");
            assert!(books.claimed_total <= books.allocation_total);
        });
        // Conservation: every token minted is on an account or burned as a fee.
        let ledger = self.rt.ledger.borrow();
        let on_accounts: u128 = ledger.balances.values().sum();
        assert_eq!(on_accounts + ledger.burned, *self.minted.borrow(), "tokens created or lost");
    }

    /// Recipients never got more than their allocation: per recipient, what the ledger paid them.
    pub fn paid_to(&self, who: Principal) -> u128 {
        self.rt.ledger.borrow().executed_transfers.iter().filter(|(to, _)| *to == who).map(|(_, a)| a).sum()
    }
}

pub use contract_runtime::testing::{assert_invalid, assert_state_error, assert_unauthorized};
