use super::wasm_meta::test_modules::{fleet_wasm, gzip};
use super::*;
use crate::api::{BeginUploadArgs, FactoryConfig, UploadChunkArgs};
use crate::memory;
use fleet_api::ContractKind;
use ic_stable_structures::memory_manager::MemoryManager;
use ic_stable_structures::VectorMemory;
use sha2::{Digest, Sha256};

fn registry() -> Registry<VectorMemory> {
    let manager = MemoryManager::init(VectorMemory::default());
    Registry::init(manager.get(memory::VERSIONS), manager.get(memory::CHUNKS), manager.get(memory::REGISTRY_META))
}

fn uploader() -> Principal {
    Principal::from_slice(&[1; 29])
}

fn begin_args(version: &str, module: &[u8], chunk_size: u32) -> BeginUploadArgs {
    BeginUploadArgs {
        version: version.into(),
        sha256: Sha256::digest(module).to_vec(),
        size: module.len() as u64,
        chunk_size: Some(chunk_size),
        release_notes: format!("release {version}"),
        upgrade: UpgradeMetadata::default(),
    }
}

fn chunk(version: &str, module: &[u8], chunk_size: u32, index: u32) -> UploadChunkArgs {
    let start = index as usize * chunk_size as usize;
    let end = (start + chunk_size as usize).min(module.len());
    UploadChunkArgs { version: version.into(), index, bytes: module[start..end].to_vec() }
}

/// Uploads `module` as `version` in chunks of `chunk_size`, last chunk first, and finalizes it.
fn publish(
    registry: &mut Registry<VectorMemory>,
    version: &str,
    module: &[u8],
    chunk_size: u32,
) -> Result<VersionInfo, FleetError> {
    let progress =
        registry.begin_upload(uploader(), 10, begin_args(version, module, chunk_size), &FactoryConfig::default())?;
    for index in (0..progress.chunk_count).rev() {
        registry.upload_chunk(chunk(version, module, chunk_size, index))?;
    }
    registry.finalize(version, ContractKind::Token, 20)
}

#[test]
fn chunked_upload_in_any_order_publishes_the_version() {
    let mut registry = registry();
    let module = gzip(&fleet_wasm("token", "1.0.0", 5000));
    let info = publish(&mut registry, "1.0.0", &module, 700).unwrap();
    assert_eq!(info.status, VersionStatus::Published);
    assert_eq!(info.published_at, Some(20));
    assert_eq!(info.chunk_hashes.len(), module.len().div_ceil(700));
    assert_eq!(registry.module_bytes(&registry.record("1.0.0").unwrap()).unwrap(), module);
    assert_eq!(registry.default_version().unwrap().version, "1.0.0");
}

#[test]
fn resent_chunk_is_accepted_once_and_upload_resumes() {
    let mut registry = registry();
    let module = fleet_wasm("token", "1.0.0", 2500);
    let args = begin_args("1.0.0", &module, 1024);
    registry.begin_upload(uploader(), 1, args.clone(), &FactoryConfig::default()).unwrap();
    let first = registry.upload_chunk(chunk("1.0.0", &module, 1024, 1)).unwrap();
    let again = registry.upload_chunk(chunk("1.0.0", &module, 1024, 1)).unwrap();
    assert_eq!(first, again);
    assert_eq!(again.received, 1);
    // A second begin with the same description resumes and reports what is missing.
    let resumed = registry.begin_upload(uploader(), 2, args, &FactoryConfig::default()).unwrap();
    assert_eq!(resumed.missing, vec![0, 2]);
    // The same index with other bytes is refused and does not replace the stored chunk.
    let mut other = chunk("1.0.0", &module, 1024, 1);
    other.bytes[0] ^= 0xff;
    assert!(matches!(registry.upload_chunk(other), Err(FleetError::AlreadyExists(_))));
    for i in [0, 2] {
        registry.upload_chunk(chunk("1.0.0", &module, 1024, i)).unwrap();
    }
    assert_eq!(registry.finalize("1.0.0", ContractKind::Token, 3).unwrap().status, VersionStatus::Published);
}

