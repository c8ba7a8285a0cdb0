//! Install and upgrade. There is no `pre_upgrade`: every byte of state is already in stable structures.

use crate::ledger::Ledger;
use crate::{block_catch_up, state};
use contract_runtime::memory::Memory;
use contract_runtime::{runtime, ContractSpec, MigrationStep};
use fleet_api::{ContractKind, ContractUpgrade};
use ic_cdk::{init, post_upgrade};
use token_api::TokenInit;

pub const SPEC: ContractSpec = ContractSpec {
    kind: ContractKind::Token,
    version: env!("CARGO_PKG_VERSION"),
    // Schema 1: the layout of `crate::memory` as released in 1.0.0. Schema 2 (1.1.0): plus the ICRC-3 block log
    // (`BLOCK_HASHES`, `BLOCK_LOG_MIGRATION`) and `StoredTx::fee_in_request`.
    schema_version: 2,
};

/// Migration steps of the token's stable data, in order (from schema N to N + 1).
pub const MIGRATIONS: &[MigrationStep<Ledger<Memory>>] = &[MigrationStep {
    from: 1,
    description: "ICRC-3 block log: record the migration; the blocks of the logged transactions are built by a \
                  timer, a bounded batch per message",
    apply: start_block_log,
}];

fn start_block_log(ledger: &mut Ledger<Memory>, _migration_arg: Option<&[u8]>) -> Result<(), String> {
    ledger.start_block_log_migration()
}

#[init]
fn init(arg: TokenInit) {
    let now = ic_cdk::api::time();
    let result = runtime::install(&SPEC, &arg).and_then(|()| state::mutate(|ledger| ledger.install(&arg, now)));
    if let Err(e) = result {
        ic_cdk::trap(format!("token install refused: {e}"));
    }
    block_catch_up::certify_tip();
}

#[post_upgrade(decode_with = "contract_runtime::runtime::decode_upgrade_arg")]
fn post_upgrade(arg: Option<ContractUpgrade>) {
    // Only in the upgrade rehearsal's "bad release" (`tests/fixtures/token_variants`, never released): a post_upgrade
    // that fails on some contracts' state, the way a release with a broken migration does, so that the factory's
    // rollback from the pre-upgrade snapshot is proven on real token state.
    #[cfg(feature = "rehearsal-faulty-upgrade")]
    if state::read(|ledger| ledger.allowance_entries()) > 0 {
        ic_cdk::trap("token upgrade refused: this release cannot migrate ledgers that hold allowances");
    }
    if let Err(e) = state::mutate(|ledger| runtime::upgrade(&SPEC, arg.as_ref(), MIGRATIONS, ledger)) {
        ic_cdk::trap(format!("token upgrade refused: {e}"));
    }
    block_catch_up::certify_tip();
    // Started by the migration above, or interrupted by this upgrade (which dropped the timer): resume it.
    block_catch_up::resume();
}
