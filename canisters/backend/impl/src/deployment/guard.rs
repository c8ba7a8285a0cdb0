//! Re-entrancy guards. They live on the heap and are released on drop, which also runs when a call's future is
//! dropped after a trap in a callback (the IC runs the cleanup that frees it).

use crate::state::Shared;
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

/// One outbox flush at a time, so entries reach storage in order.
pub struct FlushGuard<M: Memory> {
    state: Shared<M>,
}

impl<M: Memory> FlushGuard<M> {
    pub fn try_acquire(state: &Shared<M>) -> Option<Self> {
        let mut borrowed = state.borrow_mut();
        if borrowed.flushing_outbox {
            return None;
        }
        borrowed.flushing_outbox = true;
        Some(Self { state: state.clone() })
    }
}

impl<M: Memory> Drop for FlushGuard<M> {
    fn drop(&mut self) {
        self.state.borrow_mut().flushing_outbox = false;
    }
}
