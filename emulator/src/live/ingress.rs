//! Update calls over HTTP: submission into the emulated subnet, the request id → message map behind
//! `request_status`, and the outcome of a call as the state tree reports it.

use std::collections::{BTreeSet, HashMap};

use candid::Principal;
use ic_transport_types::{EnvelopeContent, RequestId};

use super::effective::{check_effective_canister_id, effective_canister_id};
use super::envelope::{hex_id, AuthenticatedRequest, MAX_INGRESS_TTL_NANOS};
use super::reply::HttpError;
use super::Shared;
use crate::certification::RequestOutcome;
use crate::errors::RejectResponse;
use crate::state::{CallOrigin, MessageId, Subnet};

/// The IC's limit on an ingress message to an application subnet (`MAX_INGRESS_BYTES_PER_MESSAGE_APP_SUBNET`).
pub const MAX_INGRESS_BYTES: usize = 2 * 1024 * 1024;
/// How long after its expiry a call's request id is remembered (a replay is refused as expired by then).
const RETENTION_AFTER_EXPIRY_NANOS: u64 = MAX_INGRESS_TTL_NANOS;

/// A call accepted into the emulated subnet.
#[derive(Clone, Debug)]
pub struct TrackedCall {
    pub message: MessageId,
    pub sender: Principal,
    /// The effective canister id the call was sent to (read_state of its status must use the same).
    pub effective_canister_id: Principal,
    pub expiry: u64,
}

/// Request id → accepted call, pruned some time after each call's expiry.
#[derive(Default)]
pub struct IngressTracker {
    calls: HashMap<[u8; 32], TrackedCall>,
    by_expiry: BTreeSet<(u64, [u8; 32])>,
}

impl IngressTracker {
    pub fn get(&self, request_id: &RequestId) -> Option<&TrackedCall> {
        self.calls.get(&request_bytes(request_id))
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    fn insert(&mut self, request_id: &RequestId, call: TrackedCall, now_nanos: u64) {
        let key = request_bytes(request_id);
        self.by_expiry.insert((call.expiry, key));
        self.calls.insert(key, call);
        while let Some(&(expiry, key)) = self.by_expiry.first() {
            if expiry.saturating_add(RETENTION_AFTER_EXPIRY_NANOS) >= now_nanos {
                break;
            }
            self.by_expiry.pop_first();
            self.calls.remove(&key);
        }
    }
}

fn request_bytes(request_id: &RequestId) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(request_id.as_slice());
    bytes
}

/// What the submission of a call gave.
#[derive(Debug)]
pub enum Submitted {
    /// In the subnet (now, or already before: an identical request is never executed twice).
    Accepted,
    /// Refused before it entered the subnet (inspect_message, missing canister...): not certified.
    Rejected(RejectResponse),
}

/// Checks a call request against the URL's canister id and the IC's limits, and submits it once.
pub fn submit(shared: &Shared, request: &AuthenticatedRequest, url_id: Principal) -> Result<Submitted, HttpError> {
    let EnvelopeContent::Call { canister_id, method_name, arg, ingress_expiry, .. } = &request.content else {
        return Err(HttpError::bad_request(format!(
            "Expected a call request at the call endpoint, got a {} request",
            request_type(&request.content)
        )));
    };
    check_effective_canister_id(*canister_id, method_name, arg, url_id)?;
    request.check_target(*canister_id)?;
    let size = arg.len() + method_name.len();
    if size > MAX_INGRESS_BYTES {
        return Err(HttpError::too_large(format!(
            "Request {} is too large. Message byte size {size} is larger than the max allowed {MAX_INGRESS_BYTES}.",
            hex_id(&request.request_id)
        )));
    }
    // Lock order: the tracker, then the subnet (never the other way round).
    let mut tracker = shared.tracker();
    if tracker.get(&request.request_id).is_some() {
        return Ok(Submitted::Accepted);
    }
    let mut subnet = shared.subnet();
    let now = subnet.time_nanos;
    match subnet.submit_ingress(*canister_id, request.sender, method_name, arg.clone()) {
        Ok(message) => {
            drop(subnet);
            let effective_canister_id = effective_canister_id(*canister_id, method_name, arg).unwrap_or(url_id);
            let call = TrackedCall { message, sender: request.sender, effective_canister_id, expiry: *ingress_expiry };
            tracker.insert(&request.request_id, call, now);
            drop(tracker);
            shared.wake_driver();
            Ok(Submitted::Accepted)
        }
        Err(reject) => Ok(Submitted::Rejected(reject)),
    }
}

/// The status of a tracked call, as `request_status/<id>` shows it; `None` for a request id never accepted.
pub fn outcome(shared: &Shared, request_id: &RequestId) -> Option<RequestOutcome> {
    let message = shared.tracker().get(request_id)?.message;
    Some(outcome_of(&shared.subnet(), message))
}

pub(crate) fn outcome_of(subnet: &Subnet, message: MessageId) -> RequestOutcome {
    match subnet.ingress_result(message) {
        Some(Ok(reply)) => RequestOutcome::Replied(reply),
        Some(Err(reject)) => RequestOutcome::Rejected {
            reject_code: reject.reject_code as u64,
            reject_message: reject.reject_message,
            error_code: Some(reject.error_code.to_string()),
        },
        None if subnet.ingress_sender(message).is_none() => RequestOutcome::Done,
        None if is_queued(subnet, message) => RequestOutcome::Received,
        None => RequestOutcome::Processing,
    }
}

/// Still in the ingress queue: received, not yet inducted into a round.
fn is_queued(subnet: &Subnet, message: MessageId) -> bool {
    subnet.scheduler.ingress_queue.iter().any(|request| request.origin == CallOrigin::Ingress(message))
}

/// Whether the outcome is final (replied, rejected or done): a synchronous call can answer.
pub fn is_terminal(outcome: &RequestOutcome) -> bool {
    matches!(outcome, RequestOutcome::Replied(_) | RequestOutcome::Rejected { .. } | RequestOutcome::Done)
}

pub fn request_type(content: &EnvelopeContent) -> &'static str {
    match content {
        EnvelopeContent::Call { .. } => "call",
        EnvelopeContent::Query { .. } => "query",
        EnvelopeContent::ReadState { .. } => "read_state",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(message: u64, expiry: u64) -> TrackedCall {
        TrackedCall {
            message: MessageId(message),
            sender: Principal::anonymous(),
            effective_canister_id: Principal::anonymous(),
            expiry,
        }
    }

    #[test]
    fn request_ids_are_forgotten_only_after_their_expiry_and_a_retention() {
        let mut tracker = IngressTracker::default();
        let (a, b) = (RequestId::new(&[1; 32]), RequestId::new(&[2; 32]));
        tracker.insert(&a, call(1, 1_000), 0);
        assert_eq!(tracker.get(&a).map(|c| c.message), Some(MessageId(1)));
        // Still remembered at its expiry plus the retention: a replay would be deduplicated.
        tracker.insert(&b, call(2, 2_000 + RETENTION_AFTER_EXPIRY_NANOS), 1_000 + RETENTION_AFTER_EXPIRY_NANOS);
        assert!(tracker.get(&a).is_some());
        // Past it (a replay is refused as expired by then), it is pruned.
        let c = RequestId::new(&[3; 32]);
        tracker.insert(&c, call(3, u64::MAX), 1_001 + RETENTION_AFTER_EXPIRY_NANOS);
        assert!(tracker.get(&a).is_none());
        assert_eq!(tracker.len(), 2);
    }
}
