//! Bad input over raw HTTP: each request is refused with the IC's HTTP status and a body that says why, nothing
//! runs, and a good request right after still succeeds.

use std::borrow::Cow;

use candid::{Encode, Principal};
use ic_agent::Identity;
use ic_transport_types::{Envelope, EnvelopeContent};

use super::support::{call_content, ed25519, signed, text, unsigned, LiveIc};

fn live() -> LiveIc {
    LiveIc::start(ed25519(1).sender().unwrap())
}

/// The probe's heap counter, read in-process: proves a refused call did not run.
fn increments(live: &LiveIc) -> u64 {
    #[derive(candid::CandidType, candid::Deserialize)]
    struct Counters {
        heap: u64,
    }
    let (counters,): (Counters,) = emulator::query_candid(&live.pic, live.probe, "counters", ()).unwrap();
    counters.heap
}

/// A good update through ic-agent still works after the bad request.
fn still_serving(live: &LiveIc) {
    let agent = live.agent(ed25519(2));
    let before = increments(live);
    live.block_on(agent.update(&live.probe, "increment").with_arg(Encode!().unwrap()).call_and_wait())
        .expect("a good call after the bad one");
    assert_eq!(increments(live), before + 1);
}

fn increment(live: &LiveIc, sender: Principal, now: u64) -> EnvelopeContent {
    call_content(sender, live.probe, "increment", Encode!().unwrap(), now)
}

fn assert_refused(live: &LiveIc, (status, body): (u16, Vec<u8>), expected_status: u16, says: &str) {
    let body = text(&body);
    assert_eq!(status, expected_status, "body: {body}");
    assert!(body.contains(says), "the body should say {says:?}: {body}");
    assert_eq!(increments(live), 0, "a refused call never runs");
}

#[test]
fn malformed_cbor_is_refused_with_400() {
    let live = live();
    for (path, what) in [
        (live.call_path("v3", live.probe), "call"),
        (live.call_path("v2", live.probe), "call"),
        (format!("api/v2/canister/{}/query", live.probe), "query"),
        (format!("api/v3/canister/{}/read_state", live.probe), "read_state"),
    ] {
        let reply = live.post(&path, b"\xd9\xd9\xf7 this is not an envelope".to_vec());
        assert_refused(&live, reply, 400, &format!("Could not parse body as {what} message"));
    }
    still_serving(&live);
}

#[test]
fn a_non_anonymous_sender_without_a_signature_is_refused() {
    let live = live();
    let sender = ed25519(3).sender().unwrap();
    let reply = live.post(&live.call_path("v3", live.probe), unsigned(increment(&live, sender, live.now_nanos())));
    assert_refused(&live, reply, 400, "has no sender_pubkey");
    still_serving(&live);
}

#[test]
fn a_wrong_signature_or_someone_elses_key_is_refused() {
    let live = live();
    let identity = ed25519(3);
    let content = increment(&live, identity.sender().unwrap(), live.now_nanos());
    let signature = identity.sign(&content).unwrap();
    let mut sig = signature.signature.clone().unwrap();
    sig[0] ^= 1;
    let tampered = Envelope {
        content: Cow::Owned(content.clone()),
        sender_pubkey: signature.public_key.clone(),
        sender_sig: Some(sig),
        sender_delegation: None,
    };
    let reply = live.post(&live.call_path("v3", live.probe), tampered.encode_bytes());
    assert_refused(&live, reply, 400, "invalid sender_sig: the Ed25519 signature does not verify");
    // Signed by another key that claims the first one's principal.
    let other = ed25519(4);
    let other_signature = other.sign(&content).unwrap();
    let impostor = Envelope {
        content: Cow::Owned(content),
        sender_pubkey: other_signature.public_key,
        sender_sig: other_signature.signature,
        sender_delegation: None,
    };
    let reply = live.post(&live.call_path("v2", live.probe), impostor.encode_bytes());
    assert_refused(&live, reply, 400, "is not the self-authenticating id of sender_pubkey");
    // An anonymous request that carries a signature anyway.
    let anonymous = Envelope {
        content: Cow::Owned(increment(&live, Principal::anonymous(), live.now_nanos())),
        sender_pubkey: signature.public_key,
        sender_sig: signature.signature,
        sender_delegation: None,
    };
    let reply = live.post(&live.call_path("v3", live.probe), anonymous.encode_bytes());
    assert_refused(&live, reply, 400, "anonymous request must not carry");
    still_serving(&live);
}

