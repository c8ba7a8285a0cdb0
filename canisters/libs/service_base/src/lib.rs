//! What every fleet service canister (backend, audit storage, invoice storage) shares, as plain Rust over stable
//! structures so that native unit tests run it on `VectorMemory`:
//! - [`access`]: admins (controllers + the admins they add) and the whitelist of writer canisters;
//! - [`schema`]: the ordered schema-migration runner each canister calls first in `post_upgrade`;
//! - [`codec`]: candid-encoded stable values and short bounded text keys;
//! - [`seq_index`]: an append-only per-key index with O(log n) offset paging;
//! - [`paging`]: newest-first windows over positions, for logs and indexes;
//! - [`validate`]: input checks that turn bad arguments into `FleetError::InvalidInput`;
//! - [`ic_env`]: the few IC calls the endpoints need (caller, time, cycles, memory, the ingress filter), kept out of
//!   the logic;
//! - [`storage`]: the skeleton both storages share (schema version and roles in memory ids 0 to 2, install,
//!   migrations, setup status, the schema half of health) and [`storage_lifecycle!`], their `init`/`post_upgrade`;
//! - [`storage_service_endpoints!`]: the admin, whitelist and status endpoints every storage canister exposes, and
//!   its `inspect_message` hook;
//! - [`testing`]: the storages' shared test fixtures.

pub mod access;
pub mod codec;
pub mod endpoints;
pub mod ic_env;
pub mod paging;
pub mod schema;
pub mod seq_index;
pub mod storage;
pub mod testing;
pub mod validate;

pub use access::{AccessControl, Caller};
pub use codec::{Candid, ShortText};
pub use schema::{run_migrations, Migration, MigrationReport};
pub use seq_index::SeqIndex;
pub use storage::{StorageCore, StorageState};
