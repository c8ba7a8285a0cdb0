//! The synchronous half of the flow: each function moves one deployment to its next stage in stable memory and
//! queues the invoice and audit records that go with it. The async half (`flow`) calls these between awaits.

use super::keys::KeyUse;
use super::ledger_send::LedgerSend;
use super::outbox::OutboxItem;
use super::record::{DeploymentRecord, FactoryCall};
use crate::state::BackendState;
use audit_storage_api::{AuditAction, AuditOutcome, LogEventArgs};
use backend_api::{Deployment, DeploymentStage};
use candid::{Nat, Principal};
use fleet_api::{ContractKind, FleetError, FleetResult};
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::TransferArg;
use icrc_ledger_types::icrc2::transfer_from::TransferFromArgs;
use invoice_storage_api::{invoice_memo, InvoiceTransition};
use service_base::Candid;

/// Factory calls with an unknown outcome are re-sent this many times; then the factory is asked for the request's
/// settled outcome (`abandonDeploymentRequest`), which decides between the contract and a refund.
pub const MAX_DEPLOY_ATTEMPTS: u32 = 5;
/// `AlreadyInProgress` answers after which a deployment is flagged for an operator.
pub const MAX_BUSY_ANSWERS: u32 = 12;
/// Longest wait for the factory's answer before a deployment is flagged for an operator (ns): a day.
pub const MAX_DEPLOY_WAIT: u64 = 24 * 3_600 * 1_000_000_000;

/// The three calls of a deployment whose outcome can be unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leg {
    Charge,
    Factory,
    Refund,
}
/// Longest text kept from an error, in bytes (it goes into invoices and audit events).
const MAX_REASON_BYTES: usize = 900;

/// Delay before retry number `attempts`: 30 s doubling up to an hour.
pub fn backoff(attempts: u32) -> u64 {
    const SECOND: u64 = 1_000_000_000;
    (30 * SECOND).saturating_mul(1u64 << attempts.min(7)).min(3_600 * SECOND)
}

/// What a request will use, read from the config before any money moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub kind: ContractKind,
    pub fee: Nat,
    pub ledger: Principal,
    pub factory: Principal,
    pub invoice_storage: Principal,
    pub audit_storage: Principal,
    pub initial_cycles: Option<Nat>,
}

fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}

pub(crate) fn short(reason: impl Into<String>) -> String {
    let mut reason = reason.into();
    if reason.len() > MAX_REASON_BYTES {
        let mut cut = MAX_REASON_BYTES;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
    }
    if reason.trim().is_empty() {
        reason = "unspecified".into();
    }
    reason
}

impl<M: Memory> BackendState<M> {
    /// Everything that can refuse a request before money moves.
    pub fn plan(&self, caller: Principal, kind: ContractKind) -> FleetResult<Plan> {
        if caller == Principal::anonymous() {
            return Err(FleetError::unauthorized("anonymous callers cannot deploy; sign in first"));
        }
        let settings = self.settings();
        if settings.maintenance_mode {
            return Err(FleetError::MaintenanceMode);
        }
        let service = kind.factory_service();
        let services = settings.microservices.ok_or_else(|| {
            FleetError::ServiceNotConfigured("microservices: an admin must call setupMicroservices".into())
        })?;
        let ledger =
            settings.payment_ledger.ok_or_else(|| FleetError::ServiceNotConfigured("payment ledger".into()))?;
        if !self.config.enabled(kind) {
            return Err(FleetError::ServiceDisabled(service.into()));
        }
        let fee = self.config.fee(kind).ok_or_else(|| FleetError::ServiceNotConfigured(format!("{service}.fee")))?;
        Ok(Plan {
            kind,
            fee,
            ledger,
            factory: services.factory(kind),
            invoice_storage: services.invoice_storage,
            audit_storage: services.audit_storage,
            initial_cycles: self.config.initial_cycles(kind),
        })
    }

