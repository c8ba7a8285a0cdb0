//! Install and upgrade. There is no `pre_upgrade`: every byte of state is already in stable structures.

use crate::state;
use contract_runtime::{runtime, ContractSpec, MigrationStep};
use fleet_api::{ContractKind, ContractUpgrade};
use ic_cdk::{init, post_upgrade};
use token_api::TokenInit;

pub const SPEC: ContractSpec = ContractSpec {
    kind: ContractKind::Token,
    version: env!("CARGO_PKG_VERSION"),
    // Schema 1: the layout of `crate::memory` as released in 1.0.0.
    schema_version: 1,
};

/// Migration steps of the token's stable data, in order (from schema N to N + 1). None yet.
pub const MIGRATIONS: &[MigrationStep<()>] = &[];

#[init]
fn init(arg: TokenInit) {
    let now = ic_cdk::api::time();
    let result = runtime::install(&SPEC, &arg).and_then(|()| state::mutate(|ledger| ledger.install(&arg, now)));
    if let Err(e) = result {
        ic_cdk::trap(format!("token install refused: {e}"));
    }
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
    if let Err(e) = runtime::upgrade(&SPEC, arg.as_ref(), MIGRATIONS, &mut ()) {
        ic_cdk::trap(format!("token upgrade refused: {e}"));
    }
}
