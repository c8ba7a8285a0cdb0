//! The `release` binary end to end on small throwaway workspaces: a canister crate without dependencies (so a
//! wasm build takes seconds), plus a path dependency that lives under `$CARGO_HOME` the way registry crates do
//! and leaks its absolute path into the wasm through a panic location unless the build remaps it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RELEASE: &str = env!("CARGO_BIN_EXE_release");

struct Sandbox {
    _dir: tempfile::TempDir,
    workspace: PathBuf,
    cargo_home: PathBuf,
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `<tmp>/ws` (workspace with canister `tiny`) and `<tmp>/cargo_home/helper` (path dependency).
fn sandbox(did: Option<&str>) -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    let cargo_home = dir.path().join("cargo_home");
    let toolchain = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rust-toolchain.toml");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::copy(toolchain, workspace.join("rust-toolchain.toml")).unwrap();
    write(
        &workspace.join("Cargo.toml"),
        r#"[workspace]
resolver = "2"
members = ["tiny/impl"]

[profile.canister]
inherits = "release"
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
debug = false
strip = "debuginfo"
incremental = false
"#,
    );
    write(
        &workspace.join("tiny/impl/Cargo.toml"),
        r#"[package]
name = "tiny-canister"
version = "2.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib", "lib"]

[dependencies]
helper = { path = "../../../cargo_home/helper" }

[package.metadata.fleet]
canister = "tiny"
did = "../api/tiny.did"
kind = "tiny"
"#,
    );
    write(
        &workspace.join("tiny/impl/src/lib.rs"),
        "#[export_name = \"canister_query pick\"]\npub extern \"C\" fn pick() {\n    \
         let data = [1u8, 2, 3];\n    core::hint::black_box(helper::nth(&data, core::hint::black_box(7)));\n}\n",
    );
    if let Some(did) = did {
        write(&workspace.join("tiny/api/tiny.did"), did);
    }
    write(
        &cargo_home.join("helper/Cargo.toml"),
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        &cargo_home.join("helper/src/lib.rs"),
        "pub fn nth(data: &[u8], index: usize) -> u8 {\n    data[index]\n}\n",
    );
    Sandbox {
        _dir: dir,
        workspace,
        cargo_home,
    }
}

fn release(sandbox: &Sandbox, args: &[&str]) -> Output {
    let manifest = sandbox.workspace.join("Cargo.toml");
    Command::new(RELEASE)
        .args(args)
        .arg("--manifest-path")
        .arg(&manifest)
        .current_dir(&sandbox.workspace)
        .env("CARGO_HOME", &sandbox.cargo_home)
        // The sandbox uses its own default target dir, `<ws>/target`, as a fresh checkout would.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const DID: &str = "service : { pick : () -> () query }\n";

#[test]
fn builds_are_identical_across_checkout_locations_and_leak_no_path() {
    let first = sandbox(Some(DID));
    let second = sandbox(Some(DID));
    let mut hashes = Vec::new();
    for sandbox in [&first, &second] {
        let output = release(sandbox, &["build"]);
        assert!(
            output.status.success(),
            "stdout:\n{}\nstderr:\n{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        let stdout = text(&output.stdout);
        assert!(
            stdout.contains("tiny") && stdout.contains("contract:tiny"),
            "{stdout}"
        );
        let out = sandbox.workspace.join("target/canisters");
        let gz = std::fs::read(out.join("tiny.wasm.gz")).unwrap();
        let sha = std::fs::read_to_string(out.join("tiny.wasm.gz.sha256")).unwrap();
        assert_eq!(sha.trim(), release::postprocess::sha256_hex(&gz));
        assert!(
            stdout.contains(sha.trim()),
            "the table shows the hash: {stdout}"
        );

        let wasm = ic_wasm_bytes(&gz);
        let contains = |needle: &str| wasm.windows(needle.len()).any(|w| w == needle.as_bytes());
        let sandbox_root = sandbox.workspace.parent().unwrap().to_str().unwrap();
        assert!(
            contains("/cargo/helper/src/lib.rs"),
            "the panic location is remapped"
        );
        assert!(
            !contains(sandbox_root),
            "absolute path {sandbox_root} leaked into the wasm"
        );
        assert!(contains("icp:public fleet:version") && contains("2.1.0"));
        hashes.push(sha);
    }
    assert_eq!(
        hashes[0], hashes[1],
        "two checkouts in different directories must give the same module"
    );

    // Building again (cargo has nothing to do) rewrites the same bytes.
    let again = release(&first, &["build", "--canister", "tiny"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let sha = std::fs::read_to_string(first.workspace.join("target/canisters/tiny.wasm.gz.sha256"))
        .unwrap();
    assert_eq!(sha, hashes[0]);
}

fn ic_wasm_bytes(gz: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut wasm = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut wasm)
        .unwrap();
    wasm
}

#[test]
fn a_missing_did_fails_fast_with_the_path() {
    let sandbox = sandbox(None);
    let output = release(&sandbox, &["build"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("canister `tiny`") && stderr.contains("tiny/api/tiny.did"),
        "{stderr}"
    );
    assert!(
        !sandbox.workspace.join("target").exists(),
        "nothing was compiled"
    );

    let output = release(&sandbox, &["check-did"]);
    assert!(!output.status.success());
    assert!(
        text(&output.stdout).contains("FAIL  tiny"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn check_did_reports_syntax_errors_and_passes_valid_files() {
    let broken = sandbox(Some("service : {\n  pick : () -> () query\n  oops\n}\n"));
    let output = release(&broken, &["check-did"]);
    assert!(!output.status.success());
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("tiny.did") && stdout.contains("line 3"),
        "{stdout}"
    );
    assert!(
        text(&output.stderr).contains("1 of 1 candid file(s)"),
        "{}",
        text(&output.stderr)
    );

    let valid = sandbox(Some(DID));
    let output = release(&valid, &["check-did"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("ok    tiny"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn an_unknown_canister_is_named_with_the_known_ones() {
    let sandbox = sandbox(Some(DID));
    let output = release(&sandbox, &["build", "--canister", "nope"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("unknown canister `nope`") && stderr.contains("tiny"),
        "{stderr}"
    );
}
