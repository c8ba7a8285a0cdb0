//! The multisig wallet contract's interface: signers, a threshold, and proposals (ICRC-1 transfers, ICRC-2 approves,
//! signer and threshold changes, generic canister calls) that execute once enough signers approve them.
//!
//! Callers, the factory and tests depend on this crate, never on the implementation. `multisig.did` is the candid
//! interface; the implementation crate checks itself against it in a test.

mod validate;

use candid::{CandidType, Nat, Principal};
use serde::{Deserialize, Serialize};

pub use fleet_api::{Page, PageRequest};
pub use icrc_ledger_types::icrc1::account::{Account, Subaccount};
pub use validate::{validate, validate_init, validate_signers};

/// Init argument of the multisig contract: candid `record { factory : opt principal; owner : principal; version :
/// text; args : MultisigArgs }`.
pub type MultisigInit = fleet_api::ContractInit<MultisigArgs>;

/// The wallet's own init arguments. The owner (who paid for the deployment) is not a signer unless listed here.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct MultisigArgs {
    /// A label for the wallet, shown in `getMyContracts`.
    pub name: String,
    /// 1 ..= [`MAX_SIGNERS`] distinct, non-anonymous principals.
    pub signers: Vec<Principal>,
    /// Approvals a proposal needs: 1 ..= the number of signers.
    pub threshold: u32,
    /// Lifetime of a proposal whose creator names no expiry, in seconds: [`MIN_EXPIRY_SECONDS`] ..=
    /// [`MAX_EXPIRY_SECONDS`]. Default [`DEFAULT_EXPIRY_SECONDS`] (7 days).
    pub default_expiry_seconds: Option<u64>,
}

/// What a proposal does when it executes.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum ProposalAction {
    /// `icrc1_transfer` on `ledger` from the wallet's account (`from_subaccount`).
    Transfer(TransferAction),
    /// `icrc2_approve` on `ledger` from the wallet's account (`from_subaccount`).
    Approve(ApproveAction),
    AddSigner {
        signer: Principal,
    },
    RemoveSigner {
        signer: Principal,
    },
    ChangeThreshold {
        threshold: u32,
    },
    /// Any other call, made by the wallet: `method` of `canister` with the candid-encoded `arg`, attaching `cycles`
    /// from the wallet's balance.
    CanisterCall(CanisterCallAction),
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct TransferAction {
    pub ledger: Principal,
    pub from_subaccount: Option<Subaccount>,
    pub to: Account,
    /// More than zero.
    pub amount: Nat,
    /// Passed to the ledger as given; `null` lets the ledger charge its current fee.
    pub fee: Option<Nat>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ApproveAction {
    pub ledger: Principal,
    pub from_subaccount: Option<Subaccount>,
    pub spender: Account,
    /// The new allowance; zero revokes it (the only action where zero is accepted).
    pub amount: Nat,
    pub expected_allowance: Option<Nat>,
    /// Nanoseconds since the epoch.
    pub expires_at: Option<u64>,
    pub fee: Option<Nat>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct CanisterCallAction {
    pub canister: Principal,
    pub method: String,
    /// The candid-encoded argument, at most [`MAX_CALL_ARG_BYTES`].
    #[serde(with = "serde_bytes")]
    pub arg: Vec<u8>,
    pub cycles: Nat,
}

/// Argument of `propose`.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposeArgs {
    pub action: ProposalAction,
    /// What the proposal is for, at most [`MAX_SUMMARY_CHARS`] characters.
    pub summary: Option<String>,
    /// When voting closes, nanoseconds since the epoch; in the future and at most [`MAX_EXPIRY_SECONDS`] ahead.
    /// Default: now + the wallet's default expiry.
    pub expires_at: Option<u64>,
}

/// Where a proposal is. Also the filter of `getProposals`.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProposalState {
    /// Collecting votes until `expires_at`.
    Open,
    /// Approved; its call is sent (or about to be) and its outcome is not recorded yet.
    Executing,
    /// Executed once; `execution.outcome` says what happened.
    Executed,
    /// The last execution attempt failed; `execution.last_failure` says why and whether `execute` may retry it.
    Failed,
    /// So many signers rejected it that the threshold can no longer be reached.
    Rejected,
    /// Voting closed before the threshold was reached.
    Expired,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    Approve,
    Reject,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct VoteRecord {
    pub signer: Principal,
    pub vote: Vote,
    pub at: u64,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub id: u64,
    pub proposer: Principal,
    pub summary: Option<String>,
    pub action: ProposalAction,
    pub created_at: u64,
    pub expires_at: u64,
    /// The signers and threshold when the proposal was created: only they vote on it, whatever changes later.
    pub signers: Vec<Principal>,
    pub threshold: u32,
    pub approvals: u32,
    pub rejections: u32,
    pub state: ProposalState,
    pub execution: Option<Execution>,
}

/// The execution of an approved proposal.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// Attempts sent so far (a re-send of the identical ledger call counts as one more).
    pub attempts: u32,
    /// When the last attempt started.
    pub last_attempt_at: u64,
    /// Ledger actions: the `created_at_time` and `memo` sent to the ledger in the last attempt.
    pub created_at_time: Option<u64>,
    pub memo: Option<serde_bytes::ByteBuf>,
    pub outcome: Option<ExecutionOutcome>,
    pub last_failure: Option<ExecutionFailure>,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub enum ExecutionOutcome {
    Transferred {
        block_index: Nat,
    },
    Approved {
        block_index: Nat,
    },
    SignerAdded,
    SignerRemoved,
    ThresholdChanged,
    /// The callee's reply, cut at [`MAX_RECORDED_REPLY_BYTES`] (`truncated`).
    Called {
        #[serde(with = "serde_bytes")]
        reply: Vec<u8>,
        truncated: bool,
    },
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ExecutionFailure {
    pub reason: String,
    pub at: u64,
    /// The call may have executed: a retry of a ledger action re-sends it identically (the ledger deduplicates it);
    /// a canister call is never re-sent.
    pub outcome_unknown: bool,
    /// Whether `execute` may try again.
    pub retryable: bool,
}

/// `getProposal`: the proposal and every vote cast on it, in order.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposalDetail {
    pub proposal: Proposal,
    pub votes: Vec<VoteRecord>,
}

/// Argument of `getProposals`: newest first, all states or one.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ProposalsRequest {
    pub state: Option<ProposalState>,
    pub page: PageRequest,
}

