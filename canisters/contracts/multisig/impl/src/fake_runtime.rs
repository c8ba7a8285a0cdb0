//! A scripted [`Runtime`] for native tests: an in-memory ICRC-1/ICRC-2 ledger with the real ledger's deduplication
//! (same caller and arguments within 24 hours → `Duplicate`), faults injected per call, canister calls answered from
//! a script, and the factory reports it receives.

use crate::runtime::{CallFailure, CallResult, Runtime};
use candid::{Nat, Principal};
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

pub use contract_runtime::testing::{block_on, FakeLedger, DAY as WINDOW_NANOS};

/// A canister call as made: (canister, method, arg, cycles).
pub type CallRecord = (Principal, String, Vec<u8>, u128);

/// What the next call to a canister (ledger or other) does instead of answering normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Not delivered: nothing executes.
    NotDelivered,
    /// Executes, but the answer is lost (the wallet sees `Unknown`).
    ExecuteThenLoseAnswer,
    /// The callee rejects without executing.
    Reject,
}

pub struct FakeRuntime {
    pub now: Cell<u64>,
    pub self_id: Principal,
    pub ledger_id: Principal,
    pub ledger: RefCell<FakeLedger>,
    pub faults: RefCell<VecDeque<Fault>>,
    /// Every transfer and approve sent to the ledger, as sent.
    pub sent_transfers: RefCell<Vec<TransferArg>>,
    pub sent_approves: RefCell<Vec<ApproveArgs>>,
    /// Every canister call made: (canister, method, arg, cycles).
    pub calls: RefCell<Vec<CallRecord>>,
    pub call_reply: RefCell<Vec<u8>>,
    /// The next this many factory calls are refused.
    pub factory_refusals: Cell<u32>,
    pub reported_participants: RefCell<Vec<Vec<Principal>>>,
    pub reported_statuses: RefCell<Vec<String>>,
}

impl FakeRuntime {
    pub fn new(now: u64, self_id: Principal, ledger_id: Principal, fee: u128) -> Self {
        Self {
            now: Cell::new(now),
            self_id,
            ledger_id,
            ledger: RefCell::new(FakeLedger::new(fee)),
            faults: RefCell::default(),
            sent_transfers: RefCell::default(),
            sent_approves: RefCell::default(),
            calls: RefCell::default(),
            call_reply: RefCell::new(b"DIDL\0\0".to_vec()),
            factory_refusals: Cell::new(0),
            reported_participants: RefCell::default(),
            reported_statuses: RefCell::default(),
        }
    }

    pub fn advance(&self, nanos: u64) {
        self.now.set(self.now.get() + nanos);
    }

    pub fn fail_next(&self, fault: Fault) {
        self.faults.borrow_mut().push_back(fault);
    }

    fn next_fault(&self) -> Option<Fault> {
        self.faults.borrow_mut().pop_front()
    }

    fn ledger_call<T>(&self, ledger: Principal, run: impl FnOnce(&mut FakeLedger) -> T) -> CallResult<T> {
        if ledger != self.ledger_id {
            return Err(CallFailure::NotDelivered(format!("no canister {ledger}")));
        }
        match self.next_fault() {
            Some(Fault::NotDelivered) => Err(CallFailure::NotDelivered("queue full".into())),
            Some(Fault::Reject) => Err(CallFailure::RejectedByCallee("ledger trapped".into())),
            Some(Fault::ExecuteThenLoseAnswer) => {
                run(&mut self.ledger.borrow_mut());
                Err(CallFailure::Unknown("the answer was lost".into()))
            }
            None => Ok(run(&mut self.ledger.borrow_mut())),
        }
    }

    fn factory_call(&self) -> Result<(), FleetError> {
        if self.factory_refusals.get() > 0 {
            self.factory_refusals.set(self.factory_refusals.get() - 1);
            return Err(FleetError::unauthorized("caller is not a contract deployed by this factory"));
        }
        Ok(())
    }
}

impl contract_runtime::ContractEnv for FakeRuntime {
    fn now(&self) -> u64 {
        self.now.get()
    }

    fn self_id(&self) -> Principal {
        self.self_id
    }
}

impl Runtime for FakeRuntime {
    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> CallResult<Result<Nat, TransferError>> {
        self.sent_transfers.borrow_mut().push(arg.clone());
        let from = Account { owner: self.self_id, subaccount: arg.from_subaccount };
        let now = self.now.get();
        self.ledger_call(ledger, |l| l.transfer(from, &arg, now))
    }

    async fn icrc2_approve(&self, ledger: Principal, arg: ApproveArgs) -> CallResult<Result<Nat, ApproveError>> {
        self.sent_approves.borrow_mut().push(arg.clone());
        let from = Account { owner: self.self_id, subaccount: arg.from_subaccount };
        let now = self.now.get();
        self.ledger_call(ledger, |l| l.approve(from, &arg, now))
    }

    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> CallResult<Nat> {
        self.ledger_call(ledger, |l| Nat::from(l.balance(account)))
    }

    async fn call_raw(&self, canister: Principal, method: &str, arg: &[u8], cycles: u128) -> CallResult<Vec<u8>> {
        let record = || self.calls.borrow_mut().push((canister, method.to_string(), arg.to_vec(), cycles));
        match self.next_fault() {
            Some(Fault::NotDelivered) => Err(CallFailure::NotDelivered("queue full".into())),
            Some(Fault::Reject) => Err(CallFailure::RejectedByCallee("callee rejected".into())),
            Some(Fault::ExecuteThenLoseAnswer) => {
                record();
                Err(CallFailure::Unknown("the answer was lost".into()))
            }
            None => {
                record();
                Ok(self.call_reply.borrow().clone())
            }
        }
    }
}

impl contract_runtime::FactoryNotifier for FakeRuntime {
    async fn notify_participants_added(&self, users: &[Principal]) -> Result<(), FleetError> {
        self.factory_call()?;
        self.reported_participants.borrow_mut().push(users.to_vec());
        Ok(())
    }

    async fn notify_status_changed(&self, status: String) -> Result<(), FleetError> {
        self.factory_call()?;
        self.reported_statuses.borrow_mut().push(status);
        Ok(())
    }
}
