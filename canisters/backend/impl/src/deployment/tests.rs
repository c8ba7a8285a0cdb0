//! The payment flow against the scripted fake world, with a failure injected at every await.

use super::fake_runtime::{FakeRuntime, Fault, BACKEND};
use super::guard::{DeploymentGuard, UserGuard};
use super::{flow, reconcile::reconcile};
use crate::state::{BackendState, Shared};
use backend_api::{DeploymentStage, Microservices};
use candid::{Nat, Principal};
use fleet_api::{ContractKind, FleetError, FleetResult, PageRequest};
use ic_stable_structures::VectorMemory;
use invoice_storage_api::InvoiceStatus;
use service_base::Caller;
use std::future::Future;
use std::task::{Context, Poll, Waker};

const FEE: u128 = 100_000_000; // token_factory.fee default
const LEDGER_FEE: u128 = 10_000;
const START_BALANCE: u128 = 1_000_000_000;
const HOUR: u64 = 3_600_000_000_000;

fn p(n: u8) -> Principal {
    Principal::from_slice(&[n; 10])
}

fn alice() -> Principal {
    p(10)
}

fn controller() -> Caller {
    Caller::controller(p(1))
}

/// The fake's calls complete at once, so one poll finishes a flow.
fn block_on<F: Future>(future: F) -> F::Output {
    run_until_interrupted(future).expect("a fake call did not complete")
}

/// Polls once: the output, or `None` when a call was `Interrupted` (its reply never comes). The future is dropped
/// then, as the IC drops it when the callback traps (running its cleanup, which releases its guards) or when the
/// canister is upgraded.
fn run_until_interrupted<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

mod fault_schedules;
mod hardening;

