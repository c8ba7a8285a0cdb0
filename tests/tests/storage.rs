//! audit_storage and invoice_storage as wasm on the IC (the emulator by default, PocketIC with `--features
//! pocket-ic`): only admins whitelist, only whitelisted writers write, bad input and invalid invoice transitions come
//! back typed and change nothing, queries page newest first, users read only their own records, and an upgrade keeps
//! every record and index; re-sent writes record nothing, and anonymous or oversized ingress is refused before it
//! runs.

use audit_storage_api::{AuditAction, AuditEvent, AuditOutcome, AuditStorageInitArgs, LogEventArgs, TimeRange};
use candid::{encode_one, CandidType, Nat, Principal};
use fleet_api::{FleetError, Page, PageRequest, ServiceHealth, SetupStatus};
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use fleet_tests::wasm::canister_wasm;
use invoice_storage_api::{
    Invoice, InvoiceStatus, InvoiceStorageInitArgs, InvoiceTransition, RecordPaymentArgs, StatusChange, StatusCount,
};

type R<T> = Result<T, FleetError>;

fn principal(name: &str) -> Principal {
    Principal::self_authenticating(name.as_bytes())
}
fn controller() -> Principal {
    principal("storage-controller")
}
fn admin() -> Principal {
    principal("storage-admin")
}
fn backend() -> Principal {
    principal("backend")
}
fn alice() -> Principal {
    principal("alice")
}
fn bob() -> Principal {
    principal("bob")
}
fn stranger() -> Principal {
    principal("stranger")
}
fn token() -> Principal {
    principal("token-contract")
}

struct Canister {
    pic: PocketIc,
    id: Principal,
    wasm: Vec<u8>,
}

impl Canister {
    fn install(name: &str, init: Vec<u8>) -> Self {
        let pic = ic::new_instance();
        let settings = CanisterSettings { controllers: Some(vec![controller()]), ..Default::default() };
        let id = pic.create_canister_with_settings(Some(controller()), Some(settings));
        pic.add_cycles(id, 100_000_000_000_000);
        let wasm = canister_wasm(name);
        pic.install_canister(id, wasm.clone(), init, Some(controller()));
        Self { pic, id, wasm }
    }

    fn update<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        from: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> T {
        let (reply,): (T,) = ic::update_candid_as(&self.pic, self.id, from, method, args).expect(method);
        reply
    }

    fn query<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        from: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> T {
        let (reply,): (T,) = ic::query_candid_as(&self.pic, self.id, from, method, args).expect(method);
        reply
    }

    fn upgrade(&self) {
        self.pic
            .upgrade_canister(self.id, self.wasm.clone(), encode_one(()).unwrap(), Some(controller()))
            .expect("upgrade");
    }
}

// ---------------------------------------------------------------- audit storage

fn audit_storage() -> Canister {
    let init = AuditStorageInitArgs { admins: vec![admin()], writers: vec![] };
    Canister::install("audit_storage", encode_one(Some(init)).unwrap())
}

fn event(user: Principal, action: AuditAction, contract: Option<Principal>) -> LogEventArgs {
    LogEventArgs {
        user,
        action,
        service: "token_factory".into(),
        contract,
        invoice_id: Some(7),
        outcome: AuditOutcome::Success,
        metadata: "Token: MyToken (MTK)".into(),
        request_id: None,
    }
}

fn ids(page: &Page<AuditEvent>) -> Vec<u64> {
    page.items.iter().map(|e| e.id).collect()
}

