//! Publishing a contract version to a factory's registry: ask what the factory already has, send only the missing
//! chunks (so an interrupted publish resumes where it stopped), finalize, and check that the factory recorded the
//! sha256 we computed. A version the factory already holds with the same sha256 is reported, not uploaded again.

use crate::error::ClientError;
use crate::factory::FactoryClient;
use factory_engine::api::{BeginUploadArgs, UpgradeMetadata, UploadChunkArgs, UploadProgress, VersionStatus};
use fleet_api::FleetError;
use sha2::{Digest, Sha256};

/// 1 MiB, the largest chunk a factory accepts: the fewest messages on a real network.
pub const MAX_CHUNK_SIZE: usize = 1024 * 1024;

/// What to publish.
#[derive(Debug, Clone)]
pub struct PublishRequest<'a> {
    pub version: &'a str,
    /// The module exactly as installed (the `.wasm.gz`).
    pub wasm: &'a [u8],
    pub release_notes: &'a str,
    pub upgrade: UpgradeMetadata,
    /// Bytes per chunk (every chunk but the last); at most [`MAX_CHUNK_SIZE`].
    pub chunk_size: usize,
    pub order: ChunkOrder,
}

/// In which order the missing chunks go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOrder {
    Ascending,
    /// Last chunk first, then chunk 0 once more: the registry promises to accept chunks in any order and an
    /// identical re-sent chunk once; the rehearsal and the tests check both promises on every publish.
    ReverseThenResendFirst,
}

/// What [`publish`] reports as it goes (for progress bars and JSON lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishEvent {
    /// The factory already had `received` of `chunk_count` chunks; `to_send` chunks go out now.
    Started {
        chunk_count: u32,
        received: u32,
        to_send: usize,
        bytes_to_send: u64,
    },
    ChunkSent {
        index: u32,
        bytes: usize,
    },
    Finalizing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishReport {
    pub version: String,
    pub chunks: usize,
    /// Chunks sent by this run (fewer than `chunks` when it resumed an interrupted upload).
    pub chunks_sent: usize,
    pub bytes: usize,
    pub bytes_sent: u64,
    pub sha256: String,
    /// The factory already held this version with this sha256: nothing was uploaded.
    pub already_published: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("chunk size {0} is out of range (1 to {MAX_CHUNK_SIZE} bytes)")]
    ChunkSize(usize),
    #[error("factory expects {expected} chunks of {version}, the module has {actual}")]
    ChunkCount { version: String, expected: u32, actual: usize },
    #[error("factory {factory} already holds {version} ({status:?}) with sha256 {held}, not {ours}: a released version is never replaced")]
    DifferentModule { factory: candid::Principal, version: String, status: VersionStatus, held: String, ours: String },
    #[error("upload of {version} still misses chunks {missing:?} after sending every chunk")]
    Incomplete { version: String, missing: Vec<u32> },
    #[error("{version} is {status:?} after finalize, not Published")]
    NotPublished { version: String, status: VersionStatus },
    #[error("factory recorded sha256 {recorded} for {version}, expected {expected}")]
    HashMismatch { version: String, expected: String, recorded: String },
}

