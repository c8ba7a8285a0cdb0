//! One test per defect of issue #8 that lives in the backend, each reproducing the review's scenario.

use super::super::fake_runtime::{FakeRuntime, Fault, BACKEND};
use super::super::keys::KeyUse;
use super::super::{flow, reconcile::reconcile, resolve, withdrawal};
use super::*;
use backend_api::{DeploymentResolution, ResolveDeploymentArgs, WithdrawFeesArgs, WithdrawalStatus};
use icrc_ledger_types::icrc1::account::Account;

const DAY: u64 = 24 * HOUR;

fn bob() -> Principal {
    p(11)
}

impl Fleet {
    fn fund(&self, user: Principal) {
        let mut ledger = self.world.ledger.borrow_mut();
        ledger.balances.insert(user, START_BALANCE);
        ledger.allowances.insert(user, FEE + LEDGER_FEE);
    }

    fn create_for(&self, user: Principal) -> FleetResult<Principal> {
        block_on(flow::create(&self.state, &self.world, user, ContractKind::Token, &token_args()))
    }

    fn deployment(&self, id: u64) -> backend_api::Deployment {
        self.state.borrow().deployment_record(id).unwrap().view
    }

    fn resolve(&self, resolution: DeploymentResolution) -> FleetResult<backend_api::Deployment> {
        let id = self.only_deployment().id;
        let args = ResolveDeploymentArgs { id, resolution, note: "checked the ledger".into() };
        block_on(resolve::resolve_deployment(&self.state, &self.world, &controller(), args))
    }
}

// 1. A paying user must never be handed another user's contract.

#[test]
fn a_reinstalled_invoice_storage_does_not_make_the_factory_replay_another_users_contract() {
    let fleet = fleet();
    let alices = fleet.create().unwrap();
    // Invoice storage is swapped for a fresh one: invoice ids start again, so bob's invoice gets alice's id.
    fleet.world.reinstall_invoice_storage();
    fleet.fund(bob());
    let bobs = fleet.create_for(bob()).unwrap();
    assert_ne!(alices, bobs, "bob was handed alice's contract");
    assert_eq!(fleet.world.factory.borrow().owners, vec![alice(), bob()]);
}

#[test]
fn a_reinstalled_backend_uses_new_keys_and_never_charges_against_an_old_invoice() {
    let fleet = fleet();
    fleet.create().unwrap();
    let first_key = fleet.state.borrow().deployment_record(0).unwrap().request_key;
    // The backend is reinstalled (fresh memory, a later install time): its deployment ids start at 0 again.
    let mut fresh = BackendState::init(VectorMemory::default());
    fleet.world.advance_time(1);
    fresh.install(p(3), &[], p(1), BACKEND, fleet.world.now.get()).unwrap();
    fresh.setup_microservices(&controller(), fleet.state.borrow().settings().microservices.unwrap(), BACKEND).unwrap();
    *fleet.state.borrow_mut() = fresh;
    fleet.fund(alice());
    let second = fleet.create().unwrap();
    let second_key = fleet.state.borrow().deployment_record(0).unwrap().request_key;
    assert_ne!(first_key, second_key);
    assert_eq!(fleet.world.factory.borrow().created.len(), 2);
    assert_eq!(fleet.world.factory.borrow().created[1], second);
    assert_eq!(fleet.charges(), 2, "alice paid for two contracts and got two");
}

#[test]
fn a_charge_goes_only_against_a_new_pending_invoice_of_this_request() {
    let fleet = fleet();
    // Invoice storage answers the next request's key with an invoice that is already settled.
    let key = fleet.state.borrow().key(KeyUse::Deployment, 0);
    block_on(async {
        use super::super::runtime::Runtime;
        let args = invoice_storage_api::RecordPaymentArgs {
            user: alice(),
            service: "token_factory".into(),
            amount: Nat::from(FEE),
            ledger: p(3),
            request_id: Some(key),
        };
        fleet.world.record_payment(p(21), args).await.unwrap().unwrap();
    });
    fleet.world.invoices.borrow_mut().invoices[0].status = InvoiceStatus::Completed;
    let result = fleet.create();
    assert!(matches!(result, Err(FleetError::InvalidState(_))), "{result:?}");
    assert_eq!(fleet.charges(), 0);
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Failed);
}

