//! Money conservation over random schedules and random sequences of claims, faults, re-sends, deposits, funding
//! checks, surplus withdrawals and cancels: after every step the contract's balance covers what is owed and no token
//! is created or lost; at the end every recipient got exactly its cap (allocation, or what vested at the cancel).

use super::*;
use crate::books::schedule;
use crate::fake_runtime::Fault;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const RUNS: u64 = 200;

fn random_world(rng: &mut ChaCha8Rng) -> (World, Vec<u128>) {
    let recipients = rng.gen_range(1..12);
    let allocations: Vec<u128> = (0..recipients).map(|_| rng.gen_range(1..5_000)).collect();
    let schedule_kind = rng.gen_range(0..4);
    let duration = rng.gen_range(1..10_000) * SECOND;
    let periods = rng.gen_range(1..=40u32);
    let cliff = if rng.gen_bool(0.5) { 0 } else { rng.gen_range(0..=duration) };
    let start_in = rng.gen_range(0..2_000) * SECOND;
    let w = World::new(
        |rt| match schedule_kind {
            0 => Schedule::Airdrop,
            _ => vesting(start_in, cliff, duration, periods, rt),
        },
        &allocations,
    );
    (w, allocations)
}

fn random_fault(rng: &mut ChaCha8Rng) -> Option<Fault> {
    match rng.gen_range(0..10) {
        0 => Some(Fault::ExecutedReplyLost),
        1 => Some(Fault::NotExecutedReplyLost),
        2 => Some(Fault::Rejected),
        3 => Some(Fault::TemporarilyUnavailable),
        _ => None,
    }
}

#[test]
fn money_is_conserved_over_random_operations() {
    for seed in 0..RUNS {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (w, allocations) = random_world(&mut rng);
        w.deposit(rng.gen_range(0..3_000));
        w.fund_exactly();
        if rng.gen_bool(0.3) {
            w.deposit(rng.gen_range(0..500));
        }
        for _ in 0..rng.gen_range(5..60) {
            match rng.gen_range(0..10) {
                0..=2 => {
                    // The retry timer runs every few minutes: no transfer waits a day for its re-send (that case,
                    // an operator's, is tested on its own).
                    w.rt.advance(rng.gen_range(0..3_000) * SECOND);
                    w.resend();
                }
                3..=5 => {
                    let who = user(rng.gen_range(1..=allocations.len() as u32 + 1)); // one is a stranger
                    if let Some(fault) = random_fault(&mut rng) {
                        w.rt.fault_next(fault);
                    }
                    let _ = w.claim(who);
                    w.rt.faults.borrow_mut().clear();
                }
                6 => {
                    if let Some(fault) = random_fault(&mut rng) {
                        w.rt.fault_next(fault);
                    }
                    w.resend();
                    w.rt.faults.borrow_mut().clear();
                }
                7 => {
                    if rng.gen_bool(0.2) {
                        let _ = w.cancel(owner());
                    } else {
                        let _ = w.withdraw(owner());
                    }
                }
                8 => {
                    w.deposit(rng.gen_range(0..100));
                    let _ = w.check_funding();
                }
                _ => {
                    let _ = w.check_funding();
                }
            }
            w.assert_invariants();
            for (i, a) in allocations.iter().enumerate() {
                assert!(w.paid_to(user(i as u32 + 1)) <= *a, "seed {seed}: recipient {i} paid beyond its allocation");
            }
        }
        settle_everything(&w, &allocations, seed);
    }
}

/// After the end of the schedule, with a healthy ledger: every pending transfer settles, every recipient claims,
/// and each got exactly its cap.
fn settle_everything(w: &World, allocations: &[u128], seed: u64) {
    while w.resend() {}
    w.rt.advance(100_000 * SECOND);
    let cancel_periods = w.d(|d| d.books().cancel_periods);
    let periods = w.d(|d| schedule::periods(&d.config().schedule));
    for (i, allocation) in allocations.iter().enumerate() {
        let who = user(i as u32 + 1);
        let last = w.claim(who);
        let cap = cancel_periods.map_or(*allocation, |k| schedule::vested_amount(*allocation, k, periods));
        assert_eq!(
            w.paid_to(who),
            cap,
            "seed {seed}: recipient {i}: {last:?} {:?} {:?}",
            w.d(|d| d.books().clone()),
            w.d(|d| d.recipient(&who, w.rt.now.get()))
        );
    }
    w.assert_invariants();
    let _ = w.check_funding();
    let _ = w.withdraw(owner());
    assert!(
        w.rt.balance(w.rt.me) <= FEE,
        "seed {seed}: {} left in the contract: {:?}",
        w.rt.balance(w.rt.me),
        w.d(|d| (d.books().clone(), d.transfers_page(Default::default())))
    );
    assert_eq!(w.d(|d| d.books().owed_total), 0, "seed {seed}");
}
