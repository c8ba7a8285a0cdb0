//! Point 1: the `pocket_ic::PocketIc` API surface.

use crate::support::*;
use emulator::{BlobCompression, CanisterSettings, PocketIc, PocketIcBuilder, Principal, RejectCode, Time};
use std::time::Duration;

#[test]
fn builder_sets_the_initial_time_and_time_moves_forward() {
    let pic = new_pic();
    assert_eq!(pic.get_time(), Time::from_nanos_since_unix_epoch(START_TIME_NANOS));
    let probe = Probe::install(&pic);
    let (seen,): (u64,) = probe.query("time", ()).unwrap();
    assert_eq!(seen, pic.get_time().as_nanos_since_unix_epoch(), "canister sees the subnet time");

    // Rounds have moved time by a few nanoseconds (see fidelity::time_strictly_increases_...).
    let before = pic.get_time();
    pic.advance_time(Duration::from_secs(5));
    assert_eq!(pic.get_time(), before + Duration::from_secs(5));

    let later = Time::from_nanos_since_unix_epoch(START_TIME_NANOS + 3_600_000_000_000);
    pic.set_time(later);
    assert_eq!(pic.get_time(), later);
    pic.tick();
    let (seen,): (u64,) = probe.query("time", ()).unwrap();
    assert!(seen >= later.as_nanos_since_unix_epoch(), "canister time {seen} is behind the set time");
}

#[test]
fn new_and_default_builder_give_a_working_instance() {
    let pic = PocketIc::new();
    let id = pic.create_canister();
    assert!(pic.canister_exists(id));
    let pic = PocketIcBuilder::new().with_initial_timestamp(42_000_000_000).build();
    assert_eq!(pic.get_time().as_nanos_since_unix_epoch(), 42_000_000_000);
}

#[test]
fn update_and_query_calls_round_trip_raw_bytes_and_candid() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let bytes = pic.update_call(probe.id, user(1), "echo", encode((vec![1u8, 2, 3],))).unwrap();
    let (echoed,): (Vec<u8>,) = decode(&bytes);
    assert_eq!(echoed, vec![1, 2, 3]);

    let (caller,): (Principal,) = emulator::update_candid_as(&pic, probe.id, user(7), "whoami", ()).unwrap();
    assert_eq!(caller, user(7));
    let (caller,): (Principal,) = emulator::update_candid(&pic, probe.id, "whoami", ()).unwrap();
    assert_eq!(caller, Principal::anonymous(), "update_candid calls as the anonymous principal");

    probe.increment();
    let raw = pic.query_call(probe.id, user(1), "counters", encode(())).unwrap();
    let (counters,): (Counters,) = decode(&raw);
    assert_eq!(counters.stable, 1);
    let (counters,): (Counters,) = emulator::query_candid_as(&pic, probe.id, user(2), "counters", ()).unwrap();
    assert_eq!(counters.stable, 1);
}

#[test]
fn submit_call_runs_only_when_awaited_or_ticked() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let message = pic.submit_call(probe.id, user(1), "increment", encode(())).unwrap();
    let reply = pic.await_call(message).unwrap();
    let (counters,): (Counters,) = decode(&reply);
    assert_eq!(counters.stable, 1);

    let message = pic.submit_call(probe.id, user(1), "increment", encode(())).unwrap();
    for _ in 0..3 {
        pic.tick();
    }
    let status = pic.ingress_status(message.clone()).expect("a completed call has a status");
    let (counters,): (Counters,) = decode(&status.unwrap());
    assert_eq!(counters.stable, 2);
}

#[test]
fn create_canister_variants_set_controllers_and_cycles() {
    let pic = new_pic();
    let anonymous_owned = pic.create_canister();
    assert_eq!(pic.get_controllers(anonymous_owned), vec![Principal::anonymous()]);
    assert_eq!(pic.cycle_balance(anonymous_owned), 100_000_000_000_000, "pocket-ic's default 100 T");

    let settings = CanisterSettings { controllers: Some(vec![user(1), user(2)]), ..Default::default() };
    let id = pic.create_canister_with_settings(Some(user(1)), Some(settings));
    let mut controllers = pic.get_controllers(id);
    controllers.sort();
    let mut expected = vec![user(1), user(2)];
    expected.sort();
    assert_eq!(controllers, expected);

    let wanted = unused_canister_id();
    assert_eq!(pic.create_canister_with_id(None, None, wanted), Ok(wanted));
    assert!(pic.canister_exists(wanted));
    assert!(pic.create_canister_with_id(None, None, wanted).is_err(), "an id cannot be created twice");

    let fresh = pic.create_canister();
    assert!(fresh != anonymous_owned && fresh != id && fresh != wanted, "ids are distinct");
}

