use super::*;
use crate::{DEFAULT_EXPIRY_SECONDS, MAX_NAME_CHARS, MAX_SIGNERS};
use candid::{Decode, Encode};
use fleet_api::ContractInit;

fn signer(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

fn args() -> MultisigArgs {
    MultisigArgs {
        name: "Treasury".into(),
        signers: vec![signer(1), signer(2), signer(3)],
        threshold: 2,
        default_expiry_seconds: None,
    }
}

fn init(args: MultisigArgs) -> MultisigInit {
    ContractInit { factory: None, owner: signer(9), version: "1.0.0".into(), args }
}

/// Asserts that validation fails with an `InvalidInput` whose text starts with `field`.
fn assert_rejected(args: MultisigArgs, field: &str) {
    match validate_init(&init(args)) {
        Err(FleetError::InvalidInput(text)) => {
            assert!(text.starts_with(field), "expected a `{field}` error, got: {text}")
        }
        other => panic!("expected a `{field}` error, got {other:?}"),
    }
}

#[test]
fn good_args_pass() {
    validate(&args()).unwrap();
    validate_init(&init(args())).unwrap();
    validate(&MultisigArgs { signers: vec![signer(1)], threshold: 1, ..args() }).unwrap();
    let fifty: Vec<Principal> = (1..=MAX_SIGNERS as u8).map(signer).collect();
    validate(&MultisigArgs { signers: fifty, threshold: MAX_SIGNERS as u32, ..args() }).unwrap();
    validate(&MultisigArgs { default_expiry_seconds: Some(DEFAULT_EXPIRY_SECONDS), ..args() }).unwrap();
}

#[test]
fn signers_must_be_one_to_fifty_distinct_identified_principals() {
    assert_rejected(MultisigArgs { signers: vec![], threshold: 1, ..args() }, "signers: empty");
    let fifty_one: Vec<Principal> = (1..=MAX_SIGNERS as u8 + 1).map(signer).collect();
    assert_rejected(MultisigArgs { signers: fifty_one, threshold: 1, ..args() }, "signers: 51");
    assert_rejected(MultisigArgs { signers: vec![signer(1), signer(2), signer(1)], ..args() }, "signers[2]");
    assert_rejected(MultisigArgs { signers: vec![signer(1), Principal::anonymous()], ..args() }, "signers[1]");
    assert_rejected(
        MultisigArgs { signers: vec![Principal::management_canister(), signer(1)], ..args() },
        "signers[0]",
    );
}

#[test]
fn threshold_must_be_between_one_and_the_signer_count() {
    assert_rejected(MultisigArgs { threshold: 0, ..args() }, "threshold: 0");
    assert_rejected(MultisigArgs { threshold: 4, ..args() }, "threshold: 4");
    validate(&MultisigArgs { threshold: 3, ..args() }).unwrap();
}

#[test]
fn name_owner_and_expiry_are_checked() {
    for bad in ["", "  ", " Treasury", "a\u{7}b", &"x".repeat(MAX_NAME_CHARS + 1)] {
        assert_rejected(MultisigArgs { name: bad.to_string(), ..args() }, "name");
    }
    assert_rejected(MultisigArgs { default_expiry_seconds: Some(59), ..args() }, "default_expiry_seconds");
    assert_rejected(
        MultisigArgs { default_expiry_seconds: Some(MAX_EXPIRY_SECONDS + 1), ..args() },
        "default_expiry_seconds",
    );
    let anonymous_owner = ContractInit { owner: Principal::anonymous(), ..init(args()) };
    assert!(matches!(validate_init(&anonymous_owner), Err(FleetError::InvalidInput(t)) if t.starts_with("owner")));
}

#[test]
fn init_round_trips_through_candid() {
    let original = init(args());
    let bytes = Encode!(&original).unwrap();
    assert_eq!(Decode!(&bytes, MultisigInit).unwrap(), original);
}

#[test]
fn memos_differ_per_proposal_and_fit_the_icrc1_minimum() {
    assert_ne!(crate::proposal_memo(1), crate::proposal_memo(2));
    assert!(crate::proposal_memo(u64::MAX).len() <= 32);
}

#[test]
fn the_did_parses_and_declares_the_wallets_updates() {
    let did = include_str!("../../multisig.did");
    let updates: Vec<String> = did_check::update_methods_of(did).into_iter().collect();
    assert_eq!(updates, ["approve", "execute", "propose", "refreshBalance", "reject"]);
}
