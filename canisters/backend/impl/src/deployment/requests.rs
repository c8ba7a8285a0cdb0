//! The per-kind entry points of `create*`: each checks what it can before the flow charges anything.

use super::flow;
use super::runtime::Runtime;
use crate::state::Shared;
use candid::Principal;
use fleet_api::{ContractInit, ContractKind, FleetError, FleetResult};
use ic_stable_structures::Memory;

/// `createToken`: the arguments are validated as the token will see them at install, i.e. with the caller as owner
/// (an initial balance on the owner's default account is refused when that account is the minting account), so a
/// request the token would refuse is turned away before the user pays ledger fees for a refund.
pub async fn create_token<M: Memory, R: Runtime>(
    state: &Shared<M>,
    runtime: &R,
    user: Principal,
    args: &token_api::TokenArgs,
) -> FleetResult<Principal> {
    // `validate_init` does not check `version` (the contract runtime does), so an empty one is fine here.
    let init = ContractInit { factory: None, owner: user, version: String::new(), args: args.clone() };
    token_api::validate_init(&init)?;
    flow::create(state, runtime, user, ContractKind::Token, args).await
}

/// `createMultisig`, `createDistribution`, `createDao`, `createLaunchpad`: their factories and argument types do not
/// exist yet, so every request is refused before any payment.
pub fn create_without_factory(kind: ContractKind) -> FleetResult<Principal> {
    let service = kind.factory_service();
    let name = service.trim_end_matches("_factory");
    Err(FleetError::ServiceNotConfigured(format!("{service}: this fleet has no {name} factory yet")))
}
