//! `release status` against a real token factory on the in-process emulator (through the emulator transport): the
//! registry's versions with their status and deployments, and the fleet's contracts per installed version and per
//! upgrade policy (and detached) equal what was deployed and set; an unknown factory, a canister that is not a
//! factory and a refused identity each get one clear line and make the command fail; the command line refuses a
//! bad factory id with one line and a failing exit before touching any network.
#![cfg(feature = "rehearse")]

use candid::{Nat, Principal};
use fleet_api::{DeployOptions, FleetError, UpgradePolicy};
use fleet_client::emulator::EmulatorTransport;
use fleet_client::publish::{publish, ChunkOrder, PublishRequest};
use fleet_client::rollout::RolloutClient;
use fleet_client::FactoryClient;
use fleet_tests::fleet::user;
use fleet_tests::ic::PocketIc;
use release::status::{factory_status, report};
use serde_json::Value;
use token_api::{Account, TokenArgs};

const RELEASE: &str = env!("CARGO_BIN_EXE_release");

fn operator() -> Principal {
    user("status/operator")
}

fn committed(version: &str) -> Vec<u8> {
    let path = format!("{}/../wasm-registry/token/{version}/token.wasm.gz", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

struct Fleet {
    factory: Principal,
    /// (contract, owner)
    contracts: Vec<(Principal, Principal)>,
}

fn deploy(ic: &PocketIc, factory: Principal, i: u64) -> (Principal, Principal) {
    let owner = user(&format!("status/owner-{i}"));
    let args = TokenArgs {
        name: format!("S{i}"),
        symbol: format!("S{i}"),
        decimals: 8,
        transfer_fee: Nat::from(10_000u64),
        initial_balances: vec![(Account { owner: user("status/holder"), subaccount: None }, Nat::from(1_000_000u64))],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    };
    let options = DeployOptions { initial_cycles: None, request_id: Some(i) };
    let (created,): (Result<Principal, FleetError>,) =
        fleet_tests::ic::update_candid_as(ic, factory, operator(), "createContract", (owner, args, options)).unwrap();
    (created.unwrap(), owner)
}

/// A token factory with the committed token 1.0.0 and 1.1.0 releases: 4 contracts deployed at 1.0.0 (while it was
/// the only version), then 3 at 1.1.0; contracts 0 and 4 `Auto`, 1 `Pinned 1.0.0`, 5 `AutoWithinMajor`, the rest
/// `Manual`; contract 6 released by its owner (Detached).
fn fleet(ic: &PocketIc) -> Fleet {
    let factory = ic.create_canister_with_settings(Some(operator()), None);
    ic.add_cycles(factory, 100_000_000_000_000_000);
    let init = token_factory_api::FactoryInitArgs {
        whitelist: vec![operator()],
        release_principals: vec![operator()],
        admins: vec![operator()],
        config: None,
    };
    let wasm = fleet_tests::wasm::canister_wasm("token_factory");
    ic.install_canister(factory, wasm, candid::encode_one(Some(&init)).unwrap(), Some(operator()));
    let transport = EmulatorTransport::new(ic, operator());
    let client = FactoryClient::new(&transport, factory);
    let publish_version = |version: &str| {
        let wasm = committed(version);
        let request = PublishRequest {
            version,
            wasm: &wasm,
            release_notes: "",
            upgrade: Default::default(),
            chunk_size: 512 * 1024,
            order: ChunkOrder::Ascending,
        };
        publish(&client, &request, |_| {}).unwrap();
    };
    publish_version("1.0.0");
    let mut contracts: Vec<(Principal, Principal)> = (0..4).map(|i| deploy(ic, factory, i)).collect();
    publish_version("1.1.0");
    contracts.extend((4..7).map(|i| deploy(ic, factory, i)));
    let policies = [
        (0, UpgradePolicy::Auto),
        (4, UpgradePolicy::Auto),
        (1, UpgradePolicy::Pinned("1.0.0".into())),
        (5, UpgradePolicy::AutoWithinMajor),
    ];
    for (i, policy) in policies {
        let (contract, owner) = contracts[i];
        let owner_transport = EmulatorTransport::new(ic, owner);
        RolloutClient::new(&owner_transport, factory).set_upgrade_policy(contract, &policy).unwrap();
    }
    let (released, owner) = contracts[6];
    let (r,): (Result<(), FleetError>,) =
        fleet_tests::ic::update_candid_as(ic, factory, owner, "releaseContract", (released,)).unwrap();
    r.unwrap();
    Fleet { factory, contracts }
}

#[test]
fn status_counts_per_version_and_policy_equal_what_was_deployed() {
    let ic = fleet_tests::ic::new_instance();
    let fleet = fleet(&ic);
    assert_eq!(fleet.contracts.len(), 7);
    let transport = EmulatorTransport::new(&ic, operator());
    let status = factory_status(&FactoryClient::new(&transport, fleet.factory)).unwrap();

    let versions: Vec<(&str, u64)> = status.versions.iter().map(|v| (v.version.as_str(), v.deployments)).collect();
    assert_eq!(versions, [("1.0.0", 4), ("1.1.0", 3)]);
    assert_eq!(status.registry.latest_published.as_deref(), Some("1.1.0"));
    let f = &status.fleet;
    assert_eq!((f.contracts, f.detached, f.active + f.deploying), (7, 1, 6));
    assert_eq!((f.at_version("1.0.0"), f.at_version("1.1.0")), (4, 2), "the detached contract is not counted");
    assert_eq!(f.with_policy(&UpgradePolicy::Auto), 2);
    assert_eq!(f.with_policy(&UpgradePolicy::Pinned("1.0.0".into())), 1);
    assert_eq!(f.with_policy(&UpgradePolicy::AutoWithinMajor), 1);
    assert_eq!(f.with_policy(&UpgradePolicy::Manual), 2);
    assert_eq!(f.pages, 1);

    // What a page costs: one over all 7 records, one from past the last (no record); printed for the README.
    let client = FactoryClient::new(&transport, fleet.factory);
    let mut ids: Vec<Principal> = fleet.contracts.iter().map(|c| c.0).collect();
    ids.sort();
    assert_eq!(client.fleet_summary_page(None).unwrap().contracts, 7);
    let full = ic.instructions_used(fleet.factory);
    assert_eq!(client.fleet_summary_page(ids.last().copied()).unwrap().contracts, 0);
    let empty = ic.instructions_used(fleet.factory);
    assert!(full > empty && empty > 0, "instructions {full} / {empty}");
    println!("getFleetSummary: {full} instructions for 7 records, {empty} for none: {} per record", (full - empty) / 7);

    let text = report(&transport, &[fleet.factory], false);
    assert!(text.errors.is_empty(), "{:?}", text.errors);
    println!("{}", text.output);
    let lines: Vec<&str> = text.output.lines().collect();
    let row = |first: &str| -> Vec<String> {
        let line =
            lines.iter().find(|l| l.trim_start().starts_with(first)).unwrap_or_else(|| panic!("{first}: {lines:?}"));
        line.split_whitespace().map(String::from).collect()
    };
    assert_eq!(row("1.0.0"), ["1.0.0", "Published", "4", "4"]);
    assert_eq!(row("1.1.0"), ["1.1.0", "Published", "3", "2"]);
    assert_eq!(row("Pinned"), ["Pinned", "1.0.0", "1"]);
    assert_eq!(row("Auto "), ["Auto", "2"]);
    assert!(text.output.contains("7 contracts (") && text.output.contains("1 detached"), "{}", text.output);

    let json = report(&transport, &[fleet.factory], true);
    let value: Value = serde_json::from_str(&json.output).unwrap();
    assert_eq!(value["ok"], true);
    let factory = &value["factories"][0];
    assert_eq!(factory["factory"], fleet.factory.to_text());
    assert_eq!(factory["versions"][1]["installed"], 2);
    assert_eq!(factory["versions"][0]["deployments"], 4);
    assert_eq!(factory["fleet"]["detached"], 1);
}

#[test]
fn an_unknown_factory_a_non_factory_and_a_refused_identity_each_get_one_line_and_fail() {
    let ic = fleet_tests::ic::new_instance();
    let fleet = fleet(&ic);
    let stranger = user("status/stranger");
    let refused = report(&EmulatorTransport::new(&ic, stranger), &[fleet.factory], false);
    assert_eq!(refused.errors.len(), 1, "{refused:?}");
    let line = &refused.errors[0];
    assert!(line.contains("refused") && line.contains(&stranger.to_text()), "{line}");
    assert!(!line.contains('\n'), "{line}");

    let transport = EmulatorTransport::new(&ic, operator());
    let missing = Principal::from_text("aaaaa-aa").unwrap();
    // A canister id nothing was ever created at on this instance.
    let nowhere = Principal::from_slice(&[0, 0, 0, 0, 0, 0x0f, 0xff, 0xff, 1, 1]);
    let not_a_factory = fleet.contracts[0].0;
    let out = report(&transport, &[nowhere, fleet.factory, not_a_factory, missing], false);
    assert_eq!(out.errors.len(), 3, "{:?}", out.errors);
    assert!(out.output.contains(&format!("factory {}", fleet.factory)), "the readable factory is still shown");
    for (line, id) in out.errors.iter().zip([nowhere, not_a_factory, missing]) {
        assert!(line.starts_with(&format!("factory {id}")), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }
    println!("{}", out.errors.join("\n"));

    let json: Value = serde_json::from_str(&report(&transport, &[not_a_factory], true).output).unwrap();
    assert_eq!((json["ok"].as_bool(), json["errors"].as_array().map(Vec::len)), (Some(false), Some(1)));
}

#[test]
fn the_command_line_refuses_a_bad_factory_id_or_none_with_one_line_and_a_failing_exit() {
    let out = std::process::Command::new(RELEASE)
        .args(["status", "--factory", "not-a-principal", "--network", "http://127.0.0.1:1"])
        .args(["--identity", "/nonexistent.pem"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().starts_with("error: --factory \"not-a-principal\" is not a canister id"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let out = std::process::Command::new(RELEASE)
        .args(["status", "--factory", "aaaaa-aa", "--network", "http://127.0.0.1:1"])
        .args(["--identity", "/nonexistent.pem"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().starts_with("error:") && stderr.contains("nonexistent.pem"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let out = std::process::Command::new(RELEASE).args(["status"]).output().unwrap();
    assert!(!out.status.success(), "--factory is required");
}
