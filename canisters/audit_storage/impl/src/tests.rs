//! Native tests of audit_storage's logic over `VectorMemory`, and of its candid interface against the .did file.

use crate::state::{AuditState, SCHEMA_VERSION};
use audit_storage_api::{AuditAction, AuditEvent, AuditOutcome, LogEventArgs, TimeRange, MAX_METADATA_BYTES};
use candid::Principal;
use fleet_api::{FleetError, PageRequest};
use ic_stable_structures::VectorMemory;
use service_base::testing::{backend, controller, facts, installed_with_backend, principal, stranger, BACKEND};
use service_base::{Caller, StorageState};

const OTHER_WRITER: u8 = 3;
const ALICE: u8 = 10;
const BOB: u8 = 11;
const TOKEN: u8 = 20;

/// A fresh canister with the backend whitelisted.
fn storage() -> AuditState<VectorMemory> {
    installed_with_backend(AuditState::init(VectorMemory::default()))
}

fn event(user: u8, action: AuditAction) -> LogEventArgs {
    LogEventArgs {
        user: principal(user),
        action,
        service: "token_factory".into(),
        contract: None,
        invoice_id: None,
        outcome: AuditOutcome::Success,
        metadata: String::new(),
        request_id: None,
    }
}

fn ids(page: &fleet_api::Page<AuditEvent>) -> Vec<u64> {
    page.items.iter().map(|e| e.id).collect()
}

#[test]
fn a_logged_event_gets_id_timestamp_and_writer_from_the_storage() {
    let mut state = storage();
    let mut args = event(ALICE, AuditAction::ContractDeployed);
    args.contract = Some(principal(TOKEN));
    args.invoice_id = Some(7);
    args.metadata = "Token: MyToken (MTK)".into();
    let id = state.log_event(&backend(), args.clone(), 1_000).unwrap();
    assert_eq!(id, 0);
    let stored = state.event(&controller(), 0).unwrap();
    assert_eq!(stored.timestamp, 1_000);
    assert_eq!(stored.recorded_by, principal(BACKEND));
    assert_eq!((stored.user, stored.contract, stored.invoice_id), (args.user, args.contract, args.invoice_id));
    assert_eq!(stored.metadata, args.metadata);
    assert_eq!(state.event_count(), 1);
    assert_eq!(state.log_event(&backend(), event(BOB, AuditAction::PaymentReceived), 2_000), Ok(1));
}

#[test]
fn only_whitelisted_writers_log_and_a_refusal_writes_nothing() {
    let mut state = storage();
    for caller in [stranger(), controller(), Caller::user(principal(ALICE))] {
        let result = state.log_event(&caller, event(ALICE, AuditAction::PaymentReceived), 5);
        assert!(matches!(result, Err(FleetError::Unauthorized(_))), "{caller:?} could log");
    }
    assert_eq!(state.event_count(), 0);
    // Once removed from the whitelist, the backend can no longer write.
    state.access_mut().remove_writer(&controller(), principal(BACKEND)).unwrap();
    assert!(matches!(
        state.log_event(&backend(), event(ALICE, AuditAction::PaymentReceived), 5),
        Err(FleetError::Unauthorized(_))
    ));
}

#[test]
fn invalid_events_are_rejected_and_write_nothing() {
    let mut state = storage();
    let mut bad = vec![];
    let mut e = event(ALICE, AuditAction::PaymentReceived);
    e.user = Principal::anonymous();
    bad.push(("anonymous user", e));
    let mut e = event(ALICE, AuditAction::PaymentReceived);
    e.service = String::new();
    bad.push(("empty service", e));
    let mut e = event(ALICE, AuditAction::PaymentReceived);
    e.service = "Token Factory!".into();
    bad.push(("bad service", e));
    let mut e = event(ALICE, AuditAction::PaymentReceived);
    e.metadata = "x".repeat(MAX_METADATA_BYTES + 1);
    bad.push(("metadata too long", e));
    let mut e = event(ALICE, AuditAction::PaymentReceived);
    e.outcome = AuditOutcome::Failure(String::new());
    bad.push(("empty failure", e));
    let mut e = event(ALICE, AuditAction::PaymentReceived);
    e.outcome = AuditOutcome::Failure("x".repeat(5000));
    bad.push(("failure too long", e));
    let mut e = event(ALICE, AuditAction::PaymentReceived);
    e.contract = Some(Principal::anonymous());
    bad.push(("anonymous contract", e));
    bad.push(("empty Other", event(ALICE, AuditAction::Other(String::new()))));
    bad.push(("long Other", event(ALICE, AuditAction::Other("a".repeat(65)))));
    bad.push(("spaces in Other", event(ALICE, AuditAction::Other("a b".into()))));
    for (what, args) in bad {
        assert!(
            matches!(state.log_event(&backend(), args, 5), Err(FleetError::InvalidInput(_))),
            "{what} was accepted"
        );
    }
    assert_eq!(state.event_count(), 0);
    assert!(state.health(&facts(9)).healthy);
    // The limit itself is accepted.
    let mut e = event(ALICE, AuditAction::Other("custom.event-1".into()));
    e.metadata = "x".repeat(MAX_METADATA_BYTES);
    assert!(state.log_event(&backend(), e, 5).is_ok());
}

