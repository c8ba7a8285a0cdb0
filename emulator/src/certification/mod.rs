//! Certification of the emulated subnet's state, as the IC does it, so that agents verify the emulator's
//! responses after `fetch_root_key` exactly as against a local replica.
//!
//! - `keys`: [`SubnetKeys`], deterministic from the builder's seed: a BLS12-381 root key (min-sig: public key in
//!   G2, 96 bytes, DER 133 bytes; signatures in G1, 48 bytes; signing and verification through
//!   `ic-verify-bls-signature`, the crate ic-agent verifies with) and one Ed25519 node key. The subnet id is the
//!   self-authenticating principal of the root key's DER, as for the IC's root subnet: a certificate without
//!   delegation is the root subnet's.
//! - `state_tree`: the system state tree built from the subnet's state, pruned to requested paths
//!   (`ic-certification`'s hash trees; the labels and encodings are listed in that module).
//! - `certificate`: CBOR `{tree, signature}` with the self-describing tag, the signature over
//!   `b"\x0dic-state-root" ∥ root hash`; and [`DataCertificate`], what `ic0.data_certificate_copy` returns in a
//!   non-replicated query or composite query of the canister the user called (the tree pruned to `time` and
//!   `canister/<id>/certified_data`). Update calls, callbacks and the callees of a composite query have none.
//!
//! # API for the HTTP layer (`crate::live`) and `release serve`
//!
//! ```ignore
//! use emulator::certification::{CertifiedState, MetadataVisibility, Path, RequestId, RequestOutcome, SubnetKeys};
//!
//! // Keys (the same for the life of the PocketIc; from `PocketIcBuilder::with_seed`, default seed 0):
//! let keys: std::sync::Arc<SubnetKeys> = pic.subnet_keys();   // or subnet.keys.clone() under the lock
//! keys.root_key_der();            // Vec<u8>, 133 bytes: /api/v2/status `root_key`; == pic.root_key().unwrap()
//! keys.subnet_id();               // Principal, == subnet.subnet_id == pic.get_subnet(canister)
//! keys.node_id();                 // Principal: the `identity` of query response signatures
//! keys.node_public_key_der();     // Vec<u8>, Ed25519 RFC 8410 DER (44 bytes)
//! keys.sign_with_node_key(&msg);  // [u8; 64]; for queries msg = b"\x0bic-response" ∥ response hash (caller builds it)
//!
//! // read_state: paths are label lists; `time` is always included; a path to a subtree reveals all of it; an absent
//! // path is proven absent. The emulator does not know request ids: pass the outcomes of the requests the paths name
//! // (only those: the tree grows with the list).
//! let paths: Vec<Path> = vec![vec![b"canister".to_vec(), canister.as_slice().to_vec(), b"module_hash".to_vec()]];
//! let statuses: Vec<(RequestId, RequestOutcome)> = vec![(request_id, RequestOutcome::Replied(reply_bytes))];
//! let cert: Vec<u8> = pic.certificate(&paths, &statuses);
//! // With the subnet's mutex: copy the state under the lock (cheap), build and sign after releasing it (~ms):
//! let state = CertifiedState::of(&subnet_guard);
//! drop(subnet_guard);
//! let cert: Vec<u8> = state.certificate(&paths, &statuses);
//! // (or emulator::certification::certificate(&subnet, &paths, &statuses) in one step)
//!
//! // Private metadata (`icp:private <name>`) is in the tree; read_state must refuse it to non-controllers:
//! pic.canister_metadata_visibility(canister, "candid:service"); // Option<MetadataVisibility>
//! emulator::certification::metadata_visibility(&subnet, canister, "candid:service");
//! ```

mod certificate;
mod keys;
mod state_tree;

use std::sync::Arc;

use candid::Principal;

pub use certificate::{encode_certificate, DataCertificate, STATE_ROOT_DOMAIN_SEPARATOR};
pub use keys::{verify_root_signature, SubnetKeys, BLS_DER_PREFIX, BLS_PUBLIC_KEY_BYTES, BLS_SIGNATURE_BYTES};
pub use state_tree::{canister_ranges, Label, MetadataVisibility, Path, RequestId, RequestOutcome};

pub use state_tree::CertifiedState;
pub(crate) use state_tree::StateTree;

use crate::pic::PocketIc;
use crate::state::Subnet;

impl PocketIc {
    /// The subnet's root and node keys.
    pub fn subnet_keys(&self) -> Arc<SubnetKeys> {
        self.subnet().keys.clone()
    }

    /// A certificate of the current state, the state tree pruned to `paths` (and `time`), with
    /// `request_status/<id>` entries for the given requests: what read_state returns.
    pub fn certificate(&self, paths: &[Path], request_status: &[(RequestId, RequestOutcome)]) -> Vec<u8> {
        let state = CertifiedState::of(&self.subnet());
        state.certificate(paths, request_status)
    }

    /// Whether the canister's module has the metadata section `name`, and who may read it; `None` when the
    /// canister does not exist, has no module or no such section.
    pub fn canister_metadata_visibility(&self, canister_id: Principal, name: &str) -> Option<MetadataVisibility> {
        metadata_visibility(&self.subnet(), canister_id, name)
    }
}

impl CertifiedState {
    /// The certificate of this state: the state tree pruned to `paths` (and `time`), with `request_status/<id>`
    /// entries for the given requests.
    pub fn certificate(&self, paths: &[Path], request_status: &[(RequestId, RequestOutcome)]) -> Vec<u8> {
        let tree = StateTree::build(self, request_status);
        encode_certificate(&self.keys, tree.witness(paths))
    }

    /// The subnet's keys.
    pub fn keys(&self) -> &Arc<SubnetKeys> {
        &self.keys
    }

    /// The time the certificate states (nanoseconds since the epoch).
    pub fn time_nanos(&self) -> u64 {
        self.time_nanos
    }
}

/// A certificate of the subnet's current state (see [`CertifiedState::certificate`]).
pub fn certificate(subnet: &Subnet, paths: &[Path], request_status: &[(RequestId, RequestOutcome)]) -> Vec<u8> {
    CertifiedState::of(subnet).certificate(paths, request_status)
}

/// Who may read the canister's metadata section `name`; `None` when the canister does not exist, has no module
/// or no such section.
pub fn metadata_visibility(subnet: &Subnet, canister_id: Principal, name: &str) -> Option<MetadataVisibility> {
    let code = subnet.canister(&canister_id)?.code.as_ref()?;
    state_tree::metadata_sections(code).find(|(_, n, _)| *n == name).map(|(visibility, _, _)| visibility)
}

/// The data certificate of a query of `canister_id` run now (see [`DataCertificate`]). The state is copied only for
/// a module that imports `ic0.data_certificate_size` or `_copy`: others can only ask whether one is present, and
/// every query would otherwise pay a copy of the subnet's certified state.
pub(crate) fn data_certificate(subnet: &Subnet, canister_id: Principal) -> DataCertificate {
    let readable = subnet.canister(&canister_id).and_then(|c| c.code.as_ref()).is_some_and(|code| {
        code.module.pre.module().imports().any(|import| {
            import.module() == "ic0" && matches!(import.name(), "data_certificate_size" | "data_certificate_copy")
        })
    });
    DataCertificate::new(readable.then(|| CertifiedState::of(subnet)), canister_id)
}
