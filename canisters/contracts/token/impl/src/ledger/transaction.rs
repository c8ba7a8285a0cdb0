//! The append-only transaction log: what is stored per transaction and how it is shown (ICRC-3 `Transaction`).

use candid::{CandidType, Nat};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::Memo;
use serde::Deserialize;
use serde_bytes::ByteBuf;
use token_api::{Approve, Burn, Mint, Transaction, Transfer};

/// One transaction of the log, in candid so later versions can add optional fields.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoredTx {
    pub operation: Operation,
    /// Ledger time when the transaction was applied (ns since the epoch).
    pub timestamp: u64,
    pub created_at_time: Option<u64>,
    pub memo: Option<ByteBuf>,
    /// Whether the caller named the fee in its request (ICRC-3 then shows it in `tx.fee`, else at the block's top
    /// level). Added in 1.1.0: `None` in what 1.0.0 logged, and for the mints of the initial balances.
    pub fee_in_request: Option<bool>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    Mint {
        to: Account,
        amount: u128,
    },
    /// `spender` is set for a burn through `icrc2_transfer_from`.
    Burn {
        from: Account,
        spender: Option<Account>,
        amount: u128,
    },
    /// `fee` is the fee charged (and burned); `spender` is set for `icrc2_transfer_from`.
    Transfer {
        from: Account,
        to: Account,
        spender: Option<Account>,
        amount: u128,
        fee: u128,
    },
    Approve {
        from: Account,
        spender: Account,
        amount: u128,
        expected_allowance: Option<u128>,
        expires_at: Option<u64>,
        fee: u128,
    },
}

impl StoredTx {
    pub fn to_icrc3(&self) -> Transaction {
        let memo = self.memo.clone().map(Memo);
        let created_at_time = self.created_at_time;
        let nat = |v: u128| Nat::from(v);
        match self.operation.clone() {
            Operation::Mint { to, amount } => {
                Transaction::mint(Mint { amount: nat(amount), to, memo, created_at_time, fee: None }, self.timestamp)
            }
            Operation::Burn { from, spender, amount } => Transaction::burn(
                Burn { amount: nat(amount), from, spender, memo, created_at_time, fee: None },
                self.timestamp,
            ),
            Operation::Transfer { from, to, spender, amount, fee } => Transaction::transfer(
                Transfer { amount: nat(amount), from, to, spender, memo, fee: Some(nat(fee)), created_at_time },
                self.timestamp,
            ),
            Operation::Approve { from, spender, amount, expected_allowance, expires_at, fee } => Transaction::approve(
                Approve {
                    from,
                    spender,
                    amount: nat(amount),
                    expected_allowance: expected_allowance.map(nat),
                    expires_at,
                    memo,
                    fee: Some(nat(fee)),
                    created_at_time,
                },
                self.timestamp,
            ),
        }
    }
}
