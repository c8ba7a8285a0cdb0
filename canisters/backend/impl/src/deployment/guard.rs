//! Re-entrancy guards. They live on the heap and are released on drop, which also runs when a call's future is
//! dropped after a trap in a callback (the IC runs the cleanup that frees it).

use crate::state::{BackendState, Shared};
use candid::Principal;
use fleet_api::{FleetError, FleetResult};
use ic_stable_structures::Memory;

/// One create request per user at a time: a second click while the first is paying gets `AlreadyInProgress`.
pub struct UserGuard<M: Memory> {
    state: Shared<M>,
    user: Principal,
}

impl<M: Memory> UserGuard<M> {
    pub fn acquire(state: &Shared<M>, user: Principal) -> FleetResult<Self> {
        if !state.borrow_mut().busy_users.insert(user) {
            return Err(FleetError::AlreadyInProgress);
        }
        Ok(Self { state: state.clone(), user })
    }
}

impl<M: Memory> Drop for UserGuard<M> {
    fn drop(&mut self) {
        self.state.borrow_mut().busy_users.remove(&self.user);
    }
}

/// One future advancing a deployment at a time: the user's call and the timer never both send its next call.
pub struct DeploymentGuard<M: Memory> {
    state: Shared<M>,
    id: u64,
}

impl<M: Memory> DeploymentGuard<M> {
    /// `None` when another future holds it.
    pub fn try_acquire(state: &Shared<M>, id: u64) -> Option<Self> {
        state.borrow_mut().busy_deployments.insert(id).then(|| Self { state: state.clone(), id })
    }
}

impl<M: Memory> Drop for DeploymentGuard<M> {
    fn drop(&mut self) {
        self.state.borrow_mut().busy_deployments.remove(&self.id);
    }
}

/// Holds a flag of the state for as long as it lives: one outbox flush at a time (so entries reach storage in
/// order), one fee withdrawal at a time (so a balance is not spent twice).
pub struct FlagGuard<M: Memory> {
    state: Shared<M>,
    flag: fn(&mut BackendState<M>) -> &mut bool,
}

impl<M: Memory> FlagGuard<M> {
    /// `None` when the flag is already held.
    pub fn try_acquire(state: &Shared<M>, flag: fn(&mut BackendState<M>) -> &mut bool) -> Option<Self> {
        let mut borrowed = state.borrow_mut();
        let held = flag(&mut borrowed);
        if *held {
            return None;
        }
        *held = true;
        Some(Self { state: state.clone(), flag })
    }
}

impl<M: Memory> Drop for FlagGuard<M> {
    fn drop(&mut self) {
        *(self.flag)(&mut self.state.borrow_mut()) = false;
    }
}
