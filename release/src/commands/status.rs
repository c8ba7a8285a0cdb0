//! `release status --factory <id> [--factory <id>]... --network <url> --identity <pem> [--json]`: per factory, the
//! registry (versions, status, deployments per version) and the fleet (contracts per installed version and per
//! upgrade policy, detached). A table on a terminal, one JSON object with `--json`. A factory that cannot be read
//! (no such canister, not a factory, the identity refused, the network unreachable) gets one `error:` line and
//! makes the command exit 1; the other factories are still shown.
//!
//! The emulator: `release serve` runs the fleet on it behind a URL; pass that URL and its identity here.

use anyhow::Context;
use candid::Principal;
use fleet_client::agent::{identity_from_pem_file, AgentTransport};
use fleet_client::Transport;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Canister id of a factory (repeatable).
    #[arg(long, value_name = "CANISTER_ID", required = true)]
    pub factory: Vec<String>,
    /// URL of the network (a local replica, `release serve`, or `https://icp-api.io`).
    #[arg(long, value_name = "URL")]
    pub network: String,
    /// Identity PEM file (dfx / icp-cli); an admin or release principal of each factory.
    #[arg(long, value_name = "PEM")]
    pub identity: PathBuf,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: StatusArgs) -> anyhow::Result<()> {
    let factories = args
        .factory
        .iter()
        .map(|f| Principal::from_text(f).map_err(|e| anyhow::anyhow!("--factory {f:?} is not a canister id: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let identity = identity_from_pem_file(&args.identity)?;
    let transport =
        AgentTransport::connect(&args.network, identity).with_context(|| format!("connecting to {}", args.network))?;
    report(&transport, &factories, args.json)
}

/// Prints every factory's status; fails (after printing the others) when any could not be read.
pub fn report(transport: &dyn Transport, factories: &[Principal], json: bool) -> anyhow::Result<()> {
    let report = release::status::report(transport, factories, json);
    print!("{}", report.output);
    if report.errors.is_empty() {
        Ok(())
    } else {
        // `main` prints it after `error: `: one line per factory that could not be read.
        Err(anyhow::anyhow!(report.errors.join("\nerror: ")))
    }
}
