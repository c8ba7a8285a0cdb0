//! Packaging a fixed wasm (tests/data/tiny_canister.wasm, 295 hand-assembled bytes with a name section, a
//! `.debug_info` and a `producers` section) through the public API: same input, same `.wasm.gz`, same sha256 —
//! and the same sha256 as recorded here, so a dependency update that changes the output of the post-processing
//! (and would make published hashes unreproducible) fails this test instead of passing unnoticed.

use release::artifacts::{gz_path, package_canister, sha256_path};
use release::postprocess::sha256_hex;
use release::workspace::CanisterCrate;
use std::io::Read;
use std::path::{Path, PathBuf};

const TINY_WASM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tiny_canister.wasm");
const TINY_DID: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tiny_canister.did");

/// sha256 of the packaged tiny canister as a `token` contract 1.0.0. If this changes, a toolchain or
/// dependency update changed the bytes `release build` writes: check the change is intended (ic-wasm, walrus,
/// flate2/miniz_oxide) before updating this constant, and say so in the commit.
const GOLDEN_SHA256: &str = "60a71ebe3a16c4b64c3418fe527759d7ff50fce3b7aef14c979eb247b2f66b4a";

fn tiny_canister(kind: Option<&str>) -> CanisterCrate {
    CanisterCrate {
        canister: "tiny".into(),
        package: "tiny".into(),
        package_id: cargo_metadata::PackageId {
            repr: "tiny".into(),
        },
        version: "1.0.0".into(),
        manifest_path: PathBuf::from("/nowhere/Cargo.toml"),
        lib_name: "tiny".into(),
        did: PathBuf::from(TINY_DID),
        kind: kind.map(Into::into),
        schema: None,
        fixture: false,
        unknown_keys: vec![],
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn packaging_the_same_wasm_twice_gives_identical_files() {
    let first_dir = tempfile::tempdir().unwrap();
    let second_dir = tempfile::tempdir().unwrap();
    let canister = tiny_canister(Some("token"));
    let first = package_canister(&canister, Path::new(TINY_WASM), first_dir.path()).unwrap();
    let second = package_canister(&canister, Path::new(TINY_WASM), second_dir.path()).unwrap();

    assert_eq!(first.sha256, second.sha256);
    assert_eq!(
        read(&gz_path(first_dir.path(), "tiny")),
        read(&gz_path(second_dir.path(), "tiny"))
    );
    let gz = read(&first.gz_path);
    assert_eq!(sha256_hex(&gz), first.sha256);
    assert_eq!(
        String::from_utf8(read(&sha256_path(first_dir.path(), "tiny"))).unwrap(),
        format!("{}\n", first.sha256)
    );
    assert_eq!(
        first.sha256, GOLDEN_SHA256,
        "the packaged bytes changed; see the comment on GOLDEN_SHA256"
    );

    // Packaging again over existing files replaces them with the same bytes.
    let again = package_canister(&canister, Path::new(TINY_WASM), first_dir.path()).unwrap();
    assert_eq!(again.sha256, first.sha256);
    let leftovers: Vec<_> = std::fs::read_dir(first_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "only the .wasm.gz and its .sha256, no temporary files: {leftovers:?}"
    );
}

#[test]
fn packaged_module_carries_the_interface_and_loses_debug_sections() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = package_canister(
        &tiny_canister(Some("token")),
        Path::new(TINY_WASM),
        dir.path(),
    )
    .unwrap();
    assert_eq!(artifact.raw_size, read(Path::new(TINY_WASM)).len());
    // The stripped sections (about 120 bytes) more than pay for the metadata apart from the interface itself.
    let did_len = read(Path::new(TINY_DID)).len();
    assert!(
        artifact.wasm_size < artifact.raw_size + did_len,
        "{artifact:?}"
    );

    let mut wasm = Vec::new();
    flate2::read::GzDecoder::new(&read(&artifact.gz_path)[..])
        .read_to_end(&mut wasm)
        .unwrap();
    assert_eq!(wasm.len(), artifact.wasm_size);
    let contains = |needle: &[u8]| wasm.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"icp:public candid:service"));
    assert!(
        contains(read(Path::new(TINY_DID)).as_slice()),
        "the .did text is embedded verbatim"
    );
    assert!(contains(b"icp:public fleet:kind") && contains(b"token"));
    assert!(contains(b"icp:public fleet:version") && contains(b"1.0.0"));
    assert!(contains(b"hello from the data segment"), "data is kept");
    for gone in [&b"unused_helper"[..], b".debug_info", b"producers"] {
        assert!(
            !contains(gone),
            "{} must be stripped",
            String::from_utf8_lossy(gone)
        );
    }
}

#[test]
fn a_missing_did_fails_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut canister = tiny_canister(None);
    canister.did = PathBuf::from("/nowhere/api/tiny.did");
    let message = package_canister(&canister, Path::new(TINY_WASM), dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("tiny") && message.contains("/nowhere/api/tiny.did"),
        "{message}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