fn token_args() -> token_api::TokenArgs {
    token_api::TokenArgs {
        name: "My Token".into(),
        symbol: "MTK".into(),
        decimals: 8,
        transfer_fee: Nat::from(10_000u32),
        initial_balances: vec![],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}

struct Fleet {
    state: Shared<VectorMemory>,
    world: FakeRuntime,
    memory: VectorMemory,
}

fn fleet() -> Fleet {
    let world = FakeRuntime::default();
    let memory = VectorMemory::default();
    let mut state = BackendState::init(memory.clone());
    state.install(p(3), &[], p(1), BACKEND, world.now.get()).unwrap();
    let services = Microservices {
        audit_storage: p(20),
        invoice_storage: p(21),
        token_factory: p(22),
        distribution_factory: p(23),
        multisig_factory: p(24),
        dao_factory: p(25),
        launchpad_factory: p(26),
    };
    state.setup_microservices(&controller(), services, BACKEND).unwrap();
    {
        let mut ledger = world.ledger.borrow_mut();
        ledger.balances.insert(alice(), START_BALANCE);
        ledger.allowances.insert(alice(), FEE + LEDGER_FEE);
    }
    let fleet = Fleet { state: state.into_shared(), world, memory };
    // The admin events of the setup are delivered; tests look at what the flow records.
    block_on(super::outbox::flush(&fleet.state, &fleet.world));
    fleet.world.audit.borrow_mut().clear();
    fleet
}

impl Fleet {
    fn create(&self) -> FleetResult<Principal> {
        block_on(flow::create(&self.state, &self.world, alice(), ContractKind::Token, &token_args()))
    }

    /// `create`, which may be cut short by an `Interrupted` call (`None`).
    fn create_interruptible(&self) -> Option<FleetResult<Principal>> {
        run_until_interrupted(flow::create(&self.state, &self.world, alice(), ContractKind::Token, &token_args()))
    }

    /// The backend upgraded: the heap (guards, futures) is gone; the state is reopened from stable memory and
    /// migrated, as `post_upgrade` does.
    fn upgrade_backend(&self) {
        let mut reopened = BackendState::init(self.memory.clone());
        reopened.migrate(self.world.now.get(), BACKEND).unwrap();
        *self.state.borrow_mut() = reopened;
    }

    /// Lets time pass and the timer run until nothing is left to do.
    fn settle(&self) {
        for _ in 0..30 {
            self.world.advance_time(2 * HOUR);
            // An interrupted run is dropped, as the IC drops it; the next run picks up.
            let _ = run_until_interrupted(reconcile(&self.state, &self.world));
        }
    }

    fn only_deployment(&self) -> backend_api::Deployment {
        let page = self.state.borrow().deployments_of(alice(), PageRequest::default());
        assert_eq!(page.total, 1, "expected exactly one deployment");
        page.items[0].clone()
    }

    fn balance(&self, owner: Principal) -> u128 {
        self.world.ledger.borrow().balance(owner)
    }

    fn charges(&self) -> usize {
        self.world.ledger.borrow().blocks.iter().filter(|tx| tx.from == alice() && tx.to == BACKEND).count()
    }

    fn refunds(&self) -> usize {
        self.world.ledger.borrow().blocks.iter().filter(|tx| tx.from == BACKEND && tx.to == alice()).count()
    }

    fn invoice_status(&self) -> Option<InvoiceStatus> {
        let invoice_id = self.only_deployment().invoice_id?;
        self.world.invoices.borrow().invoices.iter().find(|i| i.id == invoice_id).map(|i| i.status)
    }

    fn audit_actions(&self) -> Vec<String> {
        self.world.audit.borrow().iter().map(|e| e.action.index_key()).collect()
    }

    /// What must hold whatever failed: charged at most once, refunded at most once, the money accounted for, the
    /// stage final and mirrored by the invoice, no invalid invoice transition ever sent, the outbox drained.
    fn assert_consistent(&self, context: &str) {
        let deployment = self.only_deployment();
        let (charges, refunds) = (self.charges(), self.refunds());
        assert!(charges <= 1 && refunds <= 1, "{context}: {charges} charges, {refunds} refunds");
        assert!(deployment.stage.is_final(), "{context}: stage {:?} ({:?})", deployment.stage, deployment.last_error);
        let created = self.world.factory.borrow().created.clone();
        assert!(created.len() <= 1, "{context}: {} contracts created", created.len());
        let expected_invoice = match deployment.stage {
            DeploymentStage::Completed => {
                assert_eq!((charges, refunds), (1, 0), "{context}");
                assert_eq!(deployment.contract, created.first().copied(), "{context}");
                Some(InvoiceStatus::Completed)
            }
            DeploymentStage::Refunded => {
                assert_eq!((charges, refunds), (1, 1), "{context}");
                assert_eq!(self.balance(alice()), START_BALANCE - 2 * LEDGER_FEE, "{context}");
                Some(InvoiceStatus::Refunded)
            }
            DeploymentStage::Failed => {
                assert_eq!((charges, refunds), (0, 0), "{context}");
                assert_eq!(self.balance(alice()), START_BALANCE, "{context}");
                deployment.invoice_id.map(|_| InvoiceStatus::Failed)
            }
            other => panic!("{context}: not final: {other:?}"),
        };
        assert_eq!(self.invoice_status(), expected_invoice, "{context}: invoice");
        let burned = (charges + refunds) as u128 * LEDGER_FEE;
        assert_eq!(self.balance(alice()) + self.balance(BACKEND) + burned, START_BALANCE, "{context}: money");
        assert!(self.world.invoices.borrow().refused.is_empty(), "{context}: invalid invoice transitions sent");
        assert_eq!(self.state.borrow().outbox_len(), 0, "{context}: outbox not drained");
        assert!(self.state.borrow().dead_letters().is_empty(), "{context}: dead letters");
    }
}

#[test]
fn a_paid_request_deploys_and_records_everything() {
    let fleet = fleet();
    let contract = fleet.create().unwrap();
    assert_eq!(fleet.balance(alice()), START_BALANCE - FEE - LEDGER_FEE);
    assert_eq!(fleet.balance(BACKEND), FEE);
    let deployment = fleet.only_deployment();
    assert_eq!((deployment.stage, deployment.contract), (DeploymentStage::Completed, Some(contract)));
    assert_eq!(deployment.payment_block, Some(Nat::from(0u8)));
    assert_eq!(fleet.invoice_status(), Some(InvoiceStatus::Completed));
    assert_eq!(fleet.audit_actions(), vec!["PaymentReceived", "ContractDeployed"]);
    // The ledger memo is the invoice id, so the payment can be traced to its invoice.
    let memo = fleet.world.ledger.borrow().blocks[0].memo.clone().unwrap();
    assert_eq!(memo.0.to_vec(), invoice_storage_api::invoice_memo(deployment.invoice_id.unwrap()));
    fleet.assert_consistent("happy path");
}

#[test]
fn requests_refused_before_payment_touch_nothing() {
    let fleet = fleet();
    fleet.world.ledger.borrow_mut().allowances.insert(alice(), FEE); // no room for the ledger fee
    let err = fleet.create().unwrap_err();
    assert_eq!(
        err,
        FleetError::InsufficientAllowance { required: Nat::from(FEE + LEDGER_FEE), approved: Nat::from(FEE) }
    );
    let anonymous =
        block_on(flow::create(&fleet.state, &fleet.world, Principal::anonymous(), ContractKind::Token, &token_args()));
    assert!(matches!(anonymous, Err(FleetError::Unauthorized(_))));
    fleet.state.borrow_mut().set_config_value(&controller(), "token_factory.enabled", "false", 1).unwrap();
    assert_eq!(fleet.create(), Err(FleetError::ServiceDisabled("token_factory".into())));
    fleet.state.borrow_mut().set_config_value(&controller(), "token_factory.enabled", "true", 1).unwrap();
    fleet.state.borrow_mut().set_maintenance_mode(&controller(), true, 1).unwrap();
    assert_eq!(fleet.create(), Err(FleetError::MaintenanceMode));
    assert_eq!(fleet.state.borrow().deployments_of(alice(), PageRequest::default()).total, 0);
    assert!(fleet.world.ledger.borrow().blocks.is_empty());
    assert!(fleet.world.invoices.borrow().invoices.is_empty());
}

#[test]
fn without_microservices_nothing_can_be_sold() {
    let world = FakeRuntime::default();
    let mut state = BackendState::init(VectorMemory::default());
    state.install(p(3), &[], p(1), BACKEND, 0).unwrap();
    let result = block_on(flow::create(&state.into_shared(), &world, alice(), ContractKind::Token, &token_args()));
    assert!(matches!(result, Err(FleetError::ServiceNotConfigured(_))));
    assert!(world.calls.borrow().is_empty());
}

#[test]
fn a_refused_payment_fails_the_invoice_and_charges_nothing() {
    let fleet = fleet();
    fleet.world.ledger.borrow_mut().balances.insert(alice(), FEE); // cannot pay the ledger fee too
    assert!(matches!(fleet.create(), Err(FleetError::PaymentFailed(_))));
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Failed);
    assert_eq!(fleet.invoice_status(), Some(InvoiceStatus::Failed));
    assert_eq!(fleet.audit_actions(), vec!["DeploymentFailed"]);
}

