//! What a deployment writes down before each await: the caller's idempotency key (so a repeated `createContract`
//! returns the first result, and a concurrent duplicate gets `AlreadyInProgress`), with the owner and a hash of the
//! arguments it was first used for (so the key never replays for another request), and the pending deployment with
//! the canister it uses (so an interrupted deployment names the canister the reconciliation timer settles).
//!
//! Layout: `requests` keeps the state exactly as the first layout wrote it (`RequestState`, candid; the variant
//! `Abandoned` is new and old bytes still decode); the owner and argument hash live in a separate map,
//! `request_keys`, written together with the state in the same message. A key without an entry there was written by
//! the first layout: it replays as before, unchecked (nothing else is known about it).

use candid::{CandidType, Principal};
use fleet_api::{FleetError, Page, PageRequest};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, Storable};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

use crate::api::{DeployStage, DeploymentRequestState, DeploymentRequestView, PendingDeployment};
use crate::codec::{candid_storable, put_principal, take_principal};
use crate::memory::Mem;

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum RequestState {
    InProgress {
        since: u64,
    },
    Succeeded(Principal),
    Failed(FleetError),
    /// Given up by its caller before it was used (`abandonDeploymentRequest`).
    Abandoned {
        at: u64,
    },
}

candid_storable!(RequestState, PendingDeployment);

/// The request a key was first used for: its owner and the sha256 of the candid-encoded
/// `(owner, args, initial_cycles)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestKey {
    pub owner: Principal,
    pub args_hash: [u8; 32],
}

impl Storable for RequestKey {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(62);
        put_principal(&mut out, &self.owner);
        out.extend_from_slice(&self.args_hash);
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let (owner, rest) = take_principal(&bytes);
        let mut args_hash = [0u8; 32];
        args_hash.copy_from_slice(&rest[..32]);
        Self { owner, args_hash }
    }
    const BOUND: Bound = crate::codec::bounded(1 + crate::codec::MAX_PRINCIPAL_LEN as u32 + 32);
}

/// What a `createContract` carrying a request id meets.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key was free and is now InProgress for this request.
    Claimed,
    /// The key belongs to this same request: answer with this (the contract, the error, AlreadyInProgress).
    Replay(Result<Principal, FleetError>),
}

pub struct InFlight<M: Memory> {
    requests: StableBTreeMap<(Principal, u64), RequestState, Mem<M>>,
    request_keys: StableBTreeMap<(Principal, u64), RequestKey, Mem<M>>,
    pending: StableBTreeMap<u64, PendingDeployment, Mem<M>>,
    /// Next pending-deployment id.
    next_id: StableCell<u64, Mem<M>>,
}

impl<M: Memory> InFlight<M> {
    pub fn init(requests: Mem<M>, request_keys: Mem<M>, pending: Mem<M>, next_id: Mem<M>) -> Self {
        Self {
            requests: StableBTreeMap::init(requests),
            request_keys: StableBTreeMap::init(request_keys),
            pending: StableBTreeMap::init(pending),
            next_id: StableCell::init(next_id, 0),
        }
    }

    /// The answer to a repeat of `(caller, request_id)` for `key`, when the key is taken: `Ok(None)` if free.
    /// A key first used for another owner or other arguments is refused; an abandoned one too.
    pub fn replay(
        &self,
        caller: Principal,
        request_id: u64,
        key: &RequestKey,
    ) -> Result<Option<Result<Principal, FleetError>>, FleetError> {
        let Some(state) = self.requests.get(&(caller, request_id)) else { return Ok(None) };
        let abandoned = || FleetError::invalid_state(format!("request {request_id} was abandoned"));
        if let RequestState::Abandoned { .. } = state {
            return Err(abandoned());
        }
        if let Some(stored) = self.request_keys.get(&(caller, request_id)) {
            if stored != *key {
                return Err(FleetError::invalid(format!(
                    "request_id {request_id} was already used for another owner or other arguments"
                )));
            }
        }
        Ok(Some(match state {
            RequestState::InProgress { .. } => Err(FleetError::AlreadyInProgress),
            RequestState::Succeeded(contract) => Ok(contract),
            RequestState::Failed(error) => Err(error),
            RequestState::Abandoned { .. } => return Err(abandoned()),
        }))
    }

