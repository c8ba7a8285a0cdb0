//! Point 3: execution semantics — atomic messages, calls and callbacks, cleanup, FIFO, starvation,
//! best-effort timeouts, self-calls, cycles, stopping, query rollback and determinism.

use crate::support::*;
use emulator::management_types::{CanisterIdRecord, CanisterStatusType};
use emulator::{ErrorCode, Principal, RawEffectivePrincipal, RejectCode};
use std::time::Duration;

#[test]
fn a_trap_in_an_update_rolls_back_heap_stable_memory_timer_and_calls() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let err = a.update::<_, (Counters,)>("increment_then_trap", (Some(b.id),)).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap, "{err:?}");
    assert!(err.reject_message.contains("increment_then_trap: trapping after the writes"), "{}", err.reject_message);

    assert_eq!(a.counters(), Counters::default(), "heap and stable counters rolled back");
    let (remembered,): (Vec<u32>,) = a.query("remembered", ()).unwrap();
    assert!(remembered.is_empty(), "heap vector rolled back: {remembered:?}");
    pic.advance_time(Duration::from_secs(1));
    ticks(&pic, 5);
    assert_eq!(a.counters().timer_ticks, 0, "the zero-delay timer set before the trap never fires");
    assert_eq!(b.counters().stable, 0, "the call made before the trap was never sent");
    // The canister still works after the trap.
    assert_eq!(a.increment().stable, 1);
}

#[test]
fn a_trap_in_a_callback_rolls_back_only_the_callback_and_runs_cleanup() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let err = a.update::<_, ()>("call_then_trap_in_callback", (b.id,)).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap, "{err:?}");
    assert!(err.reject_message.contains("trapping in the callback"), "{}", err.reject_message);

    let counters = a.counters();
    assert_eq!(counters.stable, 1, "the execution before the await committed");
    assert_eq!(counters.callbacks, 0, "the trapping callback's write is rolled back");
    assert_eq!(counters.cleanups, 1, "cleanup ran once and its write is kept");
    assert_eq!(b.counters().stable, 1, "the callee's execution is its own transaction");
}

#[test]
fn calls_between_two_canisters_arrive_in_the_order_they_were_sent() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let () = a.update("send_sequence", (b.id, 50u32)).unwrap();
    ticks(&pic, 5);
    let (remembered,): (Vec<u32>,) = b.query("remembered", ()).unwrap();
    assert_eq!(remembered, (0..50).collect::<Vec<u32>>());
}

#[test]
fn a_method_that_never_replies_is_rejected_with_did_not_reply() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let err = probe.update::<_, ()>("no_reply", ()).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterDidNotReply, "{err:?}");
}

#[test]
fn an_explicit_reject_reaches_the_caller_with_code_4() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let err = a.update::<_, ()>("reject", ("not today",)).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterReject);
    assert_eq!(err.error_code, ErrorCode::CanisterRejectedMessage);
    assert!(err.reject_message.contains("not today"), "{}", err.reject_message);

    let reject = a.call(CallRequest::new(b.id, "reject", encode(("from b",)))).unwrap().unwrap_err();
    assert_eq!(reject, CallReject { code: 4, message: "from b".into() });
}

#[test]
fn inter_canister_calls_report_the_ic_reject_codes() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let missing = a.call(CallRequest::new(b.id, "no_such_method", encode(()))).unwrap().unwrap_err();
    assert_eq!(missing.code, 5, "missing method: {missing:?}");
    let trapped = a.call(CallRequest::new(b.id, "increment_then_trap", encode((None::<Principal>,)))).unwrap();
    let trapped = trapped.unwrap_err();
    assert_eq!(trapped.code, 5, "callee trap: {trapped:?}");
    assert!(trapped.message.contains("increment_then_trap"), "{trapped:?}");
    let nowhere = Principal::from_text("2vxsx-fae").unwrap(); // anonymous: never a canister
    let unknown = a.call(CallRequest::new(nowhere, "increment", encode(()))).unwrap().unwrap_err();
    assert_eq!(unknown.code, 3, "unknown destination: {unknown:?}");
    assert_eq!(a.counters().callbacks, 3, "every call ran exactly one callback");
}

