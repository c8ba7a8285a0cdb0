//! `release rollout start|status|pause|resume|abort|watch --factory <id> --network <url> --identity <pem>`: drives
//! a factory's rollouts (the upgrade engine's endpoints). `watch` shows live counts per task state with a progress
//! bar, ends with a table of failures and rollbacks and their reasons, and exits non-zero when there were any.
//! `--json` prints one JSON object for scripts.

use anyhow::Context;
use candid::Principal;
use fleet_client::agent::{identity_from_pem_file, AgentTransport};
use fleet_client::rollout::RolloutClient;
use fleet_client::Transport;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use release::rollout::{counts_line, failure_table, plan, watch, PlanOptions};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub action: Action,
    /// Canister id of the factory.
    #[arg(long, value_name = "CANISTER_ID", global = true)]
    pub factory: Option<String>,
    /// URL of the network (a local replica, `release serve`, or `https://icp-api.io`).
    #[arg(long, value_name = "URL", global = true)]
    pub network: Option<String>,
    /// Identity PEM file (dfx / icp-cli); an admin or release principal of the factory.
    #[arg(long, value_name = "PEM", global = true)]
    pub identity: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Start a rollout (one at a time per factory) and print its id.
    Start(StartArgs),
    /// The rollout's state and counts per task state.
    Status {
        id: u64,
    },
    Pause {
        id: u64,
    },
    /// Resume a paused rollout, or widen a finished canary to every eligible contract.
    Resume {
        id: u64,
    },
    /// No new contracts; those in flight finish or roll back.
    Abort {
        id: u64,
    },
    /// Follow the rollout until it stops moving; exit 1 if any contract failed or rolled back.
    Watch {
        id: u64,
        /// Seconds between polls.
        #[arg(long, default_value_t = 2)]
        every: u64,
    },
}

#[derive(clap::Args, Debug)]
pub struct StartArgs {
    /// The registry version to upgrade to.
    #[arg(long)]
    pub target: String,
    /// Upgrade the first N eligible contracts, then wait in CanaryDone for `resume`.
    #[arg(long)]
    pub canary: Option<u32>,
    /// Only these contracts (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    pub contracts: Vec<String>,
    #[arg(long, default_value_t = 100)]
    pub batch_size: u32,
    /// Contracts upgraded at once, 1..=50.
    #[arg(long, default_value_t = 10)]
    pub max_concurrency: u32,
    /// Failures after which the rollout pauses itself.
    #[arg(long, default_value_t = 3)]
    pub failure_budget: u32,
    /// Upgrade without a pre-upgrade snapshot (no rollback to it).
    #[arg(long)]
    pub no_snapshot: bool,
    #[arg(long)]
    pub stop_timeout_seconds: Option<u64>,
    #[arg(long)]
    pub cycles_floor: Option<u128>,
}

pub fn run(args: RolloutArgs) -> anyhow::Result<()> {
    let json = args.json;
    let outcome = act(args);
    if json {
        let line = match &outcome {
            Ok(value) => value.clone(),
            Err(e) => serde_json::json!({ "ok": false, "error": format!("{e:#}") }),
        };
        println!("{line}");
    }
    match outcome {
        Ok(value) if value["ok"] == false => anyhow::bail!("the rollout ended with failures or rollbacks"),
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

fn required<'a>(value: &'a Option<String>, flag: &str) -> anyhow::Result<&'a str> {
    value.as_deref().with_context(|| format!("{flag} is required"))
}

fn act(args: RolloutArgs) -> anyhow::Result<serde_json::Value> {
    let factory = required(&args.factory, "--factory")?;
    let factory = Principal::from_text(factory)
        .map_err(|e| anyhow::anyhow!("--factory {factory:?} is not a canister id: {e}"))?;
    let network = required(&args.network, "--network")?;
    let pem = args.identity.as_ref().context("--identity is required")?;
    let plan = match &args.action {
        Action::Start(start) => Some(start_plan(start)?),
        _ => None,
    };
    let identity = identity_from_pem_file(pem)?;
    let transport = AgentTransport::connect(network, identity)?;
    let client = RolloutClient::new(&transport, factory);
    let refused = |e: fleet_client::ClientError| -> anyhow::Error {
        match e.fleet_error() {
            Some(fleet_api::FleetError::Unauthorized(reason)) => {
                anyhow::anyhow!("factory {factory} refused identity {}: {reason}", transport.caller())
            }
            _ => e.into(),
        }
    };
    let view = match args.action {
        Action::Start(_) => client.start(plan.as_ref().context("plan")?).map_err(refused)?,
        Action::Status { id } => client.get(id).map_err(refused)?,
        Action::Pause { id } => client.pause(id).map_err(refused)?,
        Action::Resume { id } => client.resume(id).map_err(refused)?,
        Action::Abort { id } => client.abort(id).map_err(refused)?,
        Action::Watch { id, every } => return watch_command(&client, id, every, args.json),
    };
    if !args.json {
        println!("{}", counts_line(&view));
    }
    Ok(
        serde_json::json!({ "ok": true, "rollout": view.id, "state": format!("{:?}", view.state), "counts": counts_json(&view) }),
    )
}

fn start_plan(start: &StartArgs) -> anyhow::Result<factory_engine::upgrade::api::RolloutPlan> {
    let contracts = start
        .contracts
        .iter()
        .map(|c| Principal::from_text(c).map_err(|e| anyhow::anyhow!("--contracts: {c:?} is not a canister id: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    plan(PlanOptions {
        target: start.target.clone(),
        canary: start.canary,
        contracts,
        batch_size: start.batch_size,
        max_concurrency: start.max_concurrency,
        failure_budget: start.failure_budget,
        no_snapshot: start.no_snapshot,
        stop_timeout_seconds: start.stop_timeout_seconds,
        cycles_floor: start.cycles_floor,
    })
    .map_err(|e| anyhow::anyhow!(e))
}

fn counts_json(view: &factory_engine::upgrade::api::RolloutView) -> serde_json::Value {
    let c = &view.counts;
    serde_json::json!({ "queued": c.queued, "in_flight": c.in_flight, "done": c.done, "skipped": c.skipped,
        "rolled_back": c.rolled_back, "failed": c.failed })
}

fn watch_command(client: &RolloutClient<'_>, id: u64, every: u64, json: bool) -> anyhow::Result<serde_json::Value> {
    let bar =
        if json { ProgressBar::hidden() } else { ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()) };
    bar.set_style(ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}").context("progress style")?);
    let outcome = watch(
        client,
        id,
        || std::thread::sleep(Duration::from_secs(every.max(1))),
        |view| {
            let c = &view.counts;
            let settled = c.done + c.skipped + c.rolled_back + c.failed;
            bar.set_length(view.considered.max(settled + c.queued + c.in_flight).max(1));
            bar.set_position(settled);
            bar.set_message(counts_line(view));
        },
    )?;
    bar.finish_and_clear();
    if !json {
        println!("{}", counts_line(&outcome.view));
        print!("{}", failure_table(&outcome.failures));
    }
    let failures: Vec<_> = outcome
        .failures
        .iter()
        .map(|t| serde_json::json!({ "contract": t.contract.to_text(), "state": format!("{:?}", t.state), "reason": t.reason }))
        .collect();
    Ok(serde_json::json!({ "ok": outcome.succeeded(), "rollout": id, "state": format!("{:?}", outcome.view.state),
        "counts": counts_json(&outcome.view), "failures": failures }))
}