    /// Records a new request in `CreatingInvoice`; returns its id.
    pub(crate) fn open_deployment(&mut self, user: Principal, plan: &Plan, ledger_fee: Nat, now: u64) -> u64 {
        let id = self.deployments.last_key_value().map_or(0, |(last, _)| last + 1);
        let record = DeploymentRecord {
            view: Deployment {
                id,
                user,
                kind: plan.kind,
                fee: plan.fee.clone(),
                ledger: plan.ledger,
                invoice_id: None,
                stage: DeploymentStage::CreatingInvoice,
                created_at: now,
                updated_at: now,
                payment_block: None,
                contract: None,
                refund_block: None,
                refund_amount: None,
                last_error: None,
                failed_attempts: 0,
                needs_operator: None,
            },
            factory: plan.factory,
            invoice_storage: plan.invoice_storage,
            audit_storage: plan.audit_storage,
            ledger_fee,
            request_key: Some(self.key(KeyUse::Deployment, id)),
            charge: None,
            refund: None,
            factory_call: FactoryCall::default(),
            next_attempt_at: now,
            needs_operator: None,
            factory_error: None,
        };
        self.store_record(record);
        self.deployments_by_user.push(user, id);
        id
    }

    pub fn deployment_record(&self, id: u64) -> Option<DeploymentRecord> {
        self.deployments.get(&id).map(|stored| stored.0)
    }

    /// The `createContract` argument of deployment `id`.
    pub fn contract_arg(&self, id: u64) -> Option<Vec<u8>> {
        self.contract_args.get(&id)
    }

    /// Writes `record` and keeps the open, due and operator indexes in step with it.
    pub(crate) fn store_record(&mut self, mut record: DeploymentRecord) {
        let id = record.view.id;
        if let Some(Candid(old)) = self.deployments.get(&id) {
            self.due_deployments.remove(&(old.next_attempt_at, id));
        }
        record.view.needs_operator = record.needs_operator.clone();
        if record.stage().is_final() {
            self.open_deployments.remove(&id);
            self.flagged_deployments.remove(&id);
            // Nothing will send it again.
            self.contract_args.remove(&id);
        } else {
            self.open_deployments.insert(id, ());
            if record.needs_operator.is_some() {
                self.flagged_deployments.insert(id, ());
            } else {
                self.flagged_deployments.remove(&id);
                self.due_deployments.insert((record.next_attempt_at, id), ());
            }
        }
        self.deployments.insert(id, Candid(record));
    }

    fn save(&mut self, mut record: DeploymentRecord, now: u64) {
        record.view.updated_at = now;
        self.store_record(record);
    }

    fn record_mut(&self, id: u64) -> DeploymentRecord {
        // Callers hold the deployment's guard and read its stage just before: it exists.
        self.deployment_record(id).unwrap_or_else(|| panic!("deployment {id} vanished"))
    }

    fn queue_invoice(&mut self, record: &DeploymentRecord, transition: InvoiceTransition) {
        if let Some(invoice_id) = record.invoice_id() {
            self.enqueue(OutboxItem::Invoice { storage: record.invoice_storage, invoice_id, transition });
        }
    }

    fn queue_audit(&mut self, record: &DeploymentRecord, action: AuditAction, outcome: AuditOutcome, metadata: String) {
        let event = LogEventArgs {
            user: record.view.user,
            action,
            service: record.view.kind.factory_service().into(),
            contract: record.view.contract,
            invoice_id: record.invoice_id(),
            outcome,
            metadata,
            request_id: None,
        };
        self.enqueue(OutboxItem::Audit { storage: record.audit_storage, event });
    }

