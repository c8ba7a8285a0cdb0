//! The ledger of this canister, over the stable memory the contract runtime hands out to kinds.

use crate::ledger::Ledger;
use contract_runtime::memory::{kind_memory, Memory};
use std::cell::RefCell;

thread_local! {
    static LEDGER: RefCell<Ledger<Memory>> = RefCell::new(Ledger::open(kind_memory));
}

pub fn read<R>(f: impl FnOnce(&Ledger<Memory>) -> R) -> R {
    LEDGER.with_borrow(f)
}

pub fn mutate<R>(f: impl FnOnce(&mut Ledger<Memory>) -> R) -> R {
    LEDGER.with_borrow_mut(f)
}