#[test]
fn ping_pong_bounces_between_two_canisters() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let (hops,): (u32,) = a.update("ping", (b.id, 20u32)).unwrap();
    assert_eq!(hops, 20);
}

#[test]
fn self_calls_are_executed_as_separate_messages() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let (result,): (Result<Counters, CallReject>,) = probe.update("self_calls", (5u32,)).unwrap();
    let counters = result.unwrap();
    assert_eq!(counters.stable, 5);
    assert_eq!(counters.heap, 5);
}

#[test]
fn attached_cycles_are_accepted_by_the_callee_and_the_rest_refunded() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let (a_before, b_before) = (pic.cycle_balance(a.id), pic.cycle_balance(b.id));
    let attached: u128 = 1_000_000_000_000;
    let accept: u128 = 400_000_000_000;
    let mut request = CallRequest::new(b.id, "accept_cycles", encode((accept,)));
    request.cycles = attached;
    let reply = a.call(request).unwrap().unwrap();
    let (accepted,): (u128,) = decode(&reply.bytes);
    assert_eq!(accepted, accept);
    assert_eq!(reply.refunded, attached - accept, "the unaccepted cycles come back");

    let fees_tolerance: u128 = 10_000_000_000;
    let b_gain = pic.cycle_balance(b.id) as i128 - b_before as i128;
    assert!(b_gain <= accept as i128 && b_gain >= (accept - fees_tolerance) as i128, "callee gained {b_gain}");
    let a_loss = a_before as i128 - pic.cycle_balance(a.id) as i128;
    assert!(a_loss >= accept as i128 && a_loss <= (accept + fees_tolerance) as i128, "caller lost {a_loss}");
}

#[test]
fn queries_see_their_own_writes_but_the_changes_are_discarded() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let (inside,): (Counters,) = a.query("query_increment", ()).unwrap();
    assert_eq!((inside.heap, inside.stable), (1, 1));
    assert_eq!(a.counters(), Counters::default());
    let (again,): (Counters,) = a.query("query_increment", ()).unwrap();
    assert_eq!((again.heap, again.stable), (1, 1), "the previous query left nothing behind");

    // A query method called as an update (replicated) or by a canister still discards its changes.
    let (as_update,): (Counters,) = a.update("query_increment", ()).unwrap();
    assert_eq!(as_update.stable, 1);
    let reply = b.call(CallRequest::new(a.id, "query_increment", encode(()))).unwrap().unwrap();
    let (from_canister,): (Counters,) = decode(&reply.bytes);
    assert_eq!(from_canister.stable, 1);
    assert_eq!(a.counters(), Counters::default());
}

#[test]
fn a_bounded_wait_call_times_out_with_sys_unknown_when_time_passes_its_deadline() {
    let pic = stepping_pic(1);
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let c = Probe::install(&pic);
    // A -> B.ping(C, 40): forty hops, one execution per round, while A waits at most one second.
    let mut request = CallRequest::new(b.id, "ping", encode((c.id, 40u32)));
    request.timeout_seconds = Some(1);
    let message = pic.submit_call(a.id, user(1), "call_and_report", encode((request,))).unwrap();
    ticks(&pic, 2);
    pic.advance_time(Duration::from_secs(5));
    let reply = pic.await_call(message).unwrap();
    let (result,): (Result<CallReply, CallReject>,) = decode(&reply);
    let reject = result.unwrap_err();
    assert_eq!(reject.code, 6, "deadline expired is SYS_UNKNOWN: {reject:?}");
    ticks(&pic, 100);
    assert_eq!(a.counters().callbacks, 1, "the late reply is dropped, not delivered a second time");
}

