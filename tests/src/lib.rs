//! `fleet_tests`: the fleet's end-to-end tests (under `tests/`) and their support.
//!
//! Tests talk to the IC through [`ic`], which is the in-process `emulator` by default and the real
//! `pocket-ic` crate with `--features pocket-ic`; both expose `PocketIc` with the same method names and
//! shapes, so a test written against [`ic`] compiles against either. [`wasm`] finds the canister
//! modules built by `cargo run -p release -- build` (or builds one itself).

pub mod fleet;
pub mod ic;
pub mod rehearsal;
pub mod rehearsal_rollout;
pub mod rehearsal_tables;
pub mod released;
pub mod wasm;
