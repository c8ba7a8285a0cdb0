//! Token 1.1.0 as released (`wasm-registry/token/1.1.0/token.wasm.gz`) answers `icrc3_get_tip_certificate` on the
//! emulator with a real certificate, checked as an ICRC-3 client does: the certificate's BLS signature verifies
//! against the emulator's root key, its `canister/<id>/certified_data` is the root hash of the returned hash tree,
//! and that tree names the last block (index and hash) `icrc3_get_blocks` serves.
//!
//! Emulator only: the certificate is checked against the root key without delegation (the emulated subnet is the
//! root subnet); PocketIC's application subnets answer with a delegation this test does not follow.
#![cfg(not(feature = "pocket-ic"))]

use candid::{encode_one, Nat, Principal};
use fleet_api::ContractInit;
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use ic_certification::{Certificate, HashTree, LookupResult};
use token_api::{Account, GetBlocksRequest, GetBlocksResult, ICRC3DataCertificate, TokenArgs, TransferArg};

const STATE_ROOT_DOMAIN_SEPARATOR: &[u8] = b"\x0dic-state-root";

fn principal(name: &str) -> Principal {
    Principal::self_authenticating(name.as_bytes())
}

fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}

fn released_1_1_0() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm-registry/token/1.1.0/token.wasm.gz");
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn install_token(pic: &PocketIc) -> Principal {
    let owner = principal("owner");
    let settings = CanisterSettings { controllers: Some(vec![owner]), ..Default::default() };
    let id = pic.create_canister_with_settings(Some(owner), Some(settings));
    let args = TokenArgs {
        name: "Certified Token".into(),
        symbol: "CRT".into(),
        decimals: 8,
        transfer_fee: Nat::from(10_000u64),
        initial_balances: vec![
            (account(principal("alice")), Nat::from(1_000_000_000u64)),
            (account(principal("bob")), Nat::from(5_000_000u64)),
        ],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    };
    let init = ContractInit { factory: None, owner, version: "1.1.0".to_string(), args };
    pic.install_canister(id, released_1_1_0(), encode_one(init).expect("encode init"), Some(owner));
    id
}

fn transfer(pic: &PocketIc, token: Principal, amount: u64) {
    let arg = TransferArg {
        from_subaccount: None,
        to: account(principal("bob")),
        fee: None,
        created_at_time: None,
        memo: None,
        amount: Nat::from(amount),
    };
    let (result,): (Result<Nat, token_api::TransferError>,) =
        ic::update_candid_as(pic, token, principal("alice"), "icrc1_transfer", (arg,)).expect("icrc1_transfer");
    result.expect("the transfer succeeds");
}

fn tip_certificate(pic: &PocketIc, token: Principal) -> Option<ICRC3DataCertificate> {
    let (reply,): (Option<ICRC3DataCertificate>,) =
        ic::query_candid(pic, token, "icrc3_get_tip_certificate", ()).expect("icrc3_get_tip_certificate");
    reply
}

fn found<'a>(tree: &'a HashTree, labels: &[&[u8]]) -> &'a [u8] {
    match tree.lookup_path(labels.iter().copied()) {
        LookupResult::Found(value) => value,
        other => panic!("{labels:?}: {other:?}"),
    }
}

fn leb128(mut bytes: &[u8]) -> u64 {
    leb128::read::unsigned(&mut bytes).expect("LEB128")
}