    /// Claims `(caller, request_id)` for the request `key`, or says how to answer a repeat (see `replay`).
    pub fn claim(
        &mut self,
        caller: Principal,
        request_id: u64,
        key: RequestKey,
        now: u64,
    ) -> Result<Claim, FleetError> {
        if let Some(replayed) = self.replay(caller, request_id, &key)? {
            return Ok(Claim::Replay(replayed));
        }
        self.requests.insert((caller, request_id), RequestState::InProgress { since: now });
        self.request_keys.insert((caller, request_id), key);
        Ok(Claim::Claimed)
    }

    pub fn settle(&mut self, caller: Principal, request_id: u64, result: &Result<Principal, FleetError>) {
        let state = match result {
            Ok(contract) => RequestState::Succeeded(*contract),
            Err(error) => RequestState::Failed(error.clone()),
        };
        self.requests.insert((caller, request_id), state);
    }

    /// Records an unused id as Abandoned; `false` (nothing changed) when the id is already taken.
    pub fn abandon(&mut self, caller: Principal, request_id: u64, now: u64) -> bool {
        if self.requests.contains_key(&(caller, request_id)) {
            return false;
        }
        self.requests.insert((caller, request_id), RequestState::Abandoned { at: now });
        true
    }

    pub fn request(&self, caller: Principal, request_id: u64) -> Option<RequestState> {
        self.requests.get(&(caller, request_id))
    }

    /// The request as `getDeploymentRequest` shows it. `owner_of` finds the owner of a contract (for keys of the
    /// first layout, which stored no owner).
    pub fn view(
        &self,
        caller: Principal,
        request_id: u64,
        owner_of: impl Fn(&Principal) -> Option<Principal>,
    ) -> Option<DeploymentRequestView> {
        let state = self.requests.get(&(caller, request_id))?;
        let key = self.request_keys.get(&(caller, request_id));
        let pending = self.pending.values().find(|d| d.caller == caller && d.request_id == Some(request_id));
        let mut owner = key.map(|k| k.owner).or_else(|| pending.as_ref().map(|d| d.owner));
        let state = match state {
            RequestState::InProgress { since } => DeploymentRequestState::InProgress {
                since,
                stage: pending.as_ref().map(|d| d.stage).unwrap_or(DeployStage::Creating),
                canister: pending.and_then(|d| d.canister),
            },
            RequestState::Succeeded(contract) => {
                owner = owner.or_else(|| owner_of(&contract));
                DeploymentRequestState::Succeeded { contract }
            }
            RequestState::Failed(error) => DeploymentRequestState::Failed { error },
            RequestState::Abandoned { at } => DeploymentRequestState::Abandoned { at },
        };
        Some(DeploymentRequestView { request_id, owner: owner.unwrap_or_else(Principal::anonymous), state })
    }

    /// Writes a key the way the first layout did (state only), for the migration tests.
    #[cfg(test)]
    pub fn insert_legacy(&mut self, caller: Principal, request_id: u64, state: RequestState) {
        self.requests.insert((caller, request_id), state);
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

    /// The pending deployment that uses `canister`, if any (a canister whose install is still running).
    pub fn by_canister(&self, canister: &Principal) -> Option<PendingDeployment> {
        self.pending.values().find(|d| d.canister.as_ref() == Some(canister))
    }

    pub fn list(&self, page: PageRequest) -> Page<PendingDeployment> {
        Page::from_iter(page, self.pending.len(), self.pending.values())
    }

    /// Ids of every pending deployment, oldest first.
    pub fn pending_ids(&self) -> Vec<u64> {
        self.pending.keys().collect()
    }

    pub fn pending_count(&self) -> u64 {
        self.pending.len()
    }

    pub fn orphaned(&self) -> Vec<PendingDeployment> {
        self.pending.values().filter(|d| d.stage == DeployStage::Orphaned).collect()
    }
}
