//! The wallet of this canister, over the stable memory the contract runtime hands out to kinds.

use crate::executor::WalletCell;
use crate::wallet::Wallet;
use contract_runtime::memory::{kind_memory, Memory};
use std::cell::RefCell;

thread_local! {
    static WALLET: RefCell<Wallet<Memory>> = RefCell::new(Wallet::open(kind_memory));
}

pub fn read<R>(f: impl FnOnce(&Wallet<Memory>) -> R) -> R {
    WALLET.with_borrow(f)
}

pub fn mutate<R>(f: impl FnOnce(&mut Wallet<Memory>) -> R) -> R {
    WALLET.with_borrow_mut(f)
}

/// The canister's wallet as the executor takes it.
pub struct CanisterWallet;

impl WalletCell for CanisterWallet {
    type M = Memory;
    fn with<R>(&self, f: impl FnOnce(&mut Wallet<Memory>) -> R) -> R {
        mutate(f)
    }
}
