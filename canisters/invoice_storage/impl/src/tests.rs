//! Native tests of invoice_storage's logic over `VectorMemory`, and of its candid interface against the .did file.

use crate::state::{InvoiceState, SCHEMA_VERSION};
use candid::{Nat, Principal};
use fleet_api::{FleetError, PageRequest};
use ic_stable_structures::VectorMemory;
use invoice_storage_api::{Invoice, InvoiceStatus, InvoiceTransition, RecordPaymentArgs, MAX_REASON_BYTES};
use service_base::testing::{backend, controller, facts, installed_with_backend, principal, stranger, BACKEND};
use service_base::{Caller, StorageState};
use InvoiceStatus::*;

mod retries;

const LEDGER: u8 = 3;
const ALICE: u8 = 10;
const BOB: u8 = 11;
const TOKEN: u8 = 20;

fn storage() -> InvoiceState<VectorMemory> {
    installed_with_backend(InvoiceState::init(VectorMemory::default()))
}

fn payment(user: u8, request_id: Option<u64>) -> RecordPaymentArgs {
    RecordPaymentArgs {
        user: principal(user),
        service: "token_factory".into(),
        amount: Nat::from(100_000_000u64),
        ledger: principal(LEDGER),
        request_id,
    }
}

fn paid(block: u64) -> InvoiceTransition {
    InvoiceTransition::Paid { block_index: Nat::from(block) }
}

fn completed() -> InvoiceTransition {
    InvoiceTransition::Completed { contract: principal(TOKEN) }
}

fn reason(text: &str) -> String {
    text.to_string()
}

fn refunded(block: u64) -> InvoiceTransition {
    InvoiceTransition::Refunded { block_index: Nat::from(block), amount: Nat::from(99_990_000u64) }
}

/// Creates an invoice and drives it through `transitions`.
fn invoice_through(state: &mut InvoiceState<VectorMemory>, transitions: &[InvoiceTransition]) -> Invoice {
    let mut invoice = state.record_payment(&backend(), payment(ALICE, None), 10).unwrap();
    for (n, transition) in transitions.iter().enumerate() {
        invoice = state.update_status(&backend(), invoice.id, transition.clone(), 20 + n as u64).unwrap();
    }
    invoice
}

fn ids(page: &fleet_api::Page<Invoice>) -> Vec<u64> {
    page.items.iter().map(|invoice| invoice.id).collect()
}

#[test]
fn the_happy_path_pending_paid_completed_is_recorded_with_history() {
    let mut state = storage();
    let invoice = state.record_payment(&backend(), payment(ALICE, Some(1)), 10).unwrap();
    assert_eq!((invoice.id, invoice.status, invoice.created_at), (0, Pending, 10));
    assert_eq!(invoice.recorded_by, principal(BACKEND));
    let invoice = state.update_status(&backend(), 0, paid(42), 20).unwrap();
    assert_eq!((invoice.status, invoice.payment_block.clone()), (Paid, Some(Nat::from(42u8))));
    let invoice = state.update_status(&backend(), 0, completed(), 30).unwrap();
    assert_eq!((invoice.status, invoice.contract, invoice.updated_at), (Completed, Some(principal(TOKEN)), 30));
    assert_eq!(state.invoice(&controller(), 0).unwrap(), invoice);

    let history = state.history(&controller(), 0, PageRequest::default()).unwrap();
    let steps: Vec<_> = history.items.iter().map(|c| (c.seq, c.from, c.to, c.at)).collect();
    assert_eq!(steps, vec![(2, Some(Paid), Completed, 30), (1, Some(Pending), Paid, 20), (0, None, Pending, 10)]);
    assert_eq!(history.items[0].transition, Some(completed()));
    assert!(history.items.iter().all(|c| c.by == principal(BACKEND) && c.invoice_id == 0));
}

