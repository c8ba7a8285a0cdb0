//! The ledger: balances, allowances, total supply, the transaction log, its ICRC-3 block log and deduplication, all
//! in stable structures.
//! Plain Rust over any `Memory`: the canister runs it on its stable memory, unit tests on `VectorMemory`.
//!
//! Every update follows the same shape: validate everything (no state touched), append the transaction to the log
//! (the only step that can fail for lack of memory, reported as `TemporarilyUnavailable`), then apply it.
//! Invariant: the sum of all balances equals the total supply, which never exceeds `u128::MAX`.

mod approve;
pub mod block;
mod block_log;
mod dedup;
mod error;
mod keys;
mod transaction;
mod transfer;
mod transfer_from;

#[cfg(test)]
mod tests;

pub use block_log::{BlockLogMigration, CatchUp};
pub use error::LedgerError;
pub use transaction::{Operation, StoredTx};

use crate::memory;
use block_log::BlockLog;
use candid::{CandidType, Nat};
use contract_runtime::storable::Candid;
use dedup::Dedup;
use fleet_api::FleetError;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, StableLog};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::Memo;
use keys::{AccountKey, AllowanceExpiry, AllowanceKey, DedupExpiry, StoredAllowance};
use serde::Deserialize;
use token_api::{
    amount_u128, error_codes, GetTransactionsRequest, GetTransactionsResponse, MetadataValue, TokenInit,
    DEFAULT_MAX_MEMO_LENGTH, MAX_TRANSACTIONS_PER_REQUEST,
};

/// The token's settings, fixed at install.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LedgerConfig {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub transfer_fee: u128,
    pub minting_account: Account,
    pub logo: Option<String>,
    pub max_memo_length: u16,
}

impl Default for LedgerConfig {
    /// What an uninstalled ledger reads; `status` reports it as not installed.
    fn default() -> Self {
        Self {
            name: String::new(),
            symbol: String::new(),
            decimals: 0,
            transfer_fee: 0,
            minting_account: Account { owner: candid::Principal::management_canister(), subaccount: None },
            logo: None,
            max_memo_length: DEFAULT_MAX_MEMO_LENGTH,
        }
    }
}

pub struct Ledger<M: Memory> {
    config: StableCell<Candid<LedgerConfig>, M>,
    balances: StableBTreeMap<AccountKey, u128, M>,
    allowances: StableBTreeMap<AllowanceKey, StoredAllowance, M>,
    allowance_expiries: StableBTreeMap<AllowanceExpiry, (), M>,
    total_supply: StableCell<u128, M>,
    transactions: StableLog<Candid<StoredTx>, M, M>,
    dedup: StableBTreeMap<[u8; 32], u64, M>,
    dedup_expiries: StableBTreeMap<DedupExpiry, (), M>,
    blocks: BlockLog<M>,
}

impl<M: Memory> Ledger<M> {
    /// Opens the ledger's structures on the memories `memory(id)` returns (ids from `crate::memory`).
    pub fn open(memory: impl Fn(u8) -> M) -> Self {
        Self {
            config: StableCell::init(memory(memory::CONFIG), Candid(LedgerConfig::default())),
            balances: StableBTreeMap::init(memory(memory::BALANCES)),
            allowances: StableBTreeMap::init(memory(memory::ALLOWANCES)),
            allowance_expiries: StableBTreeMap::init(memory(memory::ALLOWANCE_EXPIRIES)),
            total_supply: StableCell::init(memory(memory::TOTAL_SUPPLY), 0),
            transactions: StableLog::init(memory(memory::TRANSACTIONS_INDEX), memory(memory::TRANSACTIONS_DATA)),
            dedup: StableBTreeMap::init(memory(memory::DEDUP)),
            dedup_expiries: StableBTreeMap::init(memory(memory::DEDUP_EXPIRIES)),
            blocks: BlockLog::open(memory(memory::BLOCK_HASHES), memory(memory::BLOCK_LOG_MIGRATION)),
        }
    }

