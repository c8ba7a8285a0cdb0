//! Upgrade rehearsal tests on released state: for every kind and every released version in `wasm-registry/`, install
//! those exact bytes, load the version's fixture (`migrations/<kind>/<version>/`), check what users see equals what
//! was recorded when the fixture was captured, upgrade to the current build with `install_code`, and check that
//! nothing users see changed and the kind's invariants hold (for the token: balances and supply, allowances, the
//! transaction log, the dedup window). A downgrade back to a release with an older schema is refused and changes
//! nothing. Also: the committed bytes match the manifest, and the current build reports the schema its Cargo.toml
//! declares (the `fleet:schema` `release build` embeds).

use std::io::Read;
use std::path::{Path, PathBuf};

use fleet_tests::released::{self, Contract};
use fleet_tests::wasm::canister_wasm;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repository root").to_path_buf()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

struct Released {
    kind: String,
    version: String,
    sha256: String,
    size: u64,
    schema: u32,
    wasm: PathBuf,
    candid: PathBuf,
}

fn releases() -> Vec<Released> {
    let registry = root().join("wasm-registry");
    let manifest = json(&registry.join("manifest.json"));
    assert_eq!(manifest["format"], 1, "manifest format");
    let text = |v: &Value, field: &str| v[field].as_str().unwrap_or_else(|| panic!("{field} of {v}")).to_string();
    manifest["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .map(|r| Released {
            kind: text(r, "kind"),
            version: text(r, "version"),
            sha256: text(r, "sha256"),
            size: r["size"].as_u64().expect("size"),
            schema: r["schema_version"].as_u64().expect("schema_version") as u32,
            wasm: registry.join(text(r, "wasm")),
            candid: registry.join(text(r, "candid")),
        })
        .collect()
}

fn fixture_dir(kind: &str, version: &str) -> PathBuf {
    root().join("migrations").join(kind).join(version)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("gzip");
    out
}