fn keyed(user: u8, action: AuditAction, request_id: u64) -> LogEventArgs {
    LogEventArgs { request_id: Some(request_id), ..event(user, action) }
}

#[test]
fn a_resent_event_with_the_same_request_id_is_recorded_once() {
    let mut state = storage();
    let mut args = keyed(ALICE, AuditAction::ContractDeployed, 41);
    args.contract = Some(principal(TOKEN));
    assert_eq!(state.log_event(&backend(), args.clone(), 10), Ok(0));
    // The backend's outbox re-sends after a lost reply, later: the same id comes back and nothing is appended.
    assert_eq!(state.log_event(&backend(), args.clone(), 20), Ok(0));
    assert_eq!(state.log_event(&backend(), args, 30), Ok(0));
    assert_eq!(state.event_count(), 1);
    assert_eq!(state.event(&controller(), 0).unwrap().timestamp, 10);
    assert_eq!(state.event(&controller(), 0).unwrap().request_id, Some(41));
    assert_eq!(state.events_by_user(&controller(), principal(ALICE), PageRequest::default()).unwrap().total, 1);
    assert_eq!(state.events_by_contract(&controller(), principal(TOKEN), PageRequest::default()).unwrap().total, 1);
    assert!(state.health(&facts(9)).healthy);
    // Another key is another event.
    assert_eq!(state.log_event(&backend(), keyed(ALICE, AuditAction::ContractDeployed, 42), 40), Ok(1));
}

#[test]
fn events_without_a_request_id_are_never_deduplicated() {
    let mut state = storage();
    let args = event(ALICE, AuditAction::ConfigChanged);
    assert_eq!(state.log_event(&backend(), args.clone(), 1), Ok(0));
    assert_eq!(state.log_event(&backend(), args, 2), Ok(1));
    assert_eq!(state.event_count(), 2);
}

#[test]
fn request_ids_of_different_writers_never_meet() {
    let mut state = storage();
    let other_writer = Caller::user(principal(OTHER_WRITER));
    state.access_mut().add_writer(&controller(), principal(OTHER_WRITER), 0).unwrap();
    assert_eq!(state.log_event(&backend(), keyed(ALICE, AuditAction::PaymentReceived, 7), 1), Ok(0));
    assert_eq!(state.log_event(&other_writer, keyed(ALICE, AuditAction::PaymentReceived, 7), 2), Ok(1));
    assert_eq!(state.log_event(&other_writer, keyed(ALICE, AuditAction::PaymentReceived, 7), 3), Ok(1));
    assert_eq!(state.event(&controller(), 1).unwrap().recorded_by, principal(OTHER_WRITER));
    assert_eq!(state.event_count(), 2);
}

#[test]
fn a_request_id_reused_for_a_different_event_is_refused_and_writes_nothing() {
    let mut state = storage();
    let first = keyed(ALICE, AuditAction::RefundFailed, 9);
    state.log_event(&backend(), first.clone(), 1).unwrap();
    let mut changes = vec![
        ("user", LogEventArgs { user: principal(BOB), ..first.clone() }),
        ("action", LogEventArgs { action: AuditAction::RefundIssued, ..first.clone() }),
        ("service", LogEventArgs { service: "backend".into(), ..first.clone() }),
        ("contract", LogEventArgs { contract: Some(principal(TOKEN)), ..first.clone() }),
        ("invoice", LogEventArgs { invoice_id: Some(3), ..first.clone() }),
        ("outcome", LogEventArgs { outcome: AuditOutcome::Failure("ledger down".into()), ..first.clone() }),
    ];
    changes.push(("metadata", LogEventArgs { metadata: "retry".into(), ..first }));
    for (what, args) in changes {
        let result = state.log_event(&backend(), args, 2);
        assert!(
            matches!(result, Err(FleetError::InvalidInput(_))),
            "a different {what} under the same key: {result:?}"
        );
    }
    assert_eq!(state.event_count(), 1);
}