    /// Sets the token up from its init argument and mints the initial balances, one mint transaction each.
    pub fn install(&mut self, init: &TokenInit, now: u64) -> Result<(), FleetError> {
        token_api::validate_init(init)?;
        let args = &init.args;
        self.config.set(Candid(LedgerConfig {
            name: args.name.clone(),
            symbol: args.symbol.clone(),
            decimals: args.decimals,
            transfer_fee: amount_u128(&args.transfer_fee).unwrap_or_default(),
            minting_account: args.minting_account.unwrap_or(Account { owner: init.owner, subaccount: None }),
            logo: args.logo.clone(),
            max_memo_length: args.max_memo_length.unwrap_or(DEFAULT_MAX_MEMO_LENGTH),
        }));
        for (to, amount) in &args.initial_balances {
            let amount = amount_u128(amount).unwrap_or_default();
            let tx = StoredTx {
                operation: Operation::Mint { to: *to, amount },
                timestamp: now,
                created_at_time: None,
                memo: None,
                fee_in_request: None,
            };
            self.commit(tx, None).map_err(|e| FleetError::Internal(format!("minting the initial balances: {e:?}")))?;
        }
        Ok(())
    }

    pub fn config(&self) -> &LedgerConfig {
        &self.config.get().0
    }

    pub fn total_supply(&self) -> u128 {
        *self.total_supply.get()
    }

    pub fn balance_of(&self, account: &Account) -> u128 {
        self.balances.get(&AccountKey::from(account)).unwrap_or(0)
    }

    /// Number of accounts with a non-zero balance.
    pub fn accounts(&self) -> u64 {
        self.balances.len()
    }

    pub fn metadata(&self) -> Vec<(String, MetadataValue)> {
        let config = self.config();
        let mut metadata = vec![
            ("icrc1:name".to_string(), MetadataValue::Text(config.name.clone())),
            ("icrc1:symbol".to_string(), MetadataValue::Text(config.symbol.clone())),
            ("icrc1:decimals".to_string(), MetadataValue::Nat(Nat::from(config.decimals))),
            ("icrc1:fee".to_string(), MetadataValue::Nat(Nat::from(config.transfer_fee))),
            ("icrc1:max_memo_length".to_string(), MetadataValue::Nat(Nat::from(config.max_memo_length))),
        ];
        if let Some(logo) = &config.logo {
            metadata.push(("icrc1:logo".to_string(), MetadataValue::Text(logo.clone())));
        }
        metadata
    }

    /// A page of the transaction log. At most `MAX_TRANSACTIONS_PER_REQUEST` transactions whatever `length` says;
    /// a `start` past the end gives an empty page. Nothing is archived, so `archived_transactions` is always empty.
    pub fn transactions(&self, request: &GetTransactionsRequest) -> GetTransactionsResponse {
        let log_length = self.transactions.len();
        let start = amount_u128(&request.start).map_or(log_length, |s| s.min(log_length as u128) as u64);
        let length = amount_u128(&request.length)
            .map_or(MAX_TRANSACTIONS_PER_REQUEST, |l| l.min(MAX_TRANSACTIONS_PER_REQUEST as u128) as u64);
        let end = start.saturating_add(length).min(log_length);
        GetTransactionsResponse {
            log_length: Nat::from(log_length),
            first_index: Nat::from(start),
            transactions: (start..end).filter_map(|i| self.transactions.get(i)).map(|tx| tx.0.to_icrc3()).collect(),
            archived_transactions: vec![],
        }
    }

    pub fn transaction(&self, index: u64) -> Option<StoredTx> {
        self.transactions.get(index).map(|tx| tx.0)
    }

    pub fn transaction_count(&self) -> u64 {
        self.transactions.len()
    }

