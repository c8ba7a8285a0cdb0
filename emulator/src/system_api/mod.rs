//! The ic0 system API: one file per group of imports, each checking the allowed contexts of the spec.

mod calls;
pub mod context;
mod host;
mod misc;
mod msg;
mod stable_api;

pub use calls::MAX_CALL_TIMEOUT_SECONDS;
pub use context::{ApiState, Closure, EntryKind, HostTrap, OutgoingCall, Response};
pub use host::Host;

/// Defines every ic0 import (and the dirty-page hooks) on the linker.
pub fn link(linker: &mut wasmtime::Linker<Host>) -> wasmtime::Result<()> {
    host::link_hooks(linker)?;
    msg::link(linker)?;
    calls::link(linker)?;
    stable_api::link(linker)?;
    misc::link(linker)?;
    Ok(())
}
