//! HTTP replies of the live endpoint: CBOR bodies (with the self-describing tag) and the replica's plain-text
//! errors.

use serde::Serialize;

/// `Content-Type` of CBOR bodies.
pub const APPLICATION_CBOR: &str = "application/cbor";
/// `Content-Type` of error bodies (the replica's).
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// One HTTP reply: status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    /// 200 with a CBOR body.
    pub fn cbor<T: Serialize>(value: &T) -> Reply {
        Reply { status: 200, content_type: APPLICATION_CBOR, body: self_describing_cbor(value) }
    }

    /// 202 with an empty body: the call was accepted, poll read_state for its status.
    pub fn accepted() -> Reply {
        Reply { status: 202, content_type: TEXT_PLAIN, body: Vec::new() }
    }
}

/// A request refused before it reached the emulated IC, with the reason in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub status: u16,
    pub message: String,
}

impl HttpError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        HttpError { status, message: message.into() }
    }
    /// 400: malformed request, bad signature, bad expiry, canister id mismatch.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }
    /// 403: a read_state path the sender may not read.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }
    /// 404: no such endpoint, or a read_state path that does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }
    /// 413: the body or the message is larger than the IC accepts.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(413, message)
    }
}

impl From<HttpError> for Reply {
    fn from(error: HttpError) -> Reply {
        Reply { status: error.status, content_type: TEXT_PLAIN, body: error.message.into_bytes() }
    }
}

/// CBOR with the self-describing tag 55799, as the IC sends every CBOR body.
pub fn self_describing_cbor<T: Serialize>(value: &T) -> Vec<u8> {
    let mut serializer = serde_cbor::Serializer::new(Vec::new());
    // Writing to a Vec cannot fail, and the values serialized here (maps of text, bytes and integers) always encode.
    if serializer.self_describe().is_err() || value.serialize(&mut serializer).is_err() {
        return Vec::new();
    }
    serializer.into_inner()
}
