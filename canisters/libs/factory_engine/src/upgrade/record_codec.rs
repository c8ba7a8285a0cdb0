//! Hand-written stable layouts of the per-contract upgrade bookkeeping and of journal entries: each task transition
//! writes one journal entry and an admission reads and writes the contract's bookkeeping, and candid (a type table
//! per value, serde on both sides) cost several times the instructions. Values written by the first layout (candid,
//! recognised by its `DIDL` magic) are still read.
//!
//! `ContractUpgradeInfo`, format 1: `[1] busy_with:opt<u64> last_snapshot:opt<(id:bytes version:str
//! module_hash:bytes taken_at:u64)> last_upgraded_at:opt<u64> last_task:opt<u64>`.
//! `JournalEntry`, format 1: `[1] at:u64 task:u64 rollout:u64 contract:principal from:u8 to:u8 detail:str`.
//! Integers little-endian, `str`/`bytes` a u16 length then the bytes, `opt` a presence byte.

use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
use serde_bytes::ByteBuf;
use std::borrow::Cow;

use super::api::{ContractUpgradeInfo, JournalEntry, SnapshotRef, TaskState};
use crate::codec::put_principal;
use crate::contract_codec::{put_bytes, Reader};

const FORMAT: u8 = 1;

fn is_candid(bytes: &[u8]) -> bool {
    bytes.starts_with(b"DIDL")
}

fn put_opt_u64(out: &mut Vec<u8>, value: Option<u64>) {
    match value {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

fn opt_u64(r: &mut Reader) -> Option<u64> {
    (r.u8() == 1).then(|| r.u64())
}

pub(crate) fn state_of(code: u8) -> TaskState {
    TaskState::ALL.into_iter().find(|s| s.code() == code).unwrap_or(TaskState::Failed)
}

impl Storable for ContractUpgradeInfo {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        let mut out = Vec::with_capacity(96);
        out.push(FORMAT);
        put_opt_u64(&mut out, self.busy_with);
        match &self.last_snapshot {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                put_bytes(&mut out, &s.id);
                put_bytes(&mut out, s.version.as_bytes());
                put_bytes(&mut out, &s.module_hash);
                out.extend_from_slice(&s.taken_at.to_le_bytes());
            }
        }
        put_opt_u64(&mut out, self.last_upgraded_at);
        put_opt_u64(&mut out, self.last_task);
        Cow::Owned(out)
    }

    fn into_bytes(self) -> Vec<u8> {
        self.to_bytes().into_owned()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        if is_candid(&bytes) {
            return candid::decode_one(&bytes).expect("candid decoding of a stable record");
        }
        let mut r = Reader(&bytes[1..]);
        let busy_with = opt_u64(&mut r);
        let last_snapshot = (r.u8() == 1).then(|| SnapshotRef {
            id: ByteBuf::from(r.bytes().to_vec()),
            version: r.string(),
            module_hash: ByteBuf::from(r.bytes().to_vec()),
            taken_at: r.u64(),
        });
        let last_upgraded_at = opt_u64(&mut r);
        let last_task = opt_u64(&mut r);
        Self { busy_with, last_snapshot, last_upgraded_at, last_task }
    }

    const BOUND: Bound = Bound::Unbounded;
}

impl Storable for JournalEntry {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        let mut out = Vec::with_capacity(64 + self.detail.len());
        out.push(FORMAT);
        for n in [self.at, self.task, self.rollout] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        put_principal(&mut out, &self.contract);
        out.push(self.from.code());
        out.push(self.to.code());
        // Cut on a character boundary within put_bytes' 64 KiB.
        let mut end = self.detail.len().min(u16::MAX as usize);
        while !self.detail.is_char_boundary(end) {
            end -= 1;
        }
        put_bytes(&mut out, &self.detail.as_bytes()[..end]);
        Cow::Owned(out)
    }

    fn into_bytes(self) -> Vec<u8> {
        self.to_bytes().into_owned()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        if is_candid(&bytes) {
            return candid::decode_one(&bytes).expect("candid decoding of a stable record");
        }
        let mut r = Reader(&bytes[1..]);
        let (at, task, rollout) = (r.u64(), r.u64(), r.u64());
        let contract = r.principal();
        let from = state_of(r.u8());
        let to = state_of(r.u8());
        let detail = r.string();
        Self { at, task, rollout, contract, from, to, detail }
    }

    const BOUND: Bound = Bound::Unbounded;
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Principal;

    #[test]
    fn every_field_round_trips_and_candid_values_are_still_read() {
        let info = ContractUpgradeInfo {
            busy_with: Some(3),
            last_snapshot: Some(SnapshotRef {
                id: ByteBuf::from(vec![1, 2, 3]),
                version: "1.2.0-rc.1".into(),
                module_hash: ByteBuf::from(vec![0xAB; 32]),
                taken_at: u64::MAX,
            }),
            last_upgraded_at: Some(9),
            last_task: None,
        };
        assert_eq!(ContractUpgradeInfo::from_bytes(info.to_bytes()), info);
        let bare = ContractUpgradeInfo::default();
        assert_eq!(ContractUpgradeInfo::from_bytes(bare.to_bytes()), bare);
        let old = candid::encode_one(&info).unwrap();
        assert_eq!(ContractUpgradeInfo::from_bytes(Cow::Owned(old)), info);

        let entry = JournalEntry {
            at: 1,
            task: 2,
            rollout: 0,
            contract: Principal::from_slice(&[7; 29]),
            from: TaskState::Verifying,
            to: TaskState::RollingBack,
            detail: "verification failed: é".into(),
        };
        assert_eq!(JournalEntry::from_bytes(entry.to_bytes()), entry);
        let old = candid::encode_one(&entry).unwrap();
        assert_eq!(JournalEntry::from_bytes(Cow::Owned(old)), entry);
        let long = JournalEntry { detail: "é".repeat(40_000), ..entry };
        let back = JournalEntry::from_bytes(long.to_bytes());
        assert!(long.detail.starts_with(&back.detail) && back.detail.len() >= 65_534, "cut on a char boundary");
    }
}
