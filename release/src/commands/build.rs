//! `release build [--canister NAME]...`: one `cargo build --target wasm32-unknown-unknown --profile canister`
//! for all selected canister crates, then metadata, shrink, reproducible gzip and sha256 for each.

use super::WorkspaceArgs;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use release::artifacts::{package_canister, CanisterArtifact};
use release::candid_file::CandidInterface;
use release::report::build_table;
use release::wasm_build::{BuildOptions, WasmBuildCommand, OVERRIDING_RUSTFLAGS};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Build only these canisters (repeatable); default: every canister crate, fixtures included.
    #[arg(long = "canister", value_name = "NAME")]
    pub canisters: Vec<String>,
    /// Where to write `<name>.wasm.gz` (default: `<target-dir>/canisters`).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Pass `--locked` to cargo (releases must build from the committed Cargo.lock).
    #[arg(long)]
    pub locked: bool,
    /// Show cargo's status lines and the exact command.
    #[arg(long, short)]
    pub verbose: bool,
}

pub fn run(args: BuildArgs) -> anyhow::Result<()> {
    let workspace = args.workspace.load()?;
    let selected = workspace.select(&args.canisters)?;
    if selected.is_empty() {
        println!(
            "no package declares [package.metadata.fleet] canister = \"...\": nothing to build"
        );
        return Ok(());
    }
    // A broken .did fails in a second, not after a multi-minute wasm build.
    for canister in &selected {
        CandidInterface::load(&canister.canister, &canister.did)?;
    }
    for name in OVERRIDING_RUSTFLAGS {
        if std::env::var_os(name).is_some() {
            eprintln!("warning: {name} is set; it is ignored for the wasm build, which sets its own rustflags");
        }
    }

    let command = WasmBuildCommand::new(
        &workspace,
        &selected,
        &BuildOptions {
            locked: args.locked,
            verbose: args.verbose,
        },
    );
    let names: Vec<&str> = selected.iter().map(|c| c.canister.as_str()).collect();
    eprintln!(
        "building {} canister(s) for wasm32: {}",
        selected.len(),
        names.join(", ")
    );
    if args.verbose {
        eprintln!("running: {}", command.display());
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").context("progress style")?,
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let mut compiled = 0usize;
    let wasm_files = command.run(&selected, |crate_name, fresh| {
        compiled += 1;
        let state = if fresh { "fresh" } else { "compiled" };
        spinner.set_message(format!(
            "cargo: {compiled} crates ready ({state} {crate_name})"
        ));
    });
    spinner.finish_and_clear();
    let wasm_files = wasm_files?;
    let cargo_time = started.elapsed();
    eprintln!(
        "cargo build finished in {:.1}s ({compiled} crates)",
        cargo_time.as_secs_f64()
    );

    let out_dir = args.out_dir.unwrap_or_else(|| workspace.canister_dir());
    let bar = ProgressBar::new(selected.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}").context("progress style")?,
    );
    let mut artifacts: Vec<CanisterArtifact> = Vec::with_capacity(selected.len());
    for canister in &selected {
        bar.set_message(format!("packaging {}", canister.canister));
        let raw = &wasm_files[&canister.canister];
        artifacts.push(package_canister(canister, raw, &out_dir)?);
        bar.inc(1);
    }
    bar.finish_and_clear();

    print!("{}", build_table(&artifacts));
    println!(
        "wrote {} module(s) to {} (cargo {:.1}s, total {:.1}s)",
        artifacts.len(),
        out_dir.display(),
        cargo_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
