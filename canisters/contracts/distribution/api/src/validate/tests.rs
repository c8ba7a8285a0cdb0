use super::*;
use crate::{DistributionInit, MAX_PERIODS};
use candid::{Decode, Encode};
use fleet_api::ContractInit;

fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

fn ledger() -> Principal {
    Principal::from_slice(&[7; 10])
}

fn vesting() -> VestingSchedule {
    VestingSchedule { start_time: 1_000, cliff: 100, duration: 1_000, periods: 10 }
}

fn args() -> DistributionArgs {
    DistributionArgs {
        name: "Team vesting".into(),
        ledger: ledger(),
        schedule: Schedule::Vesting(vesting()),
        recipients: vec![(user(1), Nat::from(1_000u64)), (user(2), Nat::from(5u64))],
    }
}

fn init(args: DistributionArgs) -> DistributionInit {
    ContractInit { factory: None, owner: user(9), version: "1.0.0".into(), args }
}

/// Asserts that validation fails with an `InvalidInput` whose text starts with `field`.
fn assert_rejected(args: DistributionArgs, field: &str) {
    match validate_init(&init(args)) {
        Err(FleetError::InvalidInput(text)) => {
            assert!(text.starts_with(field), "expected a `{field}` error, got: {text}")
        }
        other => panic!("expected InvalidInput for `{field}`, got {other:?}"),
    }
}

#[test]
fn valid_arguments_pass() {
    assert_eq!(validate_init(&init(args())), Ok(()));
    assert_eq!(validate_init(&init(DistributionArgs { schedule: Schedule::Airdrop, ..args() })), Ok(()));
    assert_eq!(validate_init(&init(DistributionArgs { recipients: vec![], ..args() })), Ok(()));
    let full = Schedule::Vesting(VestingSchedule { cliff: 1_000, periods: 1_000, ..vesting() });
    assert_eq!(validate_init(&init(DistributionArgs { schedule: full, ..args() })), Ok(()));
}

#[test]
fn the_owner_and_the_ledger_must_be_real_principals() {
    let mut anonymous_owner = init(args());
    anonymous_owner.owner = Principal::anonymous();
    assert!(matches!(validate_init(&anonymous_owner), Err(FleetError::InvalidInput(t)) if t.starts_with("owner")));
    assert_rejected(DistributionArgs { ledger: Principal::anonymous(), ..args() }, "ledger");
    assert_rejected(DistributionArgs { ledger: Principal::management_canister(), ..args() }, "ledger");
}

#[test]
fn names_are_checked() {
    assert_rejected(DistributionArgs { name: " ".into(), ..args() }, "name");
    assert_rejected(DistributionArgs { name: " x".into(), ..args() }, "name");
    assert_rejected(DistributionArgs { name: "x".repeat(65), ..args() }, "name");
    assert_rejected(DistributionArgs { name: "a\nb".into(), ..args() }, "name");
}

#[test]
fn schedules_must_end_after_they_start_and_fit_their_periods() {
    let with = |schedule: VestingSchedule| DistributionArgs { schedule: Schedule::Vesting(schedule), ..args() };
    assert_rejected(with(VestingSchedule { duration: 0, cliff: 0, ..vesting() }), "schedule.duration");
    assert_rejected(with(VestingSchedule { start_time: u64::MAX - 10, ..vesting() }), "schedule");
    assert_rejected(with(VestingSchedule { cliff: 1_001, ..vesting() }), "schedule.cliff");
    assert_rejected(with(VestingSchedule { periods: 0, ..vesting() }), "schedule.periods");
    assert_rejected(with(VestingSchedule { periods: 1_001, ..vesting() }), "schedule.periods");
    let long = VestingSchedule { duration: u64::from(MAX_PERIODS) * 10, periods: MAX_PERIODS + 1, ..vesting() };
    assert_rejected(with(long), "schedule.periods");
}

#[test]
fn recipients_are_checked_one_by_one() {
    let with = |recipients: Vec<(Principal, Nat)>| DistributionArgs { recipients, ..args() };
    assert_rejected(with(vec![(user(1), Nat::from(0u8))]), "recipients[0]: amount is 0");
    assert_rejected(with(vec![(user(1), Nat::from(1u8)), (user(1), Nat::from(2u8))]), "recipients[1]");
    assert_rejected(with(vec![(Principal::anonymous(), Nat::from(1u8))]), "recipients[0]");
    let huge = Nat::from(u128::MAX) + Nat::from(1u8);
    assert_rejected(with(vec![(user(1), huge)]), "recipients[0]");
    assert_rejected(with(vec![(user(1), Nat::from(u128::MAX)), (user(2), Nat::from(1u8))]), "recipients: the total");
}

#[test]
fn a_batch_is_bounded_and_returns_its_total() {
    let batch: Vec<(Principal, Nat)> = (0..MAX_RECIPIENTS_PER_BATCH as u32)
        .map(|i| (Principal::from_slice(&i.to_be_bytes()), Nat::from(2u8)))
        .collect();
    assert_eq!(validate_batch("batch", &batch), Ok(2 * MAX_RECIPIENTS_PER_BATCH as u128));
    let mut too_many = batch;
    too_many.push((user(1), Nat::from(1u8)));
    assert!(matches!(validate_batch("batch", &too_many), Err(FleetError::InvalidInput(t)) if t.starts_with("batch")));
}

#[test]
fn the_init_argument_round_trips_through_candid() {
    let value = init(args());
    let bytes = Encode!(&value).expect("encodes");
    assert_eq!(Decode!(&bytes, DistributionInit).expect("decodes"), value);
}
