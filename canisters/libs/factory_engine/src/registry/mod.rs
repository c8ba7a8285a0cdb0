//! The WASM registry of one factory: versions keyed by semver, their module bytes in chunks, their status
//! (Uploading → Published → Deprecated | Yanked) and upgrade metadata, and the default version for new deployments.
//! Plain Rust over stable structures; authorization is the caller's business (see `factory.rs`).

mod layout;
mod upload;
pub mod wasm_meta;

use candid::{CandidType, Principal};
use fleet_api::{ContractUpgrade, FleetError, Page, PageRequest};
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use semver::Version;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::api::{RegistrySummary, UpgradeMetadata, VersionInfo, VersionStatus};
use crate::codec::candid_storable;
use crate::memory::Mem;
pub use layout::{LegacyVersionRecord, RegistryIndex, LAYOUT};

/// Largest chunk: the IC's `upload_chunk` takes at most 1 MiB, and each registry chunk is sent to a new contract's
/// chunk store as it is.
pub const MAX_CHUNK_BYTES: u32 = 1024 * 1024;
/// Smallest chunk size (every chunk but the last): a module of more than one chunk is sent in chunks of at least
/// 64 KiB, so a version has few chunks and its upload few messages.
pub const MIN_CHUNK_BYTES: u32 = 64 * 1024;
/// Most chunks a version may have: the IC's wasm chunk store holds 100 MiB and counts every chunk as 1 MiB
/// (`wasm_chunk_store.rs`, `DEFAULT_MAX_SIZE`), so a canister's store takes at most 100 chunks. A version with more
/// could never be installed by `install_chunked_code`: every deployment would fail after creating the canister.
pub const MAX_CHUNKS: u32 = 100;
pub const MAX_VERSION_TEXT: usize = 64;
pub const MAX_RELEASE_NOTES: usize = 16 * 1024;
pub const MAX_POST_UPGRADE_ARG: usize = 256 * 1024;
pub const MAX_REASON: usize = 1024;

/// One version as stored: what a deployment needs, read on every `createContract`. `slot` numbers its chunks in the
/// chunk and hash maps, so the version text never repeats there. The chunk hashes are kept apart (see `layout`).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct VersionRecord {
    pub slot: u32,
    pub version: String,
    pub status: VersionStatus,
    pub sha256: ByteBuf,
    pub size: u64,
    pub chunk_size: u32,
    pub chunk_count: u32,
    pub release_notes: String,
    pub uploader: Principal,
    pub uploaded_at: u64,
    pub published_at: Option<u64>,
    pub status_reason: Option<String>,
    pub upgrade: UpgradeMetadata,
    pub deployments: u64,
}

impl VersionRecord {
    pub fn semver(&self) -> Version {
        // Keys are written only after `parse_version` succeeded, so this cannot fail on our own data.
        Version::parse(&self.version).unwrap_or_else(|_| Version::new(0, 0, 0))
    }

    pub fn is_installable(&self) -> bool {
        matches!(self.status, VersionStatus::Published | VersionStatus::Deprecated)
    }

