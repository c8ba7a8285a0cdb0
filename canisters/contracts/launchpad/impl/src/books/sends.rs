//! What a ledger call's answer means for a recorded send, the same for contributions (`icrc2_transfer_from`) and
//! outgoing transfers (`icrc1_transfer`).

use candid::Nat;
use icrc_ledger_types::icrc1::transfer::TransferError;
use icrc_ledger_types::icrc2::transfer_from::TransferFromError;

/// A call error: whether the ledger may have executed the call (a lost reply, an undecodable answer), as every
/// contract kind classifies a failed call.
pub use contract_runtime::ledger::SendFailure;

/// The ledger's answer, with what the books act on picked out of either error type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerReply {
    Ok(Nat),
    Duplicate(Nat),
    TemporarilyUnavailable,
    BadFee(Nat),
    TooOld,
    Other(String),
}

pub type SendOutcome = Result<LedgerReply, SendFailure>;

impl From<Result<Nat, TransferError>> for LedgerReply {
    fn from(r: Result<Nat, TransferError>) -> Self {
        match r {
            Ok(block) => Self::Ok(block),
            Err(TransferError::Duplicate { duplicate_of }) => Self::Duplicate(duplicate_of),
            Err(TransferError::TemporarilyUnavailable) => Self::TemporarilyUnavailable,
            Err(TransferError::BadFee { expected_fee }) => Self::BadFee(expected_fee),
            Err(TransferError::TooOld) => Self::TooOld,
            Err(other) => Self::Other(format!("{other:?}")),
        }
    }
}

impl From<Result<Nat, TransferFromError>> for LedgerReply {
    fn from(r: Result<Nat, TransferFromError>) -> Self {
        match r {
            Ok(block) => Self::Ok(block),
            Err(TransferFromError::Duplicate { duplicate_of }) => Self::Duplicate(duplicate_of),
            Err(TransferFromError::TemporarilyUnavailable) => Self::TemporarilyUnavailable,
            Err(TransferFromError::BadFee { expected_fee }) => Self::BadFee(expected_fee),
            Err(TransferFromError::TooOld) => Self::TooOld,
            Err(other) => Self::Other(format!("{other:?}")),
        }
    }
}

/// How a settled send changes the books.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendVerdict {
    Executed {
        block_index: Nat,
    },
    /// Nothing moved. `expected_fee`: the ledger's fee, when it refused ours.
    Refused {
        reason: String,
        expected_fee: Option<Nat>,
    },
    /// Kept pending, re-sent identically later.
    Unknown {
        reason: String,
    },
    NeedsOperator {
        reason: String,
    },
}

/// The verdict on a send's outcome. Only the first send's refusal proves nothing moved: after a send of unknown
/// outcome, a ledger that checks the fee or the deduplication window before deduplicating may refuse a re-send of an
/// executed call, so `BadFee` and `TooOld` then need an operator.
pub fn verdict(first: bool, outcome: SendOutcome) -> SendVerdict {
    match outcome {
        Ok(LedgerReply::Ok(block_index)) | Ok(LedgerReply::Duplicate(block_index)) => {
            SendVerdict::Executed { block_index }
        }
        Ok(LedgerReply::TemporarilyUnavailable) if !first => {
            SendVerdict::Unknown { reason: "ledger temporarily unavailable".into() }
        }
        Ok(LedgerReply::BadFee(fee)) if first => {
            SendVerdict::Refused { reason: format!("BadFee {{ expected_fee: {fee} }}"), expected_fee: Some(fee) }
        }
        Ok(reply @ (LedgerReply::BadFee(_) | LedgerReply::TooOld)) if !first => SendVerdict::NeedsOperator {
            reason: format!("a re-send after an unknown outcome was refused with {reply:?}"),
        },
        Ok(reply) => SendVerdict::Refused { reason: format!("{reply:?}"), expected_fee: None },
        Err(failure) if failure.may_have_executed || !first => SendVerdict::Unknown { reason: failure.reason },
        Err(failure) => SendVerdict::Refused { reason: failure.reason, expected_fee: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lost() -> SendOutcome {
        Err(SendFailure { reason: "lost".into(), may_have_executed: true })
    }

    #[test]
    fn only_a_first_refusal_proves_nothing_moved() {
        assert!(matches!(verdict(true, Ok(LedgerReply::Other("x".into()))), SendVerdict::Refused { .. }));
        assert!(matches!(
            verdict(true, Ok(LedgerReply::BadFee(5u8.into()))),
            SendVerdict::Refused { expected_fee: Some(_), .. }
        ));
        assert!(matches!(verdict(false, Ok(LedgerReply::BadFee(5u8.into()))), SendVerdict::NeedsOperator { .. }));
        assert!(matches!(verdict(false, Ok(LedgerReply::TooOld)), SendVerdict::NeedsOperator { .. }));
        assert!(matches!(verdict(true, lost()), SendVerdict::Unknown { .. }));
        assert!(matches!(verdict(false, Ok(LedgerReply::TemporarilyUnavailable)), SendVerdict::Unknown { .. }));
        let rejected = Err(SendFailure { reason: "stopped".into(), may_have_executed: false });
        assert!(matches!(verdict(true, rejected.clone()), SendVerdict::Refused { .. }));
        assert!(matches!(verdict(false, rejected), SendVerdict::Unknown { .. }));
        assert!(matches!(verdict(false, Ok(LedgerReply::Duplicate(3u8.into()))), SendVerdict::Executed { .. }));
    }
}
