//! Install and upgrade. There is no `pre_upgrade`: every byte of state is already in stable structures.

use crate::state::{CanisterState, DistributionCell};
use crate::timers;
use contract_runtime::{runtime, ContractSpec, MigrationStep};
use distribution_api::DistributionInit;
use fleet_api::{ContractKind, ContractUpgrade};
use ic_cdk::{init, post_upgrade};

pub const SPEC: ContractSpec = ContractSpec {
    kind: ContractKind::Distribution,
    version: env!("CARGO_PKG_VERSION"),
    // Schema 1: the layout of `crate::memory` as released in 1.0.0.
    schema_version: 1,
};

/// Migration steps of the distribution's stable data, in order (from schema N to N + 1). None yet.
pub const MIGRATIONS: &[MigrationStep<()>] = &[];

#[init]
fn init(arg: DistributionInit) {
    let result = distribution_api::validate_init(&arg)
        .and_then(|()| runtime::install(&SPEC, &arg))
        .and_then(|()| CanisterState.with(|d| d.install(&arg)));
    if let Err(e) = result {
        ic_cdk::trap(format!("distribution install refused: {e}"));
    }
    timers::arm_all();
}

#[post_upgrade(decode_with = "contract_runtime::runtime::decode_upgrade_arg")]
fn post_upgrade(arg: Option<ContractUpgrade>) {
    if let Err(e) = runtime::upgrade(&SPEC, arg.as_ref(), MIGRATIONS, &mut ()) {
        ic_cdk::trap(format!("distribution upgrade refused: {e}"));
    }
    timers::arm_all();
}