    /// The invoice exists: keep the exact `createContract` argument and the exact payment, and move to `Charging`.
    /// `backend` is the account the payment goes to.
    pub(crate) fn begin_charge(
        &mut self,
        id: u64,
        invoice_id: u64,
        create_contract_arg: Vec<u8>,
        backend: Principal,
        now: u64,
    ) {
        let mut record = self.record_mut(id);
        record.view.invoice_id = Some(invoice_id);
        record.charge = Some(LedgerSend::new(TransferFromArgs {
            spender_subaccount: None,
            from: account(record.view.user),
            to: account(backend),
            amount: record.view.fee.clone(),
            fee: None,
            memo: Some(invoice_memo(invoice_id).into()),
            created_at_time: Some(now),
        }));
        record.view.stage = DeploymentStage::Charging;
        self.contract_args.insert(id, create_contract_arg);
        self.save(record, now);
    }

    /// The invoice of a request that will not go on (see `fail_unpaid`), so that it is closed too.
    pub(crate) fn attach_invoice(&mut self, id: u64, invoice_id: u64, now: u64) {
        let mut record = self.record_mut(id);
        record.view.invoice_id = Some(invoice_id);
        self.save(record, now);
    }

    /// A free service (fee 0): no invoice, no payment, straight to the factory.
    pub(crate) fn begin_free_deploy(&mut self, id: u64, create_contract_arg: Vec<u8>, now: u64) {
        let mut record = self.record_mut(id);
        record.view.stage = DeploymentStage::Deploying;
        self.contract_args.insert(id, create_contract_arg);
        self.save(record, now);
    }

    /// Nothing was charged and nothing will be: `Failed`, with the invoice (if any) marked failed.
    pub(crate) fn fail_unpaid(&mut self, id: u64, reason: impl Into<String>, now: u64) {
        let reason = short(reason);
        let mut record = self.record_mut(id);
        record.view.stage = DeploymentStage::Failed;
        record.view.last_error = Some(reason.clone());
        record.needs_operator = None;
        self.queue_invoice(&record, InvoiceTransition::Failed { reason: reason.clone() });
        self.queue_audit(&record, AuditAction::DeploymentFailed, AuditOutcome::Failure(reason), String::new());
        self.save(record, now);
    }

    /// Written before a send of `leg`: from now on its outcome is unknown until an answer is read.
    pub(crate) fn mark_sent(&mut self, id: u64, leg: Leg, now: u64) {
        let mut record = self.record_mut(id);
        match leg {
            Leg::Charge => {
                if let Some(charge) = &mut record.charge {
                    charge.sends = charge.sends.saturating_add(1);
                    charge.outcome_unknown = true;
                }
            }
            Leg::Refund => {
                if let Some(refund) = &mut record.refund {
                    refund.sends = refund.sends.saturating_add(1);
                    refund.outcome_unknown = true;
                }
            }
            Leg::Factory => {
                let call = &mut record.factory_call;
                call.sends = call.sends.saturating_add(1);
                call.outcome_unknown = true;
                call.first_sent_at.get_or_insert(now);
            }
        }
        self.save(record, now);
    }

    /// The ledger proved that no send of the charge executed; the request fails unpaid.
    pub(crate) fn charge_not_executed(&mut self, id: u64, reason: impl Into<String>, now: u64) {
        let mut record = self.record_mut(id);
        if let Some(charge) = &mut record.charge {
            charge.outcome_unknown = false;
        }
        self.save(record, now);
        self.fail_unpaid(id, reason, now);
    }

    pub(crate) fn mark_paid(&mut self, id: u64, block: Nat, now: u64) {
        let mut record = self.record_mut(id);
        record.view.stage = DeploymentStage::Deploying;
        record.view.payment_block = Some(block.clone());
        record.view.failed_attempts = 0;
        record.view.last_error = None;
        record.needs_operator = None;
        if let Some(charge) = &mut record.charge {
            charge.outcome_unknown = false;
        }
        self.queue_invoice(&record, InvoiceTransition::Paid { block_index: block.clone() });
        let metadata = format!("{} paid in block {block}", record.view.fee);
        self.queue_audit(&record, AuditAction::PaymentReceived, AuditOutcome::Success, metadata);
        self.save(record, now);
    }

