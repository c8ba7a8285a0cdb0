//! Candid types of the endpoints every factory shares (registry, roles, contracts, statistics). A factory's own api
//! crate re-exports these and adds only its kind's arguments.

use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};

pub use crate::fleet_summary::{FleetSummary, FleetSummaryPage, PolicyCount, VersionCount};

/// Init and upgrade argument of every factory, candid `opt FactoryInitArgs`. On upgrade, the listed principals are
/// added to what the factory already knows (nothing is removed), and `config` replaces the config when given.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct FactoryInitArgs {
    pub admins: Vec<Principal>,
    /// Backends allowed to call `createContract`.
    pub whitelist: Vec<Principal>,
    /// Principals allowed to upload and publish WASM versions (admins always may).
    pub release_principals: Vec<Principal>,
    pub config: Option<FactoryConfig>,
}

/// Operational limits of a factory, set by admins (`setConfig`).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct FactoryConfig {
    /// Cycles a new contract starts with when `DeployOptions.initial_cycles` is absent (the creation fee is on top).
    pub default_initial_cycles: u128,
    /// Upper bound on `DeployOptions.initial_cycles`, so a caller cannot drain the factory.
    pub max_initial_cycles: u128,
    /// The factory refuses to deploy when its balance after paying for a deployment would fall below this.
    pub min_cycles_reserve: u128,
    /// Modules whose size plus init argument exceed this many bytes are installed with `install_chunked_code`.
    /// The inter-canister message limit is 2 MiB; the default leaves room for the candid envelope.
    pub chunked_install_threshold: u64,
    /// Largest module the registry accepts. The IC allows 100 MiB through chunks; 30 MiB keeps finalize's hashing and
    /// inflating well inside one message's instruction limit.
    pub max_module_bytes: u64,
    /// How many versions may be in the Uploading state at once.
    pub max_concurrent_uploads: u32,
}

