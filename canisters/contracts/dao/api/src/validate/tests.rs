use super::*;
use crate::{LockOption, MAX_NAME_CHARS};
use candid::{Decode, Encode, Nat};
use fleet_api::ContractInit;

fn p(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

pub fn parameters() -> DaoParameters {
    DaoParameters {
        voting_period_seconds: 3 * 24 * 3600,
        quorum_basis_points: 2_000,
        approval_threshold_basis_points: 5_000,
        min_stake_to_propose: Nat::from(1_000u32),
        locks: vec![
            LockOption { duration_seconds: 0, multiplier_basis_points: 10_000 },
            LockOption { duration_seconds: 365 * 24 * 3600, multiplier_basis_points: 20_000 },
        ],
    }
}

fn args() -> DaoArgs {
    DaoArgs { name: "Guild".into(), governance_token: p(7), parameters: parameters() }
}

fn init(args: DaoArgs) -> DaoInit {
    ContractInit { factory: Some(p(8)), owner: p(9), version: "1.0.0".into(), args }
}

fn assert_rejected(args: DaoArgs, field: &str) {
    match validate_init(&init(args)) {
        Err(FleetError::InvalidInput(text)) => {
            assert!(text.starts_with(field), "expected a `{field}` error, got: {text}")
        }
        other => panic!("expected a `{field}` error, got {other:?}"),
    }
}

fn with(f: impl FnOnce(&mut DaoParameters)) -> DaoArgs {
    let mut a = args();
    f(&mut a.parameters);
    a
}

#[test]
fn good_args_pass() {
    validate_init(&init(args())).unwrap();
    validate_parameters(&DaoParameters {
        quorum_basis_points: 10_000,
        approval_threshold_basis_points: 10_000,
        locks: vec![LockOption { duration_seconds: MAX_LOCK_SECONDS, multiplier_basis_points: 100_000 }],
        ..parameters()
    })
    .unwrap();
}

#[test]
fn every_bad_field_is_named() {
    for bad in ["", " Guild", &"x".repeat(MAX_NAME_CHARS + 1)] {
        assert_rejected(DaoArgs { name: bad.into(), ..args() }, "name");
    }
    assert_rejected(DaoArgs { governance_token: Principal::anonymous(), ..args() }, "governance_token");
    assert_rejected(DaoArgs { governance_token: Principal::management_canister(), ..args() }, "governance_token");
    assert_rejected(DaoArgs { governance_token: p(8), ..args() }, "governance_token");
    assert_rejected(with(|p| p.voting_period_seconds = 59), "parameters.voting_period_seconds");
    assert_rejected(with(|p| p.voting_period_seconds = MAX_VOTING_PERIOD_SECONDS + 1), "parameters.voting_period");
    assert_rejected(with(|p| p.quorum_basis_points = 0), "parameters.quorum_basis_points");
    assert_rejected(with(|p| p.quorum_basis_points = 10_001), "parameters.quorum_basis_points");
    assert_rejected(with(|p| p.approval_threshold_basis_points = 4_999), "parameters.approval_threshold");
    assert_rejected(with(|p| p.approval_threshold_basis_points = 10_001), "parameters.approval_threshold");
    assert_rejected(with(|p| p.min_stake_to_propose = Nat::from(u128::MAX)), "parameters.min_stake_to_propose");
    assert_rejected(with(|p| p.locks.clear()), "parameters.locks: 0");
    assert_rejected(with(|p| p.locks = vec![p.locks[0]; MAX_LOCKS + 1]), "parameters.locks: 11");
    assert_rejected(with(|p| p.locks[1].duration_seconds = MAX_LOCK_SECONDS + 1), "parameters.locks[1].duration");
    assert_rejected(with(|p| p.locks[1].duration_seconds = 0), "parameters.locks[1].duration");
    assert_rejected(with(|p| p.locks[0].multiplier_basis_points = 9_999), "parameters.locks[0].multiplier");
    assert_rejected(with(|p| p.locks[1].multiplier_basis_points = 100_001), "parameters.locks[1].multiplier");
    assert_rejected(with(|p| p.locks[0].multiplier_basis_points = 30_000), "parameters.locks[1].multiplier");
    let anonymous_owner = ContractInit { owner: Principal::anonymous(), ..init(args()) };
    assert!(matches!(validate_init(&anonymous_owner), Err(FleetError::InvalidInput(t)) if t.starts_with("owner")));
}

#[test]
fn init_round_trips_through_candid() {
    let original = init(args());
    let bytes = Encode!(&original).unwrap();
    assert_eq!(Decode!(&bytes, DaoInit).unwrap(), original);
}

#[test]
fn memos_differ_per_purpose_and_id_and_fit_the_icrc1_minimum() {
    let memos = [crate::proposal_memo(1), crate::proposal_memo(2), crate::stake_memo(1), crate::unstake_memo(1)];
    for (i, a) in memos.iter().enumerate() {
        assert!(a.len() <= 32);
        for b in &memos[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_ne!(crate::staking_subaccount(), [0; 32]);
}

#[test]
fn the_did_parses_and_declares_the_daos_updates() {
    let did = include_str!("../../dao.did");
    let updates: Vec<String> = did_check::update_methods_of(did).into_iter().collect();
    assert_eq!(updates, ["execute", "propose", "settleStake", "stake", "unstake", "vote"]);
}
