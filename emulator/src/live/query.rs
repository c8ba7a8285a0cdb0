//! Query calls over HTTP: run non-replicated on the emulated subnet, the response signed with the node key
//! (interface specification, "Request: Query call": `"\x0Bic-response" ∥ hash_of_map(response, timestamp,
//! request_id)`), so that ic-agent's default query-signature check passes.

use candid::Principal;
use ic_transport_types::{
    EnvelopeContent, NodeSignature, QueryResponse, RejectCode as TransportRejectCode,
    RejectResponse as TransportReject, ReplyResponse,
};

use super::effective::check_effective_canister_id;
use super::envelope::AuthenticatedRequest;
use super::ingress::{request_type, MAX_INGRESS_BYTES};
use super::reply::{HttpError, Reply};
use super::Shared;
use crate::errors::{RejectCode, RejectResponse};

/// Runs a query request and returns the signed CBOR response (200, replied or rejected).
pub fn run(shared: &Shared, request: &AuthenticatedRequest, url_id: Principal) -> Result<Reply, HttpError> {
    let EnvelopeContent::Query { canister_id, method_name, arg, .. } = &request.content else {
        return Err(HttpError::bad_request(format!(
            "Expected a query request at the query endpoint, got a {} request",
            request_type(&request.content)
        )));
    };
    check_effective_canister_id(*canister_id, method_name, arg, url_id)?;
    request.check_target(*canister_id)?;
    if arg.len() + method_name.len() > MAX_INGRESS_BYTES {
        return Err(HttpError::too_large(format!(
            "The query's argument has {} bytes, more than the max allowed {MAX_INGRESS_BYTES}.",
            arg.len()
        )));
    }
    let (result, timestamp, keys) = {
        let mut subnet = shared.subnet();
        let result = subnet.query(*canister_id, request.sender, method_name, arg.clone());
        (result, subnet.time_nanos, subnet.keys.clone())
    };
    let unsigned = match result {
        Ok(reply) => QueryResponse::Replied { reply: ReplyResponse { arg: reply }, signatures: Vec::new() },
        Err(reject) => QueryResponse::Rejected { reject: transport_reject(reject), signatures: Vec::new() },
    };
    let signature = keys.sign_with_node_key(&unsigned.signable(request.request_id, timestamp));
    let node_signature = NodeSignature { timestamp, signature: signature.to_vec(), identity: keys.node_id() };
    let signed = match unsigned {
        QueryResponse::Replied { reply, .. } => QueryResponse::Replied { reply, signatures: vec![node_signature] },
        QueryResponse::Rejected { reject, .. } => QueryResponse::Rejected { reject, signatures: vec![node_signature] },
    };
    Ok(Reply::cbor(&signed))
}

/// The emulator's reject in ic-transport-types' shape. That enum has no SYS_UNKNOWN (6), which only bounded-wait
/// inter-canister calls produce and a query cannot: it would be reported as SYS_TRANSIENT.
pub fn transport_reject(reject: RejectResponse) -> TransportReject {
    let reject_code = match reject.reject_code {
        RejectCode::SysFatal => TransportRejectCode::SysFatal,
        RejectCode::SysTransient | RejectCode::SysUnknown => TransportRejectCode::SysTransient,
        RejectCode::DestinationInvalid => TransportRejectCode::DestinationInvalid,
        RejectCode::CanisterReject => TransportRejectCode::CanisterReject,
        RejectCode::CanisterError => TransportRejectCode::CanisterError,
    };
    TransportReject {
        reject_code,
        reject_message: reject.reject_message,
        error_code: Some(reject.error_code.to_string()),
    }
}
