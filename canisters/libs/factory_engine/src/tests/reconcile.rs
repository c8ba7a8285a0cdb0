//! Deployments interrupted at every await (the future dropped before the call or after its effect, with and without a
//! factory upgrade) are settled by the reconciliation timer from the facts, exactly once; the owner never controls a
//! canister without the contract's code, and a re-sent request replays the settled outcome.

use super::*;
use crate::api::{DeployStage, DeploymentRequestState};
use crate::inflight::RequestState;
use crate::reconcile::{reconcile, ReconcileReport};
use crate::testing::{interrupt, Step};
use fleet_api::PageRequest;

const REQUEST: u64 = 77;

fn options() -> DeployOptions {
    DeployOptions { request_id: Some(REQUEST), initial_cycles: None }
}

fn start(env: &Env) -> Option<Result<Principal, FleetError>> {
    interrupt(crate::deploy::create_contract::<TestKind, _, _>(
        &env.rt,
        &env.factory,
        backend(),
        alice(),
        args("X"),
        options(),
    ))
}

#[derive(Clone, Copy, Debug)]
enum Cut {
    /// The future is dropped before the call takes effect.
    Before,
    /// The call takes effect and its reply is lost.
    After,
}

/// Interrupts a deployment of a module of `size` bytes at `step`, optionally upgrades the factory, reconciles, and
/// checks every invariant. Returns whether the deployment ended Succeeded.
fn interrupted_then_reconciled(size: usize, step: Step, cut: Cut, upgrade: bool, with_spare: bool) -> bool {
    let label = format!("{step:?} {cut:?} size {size} upgrade {upgrade} spare {with_spare}");
    let env = Env::new().with_version("1.0.0", size);
    if with_spare {
        env.rt.fail_at(Step::Install);
        env.deploy(backend(), bob(), args("S"), DeployOptions::default()).unwrap_err();
        env.rt.heal();
        // A spare with fewer cycles than asked for, so that reusing it awaits a deposit too.
        let spare = *env.rt.canisters.borrow().keys().next().unwrap();
        env.rt.canisters.borrow_mut().get_mut(&spare).unwrap().cycles = 1;
    }
    match cut {
        Cut::Before => env.rt.pause_at(step),
        Cut::After => env.rt.pause_after(step),
    }
    assert_eq!(start(&env), None, "{label}: the deployment did not reach {step:?}");
    let before = env.factory.borrow().stats();
    {
        let f = env.factory.borrow();
        assert_eq!(f.inflight.pending_count(), 1, "{label}");
        assert!(matches!(f.inflight.request(backend().principal, REQUEST), Some(RequestState::InProgress { .. })));
    }
    if upgrade {
        env.upgrade();
    }
    // While it is unsettled, a re-send is told to wait; nothing new starts.
    assert_eq!(env.deploy(backend(), alice(), args("X"), options()), Err(FleetError::AlreadyInProgress), "{label}");

    let report = crate::testing::block_on(reconcile(&env.rt, &env.factory));
    let f = env.factory.borrow();
    let stats = f.stats();
    assert_eq!(f.inflight.pending_count(), 0, "{label}: {report:?}");
    let settled = stats.deployments_succeeded + stats.deployments_failed
        - before.deployments_succeeded
        - before.deployments_failed;
    assert_eq!(settled, 1, "{label}: settled exactly once");
    let view = f.deployment_request(&backend(), REQUEST).unwrap().unwrap();
    let succeeded = match view.state {
        DeploymentRequestState::Succeeded { contract } => {
            assert_eq!(report, ReconcileReport { succeeded: 1, ..Default::default() }, "{label}");
            let canister = env.rt.canister(&contract).unwrap();
            let record = f.contracts.get(&contract).unwrap();
            assert_eq!(Some(record.module_hash.to_vec()), canister.module.as_ref().map(|m| Sha256::digest(m).to_vec()));
            assert_eq!(canister.controllers, vec![env.rt.self_id, alice()], "{label}");
            assert_eq!(f.contracts_of(&controller(), alice(), PageRequest::default()).total, 1);
            assert!(!f.spares.contains(&contract));
            true
        }
        DeploymentRequestState::Failed { .. } => {
            assert_eq!(report, ReconcileReport { failed: 1, ..Default::default() }, "{label}");
            assert!(f.contracts.is_empty(), "{label}");
            false
        }
        other => panic!("{label}: {other:?}"),
    };
    // The owner never controls a canister the contract is not installed in, and every canister the factory keeps
    // is empty and its own.
    for (id, canister) in env.rt.canisters.borrow().iter() {
        if canister.controllers.contains(&alice()) {
            assert!(canister.module.is_some() && f.contracts.contains(id), "{label}: {id} handed over uninstalled");
        }
        if f.spares.contains(id) {
            assert_eq!((canister.module.is_none(), canister.controllers.clone()), (true, vec![env.rt.self_id]));
        }
    }
    drop(f);

    // The re-send replays the outcome; a second tick finds nothing; nothing more is created.
    let canisters = env.rt.canisters.borrow().len();
    let replay = env.deploy(backend(), alice(), args("X"), options());
    assert_eq!(replay.is_ok(), succeeded, "{label}: {replay:?}");
    assert_eq!(crate::testing::block_on(reconcile(&env.rt, &env.factory)), ReconcileReport::default());
    assert_eq!(env.rt.canisters.borrow().len(), canisters, "{label}");
    assert_eq!(env.factory.borrow().stats().deployments_succeeded, before.deployments_succeeded + succeeded as u64);
    succeeded
}

