//! The canister side of the ICRC-3 block log: certifying its tip, and the timer that builds the blocks of the
//! transactions a 1.0.0 ledger logged (the schema 1 → 2 migration) in bounded batches, one batch per message.
//!
//! Each batch is a separate timer message with its own instruction budget, so a ledger of any length migrates:
//! [`BLOCKS_PER_MESSAGE`] blocks cost about 0.2 B instructions (see the README's benchmark), far below the 40 B a
//! message may use, and short enough that transfers arriving meanwhile wait at most one batch. The timer is re-armed
//! after each batch while blocks are missing, and by `post_upgrade` (an upgrade drops timers), so an upgrade in the
//! middle of the catch-up resumes it where the stored block hashes end.

use crate::state;
use std::time::Duration;

/// Blocks built per timer message.
pub const BLOCKS_PER_MESSAGE: u64 = 1_000;

/// Certifies the tip of the block log (ICRC-3 `last_block_index` / `last_block_hash`). Call after anything that can
/// add a block.
pub fn certify_tip() {
    let root = state::read(|ledger| ledger.tip_tree().digest());
    ic_cdk::api::certified_data_set(root);
}

/// Arms the catch-up when transactions are still without a block.
pub fn resume() {
    if state::read(|ledger| ledger.blocks_behind()) > 0 {
        ic_cdk_timers::set_timer(Duration::ZERO, async { catch_up_batch() });
    }
}

fn catch_up_batch() {
    let before = ic_cdk::api::instruction_counter();
    let progress = state::mutate(|ledger| ledger.build_blocks(BLOCKS_PER_MESSAGE, ic_cdk::api::time()));
    certify_tip();
    ic_cdk::api::debug_print(format!(
        "token block log catch-up: {} blocks built in {} instructions, {} transactions to go",
        progress.built,
        ic_cdk::api::instruction_counter() - before,
        progress.behind
    ));
    resume();
}
