//! The wasm chunk store: `upload_chunk`, `stored_chunks`, `clear_chunk_store`, and assembling a module for
//! `install_chunked_code`. Limits as on the IC: a chunk is at most 1 MiB and a store holds at most 100 chunks.

use std::collections::BTreeMap;
use std::fmt;

use ic_management_canister_types::{CanisterIdRecord, ChunkHash, UploadChunkArgs};
use sha2::{Digest, Sha256};

use super::{canister, canister_mut, check_controller_or_self, decode_arg, reply};
use crate::errors::{ErrorCode, RejectResponse};
use crate::state::{ManagementCall, ManagementOutcome, Subnet, MAX_CHUNKS, MAX_CHUNK_SIZE};

/// Largest module that may be assembled from chunks (100 MiB, the chunk store's capacity).
pub const MAX_ASSEMBLED_WASM_BYTES: usize = MAX_CHUNKS * MAX_CHUNK_SIZE;

pub type ChunkStore = BTreeMap<[u8; 32], Vec<u8>>;

/// What can go wrong in the chunk store. Shown to callers as IC0504 "Error from Wasm chunk store: ...".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkStoreError {
    ChunkTooLarge {
        size: usize,
    },
    StoreFull,
    /// A hash in a chunk list is not 32 bytes long.
    InvalidHashLength {
        length: usize,
    },
    MissingChunk {
        hash: [u8; 32],
    },
    ModuleTooLarge {
        size: usize,
    },
    ModuleHashMismatch {
        expected: Vec<u8>,
        actual: [u8; 32],
    },
}

impl fmt::Display for ChunkStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkStoreError::ChunkTooLarge { size } => {
                write!(f, "Wasm chunk size {size} exceeds the maximum chunk size of {MAX_CHUNK_SIZE}")
            }
            ChunkStoreError::StoreFull => {
                write!(f, "Wasm chunk store has already reached maximum capacity of {MAX_CHUNKS} chunks")
            }
            ChunkStoreError::InvalidHashLength { length } => {
                write!(f, "Chunk hash must be 32 bytes long, got {length} bytes")
            }
            ChunkStoreError::MissingChunk { hash } => {
                write!(f, "Chunk with hash {} was not found in the store canister", hex::encode(hash))
            }
            ChunkStoreError::ModuleTooLarge { size } => write!(
                f,
                "Wasm module assembled from chunks is {size} bytes, more than the maximum of {MAX_ASSEMBLED_WASM_BYTES}"
            ),
            ChunkStoreError::ModuleHashMismatch { expected, actual } => write!(
                f,
                "Wasm module hash {} does not match given hash {}",
                hex::encode(actual),
                hex::encode(expected)
            ),
        }
    }
}

impl From<ChunkStoreError> for RejectResponse {
    fn from(err: ChunkStoreError) -> Self {
        RejectResponse::new(ErrorCode::CanisterContractViolation, format!("Error from Wasm chunk store: {err}."))
    }
}

pub fn chunk_hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Stores a chunk and returns its hash. Uploading a chunk that is already stored takes no new slot.
pub fn insert_chunk(store: &mut ChunkStore, chunk: Vec<u8>) -> Result<[u8; 32], ChunkStoreError> {
    if chunk.len() > MAX_CHUNK_SIZE {
        return Err(ChunkStoreError::ChunkTooLarge { size: chunk.len() });
    }
    let hash = chunk_hash(&chunk);
    if !store.contains_key(&hash) {
        if store.len() >= MAX_CHUNKS {
            return Err(ChunkStoreError::StoreFull);
        }
        store.insert(hash, chunk);
    }
    Ok(hash)
}

/// Concatenates the listed chunks and checks the result against `wasm_module_hash`.
pub fn assemble_module(
    store: &ChunkStore,
    chunk_hashes: &[ChunkHash],
    wasm_module_hash: &[u8],
) -> Result<Vec<u8>, ChunkStoreError> {
    let mut module = Vec::new();
    for ChunkHash { hash } in chunk_hashes {
        let key: [u8; 32] =
            hash.as_slice().try_into().map_err(|_| ChunkStoreError::InvalidHashLength { length: hash.len() })?;
        let chunk = store.get(&key).ok_or(ChunkStoreError::MissingChunk { hash: key })?;
        if module.len() + chunk.len() > MAX_ASSEMBLED_WASM_BYTES {
            return Err(ChunkStoreError::ModuleTooLarge { size: module.len() + chunk.len() });
        }
        module.extend_from_slice(chunk);
    }
    let actual = chunk_hash(&module);
    if actual.as_slice() != wasm_module_hash {
        return Err(ChunkStoreError::ModuleHashMismatch { expected: wasm_module_hash.to_vec(), actual });
    }
    Ok(module)
}

/// The hashes in the store, in a stable order (ascending).
pub fn stored_hashes(store: &ChunkStore) -> Vec<ChunkHash> {
    store.keys().map(|hash| ChunkHash { hash: hash.to_vec() }).collect()
}

pub(super) fn upload_chunk(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: UploadChunkArgs = decode_arg(call.arg)?;
    let canister = canister_mut(subnet, &args.canister_id)?;
    check_controller_or_self(canister, &call.caller)?;
    let hash = insert_chunk(&mut canister.chunk_store, args.chunk)?;
    reply((ChunkHash { hash: hash.to_vec() },))
}

pub(super) fn stored_chunks(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: CanisterIdRecord = decode_arg(call.arg)?;
    let canister = canister(subnet, &args.canister_id)?;
    check_controller_or_self(canister, &call.caller)?;
    reply((stored_hashes(&canister.chunk_store),))
}

pub(super) fn clear_chunk_store(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: CanisterIdRecord = decode_arg(call.arg)?;
    let canister = canister_mut(subnet, &args.canister_id)?;
    check_controller_or_self(canister, &call.caller)?;
    canister.chunk_store.clear();
    reply(())
}
