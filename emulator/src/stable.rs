//! Host-side stable memory: sparse 4 KiB chunks shared copy-on-write (so snapshots and the undo log are cheap),
//! with a per-transaction undo log that saves a chunk the first time a message writes it. Rolling back or
//! committing therefore costs time proportional to the chunks the message touched, never to the memory size.

use std::collections::HashMap;
use std::sync::Arc;

/// Wasm/stable page size (64 KiB).
pub const WASM_PAGE: u64 = 65_536;
/// Host chunk size: the unit of copy-on-write and of the undo log.
const CHUNK: usize = 4096;
/// Stable memory limit of a canister: 500 GiB.
pub const MAX_STABLE_PAGES: u64 = 500 * 1024 * 1024 * 1024 / WASM_PAGE;

type Chunk = [u8; CHUNK];

/// Saved state of the chunks a transaction touched.
#[derive(Clone, Default)]
struct UndoLog {
    old_pages: u64,
    saved: HashMap<u64, Option<Arc<Chunk>>>,
}

#[derive(Clone, Default)]
pub struct StableMemory {
    /// Chunk index → contents; an absent chunk is all zeros.
    chunks: HashMap<u64, Arc<Chunk>>,
    /// Size in 64 KiB pages.
    pages: u64,
    undo: Option<UndoLog>,
}

/// An access outside the current stable memory size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfBounds {
    pub offset: u64,
    pub size: u64,
    pub memory_bytes: u64,
}

impl StableMemory {
    /// A stable memory holding `data`, grown to whole pages.
    pub fn from_bytes(data: &[u8]) -> Self {
        let mut memory = StableMemory { pages: (data.len() as u64).div_ceil(WASM_PAGE), ..Default::default() };
        memory.write_unchecked(0, data);
        memory
    }

    pub fn size_pages(&self) -> u64 {
        self.pages
    }

    pub fn size_bytes(&self) -> u64 {
        self.pages * WASM_PAGE
    }

    /// Grows by `new_pages`; returns the old size in pages, or `None` beyond the limit.
    pub fn grow(&mut self, new_pages: u64) -> Option<u64> {
        let old = self.pages;
        let total = old.checked_add(new_pages)?;
        if total > MAX_STABLE_PAGES {
            return None;
        }
        self.pages = total;
        Some(old)
    }

    pub fn read(&self, offset: u64, dst: &mut [u8]) -> Result<(), OutOfBounds> {
        self.check(offset, dst.len() as u64)?;
        let mut done = 0usize;
        while done < dst.len() {
            let pos = offset + done as u64;
            let (index, within) = (pos / CHUNK as u64, (pos % CHUNK as u64) as usize);
            let n = (CHUNK - within).min(dst.len() - done);
            match self.chunks.get(&index) {
                Some(chunk) => dst[done..done + n].copy_from_slice(&chunk[within..within + n]),
                None => dst[done..done + n].fill(0),
            }
            done += n;
        }
        Ok(())
    }

    pub fn write(&mut self, offset: u64, src: &[u8]) -> Result<(), OutOfBounds> {
        self.check(offset, src.len() as u64)?;
        self.write_unchecked(offset, src);
        Ok(())
    }

    fn write_unchecked(&mut self, offset: u64, src: &[u8]) {
        let mut done = 0usize;
        while done < src.len() {
            let pos = offset + done as u64;
            let (index, within) = (pos / CHUNK as u64, (pos % CHUNK as u64) as usize);
            let n = (CHUNK - within).min(src.len() - done);
            if let Some(undo) = self.undo.as_mut() {
                undo.saved.entry(index).or_insert_with(|| self.chunks.get(&index).cloned());
            }
            let chunk = self.chunks.entry(index).or_insert_with(|| Arc::new([0u8; CHUNK]));
            Arc::make_mut(chunk)[within..within + n].copy_from_slice(&src[done..done + n]);
            done += n;
        }
    }

