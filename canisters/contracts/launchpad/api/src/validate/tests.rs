use super::*;
use crate::{LaunchpadInit, MAX_PERIODS};
use fleet_api::ContractInit;

const NOW: u64 = 1_000_000_000_000;
const HOUR: u64 = 3_600 * 1_000_000_000;

fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

pub(crate) fn args() -> LaunchpadArgs {
    LaunchpadArgs {
        name: "Seed round".into(),
        sale_ledger: Principal::from_slice(&[7; 10]),
        payment_ledger: Principal::from_slice(&[8; 10]),
        price: Price { payment: Nat::from(2u8), tokens: Nat::from(5u8) },
        soft_cap: Nat::from(1_000u32),
        hard_cap: Nat::from(10_000u32),
        start_time: NOW + HOUR,
        end_time: NOW + 2 * HOUR,
        min_per_buyer: Nat::from(10u32),
        max_per_buyer: Nat::from(2_000u32),
        allow_list: Some(vec![user(1), user(2)]),
        vesting: Some(VestingSchedule { cliff: HOUR, duration: 4 * HOUR, periods: 4 }),
    }
}

fn init(args: LaunchpadArgs) -> LaunchpadInit {
    ContractInit { factory: None, owner: user(9), version: "1.0.0".into(), args }
}

fn assert_rejected(args: LaunchpadArgs, field: &str) {
    let result = validate_init(&init(args.clone())).and_then(|()| validate_window(&args, NOW));
    match result {
        Err(FleetError::InvalidInput(text)) => assert!(text.starts_with(field), "expected `{field}`, got: {text}"),
        other => panic!("expected InvalidInput for `{field}`, got {other:?}"),
    }
}

#[test]
fn a_well_formed_sale_is_accepted() {
    validate_init(&init(args())).expect("valid");
    validate_window(&args(), NOW).expect("starts later");
    let mut open = args();
    open.allow_list = None;
    open.vesting = None;
    open.soft_cap = Nat::from(0u8);
    validate_init(&init(open)).expect("no allow-list, no vesting, no soft cap");
}

#[test]
fn every_bad_input_names_its_field() {
    type Change = Box<dyn Fn(&mut LaunchpadArgs)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|a| a.name = String::new()), "name"),
        (Box::new(|a| a.sale_ledger = Principal::anonymous()), "sale_ledger"),
        (Box::new(|a| a.payment_ledger = Principal::management_canister()), "payment_ledger"),
        (Box::new(|a| a.payment_ledger = a.sale_ledger), "payment_ledger"),
        (Box::new(|a| a.price.payment = Nat::from(0u8)), "price.payment"),
        (Box::new(|a| a.price.tokens = Nat::from(0u8)), "price.tokens"),
        (Box::new(|a| a.hard_cap = Nat::from(0u8)), "hard_cap"),
        (Box::new(|a| a.soft_cap = Nat::from(10_001u32)), "soft_cap"),
        (Box::new(|a| a.min_per_buyer = Nat::from(2_001u32)), "min_per_buyer"),
        (Box::new(|a| a.min_per_buyer = Nat::from(0u8)), "min_per_buyer"),
        (Box::new(|a| a.max_per_buyer = Nat::from(10_001u32)), "max_per_buyer"),
        (Box::new(|a| a.max_per_buyer = Nat::from(0u8)), "max_per_buyer"),
        (Box::new(|a| a.hard_cap = Nat::from(u128::MAX)), "hard_cap"),
        (
            Box::new(|a| {
                a.price.tokens = Nat::from(u128::MAX / 1_000);
            }),
            "hard_cap",
        ),
        (
            Box::new(|a| {
                a.price = Price { payment: Nat::from(100u8), tokens: Nat::from(1u8) };
                a.min_per_buyer = Nat::from(99u8);
            }),
            "min_per_buyer",
        ),
        (Box::new(|a| a.end_time = a.start_time), "end_time"),
        (Box::new(|a| a.end_time = a.start_time - 1), "end_time"),
        (Box::new(|a| a.end_time = a.start_time + crate::MAX_SALE_DURATION_NANOS + 1), "end_time"),
        (Box::new(|a| a.start_time = NOW - 1), "start_time"),
        (
            Box::new(|a| {
                a.start_time = NOW + crate::MAX_START_DELAY_NANOS + 1;
                a.end_time = a.start_time + HOUR;
            }),
            "start_time",
        ),
        (Box::new(|a| a.allow_list = Some(vec![user(1), user(1)])), "allow_list[1]"),
        (Box::new(|a| a.allow_list = Some(vec![Principal::anonymous()])), "allow_list[0]"),
        (
            Box::new(|a| a.allow_list = Some((0..1_001u32).map(|i| Principal::from_slice(&i.to_be_bytes())).collect())),
            "allow_list",
        ),
        (Box::new(|a| a.vesting = Some(VestingSchedule { cliff: 0, duration: 0, periods: 1 })), "vesting.duration"),
        (Box::new(|a| a.vesting = Some(VestingSchedule { cliff: 5, duration: 4, periods: 1 })), "vesting.cliff"),
        (Box::new(|a| a.vesting = Some(VestingSchedule { cliff: 0, duration: 4, periods: 0 })), "vesting.periods"),
        (Box::new(|a| a.vesting = Some(VestingSchedule { cliff: 0, duration: 4, periods: 5 })), "vesting.periods"),
        (
            Box::new(|a| a.vesting = Some(VestingSchedule { cliff: 0, duration: HOUR, periods: MAX_PERIODS + 1 })),
            "vesting.periods",
        ),
        (
            Box::new(|a| a.vesting = Some(VestingSchedule { cliff: 0, duration: u64::MAX, periods: 1 })),
            "vesting.duration",
        ),
    ];
    for (change, field) in cases {
        let mut a = args();
        change(&mut a);
        assert_rejected(a, field);
    }
    let mut anonymous = init(args());
    anonymous.owner = Principal::anonymous();
    assert!(matches!(validate_init(&anonymous), Err(FleetError::InvalidInput(t)) if t.starts_with("owner")));
}

#[test]
fn tokens_and_vesting_are_exact() {
    let price = Price { payment: Nat::from(3u8), tokens: Nat::from(7u8) };
    assert_eq!(tokens_for(10, &price), 23); // floor(70 / 3)
    assert_eq!(tokens_for(0, &price), 0);
    let v = VestingSchedule { cliff: 10, duration: 100, periods: 4 };
    let end = 1_000;
    assert_eq!(vested(1_001, Some(&v), end, end + 9), 0);
    assert_eq!(vested(1_001, Some(&v), end, end + 25), 250);
    assert_eq!(vested(1_001, Some(&v), end, end + 50), 500);
    assert_eq!(vested(1_001, Some(&v), end, end + 100), 1_001);
    assert_eq!(vested(1_001, Some(&v), end, u64::MAX), 1_001);
    assert_eq!(vested(u128::MAX, Some(&v), end, end + 75), u128::MAX / 4 * 3 + (u128::MAX % 4) * 3 / 4);
    assert_eq!(vested(5, None, end, 0), 5);
}