#[test]
fn audit_whitelist_is_admin_only_and_only_writers_log() {
    let audit = audit_storage();
    let status: SetupStatus = audit.query(stranger(), "getSetupStatus", ());
    assert!(!status.ready && !status.missing.is_empty());
    for hijacker in [stranger(), backend()] {
        let result: R<()> = audit.update(hijacker, "setupWhitelist", (hijacker,));
        assert!(matches!(result, Err(FleetError::Unauthorized(_))), "{result:?}");
    }
    let before: R<u64> = audit.update(backend(), "logEvent", (event(alice(), AuditAction::PaymentReceived, None),));
    assert!(matches!(before, Err(FleetError::Unauthorized(_))));
    // An admin added at install whitelists the backend; a controller may too.
    audit.update::<R<()>>(admin(), "setupWhitelist", (backend(),)).unwrap();
    let status: SetupStatus = audit.query(stranger(), "getSetupStatus", ());
    assert!(status.ready);
    assert_eq!(status.whitelisted, vec![backend()]);

    let id: R<u64> = audit.update(backend(), "logEvent", (event(alice(), AuditAction::PaymentReceived, None),));
    assert_eq!(id, Ok(0));
    for (caller, what) in [(stranger(), "stranger"), (admin(), "admin"), (controller(), "controller")] {
        let result: R<u64> = audit.update(caller, "logEvent", (event(alice(), AuditAction::PaymentReceived, None),));
        assert!(matches!(result, Err(FleetError::Unauthorized(_))), "{what} could log");
    }
    let mut too_long = event(alice(), AuditAction::PaymentReceived, None);
    too_long.metadata = "x".repeat(audit_storage_api::MAX_METADATA_BYTES + 1);
    let mut anonymous = event(alice(), AuditAction::PaymentReceived, None);
    anonymous.user = Principal::anonymous();
    for bad in [too_long, anonymous, event(alice(), AuditAction::Other("no spaces allowed".into()), None)] {
        let result: R<u64> = audit.update(backend(), "logEvent", (bad,));
        assert!(matches!(result, Err(FleetError::InvalidInput(_))), "{result:?}");
    }
    let count: u64 = audit.query(stranger(), "getEventCount", ());
    assert_eq!(count, 1);

    // Removing the writer closes the door again; removing it twice is NotFound.
    audit.update::<R<()>>(controller(), "removeFromWhitelist", (backend(),)).unwrap();
    let removed_again: R<()> = audit.update(controller(), "removeFromWhitelist", (backend(),));
    assert!(matches!(removed_again, Err(FleetError::NotFound(_))));
    let after: R<u64> = audit.update(backend(), "logEvent", (event(alice(), AuditAction::PaymentReceived, None),));
    assert!(matches!(after, Err(FleetError::Unauthorized(_))));
}

