//! A refund the ledger cannot take at first: the factory refuses the deployment after the payment, and the payment
//! ledger is stopped before the backend's refund reaches it. The deployment must be recorded `RefundFailed` (money
//! owed, not lost), and once the ledger runs again the backend's timer must finish the refund: the user ends up
//! exactly three ledger fees poorer (approve, charge, refund), never charged twice, never refunded twice.
//!
//! Emulator only: it runs one message execution per round to stop the ledger between the charge and the refund,
//! which the shared PocketIC surface cannot do.
#![cfg(not(feature = "pocket-ic"))]

use backend_api::{Deployment, DeploymentStage};
use emulator::state::SubnetConfig;
use fleet_api::{Page, PageRequest};
use fleet_tests::fleet::{publish_version, token_version, user, Fleet, FleetWasm, LEDGER_FEE};
use fleet_tests::ic::{PocketIc, PocketIcBuilder};
use std::time::Duration;

fn one_execution_per_round() -> PocketIc {
    PocketIcBuilder::new()
        .with_subnet_config(SubnetConfig { max_executions_per_round: 1, ..SubnetConfig::default() })
        .build()
}

fn deployments_of(fleet: &Fleet, owner: candid::Principal) -> Vec<Deployment> {
    let (page,): (Page<Deployment>,) =
        fleet.query(fleet.backend, owner, "getMyDeployments", (PageRequest::new(0, 10),)).expect("getMyDeployments");
    page.items
}

#[test]
fn a_refund_the_ledger_refuses_is_retried_until_it_lands() {
    let wasm = FleetWasm::load();
    let fleet = Fleet::deploy(one_execution_per_round(), &wasm, &["alice"], |_| {}).expect("fleet deploys");
    let version = token_version(&wasm.token).expect("token version");
    publish_version(&fleet, fleet.token_factory, fleet.release, &version, &wasm.token, "refund test").expect("publish");
    let alice = user("alice");
    let fee = fleet.service_fee("token_factory").expect("fee");
    fleet.admin_call(fleet.token_factory, "removeFromWhitelist", (fleet.backend,)).expect("factory refuses backend");
    fleet.approve_backend(alice, fee + LEDGER_FEE as u128).expect("approve");
    let before = fleet.balance(alice).expect("balance");

    let args = token_api::TokenArgs {
        name: "Refund test".into(),
        symbol: "RFD".into(),
        decimals: 8,
        transfer_fee: candid::Nat::from(10_000u64),
        initial_balances: vec![],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    };
    let message = fleet
        .ic
        .submit_call(fleet.backend, alice, "createToken", candid::encode_one(&args).expect("encode"))
        .expect("createToken accepted");
    // Round by round until the charge has landed on the ledger, then stop the ledger before the refund arrives.
    let mut rounds = 0;
    while fleet.balance(alice).expect("balance") == before {
        fleet.ic.tick();
        rounds += 1;
        assert!(rounds < 100, "the payment never landed");
    }
    assert_eq!(before - fleet.balance(alice).unwrap(), fee + LEDGER_FEE as u128, "charged fee + one ledger fee");
    fleet.ic.stop_canister(fleet.ledger, Some(fleet.operator)).expect("stop the ledger");
    let reply = fleet.ic.await_call(message).expect("createToken answers");
    let (answer,): (Result<candid::Principal, fleet_api::FleetError>,) = candid::decode_args(&reply).expect("decode");
    assert!(answer.is_err(), "the factory refused, so createToken must fail: {answer:?}");

    let deployment = deployments_of(&fleet, alice).pop().expect("one deployment");
    assert_eq!(deployment.stage, DeploymentStage::RefundFailed, "{deployment:?}");

    fleet.ic.start_canister(fleet.ledger, Some(fleet.operator)).expect("start the ledger");
    // One execution per round for the whole subnet, shared with every canister's timers (each firing is a self-call):
    // small steps of time, so that the timers do not outrun the one execution a round.
    for _ in 0..400 {
        fleet.ic.advance_time(Duration::from_secs(5));
        fleet.ic.tick();
    }
    let deployment = deployments_of(&fleet, alice).pop().expect("one deployment");
    assert_eq!(deployment.stage, DeploymentStage::Refunded, "{deployment:?}");
    let lost = before - fleet.balance(alice).unwrap() + LEDGER_FEE as u128;
    assert_eq!(lost, 3 * LEDGER_FEE as u128, "alice lost {lost}: approve, charge and refund fees only");
    let refunded = fleet.invoices_of(alice).expect("invoices");
    assert!(
        refunded.iter().any(|i| i.status == invoice_storage_api::InvoiceStatus::Refunded),
        "invoice storage must show the invoice Refunded: {refunded:?}"
    );
}
