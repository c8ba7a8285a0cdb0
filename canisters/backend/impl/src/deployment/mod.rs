//! Payment-gated deployments: a state machine in stable memory, advanced by the user's call and, when a step cannot
//! finish in it, by the reconciliation timer.
//!
//! ```text
//!  CreatingInvoice ──► Charging ──► Deploying ──► Completed
//!        │                │             │
//!        ▼                ▼             ▼
//!      Failed          Failed       Refunding ──► Refunded
//!   (nothing charged)                 ▲   │
//!                                     │   ▼
//!                                  RefundFailed  (retried by the timer, with backoff)
//! ```
//! Each stage is written before the call it leads to (every await is a commit point):
//! - `Charging` keeps the transfer's `created_at_time` and memo (invoice id), so re-sending it after an unknown
//!   outcome is deduplicated by the ledger (`Duplicate` = it was paid): the user is never charged twice.
//! - `Deploying` re-sends the same `createContract` argument, whose `request_id` (the invoice id) makes the factory
//!   return the first contract rather than create a second.
//! - `Refunding` keeps the refund's `created_at_time` across retries for the same reason.
//!
//! Invoice and audit writes go through an outbox in stable memory (flushed in order after each request and by the
//! timer), so a storage outage delays records but never blocks or loses a payment.

pub mod flow;
pub mod guard;
pub mod outbox;
pub mod reconcile;
pub mod record;
pub mod requests;
pub mod runtime;
pub mod steps;

#[cfg(test)]
mod fake_runtime;
#[cfg(test)]
mod tests;