#[test]
fn audit_queries_page_newest_first_and_survive_an_upgrade() {
    let audit = audit_storage();
    audit.update::<R<()>>(controller(), "setupWhitelist", (backend(),)).unwrap();
    let mut times = vec![];
    for n in 0..12u64 {
        let user = if n % 3 == 0 { alice() } else { bob() };
        let action = if n % 2 == 0 { AuditAction::PaymentReceived } else { AuditAction::ContractDeployed };
        let contract = (n % 4 == 0).then(token);
        audit.update::<R<u64>>(backend(), "logEvent", (event(user, action, contract),)).unwrap();
        times.push(audit.pic.get_time().as_nanos_since_unix_epoch());
        audit.pic.advance_time(std::time::Duration::from_secs(10));
    }
    let check = |audit: &Canister| {
        let by_alice: R<Page<AuditEvent>> = audit.query(admin(), "getEventsByUser", (alice(), PageRequest::new(0, 3)));
        let by_alice = by_alice.unwrap();
        assert_eq!((ids(&by_alice), by_alice.total, by_alice.next_offset), (vec![9, 6, 3], 4, Some(3)));
        let by_token: R<Page<AuditEvent>> =
            audit.query(backend(), "getEventsByContract", (token(), PageRequest::default()));
        assert_eq!(ids(&by_token.unwrap()), vec![8, 4, 0]);
        let deployed: R<Page<AuditEvent>> =
            audit.query(admin(), "getEventsByAction", (AuditAction::ContractDeployed, PageRequest::new(4, 10)));
        assert_eq!(ids(&deployed.unwrap()), vec![3, 1]);
        let events: R<Page<AuditEvent>> = audit.query(admin(), "getEvents", (PageRequest::new(0, 2),));
        let events = events.unwrap();
        assert_eq!((ids(&events), events.total), (vec![11, 10], 12));
        // Events 2..=5 by their recorded timestamps (half-open range).
        let first = audit.query::<R<AuditEvent>>(admin(), "getEvent", (2u64,)).unwrap().timestamp;
        let end = audit.query::<R<AuditEvent>>(admin(), "getEvent", (6u64,)).unwrap().timestamp;
        let range: R<Page<AuditEvent>> =
            audit.query(admin(), "getEventsByTimeRange", (TimeRange { from: first, to: end }, PageRequest::default()));
        assert_eq!(ids(&range.unwrap()), vec![5, 4, 3, 2]);
    };
    check(&audit);
    let stamps: Vec<u64> =
        (0..12u64).map(|id| audit.query::<R<AuditEvent>>(admin(), "getEvent", (id,)).unwrap().timestamp).collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "timestamps {stamps:?} (clock {times:?})");

    // Users read their own events, nobody else's.
    let own: R<Page<AuditEvent>> = audit.query(alice(), "getEventsByUser", (alice(), PageRequest::default()));
    assert_eq!(own.unwrap().total, 4);
    let other: R<Page<AuditEvent>> = audit.query(alice(), "getEventsByUser", (bob(), PageRequest::default()));
    assert!(matches!(other, Err(FleetError::Unauthorized(_))));
    let all: R<Page<AuditEvent>> = audit.query(stranger(), "getEvents", (PageRequest::default(),));
    assert!(matches!(all, Err(FleetError::Unauthorized(_))));

    audit.upgrade();
    check(&audit);
    let health: ServiceHealth = audit.query(stranger(), "getHealth", ());
    assert!(health.healthy, "{}", health.message);
    assert_eq!(health.canister_id, audit.id);
    // Still writable after the upgrade, with the next id.
    let next: R<u64> = audit.update(backend(), "logEvent", (event(alice(), AuditAction::RefundIssued, None),));
    assert_eq!(next, Ok(12));
}

// ---------------------------------------------------------------- invoice storage

fn invoice_storage() -> Canister {
    let init = InvoiceStorageInitArgs { admins: vec![], writers: vec![backend()] };
    Canister::install("invoice_storage", encode_one(Some(init)).unwrap())
}

fn payment(user: Principal, request_id: Option<u64>) -> RecordPaymentArgs {
    RecordPaymentArgs {
        user,
        service: "token_factory".into(),
        amount: Nat::from(100_000_000u64),
        ledger: principal("ledger"),
        request_id,
    }
}

fn transition(storage: &Canister, from: Principal, id: u64, transition: InvoiceTransition) -> R<Invoice> {
    storage.update(from, "updateInvoiceStatus", (id, transition))
}

