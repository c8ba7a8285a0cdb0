//! Install, upgrade, reinstall and uninstall semantics (points 3 and 4): what each mode keeps, wipes
//! and reverts, and timers across upgrades.

use crate::support::*;
use emulator::management_types::{InstallCodeArgs, UpgradeFlags};
use emulator::{CanisterInstallMode, ErrorCode, PocketIc, Principal, RejectCode, RejectResponse};
use std::time::Duration;

/// `install_code` sent to the management canister as the controller (pocket-ic's `install_canister`
/// panics on failure; these tests need the reject).
fn install_code(
    pic: &PocketIc,
    id: Principal,
    mode: CanisterInstallMode,
    wasm: Vec<u8>,
    arg: Vec<u8>,
) -> Result<(), RejectResponse> {
    let args = InstallCodeArgs { mode, canister_id: id, wasm_module: wasm, arg, sender_canister_version: None };
    emulator::update_candid_as(pic, Principal::management_canister(), controller(), "install_code", (args,))
}

fn upgrade_mode(skip_pre_upgrade: bool) -> CanisterInstallMode {
    CanisterInstallMode::Upgrade(Some(UpgradeFlags {
        skip_pre_upgrade: Some(skip_pre_upgrade),
        wasm_memory_persistence: None,
    }))
}

fn trap_with(message: &str) -> Vec<u8> {
    lifecycle_arg(LifecycleArg { trap_with: Some(message.into()), ..Default::default() })
}

#[test]
fn upgrade_keeps_stable_memory_and_resets_the_heap() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    for _ in 0..3 {
        probe.increment();
    }
    let v2 = probe_wasm_variant("v2");
    pic.upgrade_canister(probe.id, v2.clone(), no_lifecycle_arg(), Some(controller())).unwrap();
    let counters = probe.counters();
    assert_eq!(counters.stable, 3, "stable memory survives the upgrade");
    assert_eq!(counters.heap, 0, "the heap is fresh after an upgrade");
    assert_eq!(probe.module_hash(), Some(sha256(&v2)));
}

#[test]
fn reinstall_wipes_stable_memory() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    probe.increment();
    probe.increment();
    pic.reinstall_canister(probe.id, probe_wasm(), no_lifecycle_arg(), Some(controller())).unwrap();
    assert_eq!(probe.counters(), Counters::default());
    let (pages,): (u64,) = probe.query("stable_pages", ()).unwrap();
    assert_eq!(pages, 0, "reinstall starts from empty stable memory");
}

#[test]
fn timers_fire_through_tick_and_are_rearmed_after_upgrade() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    pic.advance_time(Duration::from_secs(5));
    pic.tick();
    assert_eq!(probe.counters().timer_ticks, 0, "not due yet");
    pic.advance_time(Duration::from_secs(6));
    for _ in 0..3 {
        pic.tick();
    }
    assert_eq!(probe.counters().timer_ticks, 1, "due after 10 s, fired by tick");

    pic.upgrade_canister(probe.id, probe_wasm_variant("v2"), no_lifecycle_arg(), Some(controller())).unwrap();
    assert_eq!(probe.counters().timer_ticks, 1, "the count is in stable memory");
    pic.advance_time(Duration::from_secs(11));
    for _ in 0..3 {
        pic.tick();
    }
    assert_eq!(probe.counters().timer_ticks, 2, "post_upgrade armed the timer again");
}

