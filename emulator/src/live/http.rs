//! The HTTP server (hyper 1, HTTP/1.1) and its routes: `/api/v2/status`, `/api/v{2,3,4}/canister/<id>/call`,
//! `/api/v{2,3}/canister/<id>/query`, `/api/v{2,3}/canister/<id>/read_state`, `/api/v{2,3}/subnet/<id>/read_state`.
//! Request handling that touches the subnet runs on tokio's blocking pool; a synchronous call then waits for the
//! driver's rounds without holding a thread.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use candid::Principal;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use ic_transport_types::{RequestId, TransportCallResponse};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::envelope::{self, AuthenticatedRequest};
use super::ingress::{self, is_terminal, Submitted};
use super::query::{self, transport_reject};
use super::read_state::{self, id_bytes, Scope};
use super::reply::{HttpError, Reply};
use super::Shared;

/// The largest request body accepted (the replica's `max_request_size_bytes`); the ingress message inside is
/// limited to 2 MiB separately.
pub const MAX_REQUEST_BODY_BYTES: usize = 5 * 1024 * 1024;
/// How much of a too-large body is read before the connection is closed on the client.
pub const MAX_DISCARDED_BODY_BYTES: usize = 64 * 1024 * 1024;
/// How long a synchronous call (`/api/v3|v4/.../call`) waits for its outcome before answering 202.
pub const SYNC_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until `shutdown` turns true.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(respond(route(shared, request).await)) }
                    });
                    // A client that goes away mid-request only ends its own connection.
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// The reply, with the permissive CORS headers the replica sends (so a dapp in a browser can talk to it).
fn respond(result: Result<Reply, HttpError>) -> Response<Full<Bytes>> {
    use hyper::header::{self, HeaderValue};
    let reply = result.unwrap_or_else(Reply::from);
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("*"));
    *response.status_mut() =
        hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(reply.content_type));
    response
}

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Status,
    /// `sync`: v3/v4 (answer with a certificate when done in time), else v2 (202 at once).
    Call {
        canister: Principal,
        sync: bool,
    },
    Query {
        canister: Principal,
    },
    ReadState(Scope),
}

impl Endpoint {
    /// Parses the method and path; unknown endpoints are 404, a wrong method 405.
    pub fn parse(method: &Method, path: &str) -> Result<Endpoint, HttpError> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let endpoint = match segments.as_slice() {
            ["", "api", "v2", "status"] => Endpoint::Status,
            ["", "api", version @ ("v2" | "v3" | "v4"), "canister", id, "call"] => {
                Endpoint::Call { canister: principal(id)?, sync: *version != "v2" }
            }
            ["", "api", "v2" | "v3", "canister", id, "query"] => Endpoint::Query { canister: principal(id)? },
            ["", "api", "v2" | "v3", "canister", id, "read_state"] => {
                Endpoint::ReadState(Scope::Canister(principal(id)?))
            }
            ["", "api", "v2" | "v3", "subnet", id, "read_state"] => Endpoint::ReadState(Scope::Subnet(principal(id)?)),
            ["", "api", _, "subnet", _, "call" | "query"] => {
                return Err(HttpError::not_found(format!(
                    "{path}: subnet-scoped calls and queries are not emulated; use /api/v3/canister/<id>/..."
                )));
            }
            _ => return Err(HttpError::not_found(format!("{path}: no such endpoint"))),
        };
        let expected = if endpoint == Endpoint::Status { Method::GET } else { Method::POST };
        if *method != expected {
            return Err(HttpError::new(405, format!("{path} takes {expected} requests, not {method}")));
        }
        Ok(endpoint)
    }

    fn what(&self) -> &'static str {
        match self {
            Endpoint::Status => "status",
            Endpoint::Call { .. } => "call",
            Endpoint::Query { .. } => "query",
            Endpoint::ReadState(_) => "read_state",
        }
    }
}

fn principal(text: &str) -> Result<Principal, HttpError> {
    Principal::from_text(text)
        .map_err(|e| HttpError::bad_request(format!("Could not parse the principal {text:?} in the URL: {e}")))
}

