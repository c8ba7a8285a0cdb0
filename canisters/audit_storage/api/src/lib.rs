//! Interface of `audit_storage`: an append-only log of what happened in the fleet (who, what, when, which contract,
//! which invoice, with what outcome). Only whitelisted writers (the backend) append; admins and writers read; a user
//! may read the events about themself. Every list query pages newest first.
//!
//! Candid: `audit_storage.did` beside this crate, checked against the implementation by a unit test.

use candid::{CandidType, Principal};
use fleet_api::{FleetError, Page};
use serde::{Deserialize, Serialize};

/// The candid interface, as shipped in the wasm's `candid:service` metadata.
pub const DID: &str = include_str!("../audit_storage.did");

/// Longest `metadata` text of an event, in bytes.
pub const MAX_METADATA_BYTES: usize = 4096;
/// Longest `Failure` reason, in bytes.
pub const MAX_FAILURE_BYTES: usize = 1024;
/// Longest `service` name, in bytes.
pub const MAX_SERVICE_BYTES: usize = 64;
/// Longest `Other` action name, in bytes.
pub const MAX_OTHER_ACTION_BYTES: usize = 64;

/// What happened. The typed variants are the events the fleet itself records; `Other` lets a writer log something new
/// without an interface change (1..=64 bytes of letters, digits, `_`, `-`, `.`).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A user's ICRC-2 payment was collected (invoice Paid).
    PaymentReceived,
    /// A contract was deployed for a user.
    ContractDeployed,
    /// A deployment did not complete; `outcome` says why.
    DeploymentFailed,
    /// A payment was returned to the user (invoice Refunded).
    RefundIssued,
    /// A refund attempt failed and will be retried (invoice RefundFailed).
    RefundFailed,
    /// A configuration value was set; `metadata` holds `key=value`.
    ConfigChanged,
    /// An admin was added or removed.
    AdminChanged,
    MaintenanceModeChanged,
    /// `setupMicroservices` set the canisters the backend talks to.
    MicroservicesConfigured,
    Other(String),
}

impl AuditAction {
    /// The name the action is indexed under: the variant name, or `Other:<text>` (so `Other("ContractDeployed")` and
    /// `ContractDeployed` stay apart).
    pub fn index_key(&self) -> String {
        match self {
            Self::PaymentReceived => "PaymentReceived".into(),
            Self::ContractDeployed => "ContractDeployed".into(),
            Self::DeploymentFailed => "DeploymentFailed".into(),
            Self::RefundIssued => "RefundIssued".into(),
            Self::RefundFailed => "RefundFailed".into(),
            Self::ConfigChanged => "ConfigChanged".into(),
            Self::AdminChanged => "AdminChanged".into(),
            Self::MaintenanceModeChanged => "MaintenanceModeChanged".into(),
            Self::MicroservicesConfigured => "MicroservicesConfigured".into(),
            Self::Other(text) => format!("Other:{text}"),
        }
    }
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum AuditOutcome {
    Success,
    /// Why it failed (at most 1024 bytes).
    Failure(String),
}

/// What a writer sends; the storage adds the id, the timestamp and who recorded it.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct LogEventArgs {
    /// The user the event is about (the caller of the backend), never anonymous.
    pub user: Principal,
    pub action: AuditAction,
    /// The service concerned: `backend`, `token_factory`, ... (a-z, 0-9, `_`; at most 64 bytes).
    pub service: String,
    pub contract: Option<Principal>,
    pub invoice_id: Option<u64>,
    pub outcome: AuditOutcome,
    /// Free text for humans (at most 4096 bytes), e.g. `Token: MyToken (MTK)`.
    pub metadata: String,
    /// The writer's idempotency key for this event, unique per writer: a second `logEvent` from the same writer with
    /// the same key records nothing and returns the id of the event the first one recorded (so a writer may re-send
    /// an event whose reply it lost). The re-send must describe the same event, or it is refused as `InvalidInput`.
    /// Keys of different writers never meet. `None`: no deduplication, every call appends.
    pub request_id: Option<u64>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Position in the log: 0, 1, 2... in the order events were recorded.
    pub id: u64,
    /// When the storage recorded it (ns since the epoch). Never decreases from one event to the next.
    pub timestamp: u64,
    pub user: Principal,
    pub action: AuditAction,
    pub service: String,
    pub contract: Option<Principal>,
    pub invoice_id: Option<u64>,
    pub outcome: AuditOutcome,
    pub metadata: String,
    /// The writer canister that logged it.
    pub recorded_by: Principal,
    /// The writer's idempotency key, when it sent one.
    pub request_id: Option<u64>,
}

/// Half-open time range `[from, to)` in ns since the epoch.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub from: u64,
    pub to: u64,
}

/// Install argument `(opt AuditStorageInitArgs)`: the admins (besides the controllers) and the whitelisted writers.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct AuditStorageInitArgs {
    pub admins: Vec<Principal>,
    pub writers: Vec<Principal>,
}

pub type LogEventResponse = Result<u64, FleetError>;
pub type EventResponse = Result<AuditEvent, FleetError>;
pub type EventsResponse = Result<Page<AuditEvent>, FleetError>;
pub type AdminResponse = Result<(), FleetError>;

/// Candid method names, for clients that call by name.
pub mod methods {
    pub const LOG_EVENT: &str = "logEvent";
    pub const GET_EVENT: &str = "getEvent";
    pub const GET_EVENTS: &str = "getEvents";
    pub const GET_EVENTS_BY_USER: &str = "getEventsByUser";
    pub const GET_EVENTS_BY_CONTRACT: &str = "getEventsByContract";
    pub const GET_EVENTS_BY_ACTION: &str = "getEventsByAction";
    pub const GET_EVENTS_BY_TIME_RANGE: &str = "getEventsByTimeRange";
    pub const GET_EVENT_COUNT: &str = "getEventCount";
    pub const SETUP_WHITELIST: &str = "setupWhitelist";
    pub const REMOVE_FROM_WHITELIST: &str = "removeFromWhitelist";
    pub const GET_WHITELIST: &str = "getWhitelist";
    pub const ADD_ADMIN: &str = "addAdmin";
    pub const REMOVE_ADMIN: &str = "removeAdmin";
    pub const GET_ADMINS: &str = "getAdmins";
    pub const GET_HEALTH: &str = "getHealth";
    pub const GET_SETUP_STATUS: &str = "getSetupStatus";
}
