//! The launchpad's memory ids. Ids below 10 belong to the contract runtime (see `contract_runtime::memory`). An id is
//! never reused for something else, even after the structure using it is retired.

/// `Config`: the sale's arguments, fixed at install (`StableCell<Candid<Config>>`).
pub const CONFIG: u8 = 10;
/// `Books`: status, totals, fees, counters, cursors (`StableCell`, fixed layout).
pub const BOOKS: u8 = 11;
/// Buyer → contributed, pending, claimed, position (`StableBTreeMap<Principal, BuyerRecord>`).
pub const BUYERS: u8 = 12;
/// Buyers in the order of their first settled contribution: participant reports, pages, the refund job
/// (`StableVec<Principal>`).
pub const BUYER_ORDER: u8 = 13;
/// The allow-list (`StableBTreeMap<Principal, ()>`).
pub const ALLOW_LIST: u8 = 14;
/// Every contribution with its exact arguments and state (`StableBTreeMap<u64, ContributionRecord>`).
pub const CONTRIBUTIONS: u8 = 15;
/// Every outgoing transfer with its exact arguments and state (`StableBTreeMap<u64, TransferRecord>`).
pub const TRANSFERS: u8 = 16;
/// Ids of the contributions still pending (`StableBTreeMap<u64, ()>`).
pub const PENDING_CONTRIBUTIONS: u8 = 17;
/// Ids of the outgoing transfers still pending (`StableBTreeMap<u64, ()>`).
pub const PENDING_TRANSFERS: u8 = 18;
