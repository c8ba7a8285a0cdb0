//! Turning one built canister into its release artifacts: `<out>/<canister>.wasm.gz` and
//! `<out>/<canister>.wasm.gz.sha256` (the hex digest and a newline).

use crate::candid_file::CandidInterface;
use crate::error::{Error, Result};
use crate::postprocess::{package_wasm, ContractMetadata, WasmMetadata};
use crate::workspace::CanisterCrate;
use std::path::{Path, PathBuf};

/// One row of the build table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanisterArtifact {
    pub canister: String,
    pub kind: Option<String>,
    pub fixture: bool,
    pub raw_size: usize,
    pub wasm_size: usize,
    pub gz_size: usize,
    pub sha256: String,
    pub gz_path: PathBuf,
}

/// The metadata a canister's wasm gets: its candid, and kind + package version for contracts.
pub fn metadata_for(canister: &CanisterCrate, candid: &CandidInterface) -> WasmMetadata {
    WasmMetadata {
        candid_service: candid.service_text.clone(),
        contract: canister.kind.as_ref().map(|kind| ContractMetadata {
            kind: kind.clone(),
            version: canister.version.clone(),
            schema: canister.schema,
        }),
    }
}

/// Packages the raw wasm `raw_wasm` of `canister` into `out_dir`.
pub fn package_canister(
    canister: &CanisterCrate,
    raw_wasm: &Path,
    out_dir: &Path,
) -> Result<CanisterArtifact> {
    let candid = CandidInterface::load(&canister.canister, &canister.did)?;
    let raw = std::fs::read(raw_wasm)
        .map_err(|e| Error::io(format!("reading {}", raw_wasm.display()), e))?;
    let packaged = package_wasm(&raw, &metadata_for(canister, &candid)).map_err(|reason| {
        Error::InvalidWasm {
            canister: canister.canister.clone(),
            reason,
        }
    })?;
    let gz_path = gz_path(out_dir, &canister.canister);
    write_atomically(&gz_path, &packaged.gz)?;
    write_atomically(
        &sha256_path(out_dir, &canister.canister),
        format!("{}\n", packaged.sha256).as_bytes(),
    )?;
    Ok(CanisterArtifact {
        canister: canister.canister.clone(),
        kind: canister.kind.clone(),
        fixture: canister.fixture,
        raw_size: packaged.raw_size,
        wasm_size: packaged.wasm.len(),
        gz_size: packaged.gz.len(),
        sha256: packaged.sha256,
        gz_path,
    })
}

pub fn gz_path(out_dir: &Path, canister: &str) -> PathBuf {
    out_dir.join(format!("{canister}.wasm.gz"))
}

pub fn sha256_path(out_dir: &Path, canister: &str) -> PathBuf {
    out_dir.join(format!("{canister}.wasm.gz.sha256"))
}

/// Write to a temporary file beside the target and rename, so a test or a `dfx deploy` never reads a half-written
/// module while a build runs.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes)
        .map_err(|e| Error::io(format!("writing {}", temporary.display()), e))?;
    std::fs::rename(&temporary, path)
        .map_err(|e| Error::io(format!("renaming to {}", path.display()), e))
}
