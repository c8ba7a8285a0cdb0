//! read_state over HTTP (interface specification, "Request: Read state"): which paths a sender may ask for at
//! `/api/v2/canister/<id>/read_state` and `/api/v2/subnet/<id>/read_state`, and the pruned certificate.

use candid::Principal;
use ic_transport_types::{EnvelopeContent, ReadStateResponse, RequestId};

use super::envelope::{hex_id, AuthenticatedRequest};
use super::ingress::{self, request_type};
use super::reply::{HttpError, Reply};
use super::Shared;
use crate::certification::{metadata_visibility, CertifiedState, MetadataVisibility, Path, RequestOutcome};

/// At most this many paths in one request, each of at most `MAX_PATH_LABELS` labels.
pub const MAX_PATHS: usize = 1_000;
pub const MAX_PATH_LABELS: usize = 127;

/// Whose state the request reads: a canister's (the effective canister id) or the subnet's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Canister(Principal),
    Subnet(Principal),
}

const REQUEST_STATUS_FIELDS: [&[u8]; 5] = [b"status", b"reply", b"reject_code", b"reject_message", b"error_code"];

fn invalid_path() -> HttpError {
    HttpError::not_found("Invalid path requested.")
}

/// Checks the paths and returns the certificate (200, `{certificate}`).
pub fn run(shared: &Shared, request: &AuthenticatedRequest, scope: Scope) -> Result<Reply, HttpError> {
    let EnvelopeContent::ReadState { paths, .. } = &request.content else {
        return Err(HttpError::bad_request(format!(
            "Expected a read_state request at the read_state endpoint, got a {} request",
            request_type(&request.content)
        )));
    };
    if paths.len() > MAX_PATHS {
        return Err(HttpError::bad_request(format!(
            "{} paths requested, at most {MAX_PATHS} are allowed",
            paths.len()
        )));
    }
    let paths: Vec<Path> = paths.iter().map(|p| p.iter().map(|l| l.as_bytes().to_vec()).collect()).collect();
    let subnet_id = shared.subnet().subnet_id;
    match scope {
        Scope::Subnet(id) if id != subnet_id => {
            return Err(HttpError::not_found(format!("Subnet {id} is not this IC's subnet ({subnet_id})")));
        }
        Scope::Canister(id) => request.check_target(id)?,
        Scope::Subnet(_) => {}
    }
    let mut request_id: Option<RequestId> = None;
    for path in &paths {
        if path.len() > MAX_PATH_LABELS {
            return Err(invalid_path());
        }
        if let Some(id) = check_path(shared, request, scope, subnet_id, path)? {
            match request_id {
                Some(previous) if previous != id => {
                    return Err(HttpError::bad_request(
                        "All paths with prefix /request_status must name the same request id.",
                    ));
                }
                _ => request_id = Some(id),
            }
        }
    }
    let statuses: Vec<([u8; 32], RequestOutcome)> = match request_id {
        Some(id) => ingress::outcome(shared, &id).map(|o| (id_bytes(&id), o)).into_iter().collect(),
        None => Vec::new(),
    };
    let certificate = certificate(shared, &paths, &statuses);
    Ok(Reply::cbor(&ReadStateResponse { certificate }))
}

/// A certificate of the subnet's current state pruned to `paths` (and `time`), with the given request statuses.
/// The state is copied under the lock; the tree is built and signed after releasing it.
pub fn certificate(shared: &Shared, paths: &[Path], statuses: &[([u8; 32], RequestOutcome)]) -> Vec<u8> {
    let state = CertifiedState::of(&shared.subnet());
    state.certificate(paths, statuses)
}

pub fn id_bytes(request_id: &RequestId) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(request_id.as_slice());
    bytes
}

