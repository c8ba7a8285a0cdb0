//! The one cargo invocation that builds every selected canister crate for wasm32-unknown-unknown.
//!
//! Reproducibility: absolute paths end up in a wasm through panic locations and `file!()` of crates outside the
//! workspace (the cargo registry), of build-script outputs (target dir) and of path dependencies. The build remaps
//! them with `--remap-path-prefix` (cargo home → `/cargo`, workspace → `/fleet`, target dir → `/target`), passed as
//! `target.wasm32-unknown-unknown.rustflags` through `--config`, so the flags apply to the wasm build only (host
//! build scripts and proc macros keep their own flags) and paths with spaces survive. `RUSTFLAGS` and
//! `CARGO_ENCODED_RUSTFLAGS` would override those flags, so they are removed from cargo's environment.

use crate::error::{Error, Result};
use crate::workspace::{CanisterCrate, FleetWorkspace};
use cargo_metadata::{Message, PackageId};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const CANISTER_PROFILE: &str = "canister";
/// Environment variables that would replace our wasm rustflags (cargo gives them precedence over config).
pub const OVERRIDING_RUSTFLAGS: [&str; 2] = ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"];

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Pass `--locked`: fail instead of updating Cargo.lock (use it for releases).
    pub locked: bool,
    /// Show cargo's own status lines (`Compiling ...`).
    pub verbose: bool,
}

/// The exact command `release build` runs; a plain value so tests can inspect it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmBuildCommand {
    pub cargo: OsString,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env_remove: Vec<String>,
}

impl WasmBuildCommand {
    pub fn new(
        workspace: &FleetWorkspace,
        canisters: &[&CanisterCrate],
        options: &BuildOptions,
    ) -> Self {
        let mut args: Vec<String> = vec![
            "build".into(),
            "--target".into(),
            WASM_TARGET.into(),
            "--profile".into(),
            CANISTER_PROFILE.into(),
            "--message-format=json-render-diagnostics".into(),
            "--manifest-path".into(),
            workspace.root.join("Cargo.toml").display().to_string(),
        ];
        if options.locked {
            args.push("--locked".into());
        }
        if !options.verbose {
            args.push("--quiet".into());
        }
        args.push("--config".into());
        args.push(remap_config(&remap_prefixes(
            workspace,
            cargo_home().as_deref(),
        )));
        for canister in canisters {
            args.push("-p".into());
            args.push(canister.package.clone());
        }
        WasmBuildCommand {
            cargo: std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
            args,
            cwd: workspace.root.clone(),
            env_remove: OVERRIDING_RUSTFLAGS.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// A shell-like rendering for logs.
    pub fn display(&self) -> String {
        let mut out = self.cargo.to_string_lossy().into_owned();
        for arg in &self.args {
            out.push(' ');
            if arg.contains([' ', '"', '\'', '[']) {
                out.push_str(&format!("'{arg}'"));
            } else {
                out.push_str(arg);
            }
        }
        out
    }

    /// Runs cargo, calling `on_artifact(crate_name, fresh)` for each compiled crate (progress), and returns the
    /// wasm file of each canister, read from cargo's own artifact messages.
    pub fn run(
        &self,
        canisters: &[&CanisterCrate],
        mut on_artifact: impl FnMut(&str, bool),
    ) -> Result<BTreeMap<String, PathBuf>> {
        let mut command = Command::new(&self.cargo);
        command
            .args(&self.args)
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for name in &self.env_remove {
            command.env_remove(name);
        }
        let mut child = command
            .spawn()
            .map_err(|e| Error::io(format!("cannot start {:?}", self.cargo), e))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::CargoBuild("no stdout pipe".into()))?;
        let by_id: BTreeMap<&PackageId, &CanisterCrate> =
            canisters.iter().map(|c| (&c.package_id, *c)).collect();
        let mut wasm_files = BTreeMap::new();
        let mut succeeded = None;
        for message in Message::parse_stream(BufReader::new(stdout)) {
            match message.map_err(|e| Error::io("reading cargo's output", e))? {
                Message::CompilerArtifact(artifact) => {
                    on_artifact(&artifact.target.name, artifact.fresh);
                    if let Some(canister) = by_id.get(&artifact.package_id) {
                        if let Some(wasm) = artifact
                            .filenames
                            .iter()
                            .find(|f| f.extension() == Some("wasm"))
                        {
                            wasm_files.insert(
                                canister.canister.clone(),
                                wasm.clone().into_std_path_buf(),
                            );
                        }
                    }
                }
                Message::BuildFinished(finished) => succeeded = Some(finished.success),
                _ => {}
            }
        }
        let status = child
            .wait()
            .map_err(|e| Error::io("waiting for cargo", e))?;
        if !status.success() || succeeded == Some(false) {
            return Err(Error::CargoBuild(format!(
                "`{}` exited with {status}; the compiler output above says why",
                self.display()
            )));
        }
        for canister in canisters {
            if !wasm_files.contains_key(&canister.canister) {
                return Err(Error::MissingArtifact {
                    package: canister.package.clone(),
                    canister: canister.canister.clone(),
                });
            }
        }
        Ok(wasm_files)
    }
}

/// `(from, to)` pairs, most general first: rustc lets the last matching prefix win, and the target dir usually
/// sits inside the workspace.
pub fn remap_prefixes(
    workspace: &FleetWorkspace,
    cargo_home: Option<&Path>,
) -> Vec<(PathBuf, &'static str)> {
    let mut prefixes = Vec::new();
    if let Some(home) = cargo_home {
        prefixes.push((home.to_path_buf(), "/cargo"));
    }
    prefixes.push((workspace.root.clone(), "/fleet"));
    prefixes.push((workspace.target_dir.clone(), "/target"));
    prefixes
}

/// `target.wasm32-unknown-unknown.rustflags=["--remap-path-prefix=A=B", ...]` as a TOML value. JSON string
/// escapes are valid TOML basic-string escapes.
pub fn remap_config(prefixes: &[(PathBuf, &str)]) -> String {
    let flags: Vec<String> = prefixes
        .iter()
        .map(|(from, to)| {
            let flag = format!("--remap-path-prefix={}={to}", from.display());
            serde_json::Value::String(flag).to_string()
        })
        .collect();
    format!("target.{WASM_TARGET}.rustflags=[{}]", flags.join(", "))
}

/// `$CARGO_HOME`, else `$HOME/.cargo` (cargo's own default).
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cargo_metadata::PackageId;