    pub(crate) fn complete(&mut self, id: u64, contract: Principal, now: u64) {
        let mut record = self.record_mut(id);
        record.view.stage = DeploymentStage::Completed;
        record.view.contract = Some(contract);
        record.view.last_error = None;
        record.needs_operator = None;
        record.factory_call.outcome_unknown = false;
        self.queue_invoice(&record, InvoiceTransition::Completed { contract });
        self.queue_audit(&record, AuditAction::ContractDeployed, AuditOutcome::Success, String::new());
        self.save(record, now);
    }

    /// A step's outcome is unknown: leave the stage as it is and let the timer retry after a backoff.
    pub(crate) fn park(&mut self, id: u64, reason: impl Into<String>, now: u64) -> u32 {
        let mut record = self.record_mut(id);
        record.view.failed_attempts = record.view.failed_attempts.saturating_add(1);
        record.view.last_error = Some(short(reason));
        record.next_attempt_at = now.saturating_add(backoff(record.view.failed_attempts));
        let attempts = record.view.failed_attempts;
        self.save(record, now);
        attempts
    }

    /// The factory answered `AlreadyInProgress`: ask again later, or flag an operator once it has said so too often
    /// or for too long (a request stuck on the factory must not be re-parked forever).
    pub(crate) fn factory_busy(&mut self, id: u64, now: u64) {
        let mut record = self.record_mut(id);
        record.factory_call.busy_answers = record.factory_call.busy_answers.saturating_add(1);
        let since = record.factory_call.first_sent_at.unwrap_or(record.view.created_at);
        let stuck = record.factory_call.busy_answers >= MAX_BUSY_ANSWERS || now.saturating_sub(since) > MAX_DEPLOY_WAIT;
        let answers = record.factory_call.busy_answers;
        self.save(record, now);
        if stuck {
            self.escalate(id, format!("the factory has answered AlreadyInProgress {answers} times"), now);
        } else {
            self.park(id, "the factory is still deploying this request", now);
        }
    }

    /// From now on the factory is asked for the request's settled outcome rather than sent `createContract` again.
    pub(crate) fn settle_with_factory(&mut self, id: u64, now: u64) {
        let mut record = self.record_mut(id);
        record.factory_call.settle = true;
        record.next_attempt_at = now;
        self.save(record, now);
    }

    /// Retrying cannot resolve this deployment (e.g. an unknown outcome older than the ledger's dedup window).
    pub(crate) fn escalate(&mut self, id: u64, reason: impl Into<String>, now: u64) {
        let reason = short(reason);
        let mut record = self.record_mut(id);
        record.view.last_error = Some(reason.clone());
        record.needs_operator = Some(reason.clone());
        let metadata = format!("deployment {id} needs an operator");
        self.queue_audit(&record, AuditAction::Other("NeedsOperator".into()), AuditOutcome::Failure(reason), metadata);
        self.save(record, now);
    }

    /// An operator looked at a flagged deployment: the timer may take it up again now.
    pub(crate) fn unflag(&mut self, id: u64, now: u64) {
        let mut record = self.record_mut(id);
        record.needs_operator = None;
        record.next_attempt_at = now;
        record.factory_call.busy_answers = 0;
        record.factory_call.first_sent_at = Some(now);
        self.save(record, now);
    }

    /// The deployment failed after payment: move to `Refunding` (or `RefundFailed` when nothing can be refunded).
    pub(crate) fn begin_refund(&mut self, id: u64, error: FleetError, now: u64) {
        let reason = short(error.to_string());
        let mut record = self.record_mut(id);
        record.factory_error = Some(error);
        record.view.last_error = Some(reason.clone());
        record.view.failed_attempts = 0;
        record.factory_call.outcome_unknown = false;
        self.queue_audit(&record, AuditAction::DeploymentFailed, AuditOutcome::Failure(reason.clone()), String::new());
        if record.refund_amount_at(&record.ledger_fee).is_none() {
            let why = format!(
                "fee {} does not cover the ledger fee {}: nothing to refund",
                record.view.fee, record.ledger_fee
            );
            record.needs_operator = Some(why.clone());
            self.save(record, now);
            self.refund_failed(id, why, now);
            return;
        }
        record.view.stage = DeploymentStage::Refunding;
        self.queue_invoice(&record, InvoiceTransition::Refunding { reason });
        self.save(record, now);
    }

