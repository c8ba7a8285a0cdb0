//! Lost replies, rejects, fee changes and the deduplication window: every contribution and transfer is taken or
//! paid exactly once, re-sent with identical arguments.

use super::*;
use crate::fake_runtime::{Fault, DAY};
use launchpad_api::TransferState;

#[test]
fn a_contribution_whose_reply_was_lost_is_re_sent_identically_and_counted_once() {
    for fault in [Fault::ExecutedReplyLost, Fault::NotExecutedReplyLost] {
        let w = World::new();
        w.fund_and_open();
        w.rt.fault_next(fault);
        assert!(matches!(w.contribute(user(1), 700), Err(FleetError::CallFailed { .. })));
        let first = w.l(|l| l.contribution(0)).expect("recorded");
        assert_eq!((first.state.clone(), first.attempts), (TransferState::Pending, 1));
        assert_eq!(w.info().reserved, Nat::from(700u32));
        w.rt.advance(10 * SECOND);
        assert!(!w.resend());
        let settled = w.l(|l| l.contribution(0)).expect("recorded");
        assert!(matches!(settled.state, TransferState::Executed { .. }), "{fault:?}: {settled:?}");
        assert_eq!(settled.created_at_time, first.created_at_time, "re-sent identically");
        assert_eq!(w.rt.payment.borrow().payments(user(1), w.rt.me), 1, "{fault:?}: taken once");
        assert_eq!((w.info().raised, w.info().reserved), (Nat::from(700u32), Nat::from(0u8)));
        w.assert_invariants();
    }
}

#[test]
fn a_rejected_or_unavailable_contribution_is_released() {
    for fault in [Fault::Rejected, Fault::TemporarilyUnavailable] {
        let w = World::new();
        w.fund_and_open();
        w.rt.fault_next(fault);
        assert!(w.contribute(user(1), 700).is_err());
        let info = w.info();
        assert_eq!((info.raised, info.reserved, info.buyers), (Nat::from(0u8), Nat::from(0u8), 0), "{fault:?}");
        w.contribute(user(1), 2_000).expect("the whole maximum is free again");
    }
}

#[test]
fn a_claim_whose_reply_was_lost_is_paid_once() {
    let w = World::new();
    w.fund_and_open();
    w.contribute(user(1), 2_000).expect("contributes");
    w.end();
    w.rt.fault_next(Fault::ExecutedReplyLost);
    assert!(matches!(w.claim(user(1)), Err(FleetError::CallFailed { .. })));
    assert_state_error(w.claim(user(1)), "nothing to claim");
    w.upgrade();
    w.rt.advance(60 * SECOND);
    assert!(!w.resend());
    assert_eq!(w.paid_by_sale(user(1)), 5_000 - SALE_FEE);
    assert_eq!(w.rt.sale.borrow().payments(w.rt.me, user(1)), 1);
    w.assert_invariants();
}

#[test]
fn a_fee_change_refuses_the_first_send_and_the_next_claim_uses_the_new_fee() {
    let w = World::new();
    w.fund_and_open();
    w.contribute(user(1), 2_000).expect("contributes");
    w.end();
    w.rt.sale.borrow_mut().fee = 20;
    assert!(matches!(w.claim(user(1)), Err(FleetError::CallFailed { reason, .. }) if reason.contains("BadFee")));
    assert_eq!(w.info().sale_fee, Some(Nat::from(20u8)));
    let t = w.claim(user(1)).expect("claims with the new fee");
    assert_eq!((t.amount, t.fee), (Nat::from(5_000 - 20u32), Nat::from(20u8)));
    w.assert_invariants();
}

#[test]
fn a_re_send_past_the_deduplication_window_needs_an_operator() {
    let w = World::new();
    w.fund_and_open();
    w.contribute(user(1), 2_000).expect("contributes");
    w.end();
    w.rt.fault_next(Fault::NotExecutedReplyLost);
    assert!(w.claim(user(1)).is_err());
    w.rt.advance(2 * DAY);
    w.resend();
    let t = w.l(|l| l.transfers_page(Default::default())).items.into_iter().find(|t| t.amount == 4_990u32);
    assert!(matches!(t.map(|t| t.state), Some(TransferState::NeedsOperator { .. })));
    assert!(w.l(|l| l.check_books(0)).is_err(), "health reports it");
    assert_eq!(w.paid_by_sale(user(1)), 0);
    // Its amount stays reserved: the buyer cannot claim it a second time.
    assert_state_error(w.claim(user(1)), "nothing to claim");
}