#[test]
fn an_expired_or_far_future_request_is_refused() {
    let live = live();
    let identity = ed25519(3);
    let sender = identity.sender().unwrap();
    let an_hour = 3_600_000_000_000;
    let expired = increment(&live, sender, live.now_nanos() - an_hour);
    let reply = live.post(&live.call_path("v3", live.probe), signed(&identity, expired));
    assert_refused(&live, reply, 400, "is in the past");
    let far = increment(&live, sender, live.now_nanos() + an_hour);
    let reply = live.post(&live.call_path("v3", live.probe), signed(&identity, far));
    assert_refused(&live, reply, 400, "too far in the future");
    still_serving(&live);
}

#[test]
fn a_wrong_canister_id_in_the_path_is_refused() {
    let live = live();
    let identity = ed25519(3);
    let other = live.pic.create_canister();
    let content = increment(&live, identity.sender().unwrap(), live.now_nanos());
    let reply = live.post(&live.call_path("v3", other), signed(&identity, content));
    assert_refused(&live, reply, 400, &format!("does not match effective canister id in URL {other}"));
    let read_state = EnvelopeContent::ReadState {
        ingress_expiry: live.now_nanos() + 60_000_000_000,
        sender: identity.sender().unwrap(),
        paths: vec![vec!["canister".into(), live.probe.as_slice().into(), "module_hash".into()]],
    };
    let reply = live.post(&format!("api/v3/canister/{other}/read_state"), signed(&identity, read_state));
    assert_refused(&live, reply, 400, "does not match requested principal id");
    still_serving(&live);
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let live = live();
    let reply = live.post(&live.call_path("v3", live.probe), vec![0u8; 6 * 1024 * 1024]);
    assert_refused(&live, reply, 413, "larger than the max allowed");
    let identity = ed25519(3);
    let big = call_content(identity.sender().unwrap(), live.probe, "echo", vec![7u8; 2_200_000], live.now_nanos());
    let reply = live.post(&live.call_path("v3", live.probe), signed(&identity, big));
    assert_refused(&live, reply, 413, "is larger than the max allowed 2097152");
    still_serving(&live);
}

#[test]
fn unknown_endpoints_methods_and_paths() {
    let live = live();
    let (status, body) = live.post("api/v9/canister/aaaaa-aa/call", Vec::new());
    assert_eq!((status, text(&body).contains("no such endpoint")), (404, true));
    let (status, body) = live.post("api/v2/canister/not-a-principal/call", Vec::new());
    assert_eq!((status, text(&body).contains("Could not parse the principal")), (400, true));
    let (status, _) = live.block_on(async {
        let response = reqwest::Client::new().get(live.url.join(&live.call_path("v3", live.probe)).unwrap()).send();
        let response = response.await.unwrap();
        (response.status().as_u16(), ())
    });
    assert_eq!(status, 405);
    let identity = ed25519(3);
    let certified_data = EnvelopeContent::ReadState {
        ingress_expiry: live.now_nanos() + 60_000_000_000,
        sender: identity.sender().unwrap(),
        paths: vec![vec!["canister".into(), live.probe.as_slice().into(), "certified_data".into()]],
    };
    let reply = live.post(&format!("api/v2/canister/{}/read_state", live.probe), signed(&identity, certified_data));
    assert_refused(&live, reply, 404, "Invalid path requested.");
    still_serving(&live);
}

#[test]
fn a_call_refused_before_the_subnet_is_a_non_replicated_rejection() {
    let live = live();
    let identity = ed25519(3);
    let empty = live.pic.create_canister();
    for version in ["v2", "v3"] {
        let content =
            call_content(identity.sender().unwrap(), empty, "increment", Encode!().unwrap(), live.now_nanos());
        let (status, body) = live.post(&live.call_path(version, empty), signed(&identity, content));
        assert_eq!(status, 200, "{}", text(&body));
        assert!(body.starts_with(&[0xd9, 0xd9, 0xf7]), "self-describing CBOR");
        let value: serde_cbor::Value = serde_cbor::from_slice(&body).expect("a CBOR reject body");
        let serde_cbor::Value::Map(map) = value else { panic!("not a map: {value:?}") };
        let field = |name: &str| map.get(&serde_cbor::Value::Text(name.into())).cloned();
        assert_eq!(field("error_code"), Some(serde_cbor::Value::Text("IC0537".into())), "{map:?}");
        assert_eq!(field("reject_code"), Some(serde_cbor::Value::Integer(5)));
        let status_field = field("status");
        match version {
            "v2" => assert_eq!(status_field, None),
            _ => assert_eq!(status_field, Some(serde_cbor::Value::Text("non_replicated_rejection".into()))),
        }
    }
    still_serving(&live);
}
