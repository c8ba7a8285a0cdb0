//! Canister modules for tests: `$FLEET_WASM_DIR/<name>.wasm.gz`, else `<target>/canisters/<name>.wasm.gz`
//! (written by `cargo run -p release -- build`), else a `cargo build --profile canister` of the package of
//! that name. The loader is the emulator tests' own (one implementation, std only).

#[path = "../../emulator/tests/ic/support/wasm.rs"]
mod loader;

use std::path::Path;

/// The module of the fleet canister `canister` (its `[package.metadata.fleet] canister` name, which is
/// also its package name). Panics with what to run when it can be neither found nor built.
pub fn canister_wasm(canister: &str) -> Vec<u8> {
    let krate = loader::CanisterCrate { canister, package: canister, source_dir: None };
    loader::canister_wasm(&loader::target_dir(None), &krate)
}

/// The emulator's `probe` test fixture (emulator/fixtures/probe), rebuilt when its sources changed.
pub fn probe_wasm() -> Vec<u8> {
    let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../emulator/fixtures/probe");
    let krate = loader::CanisterCrate { canister: "probe", package: "probe", source_dir: Some(&source_dir) };
    loader::canister_wasm(&loader::target_dir(None), &krate)
}