#[test]
fn a_factory_failure_after_payment_is_refunded_and_the_user_sees_the_factory_error() {
    let fleet = fleet();
    let refusal = FleetError::invalid("symbol: taken");
    fleet.world.factory.borrow_mut().refuse_with = Some(refusal.clone());
    assert_eq!(fleet.create(), Err(refusal));
    let deployment = fleet.only_deployment();
    assert_eq!(deployment.stage, DeploymentStage::Refunded);
    assert_eq!(deployment.refund_amount, Some(Nat::from(FEE - LEDGER_FEE)));
    assert_eq!(fleet.audit_actions(), vec!["PaymentReceived", "DeploymentFailed", "RefundIssued"]);
    fleet.assert_consistent("factory refused");
}

#[test]
fn a_failed_refund_is_retried_by_the_timer_with_backoff_until_it_succeeds() {
    let fleet = fleet();
    fleet.world.factory.borrow_mut().refuse_with = Some(FleetError::Internal("out of cycles".into()));
    fleet.world.inject("icrc1_transfer", Fault::Reject);
    fleet.world.inject("icrc1_transfer", Fault::Refuse);
    assert!(fleet.create().is_err());
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::RefundFailed);
    assert_eq!(fleet.invoice_status(), Some(InvoiceStatus::RefundFailed));
    // Not due yet: the timer leaves it alone.
    block_on(reconcile(&fleet.state, &fleet.world));
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::RefundFailed);
    fleet.settle();
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Refunded);
    let actions = fleet.audit_actions();
    assert_eq!(actions.iter().filter(|a| *a == "RefundFailed").count(), 2, "{actions:?}");
    fleet.assert_consistent("refund retried");
}

