//! Integration tests of the emulator, driven through its `PocketIc`-shaped API with the `probe`
//! fixture (emulator/fixtures/probe). One test binary, one module per point of the emulator's issue:
//!
//! 1. `api`: the pocket-ic API surface (calls, time, canisters, stable memory, logs, candid helpers);
//! 2. `system_api`: the ic0 imports ic-cdk uses and their allowed contexts;
//! 3. `execution` and `lifecycle`: atomicity and rollback, callbacks and cleanup, FIFO, starvation,
//!    best-effort timeouts, self-calls, cycles, timers, stopping, determinism; install/upgrade/reinstall;
//! 4. `management`: the management canister from tests and from canisters, controllers, chunks, snapshots;
//! 5. `limits`: instruction limits, payload limits, cycles and freezing;
//! 6. `bad_input`: every malformed input is a reject that says what is wrong, never a panic;
//! 7. `fidelity`: behaviours found different from the replica by third-party PocketIC tests (issue 12);
//! 8. `certification`: certificates of the state tree and queries' data certificates (issue 12).

mod support;

mod api;
mod bad_input;
mod certification;
mod execution;
mod fidelity;
mod lifecycle;
mod limits;
mod management;
mod system_api;
