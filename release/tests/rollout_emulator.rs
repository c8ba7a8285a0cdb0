//! `release rollout` against a real token factory on the in-process emulator (through the emulator transport): a
//! rollout of a bad release is watched to its end, which lists every rolled-back contract with its reason and
//! reports failure (the command exits non-zero on it); a plan the factory refuses comes back typed; the command
//! line refuses a missing factory or contradictory selectors before touching any network.
#![cfg(feature = "rehearse")]

use candid::{Nat, Principal};
use factory_engine::upgrade::api::{RolloutState, TaskState};
use fleet_api::{DeployOptions, FleetError, UpgradePolicy};
use fleet_client::emulator::EmulatorTransport;
use fleet_client::publish::{publish, ChunkOrder, PublishRequest};
use fleet_client::rollout::RolloutClient;
use fleet_client::FactoryClient;
use fleet_tests::fleet::user;
use fleet_tests::ic::PocketIc;
use release::rollout::{failure_table, plan, watch, PlanOptions};
use std::time::Duration;
use token_api::{Account, TokenArgs};

const RELEASE: &str = env!("CARGO_BIN_EXE_release");

fn operator() -> Principal {
    user("operator")
}

/// A token factory with 1.0.0 (the committed release) and 4 contracts at it, all `Auto`; 1.2.1 published (its
/// post_upgrade refuses ledgers holding allowances); contracts 0 and 2 hold an allowance.
fn factory_with_contracts(ic: &PocketIc) -> (Principal, Vec<Principal>) {
    let id = ic.create_canister_with_settings(Some(operator()), None);
    ic.add_cycles(id, 100_000_000_000_000_000);
    let init = token_factory_api::FactoryInitArgs {
        whitelist: vec![operator()],
        release_principals: vec![operator()],
        admins: vec![operator()],
        config: None,
    };
    let wasm = fleet_tests::wasm::canister_wasm("token_factory");
    ic.install_canister(id, wasm, candid::encode_one(Some(&init)).unwrap(), Some(operator()));
    let transport = EmulatorTransport::new(ic, operator());
    let factory = FactoryClient::new(&transport, id);
    let released =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm-registry/token/1.0.0/token.wasm.gz")).unwrap();
    let publish_version = |version: &str, wasm: Vec<u8>| {
        let request = PublishRequest {
            version,
            wasm: &wasm,
            release_notes: "",
            upgrade: Default::default(),
            chunk_size: 512 * 1024,
            order: ChunkOrder::Ascending,
        };
        publish(&factory, &request, |_| {}).unwrap();
    };
    publish_version("1.0.0", released);
    let holder = user("holder");
    let mut contracts = vec![];
    for i in 0..4u64 {
        let owner = user(&format!("owner-{i}"));
        let args = TokenArgs {
            name: format!("T{i}"),
            symbol: format!("T{i}"),
            decimals: 8,
            transfer_fee: Nat::from(10_000u64),
            initial_balances: vec![(Account { owner: holder, subaccount: None }, Nat::from(1_000_000u64))],
            minting_account: None,
            logo: None,
            max_memo_length: None,
        };
        let options = DeployOptions { initial_cycles: None, request_id: Some(i) };
        let (created,): (Result<Principal, FleetError>,) =
            fleet_tests::ic::update_candid_as(ic, id, operator(), "createContract", (owner, args, options)).unwrap();
        let contract = created.unwrap();
        let owner_transport = EmulatorTransport::new(ic, owner);
        RolloutClient::new(&owner_transport, id).set_upgrade_policy(contract, &UpgradePolicy::Auto).unwrap();
        if i % 2 == 0 {
            let approve = token_api::ApproveArgs {
                from_subaccount: None,
                spender: Account { owner: operator(), subaccount: None },
                amount: Nat::from(1_000u64),
                expected_allowance: None,
                expires_at: None,
                fee: None,
                memo: None,
                created_at_time: None,
            };
            let (r,): (Result<Nat, token_api::ApproveError>,) =
                fleet_tests::ic::update_candid_as(ic, contract, holder, "icrc2_approve", (approve,)).unwrap();
            r.unwrap();
        }
        contracts.push(contract);
    }
    // Published after the deployments, so they were made at 1.0.0.
    publish_version("1.2.1", fleet_tests::wasm::canister_wasm("token_faulty"));
    (id, contracts)
}

