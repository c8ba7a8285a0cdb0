//! Finds the canister crates of the workspace: every package whose Cargo.toml declares
//!
//! ```toml
//! [package.metadata.fleet]
//! canister = "token_factory"        # canister / dfx name and wasm file name
//! did = "../api/token_factory.did"  # relative to this Cargo.toml
//! kind = "token"                    # contracts only: embedded as `fleet:kind`, with `fleet:version`
//! schema = 1                        # contracts only: the stable schema version its code writes (`fleet:schema`)
//! fixture = true                    # emulator test fixtures only: built, never published
//! ```

use crate::error::{Error, Result};
use cargo_metadata::{Metadata, MetadataCommand, Package, PackageId, TargetKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One canister crate, as declared by its `[package.metadata.fleet]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanisterCrate {
    /// The canister name: dfx name, file name of `<name>.wasm.gz`.
    pub canister: String,
    pub package: String,
    pub package_id: PackageId,
    /// The package version, embedded as `fleet:version` for contracts.
    pub version: String,
    pub manifest_path: PathBuf,
    /// Name of the cdylib target (`-` already replaced by `_`), i.e. the stem of the wasm cargo writes.
    pub lib_name: String,
    /// Absolute path of the candid file.
    pub did: PathBuf,
    /// Contract kind (`token`, `multisig`, ...) for contract canisters.
    pub kind: Option<String>,
    /// Stable schema version the contract's code writes (`schema = N`), embedded as `fleet:schema`. `release cut`
    /// requires it; the upgrade rehearsal tests check it equals what the installed contract reports.
    pub schema: Option<u32>,
    /// Emulator test fixture: built like the others, never published.
    pub fixture: bool,
    /// Keys of `[package.metadata.fleet]` this tool does not know (reported as warnings, to catch typos).
    pub unknown_keys: Vec<String>,
}

/// The workspace as the release tool sees it.
#[derive(Debug, Clone)]
pub struct FleetWorkspace {
    pub root: PathBuf,
    /// Cargo's target directory (honours `CARGO_TARGET_DIR` and `build.target-dir`).
    pub target_dir: PathBuf,
    /// Canister crates sorted by canister name.
    pub canisters: Vec<CanisterCrate>,
}

#[derive(Deserialize)]
struct FleetSection {
    canister: Option<String>,
    did: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    schema: Option<u32>,
    #[serde(default)]
    fixture: bool,
    #[serde(flatten)]
    unknown: BTreeMap<String, serde_json::Value>,
}

impl FleetWorkspace {
    /// Runs `cargo metadata --no-deps` on the workspace of `manifest_path` (or of the current directory).
    pub fn load(manifest_path: Option<&Path>) -> Result<Self> {
        let mut command = MetadataCommand::new();
        command.no_deps();
        if let Some(path) = manifest_path {
            command.manifest_path(path);
        }
        Self::from_metadata(&command.exec()?)
    }

    pub fn from_metadata(metadata: &Metadata) -> Result<Self> {
        let mut canisters: Vec<CanisterCrate> = Vec::new();
        for package in metadata.workspace_packages() {
            if let Some(canister) = canister_of(package)? {
                if let Some(other) = canisters.iter().find(|c| c.canister == canister.canister) {
                    return Err(Error::DuplicateCanister {
                        canister: canister.canister,
                        first: other.package.clone(),
                        second: canister.package,
                    });
                }
                canisters.push(canister);
            }
        }
        canisters.sort_by(|a, b| a.canister.cmp(&b.canister));
        Ok(FleetWorkspace {
            root: metadata.workspace_root.clone().into_std_path_buf(),
            target_dir: metadata.target_directory.clone().into_std_path_buf(),
            canisters,
        })
    }

    /// Where `release build` writes `<canister>.wasm.gz`: `<target-dir>/canisters`.
    pub fn canister_dir(&self) -> PathBuf {
        self.target_dir.join("canisters")
    }

    /// The canisters named in `names`, in workspace order, or all of them when `names` is empty.
    pub fn select(&self, names: &[String]) -> Result<Vec<&CanisterCrate>> {
        if names.is_empty() {
            return Ok(self.canisters.iter().collect());
        }
        for name in names {
            if !self.canisters.iter().any(|c| &c.canister == name) {
                let known: Vec<&str> = self.canisters.iter().map(|c| c.canister.as_str()).collect();
                return Err(Error::UnknownCanister {
                    canister: name.clone(),
                    known: if known.is_empty() {
                        "(none)".to_string()
                    } else {
                        known.join(", ")
                    },
                });
            }
        }
        Ok(self
            .canisters
            .iter()
            .filter(|c| names.contains(&c.canister))
            .collect())
    }
}

fn canister_of(package: &Package) -> Result<Option<CanisterCrate>> {
    let Some(section) = package.metadata.get("fleet") else {
        return Ok(None);
    };
    let manifest_path = package.manifest_path.clone().into_std_path_buf();
    let invalid = |reason: String| Error::InvalidFleetMetadata {
        package: package.name.clone(),
        manifest: manifest_path.clone(),
        reason,
    };
    let section: FleetSection =
        serde_json::from_value(section.clone()).map_err(|e| invalid(e.to_string()))?;
    let canister = section
        .canister
        .ok_or_else(|| invalid("missing `canister = \"<name>\"`".to_string()))?;
    check_identifier("canister", &canister).map_err(invalid)?;
    let did = section.did.ok_or_else(|| {
        invalid("missing `did = \"<path of the .did file, relative to Cargo.toml>\"`".to_string())
    })?;
    if let Some(kind) = &section.kind {
        check_identifier("kind", kind).map_err(invalid)?;
    }
    if section.schema.is_some() && section.kind.is_none() {
        return Err(invalid("`schema` is only for contract kinds (it needs `kind = \"...\"`)".to_string()));
    }
    let lib = package
        .targets
        .iter()
        .find(|t| t.kind.contains(&TargetKind::CDyLib))
        .ok_or_else(|| invalid("the package has no cdylib target; add `crate-type = [\"cdylib\", \"lib\"]` under [lib]".to_string()))?;
    let manifest_dir = manifest_path.parent().unwrap_or(Path::new("."));
    Ok(Some(CanisterCrate {
        canister,
        package: package.name.clone(),
        package_id: package.id.clone(),
        version: package.version.to_string(),
        lib_name: lib.name.replace('-', "_"),
        did: normalize(&manifest_dir.join(did)),
        kind: section.kind,
        schema: section.schema,
        fixture: section.fixture,
        unknown_keys: section.unknown.into_keys().collect(),
        manifest_path,
    }))
}

