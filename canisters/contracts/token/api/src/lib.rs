//! The token contract's interface: an ICRC-1 + ICRC-2 ledger with an ICRC-3 block log (ICRC-10 for the standards
//! list) and a paginated transaction log, deployed by the token factory or installed by hand (the fleet's local payment ledger).
//!
//! Callers, the factory and tests depend on this crate, never on the implementation. `token.did` is the candid
//! interface; the implementation crate checks itself against it in a test.

mod validate;

use candid::{CandidType, Nat};
use serde::{Deserialize, Serialize};

pub use icrc_ledger_types::icrc::generic_metadata_value::MetadataValue;
/// An ICRC-3 block: the standard's generic `Value`.
pub use icrc_ledger_types::icrc::generic_value::ICRC3Value;
pub use icrc_ledger_types::icrc1::account::{Account, Subaccount};
pub use icrc_ledger_types::icrc1::transfer::{BlockIndex, Memo, NumTokens, TransferArg, TransferError};
pub use icrc_ledger_types::icrc2::allowance::{Allowance, AllowanceArgs};
pub use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};
pub use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
pub use icrc_ledger_types::icrc3::archive::{GetArchivesArgs, GetArchivesResult, ICRC3ArchiveInfo};
pub use icrc_ledger_types::icrc3::blocks::{
    BlockWithId, GetBlocksRequest, GetBlocksResult, ICRC3DataCertificate, SupportedBlockType,
};
pub use icrc_ledger_types::icrc3::transactions::{
    Approve, Burn, GetTransactionsRequest, GetTransactionsResponse, Mint, Transaction, Transfer,
};
pub use validate::{amount_u128, validate, validate_init};

/// Init argument of the token contract: candid `record { factory : opt principal; owner : principal; version : text;
/// args : TokenArgs }`.
pub type TokenInit = fleet_api::ContractInit<TokenArgs>;

/// The token's own init arguments.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct TokenArgs {
    pub name: String,
    pub symbol: String,
    /// Digits after the decimal point in user interfaces; at most [`MAX_DECIMALS`].
    pub decimals: u8,
    /// Fee of every transfer, approve and transfer_from, in base units; burned. Mints and burns are free.
    pub transfer_fee: Nat,
    /// Balances minted at install, one mint transaction each. Each account at most once; none may be the minting
    /// account.
    pub initial_balances: Vec<(Account, Nat)>,
    /// The account whose transfers mint and to which transfers burn. Default: the owner's default account.
    pub minting_account: Option<Account>,
    /// `icrc1:logo` metadata, typically a `data:image/...` URL; at most [`MAX_LOGO_BYTES`].
    pub logo: Option<String>,
    /// Longest memo accepted, in bytes; between [`DEFAULT_MAX_MEMO_LENGTH`] (the ICRC-1 minimum, the default) and
    /// [`MAX_MEMO_LENGTH`].
    pub max_memo_length: Option<u16>,
}

/// `icrc1_supported_standards` / `icrc10_supported_standards` entry.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct StandardRecord {
    pub name: String,
    pub url: String,
}

pub const MAX_NAME_CHARS: usize = fleet_api::label::MAX_LABEL_CHARS;
pub const MAX_SYMBOL_CHARS: usize = 12;
pub const MAX_DECIMALS: u8 = 18;
pub const MAX_LOGO_BYTES: usize = 32 * 1024;
/// Keeps the install message well inside the instruction and message size limits.
pub const MAX_INITIAL_BALANCES: usize = 10_000;
pub const DEFAULT_MAX_MEMO_LENGTH: u16 = 32;
pub const MAX_MEMO_LENGTH: u16 = 256;
/// Most transactions one `get_transactions` call returns, whatever `length` asks for.
pub const MAX_TRANSACTIONS_PER_REQUEST: u64 = 1_000;
/// Most blocks one `icrc3_get_blocks` call returns, all its ranges together, whatever they ask for.
pub const MAX_BLOCKS_PER_REQUEST: u64 = 1_000;
/// Transactions with a `created_at_time` are deduplicated within this window (ICRC-1 `TX_WINDOW`), 24 hours.
pub const TRANSACTION_WINDOW_NANOS: u64 = 24 * 60 * 60 * 1_000_000_000;
/// Clock drift tolerated between the caller and the ledger (ICRC-1 `PERMITTED_DRIFT`), 60 seconds.
pub const PERMITTED_DRIFT_NANOS: u64 = 60 * 1_000_000_000;

/// `error_code` of the `GenericError`s this ledger returns.
pub mod error_codes {
    /// The memo is longer than the ledger's `max_memo_length`.
    pub const MEMO_TOO_LONG: u64 = 1;
    /// The operation is not allowed for these accounts (e.g. minting to the minting account, approving oneself).
    pub const INVALID_ACCOUNTS: u64 = 2;
    /// A mint would take the total supply beyond what the ledger can represent (2^128 - 1).
    pub const SUPPLY_OVERFLOW: u64 = 3;
}

/// The standards this ledger implements.
pub fn supported_standards() -> Vec<StandardRecord> {
    [
        ("ICRC-1", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-1"),
        ("ICRC-2", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-2"),
        ("ICRC-3", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-3"),
        ("ICRC-10", "https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-10/ICRC-10.md"),
    ]
    .into_iter()
    .map(|(name, url)| StandardRecord { name: name.to_string(), url: url.to_string() })
    .collect()
}

/// The ICRC-3 block types this ledger writes (`btype` of every block): the ICRC-1 and ICRC-2 block schemas of the
/// ICRC-3 standard.
pub fn supported_block_types() -> Vec<SupportedBlockType> {
    const ICRC1: &str = "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-1/README.md";
    const ICRC2: &str = "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-2/README.md";
    [("1burn", ICRC1), ("1mint", ICRC1), ("1xfer", ICRC1), ("2approve", ICRC2), ("2xfer", ICRC2)]
        .into_iter()
        .map(|(block_type, url)| SupportedBlockType { block_type: block_type.to_string(), url: url.to_string() })
        .collect()
}
