//! Chunked upload: begin (version, expected sha256 and size) → chunks in any order, each accepted once (a re-sent
//! identical chunk is a no-op, so an interrupted upload resumes) → finalize, which verifies the whole module before
//! the version becomes Published. Every step checks everything before it writes anything.

use candid::Principal;
use fleet_api::{ContractKind, FleetError};
use semver::VersionReq;
use serde_bytes::ByteBuf;
use sha2::{Digest, Sha256};

use super::wasm_meta::read_metadata;
use super::{expected_chunk_len, slot_range, Registry, VersionRecord};
use super::{MAX_CHUNKS, MAX_CHUNK_BYTES, MAX_POST_UPGRADE_ARG, MAX_RELEASE_NOTES, MIN_CHUNK_BYTES};
use crate::api::{BeginUploadArgs, FactoryConfig, UploadChunkArgs, UploadProgress, VersionInfo, VersionStatus};
use ic_stable_structures::Memory;

impl<M: Memory> Registry<M> {
    pub fn begin_upload(
        &mut self,
        uploader: Principal,
        now: u64,
        args: BeginUploadArgs,
        config: &FactoryConfig,
    ) -> Result<UploadProgress, FleetError> {
        let key = Self::key(&args.version)?;
        let chunk_size = args.chunk_size.unwrap_or(MAX_CHUNK_BYTES);
        if args.sha256.len() != 32 {
            return Err(FleetError::invalid(format!("sha256 must be 32 bytes, got {}", args.sha256.len())));
        }
        if args.size == 0 {
            return Err(FleetError::invalid("size must be positive"));
        }
        if args.size > config.max_module_bytes {
            return Err(FleetError::TooLarge { size: args.size, limit: config.max_module_bytes });
        }
        check_chunking(args.size, chunk_size)?;
        if let Some(existing) = self.versions.get(&key) {
            // Beginning again with the same description resumes the upload; anything else is a duplicate.
            let same = existing.status == VersionStatus::Uploading
                && existing.sha256.as_slice() == args.sha256.as_slice()
                && existing.size == args.size
                && existing.chunk_size == chunk_size;
            return if same {
                Ok(self.progress(&existing))
            } else {
                Err(FleetError::AlreadyExists(format!(
                    "version {key} is already in the registry ({:?})",
                    existing.status
                )))
            };
        }
        if args.release_notes.len() > MAX_RELEASE_NOTES {
            return Err(FleetError::invalid(format!("release_notes is longer than {MAX_RELEASE_NOTES} bytes")));
        }
        validate_upgrade_metadata(&args.upgrade)?;
        let uploading = self.index.get().uploading;
        if uploading >= config.max_concurrent_uploads {
            return Err(FleetError::invalid_state(format!(
                "{uploading} uploads are already in progress (limit {}); finalize or abort one first",
                config.max_concurrent_uploads
            )));
        }
        // At most MAX_CHUNKS (checked above).
        let chunk_count = args.size.div_ceil(u64::from(chunk_size)) as u32;
        let mut meta = self.meta.get().clone();
        let slot = meta.next_slot;
        meta.next_slot = slot.checked_add(1).ok_or_else(|| FleetError::Internal("registry slots exhausted".into()))?;
        let record = VersionRecord {
            slot,
            version: key.clone(),
            status: VersionStatus::Uploading,
            sha256: ByteBuf::from(args.sha256),
            size: args.size,
            chunk_size,
            chunk_count,
            release_notes: args.release_notes,
            uploader,
            uploaded_at: now,
            published_at: None,
            status_reason: None,
            upgrade: args.upgrade,
            deployments: 0,
        };
        self.meta.set(meta);
        self.store(None, record.clone());
        Ok(self.progress(&record))
    }

    pub fn upload_chunk(&mut self, args: UploadChunkArgs) -> Result<UploadProgress, FleetError> {
        let record = self.record(&args.version)?;
        if record.status != VersionStatus::Uploading {
            return Err(FleetError::invalid_state(format!(
                "version {} is {:?}, not Uploading",
                record.version, record.status
            )));
        }
        if args.bytes.len() > MAX_CHUNK_BYTES as usize {
            return Err(FleetError::TooLarge { size: args.bytes.len() as u64, limit: u64::from(MAX_CHUNK_BYTES) });
        }
        let count = record.chunk_count();
        if args.index >= count {
            return Err(FleetError::invalid(format!(
                "chunk index {} is out of range: the module has {count} chunks",
                args.index
            )));
        }
        let expected_len = expected_chunk_len(&record, args.index);
        if args.bytes.len() as u64 != expected_len {
            return Err(FleetError::invalid(format!(
                "chunk {} must be {expected_len} bytes, got {}",
                args.index,
                args.bytes.len()
            )));
        }
        let hash: [u8; 32] = Sha256::digest(&args.bytes).into();
        match self.chunk_hashes.get(&(record.slot, args.index)) {
            Some(stored) if stored == hash => return Ok(self.progress(&record)),
            Some(_) => {
                return Err(FleetError::AlreadyExists(format!(
                    "chunk {} was already received with different bytes; abort the upload to start over",
                    args.index
                )))
            }
            None => {}
        }
        let len = args.bytes.len() as u64;
        self.chunks.insert((record.slot, args.index), args.bytes);
        self.chunk_hashes.insert((record.slot, args.index), hash);
        self.update_index(|i| i.stored_bytes += len);
        Ok(self.progress(&record))
    }

    pub fn upload_progress(&self, version: &str) -> Result<UploadProgress, FleetError> {
        self.record(version).map(|r| self.progress(&r))
    }

