//! Test support for the live mode: a live emulator with one probe canister, agents and identities, raw envelopes.

use std::borrow::Cow;
use std::path::Path;

use candid::Principal;
use emulator::{PocketIc, PocketIcBuilder};
use ic_agent::identity::{BasicIdentity, Secp256k1Identity};
use ic_agent::{Agent, Identity};
use ic_transport_types::{Envelope, EnvelopeContent};
use url::Url;

#[path = "../ic/support/wasm.rs"]
mod wasm;

/// The probe's candid interface, served as its public `candid:service` metadata.
pub const PROBE_DID: &str = include_str!("../../fixtures/probe/probe.did");
/// The content of the probe's private metadata section `secret`.
pub const SECRET: &[u8] = b"for controllers only";

/// The probe's wasm (built on first use), with an `icp:public candid:service` and an `icp:private secret`
/// custom section.
pub fn probe_wasm() -> Vec<u8> {
    let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("probe");
    let krate = wasm::CanisterCrate { canister: "probe", package: "probe", source_dir: Some(&source_dir) };
    let bytes = wasm::canister_wasm(&wasm::target_dir(Some(env!("CARGO_TARGET_TMPDIR"))), &krate);
    let mut module = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out).expect("gunzip");
        out
    } else {
        bytes
    };
    append_custom_section(&mut module, "icp:public candid:service", PROBE_DID.as_bytes());
    append_custom_section(&mut module, "icp:private secret", SECRET);
    module
}

fn append_custom_section(module: &mut Vec<u8>, name: &str, content: &[u8]) {
    let mut section = Vec::new();
    leb128(&mut section, name.len() as u64);
    section.extend_from_slice(name.as_bytes());
    section.extend_from_slice(content);
    module.push(0);
    leb128(module, section.len() as u64);
    module.extend_from_slice(&section);
}

fn leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// An Ed25519 identity (ic-agent's `BasicIdentity`), one per number.
pub fn ed25519(n: u8) -> BasicIdentity {
    BasicIdentity::from_raw_key(&[n; 32])
}

/// A secp256k1 identity, one per number.
pub fn secp256k1(n: u8) -> Secp256k1Identity {
    let key = k256::SecretKey::from_slice(&[n; 32]).expect("a valid secp256k1 scalar");
    Secp256k1Identity::from_private_key(key)
}

/// A live emulator with a probe canister controlled by `controller`.
pub struct LiveIc {
    pub pic: PocketIc,
    pub url: Url,
    pub probe: Principal,
    pub runtime: tokio::runtime::Runtime,
}

impl LiveIc {
    pub fn start(controller: Principal) -> LiveIc {
        let mut pic = PocketIcBuilder::new().with_seed(7).build();
        let probe = pic.create_canister_with_settings(
            Some(controller),
            Some(emulator::CanisterSettings { controllers: Some(vec![controller]), ..Default::default() }),
        );
        pic.install_canister(probe, probe_wasm(), candid::encode_args((None::<()>,)).expect("arg"), Some(controller));
        let url = pic.make_live(None);
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        LiveIc { pic, url, probe, runtime }
    }

    /// An agent for `identity` that fetched the root key from the live endpoint (the only setting it needs).
    pub fn agent(&self, identity: impl Identity + 'static) -> Agent {
        let agent = Agent::builder().with_url(self.url.as_str()).with_identity(identity).build().expect("agent");
        self.runtime.block_on(agent.fetch_root_key()).expect("fetch_root_key");
        agent
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// POSTs `body` to `path` (e.g. `api/v2/canister/<id>/call`); returns the status and the body.
    pub fn post(&self, path: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
        let url = self.url.join(path).expect("url");
        self.block_on(async move {
            let response = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/cbor")
                .body(body)
                .send()
                .await
                .expect("POST");
            let status = response.status().as_u16();
            (status, response.bytes().await.expect("body").to_vec())
        })
    }

    pub fn call_path(&self, version: &str, canister: Principal) -> String {
        format!("api/{version}/canister/{canister}/call")
    }

    /// The emulated IC's time, ns.
    pub fn now_nanos(&self) -> u64 {
        self.pic.get_time().as_nanos_since_unix_epoch()
    }
}

/// A call's content, expiring 2 minutes after `now_nanos`.
pub fn call_content(
    sender: Principal,
    canister: Principal,
    method: &str,
    arg: Vec<u8>,
    now_nanos: u64,
) -> EnvelopeContent {
    EnvelopeContent::Call {
        nonce: Some(now_nanos.to_le_bytes().to_vec()),
        ingress_expiry: now_nanos + 120_000_000_000,
        sender,
        canister_id: canister,
        method_name: method.to_string(),
        arg,
        sender_info: None,
    }
}

/// The CBOR envelope of `content` signed by `identity` (the anonymous identity signs nothing).
pub fn signed(identity: &dyn Identity, content: EnvelopeContent) -> Vec<u8> {
    let signature = identity.sign(&content).expect("sign");
    Envelope {
        content: Cow::Owned(content),
        sender_pubkey: signature.public_key,
        sender_sig: signature.signature,
        sender_delegation: signature.delegations,
    }
    .encode_bytes()
}

/// The same envelope without key and signature.
pub fn unsigned(content: EnvelopeContent) -> Vec<u8> {
    Envelope { content: Cow::Owned(content), sender_pubkey: None, sender_sig: None, sender_delegation: None }
        .encode_bytes()
}

pub fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}