#[test]
fn each_registry_error_is_typed_and_changes_nothing() {
    let mut registry = registry();
    let config = FactoryConfig::default();
    let module = fleet_wasm("token", "1.0.0", 100);
    publish(&mut registry, "1.0.0", &module, 1024).unwrap();
    let before = registry.list(fleet_api::PageRequest::default());

    // Duplicate, bad semver, bad hash length, too large.
    let dup = registry.begin_upload(uploader(), 1, begin_args("1.0.0", &module, 1024), &config);
    assert!(matches!(dup, Err(FleetError::AlreadyExists(_))));
    let bad = registry.begin_upload(uploader(), 1, begin_args("1.0", &module, 1024), &config);
    assert!(matches!(bad, Err(FleetError::InvalidInput(_))));
    let mut short_hash = begin_args("1.0.1", &module, 1024);
    short_hash.sha256.pop();
    assert!(matches!(registry.begin_upload(uploader(), 1, short_hash, &config), Err(FleetError::InvalidInput(_))));
    let mut huge = begin_args("1.0.1", &module, 1024);
    huge.size = config.max_module_bytes + 1;
    assert!(matches!(registry.begin_upload(uploader(), 1, huge, &config), Err(FleetError::TooLarge { .. })));
    let mut big_chunks = begin_args("1.0.1", &module, 1024);
    big_chunks.chunk_size = Some(MAX_CHUNK_BYTES + 1);
    assert!(matches!(registry.begin_upload(uploader(), 1, big_chunks, &config), Err(FleetError::InvalidInput(_))));
    let mut bad_req = begin_args("1.0.1", &module, 1024);
    bad_req.upgrade.reachable_from = Some("from one".into());
    assert!(matches!(registry.begin_upload(uploader(), 1, bad_req, &config), Err(FleetError::InvalidInput(_))));
    assert_eq!(registry.list(fleet_api::PageRequest::default()), before);

    // Missing chunks, then a hash mismatch: the version stays Uploading with its chunks.
    let other = fleet_wasm("token", "1.1.0", 1500);
    let mut wrong_hash = begin_args("1.1.0", &other, 1024);
    wrong_hash.sha256 = vec![0; 32];
    registry.begin_upload(uploader(), 1, wrong_hash, &config).unwrap();
    registry.upload_chunk(chunk("1.1.0", &other, 1024, 0)).unwrap();
    assert!(
        matches!(registry.finalize("1.1.0", ContractKind::Token, 2), Err(FleetError::InvalidState(m)) if m.contains("[1]"))
    );
    registry.upload_chunk(chunk("1.1.0", &other, 1024, 1)).unwrap();
    assert!(matches!(registry.finalize("1.1.0", ContractKind::Token, 2), Err(FleetError::HashMismatch { .. })));
    assert_eq!(registry.get("1.1.0").unwrap().status, VersionStatus::Uploading);
    // Wrong-length chunk and out-of-range index.
    let mut short = chunk("1.1.0", &other, 1024, 0);
    short.bytes.pop();
    registry.abort_upload("1.1.0").unwrap();
    assert!(matches!(registry.get("1.1.0"), Err(FleetError::NotFound(_))));
    registry.begin_upload(uploader(), 1, begin_args("1.1.0", &other, 1024), &config).unwrap();
    assert!(matches!(registry.upload_chunk(short), Err(FleetError::InvalidInput(_))));
    let mut beyond = chunk("1.1.0", &other, 1024, 0);
    beyond.index = 7;
    assert!(matches!(registry.upload_chunk(beyond), Err(FleetError::InvalidInput(_))));
    assert_eq!(registry.summary().stored_bytes, module.len() as u64);
}

