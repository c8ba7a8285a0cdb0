//! Auto-progress while live: rounds run in the background, time follows the wall clock and timers fire; all of
//! it stops with `stop_live`. A synchronous call not done in time is a 202. Ports: a chosen one is used, a taken one is an error from `try_make_live`.

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

#[test]
fn a_synchronous_call_not_done_in_time_is_a_202_and_then_polled_as_processing() {
    use super::support::{call_content, signed};
    use emulator::management_types::ProvisionalCreateCanisterWithCyclesArgs;
    // A subnet that executes nothing: every call stays queued.
    let config = emulator::state::SubnetConfig { max_executions_per_round: 0, ..Default::default() };
    let mut pic = emulator::PocketIcBuilder::new().with_subnet_config(config).build();
    let url = pic.make_live(None);
    let identity = ed25519(3);
    let now = pic.get_time().as_nanos_since_unix_epoch();
    let create = ProvisionalCreateCanisterWithCyclesArgs {
        amount: None,
        settings: None,
        specified_id: None,
        sender_canister_version: None,
    };
    let management = candid::Principal::management_canister();
    let anywhere = candid::Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 7, 1, 1]);
    let content = call_content(
        identity.sender().unwrap(),
        management,
        "provisional_create_canister_with_cycles",
        Encode!(&create).unwrap(),
        now,
    );
    let request_id = content.to_request_id();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let started = std::time::Instant::now();
    let (status, body) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(url.join(&format!("api/v3/canister/{anywhere}/call")).unwrap())
            .body(signed(&identity, content))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.bytes().await.unwrap())
    });
    assert_eq!((status, body.len()), (202, 0), "not done in time: 202 with no body");
    assert!(started.elapsed() >= Duration::from_secs(9), "the endpoint waited for the outcome first");
    let agent = ic_agent::Agent::builder().with_url(url.as_str()).with_identity(ed25519(3)).build().unwrap();
    runtime.block_on(agent.fetch_root_key()).unwrap();
    let (status, _) = runtime.block_on(agent.request_status_raw(&request_id, anywhere)).expect("request status");
    // Inducted by the driver's rounds (out of the ingress queue) but never executed: processing, certified.
    assert_eq!(status, ic_agent::agent::RequestStatusResponse::Processing);
    pic.stop_live();
}
