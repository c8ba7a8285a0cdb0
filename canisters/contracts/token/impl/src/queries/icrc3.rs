//! ICRC-3: the block log, its certified tip, the block types, and the (empty) list of archives.

use crate::state;
use ic_cdk::query;
use serde_bytes::ByteBuf;
use token_api::{
    GetArchivesArgs, GetArchivesResult, GetBlocksRequest, GetBlocksResult, ICRC3DataCertificate, SupportedBlockType,
};

/// The blocks built so far of each requested range, at most `token_api::MAX_BLOCKS_PER_REQUEST` in all.
#[query]
fn icrc3_get_blocks(requests: Vec<GetBlocksRequest>) -> GetBlocksResult {
    state::read(|l| l.blocks(&requests))
}

/// The IC's certificate of this canister's certified data and the hash tree (CBOR) whose root it is:
/// `last_block_index` and `last_block_hash` of the last block built. `null` when the call carries no certificate
/// (an update call, or a replica that does not certify).
#[query]
fn icrc3_get_tip_certificate() -> Option<ICRC3DataCertificate> {
    let certificate = ic_cdk::api::data_certificate()?;
    let tree = state::read(|l| l.tip_tree());
    let mut hash_tree = vec![];
    // Serializing an in-memory tree into a Vec cannot fail.
    ciborium::into_writer(&tree, &mut hash_tree).ok()?;
    Some(ICRC3DataCertificate { certificate: ByteBuf::from(certificate), hash_tree: ByteBuf::from(hash_tree) })
}

#[query]
fn icrc3_supported_block_types() -> Vec<SupportedBlockType> {
    token_api::supported_block_types()
}

/// Nothing is archived: every block is in this canister.
#[query]
fn icrc3_get_archives(_args: GetArchivesArgs) -> GetArchivesResult {
    vec![]
}
