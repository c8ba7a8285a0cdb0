//! The heap undo log: pages of the canister's memory saved before their first write in an execution.
//! The instrumented module asks the host (`mark_page`) only when the page's bitmap byte is 0, so the host sees
//! each touched page once per execution; commit and rollback walk only those pages.

use std::collections::HashMap;

use super::rewrite::{PAGE_SHIFT, PAGE_SIZE};

#[derive(Default)]
pub struct DirtyTracker {
    /// Page index → contents before the execution.
    saved: HashMap<u32, Box<[u8; PAGE_SIZE]>>,
    /// Bitmap bytes set to 1 in this execution (cleared at the end).
    marked: Vec<u32>,
    /// Heap size at the start of the execution: pages at or beyond it are new and need no saving.
    start_heap_bytes: usize,
}

impl DirtyTracker {
    pub fn begin(&mut self, heap_bytes: usize) {
        self.saved.clear();
        self.marked.clear();
        self.start_heap_bytes = heap_bytes;
    }

    pub fn start_heap_bytes(&self) -> usize {
        self.start_heap_bytes
    }

    /// Number of pages saved in this execution.
    pub fn saved_pages(&self) -> usize {
        self.saved.len()
    }

    fn save(&mut self, heap: &[u8], page: u32) {
        let start = (page as usize) << PAGE_SHIFT;
        if start >= self.start_heap_bytes || start >= heap.len() || self.saved.contains_key(&page) {
            return;
        }
        let mut copy = Box::new([0u8; PAGE_SIZE]);
        copy.copy_from_slice(&heap[start..start + PAGE_SIZE]);
        self.saved.insert(page, copy);
    }

    /// Saves pages `page` and `page + 1` (step one of `mark_page`).
    pub fn save_for_page(&mut self, heap: &[u8], page: u32) {
        self.save(heap, page);
        self.save(heap, page.saturating_add(1));
    }

    /// Sets the page's bitmap byte (step two of `mark_page`, once `save_for_page` ran).
    pub fn set_marked(&mut self, bitmap: &mut [u8], page: u32) {
        if let Some(byte) = bitmap.get_mut(page as usize) {
            if *byte == 0 {
                *byte = 1;
                self.marked.push(page);
            }
        }
    }

    /// Saves every page of `[addr, addr + len)` (bulk memory operations and host writes into the heap).
    pub fn mark_range(&mut self, heap: &[u8], addr: u64, len: u64) {
        if len == 0 {
            return;
        }
        let end = addr.saturating_add(len).min(heap.len() as u64);
        if addr >= end {
            return;
        }
        let first = (addr >> PAGE_SHIFT) as u32;
        let last = ((end - 1) >> PAGE_SHIFT) as u32;
        for page in first..=last {
            self.save(heap, page);
        }
    }

    /// Both steps, for callers holding the heap and the bitmap at once.
    pub fn mark_page(&mut self, heap: &[u8], bitmap: &mut [u8], page: u32) {
        self.save_for_page(heap, page);
        self.set_marked(bitmap, page);
    }

    /// Keeps the execution's writes: clears the bitmap bytes it set and forgets the saved pages.
    pub fn commit(&mut self, bitmap: &mut [u8]) {
        for page in self.marked.drain(..) {
            if let Some(byte) = bitmap.get_mut(page as usize) {
                *byte = 0;
            }
        }
        self.saved.clear();
    }

    /// Writes the saved pages back (only within `heap`); `commit` must follow to clear the bitmap.
    pub fn restore(&mut self, heap: &mut [u8]) {
        for (page, contents) in self.saved.drain() {
            let start = (page as usize) << PAGE_SHIFT;
            if start + PAGE_SIZE <= heap.len() {
                heap[start..start + PAGE_SIZE].copy_from_slice(&contents[..]);
            }
        }
    }

    /// `restore` then `commit`, for callers holding the heap and the bitmap at once.
    pub fn rollback(&mut self, heap: &mut [u8], bitmap: &mut [u8]) {
        self.restore(heap);
        self.commit(bitmap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_restores_only_saved_pages() {
        let mut heap = vec![7u8; 4 * PAGE_SIZE];
        let mut bitmap = vec![0u8; 16];
        let mut tracker = DirtyTracker::default();
        tracker.begin(heap.len());
        tracker.mark_page(&heap, &mut bitmap, 1);
        assert_eq!(bitmap[1], 1);
        assert_eq!(tracker.saved_pages(), 2, "page and its successor");
        heap[PAGE_SIZE..3 * PAGE_SIZE].fill(9);
        tracker.mark_range(&heap, 3 * PAGE_SIZE as u64 + 5, 10);
        heap[3 * PAGE_SIZE + 5] = 1;
        tracker.rollback(&mut heap, &mut bitmap);
        assert!(heap.iter().all(|b| *b == 7));
        assert!(bitmap.iter().all(|b| *b == 0));
    }

    #[test]
    fn pages_beyond_the_start_size_are_not_saved() {
        let heap = vec![0u8; 2 * PAGE_SIZE];
        let mut bitmap = vec![0u8; 16];
        let mut tracker = DirtyTracker::default();
        tracker.begin(PAGE_SIZE);
        tracker.mark_page(&heap, &mut bitmap, 1);
        assert_eq!(tracker.saved_pages(), 0);
        tracker.mark_range(&heap, 0, u64::MAX);
        assert_eq!(tracker.saved_pages(), 1);
        tracker.commit(&mut bitmap);
        assert_eq!(tracker.saved_pages(), 0);
        assert!(bitmap.iter().all(|b| *b == 0));
    }
}