    pub fn chunk_count(&self) -> u32 {
        self.chunk_count
    }
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryMeta {
    pub next_slot: u32,
    /// Default version chosen by an admin; `None`: the newest Published release.
    pub pinned_default: Option<String>,
}

candid_storable!(RegistryMeta);

/// Every key of one version's chunks (or chunk hashes).
fn slot_range(slot: u32) -> std::ops::RangeInclusive<(u32, u32)> {
    (slot, 0)..=(slot, u32::MAX)
}

/// The newest Published version that is not a pre-release, among `records`.
fn newest_release(records: impl Iterator<Item = VersionRecord>) -> Option<String> {
    records
        .filter(|r| r.status == VersionStatus::Published && r.semver().pre.is_empty())
        .max_by_key(|r| r.semver())
        .map(|r| r.version)
}

/// Length of chunk `index` of `record`: `chunk_size`, the last one what remains.
fn expected_chunk_len(record: &VersionRecord, index: u32) -> u64 {
    let start = u64::from(index) * u64::from(record.chunk_size);
    record.size.saturating_sub(start).min(u64::from(record.chunk_size))
}

pub struct Registry<M: Memory> {
    versions: StableBTreeMap<String, VersionRecord, Mem<M>>,
    /// (slot, chunk index) → chunk bytes.
    chunks: StableBTreeMap<(u32, u32), Vec<u8>, Mem<M>>,
    /// (slot, chunk index) → sha256 of the received chunk. Read by upload, finalize and `getVersion`; never by a
    /// deployment (which hashes the chunks it sends).
    chunk_hashes: StableBTreeMap<(u32, u32), [u8; 32], Mem<M>>,
    meta: StableCell<RegistryMeta, Mem<M>>,
    index: StableCell<RegistryIndex, Mem<M>>,
}

impl<M: Memory> Registry<M> {
    /// Opens the registry; over a layout-1 memory (or a fresh one) it first brings the layout to `LAYOUT`.
    pub fn init(versions: Mem<M>, chunks: Mem<M>, meta: Mem<M>, chunk_hashes: Mem<M>, index: Mem<M>) -> Self {
        let index: StableCell<RegistryIndex, Mem<M>> = StableCell::init(index, RegistryIndex::default());
        let (versions, moved) = if index.get().layout < LAYOUT {
            let (versions, moved) = layout::legacy_hashes(versions);
            (versions, Some(moved))
        } else {
            (versions, None)
        };
        let mut registry = Self {
            versions: StableBTreeMap::init(versions),
            chunks: StableBTreeMap::init(chunks),
            chunk_hashes: StableBTreeMap::init(chunk_hashes),
            meta: StableCell::init(meta, RegistryMeta::default()),
            index,
        };
        if let Some(moved) = moved {
            let index = layout::migrate(moved, &mut registry.versions, &mut registry.chunk_hashes);
            registry.index.set(index);
        }
        registry
    }

    fn update_index(&mut self, f: impl FnOnce(&mut RegistryIndex)) {
        let mut index = self.index.get().clone();
        f(&mut index);
        self.index.set(index);
    }

    /// Recomputes the newest release after a status change (a scan of the versions, on release operations only).
    fn refresh_latest(&mut self) {
        let latest = newest_release(self.versions.values());
        self.update_index(|i| i.latest_published = latest);
    }

    /// Writes `record` whose status was `from`, keeping the status counts in step.
    fn store(&mut self, from: Option<VersionStatus>, record: VersionRecord) {
        if from != Some(record.status) {
            self.update_index(|i| {
                if let Some(from) = from {
                    *i.count_mut(from) = i.count_mut(from).saturating_sub(1);
                }
                *i.count_mut(record.status) += 1;
            });
        }
        self.versions.insert(record.version.clone(), record);
    }

    /// The registry key of a version text: its canonical semver form (`01.2.3` is refused by semver itself).
    pub fn key(version: &str) -> Result<String, FleetError> {
        if version.len() > MAX_VERSION_TEXT {
            return Err(FleetError::invalid(format!("version is longer than {MAX_VERSION_TEXT} characters")));
        }
        Ok(fleet_api::version::parse_version(version)?.to_string())
    }

    pub fn record(&self, version: &str) -> Result<VersionRecord, FleetError> {
        let key = Self::key(version)?;
        self.versions.get(&key).ok_or_else(|| FleetError::not_found(format!("version {key} is not in the registry")))
    }

    pub fn get(&self, version: &str) -> Result<VersionInfo, FleetError> {
        self.record(version).map(|r| self.info(&r))
    }

    /// The sha256 of each chunk of `record`, `None` for a chunk not yet received (at most `MAX_CHUNKS` lookups).
    pub fn chunk_hashes(&self, record: &VersionRecord) -> Vec<Option<[u8; 32]>> {
        let mut hashes = vec![None; record.chunk_count() as usize];
        for entry in self.chunk_hashes.range(slot_range(record.slot)) {
            if let Some(slot) = hashes.get_mut(entry.key().1 as usize) {
                *slot = Some(entry.value());
            }
        }
        hashes
    }

