//! A scripted stand-in for the world the deployment flow talks to: an ICRC-1/2 ledger with fees, allowances and
//! deduplication, an invoice storage that enforces the invoice status machine, an audit log, and a factory that is
//! idempotent on `request_id`. Any call can be made to fail in one of the ways a real call fails ([`Fault`]).

use super::runtime::{CallError, CallResult, FactoryRequest, Runtime};
use audit_storage_api::LogEventArgs;
use candid::{Nat, Principal};
use fleet_api::{DeployOptions, FleetError};
use icrc_ledger_types::icrc1::account::Account;
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
    /// The reply never reaches the caller's future: its callback trapped, or the caller was upgraded while the call
    /// was open. The callee executed it when `executed`. The future stays pending; the test drops it (and, for an
    /// upgrade, reopens the caller's state from its stable memory).
    Interrupted { executed: bool },
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
    /// Fees the ledger burned: balances plus this stay equal to the supply.
    pub burned: u128,
}

impl Ledger {
    pub fn balance(&self, owner: Principal) -> u128 {
        self.balances.get(&owner).copied().unwrap_or(0)
    }

    /// ICRC-1's rule: a `created_at_time` older than the 24 h window (plus 2 min drift) is refused, checked
    /// before deduplication.
    pub fn too_old(&self, tx: &LedgerTx, now: u64) -> bool {
        const WINDOW: u64 = (24 * 3_600 + 120) * 1_000_000_000;
        tx.created_at.is_some_and(|at| at.saturating_add(WINDOW) < now)
    }

    fn duplicate_of(&self, tx: &LedgerTx) -> Option<Nat> {
        tx.created_at?;
        self.blocks.iter().position(|b| b == tx).map(Nat::from)
    }

    fn move_funds(&mut self, tx: LedgerTx) -> Nat {
        *self.balances.entry(tx.from).or_default() -= tx.amount + self.fee;
        self.burned += self.fee;
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

/// What the fake factory recorded under a request id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FakeRequest {
    /// Answered `AlreadyInProgress`: the factory finishes it once it is no longer busy.
    InProgress {
        owner: Principal,
        arg_hash: Vec<u8>,
    },
    Settled {
        owner: Principal,
        arg_hash: Vec<u8>,
        result: Result<Principal, FleetError>,
    },
    Abandoned,
}

#[derive(Default)]
pub struct Factory {
    /// request id -> what was deployed: the factory's idempotency, checked against owner and arguments.
    pub by_request: BTreeMap<u64, FakeRequest>,
    pub created: Vec<Principal>,
    /// The owner of each created contract, in order.
    pub owners: Vec<Principal>,
    /// When set, the factory answers every call with this error.
    pub refuse_with: Option<FleetError>,
    /// The next calls answered with `AlreadyInProgress` (the request is still running on the factory).
    pub busy_answers: u32,
}

impl Factory {
    fn deploy(&mut self, owner: Principal) -> Result<Principal, FleetError> {
        if let Some(error) = &self.refuse_with {
            return Err(error.clone());
        }
        let contract = Principal::from_slice(&[0xC0, self.created.len() as u8, 1, 1]);
        self.created.push(contract);
        self.owners.push(owner);
        Ok(contract)
    }

    /// A request in progress is finished once the factory is no longer busy.
    fn finish_if_idle(&mut self, id: u64) {
        if self.busy_answers > 0 {
            return;
        }
        if let Some(FakeRequest::InProgress { owner, arg_hash }) = self.by_request.get(&id).cloned() {
            let result = self.deploy(owner);
            self.by_request.insert(id, FakeRequest::Settled { owner, arg_hash, result });
        }
    }
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

    /// Runs `execute` as the callee would, applying the next injected fault of `method`; an `Interrupted` call never
    /// returns to the caller.
    async fn call<T>(
        &self,
        method: &'static str,
        refuse: impl FnOnce() -> T,
        execute: impl FnOnce() -> T,
    ) -> CallResult<T> {
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
            Some(Fault::Interrupted { executed }) => {
                if executed {
                    execute();
                }
                std::future::pending().await
            }
        }
    }

    /// Invoice storage reinstalled: its invoices are gone and its ids start again.
    pub fn reinstall_invoice_storage(&self) {
        *self.invoices.borrow_mut() = InvoiceStore::default();
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
        self.call("icrc1_fee", || Nat::from(0u8), || Nat::from(self.ledger.borrow().fee)).await
    }

