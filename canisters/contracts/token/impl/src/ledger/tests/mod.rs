//! Native tests of the ledger logic over `VectorMemory`. Each test builds a ledger from init args, drives it like
//! callers would, and checks balances, supply, allowances and the log. Every fixture checks on drop that the sum of
//! the balances equals the total supply.

mod approve;
mod block_migration;
mod blocks;
mod dedup;
mod dedup_as_sent;
mod log;
mod transfer;
mod transfer_from;

use super::{Ledger, LedgerError};
use candid::{Nat, Principal};
use fleet_api::ContractInit;
use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::VectorMemory;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::Memo;
use token_api::{ApproveArgs, TokenArgs, TokenInit, TransferArg, TransferFromArgs};

pub const FEE: u128 = 10;
/// 2024-01-01T00:00:00Z, in ns.
pub const START: u64 = 1_704_067_200_000_000_000;
pub const SECOND: u64 = 1_000_000_000;

pub fn alice() -> Principal {
    Principal::from_slice(&[1; 29])
}
pub fn bob() -> Principal {
    Principal::from_slice(&[2; 29])
}
pub fn carol() -> Principal {
    Principal::from_slice(&[3; 29])
}
pub fn owner() -> Principal {
    Principal::from_slice(&[9; 29])
}
pub fn acc(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}
pub fn sub(owner: Principal, n: u8) -> Account {
    Account { owner, subaccount: Some([n; 32]) }
}
/// The minting account: the owner's default account.
pub fn minter() -> Account {
    acc(owner())
}

pub fn token_args() -> TokenArgs {
    TokenArgs {
        name: "Test Token".into(),
        symbol: "TST".into(),
        decimals: 8,
        transfer_fee: Nat::from(FEE),
        initial_balances: vec![(acc(alice()), Nat::from(1_000u64)), (acc(bob()), Nat::from(500u64))],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}

pub struct Fixture {
    stable: VectorMemory,
    pub ledger: Ledger<VirtualMemory<VectorMemory>>,
    pub now: u64,
}

pub fn ledger() -> Fixture {
    ledger_with(token_args())
}

pub fn ledger_with(args: TokenArgs) -> Fixture {
    let stable = VectorMemory::default();
    let mut ledger = open(&stable);
    let init: TokenInit = ContractInit { factory: None, owner: owner(), version: "1.0.0".into(), args };
    ledger.install(&init, START).expect("install");
    Fixture { stable, ledger, now: START }
}

fn open(stable: &VectorMemory) -> Ledger<VirtualMemory<VectorMemory>> {
    let manager = MemoryManager::init(stable.clone());
    Ledger::open(|id| manager.get(MemoryId::new(id)))
}

impl Fixture {
    /// What a new wasm instance sees after an upgrade: the ledger rebuilt from stable memory alone.
    pub fn upgrade(&mut self) {
        self.ledger = open(&self.stable);
    }

    pub fn advance(&mut self, nanos: u64) {
        self.now += nanos;
    }

    pub fn balance(&self, account: Account) -> u128 {
        self.ledger.balance_of(&account)
    }

    pub fn transfer(&mut self, from: Principal, to: Account, amount: u128) -> Result<u64, LedgerError> {
        self.transfer_arg(from, TransferArg { to, amount: Nat::from(amount), ..transfer_arg() })
    }

    pub fn transfer_arg(&mut self, from: Principal, arg: TransferArg) -> Result<u64, LedgerError> {
        let now = self.now;
        self.ledger.transfer(from, &arg, now)
    }

    pub fn approve(&mut self, from: Principal, spender: Account, amount: u128) -> Result<u64, LedgerError> {
        self.approve_args(from, ApproveArgs { spender, amount: Nat::from(amount), ..approve_args() })
    }

    pub fn approve_args(&mut self, from: Principal, args: ApproveArgs) -> Result<u64, LedgerError> {
        let now = self.now;
        self.ledger.approve(from, &args, now)
    }

    pub fn allowance(&self, account: Account, spender: Account) -> (u128, Option<u64>) {
        let a = self.ledger.allowance(&token_api::AllowanceArgs { account, spender }, self.now);
        (token_api::amount_u128(&a.allowance).unwrap(), a.expires_at)
    }

    pub fn transfer_from(
        &mut self,
        spender: Principal,
        from: Account,
        to: Account,
        amount: u128,
    ) -> Result<u64, LedgerError> {
        self.transfer_from_args(
            spender,
            TransferFromArgs { from, to, amount: Nat::from(amount), ..transfer_from_args() },
        )
    }

    pub fn transfer_from_args(&mut self, spender: Principal, args: TransferFromArgs) -> Result<u64, LedgerError> {
        let now = self.now;
        self.ledger.transfer_from(spender, &args, now)
    }

    fn sum_of_balances(&self) -> u128 {
        self.ledger.balances.iter().map(|entry| entry.value()).sum()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_eq!(self.sum_of_balances(), self.ledger.total_supply(), "balances must add up to the total supply");
        }
    }
}

