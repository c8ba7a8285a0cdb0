//! Emulator throughput, printed (not a timed test): `cargo bench -p emulator --bench throughput`.
//!
//! - trivial update calls per second (ingress `noop` on the probe fixture);
//! - inter-canister ping-pong calls per second (each hop is a call and its reply);
//! - time to upgrade a canister holding 1 GiB of stable memory, next to a canister holding almost none
//!   (the goal: the same, since untouched stable memory costs nothing);
//! - instructions per trivial update (`instructions_used`, from wasmtime fuel).
//!
//! Goal on a 2-core machine: >= 5,000 trivial updates/s.

#[path = "../tests/ic/support/wasm.rs"]
mod wasm;

use candid::{encode_args, CandidType, Principal};
use emulator::{CanisterSettings, PocketIc};
use std::path::Path;
use std::time::{Duration, Instant};

const TRIVIAL_UPDATES: u32 = 20_000;
const PING_HOPS: u32 = 2_000;
const ONE_GIB_IN_PAGES: u64 = 16_384;

#[derive(CandidType)]
struct LifecycleArg {
    trap_with: Option<String>,
    timer_period_seconds: Option<u64>,
}

fn probe_wasm() -> Vec<u8> {
    let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("probe");
    let krate = wasm::CanisterCrate { canister: "probe", package: "probe", source_dir: Some(&source_dir) };
    wasm::canister_wasm(&wasm::target_dir(Some(env!("CARGO_TARGET_TMPDIR"))), &krate)
}

/// The probe with an extra custom section: same code, another module hash (an "upgrade" target).
fn variant(wasm: &[u8], tag: u8) -> Vec<u8> {
    let mut module = if wasm.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(wasm), &mut out).expect("gunzip");
        out
    } else {
        wasm.to_vec()
    };
    // custom section: id 0, size 3, name length 1, name "v", payload [tag]
    module.extend_from_slice(&[0, 3, 1, b'v', tag]);
    module
}

fn no_arg() -> Vec<u8> {
    encode_args((None::<LifecycleArg>,)).expect("encode")
}

fn install(pic: &PocketIc, wasm: &[u8], controller: Principal) -> Principal {
    let settings = CanisterSettings { controllers: Some(vec![controller]), ..Default::default() };
    let id = pic.create_canister_with_settings(Some(controller), Some(settings));
    pic.install_canister(id, wasm.to_vec(), no_arg(), Some(controller));
    id
}

fn per_second(count: u32, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn main() {
    let wasm = probe_wasm();
    let controller = Principal::self_authenticating(b"bench");
    let user = Principal::self_authenticating(b"user");
    let pic = PocketIc::new();

    let started = Instant::now();
    let a = install(&pic, &wasm, controller);
    println!("first install (includes compiling the module): {:?}", started.elapsed());
    let started = Instant::now();
    let b = install(&pic, &wasm, controller);
    println!("second install (compiled module cached):      {:?}", started.elapsed());

    // Trivial updates.
    let noop = encode_args(()).expect("encode");
    for _ in 0..200 {
        pic.update_call(a, user, "noop", noop.clone()).expect("noop");
    }
    let instructions = pic.instructions_used(a);
    let started = Instant::now();
    for _ in 0..TRIVIAL_UPDATES {
        pic.update_call(a, user, "noop", noop.clone()).expect("noop");
    }
    let elapsed = started.elapsed();
    println!(
        "trivial update calls:   {:>10.0} calls/s  ({TRIVIAL_UPDATES} calls in {elapsed:?})",
        per_second(TRIVIAL_UPDATES, elapsed)
    );
    println!("instructions per trivial update: {instructions}");

    // Ping-pong between two canisters.
    let ping = encode_args((b, PING_HOPS)).expect("encode");
    let started = Instant::now();
    let reply = pic.update_call(a, user, "ping", ping).expect("ping");
    let elapsed = started.elapsed();
    let hops: u32 = candid::decode_one(&reply).expect("decode hops");
    assert_eq!(hops, PING_HOPS);
    println!(
        "inter-canister ping-pong: {:>8.0} calls/s  ({PING_HOPS} calls in {elapsed:?})",
        per_second(PING_HOPS, elapsed)
    );

    // Upgrades: compile the target module once, then compare a small and a 1 GiB canister.
    let small = install(&pic, &wasm, controller);
    let large = install(&pic, &wasm, controller);
    let grow = encode_args((ONE_GIB_IN_PAGES,)).expect("encode");
    let started = Instant::now();
    pic.update_call(large, controller, "grow_scratch", grow).expect("grow 1 GiB");
    let last_page = ONE_GIB_IN_PAGES * 65_536 - 8;
    pic.update_call(
        large,
        controller,
        "write_scratch",
        encode_args((last_page, b"the end!".to_vec())).expect("encode"),
    )
    .expect("write the last page");
    println!("growing stable memory by 1 GiB: {:?}", started.elapsed());

    let warm = install(&pic, &wasm, controller);
    let started = Instant::now();
    pic.upgrade_canister(warm, variant(&wasm, 1), no_arg(), Some(controller)).expect("upgrade (compiles v1)");
    println!("upgrade to a new module (includes compiling it): {:?}", started.elapsed());
    let started = Instant::now();
    pic.upgrade_canister(small, variant(&wasm, 1), no_arg(), Some(controller)).expect("upgrade small");
    println!("upgrade, canister with ~no stable memory: {:?}", started.elapsed());
    let started = Instant::now();
    pic.upgrade_canister(large, variant(&wasm, 1), no_arg(), Some(controller)).expect("upgrade large");
    println!("upgrade, canister holding 1 GiB of stable memory: {:?}", started.elapsed());

    let read = encode_args((last_page, 8u64)).expect("encode");
    let bytes = pic.query_call(large, controller, "read_scratch", read).expect("read after upgrade");
    let bytes: Vec<u8> = candid::decode_one(&bytes).expect("decode");
    assert_eq!(bytes, b"the end!".to_vec(), "stable memory survived the upgrade");
}
