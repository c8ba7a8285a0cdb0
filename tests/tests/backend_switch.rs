//! Uses only the surface shared by the emulator and pocket-ic (`fleet_tests::ic`), so this file compiles
//! against both: `cargo test -p fleet_tests` runs it on the emulator, and
//! `cargo check -p fleet_tests --features pocket-ic --tests` proves it builds against PocketIC.

use candid::{CandidType, Deserialize};
use fleet_tests::ic::{self, CanisterSettings, ErrorCode, Principal, RejectCode};
use fleet_tests::wasm::probe_wasm;

#[derive(CandidType, Deserialize, Debug, Default, PartialEq, Eq)]
struct Counters {
    heap: u64,
    stable: u64,
    timer_ticks: u64,
    callbacks: u64,
    cleanups: u64,
}

#[derive(CandidType)]
struct LifecycleArg {
    trap_with: Option<String>,
    timer_period_seconds: Option<u64>,
}

fn no_arg() -> Vec<u8> {
    candid::encode_one(None::<LifecycleArg>).expect("encode init arg")
}

#[test]
fn the_same_source_installs_calls_upgrades_and_stops_a_canister() {
    let pic = ic::new_instance();
    let owner = Principal::self_authenticating(b"owner");
    let settings = CanisterSettings { controllers: Some(vec![owner]), ..Default::default() };
    let id = pic.create_canister_with_settings(Some(owner), Some(settings));
    pic.install_canister(id, probe_wasm(), no_arg(), Some(owner));

    let (counters,): (Counters,) = ic::update_candid(&pic, id, "increment", ()).expect("increment");
    assert_eq!((counters.heap, counters.stable), (1, 1));

    pic.upgrade_canister(id, probe_wasm(), no_arg(), Some(owner)).expect("upgrade");
    let (counters,): (Counters,) = ic::query_candid(&pic, id, "counters", ()).expect("counters");
    assert_eq!((counters.heap, counters.stable), (0, 1), "{}: stable memory kept, heap reset", ic::BACKEND);

    let err = pic.stop_canister(id, Some(Principal::anonymous())).expect_err("anonymous is not a controller");
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidController);
    pic.stop_canister(id, Some(owner)).expect("stop");
    let err = ic::update_candid::<_, (Counters,)>(&pic, id, "increment", ()).expect_err("stopped");
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterStopped);
}
