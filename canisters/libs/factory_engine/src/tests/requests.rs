//! Idempotency keys (issue #8 points 1 and 7): a request id replays only the request it was first used for (same
//! owner, same arguments, same initial cycles), the replay comes before the whitelist check, keys written by the
//! previous layout keep replaying after an upgrade, and the backend's status and abandon endpoints.

use super::*;
use crate::api::{DeployStage, DeploymentRequestState, DeploymentRequestView};
use crate::testing::Step;
use crate::Role;
use fleet_api::PageRequest;

fn with_id(request_id: u64) -> DeployOptions {
    DeployOptions { request_id: Some(request_id), initial_cycles: None }
}

fn canisters(env: &Env) -> usize {
    env.rt.canisters.borrow().len()
}

#[test]
fn a_request_id_reused_for_another_owner_is_refused_and_changes_nothing() {
    let env = Env::new().with_version("1.0.0", 100);
    let alices = env.deploy(backend(), alice(), args("A"), with_id(7)).unwrap();
    let events = env.factory.borrow().events.len();

    // The same id for bob (e.g. an invoice storage that restarted its ids) must not hand him alice's contract.
    let for_bob = env.deploy(backend(), bob(), args("A"), with_id(7));
    let expected = "request_id 7 was already used for another owner or other arguments";
    assert_eq!(for_bob, Err(FleetError::InvalidInput(expected.into())));
    // Other arguments or other cycles for the same owner are refused too.
    assert_eq!(env.deploy(backend(), alice(), args("B"), with_id(7)), Err(FleetError::InvalidInput(expected.into())));
    let richer = DeployOptions { initial_cycles: Some(3_000_000_000_000u128.into()), ..with_id(7) };
    assert_eq!(env.deploy(backend(), alice(), args("A"), richer), Err(FleetError::InvalidInput(expected.into())));

    assert_eq!(canisters(&env), 1);
    let f = env.factory.borrow();
    assert_eq!(f.events.len(), events, "a refused replay journals nothing");
    assert_eq!(f.contracts_of(&controller(), bob(), PageRequest::default()).total, 0);
    drop(f);
    // The genuine repeat still replays.
    assert_eq!(env.deploy(backend(), alice(), args("A"), with_id(7)), Ok(alices));
}

#[test]
fn a_resend_after_the_caller_left_the_whitelist_still_learns_its_outcome() {
    let env = Env::new().with_version("1.0.0", 100);
    let id = env.deploy(backend(), alice(), args("A"), with_id(1)).unwrap();
    env.rt.fail_at(Step::Create);
    let failed = env.deploy(backend(), alice(), args("B"), with_id(2));
    assert!(matches!(failed, Err(FleetError::CallFailed { .. })));
    env.rt.heal();
    env.factory.borrow_mut().revoke(&controller(), 5, Role::Whitelisted, backend().principal).unwrap();

    assert_eq!(env.deploy(backend(), alice(), args("A"), with_id(1)), Ok(id));
    assert_eq!(env.deploy(backend(), alice(), args("B"), with_id(2)), failed);
    // A new request is refused, and a mismatching replay is still refused as such.
    assert!(matches!(env.deploy(backend(), alice(), args("C"), with_id(3)), Err(FleetError::Unauthorized(_))));
    assert!(matches!(env.deploy(backend(), bob(), args("A"), with_id(1)), Err(FleetError::InvalidInput(_))));
    assert_eq!(canisters(&env), 1);
}

