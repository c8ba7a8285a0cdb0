//! A scripted [`Runtime`] for native tests: an in-memory ICRC-1/ICRC-2 ledger with the real ledger's deduplication
//! (same caller and arguments within 24 hours → `Duplicate`), faults injected per call, and the factory reports it
//! receives.

use crate::runtime::{CallFailure, CallResult, Runtime};
use candid::{Nat, Principal};
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

pub use contract_runtime::testing::{block_on, FakeLedger};

/// What the next ledger call does instead of answering normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Not delivered: nothing executes.
    NotDelivered,
    /// Executes, but the answer is lost (the DAO sees `Unknown`).
    ExecuteThenLoseAnswer,
}

pub struct FakeRuntime {
    pub now: Cell<u64>,
    pub self_id: Principal,
    pub owner: Principal,
    pub ledger_id: Principal,
    pub ledger: RefCell<FakeLedger>,
    pub faults: RefCell<VecDeque<Fault>>,
    pub sent_transfers: RefCell<Vec<TransferArg>>,
    pub sent_transfers_from: RefCell<Vec<TransferFromArgs>>,
    /// The next this many factory calls are refused.
    pub factory_refusals: Cell<u32>,
    pub reported_participants: RefCell<Vec<Vec<Principal>>>,
    pub reported_statuses: RefCell<Vec<String>>,
}

impl FakeRuntime {
    pub fn new(now: u64, self_id: Principal, owner: Principal, ledger_id: Principal, fee: u128) -> Self {
        Self {
            now: Cell::new(now),
            self_id,
            owner,
            ledger_id,
            ledger: RefCell::new(FakeLedger::new(fee)),
            faults: RefCell::default(),
            sent_transfers: RefCell::default(),
            sent_transfers_from: RefCell::default(),
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

    fn ledger_call<T>(&self, ledger: Principal, run: impl FnOnce(&mut FakeLedger) -> T) -> CallResult<T> {
        if ledger != self.ledger_id {
            return Err(CallFailure::NotExecuted(format!("no canister {ledger}")));
        }
        let fault = self.faults.borrow_mut().pop_front();
        match fault {
            Some(Fault::NotDelivered) => Err(CallFailure::NotExecuted("queue full".into())),
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

    fn owner(&self) -> Principal {
        self.owner
    }
}

impl Runtime for FakeRuntime {
    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError> {
        if ledger != self.ledger_id {
            return Err(FleetError::call_failed(ledger, "icrc1_fee", "no such canister"));
        }
        Ok(Nat::from(self.ledger.borrow().fee))
    }

    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> CallResult<Result<Nat, TransferError>> {
        self.sent_transfers.borrow_mut().push(arg.clone());
        let from = Account { owner: self.self_id, subaccount: arg.from_subaccount };
        let now = self.now.get();
        self.ledger_call(ledger, |l| l.transfer(from, &arg, now))
    }

    async fn icrc2_transfer_from(
        &self,
        ledger: Principal,
        arg: TransferFromArgs,
    ) -> CallResult<Result<Nat, TransferFromError>> {
        self.sent_transfers_from.borrow_mut().push(arg.clone());
        let spender = Account { owner: self.self_id, subaccount: arg.spender_subaccount };
        let now = self.now.get();
        self.ledger_call(ledger, |l| l.transfer_from(spender, &arg, now))
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
