//! Certificates (interface specification, "Certificate"): a hash tree and the root key's BLS signature of
//! `b"\x0dic-state-root" ∥ root hash`, CBOR-encoded with the self-describing tag, without delegation (the
//! emulated subnet is the root subnet). Also the data certificate a query sees through `ic0.data_certificate_*`.

use std::sync::OnceLock;

use candid::Principal;
use ic_certification::{Certificate, HashTree};

use super::keys::SubnetKeys;
use super::state_tree::{CertifiedState, Path, StateTree};

/// Domain separator of the state tree root hash signature.
pub const STATE_ROOT_DOMAIN_SEPARATOR: &[u8] = b"\x0dic-state-root";

/// Signs `tree` with the root key and encodes the certificate `{tree, signature}` as self-describing CBOR.
pub fn encode_certificate(keys: &SubnetKeys, tree: HashTree) -> Vec<u8> {
    let mut message = STATE_ROOT_DOMAIN_SEPARATOR.to_vec();
    message.extend_from_slice(&tree.digest());
    let signature = keys.sign_with_root_key(&message).to_vec();
    let certificate = Certificate { tree, signature, delegation: None };
    let mut out = Vec::new();
    // Serializing a certificate (byte strings and arrays) to a Vec cannot fail.
    let _ = ciborium::into_writer(&ciborium::tag::Required::<_, 55799>(&certificate), &mut out);
    out
}

/// The certificate a non-replicated query of the canister the user called sees: the state tree pruned to `time`
/// and `canister/<id>/certified_data`, as on the IC. Built (tree, pruning, signature) only when the canister asks
/// for its size or bytes; `ic0.data_certificate_present` does not build it.
pub struct DataCertificate {
    /// `None` for a module that cannot read the certificate (it imports neither size nor copy).
    snapshot: Option<CertifiedState>,
    canister_id: Principal,
    bytes: OnceLock<Vec<u8>>,
}

impl DataCertificate {
    pub(crate) fn new(snapshot: Option<CertifiedState>, canister_id: Principal) -> Self {
        DataCertificate { snapshot, canister_id, bytes: OnceLock::new() }
    }

    /// The encoded certificate (empty when the module cannot read it).
    pub fn bytes(&self) -> &[u8] {
        let Some(snapshot) = &self.snapshot else { return &[] };
        self.bytes.get_or_init(|| {
            let tree = StateTree::build(snapshot, &[]);
            let path: Path =
                vec![b"canister".to_vec(), self.canister_id.as_slice().to_vec(), b"certified_data".to_vec()];
            encode_certificate(&snapshot.keys, tree.witness(&[path]))
        })
    }
}

impl std::fmt::Debug for DataCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataCertificate").field("canister_id", &self.canister_id).finish_non_exhaustive()
    }
}