#[test]
fn invoices_follow_the_status_machine_and_refusals_change_nothing() {
    let storage = invoice_storage();
    let invoice: R<Invoice> = storage.update(backend(), "recordPayment", (payment(alice(), Some(1)),));
    let invoice = invoice.unwrap();
    assert_eq!(invoice.status, InvoiceStatus::Pending);
    // A retried recordPayment returns the same invoice.
    let retried: R<Invoice> = storage.update(backend(), "recordPayment", (payment(alice(), Some(1)),));
    assert_eq!(retried.unwrap().id, invoice.id);

    for (caller, what) in [(stranger(), "stranger"), (controller(), "controller"), (alice(), "the payer")] {
        let created: R<Invoice> = storage.update(caller, "recordPayment", (payment(alice(), None),));
        assert!(matches!(created, Err(FleetError::Unauthorized(_))), "{what} created an invoice");
        let paid = transition(&storage, caller, invoice.id, InvoiceTransition::Paid { block_index: Nat::from(1u8) });
        assert!(matches!(paid, Err(FleetError::Unauthorized(_))), "{what} updated an invoice");
    }
    let mut zero = payment(alice(), None);
    zero.amount = Nat::from(0u8);
    let refused: R<Invoice> = storage.update(backend(), "recordPayment", (zero,));
    assert!(matches!(refused, Err(FleetError::InvalidInput(_))));

    // Pending cannot become Completed or Refunded: no delivery or refund without payment.
    let skip = transition(&storage, backend(), invoice.id, InvoiceTransition::Completed { contract: token() });
    assert!(matches!(skip, Err(FleetError::InvalidState(_))), "{skip:?}");
    let paid =
        transition(&storage, backend(), invoice.id, InvoiceTransition::Paid { block_index: Nat::from(4u8) }).unwrap();
    assert_eq!((paid.status, paid.payment_block), (InvoiceStatus::Paid, Some(Nat::from(4u8))));
    let refunding =
        transition(&storage, backend(), invoice.id, InvoiceTransition::Refunding { reason: "factory failed".into() });
    assert_eq!(refunding.unwrap().status, InvoiceStatus::Refunding);
    let failed =
        transition(&storage, backend(), invoice.id, InvoiceTransition::RefundFailed { reason: "ledger down".into() });
    assert_eq!(failed.unwrap().failed_refund_attempts, 1);
    let too_much = InvoiceTransition::Refunded { block_index: Nat::from(9u8), amount: Nat::from(100_000_001u64) };
    assert!(matches!(transition(&storage, backend(), invoice.id, too_much), Err(FleetError::InvalidInput(_))));
    let refund = InvoiceTransition::Refunded { block_index: Nat::from(9u8), amount: Nat::from(99_990_000u64) };
    let refunded = transition(&storage, backend(), invoice.id, refund.clone()).unwrap();
    assert_eq!(refunded.status, InvoiceStatus::Refunded);
    // Repeating the last transition is a safe retry; anything else after a final status is refused.
    assert_eq!(transition(&storage, backend(), invoice.id, refund).unwrap(), refunded);
    let after = transition(&storage, backend(), invoice.id, InvoiceTransition::Completed { contract: token() });
    assert!(matches!(after, Err(FleetError::InvalidState(_))));
    let unknown = transition(&storage, backend(), 999, InvoiceTransition::Paid { block_index: Nat::from(1u8) });
    assert!(matches!(unknown, Err(FleetError::NotFound(_))));

    let history: R<Page<StatusChange>> =
        storage.query(alice(), "getInvoiceHistory", (invoice.id, PageRequest::default()));
    let steps: Vec<InvoiceStatus> = history.unwrap().items.iter().rev().map(|c| c.to).collect();
    use InvoiceStatus::*;
    assert_eq!(steps, vec![Pending, Paid, Refunding, RefundFailed, Refunded]);
    let mine: R<Invoice> = storage.query(alice(), "getInvoice", (invoice.id,));
    assert_eq!(mine.unwrap(), refunded);
    let not_mine: R<Invoice> = storage.query(bob(), "getInvoice", (invoice.id,));
    assert!(matches!(not_mine, Err(FleetError::Unauthorized(_))));
}

