//! The README's main job, `cargo run -p release -- rehearse`, run as a test: the whole fleet end to end on the IC
//! (the emulator, or PocketIC with `--features pocket-ic`). Each step asserts what users rely on (exact charges,
//! refunds, controllers, versions, records kept across upgrades, balanced books); see `fleet_tests::rehearsal`.

use fleet_tests::fleet::FleetWasm;
use fleet_tests::{ic, rehearsal};

#[test]
fn the_whole_fleet_rehearses_end_to_end() {
    let wasm = FleetWasm::load();
    let mut seen = vec![];
    let result = rehearsal::run(ic::new_instance(), &wasm, |step| {
        println!("[{}] {}", step.name, step.detail);
        seen.push(step.name);
    });
    if let Err(e) = result {
        panic!("rehearsal failed after steps {seen:?}: {e:#}");
    }
    assert_eq!(seen, ["deploy", "publish", "paid deployment", "other kinds", "refusals", "refund", "upgrade", "rollout", "books"]);
}
