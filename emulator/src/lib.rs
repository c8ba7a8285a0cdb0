//! An in-process Internet Computer: runs canister wasm under wasmtime (fuel = instruction counter) with the ic0
//! system API, atomic message execution, asynchronous inter-canister calls, timers, stopping semantics and the
//! management canister, behind an API with the names and shapes of `pocket_ic::PocketIc` 16.1.
//!
//! Layout:
//! - `pic`: the `PocketIc` struct, its builder, `Time`, ingress ids and the non-management test API;
//! - `state`: subnet and canister state;
//! - `wasm`: module validation and rewriting, the process-wide compiled-module cache, live instances with a
//!   dirty-page undo log;
//! - `stable`: host-side stable memory with a page undo log;
//! - `system_api`: the ic0 imports, grouped by topic, with the allowed-context checks;
//! - `execution`: running one entry point atomically; install/upgrade/reinstall/uninstall;
//! - `scheduler`: call contexts, callbacks, message queues, rounds (`tick`), timers, stopping;
//! - `management` (management-canister methods) and `errors` (reject/error codes).

pub mod certification;
pub mod errors;
pub mod execution;
/// The IC's HTTP interface over the emulated subnet (`PocketIc::make_live`); feature `live`.
#[cfg(feature = "live")]
pub mod live;
pub mod management;
pub mod pic;
pub mod scheduler;
pub mod stable;
pub mod state;
pub mod system_api;
pub mod wasm;

mod candid_helpers;
pub mod cycles;

pub use candid::Principal;
pub use candid_helpers::{query_candid, query_candid_as, update_candid, update_candid_as, with_candid};
pub use errors::{ErrorCode, RejectCode, RejectResponse};
/// At the crate root, as in pocket-ic.
pub use management::api::{CreateCanisterParams, CreateCanisterPlacement};
pub use pic::{
    BlobCompression, IngressStatusResult, PocketIc, PocketIcBuilder, RawEffectivePrincipal, RawMessageId, Time,
};
pub use state::CanisterId;

/// The whole records crate, for tests that need the other management types.
pub use ic_management_canister_types as management_types;
/// The records pocket-ic re-exports from `ic-management-canister-types`.
pub use ic_management_canister_types::{
    CanisterInstallMode, CanisterLogRecord, CanisterSettings, CanisterStatusResult, EnvironmentVariable, Snapshot,
};
