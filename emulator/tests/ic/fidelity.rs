//! Point 7: behaviours found different from the replica and PocketIC by running third-party PocketIC tests
//! (issue 12, "Fidelity fixes"). Each test states the interface specification's rule it checks.

use crate::support::*;
use emulator::management_types::{
    CanisterIdRecord, CanisterInfoArgs, CanisterInfoResult, Change, ChangeDetails, ChangeOrigin, CodeDeploymentMode,
    CodeDeploymentRecord, ControllersChangeRecord, CreationRecord, FromCanisterRecord, FromUserRecord,
    LoadSnapshotRecord, SnapshotSource, UpdateSettingsArgs,
};
use emulator::{CanisterSettings, ErrorCode, Principal, RejectCode};
use std::collections::BTreeSet;
use std::time::Duration;

// ----- explicit rejects -----

/// Spec, `ic0.msg_reject`: "the call is rejected with reject code CANISTER_REJECT and the given message". The
/// replica answers an ingress call with `Completed(Reject(message))` and PocketIC turns that into
/// `RejectResponse { CanisterReject, message, CanisterRejectedMessage, certified }`: the message as given.
#[test]
fn an_explicit_reject_reaches_every_caller_verbatim_with_canister_reject() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let message = "not today: 42 is not a colour";

    let update = a.update::<_, ()>("reject", (message,)).unwrap_err();
    let query = a.query::<_, ()>("reject_query", (message,)).unwrap_err();
    let composite = a.query::<_, ()>("reject_composite", (message,)).unwrap_err();
    // A composite query that passes on the reject of the query it called.
    let relayed = a.query::<_, ()>("composite_relay", (b.id, "reject_query", encode((message,)))).unwrap_err();
    for (what, reject, certified) in [
        ("update", &update, true),
        ("query", &query, false),
        ("composite", &composite, false),
        ("relayed", &relayed, false),
    ] {
        assert_eq!(reject.reject_code, RejectCode::CanisterReject, "{what}: {reject:?}");
        assert_eq!(reject.error_code, ErrorCode::CanisterRejectedMessage, "{what}: {reject:?}");
        assert_eq!(reject.reject_message, message, "{what}: the canister's message, verbatim");
        assert_eq!(reject.certified, certified, "{what}: update responses are certified, queries are not");
    }

    // Inter-canister: reject code 4 and the callee's message as given.
    let reject = a.call(CallRequest::new(b.id, "reject", encode((message,)))).unwrap().unwrap_err();
    assert_eq!(reject, CallReject { code: 4, message: message.into() });
}

// ----- cleanup that traps -----

/// The replica (`HypervisorError::Cleanup`): when a reply/reject callback traps and its `call_on_cleanup` traps
/// too, the caller sees "{callback error}\n\ncall_on_cleanup also failed:\n\n{cleanup error}" with the error
/// code of the callback's error.
#[test]
fn a_trapping_cleanup_is_reported_after_the_trapping_callback() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let err = a.update::<_, ()>("trap_in_callback_and_cleanup", (b.id,)).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError, "{err:?}");
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap, "the callback's error code: {err:?}");
    assert_eq!(
        err.reject_message,
        format!(
            "Error from Canister {}: Canister called `ic0.trap` with message: 'trap in callback'\n\n\
             call_on_cleanup also failed:\n\n\
             Canister called `ic0.trap` with message: 'trap in cleanup'",
            a.id
        )
    );
    assert_eq!(b.counters().stable, 1, "the callee's execution is its own transaction");
}

// ----- canister history -----

fn canister_info(observer: &Probe, target: Principal, num_requested_changes: Option<u64>) -> CanisterInfoResult {
    let args = CanisterInfoArgs { canister_id: target, num_requested_changes };
    let reply = observer.call(CallRequest::new(Principal::management_canister(), "canister_info", encode((args,))));
    decode::<(CanisterInfoResult,)>(&reply.expect("ingress").expect("canister_info").bytes).0
}

fn version(probe: &Probe) -> u64 {
    probe.pic.canister_status(probe.id, Some(controller())).expect("canister_status").version
}

fn from_user(user_id: Principal) -> ChangeOrigin {
    ChangeOrigin::FromUser(FromUserRecord { user_id })
}

fn deployment(mode: CodeDeploymentMode, module_hash: Vec<u8>) -> Option<ChangeDetails> {
    Some(ChangeDetails::CodeDeployment(CodeDeploymentRecord { mode, module_hash }))
}

