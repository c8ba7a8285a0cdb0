//! Health and setup reports: each service answers for itself, the backend aggregates them.

use candid::{CandidType, Nat, Principal};
use serde::{Deserialize, Serialize};

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ServiceHealth {
    /// Service name: `backend`, `audit_storage`, `token_factory`, ...
    pub service: String,
    pub canister_id: Principal,
    pub healthy: bool,
    pub cycles: Nat,
    pub memory_bytes: u64,
    /// Semver of the service's own code.
    pub version: String,
    /// Why it is unhealthy (or a short summary when healthy, e.g. "12 contracts, default version 1.1.0").
    pub message: String,
    pub checked_at: u64,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct SetupStatus {
    pub service: String,
    pub canister_id: Principal,
    /// Principals allowed to call the service's write endpoints (the backend).
    pub whitelisted: Vec<Principal>,
    /// What still has to be configured before the service can work, in words; empty when ready.
    pub missing: Vec<String>,
    pub ready: bool,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct SystemStatus {
    pub is_maintenance_mode: bool,
    pub services_health: Vec<ServiceHealth>,
    /// When the backend's code was last installed or upgraded (ns since the epoch).
    pub last_upgrade: u64,
}

/// Answer of every contract's `health` query; the factory's rollouts check it after an upgrade.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ContractHealth {
    pub ok: bool,
    pub kind: crate::ContractKind,
    pub version: String,
    pub schema_version: u32,
    pub owner: Principal,
    pub factory: Option<Principal>,
    pub message: String,
}