#[test]
fn a_deployment_interrupted_at_any_await_is_settled_once_from_the_facts() {
    let plain = [Step::Create, Step::Install, Step::UpdateSettings];
    let chunked = [Step::UploadChunk, Step::InstallChunked, Step::ClearChunkStore];
    for upgrade in [false, true] {
        for cut in [Cut::Before, Cut::After] {
            for step in plain {
                let succeeded = interrupted_then_reconciled(100, step, cut, upgrade, false);
                // Installed (the install's effect happened) → finished; otherwise failed.
                let installed = matches!((step, cut), (Step::Install, Cut::After) | (Step::UpdateSettings, _));
                assert_eq!(succeeded, installed, "{step:?} {cut:?}");
            }
            for step in chunked {
                let succeeded = interrupted_then_reconciled(1_500_000, step, cut, upgrade, false);
                let installed = matches!((step, cut), (Step::InstallChunked, Cut::After) | (Step::ClearChunkStore, _));
                assert_eq!(succeeded, installed, "{step:?} {cut:?}");
            }
            for step in [Step::Status, Step::Deposit] {
                assert!(!interrupted_then_reconciled(100, step, cut, upgrade, true), "{step:?} {cut:?}");
            }
        }
    }
}

#[test]
fn the_reconciler_leaves_a_running_deployment_alone() {
    let env = Env::new().with_version("1.0.0", 100);
    env.rt.pause_at(Step::Install);
    let future = crate::deploy::create_contract::<TestKind, _, _>(
        &env.rt,
        &env.factory,
        backend(),
        alice(),
        args("X"),
        options(),
    );
    let (result, (report, cleared)) = crate::testing::run_interleaved(future, || {
        let report = crate::testing::block_on(reconcile(&env.rt, &env.factory));
        (report, env.factory.borrow_mut().clear_pending_deployment(&controller(), 1, 0))
    });
    assert_eq!(report, ReconcileReport::default());
    assert!(matches!(cleared, Err(FleetError::InvalidState(_))), "an admin cannot clear a running deployment");
    let id = result.unwrap();
    let f = env.factory.borrow();
    assert_eq!((f.stats().deployments_succeeded, f.stats().deployments_failed), (1, 0));
    assert!(f.contracts.contains(&id));
}

#[test]
fn an_orphaned_canister_is_emptied_by_a_later_tick_and_kept_as_a_spare() {
    let env = Env::new().with_version("1.0.0", 100);
    env.rt.fail_at(Step::Install);
    env.rt.fail_at(Step::Uninstall);
    let failed = env.deploy(backend(), alice(), args("X"), options());
    assert!(failed.is_err());
    // Still failing: the tick leaves it for later, with the reason.
    env.rt.heal();
    env.rt.fail_at(Step::Uninstall);
    let deferred = crate::testing::block_on(reconcile(&env.rt, &env.factory));
    assert_eq!(deferred, ReconcileReport { deferred: 1, ..Default::default() });
    let pending = env.factory.borrow().inflight.list(PageRequest::default()).items[0].clone();
    assert_eq!(pending.stage, DeployStage::Orphaned);
    assert!(pending.last_error.unwrap().contains("uninstall_code"));

    env.rt.heal();
    let report = crate::testing::block_on(reconcile(&env.rt, &env.factory));
    assert_eq!(report, ReconcileReport { recycled: 1, ..Default::default() });
    let f = env.factory.borrow();
    assert_eq!((f.inflight.pending_count(), f.spares.len(), f.stats().orphaned_canisters), (0, 1, 0));
    assert_eq!(f.stats().deployments_failed, 1, "not counted twice");
    drop(f);
    // The request keeps its first answer; the next deployment takes the spare.
    assert_eq!(env.deploy(backend(), alice(), args("X"), options()), failed);
    let id = env.deploy(backend(), alice(), args("X"), DeployOptions::default()).unwrap();
    assert_eq!(env.rt.canisters.borrow().len(), 1);
    assert_eq!(env.rt.canister(&id).unwrap().controllers, vec![env.rt.self_id, alice()]);
}
