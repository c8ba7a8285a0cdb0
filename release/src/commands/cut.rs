//! `release cut <kind> [--version X]`: build the kind reproducibly, refuse what would break users (see
//! `release::cut`), prove the upgrade from the last release's fixture on the emulator, capture the new version's
//! fixture, and write `wasm-registry/<kind>/<version>/`, its manifest entry and `migrations/<kind>/<version>/`.
//!
//! `release fixture <kind> <version>`: capture the fixture of a released version that has none (e.g. one adopted
//! with `release adopt`), on its exact bytes from `wasm-registry/`.

use super::WorkspaceArgs;
#[cfg(feature = "rehearse")]
use anyhow::Context;
#[cfg(feature = "rehearse")]
use release::cut::{self as checks, CutRefusal, SchemaChange};
#[cfg(feature = "rehearse")]
use release::fixtures::FixtureMeta;
#[cfg(feature = "rehearse")]
use release::registry::{Release, ReleaseRegistry, ReleaseUpgrade};

#[derive(clap::Args, Debug)]
pub struct CutArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Contract kind (`[package.metadata.fleet] kind` of its crate).
    pub kind: String,
    /// The version to cut; must equal the crate's Cargo.toml version (default: that version).
    #[arg(long)]
    pub version: Option<String>,
    /// Mark the release a checkpoint (an upgrade path may not skip it).
    #[arg(long)]
    pub checkpoint: bool,
    /// Semver requirement on the installed version an upgrade to this release starts from (default: any older).
    #[arg(long, value_name = "REQ")]
    pub reachable_from: Option<String>,
    /// Cut from a work tree with uncommitted changes (the revision is recorded as `<rev>-dirty`); for trials only.
    #[arg(long)]
    pub allow_dirty: bool,
}

#[derive(clap::Args, Debug)]
pub struct FixtureArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    pub kind: String,
    pub version: String,
}

#[cfg(not(feature = "rehearse"))]
pub fn run(_args: CutArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "`release cut` runs the emulator: build release with its default features (`cargo run -p release -- cut ...`)"
    )
}

#[cfg(not(feature = "rehearse"))]
pub fn run_fixture(_args: FixtureArgs) -> anyhow::Result<()> {
    anyhow::bail!("`release fixture` runs the emulator: build release with its default features")
}

