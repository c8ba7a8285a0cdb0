//! The factory's journal: every change that matters (roles, registry, deployments) appended to a stable log before
//! the call returns, readable by admins page by page (newest first).

use candid::{CandidType, Principal};
use fleet_api::{Page, PageRequest};
use ic_stable_structures::{Memory, StableLog};
use serde::{Deserialize, Serialize};

use crate::codec::candid_storable;
use crate::memory::Mem;
use crate::roles::Role;

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    RoleGranted {
        role: Role,
        principal: Principal,
    },
    RoleRevoked {
        role: Role,
        principal: Principal,
    },
    WhitelistReplaced {
        backend: Principal,
    },
    ConfigChanged,
    UploadStarted {
        version: String,
    },
    UploadAborted {
        version: String,
    },
    VersionPublished {
        version: String,
        sha256: String,
    },
    VersionDeprecated {
        version: String,
        reason: String,
    },
    VersionYanked {
        version: String,
        reason: String,
    },
    DefaultVersionSet {
        version: Option<String>,
    },
    ContractDeployed {
        contract: Principal,
        owner: Principal,
        version: String,
    },
    DeploymentFailed {
        owner: Principal,
        canister: Option<Principal>,
        reason: String,
    },
    DeploymentOrphaned {
        canister: Principal,
        reason: String,
    },
    /// The contract was installed but its chunk store still holds the module's chunks.
    ChunkStoreNotCleared {
        canister: Principal,
        reason: String,
    },
    PendingDeploymentCleared {
        id: u64,
    },
    /// A canister kept from a failed deployment could not be reused (not empty, or not the factory's alone) and
    /// left the spare pool.
    SpareDiscarded {
        canister: Principal,
        reason: String,
    },
    /// The reconciliation timer settled a deployment whose running call was lost (`succeeded`: the contract was
    /// installed and handed over; otherwise its canister went back to the spare pool).
    DeploymentReconciled {
        id: u64,
        canister: Option<Principal>,
        succeeded: bool,
    },
    RolloutStarted {
        rollout: u64,
        target: String,
    },
    RolloutPaused {
        rollout: u64,
        reason: String,
    },
    RolloutResumed {
        rollout: u64,
    },
    RolloutCanaryDone {
        rollout: u64,
    },
    RolloutAborted {
        rollout: u64,
    },
    /// Finished or, after `abortRollout`, aborted: the final counts.
    RolloutFinished {
        rollout: u64,
        counts: crate::upgrade::api::TaskCounts,
    },
    UpgradePolicySet {
        contract: Principal,
        policy: fleet_api::UpgradePolicy,
    },
    OwnerUpgradeStarted {
        contract: Principal,
        task: u64,
        target: String,
    },
    ContractRestored {
        contract: Principal,
        version: String,
    },
    /// The owner asked the factory to let go (`releaseContract`).
    ContractReleased {
        contract: Principal,
    },
    /// The factory found it is no longer a controller (the owner removed it by hand).
    ContractDetached {
        contract: Principal,
        reason: String,
    },
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub at: u64,
    pub caller: Principal,
    pub kind: EventKind,
}

candid_storable!(Event);

pub struct EventLog<M: Memory> {
    log: StableLog<Event, Mem<M>, Mem<M>>,
}

impl<M: Memory> EventLog<M> {
    pub fn init(index: Mem<M>, data: Mem<M>) -> Self {
        Self { log: StableLog::init(index, data) }
    }

    /// Appends an event. A full stable memory is the only failure; the event is then lost rather than the call
    /// failing after its effect was applied, and `getHealth` reports the memory.
    pub fn record(&self, at: u64, caller: Principal, kind: EventKind) {
        let _ = self.log.append(&Event { at, caller, kind });
    }

    pub fn len(&self) -> u64 {
        self.log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    pub fn page(&self, page: PageRequest) -> Page<Event> {
        let len = self.log.len();
        let newest_first = (0..len).rev().filter_map(|i| self.log.get(i));
        Page::from_iter(page, len, newest_first)
    }
}
