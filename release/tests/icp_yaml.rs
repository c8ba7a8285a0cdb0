//! `icp.yaml` (icp-cli) and `dfx.json` (dfx) describe the same canisters: every (non-fixture) canister crate is in
//! both, built by the same `release build` command, with the `.did` its `[package.metadata.fleet]` declares; and
//! neither lists a canister the other does not.

use release::workspace::FleetWorkspace;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// name → (build command, candid file, wasm file) from dfx.json.
fn dfx() -> BTreeMap<String, (String, String, String)> {
    let text = std::fs::read_to_string(root().join("dfx.json")).unwrap();
    let dfx: serde_json::Value = serde_json::from_str(&text).unwrap();
    let field =
        |c: &serde_json::Value, f: &str| c[f].as_str().unwrap_or_else(|| panic!("dfx.json: {f} of {c}")).to_string();
    dfx["canisters"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, c)| (name.clone(), (field(c, "build"), field(c, "candid"), field(c, "wasm"))))
        .collect()
}

/// name → the commands of its script build step, from icp.yaml.
fn icp() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root().join("icp.yaml")).unwrap();
    let icp: serde_yaml::Value = serde_yaml::from_str(&text).expect("icp.yaml is YAML");
    let mut out = BTreeMap::new();
    for canister in icp["canisters"].as_sequence().expect("icp.yaml: canisters is a list") {
        let name = canister["name"].as_str().expect("canister name").to_string();
        let steps = canister["build"]["steps"].as_sequence().unwrap_or_else(|| panic!("{name}: build.steps"));
        assert_eq!(steps.len(), 1, "{name}: one script step");
        assert_eq!(steps[0]["type"].as_str(), Some("script"), "{name}");
        let commands = steps[0]["commands"].as_sequence().unwrap_or_else(|| panic!("{name}: commands"));
        let commands = commands.iter().map(|c| c.as_str().expect("command text").to_string()).collect();
        assert!(out.insert(name.clone(), commands).is_none(), "icp.yaml lists {name} twice");
    }
    out
}

#[test]
fn icp_yaml_and_dfx_json_build_the_same_canisters_the_same_way() {
    let dfx = dfx();
    let icp = icp();
    assert_eq!(
        icp.keys().collect::<Vec<_>>(),
        dfx.keys().collect::<Vec<_>>(),
        "icp.yaml and dfx.json list other canisters"
    );
    for (name, commands) in &icp {
        let (build, candid, wasm) = &dfx[name];
        let wasm_of = build.rsplit(' ').next().unwrap();
        assert_eq!(
            commands,
            &vec![
                build.clone(),
                format!("cargo run -p release --no-default-features -- check-did --canister {wasm_of} --did {candid}"),
                format!("cp {wasm} \"$ICP_WASM_OUTPUT_PATH\""),
            ],
            "{name}: icp.yaml's build differs from dfx.json's"
        );
    }
}

#[test]
fn every_canister_crate_is_in_icp_yaml_with_its_candid_file() {
    let icp = icp();
    let root = root();
    let workspace = FleetWorkspace::load(Some(&root.join("Cargo.toml"))).unwrap();
    for canister in workspace.canisters.iter().filter(|c| !c.fixture) {
        let commands = icp.get(&canister.canister).unwrap_or_else(|| {
            panic!(
                "canister crate `{}` declares `{}`, which icp.yaml does not list",
                canister.package, canister.canister
            )
        });
        let declared = canister.did.strip_prefix(&root).unwrap_or(&canister.did).display().to_string();
        assert!(
            commands.iter().any(|c| c.ends_with(&format!("--canister {} --did {declared}", canister.canister))),
            "icp.yaml's {} does not state its candid file {declared}: {commands:?}",
            canister.canister
        );
    }
}

#[test]
fn check_did_refuses_a_candid_file_the_crate_does_not_declare() {
    let release = env!("CARGO_BIN_EXE_release");
    let manifest = root().join("Cargo.toml");
    let run = |did: &str| {
        std::process::Command::new(release)
            .args(["check-did", "--manifest-path"])
            .arg(&manifest)
            .args(["--canister", "token", "--did", did])
            .output()
            .unwrap()
    };
    assert!(run("canisters/contracts/token/api/token.did").status.success());
    let wrong = run("canisters/contracts/multisig/api/multisig.did");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("declares canisters/contracts/token/api/token.did"));
}
