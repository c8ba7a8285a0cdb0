//! Native tests of the wallet and the executor over `VectorMemory` and the fake runtime. Each test builds a wallet
//! from init args and drives it as the endpoints do (`crate::executor` with a caller), so authorization, the vote
//! that executes, and every await are covered. `Fixture::upgrade` reopens the wallet on the same memory with an
//! empty heap, as an upgrade does.

mod bench;
mod execution;
mod proposals;
mod reports;

use super::Wallet;
use crate::executor::{self, WalletCell};
use crate::fake_runtime::{block_on, FakeRuntime};
use candid::{Nat, Principal};
use fleet_api::{ContractInit, FleetError, PageRequest};
use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::VectorMemory;
use icrc_ledger_types::icrc1::account::Account;
use multisig_api::{
    MultisigArgs, MultisigInit, Proposal, ProposalAction, ProposalResult, ProposalsRequest, ProposeArgs,
    TransferAction, Vote,
};
use std::cell::RefCell;

pub const FEE: u128 = 10;
/// 2024-01-01T00:00:00Z, in ns.
pub const START: u64 = 1_704_067_200_000_000_000;
pub const SECOND: u64 = 1_000_000_000;
pub const DAY: u64 = 24 * 60 * 60 * SECOND;

pub fn signer(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}
pub fn alice() -> Principal {
    signer(1)
}
pub fn bob() -> Principal {
    signer(2)
}
pub fn carol() -> Principal {
    signer(3)
}
pub fn outsider() -> Principal {
    signer(8)
}
pub fn owner() -> Principal {
    signer(9)
}
pub fn wallet_id() -> Principal {
    Principal::from_slice(&[0xAA; 10])
}
pub fn ledger_id() -> Principal {
    Principal::from_slice(&[0xBB; 10])
}
pub fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}

pub struct TestWallet {
    memory: VectorMemory,
    wallet: RefCell<Wallet<VirtualMemory<VectorMemory>>>,
}

impl WalletCell for TestWallet {
    type M = VirtualMemory<VectorMemory>;
    fn with<R>(&self, f: impl FnOnce(&mut Wallet<Self::M>) -> R) -> R {
        f(&mut self.wallet.borrow_mut())
    }
}

fn open(memory: &VectorMemory) -> Wallet<VirtualMemory<VectorMemory>> {
    let manager = MemoryManager::init(memory.clone());
    Wallet::open(|id| manager.get(MemoryId::new(id)))
}

pub struct Fixture {
    pub rt: FakeRuntime,
    pub cell: TestWallet,
}

pub fn args(signers: Vec<Principal>, threshold: u32) -> MultisigArgs {
    MultisigArgs { name: "Treasury".into(), signers, threshold, default_expiry_seconds: None }
}

pub fn init(args: MultisigArgs) -> MultisigInit {
    ContractInit { factory: None, owner: owner(), version: "1.0.0".into(), args }
}

impl Fixture {
    /// A wallet of `args` holding `funds` in its default account on the fake ledger.
    pub fn with(args: MultisigArgs, funds: u128) -> Self {
        let memory = VectorMemory::default();
        let mut wallet = open(&memory);
        wallet.install(&init(args)).expect("valid init");
        let rt = FakeRuntime::new(START, wallet_id(), ledger_id(), FEE);
        rt.ledger.borrow_mut().balances.insert(account(wallet_id()), funds);
        Self { rt, cell: TestWallet { memory, wallet: RefCell::new(wallet) } }
    }

    /// Alice, Bob and Carol, threshold 2, 1,000,000 tokens.
    pub fn two_of_three() -> Self {
        Self::with(args(vec![alice(), bob(), carol()], 2), 1_000_000)
    }

    /// Reopens the wallet on the same stable memory with an empty heap, as an upgrade does.
    pub fn upgrade(&self) {
        *self.cell.wallet.borrow_mut() = open(&self.cell.memory);
    }

    pub fn wallet<R>(&self, f: impl FnOnce(&mut Wallet<VirtualMemory<VectorMemory>>) -> R) -> R {
        self.cell.with(f)
    }

    pub fn propose_args(&self, caller: Principal, args: ProposeArgs) -> ProposalResult {
        block_on(executor::propose(&self.rt, &self.cell, caller, args))
    }

    pub fn propose(&self, caller: Principal, action: ProposalAction) -> ProposalResult {
        self.propose_args(caller, ProposeArgs { action, summary: None, expires_at: None })
    }

    pub fn approve(&self, caller: Principal, id: u64) -> ProposalResult {
        block_on(executor::vote(&self.rt, &self.cell, caller, id, Vote::Approve))
    }

    pub fn reject(&self, caller: Principal, id: u64) -> ProposalResult {
        block_on(executor::vote(&self.rt, &self.cell, caller, id, Vote::Reject))
    }

    pub fn execute(&self, caller: Principal, id: u64) -> ProposalResult {
        block_on(executor::execute(&self.rt, &self.cell, caller, id))
    }

    pub fn balance(&self, owner: Principal) -> u128 {
        self.rt.ledger.borrow().balance(account(owner))
    }

    /// Everything the wallet stores, as text: equal before and after a refused call means nothing changed.
    pub fn dump(&self) -> String {
        self.wallet(|w| {
            let mut text = format!("{:?}\n{:?}\n", w.config(), w.reports().state());
            let page =
                w.proposals_page(&ProposalsRequest { state: None, page: PageRequest::new(0, 500) }, self.rt.now.get());
            for proposal in page.items {
                text.push_str(&format!("{:?}\n", w.proposal_detail(proposal.id, self.rt.now.get())));
            }
            text.push_str(&format!("{:?}\n{:?}\n", w.balances_page(PageRequest::new(0, 500)), w.stored_bytes()));
            text.push_str(&format!("{:?}", w.reports().participants_to_report()));
            text
        })
    }
}

pub fn transfer(to: Principal, amount: u128) -> ProposalAction {
    ProposalAction::Transfer(TransferAction {
        ledger: ledger_id(),
        from_subaccount: None,
        to: account(to),
        amount: Nat::from(amount),
        fee: None,
    })
}

/// Asserts `result` is the error `expected` says (same variant), and returns its text.
pub fn assert_err(result: Result<Proposal, FleetError>, expected: fn(&FleetError) -> bool) -> FleetError {
    match result {
        Err(e) if expected(&e) => e,
        other => panic!("unexpected result: {other:?}"),
    }
}
