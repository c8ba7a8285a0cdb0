//! Identity PEMs as dfx and icp-cli write them load, with the principal the IC derives from their public key;
//! anything else is refused with one line that names the file and says what to do.
#![cfg(feature = "agent")]

use candid::Principal;
use fleet_client::agent::{identity_from_pem, identity_from_pem_file, IdentityError};
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// The self-authenticating principal of a DER public key (SubjectPublicKeyInfo), as the IC derives it.
fn principal_of(der_file: &str) -> Principal {
    Principal::self_authenticating(std::fs::read(data(der_file)).unwrap())
}

#[test]
fn ed25519_and_secp256k1_pems_load_with_their_principals() {
    for (pem, der) in [
        ("ed25519.pem", "ed25519.pub.der"),
        ("secp256k1.pem", "secp256k1.pub.der"),
        ("secp256k1_pkcs8.pem", "secp256k1.pub.der"),
    ] {
        let identity = identity_from_pem_file(&data(pem)).unwrap_or_else(|e| panic!("{pem}: {e}"));
        assert_eq!(identity.sender().unwrap(), principal_of(der), "{pem}");
    }
}

#[test]
fn bad_pems_are_refused_with_one_clear_line() {
    let encrypted = identity_from_pem_file(&data("encrypted.pem")).err().unwrap();
    assert!(matches!(encrypted, IdentityError::Encrypted { .. }) && encrypted.to_string().contains("identity export"));
    let missing = identity_from_pem_file(&data("nope.pem")).err().unwrap();
    assert!(matches!(missing, IdentityError::Unreadable { .. }) && missing.to_string().contains("nope.pem"));
    let not_pem = identity_from_pem(b"hello", "x.pem").err().unwrap();
    assert!(matches!(not_pem, IdentityError::NotAKey { .. }), "{not_pem}");
    let certificate =
        identity_from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "c.pem").err().unwrap();
    assert!(matches!(certificate, IdentityError::NotAKey { .. }), "{certificate}");
    let garbage =
        identity_from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "g.pem").err().unwrap();
    assert!(matches!(garbage, IdentityError::Unparsable { .. }), "{garbage}");
    for error in [encrypted, missing, not_pem, certificate, garbage] {
        assert!(!error.to_string().contains('\n'), "one line: {error}");
    }
}