/// Refuses a path the spec does not let this sender read here; returns the request id of a
/// `request_status` path.
fn check_path(
    shared: &Shared,
    request: &AuthenticatedRequest,
    scope: Scope,
    subnet_id: Principal,
    path: &[Vec<u8>],
) -> Result<Option<RequestId>, HttpError> {
    let labels: Vec<&[u8]> = path.iter().map(|l| l.as_slice()).collect();
    match labels.as_slice() {
        [b"time"] => Ok(None),
        [b"api_boundary_nodes", rest @ ..] if rest.len() <= 2 => Ok(None),
        [b"subnet"] | [b"subnet", _] => Ok(None),
        [b"subnet", _, b"public_key" | b"canister_ranges" | b"node"] => Ok(None),
        [b"subnet", _, b"node", _] | [b"subnet", _, b"node", _, b"public_key"] => Ok(None),
        [b"subnet", id, b"metrics"] => match scope {
            Scope::Subnet(_) if *id == subnet_id.as_slice() => Ok(None),
            _ => Err(invalid_path()),
        },
        [b"canister_ranges"] | [b"canister_ranges", _] | [b"canister_ranges", _, _] => Ok(None),
        [b"request_status", id] | [b"request_status", id, _] => {
            if let [_, _, field] = labels.as_slice() {
                if !REQUEST_STATUS_FIELDS.contains(field) {
                    return Err(invalid_path());
                }
            }
            let id: [u8; 32] = (*id)
                .try_into()
                .map_err(|_| HttpError::bad_request(format!("A request id has 32 bytes, this one {}", id.len())))?;
            let request_id = RequestId::new(&id);
            check_request_status_reader(shared, request, scope, &request_id)?;
            Ok(Some(request_id))
        }
        [b"canister", id, rest @ ..] => {
            let Scope::Canister(url_id) = scope else { return Err(invalid_path()) };
            let canister_id = Principal::try_from_slice(id).map_err(|_| invalid_path())?;
            match rest {
                [b"module_hash"] | [b"controllers"] | [b"metadata", _] => {}
                _ => return Err(invalid_path()),
            }
            if canister_id != url_id {
                return Err(HttpError::bad_request(format!(
                    "Effective principal id in URL {url_id} does not match requested principal id: {canister_id}."
                )));
            }
            if let [b"metadata", name] = rest {
                let name =
                    std::str::from_utf8(name).map_err(|_| HttpError::bad_request("A metadata name must be UTF-8."))?;
                check_metadata_reader(shared, request.sender, canister_id, name)?;
            }
            Ok(None)
        }
        _ => Err(invalid_path()),
    }
}

/// Only the sender of a call may read its status, and only under the effective canister id it was sent to.
fn check_request_status_reader(
    shared: &Shared,
    request: &AuthenticatedRequest,
    scope: Scope,
    request_id: &RequestId,
) -> Result<(), HttpError> {
    let Some(call) = shared.tracker().get(request_id).cloned() else { return Ok(()) };
    if call.sender != request.sender {
        return Err(HttpError::forbidden(format!(
            "Request {} was signed by {}, not by the sender of this read_state request ({}).",
            hex_id(request_id),
            call.sender,
            request.sender
        )));
    }
    match scope {
        Scope::Canister(id) if id == call.effective_canister_id => Ok(()),
        _ => Err(HttpError::forbidden(format!(
            "Request {} was sent to effective canister id {}: read its status at \
             /api/v2/canister/{}/read_state.",
            hex_id(request_id),
            call.effective_canister_id,
            call.effective_canister_id
        ))),
    }
}

/// A private custom section (`icp:private <name>`) is for the canister's controllers.
fn check_metadata_reader(
    shared: &Shared,
    sender: Principal,
    canister_id: Principal,
    name: &str,
) -> Result<(), HttpError> {
    let subnet = shared.subnet();
    let private = metadata_visibility(&subnet, canister_id, name) == Some(MetadataVisibility::Private);
    if private && !subnet.canister(&canister_id).is_some_and(|c| c.is_controller(&sender)) {
        return Err(HttpError::forbidden(format!(
            "Custom section {name} of canister {canister_id} is private: only its controllers may read it."
        )));
    }
    Ok(())
}
