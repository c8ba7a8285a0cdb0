//! The launchpad of this canister, over the stable memory the contract runtime hands out to kinds, and the one
//! accessor the flows use (each `with` is one short borrow, never held across an await).

use crate::books::Launchpad;
use contract_runtime::memory::{kind_memory, Memory};
use std::cell::RefCell;

thread_local! {
    static LAUNCHPAD: RefCell<Launchpad<Memory>> = RefCell::new(Launchpad::open(kind_memory));
}

/// Access to a launchpad for code that awaits in between.
pub trait LaunchpadCell<M: ic_stable_structures::Memory> {
    fn with<T>(&self, f: impl FnOnce(&mut Launchpad<M>) -> T) -> T;
}

impl<M: ic_stable_structures::Memory> LaunchpadCell<M> for RefCell<Launchpad<M>> {
    fn with<T>(&self, f: impl FnOnce(&mut Launchpad<M>) -> T) -> T {
        f(&mut self.borrow_mut())
    }
}

/// The canister's own launchpad.
pub struct CanisterState;

impl LaunchpadCell<Memory> for CanisterState {
    fn with<T>(&self, f: impl FnOnce(&mut Launchpad<Memory>) -> T) -> T {
        LAUNCHPAD.with_borrow_mut(f)
    }
}

pub fn read<R>(f: impl FnOnce(&Launchpad<Memory>) -> R) -> R {
    LAUNCHPAD.with_borrow(f)
}