    /// Writes the exact refund transfer before its first send, with the ledger fee as it is now: the user gets the
    /// fee less that. The ledger takes its fee from the backend's account (`fee: None`), so the same transfer can be
    /// re-sent unchanged whatever happens to the fee afterwards. Returns false when the fee leaves nothing to refund.
    pub(crate) fn prepare_refund(&mut self, id: u64, ledger_fee: Nat, now: u64) -> bool {
        let mut record = self.record_mut(id);
        let Some(amount) = record.refund_amount_at(&ledger_fee) else {
            let why = format!("fee {} does not cover the ledger fee {ledger_fee}: nothing to refund", record.view.fee);
            record.needs_operator = Some(why.clone());
            self.save(record, now);
            self.refund_failed(id, why, now);
            return false;
        };
        record.ledger_fee = ledger_fee;
        record.refund = Some(LedgerSend::new(TransferArg {
            from_subaccount: None,
            to: account(record.view.user),
            fee: None,
            created_at_time: Some(now),
            memo: record.invoice_id().map(|invoice_id| invoice_memo(invoice_id).into()),
            amount,
        }));
        self.save(record, now);
        true
    }

    /// The ledger proved no send of the refund executed: the next attempt writes a new transfer.
    pub(crate) fn refund_not_executed(&mut self, id: u64, reason: impl Into<String>, now: u64) {
        let mut record = self.record_mut(id);
        record.refund = None;
        self.save(record, now);
        self.refund_failed(id, reason, now);
    }

    pub(crate) fn refunded(&mut self, id: u64, block: Nat, now: u64) {
        let mut record = self.record_mut(id);
        let amount = record.refund.as_ref().map(|refund| refund.args.amount.clone()).unwrap_or_default();
        record.view.stage = DeploymentStage::Refunded;
        record.view.refund_block = Some(block.clone());
        record.view.refund_amount = Some(amount.clone());
        record.needs_operator = None;
        if let Some(refund) = &mut record.refund {
            refund.outcome_unknown = false;
        }
        self.queue_invoice(&record, InvoiceTransition::Refunded { block_index: block.clone(), amount: amount.clone() });
        let metadata = format!("{amount} refunded in block {block}");
        self.queue_audit(&record, AuditAction::RefundIssued, AuditOutcome::Success, metadata);
        self.save(record, now);
    }

    pub(crate) fn refund_failed(&mut self, id: u64, reason: impl Into<String>, now: u64) {
        let reason = short(reason);
        let mut record = self.record_mut(id);
        record.view.stage = DeploymentStage::RefundFailed;
        record.view.failed_attempts = record.view.failed_attempts.saturating_add(1);
        record.view.last_error = Some(reason.clone());
        record.next_attempt_at = now.saturating_add(backoff(record.view.failed_attempts));
        self.queue_invoice(&record, InvoiceTransition::RefundFailed { reason: reason.clone() });
        self.queue_audit(&record, AuditAction::RefundFailed, AuditOutcome::Failure(reason), String::new());
        self.save(record, now);
    }

    /// The timer's retry of a failed refund.
    pub(crate) fn retry_refund(&mut self, id: u64, now: u64) {
        let mut record = self.record_mut(id);
        record.view.stage = DeploymentStage::Refunding;
        let reason = format!("refund retry {}", record.view.failed_attempts + 1);
        self.queue_invoice(&record, InvoiceTransition::Refunding { reason });
        self.save(record, now);
    }
}

impl<M: Memory> BackendState<M> {
    pub(crate) fn set_factory_error(&mut self, id: u64, error: FleetError, now: u64) {
        let mut record = self.record_mut(id);
        record.factory_error = Some(error);
        self.save(record, now);
    }
}
