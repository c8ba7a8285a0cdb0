//! `audit_storage`: the fleet's append-only audit log.
//!
//! - `state`: the log (a `StableLog`, event id = position) and its indexes by user, contract and action
//!   (`SeqIndex`: O(log n) paging at any offset); time ranges are binary searches over the log.
//! - `recording`: `logEvent`, whitelisted writers only, every field validated and length-capped; a re-send under
//!   the same (writer, `request_id`) returns the recorded event's id and appends nothing.
//! - `reading`: the paged queries, newest first.
//! - `endpoints`, `lifecycle`: thin candid wrappers; no `pre_upgrade`, migrations first in `post_upgrade`.

use audit_storage_api::*;
use candid::Principal;
use fleet_api::PageRequest;
use ic_stable_structures::DefaultMemoryImpl;
use std::cell::RefCell;

mod endpoints;
mod lifecycle;
pub mod memory;
pub mod reading;
pub mod recording;
pub mod state;

pub use state::AuditState;

thread_local! {
    static STATE: RefCell<AuditState<DefaultMemoryImpl>> = RefCell::new(AuditState::init(DefaultMemoryImpl::default()));
}

ic_cdk::export_candid!();

#[cfg(test)]
mod tests;