#[test]
fn a_trap_in_pre_upgrade_fails_the_upgrade_and_leaves_the_old_code_running() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let old_hash = probe.module_hash();
    probe.increment();
    let () = probe.update("set_trap_in_pre_upgrade", (true,)).unwrap();

    let err =
        pic.upgrade_canister(probe.id, probe_wasm_variant("v2"), no_lifecycle_arg(), Some(controller())).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap, "{err:?}");
    assert!(err.reject_message.contains("pre_upgrade trapped on request"), "{}", err.reject_message);

    assert_eq!(probe.module_hash(), old_hash, "the old module is still installed");
    let counters = probe.counters();
    assert_eq!((counters.heap, counters.stable), (1, 1), "the old instance, heap included, is still running");

    // skip_pre_upgrade gets past the trapping hook.
    let v3 = probe_wasm_variant("v3");
    install_code(&pic, probe.id, upgrade_mode(true), v3.clone(), no_lifecycle_arg()).unwrap();
    assert_eq!(probe.module_hash(), Some(sha256(&v3)));
    assert_eq!(probe.counters().stable, 1);
}

#[test]
fn a_trap_in_post_upgrade_reverts_the_whole_upgrade() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let old_hash = probe.module_hash();
    probe.increment();
    let err = install_code(&pic, probe.id, upgrade_mode(false), probe_wasm_variant("v2"), trap_with("no thanks"))
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap, "{err:?}");
    assert!(err.reject_message.contains("no thanks"), "{}", err.reject_message);
    assert_eq!(probe.module_hash(), old_hash);
    assert_eq!(probe.counters().heap, 1, "the pre-upgrade heap is back");
}

#[test]
fn a_trap_in_init_leaves_the_canister_empty() {
    let pic = new_pic();
    let probe = Probe::create_empty(&pic);
    let err = install_code(&pic, probe.id, CanisterInstallMode::Install, probe_wasm(), trap_with("init refused"))
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap, "{err:?}");
    assert_eq!(probe.module_hash(), None);
    let err = pic.update_call(probe.id, user(1), "increment", encode(())).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterWasmModuleNotFound, "{err:?}");
    // And it can still be installed properly.
    install_code(&pic, probe.id, CanisterInstallMode::Install, probe_wasm(), no_lifecycle_arg()).unwrap();
    assert_eq!(probe.increment().stable, 1);
}

#[test]
fn install_on_a_non_empty_canister_is_refused() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    probe.increment();
    let err = install_code(&pic, probe.id, CanisterInstallMode::Install, probe_wasm(), no_lifecycle_arg()).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError, "{err:?}");
    assert!(matches!(err.error_code, ErrorCode::CanisterNonEmpty | ErrorCode::CanisterAlreadyInstalled), "{err:?}");
    assert_eq!(probe.counters().stable, 1, "nothing changed");
}

#[test]
fn uninstall_empties_the_canister_and_keeps_its_cycles_and_controllers() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    probe.increment();
    let cycles = pic.cycle_balance(probe.id);
    pic.uninstall_canister(probe.id, Some(controller())).unwrap();
    assert_eq!(probe.module_hash(), None);
    assert_eq!(pic.get_controllers(probe.id), vec![controller()]);
    assert!(pic.cycle_balance(probe.id) > cycles - 1_000_000_000, "cycles are kept");
    let err = pic.update_call(probe.id, user(1), "increment", encode(())).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterWasmModuleNotFound, "{err:?}");
    assert!(pic.get_stable_memory(probe.id).is_empty(), "stable memory is cleared");

    install_code(&pic, probe.id, CanisterInstallMode::Install, probe_wasm(), no_lifecycle_arg()).unwrap();
    assert_eq!(probe.counters(), Counters::default());
}

#[test]
fn uninstall_rejects_calls_waiting_on_the_canister() {
    let pic = stepping_pic(1);
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    // A waits on B (thirty self-pings); uninstalling A answers the ingress call with a reject.
    let request = CallRequest::new(b.id, "ping", encode((b.id, 30u32)));
    let message = pic.submit_call(a.id, user(1), "call_and_report", encode((request,))).unwrap();
    ticks(&pic, 2);
    pic.uninstall_canister(a.id, Some(controller())).unwrap();
    let err = pic.await_call(message).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterReject, "{err:?}");
    ticks(&pic, 100);
    assert_eq!(a.module_hash(), None, "B's late reply runs no callback on the empty canister");
}
