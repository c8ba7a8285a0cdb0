//! Transfers whose reply is lost, refused, or re-sent: every claim is paid at most once, a refused one is claimable
//! again, an unknown one is re-sent identically until the ledger answers.

use super::*;
use crate::books::Status;
use crate::fake_runtime::{Fault, DAY};
use distribution_api::TransferState;

fn airdrop() -> World {
    let w = World::new(|_| Schedule::Airdrop, &[1_000, 2_000]);
    w.fund_exactly();
    w
}

fn state_of(w: &World, id: u64) -> TransferState {
    w.d(|d| d.transfer(id)).expect("recorded").state
}

#[test]
fn a_refused_transfer_restores_the_claim_and_nothing_moves() {
    let w = airdrop();
    for fault in [Fault::Rejected, Fault::TemporarilyUnavailable] {
        w.rt.fault_next(fault);
        let error = w.claim(user(1)).expect_err("refused");
        assert!(
            matches!(&error, FleetError::CallFailed { reason, .. } if reason.contains("claimable again")),
            "{error:?}"
        );
        assert_eq!(w.claimed(user(1)), 0);
        assert_eq!(w.paid_to(user(1)), 0);
        w.assert_invariants();
    }
    assert!(!w.d(|d| d.has_pending()));
    assert_eq!(w.claim(user(1)).expect("claims").amount, Nat::from(1_000u32));
    assert_eq!(w.paid_to(user(1)), 1_000);
    w.assert_invariants();
}

#[test]
fn a_lost_reply_of_an_executed_transfer_is_resent_identically_and_paid_once() {
    let w = airdrop();
    w.rt.fault_next(Fault::ExecutedReplyLost);
    let error = w.claim(user(1)).expect_err("unknown outcome");
    assert!(matches!(&error, FleetError::CallFailed { reason, .. } if reason.contains("re-sent identically")));
    // Recorded as claimed: a second claim has nothing to claim.
    assert_state_error(w.claim(user(1)), "nothing to claim");
    assert_eq!(state_of(&w, 0), TransferState::Pending);
    w.assert_invariants();
    assert!(!w.resend(), "the re-send is deduplicated and settles it");
    assert!(matches!(state_of(&w, 0), TransferState::Executed { block_index } if block_index == 1u8));
    assert_eq!(w.paid_to(user(1)), 1_000);
    w.assert_invariants();
}

#[test]
fn a_lost_send_that_never_executed_is_executed_once_by_the_resend() {
    let w = airdrop();
    w.rt.fault_next(Fault::NotExecutedReplyLost);
    w.claim(user(2)).expect_err("unknown outcome");
    assert_eq!(w.paid_to(user(2)), 0);
    // A re-send that is rejected outright proves nothing after an unknown outcome: still pending.
    w.rt.fault_next(Fault::Rejected);
    assert!(w.resend());
    assert_eq!(state_of(&w, 0), TransferState::Pending);
    w.rt.fault_next(Fault::TemporarilyUnavailable);
    assert!(w.resend());
    assert!(!w.resend());
    assert_eq!(w.paid_to(user(2)), 2_000);
    w.assert_invariants();
}

#[test]
fn past_the_deduplication_window_an_unknown_transfer_needs_an_operator_and_stays_reserved() {
    let w = airdrop();
    w.rt.fault_next(Fault::ExecutedReplyLost);
    w.claim(user(1)).expect_err("unknown outcome");
    w.rt.advance(2 * DAY);
    assert!(!w.resend(), "no longer re-sent");
    assert!(matches!(state_of(&w, 0), TransferState::NeedsOperator { .. }));
    assert!(w.d(|d| d.check_books(w.rt.now.get())).is_err(), "health is not ok");
    assert_state_error(w.claim(user(1)), "nothing to claim");
    assert_eq!(w.paid_to(user(1)), 1_000);
    // The other recipient is unaffected, and the transfer's amount is never released to the owner.
    w.claim(user(2)).expect("claims");
    assert_ne!(w.status(), Status::Completed);
    w.assert_invariants();
}

#[test]
fn a_fee_change_refuses_a_first_send_cleanly_but_a_resend_is_left_to_an_operator() {
    let w = airdrop();
    w.rt.ledger.borrow_mut().fee = FEE + 1;
    w.claim(user(1)).expect_err("BadFee");
    assert_eq!(w.claimed(user(1)), 0);
    w.rt.fault_next(Fault::NotExecutedReplyLost);
    w.claim(user(2)).expect_err("unknown");
    assert!(!w.resend());
    let pending: Vec<_> = (0..2).map(|id| state_of(&w, id)).collect();
    assert!(matches!(pending[1], TransferState::NeedsOperator { .. }), "{pending:?}");
    w.assert_invariants();
}

#[test]
fn an_upgrade_while_a_send_was_open_resends_it() {
    let w = airdrop();
    let now = w.rt.now.get();
    let id = w.d(|d| d.start_claim(user(1), now)).expect("records");
    w.d(|d| d.begin_send(id)).expect("sends");
    // The upgrade: the heap (with the send awaiting its reply) is gone, the stable books remain.
    let before = w.d(|d| d.books().clone());
    w.upgrade();
    assert_eq!(w.d(|d| d.books().clone()), before);
    assert_eq!(w.d(|d| d.resendable(10)), vec![id]);
    assert!(!w.resend());
    assert_eq!(w.paid_to(user(1)), 1_000);
    w.assert_invariants();
}