/// Publishes `request` to `factory` (see the module doc), calling `on_event` as it goes.
pub fn publish(
    factory: &FactoryClient<'_>,
    request: &PublishRequest<'_>,
    mut on_event: impl FnMut(&PublishEvent),
) -> Result<PublishReport, PublishError> {
    if request.chunk_size == 0 || request.chunk_size > MAX_CHUNK_SIZE {
        return Err(PublishError::ChunkSize(request.chunk_size));
    }
    let version = request.version;
    let sha256: [u8; 32] = Sha256::digest(request.wasm).into();
    let ours = hex::encode(sha256);
    let chunks: Vec<&[u8]> = request.wasm.chunks(request.chunk_size).collect();
    let report = |chunks_sent: usize, bytes_sent: u64, already_published: bool| PublishReport {
        version: version.to_string(),
        chunks: chunks.len(),
        chunks_sent,
        bytes: request.wasm.len(),
        bytes_sent,
        sha256: ours.clone(),
        already_published,
    };

    match factory.version(version) {
        Ok(held) if held.status != VersionStatus::Uploading => {
            return if held.sha256 == sha256 {
                Ok(report(0, 0, true))
            } else {
                Err(PublishError::DifferentModule {
                    factory: factory.id(),
                    version: version.to_string(),
                    status: held.status,
                    held: hex::encode(&held.sha256),
                    ours,
                })
            };
        }
        Ok(_) => {}
        Err(e) if matches!(e.fleet_error(), Some(FleetError::NotFound(_))) => {}
        Err(e) => return Err(e.into()),
    }

    let begin = BeginUploadArgs {
        version: version.to_string(),
        sha256: sha256.to_vec(),
        size: request.wasm.len() as u64,
        chunk_size: Some(request.chunk_size as u32),
        release_notes: request.release_notes.to_string(),
        upgrade: request.upgrade.clone(),
    };
    // Beginning again with the same description resumes: the reply lists the chunks still missing.
    let progress = factory.begin_upload(&begin)?;
    if progress.chunk_count as usize != chunks.len() {
        return Err(PublishError::ChunkCount {
            version: version.to_string(),
            expected: progress.chunk_count,
            actual: chunks.len(),
        });
    }
    let order = send_order(&progress, request.order);
    let bytes_to_send: u64 = order.iter().map(|&i| chunks[i as usize].len() as u64).sum();
    on_event(&PublishEvent::Started {
        chunk_count: progress.chunk_count,
        received: progress.received,
        to_send: order.len(),
        bytes_to_send,
    });
    let mut bytes_sent = 0u64;
    for &index in &order {
        let bytes = chunks[index as usize];
        factory.upload_chunk(&UploadChunkArgs { version: version.to_string(), index, bytes: bytes.to_vec() })?;
        bytes_sent += bytes.len() as u64;
        on_event(&PublishEvent::ChunkSent { index, bytes: bytes.len() });
    }
    let left = factory.upload_progress(version)?;
    if !left.missing.is_empty() {
        return Err(PublishError::Incomplete { version: version.to_string(), missing: left.missing });
    }

    on_event(&PublishEvent::Finalizing);
    let info = factory.finalize_upload(version)?;
    if info.status != VersionStatus::Published {
        return Err(PublishError::NotPublished { version: version.to_string(), status: info.status });
    }
    if info.sha256 != sha256 {
        return Err(PublishError::HashMismatch {
            version: version.to_string(),
            expected: ours,
            recorded: hex::encode(&info.sha256),
        });
    }
    Ok(report(order.len(), bytes_sent, false))
}

/// The missing chunks of `progress`, in the order `order` asks for.
fn send_order(progress: &UploadProgress, order: ChunkOrder) -> Vec<u32> {
    let mut missing = progress.missing.clone();
    missing.sort_unstable();
    match order {
        ChunkOrder::Ascending => missing,
        ChunkOrder::ReverseThenResendFirst => {
            missing.reverse();
            if let Some(&first) = missing.last() {
                missing.push(first);
            }
            missing
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(missing: Vec<u32>) -> UploadProgress {
        UploadProgress { version: "1.0.0".into(), chunk_count: 4, received: 4 - missing.len() as u32, missing }
    }

    #[test]
    fn only_missing_chunks_are_sent_in_the_asked_order() {
        assert_eq!(send_order(&progress(vec![3, 1]), ChunkOrder::Ascending), [1, 3]);
        assert_eq!(send_order(&progress(vec![0, 1, 2, 3]), ChunkOrder::ReverseThenResendFirst), [3, 2, 1, 0, 0]);
        assert_eq!(send_order(&progress(vec![2]), ChunkOrder::ReverseThenResendFirst), [2, 2]);
        assert!(send_order(&progress(vec![]), ChunkOrder::ReverseThenResendFirst).is_empty());
    }
}