#[test]
fn keys_written_by_the_previous_layout_keep_replaying_after_an_upgrade() {
    let env = Env::new().with_version("1.0.0", 100);
    let contract = p(90);
    {
        // What the previous code stored: only the state, no owner or hash.
        let mut f = env.factory.borrow_mut();
        f.inflight.insert_legacy(backend().principal, 11, crate::inflight::RequestState::Succeeded(contract));
        let error = FleetError::invalid_state("old failure");
        f.inflight.insert_legacy(backend().principal, 12, crate::inflight::RequestState::Failed(error));
    }
    env.upgrade();
    assert_eq!(env.deploy(backend(), alice(), args("A"), with_id(11)), Ok(contract));
    assert_eq!(env.deploy(backend(), bob(), args("Z"), with_id(12)), Err(FleetError::invalid_state("old failure")));
    assert_eq!(canisters(&env), 0);
    let view = env.factory.borrow().deployment_request(&backend(), 11).unwrap().unwrap();
    assert_eq!(view.state, DeploymentRequestState::Succeeded { contract });
}

#[test]
fn the_backend_reads_the_state_of_its_own_requests() {
    let env = Env::new().with_version("1.0.0", 100);
    assert_eq!(env.factory.borrow().deployment_request(&backend(), 1), Ok(None));
    let id = env.deploy(backend(), alice(), args("A"), with_id(1)).unwrap();
    let view = env.factory.borrow().deployment_request(&backend(), 1).unwrap();
    let expected = DeploymentRequestView {
        request_id: 1,
        owner: alice(),
        state: DeploymentRequestState::Succeeded { contract: id },
    };
    assert_eq!(view, Some(expected));
    // Keyed by caller: another principal sees nothing under the same id.
    assert_eq!(env.factory.borrow().deployment_request(&nobody(), 1), Ok(None));

    env.rt.pause_at(Step::Install);
    let future = crate::deploy::create_contract::<TestKind, _, _>(
        &env.rt,
        &env.factory,
        backend(),
        bob(),
        args("B"),
        with_id(2),
    );
    let (result, during) =
        crate::testing::run_interleaved(future, || env.factory.borrow().deployment_request(&backend(), 2));
    let during = during.unwrap().unwrap();
    assert_eq!(during.owner, bob());
    assert!(
        matches!(
            during.state,
            DeploymentRequestState::InProgress { stage: DeployStage::Installing, canister: Some(_), .. }
        ),
        "{during:?}"
    );
    assert!(result.is_ok());
}

#[test]
fn an_abandoned_request_id_is_never_deployed() {
    let env = Env::new().with_version("1.0.0", 100);
    // Someone off the whitelist learns there is no such request, and nothing is stored for it.
    assert_eq!(env.factory.borrow_mut().abandon_deployment_request(&nobody(), 5, 9), Ok(None));
    assert_eq!(env.factory.borrow().deployment_request(&nobody(), 5), Ok(None));
    let abandoned = env.factory.borrow_mut().abandon_deployment_request(&backend(), 5, 9).unwrap().unwrap();
    assert_eq!(abandoned.state, DeploymentRequestState::Abandoned { at: 9 });
    let late = env.deploy(backend(), alice(), args("A"), with_id(5));
    assert_eq!(late, Err(FleetError::InvalidState("request 5 was abandoned".into())));
    assert_eq!(canisters(&env), 0);
    // Abandoning again (or abandoning a finished request) changes nothing and says what the request is.
    assert_eq!(env.factory.borrow_mut().abandon_deployment_request(&backend(), 5, 20).unwrap(), Some(abandoned));
    let id = env.deploy(backend(), alice(), args("A"), with_id(6)).unwrap();
    // Even after leaving the whitelist, a caller may ask about (and "abandon") its own request.
    env.factory.borrow_mut().revoke(&controller(), 5, Role::Whitelisted, backend().principal).unwrap();
    let done = env.factory.borrow_mut().abandon_deployment_request(&backend(), 6, 21).unwrap().unwrap();
    assert_eq!(done.state, DeploymentRequestState::Succeeded { contract: id });
    assert_eq!(env.factory.borrow_mut().abandon_deployment_request(&backend(), 7, 22), Ok(None));
    assert_eq!(env.factory.borrow().deployment_request(&backend(), 7), Ok(None));
}
