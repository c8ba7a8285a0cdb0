use super::wasm_meta::test_modules::{fleet_wasm, gzip};
use super::*;
use crate::api::{BeginUploadArgs, FactoryConfig, UploadChunkArgs};
use crate::memory;
use fleet_api::ContractKind;
use ic_stable_structures::memory_manager::MemoryManager;
use ic_stable_structures::VectorMemory;
use sha2::{Digest, Sha256};

fn registry() -> Registry<VectorMemory> {
    open(VectorMemory::default())
}

fn open(memory: VectorMemory) -> Registry<VectorMemory> {
    let manager = MemoryManager::init(memory);
    Registry::init(
        manager.get(memory::VERSIONS),
        manager.get(memory::CHUNKS),
        manager.get(memory::REGISTRY_META),
        manager.get(memory::CHUNK_HASHES),
        manager.get(memory::REGISTRY_INDEX),
    )
}

/// The smallest chunk size a multi-chunk upload may use.
const C: u32 = MIN_CHUNK_BYTES;
const CS: usize = C as usize;

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
    let module = gzip(&crate::tests::fleet_wasm_random("token", "1.0.0", 4 * CS));
    let info = publish(&mut registry, "1.0.0", &module, C).unwrap();
    assert_eq!(info.status, VersionStatus::Published);
    assert_eq!(info.published_at, Some(20));
    assert_eq!(info.chunk_hashes.len(), module.len().div_ceil(CS));
    assert!(info.chunk_hashes.len() > 4);
    for (index, hash) in info.chunk_hashes.iter().enumerate() {
        let bytes = &module[index * CS..((index + 1) * CS).min(module.len())];
        assert_eq!(hash.as_slice(), Sha256::digest(bytes).as_slice(), "hash of chunk {index}");
    }
    assert_eq!(registry.module_bytes(&registry.record("1.0.0").unwrap()).unwrap(), module);
    assert_eq!(registry.default_version().unwrap().version, "1.0.0");
}