// 2. An interrupted call is an unknown outcome, never "did not happen".

#[test]
fn a_charge_whose_reply_never_arrived_is_not_failed_by_a_busy_ledger_on_the_retry() {
    let fleet = fleet();
    fleet.world.inject("icrc2_transfer_from", Fault::Interrupted { executed: true });
    assert!(fleet.create_interruptible().is_none());
    // The retry meets a busy ledger: that says nothing about the first transfer, which did go through.
    fleet.world.inject("icrc2_transfer_from", Fault::Refuse);
    fleet.settle();
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Completed);
    fleet.assert_consistent("charge interrupted, retry refused as busy");
}

#[test]
fn a_charge_interrupted_by_a_backend_upgrade_is_finished_after_it() {
    let fleet = fleet();
    fleet.world.inject("icrc2_transfer_from", Fault::Interrupted { executed: true });
    assert!(fleet.create_interruptible().is_none());
    fleet.upgrade_backend();
    fleet.settle();
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Completed);
    fleet.assert_consistent("charge interrupted by an upgrade");
}

#[test]
fn a_charge_of_unknown_outcome_past_the_dedup_window_goes_to_an_operator_not_to_unpaid() {
    let fleet = fleet();
    fleet.world.inject("icrc2_transfer_from", Fault::Interrupted { executed: true });
    assert!(fleet.create_interruptible().is_none());
    // The backend only comes back a day later: the ledger can no longer deduplicate the re-send.
    fleet.world.advance_time(DAY + HOUR);
    block_on(reconcile(&fleet.state, &fleet.world));
    let deployment = fleet.only_deployment();
    assert_eq!(deployment.stage, DeploymentStage::Charging, "{deployment:?}");
    assert!(deployment.needs_operator.is_some());
    assert!(!fleet.state.borrow().health(&facts()).healthy);
    // The operator finds the payment in block 0 on the ledger.
    let resolved = fleet.resolve(DeploymentResolution::TransferExecuted { block_index: Nat::from(0u8) }).unwrap();
    assert_eq!(resolved.stage, DeploymentStage::Completed);
    fleet.assert_consistent("charge settled by an operator");
}

#[test]
fn a_refund_whose_reply_never_arrived_is_resent_identically_even_after_a_fee_change() {
    let fleet = fleet();
    fleet.world.factory.borrow_mut().refuse_with = Some(FleetError::Internal("out of cycles".into()));
    fleet.world.inject("icrc1_transfer", Fault::Interrupted { executed: true });
    assert!(fleet.create_interruptible().is_none());
    fleet.upgrade_backend();
    // The ledger fee changes before the retry: a new amount or fee would be a second refund.
    fleet.world.ledger.borrow_mut().fee = 2 * LEDGER_FEE;
    fleet.settle();
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Refunded);
    assert_eq!(fleet.refunds(), 1);
    assert_eq!(fleet.only_deployment().refund_amount, Some(Nat::from(FEE - LEDGER_FEE)));
}

#[test]
fn a_refund_of_unknown_outcome_past_the_dedup_window_is_never_sent_again_without_an_operator() {
    let fleet = fleet();
    fleet.world.factory.borrow_mut().refuse_with = Some(FleetError::Internal("out of cycles".into()));
    fleet.world.inject("icrc1_transfer", Fault::Interrupted { executed: true });
    assert!(fleet.create_interruptible().is_none());
    fleet.world.advance_time(DAY + HOUR);
    fleet.settle();
    assert_eq!(fleet.refunds(), 1, "a new refund transfer was sent");
    let deployment = fleet.only_deployment();
    assert!(deployment.needs_operator.is_some(), "{deployment:?}");
    let resolved = fleet.resolve(DeploymentResolution::TransferExecuted { block_index: Nat::from(1u8) }).unwrap();
    assert_eq!(resolved.stage, DeploymentStage::Refunded);
    assert_eq!(fleet.refunds(), 1);
}

