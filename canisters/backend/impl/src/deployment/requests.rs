//! The per-kind entry points of `create*`: each checks what it can before the flow charges anything.

use super::flow;
use super::runtime::Runtime;
use crate::state::Shared;
use candid::{CandidType, Principal};
use fleet_api::{ContractInit, ContractKind, FleetResult};
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

/// `createLaunchpad` (ledgers, price, caps, window, limits, allow-list, vesting). The window is checked against the
/// backend's clock too: a sale that already started is refused before any charge.
pub async fn create_launchpad<M: Memory, R: Runtime>(
    state: &Shared<M>,
    runtime: &R,
    user: Principal,
    args: &launchpad_api::LaunchpadArgs,
) -> FleetResult<Principal> {
    launchpad_api::validate_window(args, runtime.now())?;
    create_checked(state, runtime, user, ContractKind::Launchpad, args, launchpad_api::validate_init).await
}
