//! A [`Runtime`] for native tests: two in-memory ICRC-1/ICRC-2 ledgers (sale and payment) with the reference
//! ledger's order of checks (fee, deduplication window, duplicates, allowance, funds) and scripted faults, a clock,
//! and a factory that records participant and status reports.

use crate::books::{LedgerReply, SendFailure, SendOutcome};
use crate::runtime::Runtime;
use candid::{Nat, Principal};
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::TransferArg;
use icrc_ledger_types::icrc2::transfer_from::TransferFromArgs;
use launchpad_api::amount_u128;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};

pub use contract_runtime::testing::{Fault, DAY};

#[derive(Default)]
pub struct FakeLedger {
    pub balances: BTreeMap<Principal, u128>,
    /// (owner, spender) → allowance.
    pub allowances: BTreeMap<(Principal, Principal), u128>,
    pub fee: u128,
    pub burned: u128,
    pub minted: u128,
    blocks: u64,
    dedup: BTreeMap<(Principal, Principal, u128, Vec<u8>, u64), u64>,
    /// Every executed move: (from, to, amount).
    pub moves: Vec<(Principal, Principal, u128)>,
}

impl FakeLedger {
    pub fn balance(&self, of: Principal) -> u128 {
        self.balances.get(&of).copied().unwrap_or(0)
    }

    pub fn mint(&mut self, to: Principal, amount: u128) {
        *self.balances.entry(to).or_default() += amount;
        self.minted += amount;
    }

    /// Moved from `from` to `to`, in total.
    pub fn paid(&self, from: Principal, to: Principal) -> u128 {
        self.moves.iter().filter(|m| m.0 == from && m.1 == to).map(|m| m.2).sum()
    }

    /// How many moves paid `to` from `from`.
    pub fn payments(&self, from: Principal, to: Principal) -> usize {
        self.moves.iter().filter(|m| m.0 == from && m.1 == to).count()
    }

    /// Every token minted is on an account or burned as a fee.
    pub fn assert_conserved(&self) {
        let on_accounts: u128 = self.balances.values().sum();
        assert_eq!(on_accounts + self.burned, self.minted, "tokens created or lost");
    }

    #[allow(clippy::too_many_arguments)]
    fn execute(
        &mut self,
        now: u64,
        from: Principal,
        spender: Option<Principal>,
        to: Principal,
        amount: &Nat,
        fee: Option<&Nat>,
        memo: Vec<u8>,
        created: Option<u64>,
    ) -> LedgerReply {
        if fee.is_some_and(|f| amount_u128(f) != Some(self.fee)) {
            return LedgerReply::BadFee(self.fee.into());
        }
        let created = created.unwrap_or(now);
        if created + DAY + 60_000_000_000 < now {
            return LedgerReply::TooOld;
        }
        let amount = amount_u128(amount).unwrap_or(u128::MAX);
        let key = (from, to, amount, memo, created);
        if let Some(block) = self.dedup.get(&key) {
            return LedgerReply::Duplicate((*block).into());
        }
        let debit = amount + self.fee;
        if let Some(spender) = spender {
            let allowance = self.allowances.get(&(from, spender)).copied().unwrap_or(0);
            if allowance < debit {
                return LedgerReply::Other(format!("InsufficientAllowance {{ allowance: {allowance} }}"));
            }
        }
        let balance = self.balance(from);
        if balance < debit {
            return LedgerReply::Other(format!("InsufficientFunds {{ balance: {balance} }}"));
        }
        if let Some(spender) = spender {
            *self.allowances.entry((from, spender)).or_default() -= debit;
        }
        self.balances.insert(from, balance - debit);
        *self.balances.entry(to).or_default() += amount;
        self.burned += self.fee;
        self.blocks += 1;
        self.dedup.insert(key, self.blocks);
        self.moves.push((from, to, amount));
        LedgerReply::Ok(self.blocks.into())
    }
}

pub struct FakeRuntime {
    pub now: Cell<u64>,
    pub me: Principal,
    pub owner: Principal,
    pub sale_id: Principal,
    pub payment_id: Principal,
    pub sale: RefCell<FakeLedger>,
    pub payment: RefCell<FakeLedger>,
    pub faults: RefCell<VecDeque<Fault>>,
    pub reported: RefCell<Vec<Vec<Principal>>>,
    pub factory_refusals: Cell<u32>,
    pub statuses: RefCell<Vec<String>>,
}

impl FakeRuntime {
    pub fn new(owner: Principal, sale_fee: u128, payment_fee: u128) -> Self {
        Self {
            now: Cell::new(1_000_000_000_000),
            me: Principal::from_slice(&[0xD1; 10]),
            owner,
            sale_id: Principal::from_slice(&[0x5A; 10]),
            payment_id: Principal::from_slice(&[0xFA; 10]),
            sale: RefCell::new(FakeLedger { fee: sale_fee, ..FakeLedger::default() }),
            payment: RefCell::new(FakeLedger { fee: payment_fee, ..FakeLedger::default() }),
            faults: RefCell::new(VecDeque::new()),
            reported: RefCell::new(Vec::new()),
            factory_refusals: Cell::new(0),
            statuses: RefCell::new(Vec::new()),
        }
    }

    pub fn advance(&self, nanos: u64) {
        self.now.set(self.now.get() + nanos);
    }

    pub fn fault_next(&self, fault: Fault) {
        self.faults.borrow_mut().push_back(fault);
    }

    fn ledger(&self, id: Principal) -> &RefCell<FakeLedger> {
        if id == self.sale_id {
            &self.sale
        } else {
            assert_eq!(id, self.payment_id, "calls go to the configured ledgers");
            &self.payment
        }
    }

    fn with_faults(&self, execute: impl FnOnce() -> LedgerReply) -> SendOutcome {
        let lost = |reason: &str| SendFailure { reason: reason.into(), may_have_executed: true };
        match self.faults.borrow_mut().pop_front() {
            Some(Fault::ExecutedReplyLost) => {
                let _ = execute();
                Err(lost("reply lost"))
            }
            Some(Fault::NotExecutedReplyLost) => Err(lost("no reply")),
            Some(Fault::Rejected) => Err(SendFailure { reason: "rejected: stopped".into(), may_have_executed: false }),
            Some(Fault::TemporarilyUnavailable) => Ok(LedgerReply::TemporarilyUnavailable),
            None => Ok(execute()),
        }
    }
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
        Ok(self.ledger(ledger).borrow().fee.into())
    }

    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> Result<Nat, FleetError> {
        Ok(self.ledger(ledger).borrow().balance(account.owner).into())
    }

    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> SendOutcome {
        let memo = arg.memo.as_ref().map(|m| m.0.to_vec()).unwrap_or_default();
        self.with_faults(|| {
            let now = self.now.get();
            let fee = arg.fee.as_ref();
            self.ledger(ledger).borrow_mut().execute(
                now,
                self.me,
                None,
                arg.to.owner,
                &arg.amount,
                fee,
                memo,
                arg.created_at_time,
            )
        })
    }

    async fn icrc2_transfer_from(&self, ledger: Principal, arg: TransferFromArgs) -> SendOutcome {
        let memo = arg.memo.as_ref().map(|m| m.0.to_vec()).unwrap_or_default();
        self.with_faults(|| {
            let now = self.now.get();
            self.ledger(ledger).borrow_mut().execute(
                now,
                arg.from.owner,
                Some(self.me),
                arg.to.owner,
                &arg.amount,
                arg.fee.as_ref(),
                memo,
                arg.created_at_time,
            )
        })
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
