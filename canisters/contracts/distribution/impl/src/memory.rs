//! The distribution's memory ids. Ids below 10 belong to the contract runtime (see `contract_runtime::memory`). An id
//! is never reused for something else, even after the structure using it is retired.

/// `Config`: name, ledger, schedule, fixed at install (`StableCell`).
pub const CONFIG: u8 = 10;
/// `Books`: status, totals, fee, held tokens, counters, report cursor (`StableCell`).
pub const BOOKS: u8 = 11;
/// Recipient → allocation, claimed, fees reserved, position (`StableBTreeMap<Principal, RecipientRecord>`).
pub const RECIPIENTS: u8 = 12;
/// Recipients in the order they were added, for pages and participant reports (`StableVec<Principal>`).
pub const RECIPIENT_ORDER: u8 = 13;
/// Every outgoing transfer with its exact arguments and state (`StableBTreeMap<u64, TransferRecord>`).
pub const TRANSFERS: u8 = 14;
/// Ids of the transfers still pending (`StableBTreeMap<u64, ()>`).
pub const PENDING: u8 = 15;