#[test]
fn refund_paths_follow_the_machine_and_count_failed_attempts() {
    let mut state = storage();
    let invoice = invoice_through(
        &mut state,
        &[
            paid(1),
            InvoiceTransition::Refunding { reason: reason("factory failed") },
            InvoiceTransition::RefundFailed { reason: reason("ledger unreachable") },
            InvoiceTransition::RefundFailed { reason: reason("ledger unreachable again") },
            InvoiceTransition::Refunding { reason: reason("retry") },
            refunded(7),
        ],
    );
    assert_eq!(invoice.status, Refunded);
    assert_eq!(invoice.failed_refund_attempts, 2);
    assert_eq!(invoice.refund_block, Some(Nat::from(7u8)));
    assert_eq!(invoice.refunded_amount, Some(Nat::from(99_990_000u64)));
    assert_eq!(state.history(&controller(), invoice.id, PageRequest::default()).unwrap().total, 7);

    // Paid straight to Refunded, and Pending to Failed, are arrows too.
    assert_eq!(invoice_through(&mut state, &[paid(2), refunded(8)]).status, Refunded);
    let failed = invoice_through(&mut state, &[InvoiceTransition::Failed { reason: reason("insufficient funds") }]);
    assert_eq!((failed.status, failed.failure_reason.as_deref()), (Failed, Some("insufficient funds")));
}

#[test]
fn every_transition_outside_the_machine_is_refused_and_changes_nothing() {
    let transitions = [
        paid(1),
        InvoiceTransition::Failed { reason: reason("x") },
        completed(),
        InvoiceTransition::Refunding { reason: reason("x") },
        refunded(1),
        InvoiceTransition::RefundFailed { reason: reason("x") },
    ];
    // A path to reach each status.
    let reach: Vec<(InvoiceStatus, Vec<InvoiceTransition>)> = vec![
        (Pending, vec![]),
        (Paid, vec![paid(9)]),
        (Failed, vec![InvoiceTransition::Failed { reason: reason("no funds") }]),
        (Completed, vec![paid(9), InvoiceTransition::Completed { contract: principal(21) }]),
        (Refunding, vec![paid(9), InvoiceTransition::Refunding { reason: reason("r") }]),
        (Refunded, vec![paid(9), refunded(9)]),
        (RefundFailed, vec![paid(9), InvoiceTransition::RefundFailed { reason: reason("r") }]),
    ];
    let mut refused = 0;
    for (from, path) in &reach {
        for transition in &transitions {
            let mut state = storage();
            let before = invoice_through(&mut state, path);
            assert_eq!(before.status, *from);
            let history_before = state.history(&controller(), before.id, PageRequest::default()).unwrap();
            let result = state.update_status(&backend(), before.id, transition.clone(), 1_000);
            if from.may_become(transition.target()) {
                assert!(result.is_ok(), "{from:?} -> {transition:?} refused: {result:?}");
                continue;
            }
            refused += 1;
            assert!(matches!(result, Err(FleetError::InvalidState(_))), "{from:?} -> {transition:?}: {result:?}");
            assert_eq!(state.invoice(&controller(), before.id).unwrap(), before);
            assert_eq!(state.history(&controller(), before.id, PageRequest::default()).unwrap(), history_before);
            assert_eq!(state.status_count(*from), 1);
        }
    }
    assert!(refused >= 25, "only {refused} refusals checked");
}

#[test]
fn repeating_the_last_transition_with_the_same_data_is_an_idempotent_retry() {
    let mut state = storage();
    let invoice = invoice_through(&mut state, &[paid(5)]);
    let again = state.update_status(&backend(), invoice.id, paid(5), 99).unwrap();
    assert_eq!(again, invoice, "a retried Paid changed the invoice");
    assert_eq!(state.history(&controller(), invoice.id, PageRequest::default()).unwrap().total, 2);
    // The same status with other data is a conflict, not a retry.
    assert!(matches!(state.update_status(&backend(), invoice.id, paid(6), 99), Err(FleetError::InvalidState(_))));
    let done = state.update_status(&backend(), invoice.id, completed(), 100).unwrap();
    assert_eq!(state.update_status(&backend(), invoice.id, completed(), 101).unwrap(), done);
    let other_contract = InvoiceTransition::Completed { contract: principal(77) };
    assert!(matches!(
        state.update_status(&backend(), invoice.id, other_contract, 102),
        Err(FleetError::InvalidState(_))
    ));
}

