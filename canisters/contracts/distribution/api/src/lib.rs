//! The distribution contract's interface: an airdrop or a vesting schedule of one ICRC-1 token (the ledger is given
//! at creation) to up to 10,000 recipients, deployed by the distribution factory or installed by hand.
//!
//! Callers, the factory and tests depend on this crate, never on the implementation. `distribution.did` is the
//! candid interface; the implementation crate checks itself against it in a test.

mod validate;

use candid::{CandidType, Nat, Principal};
use serde::{Deserialize, Serialize};

pub use icrc_ledger_types::icrc1::account::Account;
pub use validate::{amount_u128, validate, validate_batch, validate_init, validate_schedule};

/// Init argument of the distribution contract: candid `record { factory : opt principal; owner : principal;
/// version : text; args : DistributionArgs }`.
pub type DistributionInit = fleet_api::ContractInit<DistributionArgs>;

/// The distribution's own init arguments.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct DistributionArgs {
    /// A human label (the factory's display name), 1 to [`MAX_NAME_CHARS`] characters.
    pub name: String,
    /// The ICRC-1 ledger of the distributed token.
    pub ledger: Principal,
    pub schedule: Schedule,
    /// The first recipients and their allocations, in base units; at most [`MAX_RECIPIENTS_PER_BATCH`] (more are
    /// added with `addRecipients` before funding). May be empty.
    pub recipients: Vec<(Principal, Nat)>,
}

/// When the allocations become claimable.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Everything is claimable as soon as the distribution is funded.
    Airdrop,
    Vesting(VestingSchedule),
}

/// Linear vesting released in equal periods. At time `t` (nanoseconds since the epoch, IC time):
/// before `start_time + cliff` nothing is vested; after that, `k = floor(min(t - start_time, duration) * periods /
/// duration)` periods have elapsed and each recipient has `floor(allocation * k / periods)` vested. Everything is
/// vested at `start_time + duration`.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VestingSchedule {
    /// Nanoseconds since the epoch.
    pub start_time: u64,
    /// Nanoseconds after `start_time` before which nothing is claimable; at most `duration`.
    pub cliff: u64,
    /// Nanoseconds from `start_time` to full vesting; more than 0 (the schedule ends after it starts).
    pub duration: u64,
    /// Number of equal releases, 1 to [`MAX_PERIODS`], and at most `duration` (a period lasts at least 1 ns).
    pub periods: u32,
}

/// What the contract is doing.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DistributionStatus {
    /// Recipients may be added; `checkFunding` moves it to Funded once the ledger balance covers everything.
    Created,
    /// Funded, vesting has not started yet (a vesting schedule before its `start_time`).
    Funded,
    /// Recipients claim. An airdrop is Active as soon as it is funded; a vesting schedule from its `start_time`.
    Active,
    /// Every allocation has been paid out.
    Completed,
    /// The owner cancelled: recipients keep (and may still claim) what had vested at that moment; the rest went
    /// back to the owner.
    Cancelled,
}

/// The distribution as a whole (`getDistribution`).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct DistributionInfo {
    pub name: String,
    pub ledger: Principal,
    pub schedule: Schedule,
    pub status: DistributionStatus,
    pub recipients: u64,
    /// Sum of the allocations given at creation and by `addRecipients`.
    pub total_allocation: Nat,
    /// Sum of what recipients have claimed, claims whose transfer is still open included.
    pub total_claimed: Nat,
    /// What recipients may still receive: allocations less claims (after a cancel: what had vested less claims).
    pub owed: Nat,
    /// The ledger fee the contract pays for each transfer, fixed when it was funded (`None` before).
    pub transfer_fee: Option<Nat>,
    /// Fees still set aside for claims to come (`transfer_fee` times the claims that may still happen).
    pub reserved_fees: Nat,
    /// Amount plus fee of the transfers sent and not yet settled.
    pub pending_transfers: Nat,
    /// The tokens the contract holds by its books (the ledger balance at the last `checkFunding`, less every
    /// executed transfer and its fee).
    pub held: Nat,
    /// `held` less `owed`, `reserved_fees` and `pending_transfers`: the owner's, sent back by `withdrawSurplus`,
    /// on cancel and on completion.
    pub surplus: Nat,
    /// What `checkFunding` requires in Created: the total allocation plus one fee per possible claim, at the
    /// ledger fee of the last `checkFunding` (`None` before the first).
    pub required_funding: Option<Nat>,
    pub funded_at: Option<u64>,
    /// When a funded distribution becomes (or became) Active.
    pub active_from: Option<u64>,
    pub cancelled_at: Option<u64>,
    /// Recipients reported to the factory as participants so far (in the order they were added).
    pub participants_reported: u64,
}

