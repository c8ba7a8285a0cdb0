//! Errors of transports and clients. Each names the canister and the method, so one line tells an operator what
//! failed.

use candid::Principal;
use fleet_api::FleetError;

/// Why a transport could not get a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The IC or the canister rejected the call (trap, unknown method, refused ingress, missing canister...).
    #[error("rejected ({code}): {message}")]
    Rejected { code: String, message: String },
    /// The network could not be reached (connection refused, DNS, TLS, timeout, HTTP error of a boundary node).
    #[error("cannot reach the network: {0}")]
    Unreachable(String),
    /// Anything else the transport reports (signing, certificate verification, malformed responses).
    #[error("{0}")]
    Other(String),
}

/// A client call that did not return `Ok`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("{method} on {canister}: {source}")]
    Transport {
        canister: Principal,
        method: &'static str,
        #[source]
        source: TransportError,
    },
    /// The canister answered `Err(FleetError)`.
    #[error("{method} on {canister} answered Err: {error}")]
    Fleet { canister: Principal, method: &'static str, error: Box<FleetError> },
    /// Arguments did not encode or the reply did not decode as the interface says (a wrong canister, or a client
    /// older than the canister).
    #[error("{method} on {canister}: {message}")]
    Candid { canister: Principal, method: &'static str, message: String },
}

impl ClientError {
    /// The fleet error the canister answered, if it answered one.
    pub fn fleet_error(&self) -> Option<&FleetError> {
        match self {
            Self::Fleet { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The transport failure, if the call never got an answer from the canister's code.
    pub fn transport_error(&self) -> Option<&TransportError> {
        match self {
            Self::Transport { source, .. } => Some(source),
            _ => None,
        }
    }
}
