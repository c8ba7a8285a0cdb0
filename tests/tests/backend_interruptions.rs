//! The backend on a whole fleet when things are cut short: the backend upgraded while its call to the factory is
//! still open (what `Fleet::upgrade_stopped` exists to avoid), ingress that `inspect_message` turns away, and the
//! fleet reports that only admins may ask for.
//!
//! Emulator only: the interrupted upgrade runs the fleet round by round, which the shared PocketIC surface cannot.
#![cfg(not(feature = "pocket-ic"))]

use backend_api::{Deployment, DeploymentStage};
use candid::{Nat, Principal};
use emulator::state::SubnetConfig;
use fleet_api::{FleetError, Page, PageRequest, ServiceHealth, SystemStatus};
use fleet_tests::fleet::{publish_version, token_version, user, CallError, Fleet, FleetWasm, LEDGER_FEE};
use fleet_tests::ic::{PocketIc, PocketIcBuilder};
use std::time::Duration;
use token_api::TokenArgs;

fn one_execution_per_round() -> PocketIc {
    PocketIcBuilder::new()
        .with_subnet_config(SubnetConfig { max_executions_per_round: 1, ..SubnetConfig::default() })
        .build()
}

fn token_args() -> TokenArgs {
    TokenArgs {
        name: "Interrupted".into(),
        symbol: "INT".into(),
        decimals: 8,
        transfer_fee: Nat::from(10_000u64),
        initial_balances: vec![],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}

fn deployments_of(fleet: &Fleet, owner: Principal) -> Vec<Deployment> {
    let (page,): (Page<Deployment>,) =
        fleet.query(fleet.backend, owner, "getMyDeployments", (PageRequest::new(0, 10),)).expect("getMyDeployments");
    page.items
}

fn contracts_of(fleet: &Fleet, owner: Principal) -> u64 {
    let (page,): (Page<fleet_api::ContractInfo>,) = fleet
        .query(fleet.token_factory, owner, "getMyContracts", (owner, PageRequest::new(0, 10)))
        .expect("getMyContracts");
    page.total
}

#[test]
fn a_backend_upgraded_while_its_factory_call_is_open_completes_the_deployment_once() {
    let wasm = FleetWasm::load();
    let fleet = Fleet::deploy(one_execution_per_round(), &wasm, &["alice"], |_| {}).expect("fleet deploys");
    let version = token_version(&wasm.token).expect("token version");
    publish_version(&fleet, fleet.token_factory, fleet.release, &version, &wasm.token, "interruption").unwrap();
    let alice = user("alice");
    let fee = fleet.service_fee("token_factory").expect("fee");
    fleet.approve_backend(alice, fee + LEDGER_FEE as u128).expect("approve");
    let before = fleet.balance(alice).unwrap();

    let message = fleet
        .ic
        .submit_call(fleet.backend, alice, "createToken", candid::encode_one(token_args()).unwrap())
        .expect("createToken accepted");
    // Round by round until the backend has paid and sent createContract (the factory is creating the canister).
    let mut rounds = 0;
    while deployments_of(&fleet, alice).first().map(|d| d.stage) != Some(DeploymentStage::Deploying) {
        fleet.ic.tick();
        rounds += 1;
        assert!(rounds < 200, "the deployment never reached the factory");
    }
    fleet.ic.tick();
    // Upgraded without being stopped: the factory's reply will reach code that has no future waiting for it.
    fleet
        .ic
        .upgrade_canister(fleet.backend, wasm.backend.clone(), candid::encode_args(()).unwrap(), Some(fleet.operator))
        .expect("upgrade the running backend");
    // The user's call has no answer to give any more (the future waiting for the factory died with the old heap);
    // what the backend wrote to stable memory before the await is still there.
    let answer = fleet.ic.await_call(message);
    let delivered =
        answer.as_ref().ok().and_then(|bytes| candid::decode_one::<Result<Principal, FleetError>>(bytes).ok());
    assert!(!matches!(delivered, Some(Ok(_))), "the upgrade came too late to interrupt anything: {answer:?}");
    // One execution a round for the whole subnet, shared with every canister's timers: small steps of time.
    for _ in 0..400 {
        fleet.ic.advance_time(Duration::from_secs(5));
        fleet.ic.tick();
    }
    let deployments = deployments_of(&fleet, alice);
    assert_eq!(deployments.len(), 1);
    assert_eq!(deployments[0].stage, DeploymentStage::Completed, "{:?}", deployments[0]);
    assert_eq!(contracts_of(&fleet, alice), 1, "exactly one contract for alice");
    assert_eq!(before - fleet.balance(alice).unwrap(), fee + LEDGER_FEE as u128, "charged once");
}

#[test]
fn anonymous_and_oversized_ingress_never_reach_the_backend() {
    let wasm = FleetWasm::load();
    let fleet = Fleet::deploy(fleet_tests::ic::new_instance(), &wasm, &["alice"], |_| {}).expect("fleet deploys");
    let anonymous = fleet.ic.update_call(
        fleet.backend,
        Principal::anonymous(),
        "createToken",
        candid::encode_one(token_args()).unwrap(),
    );
    let reject = anonymous.expect_err("anonymous createToken must be refused");
    assert!(reject.reject_message.contains("ingress refused"), "{reject:?}");
    let blob = vec![0u8; 512 * 1024];
    let oversized = fleet.ic.update_call(fleet.backend, user("alice"), "createDao", candid::encode_one(blob).unwrap());
    assert!(oversized.is_err(), "a 512 KiB argument must be refused before it costs the backend");
    // Inter-canister callers are not filtered by inspect_message: the endpoints check them (here: no factory).
    assert!(deployments_of(&fleet, user("alice")).is_empty());
}

#[test]
fn the_fleet_reports_are_for_admins_only() {
    let wasm = FleetWasm::load();
    let fleet = Fleet::deploy(fleet_tests::ic::new_instance(), &wasm, &["alice"], |_| {}).expect("fleet deploys");
    for method in ["getMicroserviceHealth", "getMicroserviceSetupStatus", "getSystemStatus"] {
        let refused: Result<Vec<ServiceHealth>, CallError> = fleet.call(fleet.backend, user("alice"), method, ());
        assert!(
            matches!(&refused, Err(CallError::Fleet { error: FleetError::Unauthorized(_), .. })),
            "{method}: {refused:?}"
        );
    }
    let status: SystemStatus = fleet.call(fleet.backend, fleet.operator, "getSystemStatus", ()).expect("operator");
    assert_eq!(status.services_health.len(), 7);
}