#[test]
fn record_payment_is_safe_to_retry_with_a_request_id() {
    let mut state = storage();
    let first = state.record_payment(&backend(), payment(ALICE, Some(77)), 10).unwrap();
    let retry = state.record_payment(&backend(), payment(ALICE, Some(77)), 11).unwrap();
    assert_eq!(first, retry);
    assert_eq!(state.invoice_count(), 1);
    // Same key, different payment: refused.
    assert!(matches!(state.record_payment(&backend(), payment(BOB, Some(77)), 12), Err(FleetError::InvalidInput(_))));
    // Without a key, or with another key, a new invoice.
    assert_eq!(state.record_payment(&backend(), payment(ALICE, None), 13).unwrap().id, 1);
    assert_eq!(state.record_payment(&backend(), payment(ALICE, Some(78)), 14).unwrap().id, 2);
    // Keys are per writer.
    state.access_mut().add_writer(&controller(), principal(4), 0).unwrap();
    assert_eq!(state.record_payment(&Caller::user(principal(4)), payment(ALICE, Some(77)), 15).unwrap().id, 3);
}

#[test]
fn only_whitelisted_writers_create_or_update_invoices() {
    let mut state = storage();
    let invoice = state.record_payment(&backend(), payment(ALICE, None), 10).unwrap();
    for caller in [stranger(), controller(), Caller::user(principal(ALICE))] {
        assert!(matches!(state.record_payment(&caller, payment(ALICE, None), 11), Err(FleetError::Unauthorized(_))));
        assert!(matches!(state.update_status(&caller, invoice.id, paid(1), 11), Err(FleetError::Unauthorized(_))));
    }
    assert_eq!(state.invoice_count(), 1);
    assert_eq!(state.invoice(&controller(), invoice.id).unwrap().status, Pending);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let mut state = storage();
    let mut bad = vec![];
    let mut p = payment(ALICE, None);
    p.user = Principal::anonymous();
    bad.push(("anonymous user", p));
    let mut p = payment(ALICE, None);
    p.amount = Nat::from(0u8);
    bad.push(("zero amount", p));
    let mut p = payment(ALICE, None);
    p.service = "Token Factory".into();
    bad.push(("bad service", p));
    let mut p = payment(ALICE, None);
    p.service = "a".repeat(65);
    bad.push(("long service", p));
    let mut p = payment(ALICE, None);
    p.ledger = Principal::anonymous();
    bad.push(("anonymous ledger", p));
    for (what, args) in bad {
        assert!(matches!(state.record_payment(&backend(), args, 1), Err(FleetError::InvalidInput(_))), "{what}");
    }
    assert_eq!(state.invoice_count(), 0);

    let invoice = invoice_through(&mut state, &[paid(1)]);
    let bad_transitions = [
        InvoiceTransition::Refunding { reason: String::new() },
        InvoiceTransition::RefundFailed { reason: "x".repeat(MAX_REASON_BYTES + 1) },
        InvoiceTransition::Completed { contract: Principal::anonymous() },
        InvoiceTransition::Refunded { block_index: Nat::from(1u8), amount: Nat::from(0u8) },
        // More than was paid.
        InvoiceTransition::Refunded { block_index: Nat::from(1u8), amount: Nat::from(100_000_001u64) },
    ];
    for transition in bad_transitions {
        let result = state.update_status(&backend(), invoice.id, transition.clone(), 5);
        assert!(matches!(result, Err(FleetError::InvalidInput(_))), "{transition:?}: {result:?}");
    }
    assert_eq!(state.invoice(&controller(), invoice.id).unwrap(), invoice);
    assert!(matches!(state.update_status(&backend(), 999, paid(1), 5), Err(FleetError::NotFound(_))));
}

#[test]
fn queries_per_user_and_per_status_page_newest_first() {
    let mut state = storage();
    for n in 0..12u64 {
        let user = if n % 2 == 0 { ALICE } else { BOB };
        let invoice = state.record_payment(&backend(), payment(user, None), n).unwrap();
        if n % 3 == 0 {
            state.update_status(&backend(), invoice.id, paid(n), n).unwrap();
        }
    }
    let alice = state.invoices_by_user(&controller(), principal(ALICE), PageRequest::new(0, 4)).unwrap();
    assert_eq!(ids(&alice), vec![10, 8, 6, 4]);
    assert_eq!((alice.total, alice.next_offset), (6, Some(4)));
    let paid_page = state.invoices_by_status(&controller(), Paid, PageRequest::new(1, 2)).unwrap();
    assert_eq!(ids(&paid_page), vec![6, 3]);
    assert_eq!((paid_page.total, paid_page.next_offset), (4, Some(3)));
    let pending = state.invoices_by_status(&backend(), Pending, PageRequest::default()).unwrap();
    assert_eq!(pending.total, 8);
    assert!(pending.items.iter().all(|invoice| invoice.status == Pending));
    let past_end = state.invoices_by_status(&controller(), Pending, PageRequest::new(8, 10)).unwrap();
    assert!(past_end.items.is_empty() && past_end.next_offset.is_none());
    let counts = state.status_counts();
    assert_eq!(counts.iter().map(|c| c.count).sum::<u64>(), 12);
}

