//! The calls a contract makes to ledgers and other canisters, and what a failed call means for money.
//!
//! Moves of tokens (transfers, approves, `transfer_from`) and proposals' canister calls are unbounded-wait calls:
//! their reject then means the callee did not execute them or rejected them itself, and only `SysUnknown` (or a
//! reply that cannot be decoded) leaves the outcome open. Reads (`icrc1_fee`, `icrc1_balance_of`) are bounded-wait:
//! a ledger that never answers cannot keep the contract's call context open, which would block stopping it for an
//! upgrade. Each kind's runtime trait keeps its own shape (its books decide what a failure means for them); its
//! canister implementation is these functions.

use candid::utils::ArgumentEncoder;
use candid::{CandidType, Nat, Principal};
use fleet_api::FleetError;
use ic_cdk::call::{Call, CallFailed, RejectCode};
use icrc_ledger_types::icrc1::account::Account;
use serde::de::DeserializeOwned;

/// A call that produced no reply the contract could read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallFailure {
    /// The call was certainly not executed: refused before it left (cycles, queue full) or by the system before
    /// delivery (no such canister or method).
    NotDelivered(String),
    /// The callee ran and rejected or trapped. A single-message callee (an ICRC ledger) changed nothing; a callee
    /// that awaits may have committed part of its work.
    RejectedByCallee(String),
    /// The callee may have executed the call: a reply that could not be decoded, no answer at all, or a reject code
    /// this code does not know.
    Unknown(String),
}

impl CallFailure {
    pub fn reason(&self) -> &str {
        match self {
            Self::NotDelivered(r) | Self::RejectedByCallee(r) | Self::Unknown(r) => r,
        }
    }

    /// Whether the callee may have executed the call (then a money move is re-sent identically, never re-made).
    pub fn may_have_executed(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

pub type CallResult<T> = Result<T, CallFailure>;

/// A failed money move as books keep it that only ask whether the ledger may have executed it (distribution,
/// launchpad): such a move stays recorded and is re-sent identically until the ledger answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendFailure {
    pub reason: String,
    pub may_have_executed: bool,
}

impl From<CallFailure> for SendFailure {
    fn from(failure: CallFailure) -> Self {
        Self { may_have_executed: failure.may_have_executed(), reason: failure.reason().to_string() }
    }
}

/// What a failed call of `method` means.
pub fn classify(method: &str, failed: CallFailed) -> CallFailure {
    match failed {
        CallFailed::CallRejected(rejected) => {
            let text = format!("{method} rejected ({:?}): {}", rejected.reject_code(), rejected.reject_message());
            match rejected.reject_code() {
                Ok(RejectCode::SysFatal | RejectCode::SysTransient | RejectCode::DestinationInvalid) => {
                    CallFailure::NotDelivered(text)
                }
                Ok(RejectCode::CanisterReject | RejectCode::CanisterError) => CallFailure::RejectedByCallee(text),
                Ok(RejectCode::SysUnknown) | Err(_) => CallFailure::Unknown(text),
            }
        }
        other => CallFailure::NotDelivered(format!("{method} not sent: {other}")),
    }
}

async fn candid_reply<T: CandidType + DeserializeOwned>(call: Call<'_, '_>, method: &str) -> CallResult<T> {
    match call.await {
        Ok(reply) => reply.candid::<T>().map_err(|e| CallFailure::Unknown(format!("{method}: undecodable reply: {e}"))),
        Err(failed) => Err(classify(method, failed)),
    }
}

/// `method` of `canister`, unbounded-wait (for calls that move money).
pub async fn unbounded<A, T>(canister: Principal, method: &str, args: &A) -> CallResult<T>
where
    A: ArgumentEncoder,
    T: CandidType + DeserializeOwned,
{
    candid_reply(Call::unbounded_wait(canister, method).with_args(args), method).await
}

/// `method` of `canister`, bounded-wait (for reads).
pub async fn bounded<A, T>(canister: Principal, method: &str, args: &A) -> CallResult<T>
where
    A: ArgumentEncoder,
    T: CandidType + DeserializeOwned,
{
    candid_reply(Call::bounded_wait(canister, method).with_args(args), method).await
}

/// `method` of `canister` with a candid-encoded argument and `cycles` attached, unbounded-wait; the raw reply.
pub async fn call_raw(canister: Principal, method: &str, arg: &[u8], cycles: u128) -> CallResult<Vec<u8>> {
    match Call::unbounded_wait(canister, method).with_raw_args(arg).with_cycles(cycles).await {
        Ok(reply) => Ok(reply.into_bytes()),
        Err(failed) => Err(classify(method, failed)),
    }
}

/// A read's failure as the endpoint that needed it reports it.
fn read_failed(ledger: Principal, method: &str) -> impl FnOnce(CallFailure) -> FleetError + '_ {
    move |failure| FleetError::call_failed(ledger, method, failure.reason())
}

/// The ledger's `icrc1_fee`.
pub async fn icrc1_fee(ledger: Principal) -> Result<Nat, FleetError> {
    bounded(ledger, "icrc1_fee", &()).await.map_err(read_failed(ledger, "icrc1_fee"))
}

/// The ledger's `icrc1_balance_of(account)`.
pub async fn icrc1_balance_of(ledger: Principal, account: Account) -> Result<Nat, FleetError> {
    bounded(ledger, "icrc1_balance_of", &(account,)).await.map_err(read_failed(ledger, "icrc1_balance_of"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unknown_outcome_may_have_executed_a_send() {
        let cases = [
            (CallFailure::NotDelivered("queue full".into()), false),
            (CallFailure::RejectedByCallee("ledger trapped".into()), false),
            (CallFailure::Unknown("reply lost".into()), true),
        ];
        for (failure, executed) in cases {
            assert_eq!(failure.may_have_executed(), executed, "{failure:?}");
            let send = SendFailure::from(failure.clone());
            assert_eq!((send.reason.as_str(), send.may_have_executed), (failure.reason(), executed));
        }
    }
}
