//! The schema 1 → 2 migration: the block log of what 1.0.0 logged, built in bounded steps, with a transaction
//! arriving and an upgrade (the ledger reopened from the same memory) in the middle; the result is the chain a
//! ledger installed at schema 2 builds for the same transactions.

use super::blocks::varied_ledger;
use super::*;
use crate::memory::{BLOCK_HASHES, BLOCK_LOG_MIGRATION};
use crate::{MIGRATIONS, SPEC};
use candid::{CandidType, Decode, Encode};
use contract_runtime::migration;
use contract_runtime::storable::Candid;
use ic_stable_structures::{StableCell, StableVec};
use serde::Deserialize;
use serde_bytes::ByteBuf;

/// Stable memory as token 1.0.0 leaves it: the same structures without the block log (memory ids 19 and 20 were
/// never written by 1.0.0, and read as empty).
fn as_schema_1(f: &mut Fixture) {
    let manager = MemoryManager::init(f.stable.clone());
    StableVec::<[u8; 32], _>::new(manager.get(MemoryId::new(BLOCK_HASHES)));
    StableCell::new(
        manager.get(MemoryId::new(BLOCK_LOG_MIGRATION)),
        Candid::<Option<super::super::BlockLogMigration>>(None),
    );
    f.upgrade();
}

/// The post_upgrade of 1.1.0 on a schema 1 ledger: the runtime's migration runner with the token's steps.
fn run_migrations(f: &mut Fixture) {
    let report = migration::run(1, SPEC.schema_version, MIGRATIONS, &mut f.ledger, None, |_| {}).unwrap();
    assert_eq!((report.from, report.to, report.applied.len()), (1, 2, 1));
}

fn all_hashes(f: &Fixture) -> Vec<[u8; 32]> {
    (0..f.ledger.built_blocks()).map(|i| f.ledger.block_hash(i).unwrap()).collect()
}

#[test]
fn the_migration_builds_the_chain_in_bounded_steps_around_a_new_transaction_and_an_upgrade() {
    // The control: the same transactions on a ledger that built every block as it went.
    let mut control = varied_ledger();
    let mut f = varied_ledger();
    for i in 0..40u64 {
        f.transfer(owner(), acc(bob()), i as u128 + 1).unwrap();
        control.transfer(owner(), acc(bob()), i as u128 + 1).unwrap();
    }
    let logged = f.ledger.transaction_count();
    as_schema_1(&mut f);
    assert_eq!((f.ledger.built_blocks(), f.ledger.blocks_behind()), (0, logged));

    run_migrations(&mut f);
    assert_eq!(
        f.ledger.block_log_migration(),
        Some(super::super::BlockLogMigration { transactions_at_start: logged, batches: 0, finished_at: None })
    );
    assert_eq!(f.ledger.built_blocks(), 0, "the migration step hashes nothing itself");
    let status = f.ledger.status().unwrap_err();
    assert!(status.starts_with("migrating:") && status.contains(&format!("0 of {logged}")), "{status}");

    let first = f.ledger.build_blocks(10, f.now);
    assert_eq!(first, crate::ledger::CatchUp { built: 10, behind: logged - 10 });
    assert_eq!(f.ledger.tip(), Some((9, control.ledger.block_hash(9).unwrap())));
    let served = f.ledger.blocks(&[token_api::GetBlocksRequest { start: Nat::from(0u8), length: Nat::from(100u8) }]);
    assert_eq!((served.log_length.clone(), served.blocks.len()), (Nat::from(10u8), 10), "only built blocks are served");
    assert_eq!(f.ledger.block(10), None);

    // A transfer arrives mid-migration: applied and logged at once, its block waits for its turn.
    f.advance(SECOND);
    control.advance(SECOND);
    let index = f.transfer(bob(), acc(carol()), 3).unwrap();
    assert_eq!(index, control.transfer(bob(), acc(carol()), 3).unwrap());
    assert_eq!(f.balance(acc(carol())), control.balance(acc(carol())));
    assert_eq!((f.ledger.built_blocks(), f.ledger.blocks_behind()), (10, logged + 1 - 10));

    // An upgrade in the middle: the new instance resumes where the stored hashes end.
    f.upgrade();
    assert_eq!(f.ledger.built_blocks(), 10);
    let mut batches = 1;
    loop {
        let step = f.ledger.build_blocks(10, f.now);
        assert!(step.built <= 10, "a batch never exceeds its bound");
        batches += 1;
        if step.behind == 0 {
            break;
        }
    }
    assert_eq!(batches, (logged + 1).div_ceil(10));
    assert_eq!(all_hashes(&f), all_hashes(&control), "the migrated chain is the chain built as the log grew");
    assert_eq!(f.ledger.tip(), control.ledger.tip());
    let done = f.ledger.block_log_migration().unwrap();
    assert_eq!((done.batches, done.finished_at), (batches, Some(f.now)));
    assert!(f.ledger.status().is_ok());
    assert_eq!(f.ledger.build_blocks(10, f.now + 1).built, 0);
    assert_eq!(f.ledger.block_log_migration().unwrap(), done, "nothing changes once caught up");

    // Caught up: new transactions get their block at once again.
    let index = f.transfer(alice(), acc(carol()), 1).unwrap();
    control.transfer(alice(), acc(carol()), 1).unwrap();
    assert_eq!(f.ledger.built_blocks(), index + 1);
    assert_eq!(all_hashes(&f), all_hashes(&control));
}

#[test]
fn the_migration_refuses_memory_that_already_has_blocks() {
    let mut f = varied_ledger();
    let err = migration::run(1, 2, MIGRATIONS, &mut f.ledger, None, |_| {}).unwrap_err();
    assert!(err.to_string().contains("not written by schema 1"), "{err}");
    assert_eq!(f.ledger.block_log_migration(), None);
}

#[test]
fn an_empty_1_0_0_ledger_migrates_in_one_step() {
    let mut f = ledger_with(TokenArgs { initial_balances: vec![], ..token_args() });
    as_schema_1(&mut f);
    run_migrations(&mut f);
    assert_eq!(f.ledger.blocks_behind(), 0);
    assert!(f.ledger.status().is_ok(), "nothing to build");
    assert_eq!(f.ledger.build_blocks(10, f.now).built, 0);
    assert_eq!(f.ledger.block_log_migration().unwrap().finished_at, Some(f.now));
}

/// `StoredTx` as token 1.0.0 wrote it (without `fee_in_request`).
#[derive(CandidType, Deserialize)]
struct StoredTxV1 {
    operation: crate::ledger::Operation,
    timestamp: u64,
    created_at_time: Option<u64>,
    memo: Option<ByteBuf>,
}

#[test]
fn a_transaction_1_0_0_logged_reads_with_an_unknown_fee_placement() {
    let old = StoredTxV1 {
        operation: crate::ledger::Operation::Transfer {
            from: acc(alice()),
            to: acc(bob()),
            spender: None,
            amount: 5,
            fee: FEE,
        },
        timestamp: START,
        created_at_time: None,
        memo: None,
    };
    let tx = Decode!(&Encode!(&old).unwrap(), crate::ledger::StoredTx).unwrap();
    assert_eq!(tx.fee_in_request, None);
    let ICRC3Value::Map(block) = crate::ledger::block::encode_block(&tx, None) else { panic!() };
    assert_eq!(block.get("fee"), Some(&ICRC3Value::Nat(Nat::from(FEE))), "the ledger-set fee, at the top level");
}

use icrc_ledger_types::icrc::generic_value::ICRC3Value;
