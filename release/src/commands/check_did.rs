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
}

pub fn run(args: CheckDidArgs) -> anyhow::Result<()> {
    let workspace = args.workspace.load()?;
    let selected = workspace.select(&args.canisters)?;
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
