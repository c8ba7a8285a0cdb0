//! The WASM registry of one factory: versions keyed by semver, their module bytes in chunks, their status
//! (Uploading → Published → Deprecated | Yanked) and upgrade metadata, and the default version for new deployments.
//! Plain Rust over stable structures; authorization is the caller's business (see `factory.rs`).

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

pub const MAX_CHUNK_BYTES: u32 = 1024 * 1024;
pub const MAX_VERSION_TEXT: usize = 64;
pub const MAX_RELEASE_NOTES: usize = 16 * 1024;
pub const MAX_POST_UPGRADE_ARG: usize = 256 * 1024;
pub const MAX_REASON: usize = 1024;

/// One version as stored. `slot` numbers its chunks in the chunk map, so the version text never repeats there.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct VersionRecord {
    pub slot: u32,
    pub version: String,
    pub status: VersionStatus,
    pub sha256: ByteBuf,
    pub size: u64,
    pub chunk_size: u32,
    /// sha256 of each chunk, `None` until it arrives.
    pub chunk_hashes: Vec<Option<ByteBuf>>,
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
        self.chunk_hashes.len() as u32
    }

    pub fn missing_chunks(&self) -> Vec<u32> {
        (0..self.chunk_count()).filter(|i| self.chunk_hashes[*i as usize].is_none()).collect()
    }

    pub fn info(&self) -> VersionInfo {
        VersionInfo {
            version: self.version.clone(),
            status: self.status,
            sha256: self.sha256.to_vec(),
            size: self.size,
            chunk_size: self.chunk_size,
            chunk_hashes: self.chunk_hashes.iter().map(|h| h.clone().unwrap_or_default()).collect(),
            release_notes: self.release_notes.clone(),
            uploader: self.uploader,
            uploaded_at: self.uploaded_at,
            published_at: self.published_at,
            status_reason: self.status_reason.clone(),
            upgrade: self.upgrade.clone(),
            deployments: self.deployments,
        }
    }
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryMeta {
    pub next_slot: u32,
    /// Default version chosen by an admin; `None`: the newest Published release.
    pub pinned_default: Option<String>,
}

candid_storable!(VersionRecord, RegistryMeta);

pub struct Registry<M: Memory> {
    versions: StableBTreeMap<String, VersionRecord, Mem<M>>,
    /// (slot, chunk index) → chunk bytes.
    chunks: StableBTreeMap<(u32, u32), Vec<u8>, Mem<M>>,
    meta: StableCell<RegistryMeta, Mem<M>>,
}

impl<M: Memory> Registry<M> {
    pub fn init(versions: Mem<M>, chunks: Mem<M>, meta: Mem<M>) -> Self {
        Self {
            versions: StableBTreeMap::init(versions),
            chunks: StableBTreeMap::init(chunks),
            meta: StableCell::init(meta, RegistryMeta::default()),
        }
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
        self.record(version).map(|r| r.info())
    }

    /// Every version, newest first by semver precedence.
    fn sorted(&self) -> Vec<VersionRecord> {
        let mut all: Vec<VersionRecord> = self.versions.values().collect();
        all.sort_by_key(|r| std::cmp::Reverse(r.semver()));
        all
    }

    pub fn list(&self, page: PageRequest) -> Page<VersionInfo> {
        let all = self.sorted();
        Page::from_iter(page, all.len() as u64, all.into_iter().map(|r| r.info()))
    }

    /// The newest Published version that is not a pre-release.
    pub fn latest_published(&self) -> Option<VersionRecord> {
        self.versions
            .values()
            .filter(|r| r.status == VersionStatus::Published && r.semver().pre.is_empty())
            .max_by_key(|r| r.semver())
    }

    /// The version new deployments get.
    pub fn default_version(&self) -> Option<VersionRecord> {
        match &self.meta.get().pinned_default {
            Some(pinned) => self.versions.get(pinned).filter(|r| r.status == VersionStatus::Published),
            None => self.latest_published(),
        }
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
        record.status = to;
        record.status_reason = Some(reason);
        // A pinned default that leaves Published falls back to the automatic choice rather than block deployments.
        let mut meta = self.meta.get().clone();
        if meta.pinned_default.as_deref() == Some(record.version.as_str()) {
            meta.pinned_default = None;
            self.meta.set(meta);
        }
        self.versions.insert(record.version.clone(), record.clone());
        Ok(record.info())
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

    pub fn summary(&self) -> RegistrySummary {
        let mut summary = RegistrySummary {
            uploading: 0,
            published: 0,
            deprecated: 0,
            yanked: 0,
            default_version: self.default_version().map(|r| r.version),
            default_is_pinned: self.meta.get().pinned_default.is_some(),
            latest_published: self.latest_published().map(|r| r.version),
            stored_bytes: 0,
        };
        for record in self.versions.values() {
            match record.status {
                VersionStatus::Uploading => summary.uploading += 1,
                VersionStatus::Published => summary.published += 1,
                VersionStatus::Deprecated => summary.deprecated += 1,
                VersionStatus::Yanked => summary.yanked += 1,
            }
            let received = record.chunk_hashes.iter().filter(|h| h.is_some()).count() as u64;
            summary.stored_bytes += if record.status == VersionStatus::Uploading {
                received * u64::from(record.chunk_size)
            } else {
                record.size
            };
        }
        summary
    }
}

#[cfg(test)]
mod tests;
