use super::*;

fn release(kind: &str, version: &str, wasm: &[u8]) -> Release {
    Release {
        kind: kind.into(),
        version: version.into(),
        sha256: sha256_hex(wasm),
        size: wasm.len() as u64,
        schema_version: 1,
        git_revision: "0".repeat(40),
        wasm: format!("{kind}/{version}/{kind}.wasm.gz"),
        candid: format!("{kind}/{version}/{kind}.did"),
        upgrade: ReleaseUpgrade::default(),
    }
}

#[test]
fn added_releases_load_back_and_sort_by_semver() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ReleaseRegistry::new(dir.path());
    assert_eq!(registry.latest("token").unwrap(), None);
    for version in ["1.10.0", "1.2.0", "1.9.1"] {
        registry.add(release("token", version, version.as_bytes()), version.as_bytes(), "service : {}").unwrap();
    }
    registry.add(release("multisig", "1.0.0", b"m"), b"m", "service : {}").unwrap();
    let manifest = registry.manifest().unwrap();
    let order: Vec<(&str, &str)> = manifest.releases.iter().map(|r| (r.kind.as_str(), r.version.as_str())).collect();
    assert_eq!(order, [("multisig", "1.0.0"), ("token", "1.2.0"), ("token", "1.9.1"), ("token", "1.10.0")]);
    assert_eq!(registry.latest("token").unwrap().unwrap().version, "1.10.0");
    let loaded = registry.load("token", "1.9.1").unwrap();
    assert_eq!(loaded.wasm, b"1.9.1");
    assert_eq!(loaded.candid, "service : {}");
    let leftovers: Vec<_> = walk(dir.path()).into_iter().filter(|p| p.ends_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_released_version_is_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ReleaseRegistry::new(dir.path());
    registry.add(release("token", "1.0.0", b"one"), b"one", "service : {}").unwrap();
    let before = std::fs::read(registry.manifest_path()).unwrap();
    let err = registry.add(release("token", "1.0.0", b"other"), b"other", "service : {}").unwrap_err();
    assert!(matches!(err, RegistryError::AlreadyReleased { .. }), "{err}");
    assert_eq!(std::fs::read(registry.manifest_path()).unwrap(), before);
    assert_eq!(registry.load("token", "1.0.0").unwrap().wasm, b"one");
    // A folder left on disk without its manifest entry is refused too, not overwritten.
    std::fs::create_dir_all(dir.path().join("token/2.0.0")).unwrap();
    let err = registry.add(release("token", "2.0.0", b"two"), b"two", "service : {}").unwrap_err();
    assert!(err.to_string().contains("never rewritten"), "{err}");
}

#[test]
fn tampered_and_missing_artifacts_and_unknown_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ReleaseRegistry::new(dir.path());
    registry.add(release("token", "1.0.0", b"module"), b"module", "service : {}").unwrap();
    let err = registry.load("dao", "1.0.0").unwrap_err().to_string();
    assert!(err.contains("unknown kind `dao`") && err.contains("token"), "{err}");
    let err = registry.load("token", "9.9.9").unwrap_err().to_string();
    assert!(err.contains("unknown version token 9.9.9") && err.contains("1.0.0"), "{err}");

    let wasm = dir.path().join("token/1.0.0/token.wasm.gz");
    std::fs::write(&wasm, b"modulE").unwrap();
    let err = registry.load("token", "1.0.0").unwrap_err();
    assert!(matches!(err, RegistryError::Tampered { .. }) && err.to_string().contains("sha256"), "{err}");
    std::fs::write(&wasm, b"module").unwrap();
    std::fs::write(dir.path().join("token/1.0.0/token.wasm.gz.sha256"), "ab\n").unwrap();
    assert!(matches!(registry.load("token", "1.0.0").unwrap_err(), RegistryError::Tampered { .. }));
    std::fs::remove_file(&wasm).unwrap();
    let err = registry.load("token", "1.0.0").unwrap_err();
    assert!(matches!(err, RegistryError::MissingArtifact { .. }), "{err}");
}

#[test]
fn a_manifest_of_another_format_or_bad_json_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ReleaseRegistry::new(dir.path());
    std::fs::write(registry.manifest_path(), "{\"format\": 7, \"releases\": []}").unwrap();
    assert!(registry.manifest().unwrap_err().to_string().contains("format 7"));
    std::fs::write(registry.manifest_path(), "{").unwrap();
    assert!(matches!(registry.manifest().unwrap_err(), RegistryError::Manifest(_)));
}

#[test]
fn a_folder_is_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("kind/1.0.0");
    // A file name that cannot be created makes the whole folder fail, and nothing stays behind.
    let err = write_folder_atomically(&target, &[("a", b"1"), ("missing/b", b"2")]).unwrap_err();
    assert!(matches!(err, RegistryError::Io { .. }));
    assert!(!target.exists());
    assert!(walk(dir.path()).iter().all(|p| !p.ends_with(".tmp")));
    write_folder_atomically(&target, &[("a", b"1")]).unwrap();
    assert_eq!(std::fs::read(target.join("a")).unwrap(), b"1");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        out.push(path.display().to_string());
        if path.is_dir() {
            out.extend(walk(&path));
        }
    }
    out
}
