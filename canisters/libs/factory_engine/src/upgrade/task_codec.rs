//! The stable layout of a task, hand-written like the contract record's (`contract_codec`): a rollout of 100,000
//! contracts writes 100,000 of them, and candid's type table alone would cost more than the task.
//!
//! Layout, format 1: `[1] id:u64 rollout:u64 contract:principal state:u8 from:str path:u8 count then str each
//! step:u32 snapshot:opt<bytes> install_tried:u8 reason:opt<str> topped_up:u128 in_flight:opt<u128> started_at:u64
//! state_since:u64`, integers little-endian, `str`/`bytes` a u16 length then the bytes.

use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
use serde_bytes::ByteBuf;
use std::borrow::Cow;

use super::api::TaskState;
use super::store::Task;
use crate::codec::put_principal;
use crate::contract_codec::{put_bytes, Reader};

const FORMAT: u8 = 1;

fn put_opt(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => out.push(0),
        Some(b) => {
            out.push(1);
            put_bytes(out, b);
        }
    }
}

impl Storable for Task {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        let mut out = Vec::with_capacity(128);
        out.push(FORMAT);
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.rollout.to_le_bytes());
        put_principal(&mut out, &self.contract);
        out.push(self.state.code());
        put_bytes(&mut out, self.from_version.as_bytes());
        out.push(self.path.len().min(u8::MAX as usize) as u8);
        for step in self.path.iter().take(u8::MAX as usize) {
            put_bytes(&mut out, step.as_bytes());
        }
        out.extend_from_slice(&self.step.to_le_bytes());
        put_opt(&mut out, self.snapshot.as_deref().map(|s| &s[..]));
        out.push(u8::from(self.install_tried));
        put_opt(&mut out, self.reason.as_deref().map(str::as_bytes));
        out.extend_from_slice(&self.cycles_topped_up.to_le_bytes());
        match self.top_up_in_flight {
            None => out.push(0),
            Some(n) => {
                out.push(1);
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        out.extend_from_slice(&self.started_at.to_le_bytes());
        out.extend_from_slice(&self.state_since.to_le_bytes());
        Cow::Owned(out)
    }

    fn into_bytes(self) -> Vec<u8> {
        self.to_bytes().into_owned()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let mut r = Reader(&bytes[1..]);
        let u128 = |r: &mut Reader| u128::from_le_bytes(r.take(16).try_into().expect("16 bytes"));
        let id = r.u64();
        let rollout = r.u64();
        let contract = r.principal();
        let code = r.u8();
        let state = TaskState::ALL.into_iter().find(|s| s.code() == code).unwrap_or(TaskState::Failed);
        let from_version = r.string();
        let steps = r.u8();
        let path = (0..steps).map(|_| r.string()).collect();
        let step = u32::from_le_bytes(r.take(4).try_into().expect("4 bytes"));
        let snapshot = (r.u8() == 1).then(|| ByteBuf::from(r.bytes().to_vec()));
        let install_tried = r.u8() == 1;
        let reason = (r.u8() == 1).then(|| r.string());
        let cycles_topped_up = u128(&mut r);
        let top_up_in_flight = (r.u8() == 1).then(|| u128(&mut r));
        let started_at = r.u64();
        let state_since = r.u64();
        Task {
            id,
            rollout,
            contract,
            state,
            from_version,
            path,
            step,
            snapshot,
            install_tried,
            reason,
            cycles_topped_up,
            top_up_in_flight,
            started_at,
            state_since,
        }
    }

    const BOUND: Bound = Bound::Unbounded;
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Principal;

    #[test]
    fn every_field_round_trips() {
        let task = Task {
            id: 7,
            rollout: 3,
            contract: Principal::from_slice(&[9; 29]),
            state: TaskState::Verifying,
            from_version: "1.0.0".into(),
            path: vec!["1.1.0".into(), "2.0.0-rc.1".into()],
            step: 1,
            snapshot: Some(ByteBuf::from(vec![1, 2, 3])),
            install_tried: true,
            reason: Some("why".into()),
            cycles_topped_up: u128::MAX,
            top_up_in_flight: Some(5),
            started_at: 11,
            state_since: 12,
        };
        assert_eq!(Task::from_bytes(task.to_bytes()), task);
        let bare = Task { snapshot: None, reason: None, top_up_in_flight: None, path: vec![], ..task };
        assert_eq!(Task::from_bytes(bare.to_bytes()), bare);
    }
}