#[test]
fn a_lost_payment_reply_is_resolved_by_the_ledger_dedup_and_charges_once() {
    let fleet = fleet();
    fleet.world.inject("icrc2_transfer_from", Fault::LostReply);
    let first = fleet.create();
    assert!(matches!(first, Err(FleetError::InvalidState(_))), "{first:?}");
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Charging);
    assert_eq!(fleet.charges(), 1);
    fleet.settle();
    // The re-sent transfer came back as a Duplicate of the first: paid once, then deployed.
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Completed);
    fleet.assert_consistent("lost payment reply");
}

#[test]
fn a_lost_factory_reply_is_resent_with_the_same_request_id_and_deploys_once() {
    let fleet = fleet();
    fleet.world.inject("createContract", Fault::LostReply);
    assert!(fleet.create().is_err());
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Deploying);
    fleet.settle();
    assert_eq!(fleet.world.factory.borrow().created.len(), 1);
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Completed);
    fleet.assert_consistent("lost factory reply");
}

#[test]
fn a_factory_still_working_on_the_request_is_asked_again_later_not_refunded() {
    let fleet = fleet();
    fleet.world.inject("createContract", Fault::LostReply);
    fleet.world.factory.borrow_mut().busy_answers = 2 * super::steps::MAX_DEPLOY_ATTEMPTS;
    assert!(fleet.create().is_err());
    fleet.settle();
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Completed);
    assert_eq!(fleet.refunds(), 0);
    fleet.assert_consistent("factory busy");
}

#[test]
fn a_factory_that_never_answers_is_given_up_on_and_refunded() {
    let fleet = fleet();
    for _ in 0..super::steps::MAX_DEPLOY_ATTEMPTS {
        fleet.world.inject("createContract", Fault::Timeout);
    }
    assert!(fleet.create().is_err());
    fleet.settle();
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Refunded);
    fleet.assert_consistent("factory timeouts");
}

#[test]
fn any_single_failure_at_any_await_leaves_a_consistent_outcome() {
    let awaits: [&'static str; 8] = [
        "icrc1_fee",
        "icrc2_allowance",
        "recordPayment",
        "icrc2_transfer_from",
        "createContract",
        "icrc1_transfer",
        "updateInvoiceStatus",
        "logEvent",
    ];
    for method in awaits {
        for fault in [Fault::Reject, Fault::LostReply, Fault::Timeout, Fault::Refuse] {
            for repeat in [1, 3] {
                let context = format!("{fault:?} x{repeat} at {method}");
                let fleet = fleet();
                if method == "icrc1_transfer" {
                    // Reach the refund: the factory refuses.
                    fleet.world.factory.borrow_mut().refuse_with = Some(FleetError::Internal("boom".into()));
                }
                for _ in 0..repeat {
                    fleet.world.inject(method, fault);
                }
                let result = fleet.create();
                let deployments = fleet.state.borrow().deployments_of(alice(), PageRequest::default()).total;
                if deployments == 0 {
                    // Refused before anything was recorded: nothing may have moved.
                    assert!(result.is_err(), "{context}");
                    assert!(fleet.world.ledger.borrow().blocks.is_empty(), "{context}");
                    continue;
                }
                fleet.settle();
                fleet.assert_consistent(&context);
                if let Ok(contract) = result {
                    assert_eq!(fleet.only_deployment().contract, Some(contract), "{context}");
                }
            }
        }
    }
}

#[test]
fn a_storage_outage_delays_records_without_blocking_payments_or_reordering_them() {
    let fleet = fleet();
    for _ in 0..10 {
        fleet.world.inject("logEvent", Fault::Reject);
    }
    fleet.create().unwrap();
    // Invoice updates went through while the audit log was down.
    assert_eq!(fleet.invoice_status(), Some(InvoiceStatus::Completed));
    assert!(fleet.world.audit.borrow().is_empty());
    assert_eq!(fleet.state.borrow().outbox_len(), 2);
    fleet.settle();
    assert_eq!(fleet.audit_actions(), vec!["PaymentReceived", "ContractDeployed"]);
    fleet.assert_consistent("audit outage");
}

