//! The upgrade engine's counters cell, with the hot part of the active rollout: its task counts per state and the
//! plan's per-task knobs. Every task transition updates the counts, so they live here in a fixed binary layout (one
//! cell write of ~130 bytes) instead of in the rollout's candid record (a decode and an encode of the whole plan,
//! ~2 M instructions, per transition). The candid record gets the counts back when the rollout is over; while it is
//! active the cell is authoritative (`UpgradeStore::rollout` merges them).
//!
//! Layout, format 2: `[2] next_rollout:u64 next_task:u64 active:opt<u64> hot:opt<(rollout:u64 queued:u64
//! in_flight:u64 done:u64 skipped:u64 rolled_back:u64 failed:u64 updated_at:u64 snapshot:u8 stop_timeout_ns:u64
//! cycles_floor:u128 top_up_cap:u128 running:u8 max_concurrency:u32 failure_budget:u32)>`, little-endian, `opt` a presence byte. Format 1 was the candid record
//! `{ next_rollout; next_task; active_rollout }` (recognised by its `DIDL` magic): read as it was, with no hot part,
//! which the store then fills from the active rollout's record.

use candid::{CandidType, Deserialize};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
use std::borrow::Cow;

use super::api::{RolloutPlan, TaskCounts};
use crate::contract_codec::Reader;

pub const DEFAULT_STOP_TIMEOUT_S: u64 = 300;
pub const DEFAULT_CYCLES_FLOOR: u128 = 500_000_000_000;
pub const DEFAULT_TOP_UP_CAP: u128 = 2_000_000_000_000;

/// The knobs of one task: its rollout's plan, or the defaults for an owner's upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskParams {
    pub snapshot: bool,
    pub stop_timeout_ns: u64,
    pub cycles_floor: u128,
    pub top_up_cap: u128,
}

impl Default for TaskParams {
    fn default() -> Self {
        Self {
            snapshot: true,
            stop_timeout_ns: DEFAULT_STOP_TIMEOUT_S * 1_000_000_000,
            cycles_floor: DEFAULT_CYCLES_FLOOR,
            top_up_cap: DEFAULT_TOP_UP_CAP,
        }
    }
}

impl TaskParams {
    pub fn of_plan(plan: &RolloutPlan) -> Self {
        let defaults = Self::default();
        Self {
            snapshot: plan.snapshot.unwrap_or(true),
            stop_timeout_ns: plan.stop_timeout_seconds.map(|s| s * 1_000_000_000).unwrap_or(defaults.stop_timeout_ns),
            cycles_floor: plan.cycles_floor.unwrap_or(defaults.cycles_floor),
            top_up_cap: plan.top_up_cap.unwrap_or(defaults.top_up_cap),
        }
    }
}

/// The active rollout's hot fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolloutHot {
    pub rollout: u64,
    pub counts: TaskCounts,
    pub updated_at: u64,
    pub params: TaskParams,
    /// Copies of the record's state (`Running`) and plan limits, so a slot freed between ticks is refilled without
    /// reading the record (`UpgradeStore::put_rollout` keeps them in step).
    pub running: bool,
    pub max_concurrency: u32,
    pub failure_budget: u32,
}

impl RolloutHot {
    pub fn of(id: u64, record_counts: &TaskCounts, updated_at: u64, plan: &RolloutPlan, running: bool) -> Self {
        Self {
            rollout: id,
            counts: record_counts.clone(),
            updated_at,
            params: TaskParams::of_plan(plan),
            running,
            max_concurrency: plan.max_concurrency,
            failure_budget: plan.failure_budget,
        }
    }

