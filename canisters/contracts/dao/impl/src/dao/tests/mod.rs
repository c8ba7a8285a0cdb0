//! Native tests of the DAO and the executor over `VectorMemory` and the fake runtime. Each test builds a DAO from
//! init args and drives it as the endpoints do (`crate::executor` with a caller), so authorization and every await
//! are covered. `Fixture::upgrade` reopens the DAO on the same memory with an empty heap, as an upgrade does.

mod bench;
mod execution;
mod money;
mod proposals;
mod staking;

use super::Dao;
use crate::executor::{self, DaoCell};
use crate::fake_runtime::{block_on, FakeRuntime};
use candid::{Nat, Principal};
use dao_api::{
    staking_subaccount, DaoArgs, DaoInit, DaoParameters, LockOption, Proposal, ProposalAction, ProposalResult,
    ProposalsRequest, ProposeArgs, StakeArgs, StakeResult, TreasuryTransfer, Vote, VoteArgs,
};
use fleet_api::{ContractInit, FleetError, PageRequest};
use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::VectorMemory;
use icrc_ledger_types::icrc1::account::Account;
use std::cell::RefCell;

pub const FEE: u128 = 10;
/// 2024-01-01T00:00:00Z, in ns.
pub const START: u64 = 1_704_067_200_000_000_000;
pub const SECOND: u64 = 1_000_000_000;
pub const DAY: u64 = 24 * 60 * 60 * SECOND;
pub const YEAR_SECONDS: u64 = 365 * 24 * 60 * 60;
pub const PERIOD: u64 = 3 * DAY;

pub fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}
pub fn alice() -> Principal {
    user(1)
}
pub fn bob() -> Principal {
    user(2)
}
pub fn carol() -> Principal {
    user(3)
}
pub fn outsider() -> Principal {
    user(8)
}
pub fn owner() -> Principal {
    user(9)
}
pub fn dao_id() -> Principal {
    Principal::from_slice(&[0xAA; 10])
}
pub fn ledger_id() -> Principal {
    Principal::from_slice(&[0xBB; 10])
}
pub fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}
pub fn staking_account() -> Account {
    Account { owner: dao_id(), subaccount: Some(staking_subaccount()) }
}

pub struct TestDao {
    memory: VectorMemory,
    dao: RefCell<Dao<VirtualMemory<VectorMemory>>>,
}

impl DaoCell for TestDao {
    type M = VirtualMemory<VectorMemory>;
    fn with<R>(&self, f: impl FnOnce(&mut Dao<Self::M>) -> R) -> R {
        f(&mut self.dao.borrow_mut())
    }
}

fn open(memory: &VectorMemory) -> Dao<VirtualMemory<VectorMemory>> {
    let manager = MemoryManager::init(memory.clone());
    Dao::open(|id| manager.get(MemoryId::new(id)))
}

/// No lock (1x) or one year (2x); quorum 20 %, simple majority, 1,000 to propose, 3-day votes.
pub fn parameters() -> DaoParameters {
    DaoParameters {
        voting_period_seconds: PERIOD / SECOND,
        quorum_basis_points: 2_000,
        approval_threshold_basis_points: 5_000,
        min_stake_to_propose: Nat::from(1_000u32),
        locks: vec![
            LockOption { duration_seconds: 0, multiplier_basis_points: 10_000 },
            LockOption { duration_seconds: YEAR_SECONDS, multiplier_basis_points: 20_000 },
        ],
    }
}

pub fn init(parameters: DaoParameters) -> DaoInit {
    let args = DaoArgs { name: "Guild".into(), governance_token: ledger_id(), parameters };
    ContractInit { factory: None, owner: owner(), version: "1.0.0".into(), args }
}

pub struct Fixture {
    pub rt: FakeRuntime,
    pub cell: TestDao,
}

impl Fixture {
    /// A DAO whose treasury holds `treasury`; alice, bob, carol and the outsider hold 1,000,000 each and have
    /// approved the DAO for all of it.
    pub fn new(treasury: u128) -> Self {
        Self::with(parameters(), treasury)
    }

