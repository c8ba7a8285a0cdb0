//! What the launchpad stores: its configuration, its books (totals, fees, counters), one record per buyer, per
//! contribution and per outgoing transfer.

use candid::{CandidType, Principal};
use ic_stable_structures::storable::{Bound, Storable};
use launchpad_api::{Account, ContributionInfo, Price, TransferInfo, TransferPurpose, TransferState, VestingSchedule};
use serde::Deserialize;
use std::borrow::Cow;

/// Fixed at install: the sale's arguments, amounts as `u128` (validated).
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub name: String,
    pub sale_ledger: Principal,
    pub payment_ledger: Principal,
    pub price: Price,
    pub soft_cap: u128,
    pub hard_cap: u128,
    pub start_time: u64,
    pub end_time: u64,
    pub min_per_buyer: u128,
    pub max_per_buyer: u128,
    pub allow_list: bool,
    pub vesting: Option<VestingSchedule>,
}

impl Default for Config {
    /// What an uninstalled contract reads.
    fn default() -> Self {
        Self {
            name: String::new(),
            sale_ledger: Principal::management_canister(),
            payment_ledger: Principal::management_canister(),
            price: Price { payment: 1u8.into(), tokens: 0u8.into() },
            soft_cap: 0,
            hard_cap: 0,
            start_time: 0,
            end_time: 0,
            min_per_buyer: 0,
            max_per_buyer: 0,
            allow_list: false,
            vesting: None,
        }
    }
}

/// The decision recorded at the end of the sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Outcome {
    #[default]
    Undecided,
    Succeeded,
    Failed,
}

/// The launchpad's totals. `payment_held = raised - payment_out_executed` is what it holds in payment tokens by its
/// books; `payment_owed = raised - payment_out_recorded` is what it still owes (buyers or owner); the difference is
/// the payment transfers in flight. The same for sale tokens from `funded_amount`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Books {
    pub outcome: Outcome,
    pub funded_at: Option<u64>,
    pub funded_amount: u128,
    pub sale_fee: Option<u128>,
    pub payment_fee: Option<u128>,
    /// Settled contributions.
    pub raised: u128,
    /// Contributions in flight (counted against the caps).
    pub reserved: u128,
    /// Sum over buyers of `tokens_for(contributed)`.
    pub tokens_sold: u128,
    /// Succeeded: sale tokens taken by claims; Failed: payment refunded (amounts plus fees, refused ones excluded).
    pub claimed_total: u128,
    /// Amount plus fee of the outgoing transfers recorded and not refused, and of those executed.
    pub payment_out_recorded: u128,
    pub payment_out_executed: u128,
    pub sale_out_recorded: u128,
    pub sale_out_executed: u128,
    pub next_contribution_id: u64,
    pub next_transfer_id: u64,
    pub pending_contributions: u64,
    /// Contributions and transfers whose outcome a re-send cannot learn.
    pub needs_operator: u64,
    /// Buyers (in order) reported to the factory.
    pub reported: u64,
    /// Failed sales: buyers (in order) the refund job has passed.
    pub refund_cursor: u64,
    pub allow_listed: u64,
    pub finalized_at: Option<u64>,
    /// The last status the factory accepted (`status_code`), 0 for none.
    pub reported_status: u8,
    /// Owner payouts recorded (and not refused): bits [`PROCEEDS`], [`UNSOLD`], [`SALE_RETURN`].
    pub owner_payouts: u8,
}

pub const PROCEEDS: u8 = 1;
pub const UNSOLD: u8 = 2;
pub const SALE_RETURN: u8 = 4;

impl Books {
    pub fn payment_owed(&self) -> u128 {
        self.raised.saturating_sub(self.payment_out_recorded)
    }

    pub fn payment_held(&self) -> u128 {
        self.raised.saturating_sub(self.payment_out_executed)
    }

    pub fn sale_held(&self) -> u128 {
        self.funded_amount.saturating_sub(self.sale_out_executed)
    }

    /// Sale tokens owed to buyers: all they bought until the sale fails, less what they claimed once it succeeded.
    pub fn tokens_owed(&self) -> u128 {
        match self.outcome {
            Outcome::Undecided => self.tokens_sold,
            Outcome::Succeeded => self.tokens_sold.saturating_sub(self.claimed_total),
            Outcome::Failed => 0,
        }
    }
}

