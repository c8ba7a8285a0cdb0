//! A scripted stand-in for the world the deployment flow talks to: an ICRC-1/2 ledger with fees, allowances and
//! deduplication, an invoice storage that enforces the invoice status machine, an audit log, and a factory that is
//! idempotent on `request_id`. Any call can be made to fail in one of the ways a real call fails ([`Fault`]).

use super::runtime::{CallError, CallResult, Runtime};
use audit_storage_api::LogEventArgs;
use candid::{Nat, Principal};
use fleet_api::{DeployOptions, FleetError};
use icrc_ledger_types::icrc1::transfer::{Memo, TransferArg, TransferError};
use icrc_ledger_types::icrc2::allowance::{Allowance, AllowanceArgs};
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
use invoice_storage_api::{Invoice, InvoiceStatus, InvoiceTransition, RecordPaymentArgs};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};

/// How a call fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Rejected before executing (e.g. the callee is stopped).
    Reject,
    /// Executed, but the reply was lost (an unknown outcome).
    LostReply,
    /// Did not execute, but the caller cannot know (a timeout before delivery).
    Timeout,
    /// Executed and answered with the method's typed error.
    Refuse,
}

pub const BACKEND: Principal = Principal::from_slice(&[0xBA; 10]);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerTx {
    pub from: Principal,
    pub to: Principal,
    pub amount: u128,
    pub memo: Option<Memo>,
    pub created_at: Option<u64>,
}

#[derive(Default)]
pub struct Ledger {
    pub fee: u128,
    pub balances: BTreeMap<Principal, u128>,
    pub allowances: BTreeMap<Principal, u128>,
    pub blocks: Vec<LedgerTx>,
}

impl Ledger {
    pub fn balance(&self, owner: Principal) -> u128 {
        self.balances.get(&owner).copied().unwrap_or(0)
    }

    fn duplicate_of(&self, tx: &LedgerTx) -> Option<Nat> {
        tx.created_at?;
        self.blocks.iter().position(|b| b == tx).map(Nat::from)
    }

    fn move_funds(&mut self, tx: LedgerTx) -> Nat {
        *self.balances.entry(tx.from).or_default() -= tx.amount + self.fee;
        *self.balances.entry(tx.to).or_default() += tx.amount;
        self.blocks.push(tx);
        Nat::from(self.blocks.len() - 1)
    }
}

#[derive(Default)]
pub struct InvoiceStore {
    pub invoices: Vec<Invoice>,
    /// Transitions refused by the status machine: the backend must never send one.
    pub refused: Vec<(u64, InvoiceTransition)>,
}

#[derive(Default)]
pub struct Factory {
    /// request id -> contract: the factory's idempotency.
    pub by_request: BTreeMap<u64, Principal>,
    pub created: Vec<Principal>,
    /// When set, the factory answers every call with this error.
    pub refuse_with: Option<FleetError>,
    /// The next calls answered with `AlreadyInProgress` (the request is still running on the factory).
    pub busy_answers: u32,
}

pub struct FakeRuntime {
    pub now: Cell<u64>,
    pub ledger: RefCell<Ledger>,
    pub invoices: RefCell<InvoiceStore>,
    pub audit: RefCell<Vec<LogEventArgs>>,
    pub factory: RefCell<Factory>,
    pub faults: RefCell<BTreeMap<&'static str, VecDeque<Fault>>>,
    pub calls: RefCell<Vec<&'static str>>,
}

impl Default for FakeRuntime {
    fn default() -> Self {
        Self {
            now: Cell::new(1_700_000_000_000_000_000),
            ledger: RefCell::new(Ledger { fee: 10_000, ..Default::default() }),
            invoices: RefCell::default(),
            audit: RefCell::default(),
            factory: RefCell::default(),
            faults: RefCell::default(),
            calls: RefCell::default(),
        }
    }
}

impl FakeRuntime {
    pub fn inject(&self, method: &'static str, fault: Fault) {
        self.faults.borrow_mut().entry(method).or_default().push_back(fault);
    }

    pub fn advance_time(&self, nanos: u64) {
        self.now.set(self.now.get() + nanos);
    }