#[test]
fn stop_waits_for_outstanding_calls_and_a_stopping_canister_rejects_new_calls() {
    let pic = stepping_pic(1);
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let c = Probe::install(&pic);
    // A has a call outstanding to B, which takes 30 hops to answer.
    let request = CallRequest::new(b.id, "ping", encode((c.id, 30u32)));
    let call = pic.submit_call(a.id, user(1), "call_and_report", encode((request,))).unwrap();
    ticks(&pic, 2);

    let stop = pic
        .submit_call_with_effective_principal(
            Principal::management_canister(),
            RawEffectivePrincipal::CanisterId(a.id.as_slice().to_vec()),
            controller(),
            "stop_canister",
            encode((CanisterIdRecord { canister_id: a.id },)),
        )
        .unwrap();
    ticks(&pic, 2);
    let status = pic.canister_status(a.id, Some(controller())).unwrap().status;
    assert_eq!(status, CanisterStatusType::Stopping, "A still has an open call context");
    let err = pic.update_call(a.id, user(1), "increment", encode(())).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterStopping, "{err:?}");

    pic.await_call(stop).expect("stop_canister replies once A is stopped");
    assert_eq!(pic.canister_status(a.id, Some(controller())).unwrap().status, CanisterStatusType::Stopped);
    let reply = pic.await_call(call).expect("the outstanding call completed, it was not cut off");
    let (result,): (Result<CallReply, CallReject>,) = decode(&reply);
    let (hops,): (u32,) = decode(&result.expect("B answered").bytes);
    assert_eq!(hops, 30);

    let err = pic.update_call(a.id, user(1), "increment", encode(())).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterStopped, "{err:?}");
    pic.start_canister(a.id, Some(controller())).unwrap();
    assert_eq!(a.counters().callbacks, 1, "A's callback ran before it stopped");
}

#[test]
fn starting_a_stopping_canister_cancels_the_pending_stop() {
    let pic = stepping_pic(1);
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    // A waits on B, which pings itself thirty times before answering.
    let request = CallRequest::new(b.id, "ping", encode((b.id, 30u32)));
    let _call = pic.submit_call(a.id, user(1), "call_and_report", encode((request,))).unwrap();
    ticks(&pic, 2);
    let stop = pic
        .submit_call_with_effective_principal(
            Principal::management_canister(),
            RawEffectivePrincipal::CanisterId(a.id.as_slice().to_vec()),
            controller(),
            "stop_canister",
            encode((CanisterIdRecord { canister_id: a.id },)),
        )
        .unwrap();
    ticks(&pic, 2);
    pic.start_canister(a.id, Some(controller())).unwrap();
    let err = pic.await_call(stop).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterStoppingCancelled, "{err:?}");
    assert_eq!(pic.canister_status(a.id, Some(controller())).unwrap().status, CanisterStatusType::Running);
}

/// Everything a short scenario can observe; two fresh instances must produce the same.
fn scenario() -> (Vec<Principal>, Vec<Vec<u8>>, u32, Counters) {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let (child,): (Result<Principal, CallReject>,) = a.update("create_child", (1_000_000_000_000u128,)).unwrap();
    let mut random = Vec::new();
    for _ in 0..2 {
        let (bytes,): (Result<Vec<u8>, CallReject>,) = a.update("random", ()).unwrap();
        random.push(bytes.unwrap());
    }
    let (hops,): (u32,) = a.update("ping", (b.id, 7u32)).unwrap();
    (vec![a.id, b.id, child.unwrap()], random, hops, a.counters())
}

#[test]
fn the_same_inputs_give_the_same_results() {
    let first = scenario();
    let second = scenario();
    assert_eq!(first, second);
    let random = &first.1;
    assert_eq!(random[0].len(), 32);
    assert_ne!(random[0], random[1], "raw_rand gives fresh bytes each call");
}