// 5. Nothing stuck forever; the operator tools settle only what the facts allow.

#[test]
fn repeated_unknown_factory_outcomes_end_with_the_contract_it_deployed_not_with_a_refund() {
    let fleet = fleet();
    // The factory deploys every time, but no reply is ever read.
    for _ in 0..super::super::steps::MAX_DEPLOY_ATTEMPTS {
        fleet.world.inject("createContract", Fault::LostReply);
    }
    assert!(fleet.create().is_err());
    fleet.settle();
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Completed);
    assert_eq!(fleet.refunds(), 0, "refunded a user who got the contract");
    fleet.assert_consistent("factory replies lost");
}

#[test]
fn a_request_the_factory_never_received_is_abandoned_there_before_the_refund() {
    let fleet = fleet();
    for _ in 0..super::super::steps::MAX_DEPLOY_ATTEMPTS {
        fleet.world.inject("createContract", Fault::Timeout);
    }
    assert!(fleet.create().is_err());
    fleet.settle();
    assert_eq!(fleet.only_deployment().stage, DeploymentStage::Refunded);
    let key = fleet.state.borrow().deployment_record(0).unwrap().request_key.unwrap();
    let recorded = fleet.world.factory.borrow().by_request.get(&key).cloned();
    assert_eq!(recorded, Some(super::super::fake_runtime::FakeRequest::Abandoned));
}

#[test]
fn a_factory_stuck_on_a_request_is_flagged_and_an_operator_settles_it_from_the_factorys_facts() {
    let fleet = fleet();
    fleet.world.inject("createContract", Fault::LostReply);
    fleet.world.factory.borrow_mut().busy_answers = 1_000;
    assert!(fleet.create().is_err());
    fleet.settle();
    let deployment = fleet.only_deployment();
    assert_eq!(deployment.stage, DeploymentStage::Deploying);
    assert!(deployment.needs_operator.is_some(), "re-parked forever: {deployment:?}");
    assert_eq!(fleet.state.borrow().flagged_count(), 1);
    let health = fleet.state.borrow().health(&facts());
    assert!(!health.healthy && health.message.contains("need an operator"), "{}", health.message);
    // A refund is not what the facts allow while the factory still has it in progress.
    let refused = fleet.resolve(DeploymentResolution::TransferNotExecuted);
    assert!(matches!(refused, Err(FleetError::InvalidState(_))), "{refused:?}");
    fleet.world.factory.borrow_mut().busy_answers = 0;
    let resolved = fleet.resolve(DeploymentResolution::SettleWithFactory).unwrap();
    assert_eq!(resolved.stage, DeploymentStage::Completed);
    assert_eq!(fleet.refunds(), 0);
    // Resolving is for admins, and only for flagged deployments.
    let args = ResolveDeploymentArgs { id: 0, resolution: DeploymentResolution::Retry, note: String::new() };
    let user = block_on(resolve::resolve_deployment(&fleet.state, &fleet.world, &Caller::user(alice()), args.clone()));
    assert!(matches!(user, Err(FleetError::Unauthorized(_))));
    let done = block_on(resolve::resolve_deployment(&fleet.state, &fleet.world, &controller(), args));
    assert!(matches!(done, Err(FleetError::InvalidState(_))));
}

fn facts() -> service_base::ic_env::RuntimeFacts {
    service_base::ic_env::RuntimeFacts { canister_id: BACKEND, cycles: Nat::from(1u8), memory_bytes: 0, now: 0 }
}