    /// The kind's part of `health`: a summary, or what is wrong.
    pub fn status(&self) -> Result<String, String> {
        let config = self.config();
        if config.name.is_empty() {
            return Err("the ledger is not initialized".to_string());
        }
        let behind = self.blocks_behind();
        if behind > 0 {
            return Err(format!(
                "migrating: the ICRC-3 block log is being built, {} of {} transactions have their block ({behind} to \
                 go); transfers are accepted meanwhile, icrc3_get_blocks serves the blocks built so far",
                self.built_blocks(),
                self.transactions.len()
            ));
        }
        Ok(format!(
            "{} ({}): {} accounts, total supply {}, {} transactions",
            config.name,
            config.symbol,
            self.accounts(),
            self.total_supply(),
            self.transactions.len()
        ))
    }

    /// Checks the memo length and the `created_at_time` window, common to every update. Deduplication comes after
    /// the request's own checks (`check_duplicate`).
    fn check_request(&self, memo: Option<&Memo>, dedup: Option<Dedup>, now: u64) -> Result<(), LedgerError> {
        let max = self.config().max_memo_length as usize;
        if let Some(memo) = memo {
            if memo.0.len() > max {
                return Err(LedgerError::generic(
                    error_codes::MEMO_TOO_LONG,
                    format!("the memo is {} bytes long, at most {max} are accepted", memo.0.len()),
                ));
            }
        }
        dedup::check_time(dedup.map(|d| d.created_at_time), now)
    }

    /// Appends a validated transaction, applies it and remembers it for deduplication. Returns its index.
    fn commit(&mut self, tx: StoredTx, dedup: Option<Dedup>) -> Result<u64, LedgerError> {
        let index = self.transactions.append(&Candid(tx.clone())).map_err(|_| LedgerError::TemporarilyUnavailable)?;
        self.chain_block(index, &tx);
        if let Err(violation) = self.apply(&tx.operation) {
            // Validation ran before the append, so this is a bug. Trapping rolls back the whole message (the
            // append included) instead of leaving a logged transaction half applied.
            panic!("ledger invariant violated while applying transaction {index}: {violation}");
        }
        self.remember(dedup, index);
        Ok(index)
    }

    fn apply(&mut self, operation: &Operation) -> Result<(), &'static str> {
        match *operation {
            Operation::Mint { to, amount } => {
                self.credit(&to, amount)?;
                self.change_supply(amount, 0)
            }
            Operation::Burn { from, amount, .. } => {
                self.debit(&from, amount)?;
                self.change_supply(0, amount)
            }
            Operation::Transfer { from, to, amount, fee, .. } => {
                self.debit(&from, amount.checked_add(fee).ok_or(invariant())?)?;
                self.credit(&to, amount)?;
                self.change_supply(0, fee)
            }
            // The allowance itself is set by `approve`, which knows the previous one.
            Operation::Approve { from, fee, .. } => {
                self.debit(&from, fee)?;
                self.change_supply(0, fee)
            }
        }
    }

    fn credit(&mut self, account: &Account, amount: u128) -> Result<(), &'static str> {
        if amount == 0 {
            return Ok(());
        }
        let key = AccountKey::from(account);
        let balance = self.balances.get(&key).unwrap_or(0).checked_add(amount).ok_or(invariant())?;
        self.balances.insert(key, balance);
        Ok(())
    }

    fn debit(&mut self, account: &Account, amount: u128) -> Result<(), &'static str> {
        let key = AccountKey::from(account);
        let balance = self.balances.get(&key).unwrap_or(0).checked_sub(amount).ok_or(invariant())?;
        if balance == 0 {
            self.balances.remove(&key);
        } else {
            self.balances.insert(key, balance);
        }
        Ok(())
    }

    fn change_supply(&mut self, minted: u128, burned: u128) -> Result<(), &'static str> {
        let supply = self.total_supply().checked_add(minted).and_then(|s| s.checked_sub(burned)).ok_or(invariant())?;
        self.total_supply.set(supply);
        Ok(())
    }
}

/// A balance or the supply would go below zero or beyond `u128::MAX`: impossible after validation.
fn invariant() -> &'static str {
    "a balance or the total supply left the range 0..=u128::MAX"
}