    async fn icrc2_allowance(&self, _ledger: Principal, args: AllowanceArgs) -> CallResult<Allowance> {
        let read = || {
            let allowance = self.ledger.borrow().allowances.get(&args.account.owner).copied().unwrap_or(0);
            Allowance { allowance: Nat::from(allowance), expires_at: None }
        };
        self.call("icrc2_allowance", read, read).await
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
            if ledger.too_old(&tx, self.now.get()) {
                return Err(TransferFromError::TooOld);
            }
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
        self.call("icrc2_transfer_from", || Err(TransferFromError::TemporarilyUnavailable), execute).await
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
            if ledger.too_old(&tx, self.now.get()) {
                return Err(TransferError::TooOld);
            }
            if let Some(block) = ledger.duplicate_of(&tx) {
                return Err(TransferError::Duplicate { duplicate_of: block });
            }
            if ledger.balance(BACKEND) < tx.amount + ledger.fee {
                return Err(TransferError::InsufficientFunds { balance: Nat::from(ledger.balance(BACKEND)) });
            }
            Ok(ledger.move_funds(tx))
        };
        self.call("icrc1_transfer", || Err(TransferError::TemporarilyUnavailable), execute).await
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
                if existing.user != args.user || existing.amount != args.amount {
                    return Err(FleetError::invalid("request_id already used for another payment"));
                }
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
        self.call("recordPayment", || Err(FleetError::Internal("storage refused".into())), execute).await
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
            // invoice_storage's rule: a transition to the current status is a repeat, except that a RefundFailed
            // with a new reason is one more failed attempt.
            let same_reason = match &transition {
                InvoiceTransition::RefundFailed { reason } => invoice.failure_reason.as_ref() == Some(reason),
                _ => true,
            };
            let repeat = invoice.status == target && same_reason;
            if !repeat && !invoice.status.may_become(target) {
                let from = invoice.status;
                store.refused.push((invoice_id, transition.clone()));
                return Err(FleetError::invalid_state(format!("{from:?} cannot become {target:?}")));
            }
            invoice.status = target;
            match &transition {
                InvoiceTransition::Paid { block_index } => invoice.payment_block = Some(block_index.clone()),
                InvoiceTransition::Completed { contract } => invoice.contract = Some(*contract),
                InvoiceTransition::RefundFailed { reason } => invoice.failure_reason = Some(reason.clone()),
                InvoiceTransition::Refunded { block_index, amount } => {
                    invoice.refund_block = Some(block_index.clone());
                    invoice.refunded_amount = Some(amount.clone());
                }
                _ => {}
            }
            Ok(invoice.clone())
        };
        self.call("updateInvoiceStatus", || Err(FleetError::Internal("storage refused".into())), execute).await
    }

    async fn log_event(&self, _storage: Principal, args: LogEventArgs) -> CallResult<Result<u64, FleetError>> {
        let execute = || {
            let mut audit = self.audit.borrow_mut();
            if let Some(first) = args.request_id.and_then(|key| audit.iter().position(|e| e.request_id == Some(key))) {
                return Ok(first as u64);
            }
            audit.push(args.clone());
            Ok(audit.len() as u64 - 1)
        };
        self.call("logEvent", || Err(FleetError::Internal("storage refused".into())), execute).await
    }

    async fn create_contract(&self, _factory: Principal, arg: Vec<u8>) -> CallResult<Result<Principal, FleetError>> {
        let execute = || {
            // Any kind's arguments: the fake factory only needs the owner and the request id; a re-send of the same
            // request is byte-identical, so the bytes stand for the (owner, arguments) the real factory hashes.
            let (owner, _args, options): (Principal, candid::Reserved, DeployOptions) =
                candid::decode_args(&arg).expect("createContract argument decodes");
            assert_ne!(owner, Principal::anonymous());
            let arg_hash = arg.clone();
            let mut factory = self.factory.borrow_mut();
            if let Some(id) = options.request_id {
                factory.finish_if_idle(id);
                match factory.by_request.get(&id) {
                    Some(FakeRequest::InProgress { .. }) => {
                        factory.busy_answers = factory.busy_answers.saturating_sub(1);
                        return Err(FleetError::AlreadyInProgress);
                    }
                    Some(FakeRequest::Abandoned) => {
                        return Err(FleetError::invalid_state(format!("request {id} was abandoned")));
                    }
                    Some(FakeRequest::Settled { owner: first, arg_hash: hash, result }) => {
                        if *first != owner || *hash != arg_hash {
                            return Err(FleetError::invalid(format!(
                                "request_id {id} was already used for another owner or other arguments"
                            )));
                        }
                        return result.clone();
                    }
                    None => {}
                }
            }
            if factory.busy_answers > 0 {
                factory.busy_answers -= 1;
                if let Some(id) = options.request_id {
                    factory.by_request.insert(id, FakeRequest::InProgress { owner, arg_hash });
                }
                return Err(FleetError::AlreadyInProgress);
            }
            let result = factory.deploy(owner);
            if let Some(id) = options.request_id {
                factory.by_request.insert(id, FakeRequest::Settled { owner, arg_hash, result: result.clone() });
            }
            result
        };
        self.call("createContract", || Err(FleetError::Internal("factory refused".into())), execute).await
    }

    async fn abandon_deployment_request(
        &self,
        _factory: Principal,
        request_id: u64,
    ) -> CallResult<Result<FactoryRequest, FleetError>> {
        let execute = || {
            let mut factory = self.factory.borrow_mut();
            factory.finish_if_idle(request_id);
            if matches!(factory.by_request.get(&request_id), Some(FakeRequest::InProgress { .. })) {
                factory.busy_answers = factory.busy_answers.saturating_sub(1);
                return Ok(FactoryRequest::InProgress);
            }
            let entry = factory.by_request.entry(request_id).or_insert(FakeRequest::Abandoned);
            Ok(match entry {
                FakeRequest::InProgress { .. } => FactoryRequest::InProgress,
                FakeRequest::Abandoned => FactoryRequest::Abandoned,
                FakeRequest::Settled { owner, result: Ok(contract), .. } => {
                    FactoryRequest::Succeeded { contract: *contract, owner: *owner }
                }
                FakeRequest::Settled { result: Err(error), .. } => FactoryRequest::Failed(error.clone()),
            })
        };
        self.call("abandonDeploymentRequest", || Err(FleetError::unauthorized("not whitelisted")), execute).await
    }

    async fn icrc1_balance_of(&self, _ledger: Principal, account: Account) -> CallResult<Nat> {
        let read = || Nat::from(self.ledger.borrow().balance(account.owner));
        self.call("icrc1_balance_of", read, read).await
    }
}
