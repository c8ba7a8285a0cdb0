//! Interface of `invoice_storage`: one invoice per paid request, with a status machine and the history of every
//! transition. Only whitelisted writers (the backend) create and update invoices; admins and writers read all of them;
//! a user reads their own.
//!
//! The backend creates the invoice *before* it charges (status `Pending`), so the ledger transfer can carry the
//! invoice id as its memo ([`invoice_memo`]) and a payment can always be traced to its invoice.
//!
//! ```text
//!  Pending ──► Paid ──► Completed
//!     │          │
//!     ▼          ├──► Refunding ──► Refunded
//!   Failed       │        │  ▲
//!                │        ▼  │
//!                ├──► RefundFailed ──► Refunded
//!                └──► Refunded          (RefundFailed ──► RefundFailed: one more failed attempt)
//! ```
//! `Completed`, `Failed` and `Refunded` are final. Every write is safe to re-send after a lost reply: repeating the
//! transition that produced the current status with the same data answers Ok with the invoice and records nothing
//! (for `RefundFailed`: the same reason; a `RefundFailed -> RefundFailed` with a *new* reason is one more failed
//! attempt), and so does a `Paid` with the block already recorded, whatever happened since. Anything else outside
//! the arrows is an `InvalidState` error that changes nothing. `recordPayment` with a `request_id` the writer already
//! used returns that invoice as it stands (its status tells the writer whether it is fresh), or `InvalidInput` when
//! the user, amount, service or ledger differ.
//!
//! Candid: `invoice_storage.did` beside this crate, checked against the implementation by a unit test.

use candid::{CandidType, Nat, Principal};
use fleet_api::{FleetError, Page};
use serde::{Deserialize, Serialize};

pub const DID: &str = include_str!("../invoice_storage.did");

/// Longest failure or refund reason, in bytes.
pub const MAX_REASON_BYTES: usize = 1024;
/// Longest service name, in bytes.
pub const MAX_SERVICE_BYTES: usize = 64;

/// The memo of the ledger transfer that pays invoice `invoice_id`: the id as 8 big-endian bytes.
pub fn invoice_memo(invoice_id: u64) -> Vec<u8> {
    invoice_id.to_be_bytes().to_vec()
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InvoiceStatus {
    /// Created; the payment has not been taken (yet).
    Pending,
    /// The payment was taken (`payment_block`).
    Paid,
    /// The payment was never taken; final.
    Failed,
    /// The service was delivered (`contract`); final.
    Completed,
    /// A refund is being sent.
    Refunding,
    /// The payment, less the ledger fee, went back to the user (`refund_block`); final.
    Refunded,
    /// A refund attempt failed; it is retried.
    RefundFailed,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 7] =
        [Self::Pending, Self::Paid, Self::Failed, Self::Completed, Self::Refunding, Self::Refunded, Self::RefundFailed];

    /// The arrows of the status machine (see the crate docs). The only arrow from a status to itself is
    /// `RefundFailed -> RefundFailed` (another failed attempt, with a reason other than the recorded one); repeats of
    /// an applied transition are idempotent re-sends, handled by the storage before this check.
    pub fn may_become(self, next: InvoiceStatus) -> bool {
        use InvoiceStatus::*;
        matches!(
            (self, next),
            (Pending, Paid | Failed)
                | (Paid, Completed | Refunding | Refunded | RefundFailed)
                | (Refunding, Refunded | RefundFailed)
                | (RefundFailed, Refunding | Refunded | RefundFailed)
        )
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Failed | Self::Completed | Self::Refunded)
    }

    /// A small stable code, used as an index key. Never renumber.
    pub fn code(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Paid => 1,
            Self::Failed => 2,
            Self::Completed => 3,
            Self::Refunding => 4,
            Self::Refunded => 5,
            Self::RefundFailed => 6,
        }
    }
}

/// A step of the status machine, with the data the new status needs.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum InvoiceTransition {
    /// The ledger accepted the payment in `block_index`.
    Paid { block_index: Nat },
    /// The payment could not be taken (e.g. insufficient funds).
    Failed { reason: String },
    /// The contract was deployed.
    Completed { contract: Principal },
    /// Delivery failed after payment; a refund is about to be sent.
    Refunding { reason: String },
    /// `amount` went back to the user in `block_index`.
    Refunded { block_index: Nat, amount: Nat },
    /// A refund attempt failed. Re-sent with the reason already recorded while the invoice is `RefundFailed`, it is
    /// the same attempt (nothing recorded); with another reason, or after `Refunding`, it counts one more.
    RefundFailed { reason: String },
}