fn withdraw(fleet: &Fleet, caller: &Caller, amount: u128) -> FleetResult<backend_api::Withdrawal> {
    let args = WithdrawFeesArgs { to: Account { owner: p(40), subaccount: None }, amount: Nat::from(amount) };
    block_on(withdrawal::withdraw_fees(&fleet.state, &fleet.world, caller, args))
}

#[test]
fn collected_fees_can_be_withdrawn_but_never_what_an_open_deployment_may_refund() {
    let fleet = fleet();
    fleet.create().unwrap();
    // bob's deployment is paid but parked at the factory: his fee must stay.
    fleet.fund(bob());
    fleet.world.inject("createContract", Fault::Timeout);
    assert!(fleet.create_for(bob()).is_err());
    assert_eq!(fleet.balance(BACKEND), 2 * FEE);
    assert!(matches!(withdraw(&fleet, &Caller::user(alice()), 1), Err(FleetError::Unauthorized(_))));
    assert!(matches!(withdraw(&fleet, &controller(), 0), Err(FleetError::InvalidInput(_))));
    let too_much = withdraw(&fleet, &controller(), FEE);
    assert!(matches!(&too_much, Err(FleetError::InvalidInput(m)) if m.contains("reserved")), "{too_much:?}");
    assert_eq!(fleet.balance(p(40)), 0);
    let done = withdraw(&fleet, &controller(), FEE - LEDGER_FEE).unwrap();
    assert!(matches!(done.status, WithdrawalStatus::Done { .. }), "{done:?}");
    assert_eq!(fleet.balance(p(40)), FEE - LEDGER_FEE);
    // bob's deployment still completes (or is refunded) from what was kept.
    fleet.settle();
    assert_eq!(fleet.deployment(1).stage, DeploymentStage::Completed);
    assert_eq!(fleet.balance(BACKEND), FEE);
}

#[test]
fn a_withdrawal_of_unknown_outcome_is_resent_identically_and_moves_money_once() {
    let fleet = fleet();
    fleet.create().unwrap();
    fleet.world.inject("icrc1_transfer", Fault::LostReply);
    let sent = withdraw(&fleet, &controller(), FEE / 2).unwrap();
    assert_eq!(sent.status, WithdrawalStatus::Sending);
    // A second withdrawal waits for the first.
    assert!(matches!(withdraw(&fleet, &controller(), 1), Err(FleetError::InvalidState(_))));
    fleet.settle();
    let stranger = fleet.state.borrow().withdrawals_newest_first(&Caller::user(alice()), 10);
    assert!(matches!(stranger, Err(FleetError::Unauthorized(_))), "getWithdrawals is for admins");
    let withdrawals = fleet.state.borrow().withdrawals_newest_first(&controller(), 10).unwrap();
    assert!(matches!(withdrawals[0].status, WithdrawalStatus::Done { .. }), "{withdrawals:?}");
    assert_eq!(fleet.balance(p(40)), FEE / 2);
    let actions = fleet.audit_actions();
    assert!(actions.contains(&"Other:FeesWithdrawn".to_string()), "{actions:?}");
}

// 8. The default initial cycles keep a new contract above its freezing threshold.

#[test]
fn the_default_initial_cycles_are_realistic() {
    let fleet = fleet();
    let plan = fleet.state.borrow().plan(alice(), ContractKind::Token).unwrap();
    assert!(plan.initial_cycles.unwrap() >= Nat::from(500_000_000_000u64));
}

// 10. The timer reads only due deployments; operators' flags take a deployment out of its way.

