//! `release publish` refuses bad input with one clear line and a non-zero exit, before any upload, and leaves
//! wasm-registry/ as it was: unknown kind or version, a missing or tampered artifact, a PEM that does not parse, a
//! factory id that is not one, a network that cannot be reached. `--json` reports the same as a JSON object.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RELEASE: &str = env!("CARGO_BIN_EXE_release");

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn identity(name: &str) -> PathBuf {
    repository().join("canisters/libs/fleet_client/tests/data").join(name)
}

/// A copy of the committed wasm-registry (manifest and token 1.0.0).
fn registry_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = repository().join("wasm-registry");
    std::fs::copy(source.join("manifest.json"), dir.path().join("manifest.json")).unwrap();
    let version = dir.path().join("token/1.0.0");
    std::fs::create_dir_all(&version).unwrap();
    for file in ["token.wasm.gz", "token.wasm.gz.sha256", "token.did"] {
        std::fs::copy(source.join("token/1.0.0").join(file), version.join(file)).unwrap();
    }
    dir
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn publish(registry: &Path, args: &[&str]) -> Output {
    let network = format!("http://127.0.0.1:{}", closed_port());
    let mut command = Command::new(RELEASE);
    command.args(["publish", "--registry"]).arg(registry).args(["--network", &network]);
    command.args(args);
    command.output().unwrap()
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    files.sort();
    files
}

/// Exit non-zero, one `error:` line on stderr containing `expected`, registry unchanged.
fn refused(registry: &Path, args: &[&str], expected: &str) {
    let before = snapshot(registry);
    let out = publish(registry, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!out.status.success(), "{args:?} succeeded: {stderr}");
    assert_eq!(lines.len(), 1, "{args:?}: one line expected, got {stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(expected), "{args:?}: {stderr}");
    assert_eq!(snapshot(registry), before, "{args:?} changed the registry");
}

const FACTORY: &str = "rrkah-fqaaa-aaaaa-aaaaq-cai";

#[test]
fn unknown_kinds_and_versions_are_refused() {
    let registry = registry_copy();
    let pem = identity("ed25519.pem");
    let pem = pem.to_str().unwrap();
    refused(registry.path(), &["escrow", "1.0.0", "--factory", FACTORY, "--identity", pem], "unknown kind `escrow`");
    refused(
        registry.path(),
        &["token", "9.9.9", "--factory", FACTORY, "--identity", pem],
        "unknown version token 9.9.9",
    );
}

#[test]
fn missing_and_tampered_artifacts_are_refused() {
    let pem = identity("ed25519.pem");
    let pem = pem.to_str().unwrap();
    let args = ["token", "1.0.0", "--factory", FACTORY, "--identity", pem];
    let registry = registry_copy();
    let wasm = registry.path().join("token/1.0.0/token.wasm.gz");
    let mut bytes = std::fs::read(&wasm).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&wasm, &bytes).unwrap();
    refused(registry.path(), &args, "tampered artifact of token 1.0.0");
    std::fs::remove_file(&wasm).unwrap();
    refused(registry.path(), &args, "missing artifact of token 1.0.0");
}

#[test]
fn bad_identities_and_factory_ids_are_refused() {
    let registry = registry_copy();
    let garbage = registry.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key").unwrap();
    let garbage = garbage.to_str().unwrap().to_string();
    refused(
        registry.path(),
        &["token", "1.0.0", "--factory", FACTORY, "--identity", &garbage],
        "not a private key PEM",
    );
    let encrypted = identity("encrypted.pem");
    refused(
        registry.path(),
        &["token", "1.0.0", "--factory", FACTORY, "--identity", encrypted.to_str().unwrap()],
        "encrypted",
    );
    let pem = identity("secp256k1.pem");
    refused(
        registry.path(),
        &["token", "1.0.0", "--factory", "not-an-id", "--identity", pem.to_str().unwrap()],
        "not a canister id",
    );
}

#[test]
fn an_unreachable_network_is_refused_and_json_says_so() {
    let registry = registry_copy();
    let pem = identity("ed25519.pem");
    let args = ["token", "1.0.0", "--factory", FACTORY, "--identity", pem.to_str().unwrap()];
    refused(registry.path(), &args, "cannot reach the network");
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = publish(registry.path(), &json_args);
    assert!(!out.status.success());
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json prints one JSON object");
    assert_eq!(reply["ok"], false);
    assert!(reply["error"].as_str().unwrap().contains("cannot reach the network"), "{reply}");
}
