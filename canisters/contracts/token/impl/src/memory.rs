//! The token's memory ids. Ids below 10 belong to the contract runtime (see `contract_runtime::memory`). An id is
//! never reused for something else, even after the structure using it is retired.

/// `LedgerConfig`: name, symbol, decimals, fee, minting account, logo, memo limit (`StableCell`).
pub const CONFIG: u8 = 10;
/// Balance per account (`StableBTreeMap<AccountKey, u128>`); zero balances are not stored.
pub const BALANCES: u8 = 11;
/// Allowance per (account, spender) (`StableBTreeMap`); zero allowances are not stored.
pub const ALLOWANCES: u8 = 12;
/// Allowances by expiry time, for deleting expired ones (`StableBTreeMap`).
pub const ALLOWANCE_EXPIRIES: u8 = 13;
/// Total supply (`StableCell<u128>`).
pub const TOTAL_SUPPLY: u8 = 14;
/// The transaction log, index and data (`StableLog`).
pub const TRANSACTIONS_INDEX: u8 = 15;
pub const TRANSACTIONS_DATA: u8 = 16;
/// Request hash → transaction index, for deduplication inside the window (`StableBTreeMap`).
pub const DEDUP: u8 = 17;
/// Dedup entries by `created_at_time`, for forgetting them after the window (`StableBTreeMap`).
pub const DEDUP_EXPIRIES: u8 = 18;
/// Hash of each ICRC-3 block, by block index (`StableVec<[u8; 32]>`). Added in 1.1.0 (schema 2).
pub const BLOCK_HASHES: u8 = 19;
/// The schema 1 → 2 block log migration's record (`StableCell`), `None` on a ledger installed at schema 2.
pub const BLOCK_LOG_MIGRATION: u8 = 20;