#[test]
fn users_read_only_their_own_invoices() {
    let mut state = storage();
    let alices = state.record_payment(&backend(), payment(ALICE, None), 1).unwrap();
    let bobs = state.record_payment(&backend(), payment(BOB, None), 2).unwrap();
    let alice = Caller::user(principal(ALICE));
    assert_eq!(state.invoice(&alice, alices.id).unwrap(), alices);
    assert!(state.history(&alice, alices.id, PageRequest::default()).is_ok());
    assert!(matches!(state.invoice(&alice, bobs.id), Err(FleetError::Unauthorized(_))));
    assert!(matches!(state.history(&alice, bobs.id, PageRequest::default()), Err(FleetError::Unauthorized(_))));
    assert!(matches!(state.invoice(&alice, 99), Err(FleetError::Unauthorized(_))));
    assert!(matches!(state.invoice(&controller(), 99), Err(FleetError::NotFound(_))));
    assert_eq!(ids(&state.invoices_by_user(&alice, principal(ALICE), PageRequest::default()).unwrap()), vec![0]);
    assert!(matches!(
        state.invoices_by_user(&alice, principal(BOB), PageRequest::default()),
        Err(FleetError::Unauthorized(_))
    ));
    assert!(matches!(
        state.invoices_by_status(&alice, Pending, PageRequest::default()),
        Err(FleetError::Unauthorized(_))
    ));
}

#[test]
fn health_checks_the_indexes_and_setup_reports_the_missing_whitelist() {
    let facts = facts(3);
    let mut state = InvoiceState::init(VectorMemory::default());
    state.mark_fresh_install();
    assert!(!state.setup_status(principal(50)).ready);
    state.access_mut().add_writer(&controller(), principal(BACKEND), 0).unwrap();
    assert!(state.setup_status(principal(50)).ready);
    invoice_through(&mut state, &[paid(1), InvoiceTransition::RefundFailed { reason: reason("down") }]);
    let health = state.health(&facts);
    assert!(health.healthy, "{}", health.message);
    assert!(health.message.contains("1 refund failed"), "{}", health.message);
    // A corrupted count is reported.
    state.status_counts.insert(Pending.code(), 5);
    assert!(!state.health(&facts).healthy);
}

#[test]
fn state_survives_reopening_the_same_memory() {
    let memory = VectorMemory::default();
    {
        let mut state = InvoiceState::init(memory.clone());
        state.mark_fresh_install();
        state.access_mut().add_writer(&controller(), principal(BACKEND), 0).unwrap();
        invoice_through(&mut state, &[paid(1)]);
        state.record_payment(&backend(), payment(BOB, Some(5)), 3).unwrap();
    }
    let mut state = InvoiceState::init(memory);
    assert!(state.migrate().unwrap().applied.is_empty());
    assert_eq!(state.schema_version(), SCHEMA_VERSION);
    assert_eq!(state.invoice_count(), 2);
    assert_eq!(state.status_count(Paid), 1);
    // The request id map survived: a retry still finds the invoice.
    assert_eq!(state.record_payment(&backend(), payment(BOB, Some(5)), 9).unwrap().id, 1);
    assert_eq!(state.update_status(&backend(), 0, completed(), 10).unwrap().status, Completed);
}

#[test]
fn migration_refuses_memory_from_a_newer_release() {
    let mut state = InvoiceState::init(VectorMemory::default());
    state.core.set_schema_version(SCHEMA_VERSION + 1);
    assert!(matches!(state.migrate(), Err(FleetError::InvalidState(_))));
}

#[test]
fn candid_interface_matches_the_did_file() {
    did_check::assert_did_matches_code("invoice_storage.did", &crate::__export_service(), invoice_storage_api::DID);
}

#[test]
fn the_ingress_table_lists_exactly_the_update_methods_of_the_did() {
    did_check::assert_ingress_covers_updates(crate::endpoints::INGRESS, invoice_storage_api::DID);
    // Nobody calls a storage anonymously.
    assert!(crate::endpoints::INGRESS.iter().all(|rule| !rule.anonymous_allowed));
}
