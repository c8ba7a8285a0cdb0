//! Cancels: recipients keep what vested, the owner gets the rest back, exactly.

use super::*;
use crate::books::{SendVerdict, Status};
use distribution_api::TransferState;

#[test]
fn a_cancel_mid_vesting_splits_exactly() {
    // 4 periods of 100 s; allocations that do not divide by 4.
    let w = World::new(|rt| vesting(0, 0, 400 * SECOND, 4, rt), &[1_001, 3, 50]);
    w.fund_exactly();
    let funded = w.rt.balance(w.rt.me);
    assert_eq!(funded, 1_054 + 3 * 4 * FEE);
    w.rt.advance(100 * SECOND);
    w.claim(user(1)).expect("claims period 1"); // 250
    w.rt.advance(150 * SECOND); // 2 periods vested: 500, 1, 25
    assert_unauthorized(w.cancel(user(1)));
    let refund = w.cancel(owner()).expect("cancels").expect("sends the surplus");
    assert_eq!(w.status(), Status::Cancelled);
    // Kept for recipients: user 1: 500 - 250 claimed = 250; user 2: floor(3*2/4) = 1; user 3: 25; one fee each.
    let kept = 250 + 1 + 25 + 3 * FEE;
    let spent = 250 + FEE;
    assert_eq!(refund.amount, Nat::from(funded - spent - kept - FEE));
    assert!(matches!(refund.state, TransferState::Executed { .. }));
    assert_eq!(w.rt.balance(w.rt.me), kept);
    w.assert_invariants();
    // Vesting is frozen: later, each claims exactly what had vested.
    w.rt.advance(1_000 * SECOND);
    assert_eq!(w.claim(user(1)).expect("claims").amount, Nat::from(250u32));
    assert_eq!(w.claim(user(2)).expect("claims").amount, Nat::from(1u32));
    assert_eq!(w.claim(user(3)).expect("claims").amount, Nat::from(25u32));
    assert_state_error(w.claim(user(3)), "nothing to claim");
    assert_eq!(w.rt.balance(w.rt.me), 0);
    assert_eq!((w.paid_to(user(1)), w.paid_to(user(2)), w.paid_to(user(3))), (500, 1, 25));
    assert_state_error(w.cancel(owner()), "already Cancelled");
    w.assert_invariants();
}

#[test]
fn a_cancel_before_funding_returns_the_whole_balance() {
    let w = World::new(|_| Schedule::Airdrop, &[100]);
    w.deposit(60);
    let refund = w.cancel(owner()).expect("cancels").expect("refunds");
    assert_eq!(refund.amount, Nat::from(60 - FEE));
    assert_eq!((w.rt.balance(owner()), w.rt.balance(w.rt.me)), (50, 0));
    assert_state_error(w.claim(user(1)), "nothing to claim: vested 0");
    w.assert_invariants();
}

#[test]
fn a_cancel_before_the_start_returns_everything_and_an_airdrop_cancel_keeps_everything() {
    let w = World::new(|rt| vesting(50 * SECOND, 0, 100 * SECOND, 2, rt), &[100, 200]);
    w.fund_exactly();
    let refund = w.cancel(owner()).expect("cancels").expect("refunds");
    assert_eq!(refund.amount, Nat::from(300 + 4 * FEE - FEE));
    assert_eq!(w.rt.balance(w.rt.me), 0);
    w.assert_invariants();

    let w = World::new(|_| Schedule::Airdrop, &[100, 200]);
    w.fund_exactly();
    // Everything had vested: nothing beyond the exact funding to send back.
    assert_eq!(w.cancel(owner()).expect("cancels"), None);
    w.claim(user(1)).expect("claims");
    w.claim(user(2)).expect("claims");
    assert_eq!(w.rt.balance(w.rt.me), 0);
    w.assert_invariants();
}

#[test]
fn a_claim_in_flight_during_a_cancel_is_kept_and_a_refused_one_becomes_claimable_again() {
    let w = World::new(|rt| vesting(0, 0, 400 * SECOND, 4, rt), &[400, 400]);
    w.fund_exactly();
    w.rt.advance(200 * SECOND);
    let now = w.rt.now.get();
    // Both claims recorded and sent, no reply yet.
    let a = w.d(|d| d.start_claim(user(1), now)).expect("records");
    let b = w.d(|d| d.start_claim(user(2), now)).expect("records");
    let (_, arg_a) = w.d(|d| d.begin_send(a)).expect("sends");
    let (_, _arg_b) = w.d(|d| d.begin_send(b)).expect("sends");
    assert!(w.d(|d| d.begin_send(a)).is_none(), "never two sends of one transfer at once");
    w.cancel(owner()).expect("cancels");
    w.assert_invariants();
    // a executes; b is refused by the ledger.
    let outcome = block_on(crate::runtime::Runtime::icrc1_transfer(&w.rt, w.rt.ledger_id, arg_a));
    let (_, verdict) = w.d(|d| d.settle(a, outcome, now)).expect("settles");
    assert!(matches!(verdict, SendVerdict::Executed { .. }));
    let refused = Ok(Err(icrc_ledger_types::icrc1::transfer::TransferError::TemporarilyUnavailable));
    let (_, verdict) = w.d(|d| d.settle(b, refused, now)).expect("settles");
    assert!(matches!(verdict, SendVerdict::Refused { .. }));
    w.assert_invariants();
    assert_eq!(w.claim(user(2)).expect("claims again").amount, Nat::from(200u32));
    assert_eq!((w.paid_to(user(1)), w.paid_to(user(2))), (200, 200));
    assert_eq!(w.rt.balance(w.rt.me), 0);
    w.assert_invariants();
}
