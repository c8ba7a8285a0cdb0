//! The subnet's keys: the BLS12-381 threshold key the IC signs certified state with (here one key, the "root key"
//! of a delegation-free IC) and the Ed25519 key of its one node (query responses are signed with node keys).
//! Both are derived from the builder's seed (`PocketIcBuilder::with_seed`), so the same seed gives the same keys.

use candid::Principal;
use ic_verify_bls_signature::{PrivateKey as BlsPrivateKey, PublicKey as BlsPublicKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

/// DER prefix of a BLS12-381 G2 public key as the IC encodes it (interface specification, "Certificate": an
/// `id-bls12-381-g2` (1.3.6.1.4.1.44668.5.3.1.2.1) key of curve `bls12_381-g2` (1.3.6.1.4.1.44668.5.3.2.1), in a
/// BIT STRING of 97 bytes).
pub const BLS_DER_PREFIX: [u8; 37] = [
    0x30, 0x81, 0x82, 0x30, 0x1d, 0x06, 0x0d, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05, 0x03, 0x01, 0x02,
    0x01, 0x06, 0x0c, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05, 0x03, 0x02, 0x01, 0x03, 0x61, 0x00,
];
/// Length of the raw (compressed G2) BLS public key.
pub const BLS_PUBLIC_KEY_BYTES: usize = 96;
/// Length of a BLS signature (compressed G1).
pub const BLS_SIGNATURE_BYTES: usize = 48;

/// The keys of the emulated subnet. Cheap to share (`Arc`): the emulator keeps one per `PocketIc`.
pub struct SubnetKeys {
    root: BlsPrivateKey,
    root_public: [u8; BLS_PUBLIC_KEY_BYTES],
    root_der: Vec<u8>,
    node: ic_ed25519::PrivateKey,
    node_der: Vec<u8>,
}

impl std::fmt::Debug for SubnetKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubnetKeys")
            .field("root_key", &hex::encode(self.root_public))
            .field("node_id", &self.node_id().to_text())
            .finish_non_exhaustive()
    }
}

impl SubnetKeys {
    /// The keys of the subnet built with `seed`: each key from its own domain-separated hash of the seed.
    pub fn from_seed(seed: u64) -> Self {
        let mut rng = ChaCha20Rng::from_seed(seed_for(b"emulator subnet BLS12-381 root key", seed));
        let root = BlsPrivateKey::random(&mut rng);
        let root_public = root.public_key().serialize();
        let mut root_der = BLS_DER_PREFIX.to_vec();
        root_der.extend_from_slice(&root_public);
        let node = ic_ed25519::PrivateKey::generate_from_seed(&seed_for(b"emulator subnet Ed25519 node key", seed));
        let node_der = node.public_key().serialize_rfc8410_der();
        SubnetKeys { root, root_public, root_der, node, node_der }
    }

    /// The root key in the IC's DER encoding (133 bytes): what `/api/v2/status` reports, what agents fetch with
    /// `fetch_root_key` and what `PocketIc::root_key` returns.
    pub fn root_key_der(&self) -> Vec<u8> {
        self.root_der.clone()
    }

    /// The root key's DER encoding, borrowed (what `ic0.root_key_copy` copies).
    pub fn root_key_der_bytes(&self) -> &[u8] {
        &self.root_der
    }

    /// The raw root key (96 bytes, compressed G2), what `ic-verify-bls-signature` takes.
    pub fn root_key_raw(&self) -> [u8; BLS_PUBLIC_KEY_BYTES] {
        self.root_public
    }

    /// The subnet's id: the self-authenticating principal of its DER public key, as for the IC's root (NNS)
    /// subnet. Agents that see a certificate without delegation take this as the subnet that signed it.
    pub fn subnet_id(&self) -> Principal {
        Principal::self_authenticating(&self.root_der)
    }

    /// BLS signature (min-sig: G1, hash-to-curve with DST `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`) of
    /// `message` under the root key.
    pub fn sign_with_root_key(&self, message: &[u8]) -> [u8; BLS_SIGNATURE_BYTES] {
        self.root.sign(message).serialize()
    }

    /// The node's id: the self-authenticating principal of its DER public key.
    pub fn node_id(&self) -> Principal {
        Principal::self_authenticating(&self.node_der)
    }

    /// The node's Ed25519 public key, DER (RFC 8410, 44 bytes): the state tree's
    /// `subnet/<subnet_id>/node/<node_id>/public_key`.
    pub fn node_public_key_der(&self) -> Vec<u8> {
        self.node_der.clone()
    }

    /// Ed25519 signature of `message` under the node key. For query responses the message is
    /// `b"\x0bic-response" ∥ representation-independent hash of the response` (the caller builds it).
    pub fn sign_with_node_key(&self, message: &[u8]) -> [u8; 64] {
        self.node.sign_message(message)
    }
}

/// Checks a BLS signature under a raw (96-byte) public key, e.g. a key taken out of `root_key_der()[37..]`.
pub fn verify_root_signature(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    match (BlsPublicKey::deserialize(public_key), ic_verify_bls_signature::Signature::deserialize(signature)) {
        (Ok(key), Ok(signature)) => key.verify(message, &signature).is_ok(),
        _ => false,
    }
}

fn seed_for(domain: &[u8], seed: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(domain);
    hasher.update(seed.to_le_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_ic_encodings() {
        let keys = SubnetKeys::from_seed(7);
        assert_eq!(keys.root_key_der().len(), 133);
        assert_eq!(&keys.root_key_der()[..37], &BLS_DER_PREFIX);
        assert_eq!(&keys.root_key_der()[37..], &keys.root_key_raw());
        assert_eq!(keys.node_public_key_der().len(), 44);
        assert_eq!(keys.subnet_id(), Principal::self_authenticating(keys.root_key_der()));
    }

    #[test]
    fn root_signatures_verify_and_others_do_not() {
        let keys = SubnetKeys::from_seed(1);
        let signature = keys.sign_with_root_key(b"message");
        assert!(verify_root_signature(&keys.root_key_raw(), b"message", &signature));
        assert!(!verify_root_signature(&keys.root_key_raw(), b"messagf", &signature));
        let other = SubnetKeys::from_seed(2);
        assert!(!verify_root_signature(&other.root_key_raw(), b"message", &signature));
        assert!(!verify_root_signature(&keys.root_key_raw(), b"message", &signature[..47]));
    }

    #[test]
    fn node_signatures_verify() {
        let keys = SubnetKeys::from_seed(1);
        let signature = keys.sign_with_node_key(b"response");
        let public = ic_ed25519::PublicKey::deserialize_rfc8410_der(&keys.node_public_key_der()).unwrap();
        assert!(public.verify_signature(b"response", &signature).is_ok());
        assert!(public.verify_signature(b"responsf", &signature).is_err());
    }
}
