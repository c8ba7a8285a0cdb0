//! The system state tree (interface specification, "The system state tree") of the emulated subnet, built from a
//! snapshot of the subnet, and its witnesses pruned to requested paths.
//!
//! Labels and values:
//! - `time`: the subnet's time in nanoseconds, LEB128;
//! - `canister/<id>/certified_data` (every canister), `canister/<id>/module_hash` (installed canisters only, the
//!   sha256 of the module as submitted), `canister/<id>/controllers` (self-describing CBOR array of principal
//!   bytes, sorted as the IC keeps them), `canister/<id>/metadata/<name>` (the module's `icp:public <name>` and
//!   `icp:private <name>` custom sections; who may read the private ones is the read_state endpoint's check);
//! - `subnet/<subnet_id>/public_key` (DER), `subnet/<subnet_id>/canister_ranges` (self-describing CBOR array of
//!   `[low, high]` principal pairs), `subnet/<subnet_id>/node/<node_id>/public_key` (DER);
//! - `canister_ranges/<subnet_id>/<low>`: the same ranges in the sharded form newer agents look up first;
//! - `request_status/<request_id>/{status, reply, reject_code, reject_message, error_code}` for the requests the
//!   caller passes in (the emulator does not compute request ids; the HTTP layer does).

use std::sync::Arc;

use candid::Principal;
use ic_certification::{merge_hash_trees, HashTree, NestedTree};
use serde_bytes::ByteBuf;

use super::keys::SubnetKeys;
use crate::state::{canister_id_from_index, InstalledCode, Subnet};

/// One label of a path in the state tree.
pub type Label = Vec<u8>;
/// A path in the state tree, e.g. `[b"canister", id, b"module_hash"]`.
pub type Path = Vec<Label>;
/// A request id (interface specification, "Request ids"): the representation-independent hash of a request.
pub type RequestId = [u8; 32];

/// What `request_status/<request_id>` says about a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestOutcome {
    Received,
    Processing,
    /// `status = "replied"`, `reply = <bytes>`.
    Replied(Vec<u8>),
    /// `status = "rejected"`, `reject_code` (LEB128), `reject_message`, and `error_code` when known (e.g. "IC0406").
    Rejected {
        reject_code: u64,
        reject_message: String,
        error_code: Option<String>,
    },
    /// `status = "done"`: the outcome was pruned from the ingress history.
    Done,
}

/// Who may read a canister's metadata section through read_state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataVisibility {
    /// `icp:public <name>`: anyone.
    Public,
    /// `icp:private <name>`: the canister's controllers only.
    Private,
}

/// The certified part of one canister's state.
#[derive(Clone)]
pub(crate) struct CanisterSnapshot {
    pub id: Principal,
    pub certified_data: Vec<u8>,
    pub controllers: Vec<Principal>,
    pub code: Option<InstalledCode>,
}

/// What the state tree is built from: a copy of the subnet's certified state (cheap: modules are shared), so a
/// caller holding the subnet's lock can take it and build and sign the certificate after releasing the lock.
#[derive(Clone)]
pub struct CertifiedState {
    pub(crate) time_nanos: u64,
    pub(crate) subnet_id: Principal,
    pub(crate) keys: Arc<SubnetKeys>,
    pub(crate) canisters: Vec<CanisterSnapshot>,
}

impl CertifiedState {
    /// The subnet's state now.
    pub fn of(subnet: &Subnet) -> Self {
        CertifiedState {
            time_nanos: subnet.time_nanos,
            subnet_id: subnet.subnet_id,
            keys: subnet.keys.clone(),
            canisters: subnet
                .canisters
                .values()
                .map(|c| CanisterSnapshot {
                    id: c.id,
                    certified_data: c.certified_data.clone(),
                    controllers: c.settings.controllers.clone(),
                    code: c.code.clone(),
                })
                .collect(),
        }
    }
}

/// The module's `icp:` custom sections as (visibility, name without the prefix, content).
pub(crate) fn metadata_sections(code: &InstalledCode) -> impl Iterator<Item = (MetadataVisibility, &str, &[u8])> {
    code.module.info.custom_sections.iter().filter_map(|(name, content)| {
        if let Some(name) = name.strip_prefix("icp:public ") {
            Some((MetadataVisibility::Public, name, content.as_slice()))
        } else {
            name.strip_prefix("icp:private ").map(|name| (MetadataVisibility::Private, name, content.as_slice()))
        }
    })
}

