//! Point 2: the ic0 system API as ic-cdk 0.19/0.20, ic-cdk-timers 1.0 and ic-stable-structures use it,
//! including the allowed-context rules.

use crate::support::*;
use emulator::{ErrorCode, Principal, RejectCode};

#[test]
fn caller_and_self_are_those_of_the_message() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let (caller,): (Principal,) = emulator::update_candid_as(&pic, a.id, user(3), "whoami", ()).unwrap();
    assert_eq!(caller, user(3));
    // An inter-canister call: the callee sees the calling canister (msg_caller) as caller.
    let reply = a.call(CallRequest::new(b.id, "whoami", encode(()))).unwrap().unwrap();
    let (caller,): (Principal,) = decode(&reply.bytes);
    assert_eq!(caller, a.id);
}

#[test]
fn stable64_grow_size_read_and_write() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let (previous,): (i64,) = probe.update("grow_scratch", (4u64,)).unwrap();
    assert_eq!(previous, 0);
    let (pages,): (u64,) = probe.query("scratch_pages", ()).unwrap();
    assert_eq!(pages, 4);
    let () = probe.update("write_scratch", (65_530u64, b"across a page boundary".to_vec())).unwrap();
    let (read,): (Vec<u8>,) = probe.query("read_scratch", (65_530u64, 22u64)).unwrap();
    assert_eq!(read, b"across a page boundary".to_vec());
    let (raw_pages,): (u64,) = probe.query("stable_pages", ()).unwrap();
    assert!(raw_pages >= 4, "raw stable memory holds the scratch region: {raw_pages} pages");
}

#[test]
fn performance_counter_counts_instructions_of_the_message() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let (small,): (u64,) = probe.update("burn", (1_000u64,)).unwrap();
    let (large,): (u64,) = probe.update("burn", (1_000_000u64,)).unwrap();
    assert!(small > 0);
    assert!(large > small + 900_000, "a 1000x longer loop counts more: {small} vs {large}");
}

#[test]
fn canister_version_increments_on_each_committed_update() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let (v0,): (u64,) = probe.query("canister_version", ()).unwrap();
    probe.increment();
    let (v1,): (u64,) = probe.query("canister_version", ()).unwrap();
    assert!(v1 > v0, "version {v0} -> {v1} after an update");
    let _ = probe.update::<_, (Counters,)>("increment_then_trap", (None::<Principal>,));
    let (v2,): (u64,) = probe.query("canister_version", ()).unwrap();
    assert_eq!(v2, v1, "a trapped update does not count");
}

#[test]
fn cycle_balance_seen_by_the_canister_matches_the_test_api() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let (seen,): (u128,) = probe.query("cycle_balance", ()).unwrap();
    assert_eq!(seen, pic.cycle_balance(probe.id));
}

#[test]
fn an_inter_canister_call_from_a_query_traps() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let err = a.query::<_, ()>("call_from_query", (b.id,)).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError, "{err:?}");
    assert_eq!(err.error_code, ErrorCode::CanisterContractViolation, "{err:?}");
    assert!(err.reject_message.contains("call_new"), "the message names the call: {}", err.reject_message);
}

#[test]
fn timers_run_through_global_timer_and_bounded_wait_self_calls() {
    // ic-cdk-timers checks the liquid balance against cost_call, then self-calls its executor with a
    // bounded wait and cleanup: the timer counter only moves if all of that works.
    let pic = new_pic();
    let probe = Probe::install(&pic);
    pic.advance_time(std::time::Duration::from_secs(11));
    for _ in 0..3 {
        pic.tick();
    }
    assert_eq!(probe.counters().timer_ticks, 1);
}
