//! Spare canisters: what a failed deployment leaves instead of a deleted canister. A canister whose install or
//! hand-over failed is uninstalled (code, memory and chunk store cleared; the factory stays its only controller) and
//! kept here with its cycles, and the next deployment takes it instead of paying the creation fee again. Deleting it
//! would burn its cycles: the IC cannot give them back.

use candid::Principal;
use ic_stable_structures::{Memory, StableBTreeMap};

use crate::api::SpareCanister;
use crate::codec::candid_storable;
use crate::memory::Mem;

candid_storable!(SpareCanister);

pub struct SparePool<M: Memory> {
    spares: StableBTreeMap<Principal, SpareCanister, Mem<M>>,
}

impl<M: Memory> SparePool<M> {
    pub fn init(memory: Mem<M>) -> Self {
        Self { spares: StableBTreeMap::init(memory) }
    }

    /// Keeps an emptied canister for the next deployment (a canister already kept is updated, not doubled).
    pub fn keep(&mut self, canister: Principal, cycles: u128, now: u64) {
        self.spares.insert(canister, SpareCanister { canister, cycles, since: now });
    }

    /// Takes the spare with the most cycles (the one needing the smallest top-up), removing it from the pool.
    pub fn take(&mut self) -> Option<SpareCanister> {
        let best = self.spares.values().max_by_key(|s| s.cycles)?;
        self.spares.remove(&best.canister)
    }

    pub fn contains(&self, canister: &Principal) -> bool {
        self.spares.contains_key(canister)
    }

    pub fn len(&self) -> u64 {
        self.spares.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spares.is_empty()
    }

    pub fn list(&self) -> Vec<SpareCanister> {
        self.spares.values().collect()
    }
}
