//! The contracts a factory deployed, and the per-user index that answers `getMyContracts`.
//!
//! The index is one map keyed `(user, contract seq)` holding the contract, the user's role in it (creator or
//! participant) and whether it is public: it is the creator index and the participant index at once, so a user's
//! contracts come out of one range scan, newest first, each exactly once, in O(log n + page). Per-user counts (all,
//! and private) make the total O(log n) for every viewer. A contract's participants are also kept per contract, so a
//! visibility change can update each member's entry and counts, in bounded batches (see `visibility`).
//!
//! Participants come from the contract's own callbacks, and a contract is only as honest as its owner (a
//! controller, who can install anything under its id): so they are capped per contract (`MAX_PARTICIPANTS`) and per
//! factory (`MAX_PARTICIPANT_LINKS`), and a participant entry never grants anything: it only lists the contract.

use candid::{CandidType, Principal};
use fleet_api::{ContractInfo, ContractKind, ContractStatus, FleetError, Page, PageRequest, UpgradePolicy};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, Storable};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::borrow::Cow;

use crate::api::{ContractDetails, FactoryStats};
use crate::codec::{bounded, candid_storable, put_principal, take_principal, UserCounts, MAX_PRINCIPAL_LEN};
use crate::memory::Mem;

pub const MAX_STATUS_TEXT: usize = 64;
pub const MAX_NAME_TEXT: usize = 128;
/// Most participants one contract may index (its creator not counted). 10,000 covers a distribution to 10,000
/// recipients (issue #13); each link costs the factory about 150 bytes of stable memory, so one contract costs at
/// most ~1.5 MB however its owner fills it.
pub const MAX_PARTICIPANTS: u64 = 10_000;
/// Most participant links of all contracts together: ~3 GB of index at the figure above, well inside a canister's
/// stable memory, whatever number of contracts owners create and fill.
pub const MAX_PARTICIPANT_LINKS: u64 = 20_000_000;

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ContractRecord {
    pub seq: u64,
    pub id: Principal,
    pub owner: Principal,
    pub version: String,
    pub module_hash: ByteBuf,
    pub created_at: u64,
    pub status: ContractStatus,
    pub is_public: bool,
    pub upgrade_policy: UpgradePolicy,
    pub name: String,
    pub reported_status: Option<String>,
    pub participants: u64,
    pub confirmed_at: Option<u64>,
}

impl ContractRecord {
    pub fn info(&self, kind: ContractKind) -> ContractInfo {
        ContractInfo {
            id: self.id,
            kind,
            owner: self.owner,
            version: self.version.clone(),
            module_hash: self.module_hash.to_vec(),
            created_at: self.created_at,
            status: self.status,
            is_public: self.is_public,
            upgrade_policy: self.upgrade_policy.clone(),
            name: self.name.clone(),
        }
    }