#[test]
fn the_timer_reads_only_due_deployments() {
    let fleet = fleet();
    fleet.world.inject("createContract", Fault::Timeout);
    assert!(fleet.create().is_err());
    let now = fleet.world.now.get();
    assert!(fleet.state.borrow().due_deployments(now, 10).is_empty(), "parked, not due yet");
    let due_at = fleet.state.borrow().deployment_record(0).unwrap().next_attempt_at;
    assert_eq!(fleet.state.borrow().due_deployments(due_at, 10), vec![0]);
    assert!(fleet.state.borrow().contract_arg(0).is_some());
    fleet.settle();
    assert!(fleet.state.borrow().due_deployments(u64::MAX, 10).is_empty());
    // A final deployment's argument is dropped: nothing will send it again.
    assert!(fleet.state.borrow().contract_arg(0).is_none());
}

// 11. Nothing left Pending or recorded twice.

#[test]
fn an_invoice_whose_creation_was_interrupted_is_closed_not_left_pending() {
    for fault in [Fault::Interrupted { executed: true }, Fault::LostReply] {
        let fleet = fleet();
        fleet.world.inject("recordPayment", fault);
        fleet.world.inject("recordPayment", fault);
        let _ = fleet.create_interruptible();
        fleet.settle();
        assert_eq!(fleet.only_deployment().stage, DeploymentStage::Failed, "{fault:?}");
        let statuses: Vec<_> = fleet.world.invoices.borrow().invoices.iter().map(|i| i.status).collect();
        assert_eq!(statuses, vec![InvoiceStatus::Failed], "{fault:?}");
        assert_eq!(fleet.charges(), 0);
    }
}

#[test]
fn an_audit_event_resent_after_a_lost_reply_is_recorded_once() {
    let fleet = fleet();
    fleet.world.inject("logEvent", Fault::LostReply);
    fleet.create().unwrap();
    fleet.settle();
    assert_eq!(fleet.audit_actions(), vec!["PaymentReceived", "ContractDeployed"]);
}

#[test]
fn schema_1_deployments_are_migrated_with_the_exact_transfers_they_sent() {
    use super::super::legacy::{upgrade_record, DeploymentRecordV1};
    let world = FakeRuntime::default();
    let view = backend_api::Deployment {
        id: 4,
        user: alice(),
        kind: ContractKind::Token,
        fee: Nat::from(FEE),
        ledger: p(3),
        invoice_id: Some(9),
        stage: DeploymentStage::Refunding,
        created_at: 1,
        updated_at: 2,
        payment_block: Some(Nat::from(0u8)),
        contract: None,
        refund_block: None,
        refund_amount: None,
        last_error: None,
        failed_attempts: 1,
        needs_operator: None,
    };
    let old = DeploymentRecordV1 {
        view,
        factory: p(22),
        invoice_storage: p(21),
        audit_storage: p(20),
        ledger_fee: Nat::from(LEDGER_FEE),
        create_contract_arg: vec![1, 2, 3],
        charge_created_at: Some(5),
        refund_created_at: Some(7),
        refund_outcome_unknown: false,
        next_attempt_at: world.now.get(),
        factory_error: None,
        needs_operator: None,
    };
    let (record, arg) = upgrade_record(old, BACKEND);
    assert_eq!(arg, vec![1, 2, 3]);
    assert_eq!(record.request_key, Some(9), "schema 1 sent the invoice id as request id");
    let refund = record.refund.unwrap();
    assert_eq!(refund.args.fee, Some(Nat::from(LEDGER_FEE)), "re-sent exactly as schema 1 sent it");
    assert_eq!(refund.args.created_at_time, Some(7));
    assert!(refund.outcome_unknown, "a refund recorded as Refunding may have been sent");
    let charge = record.charge.unwrap();
    assert_eq!((charge.args.created_at_time, charge.args.to.owner), (Some(5), BACKEND));
    assert!(!charge.outcome_unknown, "the charge was answered (the deployment got past Charging)");
}

// Issue #13: the multisig and distribution kinds go through the same paid flow, checked before any charge.