impl Default for FactoryConfig {
    fn default() -> Self {
        Self {
            default_initial_cycles: 1_000_000_000_000,
            max_initial_cycles: 50_000_000_000_000,
            min_cycles_reserve: 2_000_000_000_000,
            chunked_install_threshold: 1_900_000,
            max_module_bytes: 30 * 1024 * 1024,
            max_concurrent_uploads: 3,
        }
    }
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionStatus {
    /// Chunks are arriving; not installable.
    Uploading,
    /// Verified and installable.
    Published,
    /// Installable by explicit choice, never chosen as the automatic default.
    Deprecated,
    /// Never installed again (a bug or a security problem); kept for the record.
    Yanked,
}

/// How a version may be reached by an upgrade, written by the release pipeline at upload time.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct UpgradeMetadata {
    /// Semver requirement on the installed version (e.g. `>=1.0.0, <2.0.0`); `None`: reachable from any older version.
    pub reachable_from: Option<String>,
    /// A checkpoint carries a required migration: an upgrade path may not skip it.
    pub checkpoint: bool,
    /// Candid-encoded kind-specific argument passed to the contract's `post_upgrade` (as `ContractUpgrade.migration_arg`).
    pub post_upgrade_arg: Option<Vec<u8>>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct BeginUploadArgs {
    pub version: String,
    /// sha256 of the whole module as uploaded (of the gzip when gzipped): 32 bytes.
    #[serde(with = "serde_bytes")]
    pub sha256: Vec<u8>,
    pub size: u64,
    /// Size of every chunk but the last; `None` means 1 MiB, the largest allowed.
    pub chunk_size: Option<u32>,
    pub release_notes: String,
    pub upgrade: UpgradeMetadata,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct UploadChunkArgs {
    pub version: String,
    /// Position of the chunk in the module, from 0; chunks may arrive in any order.
    pub index: u32,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct UploadProgress {
    pub version: String,
    pub chunk_count: u32,
    pub received: u32,
    /// Indexes still missing, so an interrupted upload can resume by sending only these.
    pub missing: Vec<u32>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: String,
    pub status: VersionStatus,
    #[serde(with = "serde_bytes")]
    pub sha256: Vec<u8>,
    pub size: u64,
    pub chunk_size: u32,
    pub chunk_hashes: Vec<serde_bytes::ByteBuf>,
    pub release_notes: String,
    pub uploader: Principal,
    pub uploaded_at: u64,
    pub published_at: Option<u64>,
    /// Why it was deprecated or yanked.
    pub status_reason: Option<String>,
    pub upgrade: UpgradeMetadata,
    /// Contracts deployed (created) at this version.
    pub deployments: u64,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct RegistrySummary {
    pub uploading: u32,
    pub published: u32,
    pub deprecated: u32,
    pub yanked: u32,
    /// The version new deployments get: the admin's choice, else the newest Published release (no pre-release).
    pub default_version: Option<String>,
    /// Whether `default_version` was set by an admin rather than chosen automatically.
    pub default_is_pinned: bool,
    pub latest_published: Option<String>,
    /// Bytes of module chunks held in stable memory.
    pub stored_bytes: u64,
}

/// One contract as `getContract` shows it: the shared record plus what the contract reported through callbacks.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ContractDetails {
    pub info: fleet_api::ContractInfo,
    /// Last status text the contract reported through `notifyStatusChanged`.
    pub reported_status: Option<String>,
    pub participants: u64,
    /// When the contract confirmed its deployment (`notifyDeploymentComplete`).
    pub confirmed_at: Option<u64>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct FactoryStats {
    pub contracts: u64,
    pub deploying: u64,
    pub active: u64,
    pub detached: u64,
    pub private_contracts: u64,
    pub participant_links: u64,
    pub deployments_succeeded: u64,
    pub deployments_failed: u64,
    /// Failed deployments whose canister could not be deleted: see `listPendingDeployments`.
    pub orphaned_canisters: u64,
    pub callbacks_accepted: u64,
    pub callbacks_rejected: u64,
    pub cycles_spent_on_deployments: u128,
    /// Instructions the factory spent on its last successful `createContract`, all its executions included.
    pub last_deploy_instructions: u64,
    /// Callbacks refused by a contract's rate limit (never applied). `opt`: stats written before it existed decode.
    pub callbacks_rate_limited: Option<u64>,
    /// Instructions of the upgrade scheduler's last tick (planning and starting its tasks) and the most any tick
    /// took: what a tick costs with this many tasks and contracts.
    pub last_scheduler_tick_instructions: Option<u64>,
    pub max_scheduler_tick_instructions: Option<u64>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeployStage {
    /// Getting a canister: taking a spare (checked with `canister_status`, topped up) or creating one with the
    /// factory as its only controller.
    Creating,
    Installing,
    /// Installed; the owner is being added to the controllers (`update_settings`). The contract is recorded after.
    HandingOver,
    /// The deployment failed and its canister could not be emptied (uninstalled) for reuse; the reconciliation timer
    /// retries, an admin may clear it.
    Orphaned,
}

/// A deployment between its first await and its end. After a clean run none remain; an entry that stays says a
/// call was interrupted (or clean-up failed) and names the canister to look at.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct PendingDeployment {
    pub id: u64,
    pub caller: Principal,
    pub request_id: Option<u64>,
    pub owner: Principal,
    pub version: String,
    pub canister: Option<Principal>,
    pub stage: DeployStage,
    pub started_at: u64,
    /// The contract called `notifyDeploymentComplete` before the install call returned to the factory.
    pub confirmed_early: bool,
    pub last_error: Option<String>,
    /// What recording the contract needs besides the above, kept so that the reconciliation timer can finish an
    /// interrupted deployment (`None` in entries written before the timer existed: those are failed, not finished).
    pub plan: Option<PendingPlan>,
}

/// The contract record's kind-specific fields and the cycles of a pending deployment.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct PendingPlan {
    pub name: String,
    pub is_public: bool,
    pub participants: Vec<Principal>,
    pub cycles: u128,
}

/// Where one `createContract` request (keyed by caller and `request_id`) stands: `getDeploymentRequest`,
/// `abandonDeploymentRequest`.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum DeploymentRequestState {
    /// Running, or interrupted and waiting for the reconciliation timer. `canister` is the canister it uses, once
    /// it has one.
    InProgress { since: u64, stage: DeployStage, canister: Option<Principal> },
    Succeeded { contract: Principal },
    /// Nothing was deployed for it and nothing will be (its canister, if any, went back to the spare pool).
    Failed { error: fleet_api::FleetError },
    /// The caller gave the request id up before any `createContract` used it: it is refused from now on.
    Abandoned { at: u64 },
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct DeploymentRequestView {
    pub request_id: u64,
    /// The owner the request deploys for; the anonymous principal when unknown (an abandoned id, or a finished
    /// request stored by the previous layout without its owner).
    pub owner: Principal,
    pub state: DeploymentRequestState,
}

/// A canister kept from a failed deployment (uninstalled, the factory its only controller), taken by the next one.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct SpareCanister {
    pub canister: Principal,
    /// Its balance as last seen (creation, `canister_status` or the deployment that failed).
    pub cycles: u128,
    pub since: u64,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct FactoryRoles {
    pub admins: Vec<Principal>,
    pub whitelist: Vec<Principal>,
    pub release_principals: Vec<Principal>,
}