#[test]
fn queries_by_user_contract_and_action_page_newest_first() {
    let mut state = storage();
    for n in 0..30u64 {
        let user = if n % 3 == 0 { ALICE } else { BOB };
        let action = if n % 2 == 0 { AuditAction::PaymentReceived } else { AuditAction::ContractDeployed };
        let mut args = event(user, action);
        if n % 5 == 0 {
            args.contract = Some(principal(TOKEN));
        }
        state.log_event(&backend(), args, 100 + n).unwrap();
    }
    let alice = state.events_by_user(&controller(), principal(ALICE), PageRequest::new(0, 4)).unwrap();
    assert_eq!(ids(&alice), vec![27, 24, 21, 18]);
    assert_eq!((alice.total, alice.next_offset), (10, Some(4)));
    let alice_last = state.events_by_user(&controller(), principal(ALICE), PageRequest::new(8, 4)).unwrap();
    assert_eq!(ids(&alice_last), vec![3, 0]);
    assert_eq!(alice_last.next_offset, None);

    let token = state.events_by_contract(&backend(), principal(TOKEN), PageRequest::default()).unwrap();
    assert_eq!(ids(&token), vec![25, 20, 15, 10, 5, 0]);

    let deployed =
        state.events_by_action(&controller(), AuditAction::ContractDeployed, PageRequest::new(0, 3)).unwrap();
    assert_eq!(ids(&deployed), vec![29, 27, 25]);
    assert_eq!(deployed.total, 15);
    assert!(deployed.items.iter().all(|e| e.action == AuditAction::ContractDeployed));

    let all = state.events(&controller(), PageRequest::new(0, 2)).unwrap();
    assert_eq!(ids(&all), vec![29, 28]);
    assert_eq!(all.total, 30);
}

#[test]
fn other_actions_are_indexed_apart_from_typed_ones() {
    let mut state = storage();
    state.log_event(&backend(), event(ALICE, AuditAction::Other("ContractDeployed".into())), 1).unwrap();
    state.log_event(&backend(), event(ALICE, AuditAction::ContractDeployed), 2).unwrap();
    let typed = state.events_by_action(&controller(), AuditAction::ContractDeployed, PageRequest::default()).unwrap();
    assert_eq!(ids(&typed), vec![1]);
    let other = state
        .events_by_action(&controller(), AuditAction::Other("ContractDeployed".into()), PageRequest::default())
        .unwrap();
    assert_eq!(ids(&other), vec![0]);
    let unknown =
        state.events_by_action(&controller(), AuditAction::Other("x".repeat(500)), PageRequest::default()).unwrap();
    assert_eq!(unknown.total, 0);
}

#[test]
fn time_range_is_half_open_and_survives_a_clock_that_goes_back() {
    let mut state = storage();
    for (n, time) in [100u64, 200, 200, 300, 400].into_iter().enumerate() {
        state.log_event(&backend(), event(ALICE, AuditAction::PaymentReceived), time).unwrap();
        assert_eq!(state.event_count(), n as u64 + 1);
    }
    // A clock reading older than the last event is clamped so that the log stays ordered by time.
    state.log_event(&backend(), event(ALICE, AuditAction::PaymentReceived), 50).unwrap();
    assert_eq!(state.event(&controller(), 5).unwrap().timestamp, 400);

    let range = |from, to| {
        ids(&state.events_in_time_range(&controller(), TimeRange { from, to }, PageRequest::default()).unwrap())
    };
    assert_eq!(range(200, 400), vec![3, 2, 1]);
    assert_eq!(range(0, u64::MAX), vec![5, 4, 3, 2, 1, 0]);
    assert_eq!(range(201, 300), Vec::<u64>::new());
    assert_eq!(range(400, 401), vec![5, 4]);
    assert_eq!(range(500, 600), Vec::<u64>::new());
    let paged =
        state.events_in_time_range(&controller(), TimeRange { from: 0, to: 1_000 }, PageRequest::new(4, 4)).unwrap();
    assert_eq!(ids(&paged), vec![1, 0]);
    assert_eq!(paged.total, 6);
    assert!(matches!(
        state.events_in_time_range(&controller(), TimeRange { from: 5, to: 4 }, PageRequest::default()),
        Err(FleetError::InvalidInput(_))
    ));
}