#[cfg(feature = "rehearse")]
pub fn run(args: CutArgs) -> anyhow::Result<()> {
    use fleet_tests::released;

    let workspace = args.workspace.load()?;
    let registry = ReleaseRegistry::new(workspace.root.join("wasm-registry"));
    let migrations = release::fixtures::Migrations::new(workspace.root.join("migrations"));
    let kind = args.kind.as_str();
    let canister =
        workspace.canisters.iter().find(|c| c.kind.as_deref() == Some(kind) && !c.fixture).ok_or_else(|| {
            CutRefusal::UnknownKind {
                kind: kind.into(),
                known: workspace
                    .canisters
                    .iter()
                    .filter(|c| !c.fixture)
                    .filter_map(|c| c.kind.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?;
    let version = args.version.clone().unwrap_or_else(|| canister.version.clone());
    if version != canister.version {
        return Err(CutRefusal::VersionMismatch {
            package: canister.package.clone(),
            asked: version,
            declared: canister.version.clone(),
        }
        .into());
    }
    let schema = canister.schema.ok_or_else(|| CutRefusal::NoSchema { package: canister.package.clone() })?;
    let last = registry.latest(kind)?;
    checks::check_version(kind, &version, last.as_ref())?;
    let change = checks::check_schema(
        kind,
        &version,
        schema,
        last.as_ref(),
        last.as_ref().is_some_and(|l| migrations.has_fixture(kind, &l.version)),
    )?;
    checks::check_schema_documented(kind, &version, schema, migrations.schema_md(kind).as_deref())?;
    let revision = git_revision(&workspace.root, args.allow_dirty)?;
    let candid = release::candid_file::CandidInterface::load(&canister.canister, &canister.did)?;
    if let Some(last) = &last {
        let previous = registry.load(kind, &last.version)?;
        checks::check_candid(kind, &version, &candid.service_text, last, &previous.candid)?;
    }

    eprintln!("building {kind} {version} (schema {schema}) at {revision}");
    let out_dir = workspace.target_dir.join("release-cut").join(format!("{kind}-{version}"));
    let command = release::wasm_build::WasmBuildCommand::new(
        &workspace,
        &[canister],
        &release::wasm_build::BuildOptions { locked: true, verbose: false },
    );
    let raw = command.run(&[canister], |_, _| {})?;
    let artifact = release::artifacts::package_canister(canister, &raw[&canister.canister], &out_dir)?;
    let wasm = std::fs::read(&artifact.gz_path).with_context(|| format!("reading {}", artifact.gz_path.display()))?;
    let scenario = released::kind(kind)?;

    if let (Some(last), true) = (&last, change != SchemaChange::First) {
        if migrations.has_fixture(kind, &last.version) {
            eprintln!("proving the upgrade from {kind} {}'s fixture", last.version);
            prove_upgrade(scenario, &registry, &migrations, last, &version, &wasm, schema)?;
        }
    }
    eprintln!("capturing the {kind} {version} fixture");
    let fixture = released::capture(scenario, &version, &wasm)?;
    if fixture.schema_version != schema {
        return Err(CutRefusal::SchemaDisagrees {
            kind: kind.into(),
            version,
            declared: schema,
            reported: fixture.schema_version,
        }
        .into());
    }
    let meta = FixtureMeta {
        kind: kind.into(),
        version: version.clone(),
        wasm_sha256: artifact.sha256.clone(),
        stable_memory_sha256: release::postprocess::sha256_hex(&fixture.stable_memory),
        stable_memory_size: fixture.stable_memory.len() as u64,
        time_nanos: released::FIXTURE_TIME_NANOS,
        calls: fixture.calls.clone(),
    };
    let fixture_dir = migrations.write(&meta, &fixture.stable_memory, &fixture.state)?;
    let entry = Release {
        kind: kind.into(),
        version: version.clone(),
        sha256: artifact.sha256.clone(),
        size: wasm.len() as u64,
        schema_version: schema,
        git_revision: revision,
        wasm: format!("{kind}/{version}/{kind}.wasm.gz"),
        candid: format!("{kind}/{version}/{kind}.did"),
        upgrade: ReleaseUpgrade {
            reachable_from: args.reachable_from.clone(),
            checkpoint: args.checkpoint,
            post_upgrade_arg: None,
        },
    };
    if let Err(e) = registry.add(entry, &wasm, &candid.service_text) {
        let _ = std::fs::remove_dir_all(&fixture_dir);
        return Err(e.into());
    }
    println!(
        "cut {kind} {version}: sha256 {} ({} bytes, schema {schema}); wasm-registry/{kind}/{version}/ and migrations/{kind}/{version}/ written",
        artifact.sha256,
        wasm.len()
    );
    Ok(())
}

/// Loads the last release's fixture into its own bytes, upgrades to the new build and checks nothing users see
/// changed and the kind's invariants hold.
#[cfg(feature = "rehearse")]
fn prove_upgrade(
    scenario: &dyn fleet_tests::released::ReleasedKind,
    registry: &ReleaseRegistry,
    migrations: &release::fixtures::Migrations,
    last: &Release,
    version: &str,
    wasm: &[u8],
    schema: u32,
) -> anyhow::Result<()> {
    use fleet_tests::released;
    let kind = last.kind.as_str();
    let previous = registry.load(kind, &last.version)?;
    let fixture = migrations.load(kind, &last.version)?;
    let ic = released::fixture_instance();
    let id = released::load(&ic, scenario, &last.version, &previous.wasm, &fixture.stable_memory)?;
    let contract = released::Contract { ic: &ic, id, owner: released::fixture_owner() };
    let before = scenario.observe(&contract)?;
    released::upgrade(&ic, id, wasm, version).map_err(|e| CutRefusal::MigrationFails {
        kind: kind.into(),
        version: version.into(),
        last: last.version.clone(),
        old: last.schema_version,
        reason: format!("{e:#}"),
    })?;
    let state_changed = |reason: String| CutRefusal::StateChanged {
        kind: kind.into(),
        version: version.into(),
        last: last.version.clone(),
        reason,
    };
    let after = scenario.observe(&contract)?;
    released::same_view(&before, &after).map_err(|e| state_changed(format!("{e:#}")))?;
    scenario.check_live(&contract, &before).map_err(|e| state_changed(format!("{e:#}")))?;
    let reported = contract.schema_version()?;
    anyhow::ensure!(
        reported == schema,
        CutRefusal::SchemaDisagrees { kind: kind.into(), version: version.into(), declared: schema, reported }
    );
    Ok(())
}

#[cfg(feature = "rehearse")]
fn git_revision(root: &std::path::Path, allow_dirty: bool) -> anyhow::Result<String> {
    let git = |args: &[&str]| -> anyhow::Result<String> {
        let out = std::process::Command::new("git").arg("-C").arg(root).args(args).output().context("running git")?;
        anyhow::ensure!(
            out.status.success(),
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let revision = git(&["rev-parse", "HEAD"])?;
    let dirty = git(&["status", "--porcelain", "--untracked-files=no", "--", ".", ":!wasm-registry", ":!migrations"])?;
    if dirty.is_empty() {
        return Ok(revision);
    }
    if !allow_dirty {
        let files: Vec<&str> = dirty.lines().take(5).map(|l| l.get(3..).unwrap_or(l)).collect();
        return Err(CutRefusal::Dirty { files: files.join(", ") }.into());
    }
    Ok(format!("{revision}-dirty"))
}

#[cfg(feature = "rehearse")]
pub fn run_fixture(args: FixtureArgs) -> anyhow::Result<()> {
    use fleet_tests::released;
    let workspace = args.workspace.load()?;
    let registry = ReleaseRegistry::new(workspace.root.join("wasm-registry"));
    let migrations = release::fixtures::Migrations::new(workspace.root.join("migrations"));
    let module = registry.load(&args.kind, &args.version)?;
    checks::check_schema_documented(
        &args.kind,
        &args.version,
        module.release.schema_version,
        migrations.schema_md(&args.kind).as_deref(),
    )?;
    let scenario = released::kind(&args.kind)?;
    let fixture = released::capture(scenario, &args.version, &module.wasm)?;
    anyhow::ensure!(
        fixture.schema_version == module.release.schema_version,
        CutRefusal::SchemaDisagrees {
            kind: args.kind.clone(),
            version: args.version.clone(),
            declared: module.release.schema_version,
            reported: fixture.schema_version
        }
    );
    let meta = FixtureMeta {
        kind: args.kind.clone(),
        version: args.version.clone(),
        wasm_sha256: module.release.sha256.clone(),
        stable_memory_sha256: release::postprocess::sha256_hex(&fixture.stable_memory),
        stable_memory_size: fixture.stable_memory.len() as u64,
        time_nanos: released::FIXTURE_TIME_NANOS,
        calls: fixture.calls,
    };
    let dir = migrations.write(&meta, &fixture.stable_memory, &fixture.state)?;
    println!(
        "captured {} {}'s fixture in {} ({} bytes of stable memory)",
        args.kind,
        args.version,
        dir.display(),
        meta.stable_memory_size
    );
    Ok(())
}
