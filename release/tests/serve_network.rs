//! `release serve` end to end over HTTP, with real clients only: the built `release` binary serves the fleet on a
//! free port; `release publish` and `release rollout start` / `watch` (ic-agent, `--network`, `--identity`) publish
//! the committed token releases, roll a paid-for contract from 1.0.0 to 1.1.0 and watch it finish; a stranger's
//! identity is refused with one clear line; `@dfinity/agent` from node (tests/node) reads and transfers on the
//! payment ledger through an actor built from the token's `.did`, with the root key fetched from the emulator.
//! The node test skips, saying so, when node or npm is absent.
#![cfg(feature = "rehearse")]

use candid::{Nat, Principal};
use fleet_api::{ContractStatus, FleetError, UpgradePolicy};
use fleet_client::agent::{identity_from_pem_file, AgentTransport};
use fleet_client::rollout::RolloutClient;
use fleet_client::{CanisterClient, Transport};
use release::serve::{ServeIdentity, ServedFleet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use token_api::{Account, ApproveArgs, ApproveError, TokenArgs};

const RELEASE: &str = env!("CARGO_BIN_EXE_release");

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A running `release serve` and its folder (ids file, identity, log); killed when dropped.
struct Served {
    child: Child,
    dir: tempfile::TempDir,
    fleet: ServedFleet,
    seconds_to_serving: f64,
}

impl Served {
    fn pem(&self) -> PathBuf {
        self.dir.path().join("serve-identity.pem")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    fn canister(&self, name: &str) -> Principal {
        self.fleet.canister(name).unwrap()
    }

    /// Runs `release <args>` against this network; the caller adds `--factory`, `--identity`.
    fn release(&self, args: &[&str]) -> Output {
        let output = Command::new(RELEASE).args(args).args(["--network", &self.fleet.url]).output().unwrap();
        eprintln!(
            "$ release {} → {}\n{}{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `release serve --no-build` on a free port and waits for its ids file (written once the network answers).
fn serve() -> Served {
    // The modules serve loads; built here when missing (CI's `release build` has already written them).
    let _ = fleet_tests::fleet::FleetWasm::load();
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let ids = dir.path().join("fleet-ids.json");
    let port = free_port().to_string();
    let mut command = Command::new(RELEASE);
    command
        .args(["serve", "--no-build", "--port", &port, "--ids-file"])
        .arg(&ids)
        .arg("--identity-out")
        .arg(dir.path().join("serve-identity.pem"))
        .current_dir(repository())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    if let Ok(wasm_dir) = std::env::var("FLEET_WASM_DIR") {
        command.arg("--wasm-dir").arg(wasm_dir);
    }
    let started = Instant::now();
    let child = command.spawn().unwrap();
    let mut served = Served { child, dir, fleet: ServedFleet::default(), seconds_to_serving: 0.0 };
    while !ids.exists() {
        if let Some(status) = served.child.try_wait().unwrap() {
            panic!("release serve exited with {status} before serving:\n{}", served.log());
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "release serve did not serve in 180 s:\n{}",
            served.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    served.seconds_to_serving = started.elapsed().as_secs_f64();
    served.fleet = ServedFleet::read(&ids).unwrap();
    eprintln!("release serve: serving {} after {:.1}s\n{}", served.fleet.url, served.seconds_to_serving, served.log());
    served
}

fn agent(served: &Served, pem: &Path) -> AgentTransport {
    AgentTransport::connect(&served.fleet.url, identity_from_pem_file(pem).unwrap()).unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr).lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect()
}

/// The identity pays the backend for a token (approve fee + ledger fee, then `createToken`), waits until the factory
/// has its deployment notice (Active), and opts it in to `Auto` upgrades, all over HTTP.
fn buy_token(served: &Served, transport: &AgentTransport) -> Principal {
    let owner = transport.caller();
    let ledger = CanisterClient::new(transport, served.canister("ledger"));
    let backend = CanisterClient::new(transport, served.canister("backend"));
    let factory = served.canister("token_factory");
    let (fee,): (Option<Nat>,) = backend.query("getServiceFee", ("token_factory".to_string(),)).unwrap();
    let approve = ApproveArgs {
        from_subaccount: None,
        spender: Account { owner: served.canister("backend"), subaccount: None },
        amount: fee.unwrap() + Nat::from(10_000u64),
        expected_allowance: None,
        expires_at: None,
        fee: None,
        memo: None,
        created_at_time: None,
    };
    let (approved,): (Result<Nat, ApproveError>,) = ledger.update("icrc2_approve", (approve,)).unwrap();
    approved.unwrap();
    let args = TokenArgs {
        name: "Served token".into(),
        symbol: "SRV".into(),
        decimals: 8,
        transfer_fee: Nat::from(10_000u64),
        initial_balances: vec![(Account { owner, subaccount: Some([1; 32]) }, Nat::from(1_000_000u64))],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    };
    let contract: Principal = backend.update_result("createToken", (args,)).unwrap();
    let factory_client = CanisterClient::new(transport, factory);
    let started = Instant::now();
    loop {
        let details: token_factory_api::ContractDetails =
            factory_client.query_result("getContract", (contract,)).unwrap();
        if details.info.status == ContractStatus::Active {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{contract} still {:?} after 30 s", details.info.status);
        std::thread::sleep(Duration::from_millis(200));
    }
    RolloutClient::new(transport, factory).set_upgrade_policy(contract, &UpgradePolicy::Auto).unwrap();
    contract
}

#[test]
fn publish_and_a_watched_rollout_run_over_the_network_against_release_serve_and_a_stranger_is_refused() {
    let served = serve();
    let pem = served.pem();
    let pem = pem.to_str().unwrap();
    let factory = served.canister("token_factory").to_text();
    let registry = repository().join("wasm-registry");
    let registry = registry.to_str().unwrap();
    let transport = agent(&served, Path::new(pem));
    assert_eq!(transport.caller().to_text(), served.fleet.principal, "the PEM is the principal the ids file names");

    let publish = |version: &str, pem: &str| {
        served.release(&["publish", "token", version, "--factory", &factory, "--identity", pem, "--registry", registry])
    };
    let published = publish("1.0.0", pem);
    assert!(published.status.success(), "publish 1.0.0 failed");
    assert!(
        stdout(&published).contains("published token 1.0.0") && stdout(&published).contains("matches the manifest")
    );

    let stranger = served.dir.path().join("stranger.pem");
    let stranger_identity = ServeIdentity::generate();
    stranger_identity.write(&stranger).unwrap();
    let refused = publish("1.1.0", stranger.to_str().unwrap());
    assert!(!refused.status.success(), "a stranger published");
    let lines = stderr_lines(&refused);
    assert_eq!(lines.len(), 1, "one clear line: {lines:?}");
    assert!(
        lines[0].starts_with("error:")
            && lines[0].contains("refused identity")
            && lines[0].contains(&stranger_identity.principal.to_text()),
        "{lines:?}"
    );

    let contract = buy_token(&served, &transport);
    let published = publish("1.1.0", pem);
    assert!(published.status.success(), "publish 1.1.0 failed");

    let start = served.release(&[
        "rollout",
        "start",
        "--target",
        "1.1.0",
        "--max-concurrency",
        "1",
        "--factory",
        &factory,
        "--identity",
        pem,
        "--json",
    ]);
    assert!(start.status.success(), "rollout start failed");
    let started: serde_json::Value = serde_json::from_str(stdout(&start).trim()).unwrap();
    let id = started["rollout"].as_u64().unwrap().to_string();
    let watched = served.release(&["rollout", "watch", &id, "--every", "1", "--factory", &factory, "--identity", pem]);
    assert!(watched.status.success(), "rollout watch reported failures");
    let text = stdout(&watched);
    assert!(text.contains("Finished: 1 done") && text.contains("0 failed"), "{text}");

    let (version,): (String,) = CanisterClient::new(&transport, contract).query("version", ()).unwrap();
    assert_eq!(version, "1.1.0", "the contract runs the rolled-out release");
    let strangers = agent(&served, &stranger);
    let refused = RolloutClient::new(&strangers, served.canister("token_factory")).pause(id.parse().unwrap());
    assert!(
        matches!(&refused, Err(fleet_client::ClientError::Fleet { error, .. }) if matches!(**error, FleetError::Unauthorized(_))),
        "{refused:?}"
    );
    let stranger_pem = stranger.to_str().unwrap();
    let refused = served.release(&["rollout", "abort", &id, "--factory", &factory, "--identity", stranger_pem]);
    assert!(!refused.status.success(), "a stranger aborted the rollout");
    let lines = stderr_lines(&refused);
    assert!(lines.len() == 1 && lines[0].starts_with("error:") && lines[0].contains("refused identity"), "{lines:?}");
    eprintln!("start to serving: {:.1}s", served.seconds_to_serving);
}

/// `node` (18 or newer: @dfinity/agent needs its global `fetch`) and `npm` on PATH, or why not.
fn node_tools() -> Result<(), String> {
    let mut versions = vec![];
    for tool in ["node", "npm"] {
        match Command::new(tool).arg("--version").output() {
            Ok(output) if output.status.success() => versions.push(stdout(&output).trim().to_string()),
            _ => return Err(format!("`{tool}` is not installed")),
        }
    }
    let major = versions[0].trim_start_matches('v').split('.').next().and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(major) if major >= 18 => Ok(()),
        _ => Err(format!("node {} is older than 18 (what @dfinity/agent 3 needs)", versions[0])),
    }
}

/// The token's `.did` as the JavaScript IDL factory @dfinity/agent's `Actor.createActor` takes (candid's own
/// JavaScript binding, what `didc bind -t js` prints).
fn token_idl_js(out: &Path) -> PathBuf {
    let did = repository().join("canisters/contracts/token/api/token.did");
    let (env, actor) = candid_parser::utils::CandidSource::File(&did).load().unwrap();
    let path = out.join("token.did.mjs");
    std::fs::write(&path, candid_parser::bindings::javascript::compile(&env, &actor)).unwrap();
    path
}

#[test]
fn dfinity_agent_from_node_reads_balances_and_transfers_on_the_payment_ledger_served_by_release_serve() {
    if let Err(why) = node_tools() {
        println!("SKIPPED dfinity_agent_from_node: {why}; `.ci/run` installs node and npm with apt-get");
        return;
    }
    let node_dir = repository().join("tests/node");
    if !node_dir.join("node_modules/@dfinity/agent").exists() {
        let ci = Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&node_dir).output().unwrap();
        assert!(ci.status.success(), "npm ci in tests/node failed:\n{}", String::from_utf8_lossy(&ci.stderr));
    }
    let served = serve();
    let idl = token_idl_js(served.dir.path());
    let recipient = fleet_tests::fleet::user("bob");
    let amount = 123_456_789u64;
    let node = |wrong_root_key: bool| {
        let output = Command::new("node")
            .arg(node_dir.join("icrc1.mjs"))
            .current_dir(&node_dir)
            .env("FLEET_URL", &served.fleet.url)
            .env("FLEET_LEDGER", served.canister("ledger").to_text())
            .env("FLEET_PEM", served.pem())
            .env("FLEET_IDL", &idl)
            .env("FLEET_TO", recipient.to_text())
            .env("FLEET_AMOUNT", amount.to_string())
            .env("FLEET_WRONG_ROOT_KEY", if wrong_root_key { "1" } else { "0" })
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "node icrc1.mjs failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let output = node(false);
    let report: serde_json::Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    let number = |key: &str| report[key].as_str().unwrap().parse::<u128>().unwrap();
    assert_eq!(report["principal"], served.fleet.principal, "node signed as the served identity");
    assert_eq!(number("before"), release::serve::IDENTITY_FUNDS as u128, "serve funded the identity");
    assert_eq!(number("before") - number("after"), amount as u128 + number("fee"), "amount plus the fee left");
    assert_eq!(number("to_after") - number("to_before"), amount as u128, "the recipient got the amount");
    println!(
        "@dfinity/agent latency (ms): {}; start to serving {:.1}s",
        report["latency_ms"], served.seconds_to_serving
    );

    // The same agent trusting mainnet's root key instead refuses the emulator's answers: the checks are real.
    let refused: serde_json::Value = serde_json::from_str(stdout(&node(true)).trim()).unwrap();
    assert_eq!(refused["refused"], true, "an agent with the wrong root key accepted a reply: {refused}");
    assert!(refused["error"].as_str().unwrap().contains("verification"), "{refused}");
    println!("@dfinity/agent with mainnet's root key: {}", refused["error"]);
}

#[test]
fn grant_operator_makes_the_identity_controller_of_everything_admin_release_principal_and_funded() {
    use fleet_tests::fleet::{Fleet, FleetWasm};
    let fleet = Fleet::deploy(fleet_tests::ic::new_instance(), &FleetWasm::load(), &["alice"], |_| {}).unwrap();
    let identity = ServeIdentity::generate();
    release::serve::grant_operator(&fleet, identity.principal, |_| {}).unwrap();
    let who = identity.principal;
    for (name, id) in release::serve::canister_ids(&fleet) {
        let controllers = fleet.ic.get_controllers(id);
        assert!(controllers.contains(&who) && controllers.contains(&fleet.operator), "{name}: {controllers:?}");
    }
    for id in [fleet.backend, fleet.audit_storage, fleet.invoice_storage] {
        let (admins,): (Vec<Principal>,) = fleet.query(id, who, "getAdmins", ()).unwrap();
        assert!(admins.contains(&who), "{id}: {admins:?}");
    }
    for id in [
        fleet.token_factory,
        fleet.multisig_factory,
        fleet.distribution_factory,
        fleet.dao_factory,
        fleet.launchpad_factory,
    ] {
        let (roles,): (factory_engine::api::FactoryRoles,) = fleet.query(id, who, "getRoles", ()).unwrap();
        assert!(roles.admins.contains(&who) && roles.release_principals.contains(&who), "{id}: {roles:?}");
    }
    assert_eq!(fleet.balance(who).unwrap(), release::serve::IDENTITY_FUNDS as u128);
}

#[test]
fn a_port_already_taken_is_refused_with_one_line_and_leaves_no_identity_or_ids_file() {
    let _ = fleet_tests::fleet::FleetWasm::load();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let (ids, pem) = (dir.path().join("fleet-ids.json"), dir.path().join("serve-identity.pem"));
    let mut command = Command::new(RELEASE);
    command.args(["serve", "--no-build", "--port", &port, "--ids-file"]).arg(&ids).arg("--identity-out").arg(&pem);
    if let Ok(wasm_dir) = std::env::var("FLEET_WASM_DIR") {
        command.arg("--wasm-dir").arg(wasm_dir);
    }
    let output = command.current_dir(repository()).stdin(Stdio::null()).output().unwrap();
    assert!(!output.status.success());
    let lines = stderr_lines(&output);
    assert!(lines.len() == 1 && lines[0].contains(&format!("127.0.0.1:{port}")), "{lines:?}");
    assert!(!ids.exists() && !pem.exists(), "nothing written for a network that never served");
}