/// One buyer, 52 bytes in stable memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BuyerRecord {
    pub contributed: u128,
    pub pending: u128,
    /// Succeeded: sale tokens taken (amount + fee per claim); Failed: the refund taken (amount + fee).
    pub claimed: u128,
    /// Position in the buyer order; [`NOT_LISTED`] until the first contribution settles.
    pub index: u32,
}

pub const NOT_LISTED: u32 = u32::MAX;
const BUYER_BYTES: usize = 52;

impl Storable for BuyerRecord {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BUYER_BYTES);
        for v in [self.contributed, self.pending, self.claimed] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.index.to_le_bytes());
        out
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let b = bytes.as_ref();
        assert_eq!(b.len(), BUYER_BYTES, "a buyer record is {BUYER_BYTES} bytes");
        let u128_at = |i: usize| u128::from_le_bytes(b[i..i + 16].try_into().expect("16 bytes"));
        Self {
            contributed: u128_at(0),
            pending: u128_at(16),
            claimed: u128_at(32),
            index: u32::from_le_bytes(b[48..52].try_into().expect("4 bytes")),
        }
    }

    const BOUND: Bound = Bound::Bounded { max_size: BUYER_BYTES as u32, is_fixed_size: true };
}

/// One contribution: an `icrc2_transfer_from` of `amount` from the buyer's default account to the launchpad's, with
/// `created_at_time` and the memo of its id; a re-send is identical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContributionRecord {
    pub id: u64,
    pub buyer: Principal,
    pub amount: u128,
    pub created_at_time: u64,
    pub state: TransferState,
    /// Sends started so far: only the first send's refusal proves nothing moved.
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl ContributionRecord {
    pub fn info(&self) -> ContributionInfo {
        ContributionInfo {
            id: self.id,
            buyer: self.buyer,
            amount: self.amount.into(),
            memo: serde_bytes::ByteBuf::from(memo(b'c', self.id)),
            created_at_time: self.created_at_time,
            state: self.state.clone(),
        }
    }
}

/// One outgoing transfer: `amount` to `to`'s default account on the ledger its purpose names, with `fee`,
/// `created_at_time` and the memo of its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRecord {
    pub id: u64,
    pub purpose: TransferPurpose,
    pub to: Principal,
    pub amount: u128,
    pub fee: u128,
    pub created_at_time: u64,
    pub state: TransferState,
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl TransferRecord {
    /// Amount plus fee: what the transfer takes from the launchpad's account when it executes.
    pub fn total(&self) -> u128 {
        self.amount.saturating_add(self.fee)
    }

    /// Whether it moves sale tokens (claims, unsold, sale return) rather than payment (refunds, proceeds).
    pub fn is_sale_token(&self) -> bool {
        is_sale_token(&self.purpose)
    }

    pub fn info(&self, config: &Config) -> TransferInfo {
        TransferInfo {
            id: self.id,
            purpose: self.purpose,
            ledger: if self.is_sale_token() { config.sale_ledger } else { config.payment_ledger },
            to: Account { owner: self.to, subaccount: None },
            amount: self.amount.into(),
            fee: self.fee.into(),
            memo: serde_bytes::ByteBuf::from(memo(b't', self.id)),
            created_at_time: self.created_at_time,
            state: self.state.clone(),
        }
    }
}

pub fn is_sale_token(purpose: &TransferPurpose) -> bool {
    matches!(purpose, TransferPurpose::Claim { .. } | TransferPurpose::Unsold | TransferPurpose::SaleReturn)
}

/// The memo of contribution (`b'c'`) or transfer (`b't'`) `id`: every memo differs, and a re-send is the same.
pub fn memo(tag: u8, id: u64) -> Vec<u8> {
    let mut memo = b"fleet-launchpad-".to_vec();
    memo.push(tag);
    memo.extend_from_slice(&id.to_be_bytes());
    memo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buyer_record_round_trips_in_52_bytes() {
        let r = BuyerRecord { contributed: u128::MAX, pending: 7, claimed: 3, index: 9_999 };
        let bytes = r.into_bytes();
        assert_eq!(bytes.len(), 52);
        assert_eq!(BuyerRecord::from_bytes(Cow::Owned(bytes)), r);
    }

    #[test]
    fn memos_are_distinct_and_within_the_icrc1_minimum() {
        assert_ne!(memo(b'c', 1), memo(b't', 1));
        assert_ne!(memo(b't', 1), memo(b't', 2));
        assert!(memo(b't', u64::MAX).len() <= 32);
    }
}
