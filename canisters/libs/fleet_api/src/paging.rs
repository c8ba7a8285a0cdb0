//! Offset pagination, used by every list query. Limits are capped by the serving canister, never trusted.

use candid::CandidType;
use serde::{Deserialize, Serialize};

/// Largest page any list query returns, whatever the caller asks for: keeps replies far below the 2 MiB limit.
pub const MAX_PAGE_SIZE: u32 = 500;
pub const DEFAULT_PAGE_SIZE: u32 = 50;

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub offset: u64,
    /// 0 means the default page size; values above `MAX_PAGE_SIZE` are capped.
    pub limit: u32,
}

impl PageRequest {
    pub fn new(offset: u64, limit: u32) -> Self {
        Self { offset, limit }
    }

    pub fn effective_limit(&self) -> usize {
        match self.limit {
            0 => DEFAULT_PAGE_SIZE as usize,
            n => n.min(MAX_PAGE_SIZE) as usize,
        }
    }
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Number of items matching the query, over all pages.
    pub total: u64,
    /// Offset of the next page, `None` on the last page.
    pub next_offset: Option<u64>,
}

impl<T> Page<T> {
    /// Builds a page from an iterator over all matching items (already in order) and their total count.
    pub fn from_iter(request: PageRequest, total: u64, items: impl Iterator<Item = T>) -> Self {
        let items: Vec<T> = items.skip(request.offset as usize).take(request.effective_limit()).collect();
        let end = request.offset.saturating_add(items.len() as u64);
        let next_offset = (end < total && !items.is_empty()).then_some(end);
        Self { items, total, next_offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_all_items_once() {
        let all: Vec<u32> = (0..120).collect();
        let mut seen = vec![];
        let mut request = PageRequest::new(0, 50);
        loop {
            let page = Page::from_iter(request, all.len() as u64, all.iter().copied());
            seen.extend(page.items);
            match page.next_offset {
                Some(next) => request.offset = next,
                None => break,
            }
        }
        assert_eq!(seen, all);
    }

    #[test]
    fn limit_is_capped_and_zero_means_default() {
        assert_eq!(PageRequest::new(0, 0).effective_limit(), DEFAULT_PAGE_SIZE as usize);
        assert_eq!(PageRequest::new(0, 100_000).effective_limit(), MAX_PAGE_SIZE as usize);
    }

    #[test]
    fn offset_past_the_end_is_an_empty_last_page() {
        let page = Page::from_iter(PageRequest::new(500, 10), 3, [1, 2, 3].into_iter());
        assert!(page.items.is_empty());
        assert_eq!(page.next_offset, None);
        assert_eq!(page.total, 3);
    }
}
