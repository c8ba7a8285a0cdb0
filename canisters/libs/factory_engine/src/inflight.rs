//! What a deployment writes down before each await: the caller's idempotency key (so a repeated `createContract`
//! returns the first result, and a concurrent duplicate gets `AlreadyInProgress`) and the pending deployment with the
//! canister it created (so an interrupted deployment names the canister to clean up).

use candid::{CandidType, Principal};
use fleet_api::{FleetError, Page, PageRequest};
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use serde::{Deserialize, Serialize};

use crate::api::{DeployStage, PendingDeployment};
use crate::codec::candid_storable;
use crate::memory::Mem;

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum RequestState {
    InProgress { since: u64 },
    Succeeded(Principal),
    Failed(FleetError),
}

candid_storable!(RequestState, PendingDeployment);

pub struct InFlight<M: Memory> {
    requests: StableBTreeMap<(Principal, u64), RequestState, Mem<M>>,
    pending: StableBTreeMap<u64, PendingDeployment, Mem<M>>,
    /// Next pending-deployment id; kept in the requests' memory region's sibling cell.
    next_id: StableCell<u64, Mem<M>>,
}

impl<M: Memory> InFlight<M> {
    pub fn init(requests: Mem<M>, pending: Mem<M>, next_id: Mem<M>) -> Self {
        Self {
            requests: StableBTreeMap::init(requests),
            pending: StableBTreeMap::init(pending),
            next_id: StableCell::init(next_id, 0),
        }
    }

    /// Claims `(caller, request_id)` for a new deployment. `Err(Ok(result))` is a finished earlier request to replay;
    /// `Err(Err(AlreadyInProgress))` a running one.
    pub fn claim(&mut self, caller: Principal, request_id: u64, now: u64) -> Result<(), Result<Principal, FleetError>> {
        match self.requests.get(&(caller, request_id)) {
            Some(RequestState::InProgress { .. }) => Err(Err(FleetError::AlreadyInProgress)),
            Some(RequestState::Succeeded(contract)) => Err(Ok(contract)),
            Some(RequestState::Failed(error)) => Err(Err(error)),
            None => {
                self.requests.insert((caller, request_id), RequestState::InProgress { since: now });
                Ok(())
            }
        }
    }

    pub fn settle(&mut self, caller: Principal, request_id: u64, result: &Result<Principal, FleetError>) {
        let state = match result {
            Ok(contract) => RequestState::Succeeded(*contract),
            Err(error) => RequestState::Failed(error.clone()),
        };
        self.requests.insert((caller, request_id), state);
    }

    pub fn request(&self, caller: Principal, request_id: u64) -> Option<RequestState> {
        self.requests.get(&(caller, request_id))
    }

    pub fn open(&mut self, mut deployment: PendingDeployment) -> u64 {
        let id = *self.next_id.get();
        self.next_id.set(id + 1);
        deployment.id = id;
        self.pending.insert(id, deployment);
        id
    }

    pub fn get(&self, id: u64) -> Option<PendingDeployment> {
        self.pending.get(&id)
    }

    pub fn update(&mut self, id: u64, f: impl FnOnce(&mut PendingDeployment)) {
        if let Some(mut deployment) = self.pending.get(&id) {
            f(&mut deployment);
            self.pending.insert(id, deployment);
        }
    }

    pub fn close(&mut self, id: u64) -> Option<PendingDeployment> {
        self.pending.remove(&id)
    }

    /// The pending deployment that created `canister`, if any (a canister whose install is still running).
    pub fn by_canister(&self, canister: &Principal) -> Option<PendingDeployment> {
        self.pending.values().find(|d| d.canister.as_ref() == Some(canister))
    }

    pub fn list(&self, page: PageRequest) -> Page<PendingDeployment> {
        Page::from_iter(page, self.pending.len(), self.pending.values())
    }

    pub fn pending_count(&self) -> u64 {
        self.pending.len()
    }

    pub fn orphaned(&self) -> Vec<PendingDeployment> {
        self.pending.values().filter(|d| d.stage == DeployStage::Orphaned).collect()
    }
}