impl InvoiceTransition {
    pub fn target(&self) -> InvoiceStatus {
        match self {
            Self::Paid { .. } => InvoiceStatus::Paid,
            Self::Failed { .. } => InvoiceStatus::Failed,
            Self::Completed { .. } => InvoiceStatus::Completed,
            Self::Refunding { .. } => InvoiceStatus::Refunding,
            Self::Refunded { .. } => InvoiceStatus::Refunded,
            Self::RefundFailed { .. } => InvoiceStatus::RefundFailed,
        }
    }
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct RecordPaymentArgs {
    /// Who pays; never anonymous.
    pub user: Principal,
    /// The service paid for: `token_factory`, ... (a-z, 0-9, `_`; at most 64 bytes).
    pub service: String,
    /// The price, in the ledger's smallest unit; more than 0.
    pub amount: Nat,
    /// The ICRC-1/2 ledger the payment is taken in.
    pub ledger: Principal,
    /// The writer's own key for this request. A second `recordPayment` from the same writer with the same key
    /// returns the invoice of the first, in its current status, instead of creating another (so the call is safe to
    /// retry); with another user, amount, service or ledger it is refused as `InvalidInput`.
    pub request_id: Option<u64>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub id: u64,
    pub user: Principal,
    pub service: String,
    pub amount: Nat,
    pub ledger: Principal,
    pub status: InvoiceStatus,
    pub created_at: u64,
    pub updated_at: u64,
    pub payment_block: Option<Nat>,
    pub contract: Option<Principal>,
    pub refund_block: Option<Nat>,
    pub refunded_amount: Option<Nat>,
    /// The reason of the last `Failed`, `Refunding` or `RefundFailed` transition.
    pub failure_reason: Option<String>,
    /// How many refund attempts failed.
    pub failed_refund_attempts: u32,
    /// The writer that created it.
    pub recorded_by: Principal,
    pub request_id: Option<u64>,
}

/// One entry of an invoice's history. The first entry is the creation (`from = null`, `transition = null`).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub invoice_id: u64,
    /// 0 for the creation, then 1, 2, ...
    pub seq: u32,
    pub from: Option<InvoiceStatus>,
    pub to: InvoiceStatus,
    pub transition: Option<InvoiceTransition>,
    pub at: u64,
    pub by: Principal,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusCount {
    pub status: InvoiceStatus,
    pub count: u64,
}

/// Install argument `(opt InvoiceStorageInitArgs)`: the admins (besides the controllers) and the whitelisted writers.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct InvoiceStorageInitArgs {
    pub admins: Vec<Principal>,
    pub writers: Vec<Principal>,
}

pub type InvoiceResponse = Result<Invoice, FleetError>;
pub type InvoicesResponse = Result<Page<Invoice>, FleetError>;
pub type HistoryResponse = Result<Page<StatusChange>, FleetError>;
pub type AdminResponse = Result<(), FleetError>;

/// Candid method names, for clients that call by name.
pub mod methods {
    pub const RECORD_PAYMENT: &str = "recordPayment";
    pub const UPDATE_INVOICE_STATUS: &str = "updateInvoiceStatus";
    pub const GET_INVOICE: &str = "getInvoice";
    pub const GET_INVOICES_BY_USER: &str = "getInvoicesByUser";
    pub const GET_INVOICES_BY_STATUS: &str = "getInvoicesByStatus";
    pub const GET_INVOICE_HISTORY: &str = "getInvoiceHistory";
    pub const GET_INVOICE_COUNT: &str = "getInvoiceCount";
    pub const GET_STATUS_COUNTS: &str = "getStatusCounts";
    pub const SETUP_WHITELIST: &str = "setupWhitelist";
    pub const REMOVE_FROM_WHITELIST: &str = "removeFromWhitelist";
    pub const GET_WHITELIST: &str = "getWhitelist";
    pub const ADD_ADMIN: &str = "addAdmin";
    pub const REMOVE_ADMIN: &str = "removeAdmin";
    pub const GET_ADMINS: &str = "getAdmins";
    pub const GET_HEALTH: &str = "getHealth";
    pub const GET_SETUP_STATUS: &str = "getSetupStatus";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_have_no_way_out_and_codes_are_distinct() {
        for from in InvoiceStatus::ALL {
            if from.is_final() {
                assert!(InvoiceStatus::ALL.iter().all(|to| !from.may_become(*to)), "{from:?} is final");
            }
        }
        let mut codes: Vec<u8> = InvoiceStatus::ALL.iter().map(|s| s.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), InvoiceStatus::ALL.len());
    }

    #[test]
    fn money_only_leaves_through_paid() {
        use InvoiceStatus::*;
        assert!(!Pending.may_become(Completed), "delivered without payment");
        assert!(!Pending.may_become(Refunded), "refunded without payment");
        assert!(!Completed.may_become(Refunding), "refunded after delivery");
        assert!(Paid.may_become(Completed) && Paid.may_become(Refunding));
        assert!(RefundFailed.may_become(RefundFailed) && RefundFailed.may_become(Refunded));
    }

    #[test]
    fn memo_is_the_big_endian_id() {
        assert_eq!(invoice_memo(258), vec![0, 0, 0, 0, 0, 0, 1, 2]);
    }
}
