//! Request envelopes (interface specification, "Authentication"): CBOR decoding, the request id, the sender's
//! signature (Ed25519, ECDSA secp256k1 and P-256 keys, delegation chains) and the ingress expiry.

use std::collections::BTreeSet;

use candid::Principal;
use ic_transport_types::{Envelope, EnvelopeContent, RequestId};

use super::reply::HttpError;

/// The longest an ingress expiry may lie ahead of the subnet's time (`MAX_INGRESS_TTL`).
pub const MAX_INGRESS_TTL_NANOS: u64 = 5 * 60 * 1_000_000_000;
/// Clock drift tolerated on top of `MAX_INGRESS_TTL` (the replica's `PERMITTED_DRIFT`).
pub const PERMITTED_DRIFT_NANOS: u64 = 60 * 1_000_000_000;
/// At most this many delegations in `sender_delegation`.
pub const MAX_DELEGATIONS: usize = 20;
/// At most this many targets in one delegation.
pub const MAX_DELEGATION_TARGETS: usize = 1_000;
/// A nonce is at most 32 bytes.
pub const MAX_NONCE_BYTES: usize = 32;

/// A request whose signature, sender and expiry were checked.
#[derive(Debug)]
pub struct AuthenticatedRequest {
    pub content: EnvelopeContent,
    pub request_id: RequestId,
    pub sender: Principal,
    /// The canisters the delegation chain restricts the request to (`None`: no restriction).
    pub targets: Option<BTreeSet<Principal>>,
}

impl AuthenticatedRequest {
    /// Refuses the request if a delegation restricts it to other canisters than `canister_id`.
    pub fn check_target(&self, canister_id: Principal) -> Result<(), HttpError> {
        match &self.targets {
            Some(targets) if !targets.contains(&canister_id) => Err(HttpError::bad_request(format!(
                "Failed to authenticate request {}: canister {canister_id} is not one of the delegation's targets",
                hex_id(&self.request_id)
            ))),
            _ => Ok(()),
        }
    }
}

/// The request id as the spec prints it: `0x` and lower-case hex.
pub fn hex_id(request_id: &RequestId) -> String {
    format!("0x{}", hex::encode(request_id.as_slice()))
}

/// Decodes the CBOR envelope of a `what` request (call, query, read_state).
pub fn decode(body: &[u8], what: &str) -> Result<Envelope<'static>, HttpError> {
    serde_cbor::from_slice::<Envelope<'static>>(body)
        .map_err(|e| HttpError::bad_request(format!("Could not parse body as {what} message: {e}")))
}

/// Checks the envelope: an anonymous sender carries no key or signature; any other sender is the
/// self-authenticating id of `sender_pubkey`, whose delegation chain (if any) leads to the key that signed
/// `"\x0Aic-request" ∥ request_id`; the expiry lies within [now, now + 5 min + drift].
pub fn authenticate(envelope: Envelope<'static>, now_nanos: u64) -> Result<AuthenticatedRequest, HttpError> {
    let Envelope { content, sender_pubkey, sender_sig, sender_delegation } = envelope;
    let content = content.into_owned();
    let request_id = content.to_request_id();
    let sender = *content.sender();
    let fail =
        |why: String| HttpError::bad_request(format!("Failed to authenticate request {}: {why}", hex_id(&request_id)));
    check_nonce(&content).map_err(fail)?;
    check_expiry(content.ingress_expiry(), now_nanos).map_err(|why| {
        HttpError::bad_request(format!("Invalid request expiry for request {}: {why}", hex_id(&request_id)))
    })?;
    let delegations = sender_delegation.unwrap_or_default();
    if sender == Principal::anonymous() {
        if sender_pubkey.is_some() || sender_sig.is_some() || !delegations.is_empty() {
            return Err(fail("an anonymous request must not carry a public key, signature or delegation".into()));
        }
        return Ok(AuthenticatedRequest { content, request_id, sender, targets: None });
    }
    let Some(pubkey) = sender_pubkey else {
        return Err(fail(format!("the sender {sender} is not anonymous, but the request has no sender_pubkey")));
    };
    let Some(signature) = sender_sig else {
        return Err(fail(format!("the sender {sender} is not anonymous, but the request has no sender_sig")));
    };
    if Principal::self_authenticating(&pubkey) != sender {
        return Err(fail(format!(
            "the sender {sender} is not the self-authenticating id of sender_pubkey ({})",
            Principal::self_authenticating(&pubkey)
        )));
    }
    let (signing_key, targets) = follow_delegations(&pubkey, &delegations, now_nanos).map_err(fail)?;
    verify_signature(&signing_key, &request_id.signable(), &signature)
        .map_err(|why| fail(format!("invalid sender_sig: {why}")))?;
    Ok(AuthenticatedRequest { content, request_id, sender, targets })
}

