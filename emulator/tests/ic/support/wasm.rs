//! Finds (or builds) a canister's wasm for tests.
//!
//! Order: `$FLEET_WASM_DIR/<name>.wasm.gz`, then `<target>/canisters/<name>.wasm.gz` (written by
//! `cargo run -p release -- build`) unless its sources are newer, then a fresh
//! `cargo build --target wasm32-unknown-unknown --profile canister -p <package>` into the same target
//! directory, run once per process (cargo's own lock serialises concurrent test processes).
//!
//! This file is shared with the `fleet_tests` crate (included there by `#[path]`), so it depends on
//! `std` only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

/// What to load: the canister name (file name) and, to build it, its package and source directory.
pub struct CanisterCrate<'a> {
    /// `[package.metadata.fleet] canister`: the wasm file name.
    pub canister: &'a str,
    /// Cargo package name to build when no prebuilt wasm is usable.
    pub package: &'a str,
    /// The crate directory; a prebuilt wasm older than any file in it is rebuilt. `None`: trust it.
    pub source_dir: Option<&'a Path>,
}

/// The wasm bytes (gzipped or raw) of the canister. Panics with a message that says what to run
/// when the wasm can be neither found nor built: a test without its canister cannot say anything.
pub fn canister_wasm(target_dir: &Path, krate: &CanisterCrate) -> Vec<u8> {
    static CACHE: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // Held while building so that parallel tests of one process build a crate once.
    let mut cache = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(bytes) = cache.get(krate.canister) {
        return bytes.clone();
    }
    let path = locate_or_build(target_dir, krate);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    cache.insert(krate.canister.to_string(), bytes.clone());
    bytes
}

fn locate_or_build(target_dir: &Path, krate: &CanisterCrate) -> PathBuf {
    let file = format!("{}.wasm.gz", krate.canister);
    if let Some(dir) = std::env::var_os("FLEET_WASM_DIR") {
        let path = Path::new(&dir).join(&file);
        if path.is_file() {
            return path;
        }
        panic!("FLEET_WASM_DIR is set but {} does not exist", path.display());
    }
    let released = target_dir.join("canisters").join(&file);
    if released.is_file() && !is_stale(&released, krate.source_dir) {
        return released;
    }
    build(target_dir, krate.package)
}

fn build(target_dir: &Path, package: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().find(|dir| is_workspace_root(dir));
    let mut command = Command::new(cargo);
    command
        .args(["build", "--target", "wasm32-unknown-unknown", "--profile", "canister", "-p", package])
        .arg("--target-dir")
        .arg(target_dir);
    if let Some(root) = workspace {
        command.current_dir(root);
    }
    let status = command.status().unwrap_or_else(|e| panic!("cannot run cargo to build {package}: {e}"));
    assert!(status.success(), "building {package} for wasm32-unknown-unknown failed ({status})");
    let lib_name = package.replace('-', "_");
    let path = target_dir.join("wasm32-unknown-unknown").join("canister").join(format!("{lib_name}.wasm"));
    assert!(path.is_file(), "cargo built {package} but {} is missing", path.display());
    path
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|text| text.contains("[workspace]"))
}

fn is_stale(artifact: &Path, source_dir: Option<&Path>) -> bool {
    let Some(source_dir) = source_dir else {
        return false;
    };
    let built = modified(artifact).unwrap_or(SystemTime::UNIX_EPOCH);
    newest_modification(source_dir).is_some_and(|newest| newest > built)
}

fn newest_modification(dir: &Path) -> Option<SystemTime> {
    let mut newest = modified(dir);
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() { newest_modification(&path) } else { modified(&path) };
        newest = newest.max(time);
    }
    newest
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The workspace target directory: `CARGO_TARGET_DIR` when set at run time, else the parent of
/// `CARGO_TARGET_TMPDIR` (`<target>/tmp`, known to integration tests), else `<workspace>/target`.
pub fn target_dir(cargo_target_tmpdir: Option<&str>) -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| is_workspace_root(dir))
        .unwrap_or(Path::new(env!("CARGO_MANIFEST_DIR")))
        .to_path_buf();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return workspace.join(dir);
    }
    match cargo_target_tmpdir.and_then(|tmp| Path::new(tmp).parent()) {
        Some(dir) => dir.to_path_buf(),
        None => workspace.join("target"),
    }
}
