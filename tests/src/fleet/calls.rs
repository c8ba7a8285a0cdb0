//! Candid calls with errors that name the canister, the method and the caller, so that a failed rehearsal step says
//! what happened instead of panicking inside a decoder.

use anyhow::Result;
use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::{decode_args, encode_args, CandidType, Principal};
use fleet_api::FleetError;
use serde::de::DeserializeOwned;

use super::Fleet;

/// A call that did not return `Ok`: either the IC rejected it or the canister answered `Err(FleetError)`.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{method} on {canister} was rejected: {message}")]
    Rejected { canister: Principal, method: String, message: String },
    #[error("{method} on {canister} answered Err: {error}")]
    Fleet { canister: Principal, method: String, error: FleetError },
    #[error("{method} on {canister}: reply does not decode: {message}")]
    Decode { canister: Principal, method: String, message: String },
}

impl CallError {
    /// The fleet error the canister answered, if it answered one.
    pub fn fleet_error(&self) -> Option<&FleetError> {
        match self {
            Self::Fleet { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl Fleet {
    pub fn update<I: ArgumentEncoder, O: for<'a> ArgumentDecoder<'a>>(
        &self,
        canister: Principal,
        sender: Principal,
        method: &str,
        args: I,
    ) -> Result<O, CallError> {
        round_trip(canister, method, args, |bytes| self.ic.update_call(canister, sender, method, bytes))
    }

    pub fn query<I: ArgumentEncoder, O: for<'a> ArgumentDecoder<'a>>(
        &self,
        canister: Principal,
        sender: Principal,
        method: &str,
        args: I,
    ) -> Result<O, CallError> {
        round_trip(canister, method, args, |bytes| self.ic.query_call(canister, sender, method, bytes))
    }

    /// An update whose reply is `variant { Ok : T; Err : FleetError }`, flattened into one `Result`.
    pub fn call<I: ArgumentEncoder, T: CandidType + DeserializeOwned>(
        &self,
        canister: Principal,
        sender: Principal,
        method: &str,
        args: I,
    ) -> Result<T, CallError> {
        let (reply,): (Result<T, FleetError>,) = self.update(canister, sender, method, args)?;
        reply.map_err(|error| CallError::Fleet { canister, method: method.into(), error })
    }

    /// `call` as the operator, who controls every fleet canister and so is admin of each; for `()` answers.
    pub fn admin_call<I: ArgumentEncoder>(&self, canister: Principal, method: &str, args: I) -> Result<(), CallError> {
        self.call::<I, ()>(canister, self.operator, method, args)
    }
}

/// Encodes `args`, sends them with `send` and decodes the reply, turning each failure into a `CallError`.
fn round_trip<I: ArgumentEncoder, O: for<'a> ArgumentDecoder<'a>>(
    canister: Principal,
    method: &str,
    args: I,
    send: impl FnOnce(Vec<u8>) -> Result<Vec<u8>, crate::ic::RejectResponse>,
) -> Result<O, CallError> {
    let bytes = encode_args(args).map_err(|e| decode_error(canister, method, e))?;
    let reply =
        send(bytes).map_err(|r| CallError::Rejected { canister, method: method.into(), message: r.to_string() })?;
    decode_args(&reply).map_err(|e| decode_error(canister, method, e))
}

fn decode_error(canister: Principal, method: &str, e: impl std::fmt::Display) -> CallError {
    CallError::Decode { canister, method: method.into(), message: e.to_string() }
}