/// Spec, IC method `canister_info`: the history lists canister creation (with its controllers), code deployments
/// (mode and SHA-256 of the module), controller changes (the new set), code uninstallation and snapshot loads
/// (snapshot id, the version and time at which it was taken, its source), each with the system time of the
/// change, the canister version after it and its origin (a user, or a canister with the version it sent);
/// `recent_changes` holds the `num_requested_changes` most recent ones, oldest first (none when not given).
#[test]
fn canister_info_returns_the_canister_history() {
    let pic = new_pic();
    let observer = Probe::install(&pic);
    let target = Probe::create_empty(&pic);
    let created = pic.get_time().as_nanos_since_unix_epoch();
    let mut want = vec![Change {
        timestamp_nanos: created,
        canister_version: 0,
        origin: from_user(controller()),
        details: Some(ChangeDetails::Creation(CreationRecord {
            controllers: vec![controller()],
            environment_variables_hash: None,
        })),
    }];
    let mut record = |details: Option<ChangeDetails>, origin: ChangeOrigin| {
        want.push(Change {
            timestamp_nanos: pic.get_time().as_nanos_since_unix_epoch(),
            canister_version: version(&target),
            origin,
            details,
        });
    };

    let wasm = probe_wasm();
    pic.install_canister(target.id, wasm.clone(), no_lifecycle_arg(), Some(controller()));
    record(deployment(CodeDeploymentMode::Install, sha256(&wasm)), from_user(controller()));
    let v2 = probe_wasm_variant("v2");
    pic.upgrade_canister(target.id, v2.clone(), no_lifecycle_arg(), Some(controller())).unwrap();
    record(deployment(CodeDeploymentMode::Upgrade, sha256(&v2)), from_user(controller()));
    let snapshot = pic.take_canister_snapshot(target.id, Some(controller()), None).unwrap();
    let snapshot_version = version(&target);
    pic.reinstall_canister(target.id, wasm.clone(), no_lifecycle_arg(), Some(controller())).unwrap();
    record(deployment(CodeDeploymentMode::Reinstall, sha256(&wasm)), from_user(controller()));
    pic.load_canister_snapshot(target.id, Some(controller()), snapshot.id.clone()).unwrap();
    record(
        Some(ChangeDetails::LoadSnapshot(LoadSnapshotRecord {
            from_canister_id: None,
            snapshot_id: snapshot.id.clone(),
            canister_version: snapshot_version,
            taken_at_timestamp: snapshot.taken_at_timestamp,
            source: SnapshotSource::TakenFromCanister(candid::Reserved),
        })),
        from_user(controller()),
    );
    pic.set_controllers(target.id, Some(controller()), vec![controller(), observer.id]).unwrap();
    let controllers: Vec<Principal> = BTreeSet::from([controller(), observer.id]).into_iter().collect();
    record(
        Some(ChangeDetails::ControllersChange(ControllersChangeRecord { controllers: controllers.clone() })),
        from_user(controller()),
    );
    // A change made by a canister names it and the canister version it sent.
    let sender_canister_version = Some(version(&observer));
    let settings = CanisterSettings { controllers: Some(vec![observer.id, controller()]), ..Default::default() };
    let args = UpdateSettingsArgs { canister_id: target.id, settings, sender_canister_version };
    observer
        .call(CallRequest::new(Principal::management_canister(), "update_settings", encode((args,))))
        .unwrap()
        .unwrap();
    record(
        Some(ChangeDetails::ControllersChange(ControllersChangeRecord { controllers })),
        ChangeOrigin::FromCanister(FromCanisterRecord {
            canister_id: observer.id,
            canister_version: sender_canister_version,
        }),
    );
    // Settings that leave the controllers alone are no change of the history.
    let settings = CanisterSettings { freezing_threshold: Some(1_000_000u64.into()), ..Default::default() };
    pic.update_canister_settings(target.id, Some(controller()), settings).unwrap();
    pic.uninstall_canister(target.id, Some(controller())).unwrap();
    record(Some(ChangeDetails::CodeUninstall), from_user(controller()));

    let info = canister_info(&observer, target.id, Some(100));
    assert_eq!(info.total_num_changes, want.len() as u64);
    assert_eq!(info.recent_changes, want);
    assert_eq!(info.module_hash, None);
    let times: Vec<u64> = info.recent_changes.iter().map(|c| c.timestamp_nanos).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "successive changes have distinct, increasing times: {times:?}");

    let last_two = canister_info(&observer, target.id, Some(2));
    assert_eq!(last_two.recent_changes, want[want.len() - 2..].to_vec(), "the most recent ones, oldest first");
    let none = canister_info(&observer, target.id, None);
    assert!(none.recent_changes.is_empty(), "no changes unless requested");
    assert_eq!(none.total_num_changes, want.len() as u64);
}