    pub fn details(&self, kind: ContractKind) -> ContractDetails {
        ContractDetails {
            info: self.info(kind),
            reported_status: self.reported_status.clone(),
            participants: self.participants,
            confirmed_at: self.confirmed_at,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberRole {
    Creator = 0,
    Participant = 1,
}

/// Value of the user index: the contract, the user's role in it, and the contract's visibility (copied here so that
/// listing for another viewer filters without reading records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Membership {
    pub contract: Principal,
    pub role: MemberRole,
    pub is_public: bool,
}

impl Storable for Membership {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let flags = self.role as u8 | (u8::from(!self.is_public) << 1);
        let mut out = vec![flags];
        put_principal(&mut out, &self.contract);
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let role = if bytes[0] & 1 == 0 { MemberRole::Creator } else { MemberRole::Participant };
        let (contract, _) = take_principal(&bytes[1..]);
        Self { contract, role, is_public: bytes[0] & 2 == 0 }
    }
    const BOUND: Bound = bounded(2 + MAX_PRINCIPAL_LEN as u32);
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreMeta {
    pub next_seq: u64,
    pub stats: FactoryStats,
}

candid_storable!(StoreMeta);

impl Storable for ContractRecord {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(crate::contract_codec::encode(self))
    }
    fn into_bytes(self) -> Vec<u8> {
        crate::contract_codec::encode(&self)
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        crate::contract_codec::decode(&bytes)
    }
    const BOUND: Bound = Bound::Unbounded;
}

pub struct ContractStore<M: Memory> {
    records: StableBTreeMap<Principal, ContractRecord, Mem<M>>,
    /// Keyed `(user, u64::MAX - seq)` (see `index_key`), so a forward scan gives the newest contract first: the
    /// B-tree's reverse iteration costs several times more per step.
    memberships: StableBTreeMap<(Principal, u64), Membership, Mem<M>>,
    user_counts: StableBTreeMap<Principal, UserCounts, Mem<M>>,
    /// (contract seq, participant): who takes part in each contract (its owner is in the record).
    participants: StableBTreeMap<(u64, Principal), (), Mem<M>>,
    meta: StableCell<StoreMeta, Mem<M>>,
    /// Contract seq → the visibility change still to be applied to its participants' entries.
    visibility_work: StableBTreeMap<u64, visibility::VisibilityWork, Mem<M>>,
    /// Contract → its callback token bucket (`callbacks`).
    pub(crate) callback_buckets: StableBTreeMap<Principal, crate::callbacks::Bucket, Mem<M>>,
}

/// What a new contract is recorded with.
pub struct NewContract {
    pub id: Principal,
    pub owner: Principal,
    pub version: String,
    pub module_hash: Vec<u8>,
    pub created_at: u64,
    pub confirmed_at: Option<u64>,
    pub is_public: bool,
    pub name: String,
    pub participants: Vec<Principal>,
}

impl<M: Memory> ContractStore<M> {
    pub fn init(
        records: Mem<M>,
        memberships: Mem<M>,
        user_counts: Mem<M>,
        participants: Mem<M>,
        meta: Mem<M>,
        visibility_work: Mem<M>,
        callback_buckets: Mem<M>,
    ) -> Self {
        Self {
            records: StableBTreeMap::init(records),
            memberships: StableBTreeMap::init(memberships),
            user_counts: StableBTreeMap::init(user_counts),
            participants: StableBTreeMap::init(participants),
            meta: StableCell::init(meta, StoreMeta::default()),
            visibility_work: StableBTreeMap::init(visibility_work),
            callback_buckets: StableBTreeMap::init(callback_buckets),
        }
    }

    pub fn get(&self, id: &Principal) -> Option<ContractRecord> {
        self.records.get(id)
    }

    pub fn contains(&self, id: &Principal) -> bool {
        self.records.contains_key(id)
    }

