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
//! Each stage is written before the call it leads to (every await is a commit point), and each send is counted and
//! marked "outcome unknown" in stable memory *before* it goes out, so a reply that never arrives (a trap in the
//! callback, an upgrade of the backend while the call is open) is never mistaken for "did not happen":
//! - `Charging` keeps the exact `transfer_from` ([`ledger_send::LedgerSend`]); re-sending it after an unknown
//!   outcome is deduplicated by the ledger (`Duplicate` = it was paid): the user is never charged twice.
//! - `Deploying` re-sends the same `createContract` argument, whose `request_id` (a key unique per backend install,
//!   [`keys`]) makes the factory replay the first outcome rather than deploy twice, and refuse a key reused for
//!   another owner or other arguments. After repeated unknown outcomes the factory is asked to settle the request
//!   (`abandonDeploymentRequest`): a refund follows only when the factory provably did not and will not deploy.
//! - `Refunding` keeps the exact refund transfer (`fee: null`, so a fee change never forces a second transfer for the
//!   same obligation); a new transfer is written only when the ledger proved the earlier one did not execute.
//! - A deployment whose outcome no retry can settle (past the ledger's deduplication window, a factory stuck on it)
//!   is flagged for an operator: `getHealth` reports it and `resolveDeployment` settles it from the facts.
//!
//! Invoice and audit writes go through an outbox in stable memory (flushed in order after each request and by the
//! timer), so a storage outage delays records but never blocks or loses a payment.

pub mod flow;
pub mod guard;
pub mod keys;
pub mod ledger_send;
pub mod legacy;
pub mod outbox;
pub mod reconcile;
pub mod record;
pub mod requests;
pub mod resolve;
pub mod runtime;
pub mod steps;
pub mod views;
pub mod withdrawal;

#[cfg(test)]
mod fake_runtime;
#[cfg(test)]
mod tests;
