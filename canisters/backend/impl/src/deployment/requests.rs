//! The per-kind entry points of `create*`: each checks what it can before the flow charges anything.

use super::flow;
use super::runtime::Runtime;
use crate::state::Shared;
use candid::{CandidType, Principal};
use fleet_api::{ContractInit, ContractKind, FleetError, FleetResult};
use ic_stable_structures::Memory;

/// A create request whose arguments are first checked as the contract will check them at install, with the caller as
/// owner, so a request the contract would refuse is turned away before the user pays ledger fees for a refund.
async fn create_checked<M: Memory, R: Runtime, A: CandidType + Clone>(
    state: &Shared<M>,
    runtime: &R,
    user: Principal,
    kind: ContractKind,
    args: &A,
    validate_init: fn(&ContractInit<A>) -> FleetResult<()>,
) -> FleetResult<Principal> {
    // `validate_init` does not check `version` (the contract runtime does), so an empty one is fine here.
    let init = ContractInit { factory: None, owner: user, version: String::new(), args: args.clone() };
    validate_init(&init)?;
    flow::create(state, runtime, user, kind, args).await
}

/// `createToken` (e.g. an initial balance on the owner's default account is refused when that account is the
/// minting account).
pub async fn create_token<M: Memory, R: Runtime>(
    state: &Shared<M>,
    runtime: &R,
    user: Principal,
    args: &token_api::TokenArgs,
) -> FleetResult<Principal> {
    create_checked(state, runtime, user, ContractKind::Token, args, token_api::validate_init).await
}

/// `createMultisig` (signers, threshold, expiry).
pub async fn create_multisig<M: Memory, R: Runtime>(
    state: &Shared<M>,
    runtime: &R,
    user: Principal,
    args: &multisig_api::MultisigArgs,
) -> FleetResult<Principal> {
    create_checked(state, runtime, user, ContractKind::Multisig, args, multisig_api::validate_init).await
}

/// `createDistribution` (schedule, initial recipients).
pub async fn create_distribution<M: Memory, R: Runtime>(
    state: &Shared<M>,
    runtime: &R,
    user: Principal,
    args: &distribution_api::DistributionArgs,
) -> FleetResult<Principal> {
    create_checked(state, runtime, user, ContractKind::Distribution, args, distribution_api::validate_init).await
}

/// `createDao` (governance token, voting rules, locks).
pub async fn create_dao<M: Memory, R: Runtime>(
    state: &Shared<M>,
    runtime: &R,
    user: Principal,
    args: &dao_api::DaoArgs,
) -> FleetResult<Principal> {
    create_checked(state, runtime, user, ContractKind::Dao, args, dao_api::validate_init).await
}

/// `createDao`, `createLaunchpad`: their factories and argument types do not exist yet, so every request is refused
/// before any payment.
pub fn create_without_factory(kind: ContractKind) -> FleetResult<Principal> {
    let service = kind.factory_service();
    let name = service.trim_end_matches("_factory");
    Err(FleetError::ServiceNotConfigured(format!("{service}: this fleet has no {name} factory yet")))
}
