//! Chunked upload: begin (version, expected sha256 and size) → chunks in any order, each accepted once (a re-sent
//! identical chunk is a no-op, so an interrupted upload resumes) → finalize, which verifies the whole module before
//! the version becomes Published. Every step checks everything before it writes anything.

use candid::Principal;
use fleet_api::{ContractKind, FleetError};
use semver::VersionReq;
use serde_bytes::ByteBuf;
use sha2::{Digest, Sha256};

use super::wasm_meta::read_metadata;
use super::{Registry, VersionRecord, MAX_CHUNK_BYTES, MAX_POST_UPGRADE_ARG, MAX_RELEASE_NOTES};
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
        if chunk_size == 0 || chunk_size > MAX_CHUNK_BYTES {
            return Err(FleetError::invalid(format!("chunk_size must be within 1..={MAX_CHUNK_BYTES} bytes")));
        }
        if args.size == 0 {
            return Err(FleetError::invalid("size must be positive"));
        }
        if args.size > config.max_module_bytes {
            return Err(FleetError::TooLarge { size: args.size, limit: config.max_module_bytes });
        }
        if let Some(existing) = self.versions.get(&key) {
            // Beginning again with the same description resumes the upload; anything else is a duplicate.
            let same = existing.status == VersionStatus::Uploading
                && existing.sha256.as_slice() == args.sha256.as_slice()
                && existing.size == args.size
                && existing.chunk_size == chunk_size;
            return if same {
                Ok(progress(&existing))
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
        let uploading = self.versions.values().filter(|r| r.status == VersionStatus::Uploading).count() as u32;
        if uploading >= config.max_concurrent_uploads {
            return Err(FleetError::invalid_state(format!(
                "{uploading} uploads are already in progress (limit {}); finalize or abort one first",
                config.max_concurrent_uploads
            )));
        }
        let chunk_count = args.size.div_ceil(u64::from(chunk_size)) as usize;
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
            chunk_hashes: vec![None; chunk_count],
            release_notes: args.release_notes,
            uploader,
            uploaded_at: now,
            published_at: None,
            status_reason: None,
            upgrade: args.upgrade,
            deployments: 0,
        };
        self.meta.set(meta);
        self.versions.insert(key, record.clone());
        Ok(progress(&record))
    }

    pub fn upload_chunk(&mut self, args: UploadChunkArgs) -> Result<UploadProgress, FleetError> {
        let mut record = self.record(&args.version)?;
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
        let hash = Sha256::digest(&args.bytes).to_vec();
        match &record.chunk_hashes[args.index as usize] {
            Some(stored) if stored.as_slice() == hash.as_slice() => return Ok(progress(&record)),
            Some(_) => {
                return Err(FleetError::AlreadyExists(format!(
                    "chunk {} was already received with different bytes; abort the upload to start over",
                    args.index
                )))
            }
            None => {}
        }
        self.chunks.insert((record.slot, args.index), args.bytes);
        record.chunk_hashes[args.index as usize] = Some(ByteBuf::from(hash));
        self.versions.insert(record.version.clone(), record.clone());
        Ok(progress(&record))
    }

    pub fn upload_progress(&self, version: &str) -> Result<UploadProgress, FleetError> {
        self.record(version).map(|r| progress(&r))
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
        let missing = record.missing_chunks();
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
        self.versions.insert(record.version.clone(), record.clone());
        Ok(record.info())
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
        for index in 0..record.chunk_count() {
            self.chunks.remove(&(record.slot, index));
        }
        self.versions.remove(&record.version);
        Ok(())
    }
}

fn expected_chunk_len(record: &VersionRecord, index: u32) -> u64 {
    let start = u64::from(index) * u64::from(record.chunk_size);
    (record.size - start).min(u64::from(record.chunk_size))
}

fn progress(record: &VersionRecord) -> UploadProgress {
    let missing = record.missing_chunks();
    UploadProgress {
        version: record.version.clone(),
        chunk_count: record.chunk_count(),
        received: record.chunk_count() - missing.len() as u32,
        missing,
    }
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