#[test]
fn multisig_and_distribution_requests_are_checked_before_any_charge_and_then_paid_like_a_token() {
    let fleet = fleet();
    fleet.world.calls.borrow_mut().clear();
    let wallet = |threshold| multisig_api::MultisigArgs {
        name: "Team wallet".into(),
        signers: vec![p(50), p(51), p(52)],
        threshold,
        default_expiry_seconds: None,
    };
    let refused = block_on(super::super::requests::create_multisig(&fleet.state, &fleet.world, alice(), &wallet(4)));
    assert!(matches!(refused, Err(FleetError::InvalidInput(_))), "{refused:?}");
    let airdrop = |recipients| distribution_api::DistributionArgs {
        name: "Airdrop".into(),
        ledger: p(60),
        schedule: distribution_api::Schedule::Airdrop,
        recipients,
    };
    let twice = vec![(p(61), Nat::from(5u8)), (p(61), Nat::from(7u8))];
    let refused =
        block_on(super::super::requests::create_distribution(&fleet.state, &fleet.world, alice(), &airdrop(twice)));
    assert!(matches!(refused, Err(FleetError::InvalidInput(_))), "{refused:?}");
    assert!(fleet.world.calls.borrow().is_empty(), "refused requests called out: {:?}", fleet.world.calls);

    let wallet = block_on(super::super::requests::create_multisig(&fleet.state, &fleet.world, alice(), &wallet(2)));
    assert!(wallet.is_ok(), "{wallet:?}");
    assert_eq!(fleet.deployment(0).kind, ContractKind::Multisig);
    assert_eq!(fleet.deployment(0).stage, DeploymentStage::Completed);
    fleet.fund(alice());
    let airdrop = airdrop(vec![(p(61), Nat::from(5u8))]);
    let distribution =
        block_on(super::super::requests::create_distribution(&fleet.state, &fleet.world, alice(), &airdrop));
    assert!(distribution.is_ok(), "{distribution:?}");
    assert_eq!(fleet.deployment(1).kind, ContractKind::Distribution);
    assert_eq!(fleet.charges(), 2);
}

// Issue #14: the DAO kind goes through the same paid flow, its arguments checked before any charge.

#[test]
fn dao_requests_are_checked_before_any_charge_and_then_paid_like_a_token() {
    let fleet = fleet();
    fleet.world.calls.borrow_mut().clear();
    let dao = |quorum_basis_points| dao_api::DaoArgs {
        name: "Guild".into(),
        governance_token: p(70),
        parameters: dao_api::DaoParameters {
            voting_period_seconds: 3 * 24 * 3600,
            quorum_basis_points,
            approval_threshold_basis_points: 5_000,
            min_stake_to_propose: Nat::from(1_000u32),
            locks: vec![dao_api::LockOption { duration_seconds: 0, multiplier_basis_points: 10_000 }],
        },
    };
    for bad in [dao(0), dao(10_001), dao_api::DaoArgs { governance_token: Principal::anonymous(), ..dao(1_000) }] {
        let refused = block_on(super::super::requests::create_dao(&fleet.state, &fleet.world, alice(), &bad));
        assert!(matches!(refused, Err(FleetError::InvalidInput(_))), "{refused:?}");
    }
    assert!(fleet.world.calls.borrow().is_empty(), "refused requests called out: {:?}", fleet.world.calls);
    assert_eq!(fleet.charges(), 0);

    const DAO_FEE: u128 = 500_000_000; // dao_factory.fee default: 5 ICP
    fleet.world.ledger.borrow_mut().allowances.insert(alice(), DAO_FEE + LEDGER_FEE);
    let created = block_on(super::super::requests::create_dao(&fleet.state, &fleet.world, alice(), &dao(2_000)));
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(fleet.deployment(0).kind, ContractKind::Dao);
    assert_eq!(fleet.deployment(0).stage, DeploymentStage::Completed);
    assert_eq!(fleet.charges(), 1);
    assert_eq!(fleet.balance(alice()), START_BALANCE - DAO_FEE - LEDGER_FEE, "charged exactly the DAO fee");
}
