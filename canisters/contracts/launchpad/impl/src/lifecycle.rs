//! Install and upgrade. There is no `pre_upgrade`: every byte of state is already in stable structures.

use crate::state::{CanisterState, LaunchpadCell};
use crate::timers;
use contract_runtime::{runtime, ContractSpec, MigrationStep};
use fleet_api::{ContractKind, ContractUpgrade};
use ic_cdk::{init, post_upgrade};
use launchpad_api::LaunchpadInit;

pub const SPEC: ContractSpec = ContractSpec {
    kind: ContractKind::Launchpad,
    version: env!("CARGO_PKG_VERSION"),
    // Schema 1: the layout of `crate::memory` as released in 1.0.0.
    schema_version: 1,
};

/// Migration steps of the launchpad's stable data, in order (from schema N to N + 1). None yet.
pub const MIGRATIONS: &[MigrationStep<()>] = &[];

/// The factory deploys a few seconds to minutes after the backend checked `start_time`: the install accepts a start
/// this far in the past (the backend and the factory refuse any start in the past).
pub const INSTALL_CLOCK_SLACK_NANOS: u64 = 15 * 60 * 1_000_000_000;

#[init]
fn init(arg: LaunchpadInit) {
    let now = ic_cdk::api::time();
    let result = launchpad_api::validate_init(&arg)
        .and_then(|()| launchpad_api::validate_window(&arg.args, now.saturating_sub(INSTALL_CLOCK_SLACK_NANOS)))
        .and_then(|()| runtime::install(&SPEC, &arg))
        .and_then(|()| CanisterState.with(|l| l.install(&arg)));
    if let Err(e) = result {
        ic_cdk::trap(format!("launchpad install refused: {e}"));
    }
    timers::arm_all();
}

#[post_upgrade(decode_with = "contract_runtime::runtime::decode_upgrade_arg")]
fn post_upgrade(arg: Option<ContractUpgrade>) {
    if let Err(e) = runtime::upgrade(&SPEC, arg.as_ref(), MIGRATIONS, &mut ()) {
        ic_cdk::trap(format!("launchpad upgrade refused: {e}"));
    }
    timers::arm_all();
}
