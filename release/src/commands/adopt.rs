//! `release adopt <kind> <version> --git-revision <rev> --schema <n>`: records in `wasm-registry/manifest.json` a
//! version whose folder `wasm-registry/<kind>/<version>/` was committed before the manifest existed (exactly the bytes
//! `release build` made at that revision). Checks the `.sha256` file and the module's embedded `fleet:kind` and
//! `fleet:version` first; never rewrites an entry.

use super::WorkspaceArgs;
use anyhow::Context;
use release::postprocess::sha256_hex;
use release::registry::{Release, ReleaseRegistry, ReleaseUpgrade};

#[derive(clap::Args, Debug)]
pub struct AdoptArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    pub kind: String,
    pub version: String,
    /// The full git commit the module was built from.
    #[arg(long, value_name = "REV")]
    pub git_revision: String,
    /// The stable schema version that version's code writes.
    #[arg(long)]
    pub schema: u32,
    #[arg(long)]
    pub checkpoint: bool,
    #[arg(long, value_name = "REQ")]
    pub reachable_from: Option<String>,
}

pub fn run(args: AdoptArgs) -> anyhow::Result<()> {
    let workspace = args.workspace.load()?;
    let registry = ReleaseRegistry::new(workspace.root.join("wasm-registry"));
    let (kind, version) = (args.kind.as_str(), args.version.as_str());
    release::cut::parse_version(version)?;
    anyhow::ensure!(
        args.git_revision.len() == 40 && args.git_revision.chars().all(|c| c.is_ascii_hexdigit()),
        "--git-revision must be a full 40-digit commit hash"
    );
    let folder = registry.dir.join(kind).join(version);
    let wasm_path = folder.join(format!("{kind}.wasm.gz"));
    let wasm = std::fs::read(&wasm_path).with_context(|| format!("reading {}", wasm_path.display()))?;
    let sha256 = sha256_hex(&wasm);
    let sha_path = folder.join(format!("{kind}.wasm.gz.sha256"));
    let recorded = std::fs::read_to_string(&sha_path).with_context(|| format!("reading {}", sha_path.display()))?;
    anyhow::ensure!(
        recorded.trim() == sha256,
        "{}: says {}, the module's sha256 is {sha256}",
        sha_path.display(),
        recorded.trim()
    );
    let did = folder.join(format!("{kind}.did"));
    release::candid_file::CandidInterface::load(kind, &did)?;
    let meta = factory_engine::registry::wasm_meta::read_metadata(&wasm)
        .map_err(|e| anyhow::anyhow!("{}: {e}", wasm_path.display()))?;
    anyhow::ensure!(
        meta.kind.as_deref() == Some(kind) && meta.version.as_deref() == Some(version),
        "{}: embeds fleet:kind {:?} and fleet:version {:?}, not {kind} {version}",
        wasm_path.display(),
        meta.kind,
        meta.version
    );
    let mut manifest = registry.manifest()?;
    anyhow::ensure!(
        !manifest.releases.iter().any(|r| r.kind == kind && r.version == version),
        "{kind} {version} is already in the manifest; a released version is never rewritten"
    );
    manifest.releases.push(Release {
        kind: kind.into(),
        version: version.into(),
        sha256: sha256.clone(),
        size: wasm.len() as u64,
        schema_version: args.schema,
        git_revision: args.git_revision,
        wasm: format!("{kind}/{version}/{kind}.wasm.gz"),
        candid: format!("{kind}/{version}/{kind}.did"),
        upgrade: ReleaseUpgrade {
            reachable_from: args.reachable_from,
            checkpoint: args.checkpoint,
            post_upgrade_arg: None,
        },
    });
    registry.replace_manifest(manifest)?;
    println!(
        "adopted {kind} {version} (sha256 {sha256}, {} bytes) into {}",
        wasm.len(),
        registry.manifest_path().display()
    );
    Ok(())
}
