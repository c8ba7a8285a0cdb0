//! A real network through `ic-agent` (feature `agent`): `--network <url> --identity <PEM file>`.
//!
//! Identities are the PEM files dfx and icp-cli write: Ed25519 (`BEGIN PRIVATE KEY`, PKCS#8) and secp256k1
//! (`BEGIN EC PRIVATE KEY`, SEC1, or PKCS#8); P-256 keys load too. An encrypted PEM is refused with what to do.
//! The root key is fetched from the network itself only for non-mainnet URLs (a local replica, PocketIC): on
//! mainnet the agent's built-in key is the one to trust.

use crate::error::TransportError;
use crate::transport::Transport;
use candid::Principal;
use ic_agent::identity::{BasicIdentity, Prime256v1Identity, Secp256k1Identity};
use ic_agent::{Agent, AgentError, Identity};

/// Hosts of the IC mainnet API boundary nodes.
const MAINNET_HOSTS: [&str; 3] = ["ic0.app", "icp0.io", "icp-api.io"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("{path}: cannot read the identity PEM: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: the PEM is encrypted; export it unencrypted (`dfx identity export <name>` or `icp identity export <name>`) and pass that file")]
    Encrypted { path: String },
    #[error(
        "{path}: not a private key PEM (expected `-----BEGIN PRIVATE KEY-----` or `-----BEGIN EC PRIVATE KEY-----`)"
    )]
    NotAKey { path: String },
    #[error("{path}: the private key does not parse as Ed25519, secp256k1 or P-256: {reason}")]
    Unparsable { path: String, reason: String },
}

/// Loads the identity in the PEM file at `path`.
pub fn identity_from_pem_file(path: &std::path::Path) -> Result<Box<dyn Identity>, IdentityError> {
    let shown = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| IdentityError::Unreadable { path: shown.clone(), reason: e.to_string() })?;
    identity_from_pem(&bytes, &shown)
}

/// Loads an identity from PEM text; `path` only names it in errors.
pub fn identity_from_pem(pem: &[u8], path: &str) -> Result<Box<dyn Identity>, IdentityError> {
    let text = String::from_utf8_lossy(pem);
    let label = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("-----BEGIN ")?.strip_suffix("-----").map(str::to_string))
        .ok_or_else(|| IdentityError::NotAKey { path: path.to_string() })?;
    let unparsable = |reason: String| IdentityError::Unparsable { path: path.to_string(), reason };
    match label.as_str() {
        "ENCRYPTED PRIVATE KEY" => Err(IdentityError::Encrypted { path: path.to_string() }),
        "EC PRIVATE KEY" => match Secp256k1Identity::from_pem(pem) {
            Ok(identity) => Ok(Box::new(identity)),
            Err(k256) => Prime256v1Identity::from_pem(pem)
                .map(|identity| Box::new(identity) as Box<dyn Identity>)
                .map_err(|_| unparsable(k256.to_string())),
        },
        "PRIVATE KEY" => match BasicIdentity::from_pem(pem) {
            Ok(identity) => Ok(Box::new(identity)),
            Err(ed25519) => Secp256k1Identity::from_pem(pem)
                .map(|identity| Box::new(identity) as Box<dyn Identity>)
                .or_else(|_| Prime256v1Identity::from_pem(pem).map(|identity| Box::new(identity) as Box<dyn Identity>))
                .map_err(|_| unparsable(ed25519.to_string())),
        },
        _ => Err(IdentityError::NotAKey { path: path.to_string() }),
    }
}

/// Whether `url` points at the IC mainnet (whose root key is built into the agent).
pub fn is_mainnet(url: &str) -> bool {
    let host = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = host.split(['/', ':', '?']).next().unwrap_or("").to_ascii_lowercase();
    MAINNET_HOSTS.iter().any(|main| host == *main || host.ends_with(&format!(".{main}")))
}

/// Calls through `ic-agent` on its own single-threaded runtime, so callers stay synchronous.
pub struct AgentTransport {
    agent: Agent,
    runtime: tokio::runtime::Runtime,
    caller: Principal,
    url: String,
}

impl AgentTransport {
    /// Connects to `url` as `identity`; for a non-mainnet URL, fetches its root key (so an unreachable network
    /// fails here, with its URL named).
    pub fn connect(url: &str, identity: Box<dyn Identity>) -> Result<Self, TransportError> {
        let caller = identity.sender().map_err(|e| TransportError::Other(format!("identity has no principal: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| TransportError::Other(format!("cannot start the agent's runtime: {e}")))?;
        let agent = Agent::builder()
            .with_url(url)
            .with_boxed_identity(identity)
            .build()
            .map_err(|e| TransportError::Other(format!("network URL {url}: {e}")))?;
        if !is_mainnet(url) {
            runtime.block_on(agent.fetch_root_key()).map_err(|e| match classify(e) {
                TransportError::Unreachable(why) => TransportError::Unreachable(format!("{url}: {why}")),
                other => other,
            })?;
        }
        Ok(Self { agent, runtime, caller, url: url.to_string() })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Transport for AgentTransport {
    fn update(&self, canister: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.runtime.block_on(self.agent.update(&canister, method).with_arg(arg).call_and_wait()).map_err(classify)
    }

    fn query(&self, canister: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.runtime.block_on(self.agent.query(&canister, method).with_arg(arg).call()).map_err(classify)
    }

    fn caller(&self) -> Principal {
        self.caller
    }
}

fn classify(error: AgentError) -> TransportError {
    match error {
        AgentError::CertifiedReject { reject, .. } | AgentError::UncertifiedReject { reject, .. } => {
            TransportError::Rejected { code: format!("{:?}", reject.reject_code), message: reject.reject_message }
        }
        e @ (AgentError::TransportError(_)
        | AgentError::HttpError(_)
        | AgentError::TimeoutWaitingForResponse()
        | AgentError::InvalidReplicaUrl(_)) => TransportError::Unreachable(e.to_string()),
        other => TransportError::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_urls_are_recognised() {
        for url in ["https://ic0.app", "https://icp-api.io/", "https://icp0.io:443/api", "https://x.raw.icp0.io"] {
            assert!(is_mainnet(url), "{url}");
        }
        for url in
            ["http://127.0.0.1:4943", "http://localhost:8080", "https://ic0.app.example.org", "http://[::1]:8000"]
        {
            assert!(!is_mainnet(url), "{url}");
        }
    }
}
