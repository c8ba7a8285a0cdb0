//! `release publish <kind> <version> --factory <id> --network <url> --identity <pem>`: uploads a released module
//! from `wasm-registry/` to a factory's registry (only the chunks it does not hold yet, so an interrupted publish
//! resumes), finalizes it and checks the factory's sha256 against the manifest. A progress bar on a terminal;
//! `--json` prints one JSON object (the report, or `{"ok": false, "error": ...}`) for scripts.

use anyhow::Context;
use candid::Principal;
use fleet_client::agent::{identity_from_pem_file, AgentTransport};
use fleet_client::publish::{PublishEvent, PublishReport, MAX_CHUNK_SIZE};
use fleet_client::FactoryClient;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use release::publish::{load_release, publish_release};
use release::registry::ReleaseRegistry;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct PublishArgs {
    /// Contract kind (`token`, `multisig`, ...), as in wasm-registry/manifest.json.
    pub kind: String,
    /// Released version of that kind.
    pub version: String,
    /// Canister id of the factory whose registry receives the module.
    #[arg(long, value_name = "CANISTER_ID")]
    pub factory: String,
    /// URL of the network (e.g. `http://127.0.0.1:4943` for a local replica, `https://icp-api.io` for mainnet).
    #[arg(long, value_name = "URL")]
    pub network: String,
    /// Identity PEM file, as dfx or icp-cli write them (Ed25519 or secp256k1); must be a release principal or an
    /// admin of the factory.
    #[arg(long, value_name = "PEM")]
    pub identity: PathBuf,
    /// The wasm-registry folder (default: `wasm-registry/` of the current directory or its nearest parent that has one).
    #[arg(long, value_name = "DIR")]
    pub registry: Option<PathBuf>,
    /// Bytes per chunk, at most 1 MiB.
    #[arg(long, default_value_t = MAX_CHUNK_SIZE, value_name = "BYTES")]
    pub chunk_size: usize,
    /// Print one JSON object instead of a progress bar and text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: PublishArgs) -> anyhow::Result<()> {
    let json = args.json;
    let outcome = publish(args);
    if json {
        let line = match &outcome {
            Ok(value) => value.clone(),
            Err(e) => serde_json::json!({ "ok": false, "error": format!("{e:#}") }),
        };
        println!("{line}");
    }
    outcome.map(|_| ())
}

fn publish(args: PublishArgs) -> anyhow::Result<serde_json::Value> {
    let factory = Principal::from_text(&args.factory)
        .map_err(|e| anyhow::anyhow!("--factory {:?} is not a canister id: {e}", args.factory))?;
    let registry = ReleaseRegistry::new(match args.registry {
        Some(dir) => dir,
        None => find_registry()?,
    });
    // Everything local is checked before the network is touched.
    let module = load_release(&registry, &args.kind, &args.version)?;
    let identity = identity_from_pem_file(&args.identity)?;
    let transport = AgentTransport::connect(&args.network, identity)?;
    let client = FactoryClient::new(&transport, factory);

    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .context("progress style")?,
    );
    bar.set_message(format!("{} {} → {factory}", args.kind, args.version));
    let started = Instant::now();
    let report = publish_release(&client, &module, args.chunk_size, |event| match event {
        PublishEvent::Started { bytes_to_send, received, chunk_count, .. } => {
            bar.set_length(*bytes_to_send);
            if *received > 0 {
                bar.println(format!("resuming: the factory already holds {received} of {chunk_count} chunks"));
            }
        }
        PublishEvent::ChunkSent { bytes, .. } => bar.inc(*bytes as u64),
        PublishEvent::Finalizing => bar.set_message("finalizing"),
    });
    bar.finish_and_clear();
    let report = report?;
    let seconds = started.elapsed().as_secs_f64();
    if !args.json {
        println!("{}", summary(&args.kind, factory, &report, seconds));
    }
    Ok(report_json(&args.kind, factory, &report, seconds))
}

pub fn summary(kind: &str, factory: Principal, report: &PublishReport, seconds: f64) -> String {
    if report.already_published {
        format!(
            "{kind} {} is already published on {factory} with sha256 {}: nothing to upload",
            report.version, report.sha256
        )
    } else {
        format!(
            "published {kind} {} on {factory}: {} bytes in {} chunks ({} sent by this run) in {seconds:.1}s; sha256 {} matches the manifest",
            report.version, report.bytes, report.chunks, report.chunks_sent, report.sha256
        )
    }
}

pub fn report_json(kind: &str, factory: Principal, report: &PublishReport, seconds: f64) -> serde_json::Value {
    serde_json::json!({
        "ok": true,
        "kind": kind,
        "version": report.version,
        "factory": factory.to_text(),
        "sha256": report.sha256,
        "bytes": report.bytes,
        "chunks": report.chunks,
        "chunks_sent": report.chunks_sent,
        "bytes_sent": report.bytes_sent,
        "already_published": report.already_published,
        "seconds": seconds,
    })
}

/// `wasm-registry/` of the current directory or the nearest parent that has one.
fn find_registry() -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("current directory")?;
    cwd.ancestors()
        .map(|dir| dir.join("wasm-registry"))
        .find(|dir| dir.is_dir())
        .with_context(|| format!("no wasm-registry/ in {} or its parents; pass --registry <DIR>", cwd.display()))
}
