//! The DAO's memory ids. Ids below 10 belong to the contract runtime (see `contract_runtime::memory`). An id is
//! never reused for something else, even after the structure using it is retired.

/// `DaoConfig`: name, ledger, voting rules, counters and totals (`StableCell`).
pub const CONFIG: u8 = 10;
/// Member → their totals (`StableBTreeMap<Principal, Candid<Member>>`).
pub const MEMBERS: u8 = 11;
/// Stake id → stake (`StableBTreeMap<u64, Candid<Stake>>`).
pub const STAKES: u8 = 12;
/// (member, stake id), to list a member's stakes without a scan (`StableBTreeMap`).
pub const STAKES_BY_MEMBER: u8 = 13;
/// (member, stake-history point) → the member's voting power from that point on (`StableBTreeMap<_, u128>`): what
/// a vote reads for the proposal's snapshot.
pub const POWER_HISTORY: u8 = 14;
/// Proposal id → proposal with its tally and execution record (`StableBTreeMap<u64, Candid<Proposal>>`).
pub const PROPOSALS: u8 = 15;
/// (proposal id, member) → ballot (`StableBTreeMap`).
pub const BALLOTS: u8 = 16;
/// (state tag, proposal id), for listing by state without a scan (`StableBTreeMap<(u8, u64), ()>`).
pub const PROPOSALS_BY_STATE: u8 = 17;
/// (voting_ends_at, proposal id) of the open proposals, for deciding them in order (`StableBTreeMap`).
pub const OPEN_BY_DEADLINE: u8 = 18;
/// Members not yet reported to the factory as participants (`StableBTreeMap<Principal, ()>`).
pub const UNREPORTED_PARTICIPANTS: u8 = 19;
/// The factory reports' state: status text to report, attempts, last error (`StableCell`).
pub const REPORTS: u8 = 20;
