//! The ICRC-3 block log: block `i` is transaction `i` of the transaction log as an ICRC-3 block (`block`), chained
//! to block `i - 1` by its `phash`. Only each block's hash is stored (32 bytes a block, `StableVec`); the block
//! itself is built again from its transaction and its parent's hash when a client asks for it.
//!
//! Blocks are built in log order and never out of it. A ledger installed with 1.1.0 or later builds each block as
//! its transaction is committed. A ledger upgraded from 1.0.0 (schema 1) holds transactions without blocks: the
//! migration to schema 2 records that it started ([`BlockLogMigration`]) and `build_blocks` then catches up a
//! bounded number of blocks per message (the canister runs it from a timer). Meanwhile transactions are still
//! accepted: they are logged at once and get their blocks, in order, when the catch-up reaches them. While the log
//! is behind, `icrc3_get_blocks` and the tip serve only the blocks built so far (a prefix of the chain that only
//! grows, each block already final), and `status` reports the ledger as migrating.

use super::block::{block_hash, encode_block, BlockHash};
use super::Ledger;
use candid::{CandidType, Nat};
use contract_runtime::storable::Candid;
use ic_certification::{fork, label, leaf, HashTree};
use ic_stable_structures::{Memory, StableCell, StableVec};
use icrc_ledger_types::icrc::generic_value::ICRC3Value;
use serde::Deserialize;
use token_api::{amount_u128, BlockWithId, GetBlocksRequest, GetBlocksResult, MAX_BLOCKS_PER_REQUEST};

/// The schema 1 → 2 migration: which transactions it found, and how far the catch-up went.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BlockLogMigration {
    /// Transactions in the log when the migration started (all written by schema 1, none with a block).
    pub transactions_at_start: u64,
    /// `build_blocks` calls that built at least one block.
    pub batches: u64,
    /// When the block log caught up with the transaction log (ns since the epoch).
    pub finished_at: Option<u64>,
}

pub struct BlockLog<M: Memory> {
    /// Hash of block `i` at index `i`; as long as the transaction log once caught up.
    hashes: StableVec<BlockHash, M>,
    /// `None` on a ledger that was never migrated (installed at schema 2).
    migration: StableCell<Candid<Option<BlockLogMigration>>, M>,
}

impl<M: Memory> BlockLog<M> {
    pub fn open(hashes: M, migration: M) -> Self {
        Self { hashes: StableVec::init(hashes), migration: StableCell::init(migration, Candid(None)) }
    }
}

/// What one `build_blocks` call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatchUp {
    pub built: u64,
    /// Transactions still without a block.
    pub behind: u64,
}

impl<M: Memory> Ledger<M> {
    /// Number of blocks built (ICRC-3 `log_length`).
    pub fn built_blocks(&self) -> u64 {
        self.blocks.hashes.len()
    }

    /// Transactions that have no block yet: zero except while the schema 1 → 2 migration catches up.
    pub fn blocks_behind(&self) -> u64 {
        self.transactions.len() - self.built_blocks()
    }

    pub fn block_log_migration(&self) -> Option<BlockLogMigration> {
        self.blocks.migration.get().0.clone()
    }

    /// The schema 1 → 2 step: records that the block log must be built for every transaction already logged. Does
    /// no hashing itself (the log can hold more than one message can hash): `build_blocks` does, in bounded steps.
    pub fn start_block_log_migration(&mut self) -> Result<(), String> {
        if self.built_blocks() != 0 {
            return Err(format!(
                "schema 1 has no block log, but {} block hashes are stored: this memory was not written by schema 1",
                self.built_blocks()
            ));
        }
        let migration =
            BlockLogMigration { transactions_at_start: self.transactions.len(), batches: 0, finished_at: None };
        self.blocks.migration.set(Candid(Some(migration)));
        Ok(())
    }

