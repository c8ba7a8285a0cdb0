//! Auto-progress while live: rounds run in the background, time follows the wall clock and timers fire; all of
//! it stops with `stop_live`. Ports: a chosen one is used, a taken one is an error from `try_make_live`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use candid::{CandidType, Deserialize, Encode};
use ic_agent::Identity;

use super::support::{ed25519, probe_wasm, LiveIc};

#[derive(CandidType, Deserialize)]
struct LifecycleArg {
    trap_with: Option<String>,
    timer_period_seconds: Option<u64>,
    burn_iterations: Option<u64>,
}

#[derive(CandidType, Deserialize)]
struct Counters {
    heap: u64,
    stable: u64,
    timer_ticks: u64,
    callbacks: u64,
    cleanups: u64,
}

fn wall_clock_nanos() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

#[test]
fn rounds_run_and_timers_fire_while_live_and_stop_with_stop_live() {
    let controller = ed25519(1).sender().unwrap();
    let mut live = LiveIc::start(controller);
    assert!(live.pic.auto_progress_enabled());
    assert_eq!(live.pic.url(), Some(live.url.clone()));
    // Installed in-process while live: the same emulated IC.
    let ticker = live.pic.create_canister();
    let arg = LifecycleArg { trap_with: None, timer_period_seconds: Some(1), burn_iterations: None };
    live.pic.install_canister(ticker, probe_wasm(), Encode!(&Some(arg)).unwrap(), None);
    let started = live.pic.get_time().as_nanos_since_unix_epoch();
    assert!(started.abs_diff(wall_clock_nanos()) < 2_000_000_000, "live time is the wall clock's");

    std::thread::sleep(Duration::from_millis(2_600));
    let (counters,): (Counters,) = emulator::query_candid(&live.pic, ticker, "counters", ()).unwrap();
    assert!(counters.timer_ticks >= 1, "a 1 s timer fired without any tick() from the test");
    let now = live.pic.get_time().as_nanos_since_unix_epoch();
    assert!(now >= started + 2_000_000_000, "time moved with the wall clock: {} ns", now - started);

    live.pic.stop_live();
    assert!(!live.pic.auto_progress_enabled());
    assert_eq!(live.pic.url(), None);
    let stopped = live.pic.get_time();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(live.pic.get_time(), stopped, "no rounds after stop_live");
    let refused = live.block_on(reqwest::Client::new().get(live.url.join("api/v2/status").unwrap()).send());
    assert!(refused.is_err(), "nothing listens any more: {refused:?}");
    live.pic.stop_live(); // a second stop is a no-op
}

#[test]
fn a_chosen_port_is_used_and_a_taken_one_is_an_error() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut pic = emulator::PocketIc::new();
    let url = pic.make_live(Some(free));
    assert_eq!(url.port(), Some(free));
    assert_eq!(pic.make_live(None), url, "already live: the same URL");
    let mut other = emulator::PocketIc::new();
    let taken = other.try_make_live(Some(free)).unwrap_err();
    assert!(taken.contains(&format!("127.0.0.1:{free}")), "{taken}");
    assert!(!other.auto_progress_enabled());
    drop(pic); // dropping a live PocketIc stops its server
    let again = other.try_make_live(Some(free)).expect("the port is free again after the drop");
    assert_eq!(again.port(), Some(free));
}