    /// Runs `execute` as the callee would, applying the next injected fault of `method`.
    fn call<T>(&self, method: &'static str, refuse: impl FnOnce() -> T, execute: impl FnOnce() -> T) -> CallResult<T> {
        self.calls.borrow_mut().push(method);
        let fault = self.faults.borrow_mut().get_mut(method).and_then(VecDeque::pop_front);
        let error = |may_have_executed| CallError {
            canister: Principal::anonymous(),
            method: method.into(),
            reason: format!("injected fault in {method}"),
            may_have_executed,
        };
        match fault {
            None => Ok(execute()),
            Some(Fault::Refuse) => Ok(refuse()),
            Some(Fault::Reject) => Err(error(false)),
            Some(Fault::Timeout) => Err(error(true)),
            Some(Fault::LostReply) => {
                execute();
                Err(error(true))
            }
        }
    }
}

fn u128_of(n: &Nat) -> u128 {
    u128::try_from(n.0.clone()).expect("amount fits in u128")
}

impl Runtime for FakeRuntime {
    fn now(&self) -> u64 {
        self.now.get()
    }

    fn self_id(&self) -> Principal {
        BACKEND
    }

    async fn icrc1_fee(&self, _ledger: Principal) -> CallResult<Nat> {
        self.call("icrc1_fee", || Nat::from(0u8), || Nat::from(self.ledger.borrow().fee))
    }

    async fn icrc2_allowance(&self, _ledger: Principal, args: AllowanceArgs) -> CallResult<Allowance> {
        let read = || {
            let allowance = self.ledger.borrow().allowances.get(&args.account.owner).copied().unwrap_or(0);
            Allowance { allowance: Nat::from(allowance), expires_at: None }
        };
        self.call("icrc2_allowance", read, read)
    }

    async fn icrc2_transfer_from(
        &self,
        _ledger: Principal,
        args: TransferFromArgs,
    ) -> CallResult<Result<Nat, TransferFromError>> {
        assert!(args.fee.is_none() || args.fee == Some(Nat::from(self.ledger.borrow().fee)));
        let execute = || {
            let mut ledger = self.ledger.borrow_mut();
            let tx = LedgerTx {
                from: args.from.owner,
                to: args.to.owner,
                amount: u128_of(&args.amount),
                memo: args.memo.clone(),
                created_at: args.created_at_time,
            };
            if let Some(block) = ledger.duplicate_of(&tx) {
                return Err(TransferFromError::Duplicate { duplicate_of: block });
            }
            let needed = tx.amount + ledger.fee;
            let allowance = ledger.allowances.get(&tx.from).copied().unwrap_or(0);
            if allowance < needed {
                return Err(TransferFromError::InsufficientAllowance { allowance: Nat::from(allowance) });
            }
            if ledger.balance(tx.from) < needed {
                return Err(TransferFromError::InsufficientFunds { balance: Nat::from(ledger.balance(tx.from)) });
            }
            ledger.allowances.insert(tx.from, allowance - needed);
            Ok(ledger.move_funds(tx))
        };
        self.call("icrc2_transfer_from", || Err(TransferFromError::TemporarilyUnavailable), execute)
    }

    async fn icrc1_transfer(&self, _ledger: Principal, args: TransferArg) -> CallResult<Result<Nat, TransferError>> {
        let execute = || {
            let mut ledger = self.ledger.borrow_mut();
            if let Some(fee) = &args.fee {
                if u128_of(fee) != ledger.fee {
                    return Err(TransferError::BadFee { expected_fee: Nat::from(ledger.fee) });
                }
            }
            let tx = LedgerTx {
                from: BACKEND,
                to: args.to.owner,
                amount: u128_of(&args.amount),
                memo: args.memo.clone(),
                created_at: args.created_at_time,
            };
            if let Some(block) = ledger.duplicate_of(&tx) {
                return Err(TransferError::Duplicate { duplicate_of: block });
            }
            if ledger.balance(BACKEND) < tx.amount + ledger.fee {
                return Err(TransferError::InsufficientFunds { balance: Nat::from(ledger.balance(BACKEND)) });
            }
            Ok(ledger.move_funds(tx))
        };
        self.call("icrc1_transfer", || Err(TransferError::TemporarilyUnavailable), execute)
    }

