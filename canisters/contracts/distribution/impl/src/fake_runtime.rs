//! A [`Runtime`] for native tests: an in-memory ICRC-1 ledger with the reference ledger's order of checks (fee,
//! then the deduplication window, then duplicates, then funds) and scripted faults, a clock, and a factory that
//! records participant reports.

use crate::books::SendFailure;
use crate::runtime::Runtime;
use candid::{Nat, Principal};
use distribution_api::amount_u128;
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};

pub use contract_runtime::testing::{Fault, DAY};

#[derive(Default)]
pub struct FakeLedger {
    pub balances: BTreeMap<Principal, u128>,
    pub fee: u128,
    pub burned: u128,
    pub blocks: u64,
    /// (to, amount, memo, created_at_time) → block, kept for the window.
    dedup: BTreeMap<(Principal, u128, Vec<u8>, u64), u64>,
    pub executed_transfers: Vec<(Principal, u128)>,
}

pub struct FakeRuntime {
    pub now: Cell<u64>,
    pub me: Principal,
    pub owner: Principal,
    pub ledger_id: Principal,
    pub ledger: RefCell<FakeLedger>,
    pub faults: RefCell<VecDeque<Fault>>,
    /// Batches received by the factory.
    pub reported: RefCell<Vec<Vec<Principal>>>,
    /// The factory refuses this many more calls.
    pub factory_refusals: Cell<u32>,
    pub statuses: RefCell<Vec<String>>,
    pub ledger_down: Cell<bool>,
}

impl FakeRuntime {
    pub fn new(owner: Principal, fee: u128) -> Self {
        Self {
            now: Cell::new(1_000_000_000_000),
            me: Principal::from_slice(&[0xD1; 10]),
            owner,
            ledger_id: Principal::from_slice(&[0x1E; 10]),
            ledger: RefCell::new(FakeLedger { fee, ..FakeLedger::default() }),
            faults: RefCell::new(VecDeque::new()),
            reported: RefCell::new(Vec::new()),
            factory_refusals: Cell::new(0),
            statuses: RefCell::new(Vec::new()),
            ledger_down: Cell::new(false),
        }
    }

    pub fn advance(&self, nanos: u64) {
        self.now.set(self.now.get() + nanos);
    }

    pub fn mint(&self, to: Principal, amount: u128) {
        *self.ledger.borrow_mut().balances.entry(to).or_default() += amount;
    }

    pub fn balance(&self, of: Principal) -> u128 {
        self.ledger.borrow().balances.get(&of).copied().unwrap_or(0)
    }

    pub fn fault_next(&self, fault: Fault) {
        self.faults.borrow_mut().push_back(fault);
    }

    /// A transfer from the contract (the ledger's own logic, without the faults).
    fn execute(&self, arg: &TransferArg) -> Result<Nat, TransferError> {
        let now = self.now.get();
        let mut ledger = self.ledger.borrow_mut();
        let fee = ledger.fee;
        if arg.fee.as_ref().is_some_and(|f| amount_u128(f) != Some(fee)) {
            return Err(TransferError::BadFee { expected_fee: fee.into() });
        }
        let created = arg.created_at_time.unwrap_or(now);
        if created + DAY + 60_000_000_000 < now {
            return Err(TransferError::TooOld);
        }
        if created > now + 60_000_000_000 {
            return Err(TransferError::CreatedInFuture { ledger_time: now });
        }
        let amount = amount_u128(&arg.amount).unwrap_or(u128::MAX);
        let memo = arg.memo.as_ref().map(|m| m.0.to_vec()).unwrap_or_default();
        let key = (arg.to.owner, amount, memo, created);
        if let Some(block) = ledger.dedup.get(&key) {
            return Err(TransferError::Duplicate { duplicate_of: (*block).into() });
        }
        let balance = ledger.balances.get(&self.me).copied().unwrap_or(0);
        let Some(left) = balance.checked_sub(amount + fee) else {
            return Err(TransferError::InsufficientFunds { balance: balance.into() });
        };
        ledger.balances.insert(self.me, left);
        *ledger.balances.entry(arg.to.owner).or_default() += amount;
        ledger.burned += fee;
        ledger.blocks += 1;
        let block = ledger.blocks;
        ledger.dedup.insert(key, block);
        ledger.executed_transfers.push((arg.to.owner, amount));
        Ok(block.into())
    }
}

fn lost(reason: &str) -> SendFailure {
    SendFailure { reason: reason.into(), may_have_executed: true }
}

impl contract_runtime::ContractEnv for FakeRuntime {
    fn now(&self) -> u64 {
        self.now.get()
    }

    fn self_id(&self) -> Principal {
        self.me
    }

    fn owner(&self) -> Principal {
        self.owner
    }
}

impl Runtime for FakeRuntime {
    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError> {
        if self.ledger_down.get() {
            return Err(FleetError::call_failed(ledger, "icrc1_fee", "stopped"));
        }
        Ok(self.ledger.borrow().fee.into())
    }

    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> Result<Nat, FleetError> {
        if self.ledger_down.get() {
            return Err(FleetError::call_failed(ledger, "icrc1_balance_of", "stopped"));
        }
        Ok(self.balance(account.owner).into())
    }

    async fn icrc1_transfer(
        &self,
        ledger: Principal,
        arg: TransferArg,
    ) -> Result<Result<Nat, TransferError>, SendFailure> {
        assert_eq!(ledger, self.ledger_id, "transfers go to the configured ledger");
        match self.faults.borrow_mut().pop_front() {
            Some(Fault::ExecutedReplyLost) => {
                let _ = self.execute(&arg);
                Err(lost("reply lost"))
            }
            Some(Fault::NotExecutedReplyLost) => Err(lost("no reply")),
            Some(Fault::Rejected) => {
                Err(SendFailure { reason: "rejected: ledger stopped".into(), may_have_executed: false })
            }
            Some(Fault::TemporarilyUnavailable) => Ok(Err(TransferError::TemporarilyUnavailable)),
            None => Ok(self.execute(&arg)),
        }
    }
}

impl contract_runtime::FactoryNotifier for FakeRuntime {
    async fn notify_participants_added(&self, users: &[Principal]) -> Result<(), FleetError> {
        assert!(users.len() <= fleet_api::contract::callbacks::MAX_PARTICIPANTS_PER_CALL);
        if self.factory_refusals.get() > 0 {
            self.factory_refusals.set(self.factory_refusals.get() - 1);
            return Err(FleetError::invalid_state("rate limited"));
        }
        self.reported.borrow_mut().push(users.to_vec());
        Ok(())
    }

    async fn notify_status_changed(&self, status: String) -> Result<(), FleetError> {
        self.statuses.borrow_mut().push(status);
        Ok(())
    }
}