/// `schema = N` of `[package.metadata.fleet]` in the kind's Cargo.toml.
fn declared_schema(kind: &str) -> Option<u32> {
    let manifest = root().join("canisters/contracts").join(kind).join("impl/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).ok()?;
    let section = text.split("[package.metadata.fleet]").nth(1)?;
    let section = section.split("\n[").next()?;
    section.lines().find_map(|line| line.trim().strip_prefix("schema")?.trim().strip_prefix('=')?.trim().parse().ok())
}

#[test]
fn committed_releases_and_fixtures_match_the_manifest() {
    let releases = releases();
    assert!(releases.iter().any(|r| r.kind == "token" && r.version == "1.0.0"), "token 1.0.0 is released");
    // Every kind with a released-state scenario has at least its 1.0.0 released, with a fixture.
    for kind in released::kinds() {
        assert!(
            releases.iter().any(|r| r.kind == kind.kind() && r.version == "1.0.0"),
            "{} 1.0.0 is not in wasm-registry/manifest.json",
            kind.kind()
        );
        assert!(
            fixture_dir(kind.kind(), "1.0.0").join("stable_memory.bin.gz").is_file(),
            "{} 1.0.0 has no fixture",
            kind.kind()
        );
    }
    for r in &releases {
        let wasm = read(&r.wasm);
        assert_eq!(sha256(&wasm), r.sha256, "{} {}: sha256 of {}", r.kind, r.version, r.wasm.display());
        assert_eq!(wasm.len() as u64, r.size, "{} {}: size", r.kind, r.version);
        let recorded = String::from_utf8(read(&PathBuf::from(format!("{}.sha256", r.wasm.display())))).unwrap();
        assert_eq!(recorded.trim(), r.sha256, "{} {}: .sha256 file", r.kind, r.version);
        let meta = factory_engine::registry::wasm_meta::read_metadata(&wasm).expect("wasm metadata");
        assert_eq!((meta.kind.as_deref(), meta.version.as_deref()), (Some(r.kind.as_str()), Some(r.version.as_str())));
        assert!(String::from_utf8(read(&r.candid)).unwrap().contains("service"), "{}", r.candid.display());

        let dir = fixture_dir(&r.kind, &r.version);
        if dir.exists() {
            let meta = json(&dir.join("fixture.json"));
            assert_eq!(meta["wasm_sha256"], r.sha256.as_str(), "{}: fixture made on another wasm", dir.display());
            let memory = gunzip(&read(&dir.join("stable_memory.bin.gz")));
            assert_eq!(sha256(&memory), meta["stable_memory_sha256"], "{}", dir.display());
            assert_eq!(memory.len() as u64, meta["stable_memory_size"].as_u64().unwrap(), "{}", dir.display());
        }
    }
    // Every version folder on disk is in the manifest (nothing half-written or left over).
    for kind in std::fs::read_dir(root().join("wasm-registry")).unwrap().flatten().filter(|e| e.path().is_dir()) {
        for version in std::fs::read_dir(kind.path()).unwrap().flatten() {
            let (kind, version) = (kind.file_name().into_string().unwrap(), version.file_name().into_string().unwrap());
            assert!(
                releases.iter().any(|r| r.kind == kind && r.version == version),
                "wasm-registry/{kind}/{version} has no manifest entry"
            );
        }
    }
}

#[test]
fn every_released_version_upgrades_from_its_fixture_to_the_current_build() {
    let mut table = vec![format!("{:<14} {:<9} {:>14} {:>16}", "kind", "from", "to (current)", "upgrade instr.")];
    let mut proven = 0;
    for r in releases() {
        let dir = fixture_dir(&r.kind, &r.version);
        assert!(
            dir.join("stable_memory.bin.gz").is_file(),
            "{} {} has no fixture in {}",
            r.kind,
            r.version,
            dir.display()
        );
        let scenario = released::kind(&r.kind).expect("every released kind has a released-state scenario");
        let release_wasm = read(&r.wasm);
        let memory = gunzip(&read(&dir.join("stable_memory.bin.gz")));
        let recorded = json(&dir.join("state.json"));
        let current = canister_wasm(&r.kind);
        let current_version = factory_engine::registry::wasm_meta::read_metadata(&current).unwrap().version.unwrap();

        let ic = released::fixture_instance();
        let id = released::load(&ic, scenario, &r.version, &release_wasm, &memory).expect("load the fixture");
        let contract = Contract { ic: &ic, id, owner: released::fixture_owner() };
        assert_eq!(
            contract.schema_version().unwrap(),
            r.schema,
            "{} {}: schema of the loaded fixture",
            r.kind,
            r.version
        );
        let before = scenario.observe(&contract).unwrap();
        released::same_view(&recorded, &before)
            .unwrap_or_else(|e| panic!("{} {}: loaded fixture vs state.json: {e:#}", r.kind, r.version));
        scenario
            .check_live(&contract, &before)
            .unwrap_or_else(|e| panic!("{} {} before the upgrade: {e:#}", r.kind, r.version));

        released::upgrade(&ic, id, &current, &current_version)
            .unwrap_or_else(|e| panic!("{} {} → {current_version}: {e:#}", r.kind, r.version));
        let instructions = upgrade_instructions(&ic, id);
        let after = scenario.observe(&contract).unwrap();
        released::same_view(&before, &after)
            .unwrap_or_else(|e| panic!("{} {} → {current_version}: {e:#}", r.kind, r.version));
        scenario
            .check_live(&contract, &before)
            .unwrap_or_else(|e| panic!("{} {} → {current_version}: {e:#}", r.kind, r.version));
        let schema_now = contract.schema_version().unwrap();
        if let Some(declared) = declared_schema(&r.kind) {
            assert_eq!(schema_now, declared, "{}: the current build's schema vs its Cargo.toml", r.kind);
        }

        if schema_now > r.schema {
            // Back to the release: its code cannot read the newer schema, so the upgrade is refused and nothing changes.
            let refused = released::upgrade(&ic, id, &release_wasm, &r.version);
            assert!(
                refused.is_err(),
                "{} {current_version} → {}: a downgrade past a schema change must be refused",
                r.kind,
                r.version
            );
            released::same_view(&after, &scenario.observe(&contract).unwrap()).unwrap();
            assert_eq!(contract.schema_version().unwrap(), schema_now);
        }
        table.push(format!("{:<14} {:<9} {:>14} {:>16}", r.kind, r.version, current_version, instructions));
        proven += 1;
    }
    assert!(proven > 0, "no released version was rehearsed");
    println!("\nfixture upgrade to the current build (benchmark):\n{}", table.join("\n"));
}

#[cfg(not(feature = "pocket-ic"))]
fn upgrade_instructions(ic: &fleet_tests::ic::PocketIc, id: candid::Principal) -> String {
    ic.instructions_used(id).to_string()
}

#[cfg(feature = "pocket-ic")]
fn upgrade_instructions(_ic: &fleet_tests::ic::PocketIc, _id: candid::Principal) -> String {
    "n/a (pocket-ic)".into()
}

#[test]
fn the_current_build_reports_the_schema_its_cargo_toml_declares() {
    for kind in released::kinds() {
        let declared = declared_schema(kind.kind()).unwrap_or_else(|| {
            panic!(
                "canisters/contracts/{}/impl/Cargo.toml declares no `schema = N` in [package.metadata.fleet]",
                kind.kind()
            )
        });
        let wasm = canister_wasm(kind.kind());
        let version = factory_engine::registry::wasm_meta::read_metadata(&wasm).unwrap().version.unwrap();
        let ic = released::fixture_instance();
        let owner = released::fixture_owner();
        let arg = kind.init_arg(&ic, owner, &version).unwrap();
        let id = ic.create_canister_with_settings(Some(owner), None);
        ic.add_cycles(id, 10_000_000_000_000);
        ic.install_canister(id, wasm, arg, Some(owner));
        let reported = Contract { ic: &ic, id, owner }.schema_version().unwrap();
        assert_eq!(
            reported,
            declared,
            "{}: Cargo.toml declares schema {declared}, the code reports {reported}",
            kind.kind()
        );
    }
}

/// The launchpad's failed sale (one contract holds one sale, so it has no committed fixture of its own): captured at
/// test time on the released 1.0.0 bytes, loaded into those bytes again, upgraded to the current build, and checked
/// (everyone refunded exactly once, nothing owed or held) before and after.
#[test]
fn a_failed_launchpad_sale_on_the_released_bytes_survives_the_upgrade_to_the_current_build() {
    let scenario: &dyn released::ReleasedKind = &released::LaunchpadFailedSale;
    let release =
        releases().into_iter().find(|r| r.kind == "launchpad" && r.version == "1.0.0").expect("launchpad 1.0.0");
    let release_wasm = read(&release.wasm);
    let fixture = released::capture(scenario, &release.version, &release_wasm).expect("the failed sale on 1.0.0");
    assert_eq!(fixture.schema_version, release.schema);

    let ic = released::fixture_instance();
    let id = released::load(&ic, scenario, &release.version, &release_wasm, &fixture.stable_memory).expect("load");
    let contract = Contract { ic: &ic, id, owner: released::fixture_owner() };
    let before = scenario.observe(&contract).unwrap();
    released::same_view(&fixture.state, &before).unwrap_or_else(|e| panic!("reloaded failed sale: {e:#}"));
    scenario.check_live(&contract, &before).unwrap_or_else(|e| panic!("failed sale before the upgrade: {e:#}"));
    let current = canister_wasm("launchpad");
    let current_version = factory_engine::registry::wasm_meta::read_metadata(&current).unwrap().version.unwrap();
    released::upgrade(&ic, id, &current, &current_version).unwrap_or_else(|e| panic!("upgrade: {e:#}"));
    let after = scenario.observe(&contract).unwrap();
    released::same_view(&before, &after).unwrap_or_else(|e| panic!("failed sale → {current_version}: {e:#}"));
    scenario.check_live(&contract, &before).unwrap_or_else(|e| panic!("failed sale → {current_version}: {e:#}"));
}
