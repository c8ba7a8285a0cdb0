//! The IC backend the tests run on: the emulator (default) or a PocketIC server (feature `pocket-ic`).
//!
//! Only the surface both share is re-exported here. Emulator-only extras (`instructions_used`,
//! `with_seed`, `with_subnet_config`) are reachable through `emulator::` directly, in tests that do not
//! need to run on PocketIC.

#[cfg(not(feature = "pocket-ic"))]
mod backend {
    pub use emulator::{
        query_candid, query_candid_as, update_candid, update_candid_as, with_candid, BlobCompression, CanisterId,
        CanisterInstallMode, CanisterLogRecord, CanisterSettings, CanisterStatusResult, ErrorCode, PocketIc,
        PocketIcBuilder, RawEffectivePrincipal, RawMessageId, RejectCode, RejectResponse, Snapshot, Time,
    };
    /// Which backend this build runs on.
    pub const BACKEND: &str = "emulator";
}

#[cfg(feature = "pocket-ic")]
mod backend {
    pub use pocket_ic::common::rest::{BlobCompression, RawEffectivePrincipal, RawMessageId};
    pub use pocket_ic::{
        query_candid, query_candid_as, update_candid, update_candid_as, with_candid, CanisterId, CanisterInstallMode,
        CanisterLogRecord, CanisterSettings, CanisterStatusResult, ErrorCode, PocketIc, PocketIcBuilder, RejectCode,
        RejectResponse, Snapshot, Time,
    };
    /// Which backend this build runs on.
    pub const BACKEND: &str = "pocket-ic";
}

pub use backend::*;
pub use candid::Principal;
/// The management canister's records (`CanisterIdRecord`, `InstallCodeArgs`, ...), the version both
/// backends use.
pub use ic_management_canister_types as management_types;

/// A fresh instance with one application subnet, on whichever backend this build uses.
pub fn new_instance() -> PocketIc {
    PocketIcBuilder::new().with_application_subnet().build()
}
