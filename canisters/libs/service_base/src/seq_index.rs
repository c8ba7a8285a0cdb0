//! An append-only index from a key (a user, a contract, an action) to the record ids filed under it, in filing order.
//!
//! Entries are `(key, seq) -> id` where `seq` counts 0, 1, 2... per key. The count of a key is one past its last
//! `seq` (one O(log n) lookup), and the page at any offset is a direct range `(key, lo)..=(key, hi)`: O(log n + page)
//! whatever the offset, unlike a `(key, id)` set that would have to skip `offset` entries.

use crate::paging::Window;
use fleet_api::{Page, PageRequest};
use ic_stable_structures::{storable::Bound, Memory, StableBTreeMap, Storable};

pub struct SeqIndex<K, M>
where
    K: Storable + Ord + Clone,
    M: Memory,
{
    entries: StableBTreeMap<(K, u64), u64, M>,
}

impl<K, M> SeqIndex<K, M>
where
    K: Storable + Ord + Clone,
    M: Memory,
{
    /// `K` must have a bounded size: composite stable keys cannot hold unbounded parts.
    pub fn init(memory: M) -> Self {
        assert!(matches!(K::BOUND, Bound::Bounded { .. }), "SeqIndex keys must be bounded");
        Self { entries: StableBTreeMap::init(memory) }
    }

    /// Files `id` under `key` and returns its position among the key's ids.
    pub fn push(&mut self, key: K, id: u64) -> u64 {
        let seq = self.count(&key);
        self.entries.insert((key, seq), id);
        seq
    }

    pub fn count(&self, key: &K) -> u64 {
        self.entries.range((key.clone(), 0)..=(key.clone(), u64::MAX)).next_back().map_or(0, |entry| entry.key().1 + 1)
    }

    /// A page of the ids filed under `key`, most recently filed first.
    pub fn page_newest_first(&self, key: &K, request: PageRequest) -> Page<u64> {
        let window = Window::newest_first(self.count(key), request);
        let ids = match window.bounds {
            Some((lo, hi)) => {
                self.entries.range((key.clone(), lo)..=(key.clone(), hi)).rev().map(|entry| entry.value()).collect()
            }
            None => vec![],
        };
        window.into_page(ids)
    }

    /// Number of entries over all keys.
    pub fn len(&self) -> u64 {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Principal;
    use ic_stable_structures::VectorMemory;

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n; 29])
    }

    #[test]
    fn pages_one_key_newest_first_without_mixing_keys() {
        let mut index: SeqIndex<Principal, _> = SeqIndex::init(VectorMemory::default());
        for id in 0..25u64 {
            index.push(p((id % 2) as u8), id);
        }
        assert_eq!(index.count(&p(0)), 13);
        assert_eq!(index.count(&p(1)), 12);
        assert_eq!(index.count(&p(7)), 0);
        let first = index.page_newest_first(&p(1), PageRequest::new(0, 5));
        assert_eq!(first.items, vec![23, 21, 19, 17, 15]);
        assert_eq!(first.total, 12);
        assert_eq!(first.next_offset, Some(5));
        let last = index.page_newest_first(&p(1), PageRequest::new(10, 5));
        assert_eq!(last.items, vec![3, 1]);
        assert_eq!(last.next_offset, None);
        assert!(index.page_newest_first(&p(7), PageRequest::default()).items.is_empty());
    }

    #[test]
    fn keys_that_are_prefixes_of_each_other_stay_apart() {
        // Principals of different lengths where one is a prefix of the other.
        let short = Principal::from_slice(&[5; 4]);
        let long = Principal::from_slice(&[5; 5]);
        let mut index: SeqIndex<Principal, _> = SeqIndex::init(VectorMemory::default());
        index.push(short, 1);
        index.push(long, 2);
        index.push(short, 3);
        assert_eq!(index.page_newest_first(&short, PageRequest::default()).items, vec![3, 1]);
        assert_eq!(index.page_newest_first(&long, PageRequest::default()).items, vec![2]);
    }
}