/// Canister names and kinds become file names and metadata values: keep them to `[a-z][a-z0-9_]*`.
fn check_identifier(field: &str, value: &str) -> Result<(), String> {
    let mut chars = value.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!("`{field} = {value:?}` must match [a-z][a-z0-9_]*"))
    }
}

/// Removes `.` and `..` components lexically, so messages show `canisters/x/api/x.did`, not `impl/../api/x.did`.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(packages: &[(&str, serde_json::Value, &str)]) -> Metadata {
        let packages: Vec<serde_json::Value> = packages
            .iter()
            .map(|(name, fleet, crate_type)| {
                serde_json::json!({
                    "name": name, "version": "1.2.3", "id": format!("path+file:///ws/{name}#1.2.3"),
                    "license": null, "license_file": null, "description": null, "source": null,
                    "dependencies": [], "features": {},
                    "manifest_path": format!("/ws/canisters/{name}/impl/Cargo.toml"),
                    "targets": [{ "name": name.replace('_', "-"), "kind": [crate_type, "lib"],
                        "crate_types": [crate_type, "lib"], "src_path": "/ws/src/lib.rs", "edition": "2021",
                        "doctest": true, "test": true, "doc": true }],
                    "metadata": fleet, "publish": null, "authors": [], "categories": [], "keywords": [],
                    "readme": null, "repository": null, "homepage": null, "documentation": null,
                    "edition": "2021", "links": null, "default_run": null, "rust_version": null
                })
            })
            .collect();
        let ids: Vec<_> = packages.iter().map(|p| p["id"].clone()).collect();
        serde_json::from_value(serde_json::json!({
            "packages": packages, "workspace_members": ids, "workspace_default_members": ids,
            "resolve": null, "target_directory": "/ws/target", "version": 1, "workspace_root": "/ws",
            "metadata": null
        }))
        .expect("valid cargo metadata json")
    }

    #[test]
    fn finds_canisters_and_resolves_did_relative_to_the_manifest() {
        let ws = FleetWorkspace::from_metadata(&metadata(&[
            ("token_factory", serde_json::json!({"fleet": {"canister": "token_factory", "did": "../api/token_factory.did"}}), "cdylib"),
            ("fleet_api", serde_json::json!(null), "lib"),
            ("token", serde_json::json!({"fleet": {"canister": "token", "did": "../api/token.did", "kind": "token", "schema": 3}}), "cdylib"),
        ]))
        .unwrap();
        let names: Vec<_> = ws.canisters.iter().map(|c| c.canister.as_str()).collect();
        assert_eq!(names, ["token", "token_factory"]);
        let factory = &ws.canisters[1];
        assert_eq!(
            factory.did,
            PathBuf::from("/ws/canisters/token_factory/api/token_factory.did")
        );
        assert_eq!(factory.lib_name, "token_factory");
        assert_eq!(factory.kind, None);
        assert_eq!(ws.canisters[0].kind.as_deref(), Some("token"));
        assert_eq!(ws.canisters[0].version, "1.2.3");
        assert_eq!(ws.canisters[0].schema, Some(3));
        assert_eq!(factory.schema, None);
        assert_eq!(ws.canister_dir(), PathBuf::from("/ws/target/canisters"));
    }

    #[test]
    fn rejects_bad_declarations_with_the_package_named() {
        let cases = [
            (
                serde_json::json!({"fleet": {"did": "x.did"}}),
                "cdylib",
                "missing `canister",
            ),
            (
                serde_json::json!({"fleet": {"canister": "x"}}),
                "cdylib",
                "missing `did",
            ),
            (
                serde_json::json!({"fleet": {"canister": "Bad-Name", "did": "x.did"}}),
                "cdylib",
                "[a-z][a-z0-9_]*",
            ),
            (
                serde_json::json!({"fleet": {"canister": "x", "did": "x.did", "fixture": "yes"}}),
                "cdylib",
                "invalid type",
            ),
            (
                serde_json::json!({"fleet": {"canister": "x", "did": "x.did"}}),
                "lib",
                "no cdylib target",
            ),
            (
                serde_json::json!({"fleet": {"canister": "x", "did": "x.did", "schema": 1}}),
                "cdylib",
                "only for contract kinds",
            ),
            (
                serde_json::json!({"fleet": {"canister": "x", "did": "x.did", "kind": "x", "schema": "one"}}),
                "cdylib",
                "invalid type",
            ),
        ];
        for (fleet, crate_type, expected) in cases {
            let err = FleetWorkspace::from_metadata(&metadata(&[("pkg_x", fleet, crate_type)]))
                .unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains("pkg_x") && message.contains(expected),
                "{message}"
            );
        }
    }

    #[test]
    fn rejects_a_canister_name_declared_twice() {
        let fleet = serde_json::json!({"fleet": {"canister": "same", "did": "x.did"}});
        let err = FleetWorkspace::from_metadata(&metadata(&[
            ("a", fleet.clone(), "cdylib"),
            ("b", fleet, "cdylib"),
        ]))
        .unwrap_err();
        assert!(matches!(err, Error::DuplicateCanister { .. }), "{err}");
    }

    #[test]
    fn select_keeps_workspace_order_and_names_unknown_canisters() {
        let ws = FleetWorkspace::from_metadata(&metadata(&[
            (
                "a",
                serde_json::json!({"fleet": {"canister": "a", "did": "a.did", "typo_field": 1}}),
                "cdylib",
            ),
            (
                "b",
                serde_json::json!({"fleet": {"canister": "b", "did": "b.did", "fixture": true}}),
                "cdylib",
            ),
        ]))
        .unwrap();
        assert_eq!(ws.canisters[0].unknown_keys, ["typo_field"]);
        assert!(ws.canisters[1].fixture);
        let picked: Vec<_> = ws
            .select(&["b".into(), "a".into()])
            .unwrap()
            .iter()
            .map(|c| c.canister.clone())
            .collect();
        assert_eq!(picked, ["a", "b"]);
        assert_eq!(ws.select(&[]).unwrap().len(), 2);
        let err = ws.select(&["nope".into()]).unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("a, b"), "{err}");
    }
}