    fn canister(name: &str) -> CanisterCrate {
        CanisterCrate {
            canister: name.into(),
            package: format!("{name}_pkg"),
            package_id: PackageId { repr: name.into() },
            version: "0.1.0".into(),
            manifest_path: PathBuf::from("/ws/x/Cargo.toml"),
            lib_name: name.into(),
            did: PathBuf::from("/ws/x.did"),
            kind: None,
            schema: None,
            fixture: false,
            unknown_keys: vec![],
        }
    }

    fn workspace() -> FleetWorkspace {
        FleetWorkspace {
            root: PathBuf::from("/work/my ws"),
            target_dir: PathBuf::from("/work/my ws/target"),
            canisters: vec![canister("a"), canister("b")],
        }
    }

    #[test]
    fn one_cargo_invocation_for_all_canisters() {
        let ws = workspace();
        let selected: Vec<&CanisterCrate> = ws.canisters.iter().collect();
        let command = WasmBuildCommand::new(
            &ws,
            &selected,
            &BuildOptions {
                locked: true,
                verbose: false,
            },
        );
        let args = command.args.join(" ");
        assert!(
            args.starts_with("build --target wasm32-unknown-unknown --profile canister"),
            "{args}"
        );
        assert!(
            args.contains("--locked") && args.contains("--quiet"),
            "{args}"
        );
        assert!(args.ends_with("-p a_pkg -p b_pkg"), "{args}");
        assert_eq!(command.env_remove, ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"]);
        assert_eq!(command.cwd, PathBuf::from("/work/my ws"));
        let unlocked = WasmBuildCommand::new(&ws, &selected, &BuildOptions::default());
        assert!(!unlocked.args.contains(&"--locked".to_string()));
    }

    #[test]
    fn remap_flags_cover_cargo_home_workspace_and_target_in_that_order() {
        let prefixes = remap_prefixes(&workspace(), Some(Path::new("/root/.cargo")));
        assert_eq!(
            remap_config(&prefixes),
            "target.wasm32-unknown-unknown.rustflags=[\"--remap-path-prefix=/root/.cargo=/cargo\", \
             \"--remap-path-prefix=/work/my ws=/fleet\", \"--remap-path-prefix=/work/my ws/target=/target\"]"
        );
    }

    #[test]
    fn quotes_and_backslashes_are_escaped_for_toml() {
        let config = remap_config(&[(PathBuf::from("/a \"b\"\\c"), "/x")]);
        assert_eq!(
            config,
            "target.wasm32-unknown-unknown.rustflags=[\"--remap-path-prefix=/a \\\"b\\\"\\\\c=/x\"]"
        );
    }
}