    fn check(&self, offset: u64, size: u64) -> Result<(), OutOfBounds> {
        let memory_bytes = self.size_bytes();
        match offset.checked_add(size) {
            Some(end) if end <= memory_bytes => Ok(()),
            _ => Err(OutOfBounds { offset, size, memory_bytes }),
        }
    }

    /// The whole memory as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.size_bytes() as usize];
        for (index, chunk) in &self.chunks {
            let start = (*index as usize) * CHUNK;
            if start < out.len() {
                let end = (start + CHUNK).min(out.len());
                out[start..end].copy_from_slice(&chunk[..end - start]);
            }
        }
        out
    }

    /// Starts recording an undo log (no-op if one is already being recorded: the outer transaction wins).
    pub fn begin(&mut self) {
        if self.undo.is_none() {
            self.undo = Some(UndoLog { old_pages: self.pages, saved: HashMap::new() });
        }
    }

    /// Keeps the changes made since `begin`.
    pub fn commit(&mut self) {
        self.undo = None;
    }

    /// Restores the memory as it was at `begin`.
    pub fn rollback(&mut self) {
        if let Some(undo) = self.undo.take() {
            for (index, saved) in undo.saved {
                match saved {
                    Some(chunk) => {
                        self.chunks.insert(index, chunk);
                    }
                    None => {
                        self.chunks.remove(&index);
                    }
                }
            }
            self.pages = undo.old_pages;
        }
    }

    /// Number of chunks the current transaction has saved (for tests of rollback cost).
    pub fn touched_chunks(&self) -> usize {
        self.undo.as_ref().map_or(0, |u| u.saved.len())
    }

    /// A copy without any transaction in progress (for snapshots).
    pub fn committed_clone(&self) -> StableMemory {
        let mut copy = self.clone();
        if copy.undo.is_some() {
            copy.rollback();
        }
        copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_restores_written_chunks_and_size() {
        let mut memory = StableMemory::default();
        memory.grow(1).unwrap();
        memory.write(10, b"committed").unwrap();
        memory.begin();
        memory.grow(2).unwrap();
        memory.write(8, b"xxxxxxxxxxxxxxxx").unwrap();
        memory.write(100_000, b"new").unwrap();
        assert_eq!(memory.touched_chunks(), 2);
        memory.rollback();
        assert_eq!(memory.size_pages(), 1);
        let mut buf = [0u8; 9];
        memory.read(10, &mut buf).unwrap();
        assert_eq!(&buf, b"committed");
        let mut before = [0u8; 2];
        memory.read(8, &mut before).unwrap();
        assert_eq!(before, [0, 0]);
    }

    #[test]
    fn commit_keeps_changes_and_snapshots_are_isolated() {
        let mut memory = StableMemory::default();
        memory.grow(1).unwrap();
        memory.begin();
        memory.write(4090, b"across-chunks").unwrap();
        memory.commit();
        let snapshot = memory.committed_clone();
        memory.begin();
        memory.write(4090, b"XXXXXXXXXXXXX").unwrap();
        memory.commit();
        let mut buf = [0u8; 13];
        snapshot.read(4090, &mut buf).unwrap();
        assert_eq!(&buf, b"across-chunks");
        memory.read(4090, &mut buf).unwrap();
        assert_eq!(&buf, b"XXXXXXXXXXXXX");
    }

    #[test]
    fn out_of_bounds_is_reported_not_panicking() {
        let mut memory = StableMemory::default();
        assert!(memory.write(0, b"x").is_err());
        memory.grow(1).unwrap();
        assert!(memory.read(WASM_PAGE - 1, &mut [0u8; 2]).is_err());
        assert!(memory.read(u64::MAX, &mut [0u8; 2]).is_err());
        assert_eq!(memory.grow(MAX_STABLE_PAGES), None);
        assert_eq!(memory.to_vec().len(), WASM_PAGE as usize);
    }
}
