//! The distribution of this canister, over the stable memory the contract runtime hands out to kinds, and the one
//! accessor the flows use (each `with` is one short borrow, never held across an await).

use crate::books::Distribution;
use contract_runtime::memory::{kind_memory, Memory};
use std::cell::RefCell;

thread_local! {
    static DISTRIBUTION: RefCell<Distribution<Memory>> = RefCell::new(Distribution::open(kind_memory));
}

/// Access to a distribution for code that awaits in between.
pub trait DistributionCell<M: ic_stable_structures::Memory> {
    fn with<T>(&self, f: impl FnOnce(&mut Distribution<M>) -> T) -> T;
}

impl<M: ic_stable_structures::Memory> DistributionCell<M> for RefCell<Distribution<M>> {
    fn with<T>(&self, f: impl FnOnce(&mut Distribution<M>) -> T) -> T {
        f(&mut self.borrow_mut())
    }
}

/// The canister's own distribution.
pub struct CanisterState;

impl DistributionCell<Memory> for CanisterState {
    fn with<T>(&self, f: impl FnOnce(&mut Distribution<Memory>) -> T) -> T {
        DISTRIBUTION.with_borrow_mut(f)
    }
}

pub fn read<R>(f: impl FnOnce(&Distribution<Memory>) -> R) -> R {
    DISTRIBUTION.with_borrow(f)
}