#[test]
fn invoice_queries_and_indexes_survive_an_upgrade() {
    let storage = invoice_storage();
    for n in 0..9u64 {
        let user = if n % 3 == 0 { alice() } else { bob() };
        let invoice: R<Invoice> = storage.update(backend(), "recordPayment", (payment(user, Some(n)),));
        let invoice = invoice.unwrap();
        if n % 2 == 0 {
            transition(&storage, backend(), invoice.id, InvoiceTransition::Paid { block_index: Nat::from(n) }).unwrap();
        }
    }
    let check = |storage: &Canister| {
        let alices: R<Page<Invoice>> = storage.query(alice(), "getInvoicesByUser", (alice(), PageRequest::default()));
        let alices: Vec<u64> = alices.unwrap().items.iter().map(|i| i.id).collect();
        assert_eq!(alices, vec![6, 3, 0]);
        let paid: R<Page<Invoice>> =
            storage.query(backend(), "getInvoicesByStatus", (InvoiceStatus::Paid, PageRequest::new(1, 2)));
        let paid = paid.unwrap();
        assert_eq!(paid.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![6, 4]);
        assert_eq!((paid.total, paid.next_offset), (5, Some(3)));
        let counts: Vec<StatusCount> = storage.query(stranger(), "getStatusCounts", ());
        let count = |status| counts.iter().find(|c| c.status == status).map(|c| c.count);
        assert_eq!((count(InvoiceStatus::Pending), count(InvoiceStatus::Paid)), (Some(4), Some(5)));
    };
    check(&storage);
    let by_status: R<Page<Invoice>> =
        storage.query(alice(), "getInvoicesByStatus", (InvoiceStatus::Paid, PageRequest::default()));
    assert!(matches!(by_status, Err(FleetError::Unauthorized(_))));

    storage.upgrade();
    check(&storage);
    let health: ServiceHealth = storage.query(stranger(), "getHealth", ());
    assert!(health.healthy, "{}", health.message);
    // The request ids survived too: a retry after the upgrade still finds its invoice.
    let retried: R<Invoice> = storage.update(backend(), "recordPayment", (payment(bob(), Some(4)),));
    assert_eq!(retried.unwrap().id, 4);
    let count: u64 = storage.query(stranger(), "getInvoiceCount", ());
    assert_eq!(count, 9);
}

// ---------------------------------------------------------------- re-sends and the ingress filter

#[test]
fn a_resent_audit_event_is_recorded_once_even_after_an_upgrade() {
    let audit = audit_storage();
    audit.update::<R<()>>(admin(), "setupWhitelist", (backend(),)).unwrap();
    let keyed = LogEventArgs { request_id: Some(12), ..event(alice(), AuditAction::RefundFailed, None) };
    let first: R<u64> = audit.update(backend(), "logEvent", (keyed.clone(),));
    let again: R<u64> = audit.update(backend(), "logEvent", (keyed.clone(),));
    assert_eq!((first, again), (Ok(0), Ok(0)));
    audit.upgrade();
    let after_upgrade: R<u64> = audit.update(backend(), "logEvent", (keyed.clone(),));
    assert_eq!(after_upgrade, Ok(0));
    let reused = LogEventArgs { metadata: "another event".into(), ..keyed };
    let refused: R<u64> = audit.update(backend(), "logEvent", (reused,));
    assert!(matches!(refused, Err(FleetError::InvalidInput(_))), "{refused:?}");
    let count: u64 = audit.query(stranger(), "getEventCount", ());
    assert_eq!(count, 1);
    let recorded = audit.query::<R<AuditEvent>>(admin(), "getEvent", (0u64,)).unwrap();
    assert_eq!(recorded.request_id, Some(12));
}

