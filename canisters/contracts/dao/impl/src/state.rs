//! The DAO of this canister, over the stable memory the contract runtime hands out to kinds.

use crate::dao::Dao;
use crate::executor::DaoCell;
use contract_runtime::memory::{kind_memory, Memory};
use std::cell::RefCell;

thread_local! {
    static DAO: RefCell<Dao<Memory>> = RefCell::new(Dao::open(kind_memory));
}

pub fn read<R>(f: impl FnOnce(&Dao<Memory>) -> R) -> R {
    DAO.with_borrow(f)
}

pub fn mutate<R>(f: impl FnOnce(&mut Dao<Memory>) -> R) -> R {
    DAO.with_borrow_mut(f)
}

/// The canister's DAO as the executor takes it.
pub struct CanisterDao;

impl DaoCell for CanisterDao {
    type M = Memory;
    fn with<R>(&self, f: impl FnOnce(&mut Dao<Memory>) -> R) -> R {
        mutate(f)
    }
}
