//! A ledger transfer the backend owes (a charge, a refund, a fee withdrawal), written to stable memory with its exact
//! arguments before it is first sent, and re-sent unchanged until the ledger gives a definite answer.
//!
//! The rule that keeps money from being lost or moved twice: once a send *may* have executed (its reply never came,
//! was lost in a trap or an upgrade, or could not be read), its arguments are frozen. Re-sending the identical transfer
//! lets the ledger's deduplication answer (`Duplicate` = it executed). Only a definite answer to an identical re-send
//! proves that nothing executed and frees the obligation to be sent again with new arguments (a new fee, a new
//! `created_at_time`). An answer that cannot be deduplicated any more (`TooOld`) after a send of unknown outcome goes
//! to an operator.
//!
//! ICRC-1 ledgers (the ICP ledger and the `ic-icrc1-ledger` family, and our token) check `created_at_time` first and
//! then deduplication, before balances, allowances and fees: so `InsufficientFunds` answering an identical re-send
//! inside the window proves the earlier send did not execute.

use super::runtime::CallResult;
use candid::{CandidType, Deserialize, Nat};
use icrc_ledger_types::icrc1::transfer::TransferError;
use icrc_ledger_types::icrc2::transfer_from::TransferFromError;

/// The stored transfer and what is known of its sends.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LedgerSend<A> {
    /// Exactly what is (re-)sent.
    pub args: A,
    /// How many times it was sent (counted before each send).
    pub sends: u32,
    /// Some send may have executed without us learning its outcome.
    pub outcome_unknown: bool,
}

impl<A> LedgerSend<A> {
    pub fn new(args: A) -> Self {
        Self { args, sends: 0, outcome_unknown: false }
    }
}

/// The ledger's answer, sorted by what it proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerAnswer {
    /// It executed, now or earlier (`Ok`, or `Duplicate` of an earlier send).
    Executed(Nat),
    /// The ledger checked the transfer, deduplication included, and refused it.
    Refused(String),
    /// The transfer can no longer be deduplicated (`TooOld`), or can never be re-sent identically (`BadFee`).
    Stale(String),
    /// Nothing executed, but the ledger decided nothing about earlier sends (busy, clock skew, rejected call).
    NoDecision(String),
    /// It may have executed (lost or unreadable reply).
    Unknown(String),
}

/// What the owner of the obligation does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Done(Nat),
    /// Proven: nothing of this obligation executed. It may be given up or sent anew.
    NotExecuted(String),
    /// Re-send the identical transfer later.
    Retry(String),
    /// Only a person who looks at the ledger can tell.
    NeedsOperator(String),
}

/// Decides from `answer` and whether a send before this one may have executed.
pub fn judge(answer: LedgerAnswer, unknown_before: bool) -> Verdict {
    match answer {
        LedgerAnswer::Executed(block) => Verdict::Done(block),
        LedgerAnswer::Refused(reason) => Verdict::NotExecuted(reason),
        LedgerAnswer::Stale(reason) if unknown_before => Verdict::NeedsOperator(format!(
            "{reason}: an earlier send may have executed and the ledger can no longer tell; check the ledger"
        )),
        LedgerAnswer::Stale(reason) | LedgerAnswer::NoDecision(reason) if !unknown_before => {
            Verdict::NotExecuted(reason)
        }
        LedgerAnswer::NoDecision(reason) | LedgerAnswer::Unknown(reason) | LedgerAnswer::Stale(reason) => {
            Verdict::Retry(reason)
        }
    }
}

pub fn classify_transfer_from(reply: CallResult<Result<Nat, TransferFromError>>) -> LedgerAnswer {
    match reply {
        Ok(Ok(block)) | Ok(Err(TransferFromError::Duplicate { duplicate_of: block })) => LedgerAnswer::Executed(block),
        Ok(Err(e @ (TransferFromError::TooOld | TransferFromError::BadFee { .. }))) => {
            LedgerAnswer::Stale(e.to_string())
        }
        Ok(Err(
            e @ (TransferFromError::TemporarilyUnavailable
            | TransferFromError::CreatedInFuture { .. }
            | TransferFromError::GenericError { .. }),
        )) => LedgerAnswer::NoDecision(e.to_string()),
        Ok(Err(refused)) => LedgerAnswer::Refused(refused.to_string()),
        Err(e) if e.may_have_executed => LedgerAnswer::Unknown(e.reason),
        Err(e) => LedgerAnswer::NoDecision(e.reason),
    }
}

pub fn classify_transfer(reply: CallResult<Result<Nat, TransferError>>) -> LedgerAnswer {
    match reply {
        Ok(Ok(block)) | Ok(Err(TransferError::Duplicate { duplicate_of: block })) => LedgerAnswer::Executed(block),
        Ok(Err(e @ (TransferError::TooOld | TransferError::BadFee { .. }))) => LedgerAnswer::Stale(e.to_string()),
        Ok(Err(
            e @ (TransferError::TemporarilyUnavailable
            | TransferError::CreatedInFuture { .. }
            | TransferError::GenericError { .. }),
        )) => LedgerAnswer::NoDecision(e.to_string()),
        Ok(Err(refused)) => LedgerAnswer::Refused(refused.to_string()),
        Err(e) if e.may_have_executed => LedgerAnswer::Unknown(e.reason),
        Err(e) => LedgerAnswer::NoDecision(e.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definite_refusal_proves_nothing_executed_even_after_an_unknown_send() {
        // The identical re-send would have been answered Duplicate had the earlier one executed.
        for unknown_before in [false, true] {
            assert!(matches!(judge(LedgerAnswer::Refused("funds".into()), unknown_before), Verdict::NotExecuted(_)));
        }
    }

    #[test]
    fn too_old_after_an_unknown_send_goes_to_an_operator_and_never_to_a_new_transfer() {
        assert!(matches!(judge(LedgerAnswer::Stale("too old".into()), true), Verdict::NeedsOperator(_)));
        assert!(matches!(judge(LedgerAnswer::Stale("too old".into()), false), Verdict::NotExecuted(_)));
    }

    #[test]
    fn no_decision_after_an_unknown_send_is_retried_identically() {
        assert!(matches!(judge(LedgerAnswer::NoDecision("busy".into()), true), Verdict::Retry(_)));
        assert!(matches!(judge(LedgerAnswer::NoDecision("busy".into()), false), Verdict::NotExecuted(_)));
        assert!(matches!(judge(LedgerAnswer::Unknown("lost".into()), false), Verdict::Retry(_)));
        assert_eq!(judge(LedgerAnswer::Executed(Nat::from(3u8)), true), Verdict::Done(Nat::from(3u8)));
    }

    #[test]
    fn ledger_errors_are_sorted_by_what_they_prove() {
        let refused = classify_transfer(Ok(Err(TransferError::InsufficientFunds { balance: Nat::from(0u8) })));
        assert!(matches!(refused, LedgerAnswer::Refused(_)));
        let duplicate = classify_transfer(Ok(Err(TransferError::Duplicate { duplicate_of: Nat::from(9u8) })));
        assert_eq!(duplicate, LedgerAnswer::Executed(Nat::from(9u8)));
        assert!(matches!(classify_transfer(Ok(Err(TransferError::TooOld))), LedgerAnswer::Stale(_)));
        let busy = classify_transfer_from(Ok(Err(TransferFromError::TemporarilyUnavailable)));
        assert!(matches!(busy, LedgerAnswer::NoDecision(_)));
    }
}
