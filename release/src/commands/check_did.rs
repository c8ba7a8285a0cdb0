//! `release check-did`: every canister's `.did` exists, parses, type-checks and declares a service.

use super::WorkspaceArgs;
use release::candid_file::CandidInterface;

#[derive(clap::Args, Debug)]
pub struct CheckDidArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Only these canisters (repeatable); default: all.
    #[arg(long = "canister", value_name = "NAME")]
    pub canisters: Vec<String>,
    /// With one `--canister`: also check that its declared `.did` is this file (relative to the workspace root), as
    /// `icp.yaml` states it.
    #[arg(long, value_name = "PATH", requires = "canisters")]
    pub did: Option<std::path::PathBuf>,
}

pub fn run(args: CheckDidArgs) -> anyhow::Result<()> {
    let workspace = args.workspace.load()?;
    let selected = workspace.select(&args.canisters)?;
    if let Some(expected) = &args.did {
        anyhow::ensure!(selected.len() == 1, "--did checks one canister: pass exactly one --canister");
        let declared = selected[0].did.strip_prefix(&workspace.root).unwrap_or(&selected[0].did);
        anyhow::ensure!(
            declared == expected.as_path(),
            "canister `{}` declares {} in [package.metadata.fleet], not {}",
            selected[0].canister,
            declared.display(),
            expected.display()
        );
    }
    let mut failures = 0;
    for canister in &selected {
        let shown = canister
            .did
            .strip_prefix(&workspace.root)
            .unwrap_or(&canister.did);
        match CandidInterface::load(&canister.canister, &canister.did) {
            Ok(candid) => println!(
                "ok    {:<24} {} ({} methods)",
                canister.canister,
                shown.display(),
                candid.method_count
            ),
            Err(error) => {
                failures += 1;
                println!("FAIL  {:<24} {error}", canister.canister);
            }
        }
    }
    match failures {
        0 => {
            println!("{} candid file(s) checked", selected.len());
            Ok(())
        }
        n => anyhow::bail!(
            "{n} of {} candid file(s) are missing or invalid",
            selected.len()
        ),
    }
}
