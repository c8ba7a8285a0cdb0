//! One module per subcommand. Each exposes `<Name>Args` (clap) and `run(args) -> anyhow::Result<()>`.

pub mod adopt;
pub mod build;
pub mod check_did;
pub mod cut;
pub mod publish;
pub mod rehearse;
pub mod rollout;
pub mod serve;
pub mod status;

use release::workspace::FleetWorkspace;
use std::path::PathBuf;

/// Options every subcommand that reads the workspace shares.
#[derive(clap::Args, Debug, Clone)]
pub struct WorkspaceArgs {
    /// Cargo.toml of the workspace (default: found from the current directory, as cargo does).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

impl WorkspaceArgs {
    pub fn load(&self) -> anyhow::Result<FleetWorkspace> {
        let workspace = FleetWorkspace::load(self.manifest_path.as_deref())?;
        for canister in &workspace.canisters {
            for key in &canister.unknown_keys {
                eprintln!(
                    "warning: package `{}`: unknown key `{key}` in [package.metadata.fleet] (known: canister, did, kind, schema, fixture)",
                    canister.package
                );
            }
        }
        Ok(workspace)
    }
}