#[test]
fn finalize_checks_kind_version_and_wasm_magic() {
    let mut registry = registry();
    let dao = fleet_wasm("dao", "1.0.0", 10);
    assert!(
        matches!(publish(&mut registry, "1.0.0", &dao, 1024), Err(FleetError::InvalidInput(m)) if m.contains("dao"))
    );
    registry.abort_upload("1.0.0").unwrap();
    let mislabelled = fleet_wasm("token", "1.0.1", 10);
    assert!(
        matches!(publish(&mut registry, "1.0.0", &mislabelled, 1024), Err(FleetError::InvalidInput(m)) if m.contains("1.0.1"))
    );
    registry.abort_upload("1.0.0").unwrap();
    let not_wasm = b"#!/bin/sh\necho not a module\n".to_vec();
    assert!(matches!(publish(&mut registry, "1.0.0", &not_wasm, 1024), Err(FleetError::InvalidInput(_))));
    assert_eq!(registry.summary().uploading, 1);
    assert_eq!(registry.default_version(), None);
}

#[test]
fn concurrent_uploads_are_capped() {
    let mut registry = registry();
    let config = FactoryConfig { max_concurrent_uploads: 2, ..FactoryConfig::default() };
    let module = fleet_wasm("token", "1.0.0", 10);
    registry.begin_upload(uploader(), 1, begin_args("1.0.0", &module, 1024), &config).unwrap();
    registry.begin_upload(uploader(), 1, begin_args("1.0.1", &module, 1024), &config).unwrap();
    let third = registry.begin_upload(uploader(), 1, begin_args("1.0.2", &module, 1024), &config);
    assert!(matches!(third, Err(FleetError::InvalidState(_))));
}

#[test]
fn default_is_newest_published_release_unless_pinned() {
    let mut registry = registry();
    for v in ["1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1"] {
        publish(&mut registry, v, &fleet_wasm("token", v, 10), 1024).unwrap();
    }
    // Semver order, not text order; pre-releases are never the automatic default.
    assert_eq!(registry.default_version().unwrap().version, "1.10.0");
    let listed: Vec<String> =
        registry.list(fleet_api::PageRequest::default()).items.into_iter().map(|v| v.version).collect();
    assert_eq!(listed, ["2.0.0-rc.1", "1.10.0", "1.2.0", "1.0.0"]);

    registry.set_default(Some("1.2.0")).unwrap();
    assert_eq!(registry.default_version().unwrap().version, "1.2.0");
    registry.deprecate("1.10.0", "slow".into()).unwrap();
    assert_eq!(registry.summary().latest_published.as_deref(), Some("1.2.0"));
    // Yanking the pinned default falls back to the newest Published release.
    registry.yank("1.2.0", "bug".into()).unwrap();
    assert!(!registry.summary().default_is_pinned);
    assert_eq!(registry.default_version().unwrap().version, "1.0.0");
    assert!(matches!(registry.set_default(Some("1.2.0")), Err(FleetError::InvalidState(_))));
    assert!(matches!(registry.upgrade_arg("1.2.0"), Err(FleetError::InvalidState(_))));
    assert!(matches!(registry.yank("1.2.0", "again".into()), Err(FleetError::InvalidState(_))));
    assert!(matches!(registry.deprecate("9.9.9", "".into()), Err(FleetError::NotFound(_))));
}

#[test]
fn upgrade_arg_carries_the_registry_migration_argument() {
    let mut registry = registry();
    let module = fleet_wasm("token", "1.1.0", 10);
    let mut args = begin_args("1.1.0", &module, 1024);
    let migration = candid::encode_one(42u32).unwrap();
    args.upgrade = UpgradeMetadata {
        reachable_from: Some(">=1.0.0".into()),
        checkpoint: true,
        post_upgrade_arg: Some(migration.clone()),
    };
    registry.begin_upload(uploader(), 1, args, &FactoryConfig::default()).unwrap();
    registry.upload_chunk(chunk("1.1.0", &module, 1024, 0)).unwrap();
    registry.finalize("1.1.0", ContractKind::Token, 2).unwrap();
    let upgrade = registry.upgrade_arg("1.1.0").unwrap();
    assert_eq!(upgrade, ContractUpgrade { version: "1.1.0".into(), migration_arg: Some(migration) });
    let bytes = registry.upgrade_arg_bytes("1.1.0").unwrap();
    assert_eq!(candid::decode_one::<Option<ContractUpgrade>>(&bytes).unwrap(), Some(upgrade));
}