    pub fn missing_chunks(&self, record: &VersionRecord) -> Vec<u32> {
        let hashes = self.chunk_hashes(record);
        (0..record.chunk_count()).filter(|i| hashes[*i as usize].is_none()).collect()
    }

    /// The candid view of a version, its chunk hashes included (an absent chunk shows as an empty blob).
    pub fn info(&self, record: &VersionRecord) -> VersionInfo {
        VersionInfo {
            version: record.version.clone(),
            status: record.status,
            sha256: record.sha256.to_vec(),
            size: record.size,
            chunk_size: record.chunk_size,
            chunk_hashes: self
                .chunk_hashes(record)
                .into_iter()
                .map(|h| ByteBuf::from(h.map(|h| h.to_vec()).unwrap_or_default()))
                .collect(),
            release_notes: record.release_notes.clone(),
            uploader: record.uploader,
            uploaded_at: record.uploaded_at,
            published_at: record.published_at,
            status_reason: record.status_reason.clone(),
            upgrade: record.upgrade.clone(),
            deployments: record.deployments,
        }
    }

    /// `getDefaultVersion`.
    pub fn default_version_info(&self) -> Option<VersionInfo> {
        self.default_version().map(|r| self.info(&r))
    }

    /// Every version, newest first by semver precedence.
    fn sorted(&self) -> Vec<VersionRecord> {
        let mut all: Vec<VersionRecord> = self.versions.values().collect();
        all.sort_by_key(|r| std::cmp::Reverse(r.semver()));
        all
    }

    pub fn list(&self, page: PageRequest) -> Page<VersionInfo> {
        let all = self.sorted();
        let total = all.len() as u64;
        let records = Page::from_iter(page, total, all.into_iter());
        Page { items: records.items.iter().map(|r| self.info(r)).collect(), total, next_offset: records.next_offset }
    }

    /// The newest Published version that is not a pre-release (kept in the index: one lookup).
    pub fn latest_published(&self) -> Option<VersionRecord> {
        let latest = self.index.get().latest_published.clone()?;
        self.versions.get(&latest)
    }

    /// The version new deployments get: one record read, whatever the number of versions.
    pub fn default_version(&self) -> Option<VersionRecord> {
        match &self.meta.get().pinned_default {
            Some(pinned) => self.versions.get(pinned).filter(|r| r.status == VersionStatus::Published),
            None => self.latest_published(),
        }
    }

    /// The default version's key without reading its record: a pinned default is always Published (leaving
    /// Published unpins it).
    fn default_key(&self) -> Option<String> {
        self.meta.get().pinned_default.clone().or_else(|| self.index.get().latest_published.clone())
    }

    /// Pins the default to a Published version, or (with `None`) returns to the newest Published release.
    pub fn set_default(&mut self, version: Option<&str>) -> Result<(), FleetError> {
        let pinned = match version {
            None => None,
            Some(v) => {
                let record = self.record(v)?;
                if record.status != VersionStatus::Published {
                    return Err(FleetError::invalid_state(format!(
                        "version {} is {:?}; only a Published version can be the default",
                        record.version, record.status
                    )));
                }
                Some(record.version)
            }
        };
        let mut meta = self.meta.get().clone();
        meta.pinned_default = pinned;
        self.meta.set(meta);
        Ok(())
    }

    pub fn deprecate(&mut self, version: &str, reason: String) -> Result<VersionInfo, FleetError> {
        self.change_status(version, VersionStatus::Deprecated, reason, &[VersionStatus::Published])
    }

    /// Yanked versions are never installed again. Their chunks are kept: the record of what was shipped stays whole.
    pub fn yank(&mut self, version: &str, reason: String) -> Result<VersionInfo, FleetError> {
        let from = [VersionStatus::Published, VersionStatus::Deprecated];
        self.change_status(version, VersionStatus::Yanked, reason, &from)
    }

