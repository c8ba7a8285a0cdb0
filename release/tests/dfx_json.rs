//! `dfx.json` stays in step with the workspace: every (non-fixture) canister crate is deployable with dfx, from
//! the wasm `release build` writes and the `.did` its Cargo.toml names. Canisters planned but not written yet may
//! be listed already; this test only holds the ones whose crate exists to their declaration.

use release::workspace::FleetWorkspace;
use std::path::{Path, PathBuf};

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn dfx_json() -> serde_json::Value {
    let path = repository_root().join("dfx.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_dfx_canister_is_a_custom_canister_built_by_release() {
    let dfx = dfx_json();
    let canisters = dfx["canisters"]
        .as_object()
        .expect("dfx.json has a canisters object");
    for (name, canister) in canisters {
        // `ledger` is an instance of the token contract: same wasm, same interface.
        let wasm_of = if name == "ledger" {
            "token"
        } else {
            name.as_str()
        };
        assert_eq!(canister["type"], "custom", "{name}");
        assert_eq!(
            canister["build"],
            format!("cargo run -p release --no-default-features -- build --canister {wasm_of}"),
            "{name}"
        );
        assert_eq!(
            canister["wasm"],
            format!("target/canisters/{wasm_of}.wasm.gz"),
            "{name}"
        );
        assert_eq!(canister["metadata"][0]["name"], "candid:service", "{name}");
        assert_eq!(canister["metadata"][0]["visibility"], "public", "{name}");
        assert!(
            canister["candid"]
                .as_str()
                .is_some_and(|c| c.ends_with(".did")),
            "{name}"
        );
    }
    for planned in [
        "backend",
        "audit_storage",
        "invoice_storage",
        "token_factory",
        "multisig_factory",
        "distribution_factory",
        "dao_factory",
        "launchpad_factory",
        "token",
        "ledger",
    ] {
        assert!(canisters.contains_key(planned), "dfx.json lacks {planned}");
    }
}

#[test]
fn dfx_json_matches_the_canister_crates_that_exist() {
    let dfx = dfx_json();
    let root = repository_root();
    let workspace = FleetWorkspace::load(Some(&root.join("Cargo.toml"))).unwrap();
    for canister in workspace.canisters.iter().filter(|c| !c.fixture) {
        let entry = &dfx["canisters"][&canister.canister];
        assert!(
            entry.is_object(),
            "canister crate `{}` declares canister `{}`, which dfx.json does not list",
            canister.package,
            canister.canister
        );
        let declared = canister.did.strip_prefix(&root).unwrap_or(&canister.did);
        assert_eq!(
            entry["candid"].as_str().map(Path::new),
            Some(declared),
            "dfx.json's candid path for `{}` differs from [package.metadata.fleet] did of `{}`",
            canister.canister,
            canister.package
        );
    }
}