pub fn transfer_arg() -> TransferArg {
    TransferArg {
        from_subaccount: None,
        to: acc(carol()),
        fee: None,
        created_at_time: None,
        memo: None,
        amount: Nat::from(0u8),
    }
}

pub fn approve_args() -> ApproveArgs {
    ApproveArgs {
        from_subaccount: None,
        spender: acc(carol()),
        amount: Nat::from(0u8),
        expected_allowance: None,
        expires_at: None,
        fee: None,
        memo: None,
        created_at_time: None,
    }
}

pub fn transfer_from_args() -> TransferFromArgs {
    TransferFromArgs {
        spender_subaccount: None,
        from: acc(alice()),
        to: acc(carol()),
        amount: Nat::from(0u8),
        fee: None,
        memo: None,
        created_at_time: None,
    }
}

pub fn memo(bytes: &[u8]) -> Option<Memo> {
    Some(Memo::from(bytes.to_vec()))
}

/// A `Nat` one above `u128::MAX`.
pub fn beyond_u128() -> Nat {
    Nat::from(u128::MAX) + Nat::from(1u8)
}

#[test]
fn install_mints_the_initial_balances_as_transactions() {
    let f = ledger();
    assert_eq!(f.balance(acc(alice())), 1_000);
    assert_eq!(f.balance(acc(bob())), 500);
    assert_eq!(f.ledger.total_supply(), 1_500);
    assert_eq!(f.ledger.transaction_count(), 2);
    assert_eq!(f.ledger.config().minting_account, minter(), "the owner's default account mints by default");
    assert_eq!(f.ledger.config().max_memo_length, token_api::DEFAULT_MAX_MEMO_LENGTH);
}

#[test]
fn install_refuses_invalid_args() {
    let stable = VectorMemory::default();
    let mut ledger = open(&stable);
    let init: TokenInit = ContractInit {
        factory: None,
        owner: owner(),
        version: "1.0.0".into(),
        args: TokenArgs { symbol: String::new(), ..token_args() },
    };
    assert!(matches!(ledger.install(&init, START), Err(fleet_api::FleetError::InvalidInput(_))));
}

#[test]
fn upgrade_keeps_config_balances_allowances_supply_and_log() {
    let mut f = ledger();
    f.transfer(alice(), acc(bob()), 100).unwrap();
    f.approve(alice(), acc(carol()), 300).unwrap();
    let before =
        (f.balance(acc(alice())), f.balance(acc(bob())), f.ledger.total_supply(), f.ledger.transaction_count());
    let config = f.ledger.config().clone();

    f.upgrade();

    assert_eq!(
        (f.balance(acc(alice())), f.balance(acc(bob())), f.ledger.total_supply(), f.ledger.transaction_count()),
        before
    );
    assert_eq!(f.allowance(acc(alice()), acc(carol())), (300, None));
    assert_eq!(f.ledger.config(), &config);
    // And it keeps working after the upgrade.
    f.transfer_from(carol(), acc(alice()), acc(carol()), 50).unwrap();
    assert_eq!(f.balance(acc(carol())), 50);
}

#[test]
fn status_summarizes_the_ledger() {
    let f = ledger();
    let status = f.ledger.status().unwrap();
    assert!(status.contains("2 accounts") && status.contains("total supply 1500"), "{status}");
    let empty = open(&VectorMemory::default());
    assert!(empty.status().is_err(), "an uninstalled ledger is not healthy");
}