#[test]
fn resent_invoice_writes_answer_the_invoice_and_record_nothing() {
    let storage = invoice_storage();
    let invoice = storage.update::<R<Invoice>>(backend(), "recordPayment", (payment(alice(), Some(1)),)).unwrap();
    transition(&storage, backend(), invoice.id, InvoiceTransition::Paid { block_index: Nat::from(4u8) }).unwrap();
    transition(&storage, backend(), invoice.id, InvoiceTransition::Refunding { reason: "factory failed".into() })
        .unwrap();
    let refund_failed = InvoiceTransition::RefundFailed { reason: "ledger down".into() };
    let failed = transition(&storage, backend(), invoice.id, refund_failed.clone()).unwrap();
    // The backend's outbox re-sends after a lost reply: the same answer, no second failed attempt.
    assert_eq!(transition(&storage, backend(), invoice.id, refund_failed), Ok(failed.clone()));
    let history: R<Page<StatusChange>> =
        storage.query(backend(), "getInvoiceHistory", (invoice.id, PageRequest::default()));
    assert_eq!(history.unwrap().total, 4);
    assert_eq!(failed.failed_refund_attempts, 1);

    // A repeated recordPayment answers the invoice as it stands; the same key for another payment is refused.
    let replay = storage.update::<R<Invoice>>(backend(), "recordPayment", (payment(alice(), Some(1)),)).unwrap();
    assert_eq!((replay.id, replay.status), (invoice.id, InvoiceStatus::RefundFailed));
    let mut other = payment(alice(), Some(1));
    other.amount = Nat::from(1u8);
    let refused: R<Invoice> = storage.update(backend(), "recordPayment", (other,));
    assert!(matches!(refused, Err(FleetError::InvalidInput(_))), "{refused:?}");
    let count: u64 = storage.query(stranger(), "getInvoiceCount", ());
    assert_eq!(count, 1);
}

/// Sends `arg` as an ingress update and expects the canister's `inspect_message` to refuse it, saying `why`.
fn assert_refused_at_ingress(canister: &Canister, sender: Principal, method: &str, arg: Vec<u8>, why: &str) {
    match canister.pic.update_call(canister.id, sender, method, arg) {
        Ok(reply) => panic!("{method} from {sender} was executed ({} reply bytes)", reply.len()),
        Err(reject) => assert!(reject.reject_message.contains(why), "{method}: {}", reject.reject_message),
    }
}

#[test]
fn storages_refuse_anonymous_ingress_and_oversized_arguments_before_executing_them() {
    let audit = audit_storage();
    audit.update::<R<()>>(admin(), "setupWhitelist", (backend(),)).unwrap();
    let anonymous = Principal::anonymous();
    let logged = encode_one(event(alice(), AuditAction::PaymentReceived, None)).unwrap();
    assert_refused_at_ingress(&audit, anonymous, "logEvent", logged, "anonymous");
    assert_refused_at_ingress(&audit, anonymous, "setupWhitelist", encode_one(anonymous).unwrap(), "anonymous");
    let mut huge = event(alice(), AuditAction::PaymentReceived, None);
    huge.metadata = "x".repeat(fleet_api::ingress::SMALL_ARG);
    assert_refused_at_ingress(&audit, backend(), "logEvent", encode_one(huge).unwrap(), "at most");
    let count: u64 = audit.query(anonymous, "getEventCount", ());
    assert_eq!(count, 0, "a refused message was executed");
    // A signed writer with a normal event still gets through.
    let id: R<u64> = audit.update(backend(), "logEvent", (event(alice(), AuditAction::PaymentReceived, None),));
    assert_eq!(id, Ok(0));

    let invoices = invoice_storage();
    assert_refused_at_ingress(
        &invoices,
        anonymous,
        "recordPayment",
        encode_one(payment(alice(), None)).unwrap(),
        "anonymous",
    );
    let update = candid::encode_args((0u64, InvoiceTransition::Paid { block_index: Nat::from(1u8) })).unwrap();
    assert_refused_at_ingress(&invoices, anonymous, "updateInvoiceStatus", update, "anonymous");
    assert_refused_at_ingress(&invoices, anonymous, "addAdmin", encode_one(anonymous).unwrap(), "anonymous");
    let mut oversized = payment(alice(), None);
    oversized.service = "x".repeat(fleet_api::ingress::SMALL_ARG);
    assert_refused_at_ingress(&invoices, backend(), "recordPayment", encode_one(oversized).unwrap(), "at most");
    let count: u64 = invoices.query(anonymous, "getInvoiceCount", ());
    assert_eq!(count, 0, "a refused message was executed");
    let created: R<Invoice> = invoices.update(backend(), "recordPayment", (payment(alice(), None),));
    assert_eq!(created.map(|invoice| invoice.id), Ok(0));
}