fn check_nonce(content: &EnvelopeContent) -> Result<(), String> {
    let nonce = match content {
        EnvelopeContent::Call { nonce, .. } | EnvelopeContent::Query { nonce, .. } => nonce.as_deref(),
        EnvelopeContent::ReadState { .. } => None,
    };
    match nonce {
        Some(nonce) if nonce.len() > MAX_NONCE_BYTES => {
            Err(format!("the nonce has {} bytes, at most {MAX_NONCE_BYTES} are allowed", nonce.len()))
        }
        _ => Ok(()),
    }
}

/// The IC accepts an expiry from now up to `MAX_INGRESS_TTL` plus the permitted drift ahead.
pub fn check_expiry(expiry: u64, now_nanos: u64) -> Result<(), String> {
    let latest = now_nanos.saturating_add(MAX_INGRESS_TTL_NANOS + PERMITTED_DRIFT_NANOS);
    if expiry < now_nanos {
        Err(format!("the expiry {expiry} is in the past (the IC's time is {now_nanos})"))
    } else if expiry > latest {
        Err(format!(
            "the expiry {expiry} is too far in the future: at most {latest} (the IC's time {now_nanos} + 5 min + \
             {} s drift) is accepted",
            PERMITTED_DRIFT_NANOS / 1_000_000_000
        ))
    } else {
        Ok(())
    }
}

/// Walks the delegation chain from `sender_pubkey`: each delegation signed by the previous key, unexpired, no key
/// twice. Returns the key that must sign the request and the intersection of the chain's targets.
fn follow_delegations(
    sender_pubkey: &[u8],
    delegations: &[ic_transport_types::SignedDelegation],
    now_nanos: u64,
) -> Result<(Vec<u8>, Option<BTreeSet<Principal>>), String> {
    if delegations.len() > MAX_DELEGATIONS {
        return Err(format!("{} delegations, at most {MAX_DELEGATIONS} are allowed", delegations.len()));
    }
    let mut key = sender_pubkey.to_vec();
    let mut seen: BTreeSet<Vec<u8>> = BTreeSet::from([key.clone()]);
    let mut targets: Option<BTreeSet<Principal>> = None;
    for (index, signed) in delegations.iter().enumerate() {
        let delegation = &signed.delegation;
        verify_signature(&key, &delegation.signable(), &signed.signature)
            .map_err(|why| format!("delegation {index} is not signed by the key before it: {why}"))?;
        if delegation.expiration < now_nanos {
            return Err(format!("delegation {index} expired at {} (now {now_nanos})", delegation.expiration));
        }
        if !seen.insert(delegation.pubkey.clone()) {
            return Err(format!("delegation {index} delegates to a key that already appears in the chain"));
        }
        if let Some(list) = &delegation.targets {
            if list.len() > MAX_DELEGATION_TARGETS {
                return Err(format!(
                    "delegation {index} has {} targets, at most {MAX_DELEGATION_TARGETS} are allowed",
                    list.len()
                ));
            }
            let list: BTreeSet<Principal> = list.iter().copied().collect();
            targets = Some(match targets {
                None => list,
                Some(previous) => previous.intersection(&list).copied().collect(),
            });
        }
        key = delegation.pubkey.clone();
    }
    Ok((key, targets))
}

