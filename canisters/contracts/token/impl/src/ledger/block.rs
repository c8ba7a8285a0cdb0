//! A logged transaction as an ICRC-3 block: the standard's generic `Value`, with the ICRC-1 / ICRC-2 block schema
//! and an explicit `btype`. A block is a pure function of its transaction and its parent's hash, so the ledger
//! stores only each block's hash (`block_log`) and builds the `Value` again when a client asks for it.
//!
//! The fields, as the ICRC-3 standard names them:
//! - `btype`: `1mint`, `1burn`, `1xfer` (an `icrc1_transfer`, or a `transfer_from` of the spender's own account,
//!   which needs no allowance and is logged without spender), `2xfer` (a `transfer_from` with a spender),
//!   `2approve`;
//! - `phash`: the hash of the previous block, absent from block 0;
//! - `ts`: when the ledger applied the transaction;
//! - `fee`: the fee the ledger charged, at the block's top level when the caller left the fee out of the request;
//!   in `tx.fee` when the caller named it. Transactions 1.0.0 logged did not record which, so their blocks carry the
//!   ledger-set top-level `fee`. Mints and burns are free and carry no fee.
//! - `tx`: what the caller sent: `amt`, the accounts (`from`, `to`, `spender`), `memo`, `ts` (`created_at_time`),
//!   and for an approve `expected_allowance` and `expires_at`.
//!
//! An account is an `Array` of the owner's bytes and, when the caller gave one, the subaccount's bytes.

use super::transaction::{Operation, StoredTx};
use candid::Nat;
use icrc_ledger_types::icrc::generic_value::{ICRC3Map, ICRC3Value};
use icrc_ledger_types::icrc1::account::Account;
use serde_bytes::ByteBuf;

/// The representation-independent hash of a block (ICRC-3 "Value Hash").
pub type BlockHash = [u8; 32];

/// The block of `tx`, whose parent block has hash `parent` (`None` for block 0).
pub fn encode_block(tx: &StoredTx, parent: Option<&BlockHash>) -> ICRC3Value {
    let mut block = ICRC3Map::new();
    let mut fields = ICRC3Map::new();
    let (btype, fee) = match &tx.operation {
        Operation::Mint { to, amount } => {
            fields.insert("to".into(), account(to));
            fields.insert("amt".into(), nat(*amount));
            ("1mint", None)
        }
        Operation::Burn { from, spender, amount } => {
            fields.insert("from".into(), account(from));
            if let Some(spender) = spender {
                fields.insert("spender".into(), account(spender));
            }
            fields.insert("amt".into(), nat(*amount));
            ("1burn", None)
        }
        Operation::Transfer { from, to, spender, amount, fee } => {
            fields.insert("from".into(), account(from));
            fields.insert("to".into(), account(to));
            if let Some(spender) = spender {
                fields.insert("spender".into(), account(spender));
            }
            fields.insert("amt".into(), nat(*amount));
            (if spender.is_some() { "2xfer" } else { "1xfer" }, Some(*fee))
        }
        Operation::Approve { from, spender, amount, expected_allowance, expires_at, fee } => {
            fields.insert("from".into(), account(from));
            fields.insert("spender".into(), account(spender));
            fields.insert("amt".into(), nat(*amount));
            if let Some(expected) = expected_allowance {
                fields.insert("expected_allowance".into(), nat(*expected));
            }
            if let Some(at) = expires_at {
                fields.insert("expires_at".into(), nat(*at as u128));
            }
            ("2approve", Some(*fee))
        }
    };
    if let Some(fee) = fee {
        let field = if tx.fee_in_request == Some(true) { &mut fields } else { &mut block };
        field.insert("fee".into(), nat(fee));
    }
    if let Some(memo) = &tx.memo {
        fields.insert("memo".into(), ICRC3Value::Blob(memo.clone()));
    }
    if let Some(created_at_time) = tx.created_at_time {
        fields.insert("ts".into(), nat(created_at_time as u128));
    }
    block.insert("btype".into(), ICRC3Value::Text(btype.into()));
    if let Some(parent) = parent {
        block.insert("phash".into(), ICRC3Value::Blob(ByteBuf::from(parent.to_vec())));
    }
    block.insert("ts".into(), nat(tx.timestamp as u128));
    block.insert("tx".into(), ICRC3Value::Map(fields));
    ICRC3Value::Map(block)
}

/// The hash of the block of `tx` whose parent has hash `parent`.
pub fn block_hash(tx: &StoredTx, parent: Option<&BlockHash>) -> BlockHash {
    encode_block(tx, parent).hash()
}

fn account(account: &Account) -> ICRC3Value {
    let mut parts = vec![ICRC3Value::Blob(ByteBuf::from(account.owner.as_slice().to_vec()))];
    if let Some(subaccount) = &account.subaccount {
        parts.push(ICRC3Value::Blob(ByteBuf::from(subaccount.to_vec())));
    }
    ICRC3Value::Array(parts)
}

fn nat(value: u128) -> ICRC3Value {
    ICRC3Value::Nat(Nat::from(value))
}
