//! Install and upgrade. There is no `pre_upgrade`: every byte of state is already in stable structures.

use crate::{state, timers};
use contract_runtime::{runtime, ContractSpec, MigrationStep};
use fleet_api::{ContractKind, ContractUpgrade};
use ic_cdk::{init, post_upgrade};
use multisig_api::MultisigInit;

pub const SPEC: ContractSpec = ContractSpec {
    kind: ContractKind::Multisig,
    version: env!("CARGO_PKG_VERSION"),
    // Schema 1: the layout of `crate::memory` as released in 1.0.0.
    schema_version: 1,
};

/// Migration steps of the wallet's stable data, in order (from schema N to N + 1). None yet.
pub const MIGRATIONS: &[MigrationStep<()>] = &[];

/// Calls are not allowed here: the creation-time signers are queued in stable memory and reported to the factory
/// by a timer right after the install commits (and retried with backoff, also across upgrades).
#[init]
fn init(arg: MultisigInit) {
    let result = multisig_api::validate_init(&arg)
        .and_then(|()| runtime::install(&SPEC, &arg))
        .and_then(|()| state::mutate(|wallet| wallet.install(&arg)));
    if let Err(e) = result {
        ic_cdk::trap(format!("multisig install refused: {e}"));
    }
    timers::arm();
}

/// Re-arms what the upgrade dropped from the heap: the factory reports still queued, the next proposal expiry.
#[post_upgrade(decode_with = "contract_runtime::runtime::decode_upgrade_arg")]
fn post_upgrade(arg: Option<ContractUpgrade>) {
    if let Err(e) = runtime::upgrade(&SPEC, arg.as_ref(), MIGRATIONS, &mut ()) {
        ic_cdk::trap(format!("multisig upgrade refused: {e}"));
    }
    state::mutate(|wallet| wallet.reports_mut().reset_attempts());
    timers::arm();
}
