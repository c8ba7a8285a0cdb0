//! The launchpad contract's interface: a sale of an ICRC-1 sale token for an ICRC-2 payment token, deployed by the
//! launchpad factory or installed by hand.
//!
//! Callers, the factory, the backend and tests depend on this crate, never on the implementation. `launchpad.did` is
//! the candid interface; the implementation crate checks itself against it in a test.

mod validate;

use candid::{CandidType, Nat, Principal};
use serde::{Deserialize, Serialize};

pub use icrc_ledger_types::icrc1::account::Account;
pub use validate::{amount_u128, tokens_for, validate, validate_allow_list, validate_init, validate_window, vested};

/// Init argument of the launchpad contract: candid `record { factory : opt principal; owner : principal;
/// version : text; args : LaunchpadArgs }`.
pub type LaunchpadInit = fleet_api::ContractInit<LaunchpadArgs>;

/// The launchpad's own init arguments. Amounts are in base units of their ledger; times in nanoseconds since the
/// epoch (IC time).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct LaunchpadArgs {
    /// A human label (the factory's display name), 1 to [`MAX_NAME_CHARS`] characters.
    pub name: String,
    /// The ICRC-1 ledger of the token sold. The owner funds the sale by sending these tokens to the launchpad.
    pub sale_ledger: Principal,
    /// The ICRC-2 ledger buyers pay with (`icrc2_approve` the launchpad, then `contribute`).
    pub payment_ledger: Principal,
    pub price: Price,
    /// Payment raised at the end below which the sale fails and every buyer is refunded. At most `hard_cap`.
    pub soft_cap: Nat,
    /// The most payment the sale takes; contributions beyond it are refused. Above 0.
    pub hard_cap: Nat,
    /// Contributions are accepted from `start_time` (included) to `end_time` (excluded). `start_time` is not in the
    /// past at creation; `end_time` is after `start_time`, at most [`MAX_SALE_DURATION_NANOS`] later.
    pub start_time: u64,
    pub end_time: u64,
    /// Each buyer's total contribution lies between these (both included); 1 <= min <= max <= hard_cap.
    pub min_per_buyer: Nat,
    pub max_per_buyer: Nat,
    /// `Some`: only these principals may contribute (more are added with `addToAllowList` before the end); at most
    /// [`MAX_PRINCIPALS_PER_BATCH`] here. `None`: anyone may.
    pub allow_list: Option<Vec<Principal>>,
    /// `Some`: the bought tokens vest after the end of the sale; `None`: claimable in full at once.
    pub vesting: Option<VestingSchedule>,
}

/// `payment` base units of the payment token buy `tokens` base units of the sale token. A buyer's tokens are
/// `floor(contributed * tokens / payment)`, computed exactly. Both above 0.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Price {
    pub payment: Nat,
    pub tokens: Nat,
}

/// Linear vesting of the bought tokens, counted from the sale's `end_time`. At time `t`: before `end_time + cliff`
/// nothing is vested; after that `k = floor(min(t - end_time, duration) * periods / duration)` periods have elapsed
/// and a buyer has `floor(tokens * k / periods)` vested.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VestingSchedule {
    /// Nanoseconds after the end of the sale before which nothing is claimable; at most `duration`.
    pub cliff: u64,
    /// Nanoseconds from the end of the sale to full vesting; above 0.
    pub duration: u64,
    /// Equal releases, 1 to [`MAX_PERIODS`], at most `duration`.
    pub periods: u32,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchpadStatus {
    /// Before `start_time`, or not funded yet: the owner funds the sale tokens and calls `checkFunding`.
    Upcoming,
    /// Funded and within the window: buyers contribute.
    Open,
    /// The end time has passed; the sale is decided once every contribution in flight has settled.
    Closed,
    /// The soft cap was reached: buyers claim their tokens, the proceeds and unsold tokens went to the owner.
    Succeeded,
    /// The soft cap was not reached (or the sale was never funded): every buyer is refunded, the sale tokens went
    /// back to the owner.
    Failed,
}

/// The sale as a whole (`getSale`).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct SaleInfo {
    pub name: String,
    pub sale_ledger: Principal,
    pub payment_ledger: Principal,
    pub price: Price,
    pub soft_cap: Nat,
    pub hard_cap: Nat,
    pub start_time: u64,
    pub end_time: u64,
    pub min_per_buyer: Nat,
    pub max_per_buyer: Nat,
    pub allow_list: bool,
    pub allow_listed: u64,
    pub vesting: Option<VestingSchedule>,
    pub status: LaunchpadStatus,
    /// Sale tokens `checkFunding` requires: what the hard cap buys.
    pub required_funding: Nat,
    pub funded_at: Option<u64>,
    /// The sale token balance read when the sale was funded.
    pub funded_amount: Nat,
    /// Payment settled into the sale.
    pub raised: Nat,
    /// Payment of contributions in flight (counted against the caps until they settle).
    pub reserved: Nat,
    /// Sale tokens the buyers have bought: the sum of each buyer's `tokens`.
    pub tokens_sold: Nat,
    pub buyers: u64,
    /// Payment the books hold: raised less every executed outgoing payment transfer (amount and fee).
    pub payment_held: Nat,
    /// Sale tokens the books hold: the funded amount less every executed outgoing sale transfer (amount and fee).
    pub sale_held: Nat,
    /// What the books still owe: payment to buyers (Failed) or to the owner, sale tokens to buyers.
    pub payment_owed: Nat,
    pub tokens_owed: Nat,
    /// The ledger fees the launchpad pays for its transfers, read by `checkFunding` (and corrected on `BadFee`).
    pub sale_fee: Option<Nat>,
    pub payment_fee: Option<Nat>,
    pub finalized_at: Option<u64>,
    /// Buyers reported to the factory as participants so far.
    pub participants_reported: u64,
    /// Failed sales: buyers the refund job has passed.
    pub refund_cursor: u64,
}