#[test]
fn one_request_per_user_and_one_driver_per_deployment() {
    let fleet = fleet();
    {
        let _busy = UserGuard::acquire(&fleet.state, alice()).unwrap();
        assert_eq!(fleet.create(), Err(FleetError::AlreadyInProgress));
    }
    // A parked deployment held by another future is skipped by the timer.
    fleet.world.inject("createContract", Fault::LostReply);
    assert!(fleet.create().is_err());
    let id = fleet.only_deployment().id;
    {
        let _driving = DeploymentGuard::try_acquire(&fleet.state, id).unwrap();
        fleet.settle();
        assert_eq!(fleet.only_deployment().stage, DeploymentStage::Deploying);
    }
    fleet.settle();
    fleet.assert_consistent("guards");
}

#[test]
fn a_request_interrupted_before_payment_is_failed_and_one_interrupted_while_charging_is_finished() {
    let fleet = fleet();
    let plan = fleet.state.borrow().plan(alice(), ContractKind::Token).unwrap();
    let now = fleet.world.now.get();
    // Interrupted while creating the invoice (e.g. a trap in the callback): nothing charged, closed by the timer.
    let first = fleet.state.borrow_mut().open_deployment(alice(), &plan, Nat::from(LEDGER_FEE), now);
    // Interrupted after the charge was written down but before the transfer was sent.
    let second = fleet.state.borrow_mut().open_deployment(alice(), &plan, Nat::from(LEDGER_FEE), now);
    let options = fleet_api::DeployOptions { initial_cycles: None, request_id: Some(77) };
    let arg = candid::encode_args((alice(), token_args(), options)).unwrap();
    block_on(async {
        use super::runtime::Runtime;
        let args = invoice_storage_api::RecordPaymentArgs {
            user: alice(),
            service: "token_factory".into(),
            amount: Nat::from(FEE),
            ledger: p(3),
            request_id: Some(second),
        };
        let invoice = fleet.world.record_payment(p(21), args).await.unwrap().unwrap();
        fleet.state.borrow_mut().begin_charge(second, invoice.id, arg, BACKEND, now);
    });
    fleet.settle();
    let state = fleet.state.borrow();
    assert_eq!(state.deployment_record(first).unwrap().stage(), DeploymentStage::Failed);
    assert_eq!(state.deployment_record(second).unwrap().stage(), DeploymentStage::Completed);
    assert_eq!(fleet.charges(), 1);
}

#[test]
fn a_ledger_fee_change_before_the_refund_is_absorbed() {
    let fleet = fleet();
    fleet.world.factory.borrow_mut().refuse_with = Some(FleetError::Internal("boom".into()));
    fleet.world.inject("createContract", Fault::Refuse);
    // The ledger fee doubles after the payment: the first refund attempt gets BadFee.
    fleet.world.inject("icrc1_transfer", Fault::Reject);
    assert!(fleet.create().is_err());
    fleet.world.ledger.borrow_mut().fee = 2 * LEDGER_FEE;
    fleet.settle();
    let deployment = fleet.only_deployment();
    assert_eq!(deployment.stage, DeploymentStage::Refunded);
    assert_eq!(deployment.refund_amount, Some(Nat::from(FEE - 2 * LEDGER_FEE)));
    assert_eq!(fleet.refunds(), 1);
}

#[test]
fn a_free_service_deploys_without_invoice_or_payment() {
    let fleet = fleet();
    fleet.state.borrow_mut().set_config_value(&controller(), "token_factory.fee", "0", 1).unwrap();
    fleet.create().unwrap();
    assert!(fleet.world.ledger.borrow().blocks.is_empty());
    assert!(fleet.world.invoices.borrow().invoices.is_empty());
    let calls = fleet.world.calls.borrow().clone();
    assert!(!calls.iter().any(|c| c.starts_with("icrc")), "{calls:?}");
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Completed);
}