/// The checks of an ICRC-3 client; returns the certified (last block index, last block hash).
fn verify_tip(pic: &PocketIc, token: Principal, tip: &ICRC3DataCertificate) -> Result<(u64, Vec<u8>), String> {
    let certificate: Certificate =
        serde_cbor::from_slice(&tip.certificate).map_err(|e| format!("certificate CBOR: {e}"))?;
    if certificate.delegation.is_some() {
        return Err("a delegation from a single-subnet emulator".into());
    }
    let root_key = pic.root_key().ok_or("no root key")?;
    let mut message = STATE_ROOT_DOMAIN_SEPARATOR.to_vec();
    message.extend_from_slice(&certificate.tree.digest());
    ic_verify_bls_signature::verify_bls_signature(&certificate.signature, &message, &root_key[37..])
        .map_err(|_| "the signature does not verify against the root key".to_string())?;
    let certified_data = found(&certificate.tree, &[b"canister", token.as_slice(), b"certified_data"]);
    let tree: HashTree = serde_cbor::from_slice(&tip.hash_tree).map_err(|e| format!("hash tree CBOR: {e}"))?;
    if certified_data != tree.digest() {
        return Err("the hash tree's root is not the certified data".into());
    }
    if leb128(found(&certificate.tree, &[b"time"])) != pic.get_time().as_nanos_since_unix_epoch() {
        return Err("the certificate's time is not the subnet's".into());
    }
    Ok((leb128(found(&tree, &[b"last_block_index"])), found(&tree, &[b"last_block_hash"]).to_vec()))
}

fn last_block(pic: &PocketIc, token: Principal) -> (u64, Vec<u8>) {
    let request = vec![GetBlocksRequest { start: Nat::from(0u64), length: Nat::from(100u64) }];
    let (blocks,): (GetBlocksResult,) = ic::query_candid(pic, token, "icrc3_get_blocks", (request,)).expect("blocks");
    let last = blocks.blocks.last().expect("blocks");
    let index = u64::try_from(last.id.0.clone()).expect("a small index");
    assert_eq!(Nat::from(index + 1), blocks.log_length);
    (index, last.block.clone().hash().to_vec())
}

#[test]
fn token_1_1_0_tip_certificate_verifies_and_names_the_last_block() {
    let pic = ic::new_instance();
    let token = install_token(&pic);
    transfer(&pic, token, 1_000);

    let tip = tip_certificate(&pic, token).expect("a certificate on the emulator");
    let certified = verify_tip(&pic, token, &tip).expect("the tip certificate verifies");
    assert_eq!(certified, last_block(&pic, token));
    assert_eq!(certified.0, 2, "two mints and a transfer");

    // A tampered hash tree no longer matches the certified data; a tampered signature no longer verifies.
    let mut forged = ICRC3DataCertificate { certificate: tip.certificate.clone(), hash_tree: tip.hash_tree.clone() };
    let mut tree: HashTree = serde_cbor::from_slice(&forged.hash_tree).expect("hash tree");
    tree = ic_certification::fork(
        ic_certification::labeled("last_block_hash", ic_certification::leaf(vec![0u8; 32])),
        ic_certification::labeled(
            "last_block_index",
            ic_certification::leaf(found(&tree, &[b"last_block_index"]).to_vec()),
        ),
    );
    forged.hash_tree = serde_cbor::to_vec(&tree).expect("encode").into();
    assert!(verify_tip(&pic, token, &forged).unwrap_err().contains("certified data"));
    let mut forged = ICRC3DataCertificate { certificate: tip.certificate.clone(), hash_tree: tip.hash_tree.clone() };
    let mut certificate: Certificate = serde_cbor::from_slice(&forged.certificate).expect("certificate");
    certificate.signature[5] ^= 0x10;
    forged.certificate = serde_cbor::to_vec(&certificate).expect("encode").into();
    assert!(verify_tip(&pic, token, &forged).unwrap_err().contains("signature"));

    // The next transfer moves the certified tip; the old certificate's tree is not the new certified data.
    transfer(&pic, token, 2_000);
    let next = tip_certificate(&pic, token).expect("a certificate");
    let certified = verify_tip(&pic, token, &next).expect("the new tip certificate verifies");
    assert_eq!(certified, last_block(&pic, token));
    assert_eq!(certified.0, 3);
    let stale = ICRC3DataCertificate { certificate: next.certificate.clone(), hash_tree: tip.hash_tree.clone() };
    assert!(verify_tip(&pic, token, &stale).is_err());
}

#[test]
fn an_update_call_gets_no_tip_certificate() {
    let pic = ic::new_instance();
    let token = install_token(&pic);
    let (reply,): (Option<ICRC3DataCertificate>,) =
        ic::update_candid(&pic, token, "icrc3_get_tip_certificate", ()).expect("replicated query");
    assert!(reply.is_none(), "update calls carry no data certificate");
}
