use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn vesting(start_time: u64, cliff: u64, duration: u64, periods: u32) -> Schedule {
    Schedule::Vesting(VestingSchedule { start_time, cliff, duration, periods })
}

#[test]
fn nothing_vests_before_the_cliff_and_everything_at_the_end() {
    let s = vesting(1_000, 300, 1_000, 10);
    assert_eq!(elapsed_periods(&s, 0), 0);
    assert_eq!(elapsed_periods(&s, 1_299), 0);
    // At the cliff the three periods elapsed by then vest at once.
    assert_eq!(elapsed_periods(&s, 1_300), 3);
    assert_eq!(elapsed_periods(&s, 1_399), 3);
    assert_eq!(elapsed_periods(&s, 1_400), 4);
    assert_eq!(elapsed_periods(&s, 2_000), 10);
    assert_eq!(elapsed_periods(&s, u64::MAX), 10);
    assert_eq!(elapsed_periods(&Schedule::Airdrop, 0), 1);
}

#[test]
fn vested_amounts_are_exact_floors_even_for_the_largest_allocations() {
    assert_eq!(vested_amount(1_000, 3, 10), 300);
    assert_eq!(vested_amount(7, 1, 3), 2);
    assert_eq!(vested_amount(7, 2, 3), 4);
    assert_eq!(vested_amount(7, 3, 3), 7);
    assert_eq!(vested_amount(7, 0, 3), 0);
    let max = u128::MAX;
    assert_eq!(vested_amount(max, 1, 2), max / 2);
    assert_eq!(vested_amount(max, 3_659, 3_660), max - max.div_ceil(3_660));
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..10_000 {
        let allocation: u128 = rng.gen_range(0..u128::from(u64::MAX)) * rng.gen_range(1..1_000_000u128);
        let periods: u32 = rng.gen_range(1..=3_660);
        let k: u32 = rng.gen_range(0..=periods);
        // Reference: 256-bit product through two u128 halves is overkill here; allocation < 2^84 keeps it exact.
        let expected = allocation * u128::from(k) / u128::from(periods);
        assert_eq!(vested_amount(allocation, k, periods), expected, "{allocation} * {k} / {periods}");
    }
}

#[test]
fn vesting_never_decreases_and_never_exceeds_the_allocation() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for _ in 0..500 {
        let duration: u64 = rng.gen_range(1..1_000_000);
        let periods: u32 = rng.gen_range(1..=duration.min(3_660) as u32);
        let cliff = rng.gen_range(0..=duration);
        let s = vesting(rng.gen_range(0..1_000_000), cliff, duration, periods);
        let allocation: u128 = rng.gen_range(1..1_000_000_000);
        let mut last = 0;
        let mut t = 0;
        while t < 3_000_000 {
            let v = vested_amount(allocation, elapsed_periods(&s, t), periods);
            assert!(v >= last && v <= allocation);
            last = v;
            t += rng.gen_range(1..50_000);
        }
        assert_eq!(vested_amount(allocation, elapsed_periods(&s, u64::MAX), periods), allocation);
    }
}

#[test]
fn max_claims_counts_the_periods_from_the_first_that_can_vest() {
    assert_eq!(max_claims(&Schedule::Airdrop), 1);
    assert_eq!(max_claims(&vesting(0, 0, 1_000, 10)), 10);
    assert_eq!(max_claims(&vesting(0, 300, 1_000, 10)), 8); // periods 3..=10
    assert_eq!(max_claims(&vesting(0, 1_000, 1_000, 10)), 1);
    assert_eq!(max_claims(&vesting(0, 50, 1_000, 10)), 10); // the cliff falls inside the first period
}

#[test]
fn the_number_of_distinct_vested_values_never_exceeds_max_claims() {
    // A recipient can only claim when its vested amount grew: count the growth steps over time.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..300 {
        let duration: u64 = rng.gen_range(1..100_000);
        let periods: u32 = rng.gen_range(1..=duration.min(200) as u32);
        let s = vesting(0, rng.gen_range(0..=duration), duration, periods);
        let allocation: u128 = rng.gen_range(1..10_000);
        let (mut steps, mut last) = (0, 0);
        for t in 0..=duration {
            let v = vested_amount(allocation, elapsed_periods(&s, t), periods);
            if v > last {
                steps += 1;
                last = v;
            }
        }
        assert!(steps <= max_claims(&s), "{steps} steps, {} reserved", max_claims(&s));
    }
}

#[test]
fn next_release_is_the_first_instant_more_has_vested() {
    let s = vesting(1_000, 300, 1_000, 10);
    assert_eq!(next_release(&s, 0), Some(1_300));
    assert_eq!(next_release(&s, 1_300), Some(1_400));
    assert_eq!(next_release(&s, 1_999), Some(2_000));
    assert_eq!(next_release(&s, 2_000), None);
    assert_eq!(next_release(&Schedule::Airdrop, 0), None);
    let odd = vesting(0, 0, 10, 3); // periods end at 3.33, 6.67, 10
    assert_eq!(next_release(&odd, 0), Some(4));
    assert_eq!(elapsed_periods(&odd, 3), 0);
    assert_eq!(elapsed_periods(&odd, 4), 1);
    assert_eq!(next_release(&odd, 4), Some(7));
    assert_eq!(elapsed_periods(&odd, 6), 1);
    assert_eq!(elapsed_periods(&odd, 7), 2);
}

#[test]
fn a_funded_vesting_is_active_from_its_start() {
    assert_eq!(active_from(&Schedule::Airdrop, 50), 50);
    assert_eq!(active_from(&vesting(100, 0, 10, 1), 50), 100);
    assert_eq!(active_from(&vesting(100, 0, 10, 1), 500), 500);
}