#[test]
fn a_record_the_storage_refuses_is_kept_for_operators_and_makes_the_backend_unhealthy() {
    let fleet = fleet();
    fleet.world.inject("updateInvoiceStatus", Fault::Reject);
    fleet.create().unwrap();
    assert_eq!(fleet.state.borrow().outbox_len(), 2, "both invoice updates wait for the storage");
    // The storage lost the invoice: the queued updates can never apply.
    fleet.world.invoices.borrow_mut().invoices.clear();
    fleet.settle();
    let state = fleet.state.borrow();
    assert_eq!(state.outbox_len(), 0);
    let refused = state.refused_records(&controller()).unwrap();
    assert_eq!(refused.len(), 2);
    assert!(refused[0].description.contains("Paid") && refused[1].description.contains("Completed"), "{refused:?}");
    assert!(refused.iter().all(|r| matches!(r.error, FleetError::NotFound(_)) && r.storage == p(21)));
    assert!(matches!(state.refused_records(&Caller::user(alice())), Err(FleetError::Unauthorized(_))));
    let facts =
        service_base::ic_env::RuntimeFacts { canister_id: BACKEND, cycles: Nat::from(1u8), memory_bytes: 0, now: 0 };
    let health = state.health(&facts);
    assert!(!health.healthy && health.message.contains("dead letters"), "{}", health.message);
    // The audit trail was not held up by the invoice storage's trouble.
    assert_eq!(fleet.audit_actions(), vec!["PaymentReceived", "ContractDeployed"]);
}

#[test]
fn a_token_its_owner_would_refuse_is_turned_away_before_any_charge() {
    let fleet = fleet();
    // The setup's audit events are not part of the request.
    fleet.world.calls.borrow_mut().clear();
    // No minting account: the owner's default account is the minting account, which cannot hold a balance.
    let mut args = token_args();
    args.initial_balances = vec![(token_api::Account { owner: alice(), subaccount: None }, Nat::from(5u8))];
    let result = block_on(super::requests::create_token(&fleet.state, &fleet.world, alice(), &args));
    assert!(matches!(result, Err(FleetError::InvalidInput(_))), "{result:?}");
    assert!(fleet.world.calls.borrow().is_empty(), "the ledger or a storage was called: {:?}", fleet.world.calls);
    assert_eq!(fleet.state.borrow().deployments_of(alice(), PageRequest::default()).total, 0);
    assert!(fleet.world.invoices.borrow().invoices.is_empty());
    // The same balance on another account is fine.
    args.initial_balances = vec![(token_api::Account { owner: p(11), subaccount: None }, Nat::from(5u8))];
    assert!(block_on(super::requests::create_token(&fleet.state, &fleet.world, alice(), &args)).is_ok());
}

#[test]
fn a_launchpad_its_contract_would_refuse_is_turned_away_before_any_charge() {
    let fleet = fleet();
    fleet.world.calls.borrow_mut().clear(); // the setup's audit events
    let now = fleet.world.now.get();
    let hour = 3_600 * 1_000_000_000;
    let args = launchpad_api::LaunchpadArgs {
        name: "Seed round".into(),
        sale_ledger: p(40),
        payment_ledger: p(41),
        price: launchpad_api::Price { payment: Nat::from(1u8), tokens: Nat::from(10u8) },
        soft_cap: Nat::from(1_000u32),
        hard_cap: Nat::from(10_000u32),
        start_time: now + hour,
        end_time: now + 2 * hour,
        min_per_buyer: Nat::from(10u8),
        max_per_buyer: Nat::from(1_000u32),
        allow_list: None,
        vesting: None,
    };
    let mut caps = args.clone();
    caps.soft_cap = Nat::from(10_001u32);
    let mut started = args.clone();
    started.start_time = now - 1;
    let mut limits = args.clone();
    limits.min_per_buyer = Nat::from(1_001u32);
    for (bad, field) in [(caps, "soft_cap"), (started, "start_time"), (limits, "min_per_buyer")] {
        let result = block_on(super::requests::create_launchpad(&fleet.state, &fleet.world, alice(), &bad));
        assert!(matches!(&result, Err(FleetError::InvalidInput(t)) if t.starts_with(field)), "{result:?}");
    }
    assert!(fleet.world.calls.borrow().is_empty(), "the ledger or a storage was called: {:?}", fleet.world.calls);
    assert_eq!(fleet.state.borrow().deployments_of(alice(), PageRequest::default()).total, 0);
    // A valid sale goes on to the payment, at the launchpad factory's fee (10 ICP, plus the ledger fee): alice's
    // approval does not cover it.
    let created = block_on(super::requests::create_launchpad(&fleet.state, &fleet.world, alice(), &args));
    let required = Nat::from(1_000_000_000u64 + 10_000);
    assert!(
        matches!(&created, Err(FleetError::InsufficientAllowance { required: r, .. }) if *r == required),
        "{created:?}"
    );
}