/// One buyer (`getBuyer`, `getBuyers`), evaluated at the time of the query.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct BuyerInfo {
    pub buyer: Principal,
    /// Settled contributions.
    pub contributed: Nat,
    /// Contributions in flight.
    pub pending: Nat,
    /// `floor(contributed * price.tokens / price.payment)`.
    pub tokens: Nat,
    pub vested: Nat,
    /// Succeeded: sale tokens taken by claims (each claim's amount plus its fee). Failed: payment refunded (amount
    /// plus fee).
    pub claimed: Nat,
    /// What `claim` would take now (its transfer sends this less the ledger fee).
    pub claimable: Nat,
}

/// Answer of `checkFunding`.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct FundingReport {
    pub status: LaunchpadStatus,
    /// The launchpad's sale token balance.
    pub balance: Nat,
    pub required: Nat,
    pub funded: bool,
}

/// One contribution: an `icrc2_transfer_from` from the buyer, recorded with its exact arguments before it is sent.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ContributionInfo {
    pub id: u64,
    pub buyer: Principal,
    pub amount: Nat,
    pub memo: serde_bytes::ByteBuf,
    pub created_at_time: u64,
    pub state: TransferState,
}

/// Who an outgoing transfer pays.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferPurpose {
    /// Sale tokens to a buyer of a succeeded sale.
    Claim { buyer: Principal },
    /// Payment back to a buyer of a failed sale.
    Refund { buyer: Principal },
    /// The payment raised, to the owner of a succeeded sale.
    Proceeds,
    /// Sale tokens not sold, to the owner of a succeeded sale.
    Unsold,
    /// Every sale token, to the owner of a failed sale.
    SaleReturn,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum TransferState {
    /// Recorded and sent (or to be re-sent identically).
    Pending,
    Executed {
        block_index: Nat,
    },
    /// The ledger refused it: nothing moved (a claim or refund is claimable again; a contribution is not counted).
    Failed {
        reason: String,
    },
    /// Its outcome cannot be learned by re-sending it (past the ledger's deduplication window, or the fee changed):
    /// it stays reserved until an operator settles it from the ledger's records.
    NeedsOperator {
        reason: String,
    },
}

/// One outgoing transfer, with the exact arguments sent.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct TransferInfo {
    pub id: u64,
    pub purpose: TransferPurpose,
    pub ledger: Principal,
    pub to: Account,
    pub amount: Nat,
    pub fee: Nat,
    pub memo: serde_bytes::ByteBuf,
    pub created_at_time: u64,
    pub state: TransferState,
}

pub const MAX_NAME_CHARS: usize = fleet_api::label::MAX_LABEL_CHARS;
/// The most principals in the init allow-list and in one `addToAllowList` call.
pub const MAX_PRINCIPALS_PER_BATCH: usize = 1_000;
/// The most principals an allow-list may hold.
pub const MAX_ALLOW_LIST: u64 = 100_000;
pub const MAX_PERIODS: u32 = 3_660;
/// A sale lasts at most a year.
pub const MAX_SALE_DURATION_NANOS: u64 = 366 * 24 * 3_600 * 1_000_000_000;
/// A sale starts at most two years after its creation.
pub const MAX_START_DELAY_NANOS: u64 = 2 * 366 * 24 * 3_600 * 1_000_000_000;

/// The candid interface of the launchpad contract.
pub const DID: &str = include_str!("../launchpad.did");

/// Candid method names, for clients that call by name.
pub mod methods {
    pub const CHECK_FUNDING: &str = "checkFunding";
    pub const ADD_TO_ALLOW_LIST: &str = "addToAllowList";
    pub const CONTRIBUTE: &str = "contribute";
    pub const CLAIM: &str = "claim";
    pub const GET_SALE: &str = "getSale";
    pub const GET_BUYER: &str = "getBuyer";
    pub const GET_BUYERS: &str = "getBuyers";
    pub const GET_CONTRIBUTIONS: &str = "getContributions";
    pub const GET_TRANSFERS: &str = "getTransfers";
}

impl Price {
    /// Both amounts as `u128` (validated at install).
    pub fn parts(&self) -> (u128, u128) {
        (amount_u128(&self.payment).unwrap_or(0), amount_u128(&self.tokens).unwrap_or(0))
    }
}
