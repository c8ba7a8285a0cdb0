//! The sale's lifecycle: funding, contributions, the decision, claims (with vesting), refunds, owner payouts.

use super::*;
use crate::books::LedgerReply;
use crate::books::SendVerdict;
use launchpad_api::{TransferPurpose, TransferState, VestingSchedule};

#[test]
fn a_sale_that_reaches_its_soft_cap_pays_buyers_and_owner_and_returns_the_unsold_tokens() {
    let w = World::new();
    w.fund_and_open();
    for (who, amount) in [(1, 2_000), (2, 1_000), (3, 1_001)] {
        let c = w.contribute(user(who), amount).expect("contributes");
        assert!(matches!(c.state, TransferState::Executed { .. }));
        w.assert_invariants();
    }
    let info = w.info();
    assert_eq!((info.raised, info.tokens_sold, info.buyers), (4_001u32.into(), 10_002u32.into(), 3));
    // Buyers paid the amount plus their ledger's fee; the launchpad received the amounts exactly.
    assert_eq!(w.rt.payment.borrow().balance(user(1)), 1_000_000 - 2_000 - PAYMENT_FEE);
    assert_eq!(w.rt.payment.borrow().balance(w.rt.me), 4_001);
    w.end();
    assert_eq!(w.status(), LaunchpadStatus::Succeeded);
    // Proceeds less one fee, unsold (25,000 funded - 10,002 sold) less one fee.
    assert_eq!(w.paid_by_payment(owner()), 4_001 - PAYMENT_FEE);
    assert_eq!(w.paid_by_sale(owner()), 25_000 - 10_002 - SALE_FEE);
    for (who, tokens) in [(1, 5_000), (2, 2_500), (3, 2_502)] {
        let t = w.claim(user(who)).expect("claims");
        assert_eq!(t.purpose, TransferPurpose::Claim { buyer: user(who) });
        assert_eq!(t.amount, Nat::from(tokens - SALE_FEE));
        assert_eq!(w.paid_by_sale(user(who)), tokens - SALE_FEE);
        assert_state_error(w.claim(user(who)), "nothing to claim");
        w.assert_invariants();
    }
    assert_eq!(w.rt.sale.borrow().balance(w.rt.me), 0);
    assert_eq!(w.rt.payment.borrow().balance(w.rt.me), 0);
    assert_eq!(w.info().tokens_owed, Nat::from(0u8));
    assert!(w.rt.statuses.borrow().iter().any(|s| s == "Succeeded"), "{:?}", w.rt.statuses.borrow());
}

#[test]
fn vested_tokens_are_claimed_period_by_period() {
    let w = World::with(|a| a.vesting = Some(VestingSchedule { cliff: HOUR, duration: 4 * HOUR, periods: 4 }));
    w.fund_and_open();
    w.contribute(user(1), 2_000).expect("contributes"); // 5,000 tokens
    w.contribute(user(2), 1_000).expect("contributes");
    w.end();
    assert_eq!(w.status(), LaunchpadStatus::Succeeded);
    assert_state_error(w.claim(user(1)), "nothing to claim");
    let mut paid = 0;
    for period in 1..=4u64 {
        w.rt.now.set(w.args.end_time + period * HOUR);
        let t = w.claim(user(1)).expect("claims");
        let vested = 5_000 * u128::from(period) / 4;
        assert_eq!(t.amount, Nat::from(vested - paid - SALE_FEE), "period {period}");
        paid = vested;
        w.assert_invariants();
    }
    assert_eq!(w.paid_by_sale(user(1)), 5_000 - 4 * SALE_FEE);
    w.rt.now.set(w.args.end_time + 10 * HOUR);
    assert_state_error(w.claim(user(1)), "nothing to claim");
}

#[test]
fn a_failed_sale_refunds_every_buyer_exactly_once_by_claim_or_by_the_job() {
    let w = World::new();
    w.fund_and_open();
    for i in 1..=30 {
        w.contribute(user(i), 10 + u128::from(i)).expect("contributes");
    }
    w.end();
    assert_eq!(w.status(), LaunchpadStatus::Failed);
    // Every sale token back to the owner, less one fee.
    assert_eq!(w.paid_by_sale(owner()), 25_000 - SALE_FEE);
    let t = w.claim(user(7)).expect("refund by claim");
    assert_eq!((t.purpose, t.amount), (TransferPurpose::Refund { buyer: user(7) }, Nat::from(17 - PAYMENT_FEE)));
    assert_state_error(w.claim(user(7)), "already refunded");
    w.assert_invariants();
    assert_eq!(w.run_refund_job(), 1);
    for i in 1..=30 {
        assert_eq!(w.paid_by_payment(user(i)), 10 + u128::from(i) - PAYMENT_FEE, "buyer {i}");
        assert_eq!(w.rt.payment.borrow().payments(w.rt.me, user(i)), 1, "buyer {i} paid once");
    }
    assert_eq!(w.rt.payment.borrow().balance(w.rt.me), 0);
    w.assert_invariants();
    assert_unauthorized(w.claim(stranger()));
}

