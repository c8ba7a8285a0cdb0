//! Money conservation over random sales and random sequences of contributions (concurrent ones included: several
//! recorded before any reply), faults, re-sends, upgrades, claims and refund rounds: after every step both ledgers'
//! balances cover the books and the books cover what is owed; no token is created or lost; at the end every buyer got
//! exactly their tokens (less one fee per claim) or their refund (less one fee), once, and the owner the rest.

use super::*;
use crate::fake_runtime::Fault;
use launchpad_api::VestingSchedule;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const RUNS: u64 = 150;
const BUYERS: u32 = 8;

fn random_fault(rng: &mut ChaCha8Rng) -> Option<Fault> {
    match rng.gen_range(0..10) {
        0 => Some(Fault::ExecutedReplyLost),
        1 => Some(Fault::NotExecutedReplyLost),
        2 => Some(Fault::Rejected),
        3 => Some(Fault::TemporarilyUnavailable),
        _ => None,
    }
}

/// Starts a contribution and sends it without settling: a reply still to come.
fn contribute_in_flight(w: &World, who: Principal, amount: u128) -> Option<(u64, crate::books::SendOutcome)> {
    let id = w.l(|l| l.start_contribution(who, &Nat::from(amount), w.rt.now.get())).ok()?;
    let (ledger, arg) = w.l(|l| l.begin_contribution_send(id, w.rt.me))?;
    Some((id, block_on(crate::runtime::Runtime::icrc2_transfer_from(&w.rt, ledger, arg))))
}

#[test]
fn money_is_conserved_over_random_operations() {
    for seed in 0..RUNS {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let hard = rng.gen_range(100..5_000u32);
        let soft = rng.gen_range(0..=hard);
        let max = rng.gen_range(20..=hard.max(20)).min(hard);
        let vesting = rng.gen_bool(0.5).then_some(VestingSchedule { cliff: 0, duration: 4 * HOUR, periods: 4 });
        let w = World::with(|a| {
            a.hard_cap = Nat::from(hard);
            a.soft_cap = Nat::from(soft);
            a.max_per_buyer = Nat::from(max);
            a.min_per_buyer = Nat::from(10u32.min(max));
            a.price = Price { payment: Nat::from(rng.gen_range(1..7u8)), tokens: Nat::from(rng.gen_range(1..9u8)) };
            a.vesting = vesting;
        });
        w.fund_and_open();
        let mut in_flight = Vec::new();
        for _ in 0..rng.gen_range(5..40) {
            let who = user(rng.gen_range(1..=BUYERS + 1));
            let amount = rng.gen_range(1..=u128::from(max) / 2 + 10);
            match rng.gen_range(0..10) {
                0..=3 => {
                    if let Some(fault) = random_fault(&mut rng) {
                        w.rt.fault_next(fault);
                    }
                    let _ = w.contribute(who, amount);
                    w.rt.faults.borrow_mut().clear();
                }
                4..=5 => in_flight.extend(contribute_in_flight(&w, who, amount)),
                6 if !in_flight.is_empty() => {
                    let (id, outcome) = in_flight.swap_remove(rng.gen_range(0..in_flight.len()));
                    w.l(|l| l.settle_contribution(id, outcome));
                }
                7 => {
                    // An upgrade drops every reply still to come.
                    in_flight.clear();
                    w.upgrade();
                }
                _ => {
                    w.rt.advance(rng.gen_range(0..120) * SECOND);
                    w.resend();
                }
            }
            w.assert_invariants();
        }
        for (id, outcome) in in_flight.drain(..) {
            w.l(|l| l.settle_contribution(id, outcome));
        }
        w.end();
        for _ in 0..rng.gen_range(0..30) {
            match rng.gen_range(0..4) {
                0 => {
                    if let Some(fault) = random_fault(&mut rng) {
                        w.rt.fault_next(fault);
                    }
                    let _ = w.claim(user(rng.gen_range(1..=BUYERS)));
                    w.rt.faults.borrow_mut().clear();
                }
                1 => {
                    if let Some(fault) = random_fault(&mut rng) {
                        w.rt.fault_next(fault);
                    }
                    block_on(flows::refund_round(&w.state, &w.rt));
                    w.rt.faults.borrow_mut().clear();
                }
                2 => w.upgrade(),
                _ => {
                    w.rt.advance(rng.gen_range(0..3_600) * SECOND);
                    w.resend();
                }
            }
            w.assert_invariants();
        }
        settle_everything(&w, seed);
    }
}

/// With healthy ledgers: everything pending settles, the jobs run, every buyer claims after vesting; then each buyer
/// got exactly what they are due, once per claim, and the launchpad keeps nothing but dust below one fee per payout.
fn settle_everything(w: &World, seed: u64) {
    while w.resend() {}
    w.rt.advance(10 * HOUR);
    block_on(flows::finalize_and_pay(&w.state, &w.rt));
    w.run_refund_job();
    let info = w.info();
    let succeeded = info.status == LaunchpadStatus::Succeeded;
    assert!(succeeded || info.status == LaunchpadStatus::Failed, "seed {seed}: {info:?}");
    for i in 1..=BUYERS + 1 {
        let who = user(i);
        let _ = w.claim(who);
        let Some(record) = w.l(|l| l.buyer(&who)) else { continue };
        let received_from_launchpad = if succeeded { w.paid_by_sale(who) } else { w.paid_by_payment(who) };
        let transfers = if succeeded {
            w.rt.sale.borrow().payments(w.rt.me, who) as u128
        } else {
            w.rt.payment.borrow().payments(w.rt.me, who) as u128
        };
        let due = if succeeded { w.l(|l| l.tokens_of(&who)) } else { record.contributed };
        let fee = if succeeded { w.info().sale_fee } else { w.info().payment_fee };
        let fee = launchpad_api::amount_u128(&fee.expect("known")).unwrap();
        let record = w.l(|l| l.buyer(&who)).expect("still there");
        // Each claim carried what the books counted as claimed, less its fee; what is left is below one fee.
        assert_eq!(received_from_launchpad + transfers * fee, record.claimed, "seed {seed}: buyer {i}");
        assert!(due - record.claimed <= fee, "seed {seed}: buyer {i}: {} of {due} left", due - record.claimed);
        if !succeeded {
            assert!(transfers <= 1, "seed {seed}: buyer {i} refunded {transfers} times");
        }
        // The buyer was charged exactly what the books counted, each contribution once.
        assert_eq!(w.rt.payment.borrow().paid(who, w.rt.me), record.contributed, "seed {seed}: buyer {i}");
    }
    w.assert_invariants();
    let info = w.info();
    let n = |v: &Nat| launchpad_api::amount_u128(v).unwrap();
    assert_eq!(n(&info.reserved), 0, "seed {seed}");
    assert_eq!(n(&info.payment_owed), 0, "seed {seed}: {info:?}");
    assert!(n(&info.tokens_owed) <= SALE_FEE * u128::from(BUYERS + 1), "seed {seed}: {info:?}");
    let payment_left = w.rt.payment.borrow().balance(w.rt.me);
    let sale_left = w.rt.sale.borrow().balance(w.rt.me);
    assert!(payment_left <= PAYMENT_FEE * u128::from(BUYERS + 1), "seed {seed}: {payment_left} payment left");
    assert!(sale_left <= SALE_FEE * u128::from(BUYERS + 2), "seed {seed}: {sale_left} sale tokens left");
}
