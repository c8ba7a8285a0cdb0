//! How the registry lies in stable memory, and the one-time move from the first layout.
//!
//! Layout 1 (the first release) kept the list of chunk hashes inside each version record, so every deploy and every
//! default-version lookup decoded it, and the registry summary scanned every record. Layout 2 keeps records small:
//! the hashes live in their own map (`(slot, index) → sha256`, read by upload, finalize and `getVersion` only), and
//! the counts, the stored bytes and the newest release are counters kept in step with every change
//! (`RegistryIndex`). A version record is written as one format byte then candid; a record that starts with candid's
//! `DIDL` magic is a layout-1 record and still decodes (its hashes are ignored by the decode, moved by `migrate`).

use candid::{CandidType, Principal};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, StableBTreeMap, Storable};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::borrow::Cow;

use super::VersionRecord;
use crate::api::{UpgradeMetadata, VersionStatus};
use crate::codec::candid_storable;
use crate::memory::Mem;

/// The registry layout this code writes.
pub const LAYOUT: u32 = 2;

/// First byte of a layout-2 version record (a layout-1 record starts with `D` of `DIDL`).
const RECORD_FORMAT_2: u8 = 2;

/// Counters of the registry, so `getRegistrySummary`, `getHealth` and the default-version lookup read one cell.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryIndex {
    /// 0: never written (a fresh memory or a layout-1 registry), so `migrate` runs.
    pub layout: u32,
    /// The newest Published version that is not a pre-release.
    pub latest_published: Option<String>,
    pub uploading: u32,
    pub published: u32,
    pub deprecated: u32,
    pub yanked: u32,
    /// Bytes of module chunks held (received chunks of uploads included).
    pub stored_bytes: u64,
}

candid_storable!(RegistryIndex);

impl RegistryIndex {
    pub fn count_mut(&mut self, status: VersionStatus) -> &mut u32 {
        match status {
            VersionStatus::Uploading => &mut self.uploading,
            VersionStatus::Published => &mut self.published,
            VersionStatus::Deprecated => &mut self.deprecated,
            VersionStatus::Yanked => &mut self.yanked,
        }
    }
}

impl Storable for VersionRecord {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let mut out = vec![RECORD_FORMAT_2];
        out.extend(candid::encode_one(&self).expect("candid encoding of a version record"));
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        match bytes.first() {
            Some(&RECORD_FORMAT_2) => candid::decode_one(&bytes[1..]).expect("candid decoding of a version record"),
            _ => LegacyVersionRecord::decode(&bytes).into_current(),
        }
    }
    const BOUND: Bound = Bound::Unbounded;
}

/// A version record as layout 1 wrote it (candid, chunk hashes inside).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct LegacyVersionRecord {
    pub slot: u32,
    pub version: String,
    pub status: VersionStatus,
    pub sha256: ByteBuf,
    pub size: u64,
    pub chunk_size: u32,
    pub chunk_hashes: Vec<Option<ByteBuf>>,
    pub release_notes: String,
    pub uploader: Principal,
    pub uploaded_at: u64,
    pub published_at: Option<u64>,
    pub status_reason: Option<String>,
    pub upgrade: UpgradeMetadata,
    pub deployments: u64,
}

impl LegacyVersionRecord {
    fn decode(bytes: &[u8]) -> Self {
        candid::decode_one(bytes).expect("candid decoding of a layout-1 version record")
    }

    pub fn encode(&self) -> Vec<u8> {
        candid::encode_one(self).expect("candid encoding of a layout-1 version record")
    }

    fn into_current(self) -> VersionRecord {
        VersionRecord {
            slot: self.slot,
            version: self.version,
            status: self.status,
            sha256: self.sha256,
            size: self.size,
            chunk_size: self.chunk_size,
            chunk_count: self.chunk_hashes.len() as u32,
            release_notes: self.release_notes,
            uploader: self.uploader,
            uploaded_at: self.uploaded_at,
            published_at: self.published_at,
            status_reason: self.status_reason,
            upgrade: self.upgrade,
            deployments: self.deployments,
        }
    }
}

/// A view of the versions map for the migration: the chunk hashes of a layout-1 record, nothing for a layout-2 one.
struct LegacyHashes(Option<Vec<Option<ByteBuf>>>);

impl Storable for LegacyHashes {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        unreachable!("the migration view is read-only")
    }
    fn into_bytes(self) -> Vec<u8> {
        unreachable!("the migration view is read-only")
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        match bytes.first() {
            Some(&RECORD_FORMAT_2) => Self(None),
            _ => Self(Some(LegacyVersionRecord::decode(&bytes).chunk_hashes)),
        }
    }
    const BOUND: Bound = Bound::Unbounded;
}

/// Version key → the chunk hashes its layout-1 record held.
pub(super) type MovedHashes = Vec<(String, Vec<Option<ByteBuf>>)>;

/// The chunk hashes held inside layout-1 records, by version key (a read-only pass over the versions map). Gives the
/// memory back for the typed map.
pub(super) fn legacy_hashes<M: Memory>(versions: Mem<M>) -> (Mem<M>, MovedHashes) {
    let view: StableBTreeMap<String, LegacyHashes, Mem<M>> = StableBTreeMap::init(versions);
    let moved = view.iter().filter_map(|entry| entry.value().0.map(|hashes| (entry.key().clone(), hashes))).collect();
    (view.into_memory(), moved)
}

/// Brings a registry to layout 2: writes the hashes `legacy_hashes` found to `chunk_hashes`, rewrites those records
/// without them, and counts what the index must know. Runs once, when code with layout 2 first opens a layout-1
/// memory (or a fresh one, where there is nothing to move).
pub(super) fn migrate<M: Memory>(
    moved: MovedHashes,
    versions: &mut StableBTreeMap<String, VersionRecord, Mem<M>>,
    chunk_hashes: &mut StableBTreeMap<(u32, u32), [u8; 32], Mem<M>>,
) -> RegistryIndex {
    for (key, hashes) in moved {
        let Some(record) = versions.get(&key) else { continue };
        for (index, hash) in hashes.iter().enumerate() {
            if let Some(hash) = hash.as_ref().and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok()) {
                chunk_hashes.insert((record.slot, index as u32), hash);
            }
        }
        // The decode of a layout-1 record drops the list; inserting writes layout 2.
        versions.insert(key, record);
    }
    let mut index = RegistryIndex { layout: LAYOUT, ..RegistryIndex::default() };
    for record in versions.values() {
        *index.count_mut(record.status) += 1;
        index.stored_bytes += if record.status == VersionStatus::Uploading {
            // From the hashes of the received chunks: the chunks themselves (up to 1 MiB each) are not read.
            chunk_hashes
                .keys_range(super::slot_range(record.slot))
                .map(|(_, i)| super::expected_chunk_len(&record, i))
                .sum::<u64>()
        } else {
            record.size
        };
    }
    index.latest_published = super::newest_release(versions.values());
    index
}
