//! "wasm compiled once per module hash": the process-wide cache, checked in a process of its own so that
//! no other test compiles modules at the same time.

#[allow(dead_code)] // the support module serves the main suite; this file uses a part of it
#[path = "ic/support/mod.rs"]
mod support;

use support::*;

#[test]
fn a_module_is_compiled_once_per_hash() {
    let pic = new_pic();
    let before = emulator::wasm::compiled_module_count();
    let first = Probe::install(&pic);
    let compiled_once = emulator::wasm::compiled_module_count();
    assert_eq!(compiled_once, before + 1, "installing the probe compiles it");

    for _ in 0..3 {
        Probe::install(&pic);
    }
    pic.reinstall_canister(first.id, probe_wasm(), no_lifecycle_arg(), Some(controller())).unwrap();
    let other = new_pic();
    Probe::install(&other);
    assert_eq!(emulator::wasm::compiled_module_count(), compiled_once, "same hash, no new compile");

    pic.upgrade_canister(first.id, probe_wasm_variant("other hash"), no_lifecycle_arg(), Some(controller())).unwrap();
    assert_eq!(emulator::wasm::compiled_module_count(), compiled_once + 1, "a new hash compiles once");
}