async fn route(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Reply, HttpError> {
    if request.method() == Method::OPTIONS {
        // A browser's CORS preflight: the headers are added to every reply.
        return Ok(Reply { status: 204, content_type: super::reply::TEXT_PLAIN, body: Vec::new() });
    }
    let endpoint = Endpoint::parse(request.method(), request.uri().path())?;
    if endpoint == Endpoint::Status {
        return Ok(status(&shared));
    }
    let body = read_body(request).await?;
    let worker = shared.clone();
    let step = tokio::task::spawn_blocking(move || first_step(&worker, endpoint, &body))
        .await
        .map_err(|e| HttpError::new(500, format!("the request handler failed: {e}")))??;
    match step {
        Step::Done(reply) => Ok(reply),
        Step::AwaitCall(request_id) => await_call(shared, request_id).await,
    }
}

/// The body, at most `MAX_REQUEST_BODY_BYTES` (413 beyond). A larger body is still read (and dropped) up to
/// `MAX_DISCARDED_BODY_BYTES`, so that the client, still sending, receives the 413 instead of a broken pipe.
async fn read_body(request: Request<Incoming>) -> Result<Vec<u8>, HttpError> {
    let mut body = request.into_body();
    let mut bytes = Vec::new();
    let mut received = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| HttpError::bad_request(format!("Could not read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        received = received.saturating_add(data.len());
        if received <= MAX_REQUEST_BODY_BYTES {
            bytes.extend_from_slice(&data);
        } else if received > MAX_DISCARDED_BODY_BYTES {
            break;
        }
    }
    if received > MAX_REQUEST_BODY_BYTES {
        return Err(HttpError::too_large(format!(
            "The request body is larger than the max allowed {MAX_REQUEST_BODY_BYTES} bytes."
        )));
    }
    Ok(bytes)
}

enum Step {
    Done(Reply),
    /// A synchronous call was accepted: wait for its outcome.
    AwaitCall(RequestId),
}

fn first_step(shared: &Shared, endpoint: Endpoint, body: &[u8]) -> Result<Step, HttpError> {
    let envelope = envelope::decode(body, endpoint.what())?;
    let now = shared.subnet().time_nanos;
    let request: AuthenticatedRequest = envelope::authenticate(envelope, now)?;
    match endpoint {
        Endpoint::Status => Ok(Step::Done(status(shared))),
        Endpoint::Call { canister, sync } => match ingress::submit(shared, &request, canister)? {
            Submitted::Accepted if sync => Ok(Step::AwaitCall(request.request_id)),
            Submitted::Accepted => Ok(Step::Done(Reply::accepted())),
            // v2 answers the reject fields alone, v3/v4 with `status: "non_replicated_rejection"`.
            Submitted::Rejected(reject) if sync => {
                Ok(Step::Done(Reply::cbor(&TransportCallResponse::NonReplicatedRejection(transport_reject(reject)))))
            }
            Submitted::Rejected(reject) => Ok(Step::Done(Reply::cbor(&transport_reject(reject)))),
        },
        Endpoint::Query { canister } => query::run(shared, &request, canister).map(Step::Done),
        Endpoint::ReadState(scope) => read_state::run(shared, &request, scope).map(Step::Done),
    }
}

/// Waits (at most `SYNC_CALL_TIMEOUT`) for the call to finish, then answers its certificate; 202 when it is not done
/// in time.
async fn await_call(shared: Arc<Shared>, request_id: RequestId) -> Result<Reply, HttpError> {
    let mut rounds = shared.rounds.subscribe();
    let deadline = tokio::time::Instant::now() + SYNC_CALL_TIMEOUT;
    loop {
        let worker = shared.clone();
        let certificate = tokio::task::spawn_blocking(move || {
            let outcome = ingress::outcome(&worker, &request_id)?;
            if !is_terminal(&outcome) {
                return None;
            }
            let path = vec![b"request_status".to_vec(), request_id.as_slice().to_vec()];
            Some(read_state::certificate(&worker, &[path], &[(id_bytes(&request_id), outcome)]))
        })
        .await
        .map_err(|e| HttpError::new(500, format!("the request handler failed: {e}")))?;
        if let Some(certificate) = certificate {
            return Ok(Reply::cbor(&TransportCallResponse::Replied { certificate }));
        }
        match tokio::time::timeout_at(deadline, rounds.changed()).await {
            Ok(Ok(())) => continue,
            // Timed out, or the driver stopped: the caller polls read_state.
            _ => return Ok(Reply::accepted()),
        }
    }
}

/// `/api/v2/status`: the root key (agents fetch it with `fetch_root_key`), the implementation and its health.
fn status(shared: &Shared) -> Reply {
    #[derive(Serialize)]
    struct Status {
        impl_source: &'static str,
        impl_version: &'static str,
        replica_health_status: &'static str,
        #[serde(with = "serde_bytes")]
        root_key: Vec<u8>,
    }
    let root_key = shared.subnet().keys.root_key_der();
    Reply::cbor(&Status {
        impl_source: "emulator (in-process Internet Computer)",
        impl_version: env!("CARGO_PKG_VERSION"),
        replica_health_status: "healthy",
        root_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_interface_versions() {
        let id = Principal::from_slice(&[1, 1]);
        let post = |path: &str| Endpoint::parse(&Method::POST, &path.replace("ID", &id.to_text()));
        assert_eq!(Endpoint::parse(&Method::GET, "/api/v2/status"), Ok(Endpoint::Status));
        assert_eq!(post("/api/v2/canister/ID/call"), Ok(Endpoint::Call { canister: id, sync: false }));
        assert_eq!(post("/api/v3/canister/ID/call"), Ok(Endpoint::Call { canister: id, sync: true }));
        assert_eq!(post("/api/v4/canister/ID/call/"), Ok(Endpoint::Call { canister: id, sync: true }));
        assert_eq!(post("/api/v3/canister/ID/query"), Ok(Endpoint::Query { canister: id }));
        assert_eq!(post("/api/v2/canister/ID/read_state"), Ok(Endpoint::ReadState(Scope::Canister(id))));
        assert_eq!(post("/api/v3/subnet/ID/read_state"), Ok(Endpoint::ReadState(Scope::Subnet(id))));
        assert_eq!(post("/api/v4/canister/ID/query").unwrap_err().status, 404);
        assert_eq!(post("/api/v4/subnet/ID/call").unwrap_err().status, 404);
        assert_eq!(post("/api/v2/status").unwrap_err().status, 405);
        assert_eq!(Endpoint::parse(&Method::GET, "/api/v3/canister/aaaaa-aa/call").unwrap_err().status, 405);
        assert_eq!(post("/api/v2/canister/not-a-principal/call").unwrap_err().status, 400);
    }
}