    fn progress(&self, record: &VersionRecord) -> UploadProgress {
        let missing = self.missing_chunks(record);
        UploadProgress {
            version: record.version.clone(),
            chunk_count: record.chunk_count(),
            received: record.chunk_count() - missing.len() as u32,
            missing,
        }
    }

    /// Verifies the complete module and publishes it. On any error nothing changes: the version stays Uploading
    /// with its chunks, and the uploader fixes what is wrong (resend, or abort and start over).
    pub fn finalize(&mut self, version: &str, kind: ContractKind, now: u64) -> Result<VersionInfo, FleetError> {
        let mut record = self.record(version)?;
        if record.status != VersionStatus::Uploading {
            return Err(FleetError::invalid_state(format!(
                "version {} is {:?}, not Uploading",
                record.version, record.status
            )));
        }
        // An upload begun before these limits existed (layout 1) is held to them here.
        check_chunking(record.size, record.chunk_size)?;
        let missing = self.missing_chunks(&record);
        if !missing.is_empty() {
            return Err(FleetError::invalid_state(format!("missing chunks {missing:?} of {}", record.chunk_count())));
        }
        let module = self.module_bytes(&record)?;
        let actual = Sha256::digest(&module);
        if actual.as_slice() != record.sha256.as_slice() {
            return Err(FleetError::HashMismatch {
                expected: hex::encode(&record.sha256),
                actual: hex::encode(actual),
            });
        }
        let metadata = read_metadata(&module)?;
        match metadata.kind.as_deref() {
            Some(k) if k == kind.as_str() => {}
            Some(other) => {
                return Err(FleetError::invalid(format!(
                    "module metadata fleet:kind is `{other}`, this factory deploys `{}`",
                    kind.as_str()
                )))
            }
            None => return Err(FleetError::invalid("module has no fleet:kind metadata")),
        }
        let embedded = metadata.version.ok_or_else(|| FleetError::invalid("module has no fleet:version metadata"))?;
        let matches = semver::Version::parse(&embedded).map(|v| v == record.semver()).unwrap_or(false);
        if !matches {
            return Err(FleetError::invalid(format!(
                "module metadata fleet:version is `{embedded}`, the upload is for {}",
                record.version
            )));
        }
        record.status = VersionStatus::Published;
        record.published_at = Some(now);
        self.store(Some(VersionStatus::Uploading), record.clone());
        self.refresh_latest();
        Ok(self.info(&record))
    }

    /// Drops an unfinished upload and its chunks, freeing the version number and an upload slot.
    pub fn abort_upload(&mut self, version: &str) -> Result<(), FleetError> {
        let record = self.record(version)?;
        if record.status != VersionStatus::Uploading {
            return Err(FleetError::invalid_state(format!(
                "version {} is {:?}; only an upload can be aborted",
                record.version, record.status
            )));
        }
        let received: Vec<(u32, u32)> = self.chunk_hashes.keys_range(slot_range(record.slot)).collect();
        let freed: u64 = received.iter().map(|(_, index)| expected_chunk_len(&record, *index)).sum();
        for key in received {
            self.chunks.remove(&key);
            self.chunk_hashes.remove(&key);
        }
        self.versions.remove(&record.version);
        self.update_index(|i| {
            i.uploading = i.uploading.saturating_sub(1);
            i.stored_bytes = i.stored_bytes.saturating_sub(freed);
        });
        Ok(())
    }
}

/// The chunking a module of `size` bytes may use: chunks of `MIN_CHUNK_BYTES..=MAX_CHUNK_BYTES` (a module that fits
/// in one chunk may name any size that holds it), and at most `MAX_CHUNKS` of them.
fn check_chunking(size: u64, chunk_size: u32) -> Result<(), FleetError> {
    if chunk_size > MAX_CHUNK_BYTES {
        return Err(FleetError::invalid(format!(
            "chunk_size {chunk_size} exceeds {MAX_CHUNK_BYTES} bytes (the IC's largest chunk)"
        )));
    }
    if chunk_size < MIN_CHUNK_BYTES && u64::from(chunk_size) < size {
        return Err(FleetError::invalid(format!(
            "chunk_size {chunk_size} is below {MIN_CHUNK_BYTES} bytes: every chunk but the last must have at least \
             {MIN_CHUNK_BYTES} bytes"
        )));
    }
    let count = size.div_ceil(u64::from(chunk_size.max(1)));
    if count > u64::from(MAX_CHUNKS) {
        return Err(FleetError::invalid(format!(
            "{size} bytes in chunks of {chunk_size} make {count} chunks; the IC's chunk store holds at most \
             {MAX_CHUNKS}: use chunks of at least {} bytes",
            size.div_ceil(u64::from(MAX_CHUNKS))
        )));
    }
    Ok(())
}

fn validate_upgrade_metadata(upgrade: &crate::api::UpgradeMetadata) -> Result<(), FleetError> {
    if let Some(req) = &upgrade.reachable_from {
        VersionReq::parse(req)
            .map_err(|e| FleetError::invalid(format!("reachable_from `{req}` is not a semver requirement: {e}")))?;
    }
    if let Some(arg) = &upgrade.post_upgrade_arg {
        if arg.len() > MAX_POST_UPGRADE_ARG {
            return Err(FleetError::TooLarge { size: arg.len() as u64, limit: MAX_POST_UPGRADE_ARG as u64 });
        }
        if !arg.starts_with(b"DIDL") {
            return Err(FleetError::invalid("post_upgrade_arg is not candid (it must start with DIDL)"));
        }
    }
    Ok(())
}