    pub fn len(&self) -> u64 {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn stats(&self) -> FactoryStats {
        self.meta.get().stats.clone()
    }

    pub fn update_stats(&mut self, f: impl FnOnce(&mut FactoryStats)) {
        let mut meta = self.meta.get().clone();
        f(&mut meta.stats);
        self.meta.set(meta);
    }

    /// Records a freshly installed contract and indexes its creator and initial participants. Refuses, writing
    /// nothing, more initial participants than the caps allow (`check_initial_participants`, which a deployment
    /// should call before it creates the canister).
    pub fn insert(&mut self, new: NewContract) -> Result<ContractRecord, FleetError> {
        if self.records.contains_key(&new.id) {
            return Err(FleetError::AlreadyExists(format!("contract {} is already recorded", new.id)));
        }
        self.check_initial_participants(&new.participants)?;
        let mut meta = self.meta.get().clone();
        let seq = meta.next_seq;
        meta.next_seq += 1;
        let status = if new.confirmed_at.is_some() { ContractStatus::Active } else { ContractStatus::Deploying };
        meta.stats.contracts += 1;
        match status {
            ContractStatus::Active => meta.stats.active += 1,
            _ => meta.stats.deploying += 1,
        }
        if !new.is_public {
            meta.stats.private_contracts += 1;
        }
        self.meta.set(meta);
        let mut record = ContractRecord {
            seq,
            id: new.id,
            owner: new.owner,
            version: new.version,
            module_hash: ByteBuf::from(new.module_hash),
            created_at: new.created_at,
            status,
            is_public: new.is_public,
            upgrade_policy: UpgradePolicy::default(),
            name: new.name,
            reported_status: None,
            participants: 0,
            confirmed_at: new.confirmed_at,
        };
        let entry = Membership { contract: new.id, role: MemberRole::Creator, is_public: new.is_public };
        self.memberships.insert(index_key(new.owner, seq), entry);
        self.bump_counts(new.owner, UserCounts { created: 1, participating: 0, private: u64::from(!new.is_public) });
        for user in new.participants {
            if self.link_participant(&record, user) {
                record.participants += 1;
            }
        }
        self.records.insert(record.id, record.clone());
        Ok(record)
    }

    fn bump_counts(&mut self, user: Principal, delta: UserCounts) {
        let counts = self.user_counts.get(&user).unwrap_or_default();
        let updated = UserCounts {
            created: counts.created + delta.created,
            participating: counts.participating + delta.participating,
            private: counts.private + delta.private,
        };
        self.user_counts.insert(user, updated);
    }

    /// Adds `user` to the index as a participant of `record`; false when already indexed (or the creator).
    fn link_participant(&mut self, record: &ContractRecord, user: Principal) -> bool {
        if user == record.owner
            || user == Principal::anonymous()
            || self.memberships.contains_key(&index_key(user, record.seq))
        {
            return false;
        }
        let entry = Membership { contract: record.id, role: MemberRole::Participant, is_public: record.is_public };
        self.memberships.insert(index_key(user, record.seq), entry);
        self.participants.insert((record.seq, user), ());
        self.bump_counts(user, UserCounts { created: 0, participating: 1, private: u64::from(!record.is_public) });
        self.update_stats(|s| s.participant_links += 1);
        true
    }

    /// Whether a new contract may start with `participants`: at most `MAX_PARTICIPANTS`, within the factory-wide cap.
    pub fn check_initial_participants(&self, participants: &[Principal]) -> Result<(), FleetError> {
        let count = participants.len() as u64;
        if count > MAX_PARTICIPANTS {
            return Err(FleetError::invalid(format!(
                "{count} initial participants; a contract may have at most {MAX_PARTICIPANTS}"
            )));
        }
        self.check_factory_links(count)
    }

    fn check_factory_links(&self, more: u64) -> Result<(), FleetError> {
        let links = self.meta.get().stats.participant_links;
        if links.saturating_add(more) > MAX_PARTICIPANT_LINKS {
            return Err(FleetError::invalid_state(format!(
                "this factory holds {links} participant links; {more} more would pass its limit of \
                 {MAX_PARTICIPANT_LINKS}"
            )));
        }
        Ok(())
    }

    pub fn add_participant(&mut self, contract: &Principal, user: Principal) -> Result<bool, FleetError> {
        self.add_participants(contract, &[user]).map(|added| added == 1)
    }

    /// Indexes `users` as participants of `contract`, all or none: the ones already indexed (and the creator) are
    /// skipped; the rest must fit within `MAX_PARTICIPANTS` and `MAX_PARTICIPANT_LINKS`, else nothing is written.
    /// Returns how many were added.
    pub fn add_participants(&mut self, contract: &Principal, users: &[Principal]) -> Result<u64, FleetError> {
        let mut record = self.require(contract)?;
        if users.contains(&Principal::anonymous()) {
            return Err(FleetError::invalid("the anonymous principal cannot be a participant"));
        }
        let mut fresh: Vec<Principal> = users
            .iter()
            .copied()
            .filter(|u| *u != record.owner && !self.memberships.contains_key(&index_key(*u, record.seq)))
            .collect();
        fresh.sort();
        fresh.dedup();
        let after = record.participants + fresh.len() as u64;
        if after > MAX_PARTICIPANTS {
            return Err(FleetError::invalid_state(format!(
                "contract {} has {} participants; {} more would pass the limit of {MAX_PARTICIPANTS}",
                record.id,
                record.participants,
                fresh.len()
            )));
        }
        self.check_factory_links(fresh.len() as u64)?;
        for user in &fresh {
            self.link_participant(&record, *user);
        }
        if !fresh.is_empty() {
            record.participants = after;
            self.records.insert(record.id, record);
        }
        Ok(fresh.len() as u64)
    }

    fn require(&self, contract: &Principal) -> Result<ContractRecord, FleetError> {
        self.records.get(contract).ok_or_else(|| FleetError::not_found(format!("contract {contract}")))
    }

    /// The contract confirmed it runs (`notifyDeploymentComplete`): Deploying → Active. Idempotent.
    pub fn confirm(&mut self, contract: &Principal, now: u64) -> Result<(), FleetError> {
        let mut record = self.require(contract)?;
        if record.status == ContractStatus::Deploying {
            record.status = ContractStatus::Active;
            record.confirmed_at = Some(now);
            self.records.insert(record.id, record);
            self.update_stats(|s| {
                s.deploying = s.deploying.saturating_sub(1);
                s.active += 1;
            });
        }
        Ok(())
    }

    pub fn set_reported_status(&mut self, contract: &Principal, status: String) -> Result<(), FleetError> {
        if status.len() > MAX_STATUS_TEXT {
            return Err(FleetError::invalid(format!("status is longer than {MAX_STATUS_TEXT} bytes")));
        }
        let mut record = self.require(contract)?;
        record.reported_status = Some(status);
        self.records.insert(record.id, record);
        Ok(())
    }

    /// The contract after `after` in id order (the first with `None`): a rollout's cursor.
    pub fn next_id_after(&self, after: Option<&Principal>) -> Option<Principal> {
        use std::ops::Bound;
        let lower = match after {
            Some(p) => Bound::Excluded(*p),
            None => Bound::Unbounded,
        };
        self.records.range((lower, Bound::Unbounded)).next().map(|e| *e.key())
    }

    /// An upgrade installed `version` (module `module_hash`) in the contract (or a rollback put it back).
    pub fn set_installed(&mut self, contract: &Principal, version: &str, module_hash: &[u8]) {
        if let Some(mut record) = self.records.get(contract) {
            record.version = version.to_string();
            record.module_hash = ByteBuf::from(module_hash.to_vec());
            self.records.insert(record.id, record);
        }
    }

    pub fn set_policy(&mut self, contract: &Principal, policy: UpgradePolicy) {
        if let Some(mut record) = self.records.get(contract) {
            record.upgrade_policy = policy;
            self.records.insert(record.id, record);
        }
    }

    /// The factory is no longer a controller: the contract is never touched again. Idempotent.
    pub fn detach(&mut self, contract: &Principal) {
        if let Some(mut record) = self.records.get(contract) {
            if record.status == ContractStatus::Detached {
                return;
            }
            let was = record.status;
            record.status = ContractStatus::Detached;
            self.records.insert(record.id, record);
            self.update_stats(|s| {
                match was {
                    ContractStatus::Deploying => s.deploying = s.deploying.saturating_sub(1),
                    ContractStatus::Active => s.active = s.active.saturating_sub(1),
                    ContractStatus::Detached => {}
                }
                s.detached += 1;
            });
        }
    }

    /// The contracts `user` created or takes part in, newest first. With `include_private` false, private contracts
    /// are left out.
    pub fn list_for_user(
        &self,
        user: Principal,
        include_private: bool,
        page: PageRequest,
        kind: ContractKind,
    ) -> Page<ContractInfo> {
        let range = (user, 0)..=(user, u64::MAX);
        let counts = self.user_counts.get(&user).unwrap_or_default();
        let all = counts.created + counts.participating;
        let total = if include_private { all } else { all.saturating_sub(counts.private) };
        let offset = page.offset.min(usize::MAX as u64) as usize;
        // Skip over keys only (no value decoding) when nothing is filtered; a viewer who may not see private
        // contracts filters on the entries' visibility bit.
        let keys: Vec<(Principal, u64)> = if include_private || counts.private == 0 {
            self.memberships.keys_range(range).skip(offset).take(page.effective_limit()).collect()
        } else {
            let visible = self.memberships.range(range).filter(|entry| entry.value().is_public);
            visible.skip(offset).take(page.effective_limit()).map(|entry| *entry.key()).collect()
        };
        let records: Vec<ContractRecord> = keys
            .iter()
            .filter_map(|key| self.memberships.get(key))
            .filter_map(|membership| self.records.get(&membership.contract))
            .collect();
        let end = page.offset.saturating_add(keys.len() as u64);
        let next_offset = (end < total && !keys.is_empty()).then_some(end);
        Page { items: records.iter().map(|r| r.info(kind)).collect(), total, next_offset }
    }

    /// Whether `user` is the creator or a participant of `contract`.
    pub fn is_member(&self, record: &ContractRecord, user: &Principal) -> bool {
        self.memberships.contains_key(&index_key(*user, record.seq))
    }
}

/// Index key of `user`'s entry for the contract numbered `seq`: newest first in key order.
fn index_key(user: Principal, seq: u64) -> (Principal, u64) {
    (user, u64::MAX - seq)
}

#[path = "contracts_visibility.rs"]
mod visibility;
pub use visibility::VISIBILITY_BATCH;

#[cfg(test)]
#[path = "contracts_tests.rs"]
mod tests;
