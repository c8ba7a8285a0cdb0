//! One error for the ledger's logic, converted at the edge into the error type of each ICRC method. A variant a
//! method's error type lacks cannot be produced by that method; the conversion still maps it to `GenericError`
//! rather than panicking.

use candid::Nat;
use token_api::{ApproveError, TransferError, TransferFromError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerError {
    BadFee { expected_fee: u128 },
    BadBurn { min_burn_amount: u128 },
    InsufficientFunds { balance: u128 },
    InsufficientAllowance { allowance: u128 },
    AllowanceChanged { current_allowance: u128 },
    Expired { ledger_time: u64 },
    TooOld,
    CreatedInFuture { ledger_time: u64 },
    Duplicate { duplicate_of: u64 },
    TemporarilyUnavailable,
    Generic { error_code: u64, message: String },
}

impl LedgerError {
    pub fn generic(error_code: u64, message: impl Into<String>) -> Self {
        Self::Generic { error_code, message: message.into() }
    }

    fn into_generic(self) -> (Nat, String) {
        match self {
            Self::Generic { error_code, message } => (Nat::from(error_code), message),
            other => (Nat::from(0u8), format!("{other:?}")),
        }
    }
}

impl From<LedgerError> for TransferError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::BadFee { expected_fee } => Self::BadFee { expected_fee: expected_fee.into() },
            LedgerError::BadBurn { min_burn_amount } => Self::BadBurn { min_burn_amount: min_burn_amount.into() },
            LedgerError::InsufficientFunds { balance } => Self::InsufficientFunds { balance: balance.into() },
            LedgerError::TooOld => Self::TooOld,
            LedgerError::CreatedInFuture { ledger_time } => Self::CreatedInFuture { ledger_time },
            LedgerError::Duplicate { duplicate_of } => Self::Duplicate { duplicate_of: duplicate_of.into() },
            LedgerError::TemporarilyUnavailable => Self::TemporarilyUnavailable,
            other => {
                let (error_code, message) = other.into_generic();
                Self::GenericError { error_code, message }
            }
        }
    }
}

impl From<LedgerError> for ApproveError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::BadFee { expected_fee } => Self::BadFee { expected_fee: expected_fee.into() },
            LedgerError::InsufficientFunds { balance } => Self::InsufficientFunds { balance: balance.into() },
            LedgerError::AllowanceChanged { current_allowance } => {
                Self::AllowanceChanged { current_allowance: current_allowance.into() }
            }
            LedgerError::Expired { ledger_time } => Self::Expired { ledger_time },
            LedgerError::TooOld => Self::TooOld,
            LedgerError::CreatedInFuture { ledger_time } => Self::CreatedInFuture { ledger_time },
            LedgerError::Duplicate { duplicate_of } => Self::Duplicate { duplicate_of: duplicate_of.into() },
            LedgerError::TemporarilyUnavailable => Self::TemporarilyUnavailable,
            other => {
                let (error_code, message) = other.into_generic();
                Self::GenericError { error_code, message }
            }
        }
    }
}

impl From<LedgerError> for TransferFromError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::BadFee { expected_fee } => Self::BadFee { expected_fee: expected_fee.into() },
            LedgerError::BadBurn { min_burn_amount } => Self::BadBurn { min_burn_amount: min_burn_amount.into() },
            LedgerError::InsufficientFunds { balance } => Self::InsufficientFunds { balance: balance.into() },
            LedgerError::InsufficientAllowance { allowance } => {
                Self::InsufficientAllowance { allowance: allowance.into() }
            }
            LedgerError::TooOld => Self::TooOld,
            LedgerError::CreatedInFuture { ledger_time } => Self::CreatedInFuture { ledger_time },
            LedgerError::Duplicate { duplicate_of } => Self::Duplicate { duplicate_of: duplicate_of.into() },
            LedgerError::TemporarilyUnavailable => Self::TemporarilyUnavailable,
            other => {
                let (error_code, message) = other.into_generic();
                Self::GenericError { error_code, message }
            }
        }
    }
}
