//! `release rehearse`: build every canister, then run the whole fleet end to end on the in-process emulator
//! (`fleet_tests::rehearsal`), printing each step as it completes. Exits non-zero on the first promise that breaks.

use super::WorkspaceArgs;

#[derive(clap::Args, Debug)]
pub struct RehearseArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Use the modules already in `<target-dir>/canisters` instead of building them first.
    #[arg(long)]
    pub no_build: bool,
    /// Also write the outcome (steps, closing tables, or what broke) as one self-contained HTML page.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<std::path::PathBuf>,
}

#[cfg(feature = "rehearse")]
pub fn run(args: RehearseArgs) -> anyhow::Result<()> {
    use super::build::BuildArgs;
    use anyhow::Context;
    use fleet_tests::{fleet::FleetWasm, ic, rehearsal};
    use indicatif::{ProgressBar, ProgressStyle};
    use std::time::{Duration, Instant};

    let workspace = args.workspace.load()?;
    if !args.no_build {
        super::build::run(BuildArgs {
            workspace: args.workspace.clone(),
            canisters: vec![],
            out_dir: None,
            locked: false,
            verbose: false,
        })?;
    }
    let dir = workspace.canister_dir();
    let wasm = FleetWasm::from_dir(&dir).context("loading the fleet's wasm (run without --no-build to build it)")?;
    eprintln!("\nrehearsing the fleet on the emulator with the modules in {}", dir.display());

    let spinner = ProgressBar::new_spinner();
    spinner.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").context("progress style")?);
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner.set_message("deploying the fleet");
    let started = Instant::now();
    let mut last = Instant::now();
    let mut rows = Vec::new();
    let outcome = rehearsal::run(ic::new_instance(), &wasm, |step| {
        let seconds = last.elapsed().as_secs_f64();
        let line = format!("  ok  {:<16} {:>6.1}s  {}", step.name, seconds, step.detail);
        // `suspend` prints whether or not stdout is a terminal (a hidden spinner drops `println`).
        spinner.suspend(|| println!("{line}"));
        spinner.set_message(format!("after {}", step.name));
        rows.push(release::html_report::StepRow { name: step.name.into(), seconds, detail: step.detail.clone() });
        last = Instant::now();
    });
    spinner.finish_and_clear();
    if let Some(path) = &args.report {
        let page = release::html_report::RehearsalReport {
            failure: outcome.as_ref().err().map(|e| format!("{e:#}")),
            seconds: started.elapsed().as_secs_f64(),
            steps: rows,
            tables: outcome.as_ref().map(|r| r.tables.iter().map(report_table).collect()).unwrap_or_default(),
            modules: dir.display().to_string(),
        };
        release::html_report::write(path, &page)?;
        eprintln!("wrote the report to {}", path.display());
    }
    let report = outcome.context("rehearsal failed")?;
    for table in &report.tables {
        print!("\n{}", release::html_report::text_table(&report_table(table)));
    }
    println!("rehearsal passed: {} steps in {:.1}s", report.steps.len(), started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(feature = "rehearse")]
fn report_table(table: &fleet_tests::rehearsal_tables::Table) -> release::html_report::ReportTable {
    release::html_report::ReportTable {
        title: table.title.clone(),
        columns: table.columns.clone(),
        rows: table.rows.clone(),
    }
}

#[cfg(not(feature = "rehearse"))]
pub fn run(_args: RehearseArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "this release binary was built without the `rehearse` feature; run `cargo run -p release -- rehearse`"
    )
}
