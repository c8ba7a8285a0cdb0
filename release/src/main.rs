//! `release`: the fleet's release CLI. One file per subcommand under `commands/`; adding a subcommand means a new
//! file there, one variant below and one match arm.

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "release",
    version,
    about = "Build, check and package the fleet's canisters"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build every canister crate (or the ones named) to `<target-dir>/canisters/<name>.wasm.gz` (+ `.sha256`).
    Build(commands::build::BuildArgs),
    /// Check that the `.did` file of every canister crate exists and type-checks.
    CheckDid(commands::check_did::CheckDidArgs),
    /// Build every canister, then run the whole fleet end to end on the in-process emulator: deploy, wire up, publish,
    /// pay and deploy, refusals, refund, upgrade every canister, check the books.
    Rehearse(commands::rehearse::RehearseArgs),
    /// Upload a released version from wasm-registry/ to a factory's registry (resumable), finalize it and check its
    /// sha256 against the manifest.
    Publish(commands::publish::PublishArgs),
    /// Cut a release of a contract kind: build, refuse breaking changes (version, candid, schema without migration or
    /// fixture), prove the upgrade from the last release's fixture, capture the new fixture, write wasm-registry/ and
    /// migrations/.
    Cut(commands::cut::CutArgs),
    /// Capture the upgrade fixture of a released version that has none, on its exact bytes.
    Fixture(commands::cut::FixtureArgs),
    /// Record in the manifest a version folder committed before the manifest existed.
    Adopt(commands::adopt::AdoptArgs),
    /// Start, follow, pause, resume or abort a factory's rollout of a registry version to its contracts.
    Rollout(commands::rollout::RolloutArgs),
    /// Deploy the whole fleet on the emulator, live over the IC's HTTP interface, with a fresh identity as its
    /// operator; print the URL, the canister ids and the identity, and serve until Ctrl-C.
    Serve(commands::serve::ServeArgs),
    /// Per factory: the registry (versions, status, deployments) and the fleet (contracts per installed version and per
    /// upgrade policy, detached).
    Status(commands::status::StatusArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Build(args) => commands::build::run(args),
        Command::CheckDid(args) => commands::check_did::run(args),
        Command::Rehearse(args) => commands::rehearse::run(args),
        Command::Publish(args) => commands::publish::run(args),
        Command::Cut(args) => commands::cut::run(args),
        Command::Fixture(args) => commands::cut::run_fixture(args),
        Command::Adopt(args) => commands::adopt::run(args),
        Command::Rollout(args) => commands::rollout::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Status(args) => commands::status::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