fn options(target: &str) -> PlanOptions {
    PlanOptions {
        target: target.into(),
        canary: None,
        contracts: vec![],
        batch_size: 10,
        max_concurrency: 4,
        failure_budget: 10,
        no_snapshot: false,
        stop_timeout_seconds: None,
        cycles_floor: None,
    }
}

#[test]
fn watch_follows_a_bad_release_to_its_end_and_lists_every_rollback_with_its_reason() {
    let ic = fleet_tests::ic::new_instance();
    let (factory, contracts) = factory_with_contracts(&ic);
    let transport = EmulatorTransport::new(&ic, operator());
    let client = RolloutClient::new(&transport, factory);
    let started = client.start(&plan(options("1.2.1")).unwrap()).unwrap();
    let mut seen = vec![];
    let outcome = watch(
        &client,
        started.id,
        || {
            ic.advance_time(Duration::from_secs(2));
            ic.tick();
        },
        |view| seen.push(view.counts.clone()),
    )
    .unwrap();
    let skipped = client.all_tasks(started.id, TaskState::Skipped).unwrap();
    assert_eq!(outcome.view.state, RolloutState::Finished, "{:?}", outcome.view);
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!((outcome.view.counts.done, outcome.view.counts.rolled_back), (2, 2));
    assert!(!outcome.succeeded(), "rollbacks make the watch fail");
    let mut rolled_back: Vec<Principal> = outcome.failures.iter().map(|t| t.contract).collect();
    rolled_back.sort();
    let mut expected = vec![contracts[0], contracts[2]];
    expected.sort();
    assert_eq!(rolled_back, expected);
    assert!(outcome.failures.iter().all(|t| t.state == TaskState::RolledBack));
    let table = failure_table(&outcome.failures);
    assert!(table.contains("RolledBack") && table.contains(&contracts[0].to_text()), "{table}");
    assert!(seen.len() > 1, "the watch saw the rollout move");
}

#[test]
fn a_plan_the_factory_refuses_comes_back_typed_and_contradictory_selectors_never_leave() {
    let ic = fleet_tests::ic::new_instance();
    let (factory, contracts) = factory_with_contracts(&ic);
    let transport = EmulatorTransport::new(&ic, operator());
    let client = RolloutClient::new(&transport, factory);
    let refused = client.start(&plan(PlanOptions { max_concurrency: 51, ..options("1.2.1") }).unwrap()).unwrap_err();
    assert!(matches!(refused.fleet_error(), Some(FleetError::InvalidInput(_))), "{refused}");
    let unknown = client.start(&plan(options("9.9.9")).unwrap()).unwrap_err();
    assert!(matches!(unknown.fleet_error(), Some(FleetError::NotFound(_))), "{unknown}");
    assert!(client.list(fleet_api::PageRequest::new(0, 10)).unwrap().items.is_empty(), "nothing was started");
    let both = plan(PlanOptions { canary: Some(1), contracts: vec![contracts[0]], ..options("1.2.1") });
    assert!(both.is_err());
}

#[test]
fn the_command_line_refuses_a_missing_factory_with_one_line_and_a_failing_exit() {
    let out = std::process::Command::new(RELEASE).args(["rollout", "status", "1"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim(), "error: --factory is required", "{stderr}");
    let out = std::process::Command::new(RELEASE)
        .args([
            "rollout",
            "start",
            "--target",
            "1.2.0",
            "--factory",
            "not-a-principal",
            "--network",
            "http://127.0.0.1:1",
        ])
        .args(["--identity", "/nonexistent.pem"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a canister id"));
}
