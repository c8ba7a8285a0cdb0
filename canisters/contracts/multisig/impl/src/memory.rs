//! The wallet's memory ids. Ids below 10 belong to the contract runtime (see `contract_runtime::memory`). An id is
//! never reused for something else, even after the structure using it is retired.

/// `WalletConfig`: name, signers, threshold, default expiry, next proposal id, proposals per state (`StableCell`).
pub const CONFIG: u8 = 10;
/// Proposal id → proposal, with its signer snapshot and execution record (`StableBTreeMap<u64, Candid<Proposal>>`).
pub const PROPOSALS: u8 = 11;
/// (proposal id, vote number) → vote (`StableBTreeMap`); at most one per signer of the proposal's snapshot.
pub const VOTES: u8 = 12;
/// (state tag, proposal id), for listing proposals by state without a scan (`StableBTreeMap<(u8, u64), ()>`).
pub const PROPOSALS_BY_STATE: u8 = 13;
/// (expires_at, proposal id) of the open proposals, for expiring them in order (`StableBTreeMap`).
pub const OPEN_BY_EXPIRY: u8 = 14;
/// (ledger, subaccount) → balance and when the ledger reported it (`StableBTreeMap`).
pub const BALANCES: u8 = 15;
/// Signers not yet reported to the factory as participants (`StableBTreeMap<Principal, ()>`).
pub const UNREPORTED_PARTICIPANTS: u8 = 16;
/// The factory reports' state: status text to report, attempts, last error (`StableCell`).
pub const REPORTS: u8 = 17;