    fn change_status(
        &mut self,
        version: &str,
        to: VersionStatus,
        reason: String,
        allowed_from: &[VersionStatus],
    ) -> Result<VersionInfo, FleetError> {
        if reason.len() > MAX_REASON {
            return Err(FleetError::invalid(format!("reason is longer than {MAX_REASON} bytes")));
        }
        let mut record = self.record(version)?;
        if !allowed_from.contains(&record.status) {
            return Err(FleetError::invalid_state(format!(
                "version {} is {:?}; it cannot become {to:?}",
                record.version, record.status
            )));
        }
        let from = record.status;
        record.status = to;
        record.status_reason = Some(reason);
        // A pinned default that leaves Published falls back to the automatic choice rather than block deployments.
        let mut meta = self.meta.get().clone();
        if meta.pinned_default.as_deref() == Some(record.version.as_str()) {
            meta.pinned_default = None;
            self.meta.set(meta);
        }
        self.store(Some(from), record.clone());
        self.refresh_latest();
        Ok(self.info(&record))
    }

    /// Every version as the upgrade path planner sees it.
    pub fn planned_versions(&self) -> Vec<crate::upgrade::path::PlannedVersion> {
        self.versions.values().map(|r| crate::upgrade::path::PlannedVersion::from_record(&r)).collect()
    }

    /// Counts a deployment made at `version`.
    pub fn record_deployment(&mut self, version: &str) {
        if let Some(mut record) = self.versions.get(&version.to_string()) {
            record.deployments += 1;
            self.versions.insert(record.version.clone(), record);
        }
    }

    /// One stored chunk of an installable or uploading version.
    pub fn chunk(&self, record: &VersionRecord, index: u32) -> Result<Vec<u8>, FleetError> {
        self.chunks
            .get(&(record.slot, index))
            .ok_or_else(|| FleetError::Internal(format!("chunk {index} of version {} is missing", record.version)))
    }

    /// The whole module, chunks concatenated.
    pub fn module_bytes(&self, record: &VersionRecord) -> Result<Vec<u8>, FleetError> {
        let mut module = Vec::with_capacity(record.size as usize);
        for index in 0..record.chunk_count() {
            module.extend_from_slice(&self.chunk(record, index)?);
        }
        Ok(module)
    }

    /// The `(opt ContractUpgrade)` argument an upgrade to `version` passes to the contract's `post_upgrade`.
    pub fn upgrade_arg(&self, version: &str) -> Result<ContractUpgrade, FleetError> {
        let record = self.record(version)?;
        if !record.is_installable() {
            return Err(FleetError::invalid_state(format!("version {} is {:?}", record.version, record.status)));
        }
        Ok(ContractUpgrade { version: record.version, migration_arg: record.upgrade.post_upgrade_arg })
    }

    /// `upgrade_arg(version)` encoded as the contract's `post_upgrade` expects it: candid `(opt ContractUpgrade)`.
    pub fn upgrade_arg_bytes(&self, version: &str) -> Result<Vec<u8>, FleetError> {
        let upgrade = self.upgrade_arg(version)?;
        candid::encode_one(Some(upgrade))
            .map_err(|e| FleetError::Internal(format!("encoding the upgrade argument: {e}")))
    }

    /// `upgrade_arg_bytes` of a record already read (an installable one: the caller checked).
    pub fn upgrade_arg_bytes_of(&self, record: &VersionRecord) -> Result<Vec<u8>, FleetError> {
        let upgrade =
            ContractUpgrade { version: record.version.clone(), migration_arg: record.upgrade.post_upgrade_arg.clone() };
        candid::encode_one(Some(upgrade))
            .map_err(|e| FleetError::Internal(format!("encoding the upgrade argument: {e}")))
    }

    /// `getRegistrySummary` (and `getHealth`): from the index, no record is read.
    pub fn summary(&self) -> RegistrySummary {
        let index = self.index.get();
        RegistrySummary {
            uploading: index.uploading,
            published: index.published,
            deprecated: index.deprecated,
            yanked: index.yanked,
            default_version: self.default_key(),
            default_is_pinned: self.meta.get().pinned_default.is_some(),
            latest_published: index.latest_published.clone(),
            stored_bytes: index.stored_bytes,
        }
    }
}

#[cfg(test)]
mod tests;