/// Verifies `signature` of `message` under a DER (SubjectPublicKeyInfo) public key: Ed25519 (RFC 8410), ECDSA on
/// secp256k1 or P-256 over SHA-256 (64-byte `r ∥ s`), the schemes of the interface specification's "Signatures"
/// that agents use for user keys. Canister signatures (Internet Identity) and BLS keys are not supported.
pub fn verify_signature(public_key_der: &[u8], message: &[u8], signature: &[u8]) -> Result<(), String> {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    use ed25519_dalek::Verifier;

    if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_der(public_key_der) {
        let signature = ed25519_dalek::Signature::from_slice(signature)
            .map_err(|_| format!("an Ed25519 signature has 64 bytes, this one {}", signature.len()))?;
        return key.verify(message, &signature).map_err(|_| "the Ed25519 signature does not verify".to_string());
    }
    if let Ok(key) = k256::ecdsa::VerifyingKey::from_public_key_der(public_key_der) {
        let signature = k256::ecdsa::Signature::from_slice(signature)
            .map_err(|_| "a secp256k1 signature is 64 bytes r ∥ s".to_string())?;
        return key.verify(message, &signature).map_err(|_| "the secp256k1 ECDSA signature does not verify".into());
    }
    if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(public_key_der) {
        let signature = p256::ecdsa::Signature::from_slice(signature)
            .map_err(|_| "a P-256 signature is 64 bytes r ∥ s".to_string())?;
        return key.verify(message, &signature).map_err(|_| "the P-256 ECDSA signature does not verify".into());
    }
    Err("the public key is neither an Ed25519 nor an ECDSA secp256k1/P-256 key in DER (canister signatures and \
         BLS keys are not emulated)"
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_agent::identity::{BasicIdentity, Delegation, Prime256v1Identity, Secp256k1Identity, SignedDelegation};
    use ic_agent::Identity;
    use std::borrow::Cow;

    const NOW: u64 = 1_800_000_000_000_000_000;

    fn content(sender: Principal, expiry: u64) -> EnvelopeContent {
        EnvelopeContent::Call {
            nonce: None,
            ingress_expiry: expiry,
            sender,
            canister_id: Principal::from_slice(&[1, 1]),
            method_name: "m".into(),
            arg: vec![],
            sender_info: None,
        }
    }

    fn envelope(identity: &dyn Identity, expiry: u64) -> Envelope<'static> {
        let content = content(identity.sender().unwrap(), expiry);
        let signature = identity.sign(&content).unwrap();
        Envelope {
            content: Cow::Owned(content),
            sender_pubkey: signature.public_key,
            sender_sig: signature.signature,
            sender_delegation: signature.delegations,
        }
    }

    fn identities() -> Vec<Box<dyn Identity>> {
        vec![
            Box::new(BasicIdentity::from_raw_key(&[3; 32])),
            Box::new(Secp256k1Identity::from_private_key(k256::SecretKey::from_slice(&[4; 32]).unwrap())),
            Box::new(Prime256v1Identity::from_private_key(p256::SecretKey::from_slice(&[5; 32]).unwrap())),
        ]
    }

    #[test]
    fn ed25519_secp256k1_and_p256_signatures_authenticate_their_sender() {
        for identity in identities() {
            let request = authenticate(envelope(identity.as_ref(), NOW + 60_000_000_000), NOW).expect("valid");
            assert_eq!(request.sender, identity.sender().unwrap());
            let mut tampered = envelope(identity.as_ref(), NOW + 60_000_000_000);
            if let Some(sig) = tampered.sender_sig.as_mut() {
                sig[5] ^= 0x40;
            }
            let error = authenticate(tampered, NOW).unwrap_err();
            assert_eq!(error.status, 400);
            assert!(error.message.contains("invalid sender_sig"), "{}", error.message);
        }
    }

    #[test]
    fn the_expiry_window_is_now_to_five_minutes_and_the_drift_ahead() {
        assert!(check_expiry(NOW, NOW).is_ok());
        assert!(check_expiry(NOW - 1, NOW).unwrap_err().contains("in the past"));
        let latest = NOW + MAX_INGRESS_TTL_NANOS + PERMITTED_DRIFT_NANOS;
        assert!(check_expiry(latest, NOW).is_ok());
        assert!(check_expiry(latest + 1, NOW).unwrap_err().contains("too far in the future"));
        let identity = BasicIdentity::from_raw_key(&[3; 32]);
        let error = authenticate(envelope(&identity, NOW - 1), NOW).unwrap_err();
        assert!(error.message.contains("Invalid request expiry"), "{}", error.message);
    }

    #[test]
    fn delegations_are_checked_link_by_link() {
        let root = BasicIdentity::from_raw_key(&[7; 32]);
        let session = Secp256k1Identity::from_private_key(k256::SecretKey::from_slice(&[8; 32]).unwrap());
        let delegate = |pubkey: Vec<u8>, expiration: u64, targets: Option<Vec<Principal>>| {
            let delegation = Delegation { pubkey, expiration, targets, permissions: None };
            let signature = root.sign_delegation(&delegation).unwrap().signature.unwrap();
            SignedDelegation { delegation, signature }
        };
        let with_chain = |chain: Vec<SignedDelegation>| {
            let content = content(root.sender().unwrap(), NOW + 60_000_000_000);
            let signature = session.sign(&content).unwrap();
            Envelope {
                content: Cow::Owned(content),
                sender_pubkey: root.public_key(),
                sender_sig: signature.signature,
                sender_delegation: Some(chain),
            }
        };
        let session_key = session.public_key().unwrap();
        let ok = authenticate(with_chain(vec![delegate(session_key.clone(), NOW + 1, None)]), NOW).unwrap();
        assert_eq!(ok.sender, root.sender().unwrap());
        assert!(ok.check_target(Principal::from_slice(&[1, 1])).is_ok());

        let expired = authenticate(with_chain(vec![delegate(session_key.clone(), NOW - 1, None)]), NOW).unwrap_err();
        assert!(expired.message.contains("expired"), "{}", expired.message);
        let elsewhere = Principal::from_slice(&[9, 1]);
        let targeted =
            authenticate(with_chain(vec![delegate(session_key.clone(), NOW + 1, Some(vec![elsewhere]))]), NOW).unwrap();
        assert!(targeted.check_target(elsewhere).is_ok());
        assert!(targeted.check_target(Principal::from_slice(&[1, 1])).is_err());
        let to_itself = authenticate(with_chain(vec![delegate(root.public_key().unwrap(), NOW + 1, None)]), NOW);
        assert!(to_itself.unwrap_err().message.contains("already appears in the chain"));
        // The request signed by the root key itself, while the chain says the session key signs: refused.
        let mut wrong_signer = with_chain(vec![delegate(session_key, NOW + 1, None)]);
        wrong_signer.sender_sig = root.sign(&wrong_signer.content).unwrap().signature;
        assert!(authenticate(wrong_signer, NOW).unwrap_err().message.contains("invalid sender_sig"));
    }

    #[test]
    fn malformed_envelopes_and_unsupported_keys_are_refused() {
        assert_eq!(decode(b"\x00\x01", "call").unwrap_err().status, 400);
        let error = verify_signature(b"not a key", b"message", &[0; 64]).unwrap_err();
        assert!(error.contains("neither an Ed25519 nor an ECDSA"), "{error}");
    }
}
