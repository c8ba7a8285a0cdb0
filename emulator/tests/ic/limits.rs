//! Point 5: limits of an application subnet — instructions, payload sizes, cycles and freezing.

use crate::support::*;
use emulator::state::SubnetConfig;
use emulator::{ErrorCode, PocketIcBuilder, Principal, RejectCode, Time};

fn assert_instruction_limit(err: &emulator::RejectResponse) {
    assert_eq!(err.reject_code, RejectCode::CanisterError, "{err:?}");
    assert_eq!(err.error_code, ErrorCode::CanisterInstructionLimitExceeded, "{err:?}");
}

#[test]
fn a_query_over_5_billion_instructions_fails_with_ic0522() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let err = probe.query::<_, (u64,)>("burn_query", (u64::MAX,)).unwrap_err();
    assert_instruction_limit(&err);
    let (ok,): (u64,) = probe.query("burn_query", (1_000_000u64,)).unwrap();
    assert!(ok < 5_000_000_000);
}

#[test]
fn an_update_over_the_instruction_limit_fails_and_is_rolled_back() {
    // The limit is a subnet setting: the same check with a 2 B limit.
    let pic = PocketIcBuilder::new()
        .with_initial_time(Time::from_nanos_since_unix_epoch(START_TIME_NANOS))
        .with_subnet_config(SubnetConfig { update_instruction_limit: 2_000_000_000, ..Default::default() })
        .build();
    let probe = Probe::install(&pic);
    probe.increment();
    let err = probe.update::<_, (u64,)>("burn", (u64::MAX,)).unwrap_err();
    assert_instruction_limit(&err);
    assert!(err.reject_message.contains("2000000000") || err.reject_message.contains("2_000_000_000"), "{err:?}");
    assert_eq!(probe.counters().stable, 1);
    assert_eq!(probe.increment().stable, 2, "the canister keeps working");
}

#[test]
fn an_update_over_40_billion_instructions_fails_with_ic0522() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let err = probe.update::<_, (u64,)>("burn", (u64::MAX,)).unwrap_err();
    assert_instruction_limit(&err);
}

#[test]
fn an_update_just_under_the_limit_succeeds() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let (used,): (u64,) = probe.update("burn", (50_000_000u64,)).unwrap();
    assert!((50_000_000..40_000_000_000).contains(&used), "{used}");
}

#[test]
fn an_ingress_payload_over_2_mib_is_rejected() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let big = vec![7u8; 2 * 1024 * 1024 + 1];
    let err = pic.update_call(probe.id, user(1), "echo", encode((big,))).unwrap_err();
    assert!(
        err.reject_message.contains("2097152") || err.reject_message.to_lowercase().contains("too large"),
        "{err:?}"
    );
    let fits = vec![7u8; 1024 * 1024];
    let reply = pic.update_call(probe.id, user(1), "echo", encode((fits.clone(),))).unwrap();
    let (echoed,): (Vec<u8>,) = decode(&reply);
    assert_eq!(echoed, fits);
}

#[test]
fn a_canister_without_cycles_is_frozen_and_rejects_calls() {
    let pic = new_pic();
    let parent = Probe::install(&pic);
    // A child created with no cycles beyond the creation fee, controlled by the parent and the test.
    let (child,): (Result<Principal, CallReject>,) = parent.update("create_child", (0u128,)).unwrap();
    let child = child.unwrap();
    assert_eq!(pic.cycle_balance(child), 0);
    let settings = emulator::management_types::UpdateSettingsArgs {
        canister_id: child,
        settings: emulator::CanisterSettings { controllers: Some(vec![parent.id, controller()]), ..Default::default() },
        sender_canister_version: None,
    };
    parent
        .call(CallRequest::new(Principal::management_canister(), "update_settings", encode((settings,))))
        .unwrap()
        .unwrap();
    let install = |pic: &emulator::PocketIc| {
        let args = emulator::management_types::InstallCodeArgs {
            mode: emulator::CanisterInstallMode::Install,
            canister_id: child,
            wasm_module: probe_wasm(),
            arg: no_lifecycle_arg(),
            sender_canister_version: None,
        };
        emulator::update_candid_as::<_, ()>(
            pic,
            Principal::management_canister(),
            controller(),
            "install_code",
            (args,),
        )
    };
    // With no cycles, either the install itself is refused, or the installed canister rejects calls.
    let installed = match install(&pic) {
        Ok(()) => {
            let err = pic.update_call(child, user(1), "increment", encode(())).unwrap_err();
            assert_eq!(err.error_code, ErrorCode::CanisterOutOfCycles, "{err:?}");
            assert_eq!(err.reject_code, RejectCode::SysTransient);
            true
        }
        Err(err) => {
            assert!(err.reject_message.contains("cycles"), "the refusal says why: {err:?}");
            false
        }
    };
    pic.add_cycles(child, 10_000_000_000_000);
    if !installed {
        install(&pic).unwrap();
    }
    let reply = pic.update_call(child, user(1), "increment", encode(())).unwrap();
    let (counters,): (Counters,) = decode(&reply);
    assert_eq!(counters.stable, 1);
}

#[test]
fn executions_cost_cycles() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let before = pic.cycle_balance(probe.id);
    let () = probe.update("burn", (10_000_000u64,)).map(|(_,): (u64,)| ()).unwrap();
    let after = pic.cycle_balance(probe.id);
    assert!(after < before, "an update with 10 M+ instructions is charged: {before} -> {after}");
}

#[test]
fn an_upgrade_over_the_install_instruction_limit_fails_and_keeps_the_old_code() {
    // The 300 B install/upgrade limit, scaled down to 1 B so that the test stays fast.
    let pic = PocketIcBuilder::new()
        .with_initial_time(Time::from_nanos_since_unix_epoch(START_TIME_NANOS))
        .with_subnet_config(SubnetConfig { install_instruction_limit: 1_000_000_000, ..Default::default() })
        .build();
    let probe = Probe::install(&pic);
    let old_hash = probe.module_hash();
    probe.increment();
    let burn = lifecycle_arg(LifecycleArg { burn_iterations: Some(1_000_000_000), ..Default::default() });
    let err = pic.upgrade_canister(probe.id, probe_wasm_variant("v2"), burn, Some(controller())).unwrap_err();
    assert_instruction_limit(&err);
    assert_eq!(probe.module_hash(), old_hash);
    assert_eq!(probe.counters().heap, 1, "the old instance is still running");
    // Within the limit, the same upgrade goes through.
    let light = lifecycle_arg(LifecycleArg { burn_iterations: Some(1_000), ..Default::default() });
    pic.upgrade_canister(probe.id, probe_wasm_variant("v2"), light, Some(controller())).unwrap();
}

#[test]
fn an_inter_canister_payload_over_2_mib_is_refused() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let (ok,): (Result<u64, CallReject>,) = a.update("send_bytes", (b.id, 1_500_000u64)).unwrap();
    assert_eq!(ok, Ok(1_500_000), "1.5 MB fits");
    // Over the limit, the IC refuses the call: either the sending execution traps, or the call fails.
    match a.update::<_, (Result<u64, CallReject>,)>("send_bytes", (b.id, 3 * 1024 * 1024u64)) {
        Ok((Ok(n),)) => panic!("a 3 MiB request went through ({n} bytes echoed)"),
        Ok((Err(reject),)) => assert!(!reject.message.is_empty()),
        Err(err) => assert_eq!(err.reject_code, RejectCode::CanisterError, "{err:?}"),
    }
}