#[test]
fn readers_are_admins_writers_and_the_user_for_their_own_events() {
    let mut state = storage();
    state.log_event(&backend(), event(ALICE, AuditAction::PaymentReceived), 1).unwrap();
    state.log_event(&backend(), event(BOB, AuditAction::PaymentReceived), 2).unwrap();
    let alice = Caller::user(principal(ALICE));
    assert_eq!(ids(&state.events_by_user(&alice, principal(ALICE), PageRequest::default()).unwrap()), vec![0]);
    assert!(state.event(&alice, 0).is_ok());
    assert!(matches!(state.event(&alice, 1), Err(FleetError::Unauthorized(_))));
    assert!(matches!(state.event(&alice, 9), Err(FleetError::Unauthorized(_))));
    assert!(matches!(state.event(&controller(), 9), Err(FleetError::NotFound(_))));
    assert!(matches!(
        state.events_by_user(&alice, principal(BOB), PageRequest::default()),
        Err(FleetError::Unauthorized(_))
    ));
    for result in [
        state.events(&stranger(), PageRequest::default()),
        state.events_by_contract(&stranger(), principal(TOKEN), PageRequest::default()),
        state.events_by_action(&stranger(), AuditAction::PaymentReceived, PageRequest::default()),
        state.events_in_time_range(&stranger(), TimeRange { from: 0, to: 10 }, PageRequest::default()),
    ] {
        assert!(matches!(result, Err(FleetError::Unauthorized(_))));
    }
    // An added admin reads everything.
    state.access_mut().add_admin(&controller(), principal(ALICE), 0).unwrap();
    assert_eq!(state.events(&alice, PageRequest::default()).unwrap().total, 2);
}

#[test]
fn health_and_setup_status_report_what_is_missing() {
    let mut state = AuditState::init(VectorMemory::default());
    state.mark_fresh_install();
    let setup = state.setup_status(principal(50));
    assert!(!setup.ready);
    assert_eq!(setup.missing.len(), 1);
    state.access_mut().add_writer(&controller(), principal(BACKEND), 0).unwrap();
    let setup = state.setup_status(principal(50));
    assert!(setup.ready && setup.missing.is_empty());
    assert_eq!(setup.whitelisted, vec![principal(BACKEND)]);
    state.log_event(&backend(), event(ALICE, AuditAction::PaymentReceived), 1).unwrap();
    let health = state.health(&facts(9));
    assert!(health.healthy, "{}", health.message);
    assert_eq!(health.service, "audit_storage");
    assert!(health.message.starts_with("1 events"));
}

#[test]
fn state_survives_reopening_the_same_memory_and_migration_is_a_no_op_at_the_current_version() {
    let memory = VectorMemory::default();
    {
        let mut state = AuditState::init(memory.clone());
        state.mark_fresh_install();
        state.access_mut().add_writer(&controller(), principal(BACKEND), 0).unwrap();
        let mut args = keyed(ALICE, AuditAction::ContractDeployed, 5);
        args.contract = Some(principal(TOKEN));
        state.log_event(&backend(), args, 10).unwrap();
    }
    // What post_upgrade sees: the same memory, opened by new code.
    let mut state = AuditState::init(memory);
    let report = state.migrate().unwrap();
    assert!(report.applied.is_empty());
    assert_eq!(state.schema_version(), SCHEMA_VERSION);
    assert_eq!(state.event_count(), 1);
    assert_eq!(state.events_by_contract(&backend(), principal(TOKEN), PageRequest::default()).unwrap().total, 1);
    assert_eq!(state.log_event(&backend(), event(BOB, AuditAction::PaymentReceived), 11), Ok(1));
    // The request ids are in stable memory too: a re-send after the upgrade still finds its event.
    let mut resent = keyed(ALICE, AuditAction::ContractDeployed, 5);
    resent.contract = Some(principal(TOKEN));
    assert_eq!(state.log_event(&backend(), resent, 12), Ok(0));
    assert_eq!(state.event_count(), 2);
}

#[test]
fn migration_refuses_memory_from_a_newer_release() {
    let mut state = AuditState::init(VectorMemory::default());
    state.core.set_schema_version(SCHEMA_VERSION + 1);
    assert!(matches!(state.migrate(), Err(FleetError::InvalidState(_))));
}

#[test]
fn candid_interface_matches_the_did_file() {
    did_check::assert_did_matches_code("audit_storage.did", &crate::__export_service(), audit_storage_api::DID);
}

#[test]
fn the_ingress_table_lists_exactly_the_update_methods_of_the_did() {
    did_check::assert_ingress_covers_updates(crate::endpoints::INGRESS, audit_storage_api::DID);
    // Nobody calls a storage anonymously.
    assert!(crate::endpoints::INGRESS.iter().all(|rule| !rule.anonymous_allowed));
}
