//! Re-sends. The backend's outbox re-sends a write whose reply it lost (it cannot know whether the first one was
//! applied), and treats InvalidInput/InvalidState/NotFound/AlreadyExists as "wrong forever" (dead letter). So a
//! re-send of a write that succeeded must answer Ok with the invoice and record nothing, and a key reused for another
//! payment must be refused as wrong.

use super::*;

fn refunding(why: &str) -> InvoiceTransition {
    InvoiceTransition::Refunding { reason: reason(why) }
}

fn refund_failed(why: &str) -> InvoiceTransition {
    InvoiceTransition::RefundFailed { reason: reason(why) }
}

/// Everything a re-send must leave alone.
fn snapshot(
    state: &InvoiceState<VectorMemory>,
    id: u64,
) -> (Invoice, fleet_api::Page<invoice_storage_api::StatusChange>, Vec<u64>) {
    let invoice = state.invoice(&controller(), id).unwrap();
    let history = state.history(&controller(), id, PageRequest::new(0, 500)).unwrap();
    let counts = state.status_counts().iter().map(|c| c.count).collect();
    (invoice, history, counts)
}

#[test]
fn every_transition_the_backend_sends_is_safe_to_resend_after_it_succeeded() {
    // Each of the backend's steps (see backend deployment/steps.rs), after the path that leads to it.
    let steps: Vec<(Vec<InvoiceTransition>, InvoiceTransition)> = vec![
        (vec![], InvoiceTransition::Failed { reason: reason("insufficient funds") }),
        (vec![], paid(3)),
        (vec![paid(3)], completed()),
        (vec![paid(3)], refunding("factory refused")),
        // Nothing to refund (fee below the ledger fee): Paid straight to RefundFailed.
        (vec![paid(3)], refund_failed("fee does not cover the ledger fee")),
        (vec![paid(3), refunding("factory refused")], refund_failed("ledger unavailable")),
        (vec![paid(3), refunding("factory refused")], refunded(8)),
        (vec![paid(3), refunding("factory refused"), refund_failed("ledger unavailable")], refunding("refund retry 2")),
        (
            vec![
                paid(3),
                refunding("factory refused"),
                refund_failed("ledger unavailable"),
                refunding("refund retry 2"),
            ],
            refunded(9),
        ),
        (vec![paid(3)], refunded(8)),
    ];
    for (path, step) in steps {
        let mut state = storage();
        let invoice = invoice_through(&mut state, &path);
        let applied = state.update_status(&backend(), invoice.id, step.clone(), 500).unwrap();
        let before = snapshot(&state, invoice.id);
        for (n, at) in [600u64, 700, 800].into_iter().enumerate() {
            let resent = state.update_status(&backend(), invoice.id, step.clone(), at);
            assert_eq!(resent.as_ref(), Ok(&applied), "re-send {n} of {step:?} after {path:?}");
            assert_eq!(
                snapshot(&state, invoice.id),
                before,
                "re-send {n} of {step:?} after {path:?} recorded something"
            );
        }
    }
}

#[test]
fn a_resent_refund_failed_is_a_repeat_and_a_new_reason_is_another_failed_attempt() {
    let mut state = storage();
    let invoice = invoice_through(&mut state, &[paid(1), refunding("factory refused"), refund_failed("ledger down")]);
    assert_eq!(invoice.failed_refund_attempts, 1);
    let again = state.update_status(&backend(), invoice.id, refund_failed("ledger down"), 900).unwrap();
    assert_eq!(again, invoice);
    assert_eq!((again.failed_refund_attempts, again.updated_at), (1, invoice.updated_at));
    // A writer recording another failed attempt without going through Refunding says what is new about it.
    let second = state.update_status(&backend(), invoice.id, refund_failed("ledger down (attempt 2)"), 901).unwrap();
    assert_eq!((second.failed_refund_attempts, second.status), (2, RefundFailed));
    assert_eq!(state.history(&controller(), invoice.id, PageRequest::default()).unwrap().total, 5);
    // Going through Refunding, the same reason again is a new attempt: the status it repeats is not the current one.
    state.update_status(&backend(), invoice.id, refunding("refund retry 3"), 902).unwrap();
    let third = state.update_status(&backend(), invoice.id, refund_failed("ledger down"), 903).unwrap();
    assert_eq!(third.failed_refund_attempts, 3);
}

#[test]
fn a_paid_resent_after_the_invoice_moved_on_is_a_repeat_not_a_conflict() {
    let mut state = storage();
    let invoice = invoice_through(&mut state, &[paid(5), completed()]);
    let before = snapshot(&state, invoice.id);
    assert_eq!(state.update_status(&backend(), invoice.id, paid(5), 900), Ok(invoice.clone()));
    assert_eq!(snapshot(&state, invoice.id), before);
    // Another block is a conflict: the invoice was paid in block 5.
    assert!(matches!(state.update_status(&backend(), invoice.id, paid(6), 900), Err(FleetError::InvalidState(_))));
    let refunded_one = invoice_through(&mut state, &[paid(7), refunding("factory refused"), refunded(8)]);
    assert_eq!(state.update_status(&backend(), refunded_one.id, paid(7), 900), Ok(refunded_one));
}

#[test]
fn a_request_id_reused_for_a_different_payment_is_invalid_input_and_creates_nothing() {
    let mut state = storage();
    let first = state.record_payment(&backend(), payment(ALICE, Some(77)), 10).unwrap();
    let variants = [
        ("user", RecordPaymentArgs { user: principal(BOB), ..payment(ALICE, Some(77)) }),
        ("amount", RecordPaymentArgs { amount: Nat::from(1u8), ..payment(ALICE, Some(77)) }),
        ("service", RecordPaymentArgs { service: "dao_factory".into(), ..payment(ALICE, Some(77)) }),
        ("ledger", RecordPaymentArgs { ledger: principal(4), ..payment(ALICE, Some(77)) }),
    ];
    for (what, args) in variants {
        let result = state.record_payment(&backend(), args, 11);
        assert!(matches!(result, Err(FleetError::InvalidInput(_))), "another {what} under the same key: {result:?}");
    }
    assert_eq!(state.invoice_count(), 1);
    assert_eq!(state.invoice(&controller(), first.id).unwrap(), first);
}

#[test]
fn a_repeated_record_payment_returns_the_invoice_as_it_stands_so_the_writer_sees_it_is_not_fresh() {
    let mut state = storage();
    let created = state.record_payment(&backend(), payment(ALICE, Some(3)), 10).unwrap();
    state.update_status(&backend(), created.id, paid(4), 20).unwrap();
    state.update_status(&backend(), created.id, completed(), 30).unwrap();
    // E.g. a reinstalled backend whose request ids start again at 0.
    let replay = state.record_payment(&backend(), payment(ALICE, Some(3)), 40).unwrap();
    assert_eq!(replay.id, created.id);
    assert_eq!(
        (replay.status, replay.payment_block, replay.contract),
        (Completed, Some(Nat::from(4u8)), Some(principal(TOKEN)))
    );
    assert_eq!(
        (replay.user, replay.amount.clone(), replay.service.as_str()),
        (created.user, created.amount, "token_factory")
    );
    assert_eq!(
        (replay.ledger, replay.request_id, replay.recorded_by),
        (principal(LEDGER), Some(3), principal(BACKEND))
    );
    // Its creation time is the first call's, not the replay's.
    assert_eq!((replay.created_at, replay.updated_at), (10, 30));
}
