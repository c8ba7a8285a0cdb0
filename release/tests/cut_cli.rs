//! `release cut` refuses, before building anything and without touching wasm-registry/ or migrations/, an unknown
//! kind, a `--version` that is not the crate's, and a version that is already released. (The candid, schema,
//! fixture and migration refusals are `release::cut`'s pure checks, tested in `src/cut_tests.rs`, and the upgrade
//! proof runs the same code as `tests/tests/released_versions.rs`.)
#![cfg(feature = "rehearse")]

use release::registry::ReleaseRegistry;
use release::workspace::FleetWorkspace;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(listing(&path));
        } else {
            out.push((path.clone(), std::fs::metadata(&path).unwrap().len()));
        }
    }
    out.sort();
    out
}

fn refused(args: &[&str], expected: &str) {
    let root = root();
    let before = (listing(&root.join("wasm-registry")), listing(&root.join("migrations")));
    let manifest = std::fs::read(root.join("wasm-registry/manifest.json")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_release"))
        .arg("cut")
        .args(["--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert!(!out.status.success(), "{args:?} succeeded: {stderr}");
    assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
    assert!(errors[0].contains(expected), "{args:?}: {stderr}");
    assert!(!stderr.contains("building "), "{args:?} started a build: {stderr}");
    assert_eq!((listing(&root.join("wasm-registry")), listing(&root.join("migrations"))), before);
    assert_eq!(std::fs::read(root.join("wasm-registry/manifest.json")).unwrap(), manifest);
}

#[test]
fn an_unknown_kind_and_a_version_that_is_not_the_crates_are_refused() {
    refused(&["nosuchkind"], "no canister crate declares kind `nosuchkind`");
    refused(&["token", "--version", "0.0.1"], "differs from");
}

#[test]
fn a_released_version_is_never_cut_again() {
    let workspace = FleetWorkspace::load(Some(&root().join("Cargo.toml"))).unwrap();
    let registry = ReleaseRegistry::new(root().join("wasm-registry"));
    let released = registry.manifest().unwrap().releases;
    // Every kind whose crate is still at a released version (multisig and distribution at 1.0.0 today).
    let mut checked = 0;
    for crate_ in workspace.canisters.iter().filter(|c| !c.fixture && c.kind.is_some()) {
        let kind = crate_.kind.as_deref().unwrap();
        if released.iter().any(|r| r.kind == kind && r.version == crate_.version) {
            refused(&[kind], "is not greater than the last released");
            checked += 1;
        }
    }
    assert!(checked > 0 || released.is_empty(), "no kind's crate is at a released version to check the refusal on");
}
