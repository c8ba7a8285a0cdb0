//! Publishing a contract version to a factory's registry: `beginUpload`, chunks, `finalizeUpload`, the way the
//! release pipeline does it. Chunks go out in reverse order and the last one twice, because the registry promises to
//! accept chunks in any order and a re-sent chunk once: the rehearsal checks both promises on every publish.

use anyhow::{ensure, Result};
use candid::Principal;
use sha2::{Digest, Sha256};
use token_factory_api::{
    BeginUploadArgs, UpgradeMetadata, UploadChunkArgs, UploadProgress, VersionInfo, VersionStatus,
};

use super::Fleet;

/// 256 KiB: several chunks for a ~400 KB gzipped contract, so the chunked path is really taken.
pub const CHUNK_SIZE: usize = 256 * 1024;

pub struct PublishReport {
    pub version: String,
    pub chunks: usize,
    pub bytes: usize,
    pub sha256: String,
}

/// Uploads `wasm` as `version` to `factory` as `uploader` and finalizes it; the factory verifies hash, wasm shape and
/// `fleet:kind`/`fleet:version` metadata before it publishes.
pub fn publish_version(
    fleet: &Fleet,
    factory: Principal,
    uploader: Principal,
    version: &str,
    wasm: &[u8],
    release_notes: &str,
) -> Result<PublishReport> {
    let sha256: [u8; 32] = Sha256::digest(wasm).into();
    let begin = BeginUploadArgs {
        version: version.into(),
        sha256: sha256.to_vec(),
        size: wasm.len() as u64,
        chunk_size: Some(CHUNK_SIZE as u32),
        release_notes: release_notes.into(),
        upgrade: UpgradeMetadata { checkpoint: false, post_upgrade_arg: None, reachable_from: None },
    };
    let progress: UploadProgress = fleet.call(factory, uploader, "beginUpload", (begin,))?;
    let chunks: Vec<&[u8]> = wasm.chunks(CHUNK_SIZE).collect();
    ensure!(
        progress.chunk_count as usize == chunks.len(),
        "factory expects {} chunks, we have {}",
        progress.chunk_count,
        chunks.len()
    );

    let mut order: Vec<usize> = (0..chunks.len()).rev().collect();
    order.push(0); // a re-sent chunk must be accepted without being counted twice
    let mut last = progress;
    for index in order {
        let chunk = UploadChunkArgs { version: version.into(), index: index as u32, bytes: chunks[index].to_vec() };
        last = fleet.call(factory, uploader, "uploadChunk", (chunk,))?;
    }
    ensure!(
        last.missing.is_empty() && last.received as usize == chunks.len(),
        "upload incomplete after every chunk: {:?}",
        last.missing
    );

    let info: VersionInfo = fleet.call(factory, uploader, "finalizeUpload", (version.to_string(),))?;
    ensure!(info.status == VersionStatus::Published, "{version} is {:?} after finalize", info.status);
    ensure!(info.sha256 == sha256, "registry recorded another sha256 for {version}");
    Ok(PublishReport { version: version.into(), chunks: chunks.len(), bytes: wasm.len(), sha256: hex(&sha256) })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