    /// Whether a queued task may start now: the rollout runs, a slot is free, the failure budget is not spent.
    pub fn may_start(&self) -> bool {
        self.running
            && self.counts.in_flight < u64::from(self.max_concurrency)
            && self.counts.failures() < u64::from(self.failure_budget)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpgradeMeta {
    pub next_rollout: u64,
    pub next_task: u64,
    /// The one rollout that is not over, if any.
    pub active_rollout: Option<u64>,
    /// The hot fields of `active_rollout` (`None` until first needed after a format-1 cell).
    pub hot: Option<RolloutHot>,
}

/// Format 1, as candid wrote it.
#[derive(CandidType, Deserialize)]
struct UpgradeMetaV1 {
    next_rollout: u64,
    next_task: u64,
    active_rollout: Option<u64>,
}

const FORMAT: u8 = 2;

fn put_opt_u64(out: &mut Vec<u8>, value: Option<u64>) {
    match value {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

fn u128_of(r: &mut Reader) -> u128 {
    u128::from_le_bytes(r.take(16).try_into().expect("16 bytes"))
}

impl Storable for UpgradeMeta {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        let mut out = Vec::with_capacity(136);
        out.push(FORMAT);
        out.extend_from_slice(&self.next_rollout.to_le_bytes());
        out.extend_from_slice(&self.next_task.to_le_bytes());
        put_opt_u64(&mut out, self.active_rollout);
        match &self.hot {
            None => out.push(0),
            Some(h) => {
                out.push(1);
                let c = &h.counts;
                for n in [h.rollout, c.queued, c.in_flight, c.done, c.skipped, c.rolled_back, c.failed, h.updated_at] {
                    out.extend_from_slice(&n.to_le_bytes());
                }
                out.push(u8::from(h.params.snapshot));
                out.extend_from_slice(&h.params.stop_timeout_ns.to_le_bytes());
                out.extend_from_slice(&h.params.cycles_floor.to_le_bytes());
                out.extend_from_slice(&h.params.top_up_cap.to_le_bytes());
                out.push(u8::from(h.running));
                out.extend_from_slice(&h.max_concurrency.to_le_bytes());
                out.extend_from_slice(&h.failure_budget.to_le_bytes());
            }
        }
        Cow::Owned(out)
    }

    fn into_bytes(self) -> Vec<u8> {
        self.to_bytes().into_owned()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        if bytes.starts_with(b"DIDL") {
            let v1: UpgradeMetaV1 = candid::decode_one(&bytes).expect("candid decoding of the upgrade counters");
            return Self {
                next_rollout: v1.next_rollout,
                next_task: v1.next_task,
                active_rollout: v1.active_rollout,
                hot: None,
            };
        }
        let mut r = Reader(&bytes[1..]);
        let next_rollout = r.u64();
        let next_task = r.u64();
        let active_rollout = (r.u8() == 1).then(|| r.u64());
        let hot = (r.u8() == 1).then(|| {
            let rollout = r.u64();
            let counts = TaskCounts {
                queued: r.u64(),
                in_flight: r.u64(),
                done: r.u64(),
                skipped: r.u64(),
                rolled_back: r.u64(),
                failed: r.u64(),
            };
            let updated_at = r.u64();
            let params = TaskParams {
                snapshot: r.u8() == 1,
                stop_timeout_ns: r.u64(),
                cycles_floor: u128_of(&mut r),
                top_up_cap: u128_of(&mut r),
            };
            let running = r.u8() == 1;
            let u32_of = |r: &mut Reader| u32::from_le_bytes(r.take(4).try_into().expect("4 bytes"));
            let max_concurrency = u32_of(&mut r);
            let failure_budget = u32_of(&mut r);
            RolloutHot { rollout, counts, updated_at, params, running, max_concurrency, failure_budget }
        });
        Self { next_rollout, next_task, active_rollout, hot }
    }

    const BOUND: Bound = Bound::Unbounded;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips_and_the_candid_format_is_still_read() {
        let meta = UpgradeMeta {
            next_rollout: 4,
            next_task: u64::MAX,
            active_rollout: Some(3),
            hot: Some(RolloutHot {
                rollout: 3,
                counts: TaskCounts { queued: 1, in_flight: 2, done: 3, skipped: 4, rolled_back: 5, failed: 6 },
                updated_at: 7,
                params: TaskParams { snapshot: false, stop_timeout_ns: 8, cycles_floor: u128::MAX, top_up_cap: 9 },
                running: true,
                max_concurrency: 50,
                failure_budget: u32::MAX,
            }),
        };
        assert_eq!(UpgradeMeta::from_bytes(meta.to_bytes()), meta);
        let bare = UpgradeMeta { active_rollout: None, hot: None, ..meta };
        assert_eq!(UpgradeMeta::from_bytes(bare.to_bytes()), bare);
        let v1 = candid::encode_one(UpgradeMetaV1 { next_rollout: 2, next_task: 9, active_rollout: Some(1) }).unwrap();
        let read = UpgradeMeta::from_bytes(Cow::Owned(v1));
        assert_eq!(read, UpgradeMeta { next_rollout: 2, next_task: 9, active_rollout: Some(1), hot: None });
    }
}