/// The canister id ranges of the subnet: every id of the emulator's layout (8-byte index ∥ 0x01 0x01), since
/// `create_canister_with_id` may place a canister anywhere in it.
pub fn canister_ranges() -> Vec<(Principal, Principal)> {
    vec![(canister_id_from_index(0), canister_id_from_index(u64::MAX))]
}

/// The full state tree.
pub(crate) struct StateTree(NestedTree<Label, Vec<u8>>);

impl StateTree {
    pub fn build(snapshot: &CertifiedState, request_status: &[(RequestId, RequestOutcome)]) -> Self {
        let mut tree: NestedTree<Label, Vec<u8>> = NestedTree::default();
        let mut insert = |path: &[&[u8]], value: Vec<u8>| {
            let path: Vec<Label> = path.iter().map(|l| l.to_vec()).collect();
            tree.insert(&path, value);
        };
        insert(&[b"time"], leb128(snapshot.time_nanos));
        for canister in &snapshot.canisters {
            let id = canister.id.as_slice();
            insert(&[b"canister", id, b"certified_data"], canister.certified_data.clone());
            let controllers: Vec<ByteBuf> =
                canister.controllers.iter().map(|p| ByteBuf::from(p.as_slice().to_vec())).collect();
            insert(&[b"canister", id, b"controllers"], self_describing_cbor(&controllers));
            if let Some(code) = &canister.code {
                insert(&[b"canister", id, b"module_hash"], code.module_hash.to_vec());
                for (_, name, content) in metadata_sections(code) {
                    insert(&[b"canister", id, b"metadata", name.as_bytes()], content.to_vec());
                }
            }
        }
        let subnet = snapshot.subnet_id.as_slice();
        let keys = &snapshot.keys;
        let ranges: Vec<(ByteBuf, ByteBuf)> = canister_ranges()
            .into_iter()
            .map(|(low, high)| (ByteBuf::from(low.as_slice().to_vec()), ByteBuf::from(high.as_slice().to_vec())))
            .collect();
        let ranges_cbor = self_describing_cbor(&ranges);
        insert(&[b"subnet", subnet, b"public_key"], keys.root_key_der());
        insert(&[b"subnet", subnet, b"canister_ranges"], ranges_cbor.clone());
        insert(&[b"subnet", subnet, b"node", keys.node_id().as_slice(), b"public_key"], keys.node_public_key_der());
        insert(&[b"canister_ranges", subnet, canister_ranges()[0].0.as_slice()], ranges_cbor);
        for (request_id, outcome) in request_status {
            let at = |field: &'static [u8]| -> [&[u8]; 3] { [b"request_status", request_id, field] };
            match outcome {
                RequestOutcome::Received => insert(&at(b"status"), b"received".to_vec()),
                RequestOutcome::Processing => insert(&at(b"status"), b"processing".to_vec()),
                RequestOutcome::Done => insert(&at(b"status"), b"done".to_vec()),
                RequestOutcome::Replied(reply) => {
                    insert(&at(b"status"), b"replied".to_vec());
                    insert(&at(b"reply"), reply.clone());
                }
                RequestOutcome::Rejected { reject_code, reject_message, error_code } => {
                    insert(&at(b"status"), b"rejected".to_vec());
                    insert(&at(b"reject_code"), leb128(*reject_code));
                    insert(&at(b"reject_message"), reject_message.as_bytes().to_vec());
                    if let Some(code) = error_code {
                        insert(&at(b"error_code"), code.as_bytes().to_vec());
                    }
                }
            }
        }
        StateTree(tree)
    }

    /// The tree pruned to `paths` (and `time`, which the IC always includes): every requested path is revealed
    /// (a path to a subtree reveals the whole subtree), or proven absent; everything else is a pruned hash.
    pub fn witness(&self, paths: &[Path]) -> HashTree {
        let mut witness = self.0.witness(&[b"time".to_vec()]);
        for path in paths {
            witness = merge_hash_trees(witness, self.0.witness(path));
        }
        witness
    }
}

pub(crate) fn leb128(value: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(10);
    // Writing to a Vec cannot fail.
    let _ = leb128::write::unsigned(&mut out, value);
    out
}

/// CBOR with the self-describing tag 55799, as the IC encodes CBOR values in the state tree.
pub(crate) fn self_describing_cbor<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Serializing byte strings and arrays of them to a Vec cannot fail.
    let _ = ciborium::into_writer(&ciborium::tag::Required::<_, 55799>(value), &mut out);
    out
}