/// One recipient (`getRecipient`, `getRecipients`), evaluated at the time of the query.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct RecipientInfo {
    pub recipient: Principal,
    pub allocation: Nat,
    pub vested: Nat,
    /// Claims whose transfer is still open included.
    pub claimed: Nat,
    /// `vested - claimed` once the distribution is Active or Cancelled, 0 before.
    pub claimable: Nat,
}

/// Answer of `addRecipients`.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct AddRecipientsReport {
    pub added: u64,
    pub recipients: u64,
    pub total_allocation: Nat,
}

/// Answer of `checkFunding`: what the ledger says and what the distribution needs.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct FundingReport {
    pub status: DistributionStatus,
    /// The contract's default account balance on the ledger.
    pub balance: Nat,
    /// In Created: total allocation plus `transfer_fee` per possible claim. Later: what the books still need.
    pub required: Nat,
    pub transfer_fee: Nat,
    /// Whether the books now follow this balance (false while a transfer was open during the read).
    pub synced: bool,
}

/// Who a transfer pays.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferPurpose {
    Claim {
        recipient: Principal,
    },
    /// The owner's surplus (`withdrawSurplus`, cancel, completion).
    Surplus,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum TransferState {
    /// Recorded and sent (or about to be re-sent); its amount is no longer owed nor claimable.
    Pending,
    Executed {
        block_index: Nat,
    },
    /// The ledger refused it: nothing moved, and a claim's amount is claimable again.
    Failed {
        reason: String,
    },
    /// Its outcome cannot be learned by re-sending it (the ledger's deduplication window has passed, or the ledger
    /// fee changed): the amount stays reserved until an operator settles it from the ledger's records.
    NeedsOperator {
        reason: String,
    },
}

/// One outgoing transfer, with the exact arguments sent (a re-send is identical, so the ledger deduplicates it).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct TransferInfo {
    pub id: u64,
    pub purpose: TransferPurpose,
    pub to: Account,
    pub amount: Nat,
    pub fee: Nat,
    pub memo: serde_bytes::ByteBuf,
    pub created_at_time: u64,
    pub state: TransferState,
}

pub const MAX_NAME_CHARS: usize = fleet_api::label::MAX_LABEL_CHARS;
/// The most recipients a distribution may have.
pub const MAX_RECIPIENTS: usize = 10_000;
/// The most recipients in the init argument and in one `addRecipients` call: each call stays well inside one
/// message's instruction and size limits.
pub const MAX_RECIPIENTS_PER_BATCH: usize = 1_000;
/// The most vesting periods (10 years of daily releases).
pub const MAX_PERIODS: u32 = 3_660;

/// The candid interface of the distribution contract.
pub const DID: &str = include_str!("../distribution.did");

/// Candid method names, for clients that call by name.
pub mod methods {
    pub const ADD_RECIPIENTS: &str = "addRecipients";
    pub const CHECK_FUNDING: &str = "checkFunding";
    pub const CLAIM: &str = "claim";
    pub const CANCEL: &str = "cancel";
    pub const WITHDRAW_SURPLUS: &str = "withdrawSurplus";
    pub const GET_DISTRIBUTION: &str = "getDistribution";
    pub const GET_RECIPIENT: &str = "getRecipient";
    pub const GET_RECIPIENTS: &str = "getRecipients";
    pub const GET_TRANSFERS: &str = "getTransfers";
}
