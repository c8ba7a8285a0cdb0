//! `release serve [--port N] [--ids-file fleet-ids.json] [--identity-out serve-identity.pem]`: the whole fleet on
//! the emulator, live over the IC's HTTP interface, until Ctrl-C. It deploys and wires the fleet with the rehearsal's
//! deploy step (`Fleet::deploy`), makes a fresh Ed25519 identity controller of every canister and admin / release
//! principal of the backend, the storages and the factories (`release::serve::grant_operator`), makes the emulator
//! live, then writes the ids file (last, so a script that waits for it knows the network answers) and prints the
//! URL, the canister ids, the identity and the commands that work against it.

use super::WorkspaceArgs;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Port on 127.0.0.1 (default: a free one, printed).
    #[arg(long)]
    pub port: Option<u16>,
    /// Where to write the URL, the identity's principal and every canister id, as JSON.
    #[arg(long, value_name = "PATH", default_value = "fleet-ids.json")]
    pub ids_file: PathBuf,
    /// Where to write the identity (PKCS#8 Ed25519 PEM, as dfx and icp-cli read them).
    #[arg(long, value_name = "PATH", default_value = "serve-identity.pem")]
    pub identity_out: PathBuf,
    /// Use the modules already built instead of building them first.
    #[arg(long)]
    pub no_build: bool,
    /// Where the modules are (default: `<target-dir>/canisters`, where `release build` writes them).
    #[arg(long, value_name = "DIR")]
    pub wasm_dir: Option<PathBuf>,
}

#[cfg(feature = "rehearse")]
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    use fleet_tests::{fleet::Fleet, fleet::FleetWasm, ic};
    use release::serve::{canister_ids, grant_operator, ServeIdentity, ServedFleet};
    use std::io::Write;
    use std::time::Instant;

    let workspace = args.workspace.load()?;
    if !args.no_build {
        super::build::run(super::build::BuildArgs {
            workspace: args.workspace.clone(),
            canisters: vec![],
            out_dir: None,
            locked: false,
            verbose: false,
        })?;
    }
    let started = Instant::now();
    let say = |line: &str| {
        println!("[{:>5.1}s] {line}", started.elapsed().as_secs_f64());
        let _ = std::io::stdout().flush();
    };
    let dir = args.wasm_dir.clone().unwrap_or_else(|| workspace.canister_dir());
    let wasm = FleetWasm::from_dir(&dir).context("loading the fleet's wasm (run without --no-build to build it)")?;
    say(&format!("loaded the fleet's modules from {}", dir.display()));

    let identity = ServeIdentity::generate();
    say(&format!("identity {} generated", identity.principal));

    let mut fleet = Fleet::deploy(ic::new_instance(), &wasm, &["alice", "bob", "carol"], say)?;
    grant_operator(&fleet, identity.principal, |line| say(&format!("identity: {line}")))?;
    let url = fleet.ic.try_make_live(args.port).map_err(|e| anyhow::anyhow!("cannot serve: {e}"))?.to_string();
    // Written only once serving, so a port that cannot be bound leaves no file behind.
    identity.write(&args.identity_out)?;
    let ids = canister_ids(&fleet);
    let served = ServedFleet {
        url: url.clone(),
        principal: identity.principal.to_text(),
        identity_pem: args.identity_out.display().to_string(),
        canisters: ids.iter().map(|(name, id)| (name.clone(), id.to_text())).collect(),
    };
    served.write(&args.ids_file)?;
    let seconds = started.elapsed().as_secs_f64();
    println!("\nserving the fleet at {url} ({seconds:.1}s from start to serving)");
    println!("identity {} (controller, admin, release principal): {}", identity.principal, args.identity_out.display());
    println!("canister ids in {}:", args.ids_file.display());
    for (name, id) in &ids {
        println!("  {name:<22} {id}");
    }
    let pem = args.identity_out.display();
    println!("\ntry:");
    println!(
        "  cargo run -p release -- publish token 1.0.0 --factory {} --network {url} --identity {pem}",
        ids["token_factory"]
    );
    println!("  dfx identity import serve {pem} --storage-mode plaintext");
    println!(
        "  dfx --identity serve canister --network {url} call {} icrc1_balance_of '(record {{ owner = principal \"{}\"; subaccount = null }})'",
        ids["ledger"], identity.principal
    );
    println!("\nCtrl-C stops it.");
    let _ = std::io::stdout().flush();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime that waits for Ctrl-C")?;
    runtime.block_on(tokio::signal::ctrl_c()).context("waiting for Ctrl-C")?;
    fleet.ic.stop_live();
    println!("stopped serving {url}");
    Ok(())
}

#[cfg(not(feature = "rehearse"))]
pub fn run(_args: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("this release binary was built without the `rehearse` feature; run `cargo run -p release -- serve`")
}
