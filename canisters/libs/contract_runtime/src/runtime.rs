//! The runtime inside a canister: the store over the canister's stable memory and the lifecycle calls a kind makes
//! from its `#[init]` and `#[post_upgrade]`. Thin on purpose; the logic is in `store` and `migration`.

use crate::deployment;
use crate::memory::runtime_memory;
use crate::migration::{MigrationReport, MigrationStep};
use crate::store::{DeploymentNotice, InstallRecord, RuntimeStore};
use crate::ContractSpec;
use candid::Principal;
use fleet_api::{ContractHealth, ContractInit, ContractUpgrade, FleetError};
use std::cell::RefCell;

/// Where a contract runs: the clock, its own id and its owner. Every kind's runtime trait has it as a supertrait; the
/// provided methods are the canister's (ic-cdk and the runtime store), a fake overrides them.
pub trait ContractEnv {
    fn now(&self) -> u64 {
        ic_cdk::api::time()
    }

    /// The contract's own principal: the owner of the accounts it holds tokens in.
    fn self_id(&self) -> Principal {
        ic_cdk::api::canister_self()
    }

    /// The contract's owner, as the runtime recorded it at install.
    fn owner(&self) -> Principal {
        owner()
    }
}

thread_local! {
    static STORE: RefCell<RuntimeStore<crate::memory::Memory>> = RefCell::new(RuntimeStore::open(runtime_memory));
}

/// Call from the kind's `#[init]`, after validating the kind's own arguments. On `Err` the kind must trap, which
/// refuses the install. When the contract has a factory, arms the timer that notifies it of the deployment.
pub fn install<A>(spec: &ContractSpec, init: &ContractInit<A>) -> Result<(), FleetError> {
    let now = ic_cdk::api::time();
    STORE.with_borrow_mut(|store| store.install(spec, init, now))?;
    arm_pending_notice(now);
    Ok(())
}

/// Call first thing in the kind's `#[post_upgrade]`, with the argument decoded by [`decode_upgrade_arg`]. Runs the
/// kind's migration steps on `ctx`. On `Err` the kind must trap, which refuses the upgrade (the old code keeps running).
/// On `Ok`, re-arms the deployment notice's retry if it was still pending (the upgrade dropped its timer).
pub fn upgrade<C>(
    spec: &ContractSpec,
    arg: Option<&ContractUpgrade>,
    steps: &[MigrationStep<C>],
    ctx: &mut C,
) -> Result<MigrationReport, FleetError> {
    let now = ic_cdk::api::time();
    let report = STORE.with_borrow_mut(|store| store.upgrade(spec, arg, steps, ctx, now))?;
    arm_pending_notice(now);
    Ok(report)
}

/// Arms the timer of the deployment notice's next attempt, when one is pending (after install: the first attempt,
/// at once; after an upgrade: the one the dropped timer would have made).
fn arm_pending_notice(now: u64) {
    if let Some((factory, attempt, delay)) = STORE.with_borrow(|store| store.notice_to_resume(now)) {
        deployment::schedule(factory, attempt, delay);
    }
}

/// `decode_with` function for `#[post_upgrade]`: decodes `(opt ContractUpgrade)`, accepting an empty argument.
/// Traps on anything else, which refuses the upgrade with a message that says what was expected.
pub fn decode_upgrade_arg(bytes: Vec<u8>) -> Option<ContractUpgrade> {
    match crate::parse_upgrade_arg(&bytes) {
        Ok(arg) => arg,
        Err(e) => ic_cdk::trap(e.to_string()),
    }
}

pub fn owner() -> Principal {
    STORE.with_borrow(|s| s.owner())
}

pub fn is_owner(principal: &Principal) -> bool {
    owner() == *principal
}

pub fn factory() -> Option<Principal> {
    STORE.with_borrow(|s| s.factory())
}

pub fn schema_version() -> u32 {
    STORE.with_borrow(|s| s.schema_version())
}

pub fn install_history() -> Vec<InstallRecord> {
    STORE.with_borrow(|s| s.history())
}

pub fn deployment_notice() -> DeploymentNotice {
    STORE.with_borrow(|s| s.deployment_notice())
}

pub(crate) fn set_deployment_notice(notice: DeploymentNotice) {
    STORE.with_borrow_mut(|s| s.set_deployment_notice(notice))
}

pub fn health(spec: &ContractSpec, kind_status: Result<String, String>) -> ContractHealth {
    STORE.with_borrow(|s| s.health(spec, kind_status))
}
