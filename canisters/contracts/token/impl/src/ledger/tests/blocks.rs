//! ICRC-3 blocks: the Value hash against the standard's published test vectors, every block type's fields as the
//! standard names them, block hashes against an independent implementation of the standard's hashing, the phash
//! chain, `icrc3_get_blocks` ranges and the certified tip tree.

use super::*;
use crate::ledger::block::{block_hash, encode_block};
use candid::Int;
use ic_certification::{HashTree, LookupResult};
use icrc_ledger_types::icrc::generic_value::{ICRC3Map, ICRC3Value};
use serde_bytes::ByteBuf;
use sha2::{Digest, Sha256};
use token_api::{amount_u128, GetBlocksRequest, MAX_BLOCKS_PER_REQUEST};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn blob(bytes: &[u8]) -> ICRC3Value {
    ICRC3Value::Blob(ByteBuf::from(bytes.to_vec()))
}

fn nat(n: u128) -> ICRC3Value {
    ICRC3Value::Nat(Nat::from(n))
}

fn text(t: &str) -> ICRC3Value {
    ICRC3Value::Text(t.into())
}

fn map(entries: Vec<(&str, ICRC3Value)>) -> ICRC3Value {
    ICRC3Value::Map(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<ICRC3Map>())
}

fn account_value(account: Account) -> ICRC3Value {
    let mut parts = vec![blob(account.owner.as_slice())];
    if let Some(sub) = account.subaccount {
        parts.push(blob(&sub));
    }
    ICRC3Value::Array(parts)
}

