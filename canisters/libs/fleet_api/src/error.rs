//! The one error type of the fleet's candid interfaces. Variants say what went wrong in terms a caller can act on;
//! the text carries the detail (which field, which value, which canister).

use candid::{CandidType, Nat, Principal};
use serde::{Deserialize, Serialize};

pub type FleetResult<T> = Result<T, FleetError>;

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    /// The caller may not do this. The text names the role that would be needed.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// An argument is malformed or out of range. The text names the field and what is wrong with it.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The operation is not allowed in the current state of the object (e.g. finalizing a version twice).
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// The service (e.g. `token_factory`) is switched off by `<service>.enabled = false`.
    #[error("service disabled: {0}")]
    ServiceDisabled(String),
    /// The service has no canister configured yet (setupMicroservices) or no fee configured.
    #[error("service not configured: {0}")]
    ServiceNotConfigured(String),
    #[error("the fleet is in maintenance mode")]
    MaintenanceMode,
    /// The caller already has a request of this kind in flight; retry when it has finished.
    #[error("a request from this caller is already in progress")]
    AlreadyInProgress,
    #[error("insufficient allowance: required {required}, approved {approved}")]
    InsufficientAllowance { required: Nat, approved: Nat },
    #[error("payment failed: {0}")]
    PaymentFailed(String),
    /// An inter-canister call failed; nothing was changed on this side unless the text says otherwise.
    #[error("call to {canister}.{method} failed: {reason}")]
    CallFailed { canister: Principal, method: String, reason: String },
    #[error("sha256 mismatch: expected {expected}, got {actual}")]
    HashMismatch { expected: String, actual: String },
    #[error("too large: {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// The feature exists in the interface but is not implemented in this release.
    #[error("not implemented: {0}")]
    NotImplemented(String),
    /// A bug or an invariant violation; the text is for the operators.
    #[error("internal error: {0}")]
    Internal(String),
}

impl FleetError {
    pub fn unauthorized(what: impl Into<String>) -> Self {
        Self::Unauthorized(what.into())
    }
    pub fn invalid(what: impl Into<String>) -> Self {
        Self::InvalidInput(what.into())
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }
    pub fn invalid_state(what: impl Into<String>) -> Self {
        Self::InvalidState(what.into())
    }
    pub fn call_failed(canister: Principal, method: &str, reason: impl std::fmt::Display) -> Self {
        Self::CallFailed { canister, method: method.to_string(), reason: reason.to_string() }
    }
}
