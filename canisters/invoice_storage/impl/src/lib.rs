//! `invoice_storage`: one invoice per paid request, moved along a checked status machine (documented in
//! `invoice_storage_api`), with the full history of every transition.
//!
//! - `state`: invoices by id, a per-user sequence index, a per-status set with counts, the history, and the writers'
//!   request ids that make `recordPayment` safe to retry.
//! - `recording`: `recordPayment` and `updateInvoiceStatus`; every check before the first write.
//! - `reading`: the paged queries, newest first.
//! - `endpoints`, `lifecycle`: thin candid wrappers; no `pre_upgrade`, migrations first in `post_upgrade`.

use candid::Principal;
use fleet_api::PageRequest;
use ic_stable_structures::DefaultMemoryImpl;
use invoice_storage_api::*;
use std::cell::RefCell;

mod endpoints;
mod lifecycle;
pub mod memory;
pub mod reading;
pub mod recording;
pub mod state;

pub use state::InvoiceState;

thread_local! {
    static STATE: RefCell<InvoiceState<DefaultMemoryImpl>> = RefCell::new(InvoiceState::init(DefaultMemoryImpl::default()));
}

ic_cdk::export_candid!();

#[cfg(test)]
mod tests;
