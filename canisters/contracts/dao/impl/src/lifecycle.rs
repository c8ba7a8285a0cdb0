//! Install and upgrade. There is no `pre_upgrade`: every byte of state is already in stable structures.

use crate::{state, timers};
use contract_runtime::{runtime, ContractSpec, MigrationStep};
use dao_api::DaoInit;
use fleet_api::{ContractKind, ContractUpgrade};
use ic_cdk::{init, post_upgrade};

pub const SPEC: ContractSpec = ContractSpec {
    kind: ContractKind::Dao,
    version: env!("CARGO_PKG_VERSION"),
    // Schema 1: the layout of `crate::memory` as released in 1.0.0.
    schema_version: 1,
};

/// Migration steps of the DAO's stable data, in order (from schema N to N + 1). None yet.
pub const MIGRATIONS: &[MigrationStep<()>] = &[];

/// Calls are not allowed here: the first status is queued in stable memory and reported by a timer.
#[init]
fn init(arg: DaoInit) {
    let result = dao_api::validate_init(&arg)
        .and_then(|()| runtime::install(&SPEC, &arg))
        .and_then(|()| state::mutate(|dao| dao.install(&arg)));
    if let Err(e) = result {
        ic_cdk::trap(format!("dao install refused: {e}"));
    }
    timers::arm();
}

/// Re-arms what the upgrade dropped from the heap: the next deadline, executions due or interrupted, the factory
/// reports still queued.
#[post_upgrade(decode_with = "contract_runtime::runtime::decode_upgrade_arg")]
fn post_upgrade(arg: Option<ContractUpgrade>) {
    if let Err(e) = runtime::upgrade(&SPEC, arg.as_ref(), MIGRATIONS, &mut ()) {
        ic_cdk::trap(format!("dao upgrade refused: {e}"));
    }
    state::mutate(|dao| dao.reports_mut().reset_attempts());
    timers::arm();
}
