//! Newest-first pages over positions `0..total` (log indexes, sequence numbers), computed without scanning: the page
//! at `offset` covers positions `total-1-offset` down to `total-offset-limit`.

use fleet_api::{Page, PageRequest};

/// The positions a newest-first page covers, highest first, and the offset of the next page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Inclusive bounds `lo..=hi`, `None` when the page is empty.
    pub bounds: Option<(u64, u64)>,
    pub total: u64,
    pub next_offset: Option<u64>,
}

impl Window {
    pub fn newest_first(total: u64, request: PageRequest) -> Self {
        if request.offset >= total {
            return Self { bounds: None, total, next_offset: None };
        }
        let hi = total - 1 - request.offset;
        let count = (request.effective_limit() as u64).min(hi + 1);
        let lo = hi + 1 - count;
        let end = request.offset + count;
        Self { bounds: Some((lo, hi)), total, next_offset: (end < total).then_some(end) }
    }

    /// Positions from newest to oldest.
    pub fn positions(&self) -> impl Iterator<Item = u64> {
        let (lo, hi) = self.bounds.unwrap_or((1, 0));
        (lo..=hi).rev()
    }

    /// The page of items read at this window's positions (in the order given).
    pub fn into_page<T>(self, items: Vec<T>) -> Page<T> {
        Page { items, total: self.total, next_offset: self.next_offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_all_positions_newest_first_exactly_once() {
        let mut seen = vec![];
        let mut request = PageRequest::new(0, 7);
        loop {
            let window = Window::newest_first(20, request);
            seen.extend(window.positions());
            match window.next_offset {
                Some(next) => request.offset = next,
                None => break,
            }
        }
        assert_eq!(seen, (0..20).rev().collect::<Vec<_>>());
    }

    #[test]
    fn empty_and_past_the_end() {
        assert_eq!(Window::newest_first(0, PageRequest::new(0, 10)).positions().count(), 0);
        let window = Window::newest_first(3, PageRequest::new(3, 10));
        assert_eq!(window.positions().count(), 0);
        assert_eq!(window.next_offset, None);
        assert_eq!(window.total, 3);
    }

    #[test]
    fn huge_offsets_and_limits_do_not_overflow() {
        let window = Window::newest_first(u64::MAX, PageRequest::new(u64::MAX - 1, u32::MAX));
        assert_eq!(window.positions().collect::<Vec<_>>(), vec![0]);
        assert_eq!(window.next_offset, None);
    }
}
