//! The contracts a factory deployed, and the per-user index that answers `getMyContracts`.
//!
//! The index is one map keyed `(user, contract seq)` holding the contract and the user's role in it (creator or
//! participant): it is the creator index and the participant index at once, so a user's contracts come out of one
//! range scan in creation order, each exactly once, in O(log n + page). Per-user counts make the total O(log n);
//! private contracts are a set of seqs so the visibility filter needs no record decoding.

use candid::{CandidType, Principal};
use fleet_api::{ContractInfo, ContractKind, ContractStatus, FleetError, Page, PageRequest, UpgradePolicy};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, Storable};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::borrow::Cow;

use crate::api::{ContractDetails, FactoryStats};
use crate::codec::{bounded, candid_storable, put_principal, take_principal, Counts, MAX_PRINCIPAL_LEN};
use crate::memory::Mem;

pub const MAX_STATUS_TEXT: usize = 64;

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

/// Value of the user index: the contract and the user's role in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Membership {
    pub contract: Principal,
    pub role: MemberRole,
}

impl Storable for Membership {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        let mut out = vec![self.role as u8];
        put_principal(&mut out, &self.contract);
        out
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let role = if bytes[0] == 0 { MemberRole::Creator } else { MemberRole::Participant };
        let (contract, _) = take_principal(&bytes[1..]);
        Self { contract, role }
    }
    const BOUND: Bound = bounded(2 + MAX_PRINCIPAL_LEN as u32);
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreMeta {
    pub next_seq: u64,
    pub stats: FactoryStats,
}

candid_storable!(ContractRecord, StoreMeta);

pub struct ContractStore<M: Memory> {
    records: StableBTreeMap<Principal, ContractRecord, Mem<M>>,
    /// Keyed `(user, u64::MAX - seq)` (see `index_key`), so a forward scan gives the newest contract first: the
    /// B-tree's reverse iteration costs several times more per step.
    memberships: StableBTreeMap<(Principal, u64), Membership, Mem<M>>,
    /// user → (contracts created, contracts participated in).
    user_counts: StableBTreeMap<Principal, Counts, Mem<M>>,
    private: StableBTreeMap<u64, (), Mem<M>>,
    meta: StableCell<StoreMeta, Mem<M>>,
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
    pub fn init(records: Mem<M>, memberships: Mem<M>, user_counts: Mem<M>, private: Mem<M>, meta: Mem<M>) -> Self {
        Self {
            records: StableBTreeMap::init(records),
            memberships: StableBTreeMap::init(memberships),
            user_counts: StableBTreeMap::init(user_counts),
            private: StableBTreeMap::init(private),
            meta: StableCell::init(meta, StoreMeta::default()),
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

    /// Records a freshly installed contract and indexes its creator and initial participants.
    pub fn insert(&mut self, new: NewContract) -> Result<ContractRecord, FleetError> {
        if self.records.contains_key(&new.id) {
            return Err(FleetError::AlreadyExists(format!("contract {} is already recorded", new.id)));
        }
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
            self.private.insert(seq, ());
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
        self.memberships.insert(index_key(new.owner, seq), Membership { contract: new.id, role: MemberRole::Creator });
        self.bump_counts(new.owner, 1, 0);
        for user in new.participants {
            if self.link_participant(&record, user) {
                record.participants += 1;
            }
        }
        self.records.insert(record.id, record.clone());
        Ok(record)
    }

    fn bump_counts(&mut self, user: Principal, created: u64, participating: u64) {
        let Counts(c, p) = self.user_counts.get(&user).unwrap_or_default();
        self.user_counts.insert(user, Counts(c + created, p + participating));
    }

    /// Adds `user` to the index as a participant of `record`; false when already indexed (or the creator).
    fn link_participant(&mut self, record: &ContractRecord, user: Principal) -> bool {
        if user == record.owner || user == Principal::anonymous() || self.memberships.contains_key(&index_key(user, record.seq)) {
            return false;
        }
        self.memberships.insert(index_key(user, record.seq), Membership { contract: record.id, role: MemberRole::Participant });
        self.bump_counts(user, 0, 1);
        self.update_stats(|s| s.participant_links += 1);
        true
    }

    pub fn add_participant(&mut self, contract: &Principal, user: Principal) -> Result<bool, FleetError> {
        let mut record = self.require(contract)?;
        let added = self.link_participant(&record, user);
        if added {
            record.participants += 1;
            self.records.insert(record.id, record);
        }
        Ok(added)
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

    pub fn set_visibility(&mut self, contract: &Principal, is_public: bool) -> Result<(), FleetError> {
        let mut record = self.require(contract)?;
        if record.is_public == is_public {
            return Ok(());
        }
        record.is_public = is_public;
        if is_public {
            self.private.remove(&record.seq);
        } else {
            self.private.insert(record.seq, ());
        }
        self.records.insert(record.id, record);
        self.update_stats(|s| {
            s.private_contracts = if is_public { s.private_contracts.saturating_sub(1) } else { s.private_contracts + 1 }
        });
        Ok(())
    }

    /// The contracts `user` created or takes part in, newest first. With `include_private` false, private contracts
    /// are left out (and the total counts only public ones, at the cost of a pass over the user's entries).
    pub fn list_for_user(
        &self,
        user: Principal,
        include_private: bool,
        page: PageRequest,
        kind: ContractKind,
    ) -> Page<ContractInfo> {
        let range = (user, 0)..=(user, u64::MAX);
        let visible = |key: &(Principal, u64)| include_private || !self.private.contains_key(&(u64::MAX - key.1));
        let total = if include_private {
            let Counts(created, participating) = self.user_counts.get(&user).unwrap_or_default();
            created + participating
        } else {
            self.memberships.keys_range(range.clone()).filter(visible).count() as u64
        };
        // Skip over keys only (no value decoding), then read the page's entries and records.
        let keys: Vec<(Principal, u64)> = self
            .memberships
            .keys_range(range)
            .filter(visible)
            .skip(page.offset.min(usize::MAX as u64) as usize)
            .take(page.effective_limit())
            .collect();
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

#[cfg(test)]
#[path = "contracts_tests.rs"]
mod tests;