    async fn record_payment(
        &self,
        _storage: Principal,
        args: RecordPaymentArgs,
    ) -> CallResult<Result<Invoice, FleetError>> {
        let execute = || {
            let mut store = self.invoices.borrow_mut();
            if let Some(existing) =
                store.invoices.iter().find(|i| i.request_id.is_some() && i.request_id == args.request_id)
            {
                return Ok(existing.clone());
            }
            let invoice = Invoice {
                id: store.invoices.len() as u64 + 1000,
                user: args.user,
                service: args.service.clone(),
                amount: args.amount.clone(),
                ledger: args.ledger,
                status: InvoiceStatus::Pending,
                created_at: self.now(),
                updated_at: self.now(),
                payment_block: None,
                contract: None,
                refund_block: None,
                refunded_amount: None,
                failure_reason: None,
                failed_refund_attempts: 0,
                recorded_by: BACKEND,
                request_id: args.request_id,
            };
            store.invoices.push(invoice.clone());
            Ok(invoice)
        };
        self.call("recordPayment", || Err(FleetError::Internal("storage refused".into())), execute)
    }

    async fn update_invoice_status(
        &self,
        _storage: Principal,
        invoice_id: u64,
        transition: InvoiceTransition,
    ) -> CallResult<Result<Invoice, FleetError>> {
        let execute = || {
            let mut store = self.invoices.borrow_mut();
            let Some(index) = store.invoices.iter().position(|i| i.id == invoice_id) else {
                return Err(FleetError::not_found(format!("invoice {invoice_id}")));
            };
            let invoice = &mut store.invoices[index];
            let target = transition.target();
            let repeat = invoice.status == target && target != InvoiceStatus::RefundFailed;
            if !repeat && !invoice.status.may_become(target) {
                let from = invoice.status;
                store.refused.push((invoice_id, transition.clone()));
                return Err(FleetError::invalid_state(format!("{from:?} cannot become {target:?}")));
            }
            invoice.status = target;
            match &transition {
                InvoiceTransition::Paid { block_index } => invoice.payment_block = Some(block_index.clone()),
                InvoiceTransition::Completed { contract } => invoice.contract = Some(*contract),
                InvoiceTransition::Refunded { block_index, amount } => {
                    invoice.refund_block = Some(block_index.clone());
                    invoice.refunded_amount = Some(amount.clone());
                }
                _ => {}
            }
            Ok(invoice.clone())
        };
        self.call("updateInvoiceStatus", || Err(FleetError::Internal("storage refused".into())), execute)
    }

    async fn log_event(&self, _storage: Principal, args: LogEventArgs) -> CallResult<Result<u64, FleetError>> {
        let execute = || {
            let mut audit = self.audit.borrow_mut();
            audit.push(args.clone());
            Ok(audit.len() as u64 - 1)
        };
        self.call("logEvent", || Err(FleetError::Internal("storage refused".into())), execute)
    }

    async fn create_contract(&self, _factory: Principal, arg: Vec<u8>) -> CallResult<Result<Principal, FleetError>> {
        let execute = || {
            let (owner, _args, options): (Principal, token_api::TokenArgs, DeployOptions) =
                candid::decode_args(&arg).expect("createContract argument decodes");
            assert_ne!(owner, Principal::anonymous());
            let mut factory = self.factory.borrow_mut();
            if let Some(error) = &factory.refuse_with {
                return Err(error.clone());
            }
            if factory.busy_answers > 0 {
                factory.busy_answers -= 1;
                return Err(FleetError::AlreadyInProgress);
            }
            if let Some(existing) = options.request_id.and_then(|id| factory.by_request.get(&id).copied()) {
                return Ok(existing);
            }
            let contract = Principal::from_slice(&[0xC0, factory.created.len() as u8, 1, 1]);
            factory.created.push(contract);
            if let Some(id) = options.request_id {
                factory.by_request.insert(id, contract);
            }
            Ok(contract)
        };
        self.call("createContract", || Err(FleetError::Internal("factory refused".into())), execute)
    }
}
