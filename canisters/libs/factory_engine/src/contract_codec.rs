//! The stable layout of a contract record: hand-written because a factory holds many of them and `getMyContracts`
//! reads a page of them per query (candid spent ~120 more bytes per record on its type table, and far more
//! instructions to decode).
//!
//! Layout, format 1: `[1] seq:u64 id:principal owner:principal version:str module_hash:bytes created_at:u64
//! status:u8 is_public:u8 policy:u8 [pinned:str] name:str reported_status:opt<str> participants:u64
//! confirmed_at:opt<u64>`. Integers are little-endian; `str`/`bytes` are a u16 length then the bytes; `opt` is a
//! presence byte. A later format appends fields after these, so this reader stays valid for the prefix.

use candid::Principal;
use fleet_api::{ContractStatus, UpgradePolicy};
use serde_bytes::ByteBuf;

use crate::codec::{put_principal, take_principal};
use crate::contracts::ContractRecord;

const FORMAT: u8 = 1;

pub fn encode(r: &ContractRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(160);
    out.push(FORMAT);
    out.extend_from_slice(&r.seq.to_le_bytes());
    put_principal(&mut out, &r.id);
    put_principal(&mut out, &r.owner);
    put_bytes(&mut out, r.version.as_bytes());
    put_bytes(&mut out, &r.module_hash);
    out.extend_from_slice(&r.created_at.to_le_bytes());
    out.push(match r.status {
        ContractStatus::Deploying => 0,
        ContractStatus::Active => 1,
        ContractStatus::Detached => 2,
    });
    out.push(u8::from(r.is_public));
    match &r.upgrade_policy {
        UpgradePolicy::Manual => out.push(0),
        UpgradePolicy::Auto => out.push(1),
        UpgradePolicy::AutoWithinMajor => out.push(2),
        UpgradePolicy::Pinned(version) => {
            out.push(3);
            put_bytes(&mut out, version.as_bytes());
        }
    }
    put_bytes(&mut out, r.name.as_bytes());
    match &r.reported_status {
        None => out.push(0),
        Some(status) => {
            out.push(1);
            put_bytes(&mut out, status.as_bytes());
        }
    }
    out.extend_from_slice(&r.participants.to_le_bytes());
    match r.confirmed_at {
        None => out.push(0),
        Some(at) => {
            out.push(1);
            out.extend_from_slice(&at.to_le_bytes());
        }
    }
    out
}

/// Decodes what `encode` wrote. Panics (a trap, rolling the message back) only on bytes this code did not write.
pub fn decode(bytes: &[u8]) -> ContractRecord {
    let mut r = Reader(bytes);
    assert_eq!(r.u8(), FORMAT, "unknown contract record format");
    let seq = r.u64();
    let id = r.principal();
    let owner = r.principal();
    let version = r.string();
    let module_hash = ByteBuf::from(r.bytes().to_vec());
    let created_at = r.u64();
    let status = match r.u8() {
        0 => ContractStatus::Deploying,
        1 => ContractStatus::Active,
        _ => ContractStatus::Detached,
    };
    let is_public = r.u8() == 1;
    let upgrade_policy = match r.u8() {
        0 => UpgradePolicy::Manual,
        1 => UpgradePolicy::Auto,
        2 => UpgradePolicy::AutoWithinMajor,
        _ => UpgradePolicy::Pinned(r.string()),
    };
    let name = r.string();
    let reported_status = (r.u8() == 1).then(|| r.string());
    let participants = r.u64();
    let confirmed_at = (r.u8() == 1).then(|| r.u64());
    ContractRecord {
        seq,
        id,
        owner,
        version,
        module_hash,
        created_at,
        status,
        is_public,
        upgrade_policy,
        name,
        reported_status,
        participants,
        confirmed_at,
    }
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // Every text of a record is bounded far below 64 KiB (names and statuses are validated, versions are ≤ 64).
    let len = bytes.len().min(u16::MAX as usize);
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(&bytes[..len]);
}

pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
    pub(crate) fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    pub(crate) fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().expect("8 bytes"))
    }
    pub(crate) fn bytes(&mut self) -> &'a [u8] {
        let len = u16::from_le_bytes(self.take(2).try_into().expect("2 bytes")) as usize;
        self.take(len)
    }
    pub(crate) fn string(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }
    pub(crate) fn principal(&mut self) -> Principal {
        let (principal, rest) = take_principal(self.0);
        self.0 = rest;
        principal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips() {
        let mut record = ContractRecord {
            seq: 7,
            id: Principal::from_slice(&[1, 2, 3]),
            owner: Principal::from_slice(&[9; 29]),
            version: "1.2.3-rc.1".into(),
            module_hash: ByteBuf::from(vec![0xAB; 32]),
            created_at: u64::MAX,
            status: ContractStatus::Detached,
            is_public: false,
            upgrade_policy: UpgradePolicy::Pinned("1.2.0".into()),
            name: "Ünïcode (ÜNI)".into(),
            reported_status: Some("Paused".into()),
            participants: 12,
            confirmed_at: Some(5),
        };
        assert_eq!(decode(&encode(&record)), record);
        record.upgrade_policy = UpgradePolicy::AutoWithinMajor;
        record.reported_status = None;
        record.confirmed_at = None;
        record.status = ContractStatus::Active;
        assert_eq!(decode(&encode(&record)), record);
    }
}