#[test]
fn resent_chunk_is_accepted_once_and_upload_resumes() {
    let mut registry = registry();
    let module = fleet_wasm("token", "1.0.0", 2 * CS + 100);
    let args = begin_args("1.0.0", &module, C);
    registry.begin_upload(uploader(), 1, args.clone(), &FactoryConfig::default()).unwrap();
    let first = registry.upload_chunk(chunk("1.0.0", &module, C, 1)).unwrap();
    let again = registry.upload_chunk(chunk("1.0.0", &module, C, 1)).unwrap();
    assert_eq!(first, again);
    assert_eq!(again.received, 1);
    // A second begin with the same description resumes and reports what is missing.
    let resumed = registry.begin_upload(uploader(), 2, args, &FactoryConfig::default()).unwrap();
    assert_eq!(resumed.missing, vec![0, 2]);
    // The same index with other bytes is refused and does not replace the stored chunk.
    let mut other = chunk("1.0.0", &module, C, 1);
    other.bytes[0] ^= 0xff;
    assert!(matches!(registry.upload_chunk(other), Err(FleetError::AlreadyExists(_))));
    for i in [0, 2] {
        registry.upload_chunk(chunk("1.0.0", &module, C, i)).unwrap();
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
    let other = fleet_wasm("token", "1.1.0", CS + 500);
    let mut wrong_hash = begin_args("1.1.0", &other, C);
    wrong_hash.sha256 = vec![0; 32];
    registry.begin_upload(uploader(), 1, wrong_hash, &config).unwrap();
    registry.upload_chunk(chunk("1.1.0", &other, C, 0)).unwrap();
    assert!(
        matches!(registry.finalize("1.1.0", ContractKind::Token, 2), Err(FleetError::InvalidState(m)) if m.contains("[1]"))
    );
    registry.upload_chunk(chunk("1.1.0", &other, C, 1)).unwrap();
    assert!(matches!(registry.finalize("1.1.0", ContractKind::Token, 2), Err(FleetError::HashMismatch { .. })));
    assert_eq!(registry.get("1.1.0").unwrap().status, VersionStatus::Uploading);
    assert_eq!(registry.summary().stored_bytes, (module.len() + other.len()) as u64);
    // Wrong-length chunk and out-of-range index.
    let mut short = chunk("1.1.0", &other, C, 0);
    short.bytes.pop();
    registry.abort_upload("1.1.0").unwrap();
    assert!(matches!(registry.get("1.1.0"), Err(FleetError::NotFound(_))));
    assert_eq!(registry.summary().stored_bytes, module.len() as u64);
    registry.begin_upload(uploader(), 1, begin_args("1.1.0", &other, C), &config).unwrap();
    assert!(matches!(registry.upload_chunk(short), Err(FleetError::InvalidInput(_))));
    let mut beyond = chunk("1.1.0", &other, C, 0);
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

#[test]
fn chunking_is_refused_below_the_minimum_chunk_size_and_above_the_chunk_store_limit() {
    let mut registry = registry();
    let config = FactoryConfig { max_module_bytes: 100 * 1024 * 1024, ..FactoryConfig::default() };
    let module = fleet_wasm("token", "1.0.0", 3 * CS);
    let refused = |registry: &mut Registry<VectorMemory>, args: BeginUploadArgs, needle: &str| {
        let result = registry.begin_upload(uploader(), 1, args, &config);
        assert!(matches!(&result, Err(FleetError::InvalidInput(m)) if m.contains(needle)), "{result:?}");
    };
    // One-byte chunks: millions of chunks for a real module.
    refused(&mut registry, begin_args("1.0.0", &module, 1), "65536");
    refused(&mut registry, begin_args("1.0.0", &module, C - 1), "65536");
    refused(&mut registry, begin_args("1.0.0", &module, 0), "65536");
    refused(&mut registry, begin_args("1.0.0", &module, MAX_CHUNK_BYTES + 1), "1048576");
    // 101 chunks of the smallest size: more than a canister's chunk store holds.
    let mut too_many = begin_args("1.0.1", &module, C);
    too_many.size = 101 * u64::from(C);
    refused(&mut registry, too_many, "101 chunks");
    // Nothing was stored by any of them.
    assert_eq!(registry.summary().uploading, 0);
    assert!(matches!(registry.get("1.0.0"), Err(FleetError::NotFound(_))));

    // Exactly 100 chunks is accepted; so is a module in one chunk smaller than the minimum.
    let mut hundred = begin_args("1.0.2", &module, C);
    hundred.size = 100 * u64::from(C);
    assert_eq!(registry.begin_upload(uploader(), 1, hundred, &config).unwrap().chunk_count, MAX_CHUNKS);
    let small = fleet_wasm("token", "1.0.3", 100);
    assert_eq!(publish(&mut registry, "1.0.3", &small, 1024).unwrap().chunk_hashes.len(), 1);
}

#[test]
fn version_records_read_by_deployments_do_not_carry_chunk_hashes() {
    let mut registry = registry();
    let config = FactoryConfig { max_module_bytes: 100 * 1024 * 1024, ..FactoryConfig::default() };
    let mut args = begin_args("1.0.0", &[0; 32], C);
    args.size = 100 * u64::from(C);
    registry.begin_upload(uploader(), 1, args, &config).unwrap();
    for index in 0..100 {
        registry
            .upload_chunk(UploadChunkArgs { version: "1.0.0".into(), index, bytes: vec![index as u8; CS] })
            .unwrap();
    }
    let record = registry.record("1.0.0").unwrap();
    // 100 hashes would add over 3 KB to every read of the record.
    let bytes = ic_stable_structures::Storable::to_bytes(&record).len();
    assert!(bytes < 400, "a version record with 100 chunks encodes to {bytes} bytes");
    let info = registry.get("1.0.0").unwrap();
    assert_eq!(info.chunk_hashes.len(), 100);
    assert_eq!(info.chunk_hashes[7].as_slice(), Sha256::digest(vec![7u8; CS]).as_slice());
    assert_eq!(registry.summary().stored_bytes, 100 * u64::from(C));
}

#[test]
fn versions_written_by_the_first_layout_load_and_keep_their_hashes() {
    use ic_stable_structures::{StableBTreeMap, StableCell};
    let memory = VectorMemory::default();
    // What the first release wrote: candid records with the hashes inside, and its meta; no hash map, no index.
    let published = gzip(&crate::tests::fleet_wasm_random("token", "1.0.0", 2 * CS));
    let uploading = fleet_wasm("token", "1.1.0", CS + 10);
    let hash = |bytes: &[u8]| ByteBuf::from(Sha256::digest(bytes).to_vec());
    {
        let manager = MemoryManager::init(memory.clone());
        let mut versions: StableBTreeMap<String, LegacyBytes, _> = StableBTreeMap::init(manager.get(memory::VERSIONS));
        let mut chunks: StableBTreeMap<(u32, u32), Vec<u8>, _> = StableBTreeMap::init(manager.get(memory::CHUNKS));
        let meta = RegistryMeta { next_slot: 2, pinned_default: None };
        StableCell::init(manager.get(memory::REGISTRY_META), meta);
        let legacy = |slot: u32, version: &str, module: &[u8], status: VersionStatus, received: usize| {
            let pieces: Vec<&[u8]> = module.chunks(CS).collect();
            LegacyVersionRecord {
                slot,
                version: version.into(),
                status,
                sha256: hash(module),
                size: module.len() as u64,
                chunk_size: C,
                chunk_hashes: pieces.iter().enumerate().map(|(i, p)| (i < received).then(|| hash(p))).collect(),
                release_notes: format!("notes {version}"),
                uploader: uploader(),
                uploaded_at: 1,
                published_at: (status == VersionStatus::Published).then_some(2),
                status_reason: None,
                upgrade: UpgradeMetadata::default(),
                deployments: 3,
            }
        };
        let old = legacy(0, "1.0.0", &published, VersionStatus::Published, usize::MAX);
        for (i, piece) in published.chunks(CS).enumerate() {
            chunks.insert((0, i as u32), piece.to_vec());
        }
        versions.insert("1.0.0".into(), LegacyBytes(old.encode()));
        let open_upload = legacy(1, "1.1.0", &uploading, VersionStatus::Uploading, 1);
        chunks.insert((1, 0), uploading[..CS].to_vec());
        versions.insert("1.1.0".into(), LegacyBytes(open_upload.encode()));
    }

    let mut registry = open(memory.clone());
    let record = registry.default_version().expect("the published legacy version is the default");
    assert_eq!((record.version.as_str(), record.chunk_count(), record.deployments), ("1.0.0", 3, 3));
    assert_eq!(registry.module_bytes(&record).unwrap(), published);
    let info = registry.get("1.0.0").unwrap();
    let expected: Vec<ByteBuf> = published.chunks(CS).map(hash).collect();
    assert_eq!(info.chunk_hashes, expected);
    assert_eq!(info.release_notes, "notes 1.0.0");
    let summary = registry.summary();
    assert_eq!((summary.published, summary.uploading), (1, 1));
    assert_eq!(summary.stored_bytes, published.len() as u64 + C as u64);
    assert_eq!(registry.upload_progress("1.1.0").unwrap().missing, vec![1]);
    // The interrupted upload resumes: its first chunk again is a no-op, then the rest, then finalize.
    registry.upload_chunk(chunk("1.1.0", &uploading, C, 0)).unwrap();
    registry.upload_chunk(chunk("1.1.0", &uploading, C, 1)).unwrap();
    registry.finalize("1.1.0", ContractKind::Token, 9).unwrap();
    assert_eq!(registry.default_version().unwrap().version, "1.1.0");
    // Reopening (the next upgrade) does not migrate again, and the records are now in the new format.
    let reopened = open(memory);
    assert_eq!(reopened.get("1.0.0").unwrap(), info);
    assert_eq!(reopened.summary(), registry.summary());
    let raw = ic_stable_structures::Storable::to_bytes(&reopened.record("1.0.0").unwrap()).into_owned();
    assert!(!raw.starts_with(b"DIDL"));
}

#[test]
fn an_upload_begun_with_tiny_chunks_by_the_first_layout_cannot_be_finalized() {
    use ic_stable_structures::StableBTreeMap;
    let memory = VectorMemory::default();
    let module = fleet_wasm("token", "1.0.0", 300);
    {
        let manager = MemoryManager::init(memory.clone());
        let mut versions: StableBTreeMap<String, LegacyBytes, _> = StableBTreeMap::init(manager.get(memory::VERSIONS));
        let mut chunks: StableBTreeMap<(u32, u32), Vec<u8>, _> = StableBTreeMap::init(manager.get(memory::CHUNKS));
        let pieces: Vec<&[u8]> = module.chunks(1).collect();
        for (i, piece) in pieces.iter().enumerate() {
            chunks.insert((0, i as u32), piece.to_vec());
        }
        let record = LegacyVersionRecord {
            slot: 0,
            version: "1.0.0".into(),
            status: VersionStatus::Uploading,
            sha256: ByteBuf::from(Sha256::digest(&module).to_vec()),
            size: module.len() as u64,
            chunk_size: 1,
            chunk_hashes: pieces.iter().map(|p| Some(ByteBuf::from(Sha256::digest(p).to_vec()))).collect(),
            release_notes: String::new(),
            uploader: uploader(),
            uploaded_at: 1,
            published_at: None,
            status_reason: None,
            upgrade: UpgradeMetadata::default(),
            deployments: 0,
        };
        versions.insert("1.0.0".into(), LegacyBytes(record.encode()));
    }
    let mut registry = open(memory);
    let result = registry.finalize("1.0.0", ContractKind::Token, 2);
    assert!(matches!(&result, Err(FleetError::InvalidInput(m)) if m.contains("65536")), "{result:?}");
    assert_eq!(registry.get("1.0.0").unwrap().status, VersionStatus::Uploading);
    registry.abort_upload("1.0.0").unwrap();
    assert_eq!(registry.summary().stored_bytes, 0);
}

/// Raw bytes, to write what an older layout stored.
struct LegacyBytes(Vec<u8>);

impl ic_stable_structures::Storable for LegacyBytes {
    fn to_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.0)
    }
    fn into_bytes(self) -> Vec<u8> {
        self.0
    }
    fn from_bytes(bytes: std::borrow::Cow<[u8]>) -> Self {
        Self(bytes.into_owned())
    }
    const BOUND: ic_stable_structures::storable::Bound = ic_stable_structures::storable::Bound::Unbounded;
}