/// `getSigners`: the current signers and threshold (what new proposals snapshot).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct SignerSet {
    pub signers: Vec<Principal>,
    pub threshold: u32,
    pub default_expiry_seconds: u64,
}

/// Argument of `refreshBalance`.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct BalanceRequest {
    pub ledger: Principal,
    pub subaccount: Option<Subaccount>,
}

/// A balance of the wallet as the ledger last reported it (`refreshBalance`).
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct KnownBalance {
    pub ledger: Principal,
    pub subaccount: Option<Subaccount>,
    pub balance: Nat,
    pub refreshed_at: u64,
}

pub type ProposalResult = Result<Proposal, fleet_api::FleetError>;

pub const MAX_NAME_CHARS: usize = fleet_api::label::MAX_LABEL_CHARS;
pub const MAX_SIGNERS: usize = 50;
pub const MIN_EXPIRY_SECONDS: u64 = 60;
pub const MAX_EXPIRY_SECONDS: u64 = 90 * 24 * 60 * 60;
pub const DEFAULT_EXPIRY_SECONDS: u64 = 7 * 24 * 60 * 60;
pub const MAX_SUMMARY_CHARS: usize = 1_024;
pub const MAX_METHOD_NAME_BYTES: usize = 256;
pub const MAX_CALL_ARG_BYTES: usize = 64 * 1024;
pub const MAX_RECORDED_REPLY_BYTES: usize = 4 * 1024;
/// Proposals open (or executing) at once; a proposal more is refused until some close.
pub const MAX_OPEN_PROPOSALS: u64 = 100;
/// Ledger accounts whose balance the wallet remembers.
pub const MAX_KNOWN_BALANCES: u64 = 200;

/// The memo of a proposal's ledger call: `msig` and the proposal id (big-endian), so that the ledger keeps the
/// transfers of two proposals apart and deduplicates a re-send of the same one.
pub fn proposal_memo(proposal_id: u64) -> Vec<u8> {
    let mut memo = b"msig".to_vec();
    memo.extend_from_slice(&proposal_id.to_be_bytes());
    memo
}