/// The ICRC-3 "Value Hash", written again from the standard's text (HASHINGVALUES.md) without the library: LEB128 for
/// `Nat`, SLEB128 for `Int`, the bytes for `Blob` / `Text`, the concatenated element hashes for `Array`, the sorted
/// (key hash, value hash) pairs for `Map`.
fn independent_hash(value: &ICRC3Value) -> [u8; 32] {
    let sha = |bytes: &[u8]| -> [u8; 32] { Sha256::digest(bytes).into() };
    match value {
        ICRC3Value::Nat(n) => {
            let mut v = n.0.clone();
            let mut out = vec![];
            loop {
                let byte = (&v % 128u32).to_u32_digits().first().copied().unwrap_or(0) as u8;
                v >>= 7;
                if v == 0u32.into() {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
            sha(&out)
        }
        ICRC3Value::Int(i) => {
            let mut v: i128 = i.0.clone().try_into().expect("test ints fit in i128");
            let mut out = vec![];
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
                out.push(if done { byte } else { byte | 0x80 });
                if done {
                    break;
                }
            }
            sha(&out)
        }
        ICRC3Value::Blob(b) => sha(b),
        ICRC3Value::Text(t) => sha(t.as_bytes()),
        ICRC3Value::Array(items) => sha(&items.iter().flat_map(independent_hash).collect::<Vec<u8>>()),
        ICRC3Value::Map(entries) => {
            let mut pairs: Vec<([u8; 32], [u8; 32])> =
                entries.iter().map(|(k, v)| (sha(k.as_bytes()), independent_hash(v))).collect();
            pairs.sort();
            sha(&pairs.iter().flat_map(|(k, v)| k.iter().chain(v.iter()).copied()).collect::<Vec<u8>>())
        }
    }
}

#[test]
fn the_value_hash_matches_the_standard_test_vectors() {
    let address: &[u8] =
        b"\x00\xab\xcd\xef\x00\x12\x34\x00\x56\x78\x9a\x00\xbc\xde\xf0\x00\x01\x23\x45\x67\x89\x00\xab\xcd\xef\x01";
    let to: &[u8] =
        b"\x00\xab\x0d\xef\x00\x12\x34\x00\x56\x78\x9a\x00\xbc\xde\xf0\x00\x01\x23\x45\x67\x89\x00\xab\xcd\xef\x01";
    let vectors = [
        (nat(42), "684888c0ebb17f374298b65ee2807526c066094c701bcc7ebbe1c1095f494fc1"),
        (ICRC3Value::Int(Int::from(-42)), "de5a6f78116eca62d7fc5ce159d23ae6b889b365a1739ad2cf36f925a140d0cc"),
        (text("Hello, World!"), "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f"),
        (blob(&[1, 2, 3, 4]), "9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a"),
        (
            ICRC3Value::Array(vec![nat(3), text("foo"), blob(&[5, 6])]),
            "514a04011caa503990d446b7dec5d79e19c221ae607fb08b2848c67734d468d6",
        ),
        (
            map(vec![
                ("from", blob(address)),
                ("to", blob(to)),
                ("amount", nat(42)),
                ("created_at", nat(1699218263)),
                ("memo", nat(0)),
            ]),
            "c56ece650e1de4269c5bdeff7875949e3e2033f85b2d193c2ff4f7f78bdcfc75",
        ),
    ];
    for (value, expected) in vectors {
        assert_eq!(hex(&value.clone().hash()), expected, "library hash of {value:?}");
        assert_eq!(hex(&independent_hash(&value)), expected, "the test's own hash of {value:?}");
    }
}

#[test]
fn every_block_type_has_the_standard_fields() {
    let mut f = ledger();
    let parent = [7u8; 32];
    let at = f.now;
    // Block 0 (a mint of the initial balances): no phash, no fee.
    let mint = f.ledger.transaction(0).unwrap();
    assert_eq!(
        encode_block(&mint, None),
        map(vec![
            ("btype", text("1mint")),
            ("ts", nat(at as u128)),
            ("tx", map(vec![("to", account_value(acc(alice()))), ("amt", nat(1_000))])),
        ])
    );

    // A transfer without a fee in the request: the ledger-set fee at the top level; memo and created_at_time in tx.
    let arg = TransferArg {
        to: sub(bob(), 4),
        amount: Nat::from(7u8),
        memo: memo(b"invoice-1"),
        created_at_time: Some(at),
        ..transfer_arg()
    };
    let i = f.transfer_arg(alice(), arg).unwrap();
    assert_eq!(
        encode_block(&f.ledger.transaction(i).unwrap(), Some(&parent)),
        map(vec![
            ("btype", text("1xfer")),
            ("phash", blob(&parent)),
            ("ts", nat(at as u128)),
            ("fee", nat(FEE)),
            (
                "tx",
                map(vec![
                    ("from", account_value(acc(alice()))),
                    ("to", ICRC3Value::Array(vec![blob(bob().as_slice()), blob(&[4; 32])])),
                    ("amt", nat(7)),
                    ("memo", blob(b"invoice-1")),
                    ("ts", nat(at as u128)),
                ])
            ),
        ])
    );

    // An approve naming its fee: the fee is in tx; expected_allowance and expires_at are there as sent.
    let args = ApproveArgs {
        spender: acc(carol()),
        amount: Nat::from(300u32),
        expected_allowance: Some(Nat::from(0u8)),
        expires_at: Some(at + 100 * SECOND),
        fee: Some(Nat::from(FEE)),
        ..approve_args()
    };
    let i = f.approve_args(alice(), args).unwrap();
    assert_eq!(
        encode_block(&f.ledger.transaction(i).unwrap(), Some(&parent)),
        map(vec![
            ("btype", text("2approve")),
            ("phash", blob(&parent)),
            ("ts", nat(at as u128)),
            (
                "tx",
                map(vec![
                    ("from", account_value(acc(alice()))),
                    ("spender", account_value(acc(carol()))),
                    ("amt", nat(300)),
                    ("fee", nat(FEE)),
                    ("expected_allowance", nat(0)),
                    ("expires_at", nat((at + 100 * SECOND) as u128)),
                ])
            ),
        ])
    );

    // transfer_from by a spender: 2xfer with the spender; a burn through it: 1burn with the spender, no fee.
    let i = f.transfer_from(carol(), acc(alice()), acc(bob()), 50).unwrap();
    let block = encode_block(&f.ledger.transaction(i).unwrap(), Some(&parent));
    assert_eq!(
        block,
        map(vec![
            ("btype", text("2xfer")),
            ("phash", blob(&parent)),
            ("ts", nat(at as u128)),
            ("fee", nat(FEE)),
            (
                "tx",
                map(vec![
                    ("from", account_value(acc(alice()))),
                    ("to", account_value(acc(bob()))),
                    ("spender", account_value(acc(carol()))),
                    ("amt", nat(50)),
                ])
            ),
        ])
    );
    let i = f.transfer_from(carol(), acc(alice()), minter(), 20).unwrap();
    assert_eq!(
        encode_block(&f.ledger.transaction(i).unwrap(), Some(&parent)),
        map(vec![
            ("btype", text("1burn")),
            ("phash", blob(&parent)),
            ("ts", nat(at as u128)),
            (
                "tx",
                map(vec![
                    ("from", account_value(acc(alice()))),
                    ("spender", account_value(acc(carol()))),
                    ("amt", nat(20)),
                ])
            ),
        ])
    );
    let btypes: Vec<String> = token_api::supported_block_types().into_iter().map(|t| t.block_type).collect();
    assert_eq!(btypes, vec!["1burn", "1mint", "1xfer", "2approve", "2xfer"]);
}

/// A ledger with every kind of transaction.
pub fn varied_ledger() -> Fixture {
    let mut f = ledger();
    f.transfer(alice(), acc(bob()), 100).unwrap();
    f.transfer(owner(), sub(carol(), 1), 5_000).unwrap();
    f.approve(alice(), acc(carol()), 300).unwrap();
    f.advance(SECOND);
    f.transfer_from(carol(), acc(alice()), acc(bob()), 40).unwrap();
    f.transfer_arg(bob(), TransferArg { to: minter(), amount: Nat::from(FEE), memo: memo(b"burn"), ..transfer_arg() })
        .unwrap();
    f.transfer_arg(
        alice(),
        TransferArg { to: acc(bob()), amount: Nat::from(1u8), fee: Some(Nat::from(FEE)), ..transfer_arg() },
    )
    .unwrap();
    f
}

#[test]
fn each_block_hashes_its_value_and_links_to_its_parent() {
    let f = varied_ledger();
    let n = f.ledger.transaction_count();
    assert_eq!(f.ledger.built_blocks(), n, "installed at schema 2: every transaction has its block at once");
    let mut parent: Option<[u8; 32]> = None;
    for i in 0..n {
        let block = f.ledger.block(i).unwrap();
        let ICRC3Value::Map(fields) = &block else { panic!("block {i} is not a map") };
        assert_eq!(fields.get("phash"), parent.map(|p| blob(&p)).as_ref(), "phash of block {i}");
        let hash = independent_hash(&block);
        assert_eq!(f.ledger.block_hash(i), Some(hash), "stored hash of block {i}");
        assert_eq!(block_hash(&f.ledger.transaction(i).unwrap(), parent.as_ref()), hash);
        parent = Some(hash);
    }
    assert_eq!(f.ledger.tip(), Some((n - 1, parent.unwrap())));
    assert_eq!(f.ledger.block(n), None);
}

#[test]
fn get_blocks_serves_ranges_in_order_capped_in_all() {
    let mut f = ledger_with(TokenArgs { transfer_fee: Nat::from(0u8), ..token_args() });
    for _ in 0..MAX_BLOCKS_PER_REQUEST + 10 {
        f.transfer(alice(), acc(bob()), 0).unwrap();
    }
    let range = |start: u64, length: u64| GetBlocksRequest { start: Nat::from(start), length: Nat::from(length) };
    let ids = |requests: &[GetBlocksRequest]| -> Vec<u64> {
        let result = f.ledger.blocks(requests);
        assert_eq!(result.log_length, Nat::from(MAX_BLOCKS_PER_REQUEST + 12));
        assert!(result.archived_blocks.is_empty());
        result.blocks.iter().map(|b| amount_u128(&b.id).unwrap() as u64).collect()
    };
    assert_eq!(ids(&[range(5, 3), range(0, 2)]), vec![5, 6, 7, 0, 1]);
    assert_eq!(ids(&[range(1_010, 100)]), vec![1_010, 1_011], "clipped at the end of the log");
    assert!(ids(&[range(5_000, 10)]).is_empty());
    assert!(ids(&[]).is_empty());
    let all = ids(&[range(0, 600), range(600, 600), range(0, 1)]);
    assert_eq!(all.len() as u64, MAX_BLOCKS_PER_REQUEST, "at most {MAX_BLOCKS_PER_REQUEST} for all ranges together");
    assert_eq!(all.last(), Some(&(MAX_BLOCKS_PER_REQUEST - 1)));
    let huge = GetBlocksRequest { start: beyond_u128(), length: beyond_u128() };
    assert!(ids(&[huge]).is_empty());
    let everything = ids(&[GetBlocksRequest { start: Nat::from(3u8), length: beyond_u128() }]);
    assert_eq!(everything.len() as u64, MAX_BLOCKS_PER_REQUEST);
    let result = f.ledger.blocks(&[range(2, 1)]);
    assert_eq!(result.blocks[0].block, f.ledger.block(2).unwrap());
}

#[test]
fn the_tip_tree_holds_the_last_block_index_and_hash() {
    let f = varied_ledger();
    let (last, hash) = f.ledger.tip().unwrap();
    let tree = f.ledger.tip_tree();
    let LookupResult::Found(index) = tree.lookup_path([b"last_block_index"]) else { panic!("no last_block_index") };
    let mut leb128 = vec![];
    let mut rest = last;
    loop {
        let byte = (rest & 0x7f) as u8;
        rest >>= 7;
        leb128.push(if rest == 0 { byte } else { byte | 0x80 });
        if rest == 0 {
            break;
        }
    }
    assert_eq!(index, leb128.as_slice());
    assert_eq!(tree.lookup_path([b"last_block_hash"]), LookupResult::Found(&hash[..]));

    // What the canister serves in `hash_tree`: the tree in CBOR, which a client decodes to the certified root.
    let mut cbor = vec![];
    ciborium::into_writer(&tree, &mut cbor).unwrap();
    // The IC's hash tree encoding: `[1, left, right]` for a fork, `[2, label, subtree]` for a label, `[3, leaf]`.
    assert_eq!(&cbor[..4], &[0x83, 0x01, 0x83, 0x02], "a fork of labelled subtrees");
    let decoded: HashTree = ciborium::from_reader(cbor.as_slice()).unwrap();
    assert_eq!(decoded.digest(), tree.digest());
    // The root of a fork of two labelled leaves, computed as the IC interface specification says.
    let domain = |sep: &str| {
        let mut h = Sha256::new();
        h.update([sep.len() as u8]);
        h.update(sep.as_bytes());
        h
    };
    let labeled = |label: &[u8], leaf: &[u8]| -> [u8; 32] {
        let leaf_hash: [u8; 32] = domain("ic-hashtree-leaf").chain_update(leaf).finalize().into();
        domain("ic-hashtree-labeled").chain_update(label).chain_update(leaf_hash).finalize().into()
    };
    let root: [u8; 32] = domain("ic-hashtree-fork")
        .chain_update(labeled(b"last_block_hash", &hash))
        .chain_update(labeled(b"last_block_index", &leb128))
        .finalize()
        .into();
    assert_eq!(tree.digest(), root);

    let empty = ledger_with(TokenArgs { initial_balances: vec![], ..token_args() });
    assert_eq!(empty.ledger.tip(), None);
    assert_eq!(empty.ledger.tip_tree().digest(), <[u8; 32]>::from(domain("ic-hashtree-empty").finalize()));
}
