//! Calls from a contract back to the factory that deployed it. Every callback takes the contract's own id first
//! (the factory checks `contractId == caller`) and replies `variant { Ok; Err : FleetError }`.
//!
//! Each helper is an await, hence a commit point for the calling kind: write whatever the kind must not lose before
//! calling. A contract without a factory (hand-installed) makes no calls and the helpers return `Ok(())`.

use crate::runtime;
use candid::utils::ArgumentEncoder;
use candid::Principal;
use fleet_api::contract::callbacks;
use fleet_api::FleetError;
use ic_cdk::call::Call;

/// Tells the factory that the contract is installed and initialized. The runtime sends it once after install, from a
/// timer (see `deployment`); kinds do not call it.
pub(crate) async fn notify_deployment_complete(factory: Principal) -> Result<(), FleetError> {
    call_factory(factory, callbacks::DEPLOYMENT_COMPLETE, &(ic_cdk::api::canister_self(),)).await
}

/// Tells the factory that `user` now takes part in this contract (signer, voter, beneficiary...), so the factory's
/// participant index finds the contract for that user.
pub async fn notify_participant_added(user: Principal) -> Result<(), FleetError> {
    match runtime::factory() {
        Some(factory) => {
            call_factory(factory, callbacks::PARTICIPANT_ADDED, &(ic_cdk::api::canister_self(), user)).await
        }
        None => Ok(()),
    }
}

/// Tells the factory that `users` take part in this contract, in batches of at most
/// `callbacks::MAX_PARTICIPANTS_PER_CALL` (one call per batch; the factory rate-limits calls, not users). Stops at
/// the first refused batch: the batches before it are indexed, and re-sending them is harmless.
pub async fn notify_participants_added(users: &[Principal]) -> Result<(), FleetError> {
    let Some(factory) = runtime::factory() else { return Ok(()) };
    for batch in users.chunks(callbacks::MAX_PARTICIPANTS_PER_CALL) {
        call_factory(factory, callbacks::PARTICIPANTS_ADDED, &(ic_cdk::api::canister_self(), batch.to_vec())).await?;
    }
    Ok(())
}

/// Tells the factory that the contract's status changed (kind-specific text, e.g. "Finalized").
pub async fn notify_status_changed(status: String) -> Result<(), FleetError> {
    match runtime::factory() {
        Some(factory) => {
            call_factory(factory, callbacks::STATUS_CHANGED, &(ic_cdk::api::canister_self(), status)).await
        }
        None => Ok(()),
    }
}

/// Tells the factory whether the contract is listed publicly.
pub async fn notify_visibility_changed(is_public: bool) -> Result<(), FleetError> {
    match runtime::factory() {
        Some(factory) => {
            call_factory(factory, callbacks::VISIBILITY_CHANGED, &(ic_cdk::api::canister_self(), is_public)).await
        }
        None => Ok(()),
    }
}

/// A bounded-wait call (a factory that never answers must not keep the contract's call context open forever, which
/// would block stopping the contract for an upgrade).
async fn call_factory<A: ArgumentEncoder>(factory: Principal, method: &str, args: &A) -> Result<(), FleetError> {
    let response = Call::bounded_wait(factory, method)
        .with_args(args)
        .await
        .map_err(|e| FleetError::call_failed(factory, method, e))?;
    let reply: Result<(), FleetError> =
        response.candid().map_err(|e| FleetError::call_failed(factory, method, format!("unexpected reply: {e}")))?;
    reply
}