/// Spec: "The system can drop the oldest canister changes from the list to keep its length bounded (at least 20
/// changes are guaranteed to remain in the list)"; `total_num_changes` still counts every change. The replica
/// keeps exactly 20.
#[test]
fn canister_history_keeps_the_20_most_recent_changes() {
    let pic = new_pic();
    let observer = Probe::install(&pic);
    let target = Probe::create_empty(&pic);
    for n in 1..=30u8 {
        pic.set_controllers(target.id, Some(controller()), vec![controller(), user(n)]).unwrap();
    }
    let info = canister_info(&observer, target.id, Some(1000));
    assert_eq!(info.total_num_changes, 31, "creation and 30 controller changes");
    assert_eq!(info.recent_changes.len(), 20);
    let last = info.recent_changes.last().unwrap();
    let want: Vec<Principal> = BTreeSet::from([controller(), user(30)]).into_iter().collect();
    assert_eq!(last.details, Some(ChangeDetails::ControllersChange(ControllersChangeRecord { controllers: want })));
    let first = &info.recent_changes[0];
    let want: Vec<Principal> = BTreeSet::from([controller(), user(11)]).into_iter().collect();
    assert_eq!(first.details, Some(ChangeDetails::ControllersChange(ControllersChangeRecord { controllers: want })));
}

// ----- controllers are a set -----

/// The replica keeps controllers as a set (`BTreeSet<PrincipalId>`) and returns them in its order, whatever the
/// order given; so do canister_status, canister_info, the history records and PocketIC's `get_controllers`.
#[test]
fn controllers_are_returned_sorted_whatever_the_order_given() {
    let pic = new_pic();
    let observer = Probe::install(&pic);
    let given = vec![user(9), observer.id, controller(), user(3), user(9), Principal::anonymous()];
    let sorted: Vec<Principal> = given.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
    assert_ne!(given, sorted, "the test gives them unsorted");
    let settings = CanisterSettings { controllers: Some(given.clone()), ..Default::default() };
    let id = pic.create_canister_with_settings(Some(controller()), Some(settings));
    assert_eq!(pic.get_controllers(id), sorted, "get_controllers");
    let status = pic.canister_status(id, Some(controller())).unwrap();
    assert_eq!(status.settings.controllers, sorted, "canister_status");
    let info = canister_info(&observer, id, Some(1));
    assert_eq!(info.controllers, sorted, "canister_info");
    let Some(ChangeDetails::Creation(creation)) = &info.recent_changes[0].details else { panic!("{info:?}") };
    assert_eq!(creation.controllers, sorted, "the creation record");

    let reversed: Vec<Principal> = sorted.iter().rev().copied().collect();
    pic.set_controllers(id, Some(controller()), reversed).unwrap();
    assert_eq!(pic.get_controllers(id), sorted, "after set_controllers in reverse order");
    // A canister that does not control it is refused with IC0512, which lists the set in that order.
    let stranger = Probe::install(&pic);
    let request = CallRequest::new(
        Principal::management_canister(),
        "stop_canister",
        encode((CanisterIdRecord { canister_id: id },)),
    );
    let reject = stranger.call(request).unwrap().unwrap_err();
    let listed = sorted.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" ");
    assert!(reject.message.contains(&format!("Canister's controllers: {listed}\n")), "{reject:?}");
}

// ----- time -----

/// Time strictly increases from one round to the next: the IC's block time is monotonic and PocketIC adds at
/// least 1 ns per round when nothing else moved it, so successive operations carry distinct timestamps.
#[test]
fn time_strictly_increases_from_one_round_to_the_next() {
    let pic = new_pic();
    let t0 = pic.get_time();
    pic.tick();
    let t1 = pic.get_time();
    assert!(t1 > t0, "a round moves time forward: {t0:?} then {t1:?}");
    pic.tick();
    assert!(pic.get_time() > t1);

    let probe = Probe::install(&pic);
    let () = probe.update("log", ("first",)).unwrap();
    let () = probe.update("log", ("second",)).unwrap();
    let logs = pic.fetch_canister_logs(probe.id, controller()).unwrap();
    let times: Vec<u64> =
        logs.iter().filter(|r| r.content == b"first" || r.content == b"second").map(|r| r.timestamp_nanos).collect();
    assert_eq!(times.len(), 2, "{logs:?}");
    assert!(times[0] < times[1], "two update calls run at different times: {times:?}");
    let (seen,): (u64,) = probe.query("time", ()).unwrap();
    assert_eq!(seen, pic.get_time().as_nanos_since_unix_epoch(), "a query sees the time of the last round");

    // Time that was moved explicitly is not bumped again.
    let before = pic.get_time();
    pic.advance_time(Duration::from_secs(1));
    pic.tick();
    assert_eq!(pic.get_time(), before + Duration::from_secs(1));
}