#[test]
fn a_sale_never_funded_fails_at_its_end_and_returns_what_the_owner_sent() {
    let w = World::new();
    w.deposit(100);
    let report = w.check_funding().expect("reads");
    assert!(!report.funded);
    assert_eq!((report.balance, report.required), (Nat::from(100u8), Nat::from(25_000u32)));
    w.rt.now.set(w.args.start_time);
    assert_eq!(w.status(), LaunchpadStatus::Upcoming);
    assert_state_error(w.contribute(user(1), 100), "not funded");
    w.end();
    assert_eq!(w.status(), LaunchpadStatus::Failed);
    assert_eq!(w.paid_by_sale(owner()), 100 - SALE_FEE);
    assert_state_error(w.check_funding(), "ended");
}

#[test]
fn the_hard_cap_and_the_buyer_maximum_count_contributions_in_flight() {
    let w = World::new();
    w.fund_and_open();
    let now = w.rt.now.get();
    // Five buyers reserve 2,000 each (the hard cap) before any reply: a sixth is refused while they are in flight.
    let ids: Vec<u64> =
        (1..=5).map(|i| w.l(|l| l.start_contribution(user(i), &Nat::from(2_000u32), now)).unwrap()).collect();
    assert_invalid(w.l(|l| l.start_contribution(user(6), &Nat::from(10u32), now)), "amount: 10 is above what is left");
    // The same buyer's second contribution counts the first one in flight.
    assert_invalid(w.l(|l| l.start_contribution(user(1), &Nat::from(1u32), now)), "amount: 1 would bring");
    for id in &ids[1..] {
        w.l(|l| l.begin_contribution_send(*id, w.rt.me)).expect("sends");
    }
    w.l(|l| l.begin_contribution_send(ids[0], w.rt.me)).expect("sends");
    // The first is refused by the ledger: its room is free again, exactly.
    let refused = Ok(LedgerReply::Other("InsufficientAllowance".into()));
    let (_, v) = w.l(|l| l.settle_contribution(ids[0], refused)).unwrap();
    assert!(matches!(v, SendVerdict::Refused { .. }));
    for id in &ids[1..] {
        w.l(|l| l.settle_contribution(*id, Ok(LedgerReply::Ok(Nat::from(*id))))).unwrap();
    }
    assert_eq!(w.info().raised, Nat::from(8_000u32));
    assert_invalid(w.l(|l| l.start_contribution(user(6), &Nat::from(2_001u32), now)), "amount: 2001 would bring");
    w.l(|l| l.start_contribution(user(6), &Nat::from(2_000u32), now)).expect("the freed room");
    assert_invalid(w.l(|l| l.start_contribution(user(7), &Nat::from(10u32), now)), "amount: 10 is above what is left");
}

#[test]
fn an_upgrade_with_a_contribution_in_flight_settles_it_once() {
    let w = World::new();
    w.fund_and_open();
    w.rt.fault_next(crate::fake_runtime::Fault::ExecutedReplyLost);
    assert!(matches!(w.contribute(user(1), 500), Err(FleetError::CallFailed { .. })));
    assert_eq!(w.info().reserved, Nat::from(500u32));
    w.upgrade();
    // The end passes while it is in flight: the sale waits for it.
    w.end();
    assert_eq!(w.status(), LaunchpadStatus::Closed);
    assert!(!w.resend());
    assert_eq!(w.status(), LaunchpadStatus::Failed);
    let info = w.info();
    assert_eq!((info.raised, info.reserved), (Nat::from(500u32), Nat::from(0u8)));
    assert_eq!(w.rt.payment.borrow().payments(user(1), w.rt.me), 1, "taken once");
    w.run_refund_job();
    assert_eq!(w.paid_by_payment(user(1)), 500 - PAYMENT_FEE);
    w.assert_invariants();
}

#[test]
fn a_refused_refund_is_owed_again_and_the_job_passes_its_buyer_again() {
    let w = World::new();
    w.fund_and_open();
    for i in 1..=3 {
        w.contribute(user(i), 100).expect("contributes");
    }
    w.end();
    w.rt.fault_next(crate::fake_runtime::Fault::Rejected); // user 1's refund
    w.run_refund_job();
    assert_eq!(w.paid_by_payment(user(1)), 100 - PAYMENT_FEE);
    assert_eq!(w.rt.payment.borrow().payments(w.rt.me, user(1)), 1);
    let failed = w.l(|l| l.transfers_page(Default::default()));
    assert!(failed.items.iter().any(|t| matches!(t.state, TransferState::Failed { .. })));
}