    pub fn with(parameters: DaoParameters, treasury: u128) -> Self {
        let memory = VectorMemory::default();
        let mut dao = open(&memory);
        dao.install(&init(parameters)).expect("valid init");
        let rt = FakeRuntime::new(START, dao_id(), owner(), ledger_id(), FEE);
        {
            let mut ledger = rt.ledger.borrow_mut();
            ledger.balances.insert(account(dao_id()), treasury);
            for who in [alice(), bob(), carol(), outsider()] {
                ledger.balances.insert(account(who), 1_000_000);
                ledger.allowances.insert((account(who), account(dao_id())), 1_000_000);
            }
        }
        Self { rt, cell: TestDao { memory, dao: RefCell::new(dao) } }
    }

    /// Reopens the DAO on the same stable memory with an empty heap, as an upgrade does.
    pub fn upgrade(&self) {
        *self.cell.dao.borrow_mut() = open(&self.cell.memory);
    }

    pub fn dao<R>(&self, f: impl FnOnce(&mut Dao<VirtualMemory<VectorMemory>>) -> R) -> R {
        self.cell.with(f)
    }

    pub fn stake(&self, caller: Principal, amount: u128, lock_index: u32) -> StakeResult {
        let args = StakeArgs { amount: Nat::from(amount), lock_index, from_subaccount: None };
        block_on(executor::stake(&self.rt, &self.cell, caller, args))
    }

    pub fn unstake(&self, caller: Principal, id: u64) -> StakeResult {
        block_on(executor::unstake(&self.rt, &self.cell, caller, id))
    }

    pub fn settle(&self, caller: Principal, id: u64) -> StakeResult {
        block_on(executor::settle_stake(&self.rt, &self.cell, caller, id))
    }

    pub fn propose(&self, caller: Principal, action: ProposalAction) -> ProposalResult {
        executor::propose(&self.rt, &self.cell, caller, ProposeArgs { summary: "test".into(), action })
    }

    pub fn vote(&self, caller: Principal, proposal_id: u64, vote: Vote) -> ProposalResult {
        executor::vote(&self.rt, &self.cell, caller, VoteArgs { proposal_id, vote })
    }

    pub fn execute(&self, caller: Principal, id: u64) -> ProposalResult {
        block_on(executor::execute(&self.rt, &self.cell, caller, id))
    }

    /// What the timer does when a deadline passes.
    pub fn tick(&self) -> bool {
        block_on(executor::decide_and_execute(&self.rt, &self.cell))
    }

    pub fn proposal(&self, id: u64) -> Proposal {
        self.dao(|d| d.proposal_of(id)).expect("the proposal exists")
    }

    pub fn balance(&self, account: Account) -> u128 {
        self.rt.ledger.borrow().balance(account)
    }

    /// Everything the DAO stores, as text: equal before and after a refused call means nothing changed.
    pub fn dump(&self) -> String {
        self.dao(|d| {
            let mut text = format!("{:?}\n{:?}\n", d.config(), d.reports().state());
            let page = d.proposals_page(&ProposalsRequest { state: None, page: PageRequest::new(0, 500) });
            for p in page.items {
                text.push_str(&format!("{p:?}\n"));
            }
            for who in [alice(), bob(), carol(), outsider()] {
                text.push_str(&format!("{:?} {:?}\n", d.member(&who), d.stakes_page(who, PageRequest::new(0, 500))));
            }
            text.push_str(&format!("{:?}\n{:?}", d.stored_bytes(), d.reports().participants_to_report()));
            text
        })
    }

    /// Alice stakes 10,000 for a year (power 20,000 units × 10,000 bp), Bob 5,000 unlocked, Carol 3,000 unlocked.
    pub fn three_members(treasury: u128) -> Self {
        let fx = Self::new(treasury);
        fx.stake(alice(), 10_000, 1).unwrap();
        fx.stake(bob(), 5_000, 0).unwrap();
        fx.stake(carol(), 3_000, 0).unwrap();
        fx
    }
}

pub fn treasury_transfer(to: Principal, amount: u128) -> ProposalAction {
    ProposalAction::TreasuryTransfer(TreasuryTransfer {
        ledger: ledger_id(),
        to: account(to),
        amount: Nat::from(amount),
        fee: None,
    })
}

pub fn motion() -> ProposalAction {
    ProposalAction::Motion { text: "We like turtles".into() }
}

/// Asserts `result` is an error `expected` accepts, and returns it.
pub fn assert_err<T: std::fmt::Debug>(result: Result<T, FleetError>, expected: fn(&FleetError) -> bool) -> FleetError {
    match result {
        Err(e) if expected(&e) => e,
        other => panic!("unexpected result: {other:?}"),
    }
}