#[test]
fn canister_status_reports_the_module_hash_of_the_bytes_sent() {
    let pic = new_pic();
    let probe = Probe::create_empty(&pic);
    assert_eq!(probe.module_hash(), None);
    let wasm = probe_wasm();
    pic.install_canister(probe.id, wasm.clone(), no_lifecycle_arg(), Some(controller()));
    let status = pic.canister_status(probe.id, Some(controller())).unwrap();
    assert_eq!(status.module_hash, Some(sha256(&wasm)));
    assert_eq!(status.status, emulator::management_types::CanisterStatusType::Running);
    assert_eq!(status.settings.controllers, vec![controller()]);
    assert_eq!(status.cycles, candid::Nat::from(pic.cycle_balance(probe.id)));
}

#[test]
fn add_cycles_returns_the_new_balance() {
    let pic = new_pic();
    let id = pic.create_canister();
    let before = pic.cycle_balance(id);
    assert_eq!(pic.add_cycles(id, 1_234), before + 1_234);
    assert_eq!(pic.cycle_balance(id), before + 1_234);
}

#[test]
fn stable_memory_can_be_read_and_written_from_the_test() {
    let pic = new_pic();
    let source = Probe::install(&pic);
    for _ in 0..3 {
        source.increment();
    }
    let bytes = pic.get_stable_memory(source.id);
    assert!(!bytes.is_empty() && bytes.len().is_multiple_of(65536), "stable memory is whole pages: {}", bytes.len());

    let copy = Probe::install(&pic);
    pic.set_stable_memory(copy.id, bytes.clone(), BlobCompression::NoCompression);
    assert_eq!(copy.counters().stable, 3, "the copy reads the counters written by the source");

    let gz_copy = Probe::install(&pic);
    pic.set_stable_memory(gz_copy.id, gzip(&bytes), BlobCompression::Gzip);
    assert_eq!(gz_copy.counters().stable, 3);
    assert_eq!(pic.get_stable_memory(gz_copy.id), bytes);
}

#[test]
fn fetch_canister_logs_returns_debug_print_output() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let () = probe.update("log", ("first line",)).unwrap();
    let () = probe.update("log", ("second line",)).unwrap();
    let logs = pic.fetch_canister_logs(probe.id, controller()).unwrap();
    let lines: Vec<String> = logs.iter().map(|r| String::from_utf8_lossy(&r.content).into_owned()).collect();
    let first = lines.iter().position(|l| l.contains("first line")).expect("first line logged");
    let second = lines.iter().position(|l| l.contains("second line")).expect("second line logged");
    assert!(first < second, "logs are oldest first: {lines:?}");
    assert!(logs.windows(2).all(|w| w[0].idx < w[1].idx), "log indices increase");

    let denied = pic.fetch_canister_logs(probe.id, user(99)).unwrap_err();
    assert_ne!(denied.reject_code, RejectCode::SysUnknown, "a stranger is refused: {denied:?}");
}

#[test]
fn instructions_used_is_reported_per_message() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let () = probe.update("noop", ()).unwrap();
    let trivial = pic.instructions_used(probe.id);
    assert!(trivial > 0, "a message costs instructions");
    assert!(trivial < 5_000_000, "a trivial update should cost little, got {trivial}");

    let (counted,): (u64,) = probe.update("burn", (1_000_000u64,)).unwrap();
    let burnt = pic.instructions_used(probe.id);
    assert!(counted >= 1_000_000, "performance_counter(0) counts the loop: {counted}");
    assert!(burnt >= counted, "instructions_used ({burnt}) covers what the canister counted ({counted})");
}

#[test]
fn total_instructions_used_adds_up_every_message() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let start = pic.total_instructions_used(probe.id);
    let () = probe.update("noop", ()).unwrap();
    let noop = pic.instructions_used(probe.id);
    let (_,): (u64,) = probe.update("burn", (1_000_000u64,)).unwrap();
    let burn = pic.instructions_used(probe.id);
    assert_eq!(pic.total_instructions_used(probe.id) - start, noop + burn);
}
