//! Records with consecutive ids `0..count` and an index of `(state tag, id)` in a stable map (the multisig's and the
//! DAO's proposals): newest-first pages of all of them or of the ones in one state, without a scan.

use fleet_api::{Page, PageRequest};
use ic_stable_structures::{Memory, StableBTreeMap};

/// One page, newest first: of every record when `state` is `None`, else of the records in `state = (tag, how many
/// records are in it)`. `load` reads a record by id; an id it cannot read is left out of the page.
pub fn newest_first_page<T, M: Memory>(
    by_state: &StableBTreeMap<(u8, u64), (), M>,
    count: u64,
    state: Option<(u8, u64)>,
    request: &PageRequest,
    load: impl FnMut(u64) -> Option<T>,
) -> Page<T> {
    let limit = request.effective_limit();
    let offset = request.offset;
    let (total, ids): (u64, Vec<u64>) = match state {
        None => (count, (0..count.saturating_sub(offset)).rev().take(limit).collect()),
        Some((tag, in_state)) => {
            let ids = by_state
                .range((tag, 0)..=(tag, u64::MAX))
                .rev()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(limit)
                .map(|entry| entry.key().1)
                .collect();
            (in_state, ids)
        }
    };
    let items: Vec<T> = ids.into_iter().filter_map(load).collect();
    let end = offset.saturating_add(items.len() as u64);
    let next_offset = (end < total && !items.is_empty()).then_some(end);
    Page { items, total, next_offset }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;

    #[test]
    fn pages_run_newest_first_over_all_records_or_one_state() {
        let mut by_state = StableBTreeMap::init(VectorMemory::default());
        // Ids 0..10; the even ones are in state 1, the odd ones in state 2.
        (0..10u64).for_each(|id| {
            by_state.insert((1 + (id % 2) as u8, id), ());
        });
        let load = |id: u64| Some(id);
        let all = newest_first_page(&by_state, 10, None, &PageRequest { offset: 0, limit: 4 }, load);
        assert_eq!((all.items, all.total, all.next_offset), (vec![9, 8, 7, 6], 10, Some(4)));
        let last = newest_first_page(&by_state, 10, None, &PageRequest { offset: 8, limit: 4 }, load);
        assert_eq!((last.items, last.next_offset), (vec![1, 0], None));
        let even = newest_first_page(&by_state, 10, Some((1, 5)), &PageRequest { offset: 1, limit: 2 }, load);
        assert_eq!((even.items, even.total, even.next_offset), (vec![6, 4], 5, Some(3)));
        let unreadable =
            newest_first_page(&by_state, 10, None, &PageRequest { offset: 0, limit: 3 }, |id| (id != 8).then_some(id));
        assert_eq!(unreadable.items, vec![9, 7]);
        let past = newest_first_page(&by_state, 10, None, &PageRequest { offset: 50, limit: 3 }, load);
        assert_eq!((past.items.len(), past.total, past.next_offset), (0, 10, None));
    }
}