    /// Builds the blocks of at most `max` transactions that have none yet, in log order. `now` is recorded as the
    /// migration's end when this call catches up.
    pub fn build_blocks(&mut self, max: u64, now: u64) -> CatchUp {
        let start = self.built_blocks();
        let end = self.transactions.len().min(start.saturating_add(max));
        let mut parent = self.tip().map(|(_, hash)| hash);
        for index in start..end {
            let Some(tx) = self.transactions.get(index) else { break };
            let hash = block_hash(&tx.0, parent.as_ref());
            self.blocks.hashes.push(&hash);
            parent = Some(hash);
        }
        let built = self.built_blocks() - start;
        let behind = self.blocks_behind();
        if let Some(mut migration) = self.block_log_migration() {
            if built > 0 || (behind == 0 && migration.finished_at.is_none()) {
                migration.batches += u64::from(built > 0);
                if behind == 0 && migration.finished_at.is_none() {
                    migration.finished_at = Some(now);
                }
                self.blocks.migration.set(Candid(Some(migration)));
            }
        }
        CatchUp { built, behind }
    }

    /// Builds the block of the transaction just appended at `index`, when the block log is caught up; otherwise the
    /// catch-up will, in order.
    pub(super) fn chain_block(&mut self, index: u64, tx: &super::StoredTx) {
        if self.built_blocks() != index {
            return;
        }
        let parent = self.tip().map(|(_, hash)| hash);
        self.blocks.hashes.push(&block_hash(tx, parent.as_ref()));
    }

    /// The last block built: its index and hash.
    pub fn tip(&self) -> Option<(u64, BlockHash)> {
        let last = self.built_blocks().checked_sub(1)?;
        self.blocks.hashes.get(last).map(|hash| (last, hash))
    }

    pub fn block_hash(&self, index: u64) -> Option<BlockHash> {
        self.blocks.hashes.get(index)
    }

    /// Block `index`, if it is built.
    pub fn block(&self, index: u64) -> Option<ICRC3Value> {
        if index >= self.built_blocks() {
            return None;
        }
        let tx = self.transactions.get(index)?;
        let parent = index.checked_sub(1).and_then(|p| self.blocks.hashes.get(p));
        Some(encode_block(&tx.0, parent.as_ref()))
    }

    /// `icrc3_get_blocks`: the built blocks of each range, in the order asked, at most `MAX_BLOCKS_PER_REQUEST` in
    /// all. Ranges past the built blocks give nothing; nothing is archived.
    pub fn blocks(&self, requests: &[GetBlocksRequest]) -> GetBlocksResult {
        let log_length = self.built_blocks();
        let mut budget = MAX_BLOCKS_PER_REQUEST;
        let mut blocks = vec![];
        for request in requests {
            let Some(start) = amount_u128(&request.start).filter(|s| *s < log_length as u128) else { continue };
            let start = start as u64;
            let wanted = amount_u128(&request.length).map_or(u64::MAX, |l| l.min(u64::MAX as u128) as u64);
            let end = start.saturating_add(wanted.min(budget)).min(log_length);
            for index in start..end {
                if let Some(block) = self.block(index) {
                    blocks.push(BlockWithId { id: Nat::from(index), block });
                }
            }
            budget -= end - start;
            if budget == 0 {
                break;
            }
        }
        GetBlocksResult { log_length: Nat::from(log_length), blocks, archived_blocks: vec![] }
    }

    /// The tree whose root hash the canister certifies (ICRC-3 "Blocks Verification"): `last_block_index` (LEB128)
    /// and `last_block_hash` of the tip, or the empty tree before the first block.
    pub fn tip_tree(&self) -> HashTree {
        match self.tip() {
            Some((index, hash)) => {
                let mut index_leb128 = vec![];
                // Writing to a Vec cannot fail.
                let _ = Nat::from(index).encode(&mut index_leb128);
                fork(label("last_block_hash", leaf(hash.to_vec())), label("last_block_index", leaf(index_leb128)))
            }
            None => ic_certification::empty(),
        }
    }
}
