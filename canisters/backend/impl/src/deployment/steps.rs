//! The synchronous half of the flow: each function moves one deployment to its next stage in stable memory and
//! queues the invoice and audit records that go with it. The async half (`flow`) calls these between awaits.

use super::outbox::OutboxItem;
use super::record::DeploymentRecord;
use crate::state::BackendState;
use audit_storage_api::{AuditAction, AuditOutcome, LogEventArgs};
use backend_api::{Deployment, DeploymentStage};
use candid::{Nat, Principal};
use fleet_api::{ContractKind, FleetError, FleetResult, Page, PageRequest};
use ic_stable_structures::Memory;
use invoice_storage_api::InvoiceTransition;
use service_base::{Caller, Candid};

/// Factory calls with an unknown outcome are retried this many times before the payment is refunded.
pub const MAX_DEPLOY_ATTEMPTS: u32 = 5;
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

fn short(reason: impl Into<String>) -> String {
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
            },
            factory: plan.factory,
            invoice_storage: plan.invoice_storage,
            audit_storage: plan.audit_storage,
            ledger_fee,
            create_contract_arg: vec![],
            charge_created_at: None,
            refund_created_at: None,
            refund_outcome_unknown: false,
            next_attempt_at: now,
            needs_operator: None,
            factory_error: None,
        };
        self.deployments.insert(id, Candid(record));
        self.deployments_by_user.push(user, id);
        self.open_deployments.insert(id, ());
        id
    }

    pub fn deployment_record(&self, id: u64) -> Option<DeploymentRecord> {
        self.deployments.get(&id).map(|stored| stored.0)
    }

    fn save(&mut self, mut record: DeploymentRecord, now: u64) {
        record.view.updated_at = now;
        let id = record.view.id;
        if record.stage().is_final() {
            self.open_deployments.remove(&id);
        }
        self.deployments.insert(id, Candid(record));
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
        };
        self.enqueue(OutboxItem::Audit { storage: record.audit_storage, event });
    }

    /// The invoice exists: keep the exact `createContract` argument and move to `Charging`.
    pub(crate) fn begin_charge(&mut self, id: u64, invoice_id: u64, create_contract_arg: Vec<u8>, now: u64) {
        let mut record = self.record_mut(id);
        record.view.invoice_id = Some(invoice_id);
        record.create_contract_arg = create_contract_arg;
        record.charge_created_at = Some(now);
        record.view.stage = DeploymentStage::Charging;
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
        record.create_contract_arg = create_contract_arg;
        record.view.stage = DeploymentStage::Deploying;
        self.save(record, now);
    }

    /// Nothing was charged and nothing will be: `Failed`, with the invoice (if any) marked failed.
    pub(crate) fn fail_unpaid(&mut self, id: u64, reason: impl Into<String>, now: u64) {
        let reason = short(reason);
        let mut record = self.record_mut(id);
        record.view.stage = DeploymentStage::Failed;
        record.view.last_error = Some(reason.clone());
        self.queue_invoice(&record, InvoiceTransition::Failed { reason: reason.clone() });
        self.queue_audit(&record, AuditAction::DeploymentFailed, AuditOutcome::Failure(reason), String::new());
        self.save(record, now);
    }

    pub(crate) fn mark_paid(&mut self, id: u64, block: Nat, now: u64) {
        let mut record = self.record_mut(id);
        record.view.stage = DeploymentStage::Deploying;
        record.view.payment_block = Some(block.clone());
        record.view.failed_attempts = 0;
        record.view.last_error = None;
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

    /// The deployment failed after payment: move to `Refunding` (or `RefundFailed` when nothing can be refunded).
    pub(crate) fn begin_refund(&mut self, id: u64, error: FleetError, now: u64) {
        let reason = short(error.to_string());
        let mut record = self.record_mut(id);
        record.factory_error = Some(error);
        record.view.last_error = Some(reason.clone());
        record.view.failed_attempts = 0;
        record.refund_created_at.get_or_insert(now);
        self.queue_audit(&record, AuditAction::DeploymentFailed, AuditOutcome::Failure(reason.clone()), String::new());
        if record.refund_amount().is_none() {
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

    pub(crate) fn refunded(&mut self, id: u64, block: Nat, amount: Nat, now: u64) {
        let mut record = self.record_mut(id);
        record.view.stage = DeploymentStage::Refunded;
        record.view.refund_block = Some(block.clone());
        record.view.refund_amount = Some(amount.clone());
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

    /// A ledger fee change reported by `BadFee`: refunds from now on return `fee - new ledger fee`.
    pub(crate) fn set_ledger_fee(&mut self, id: u64, ledger_fee: Nat, now: u64) {
        let mut record = self.record_mut(id);
        record.ledger_fee = ledger_fee;
        self.save(record, now);
    }

    /// A refund that was never sent can use a fresh `created_at_time` (the old one fell out of the ledger's window).
    pub(crate) fn renew_refund_time(&mut self, id: u64, now: u64) {
        let mut record = self.record_mut(id);
        record.refund_created_at = Some(now);
        self.save(record, now);
    }

    pub(crate) fn mark_refund_outcome_unknown(&mut self, id: u64, now: u64) {
        let mut record = self.record_mut(id);
        record.refund_outcome_unknown = true;
        self.save(record, now);
    }

    /// Open deployments the timer should advance now, oldest first.
    pub fn due_deployments(&self, now: u64, max: usize) -> Vec<u64> {
        self.open_deployments
            .keys()
            .filter(|id| !self.busy_deployments.contains(id))
            .filter_map(|id| self.deployment_record(id))
            .filter(|record| record.needs_operator.is_none() && record.next_attempt_at <= now)
            .map(|record| record.view.id)
            .take(max)
            .collect()
    }

    pub fn deployment(&self, caller: &Caller, id: u64) -> FleetResult<Deployment> {
        match self.deployment_record(id) {
            Some(record) if record.view.user == caller.principal => Ok(record.view),
            Some(record) => self.access.require_admin(caller).map(|()| record.view),
            None => {
                self.access.require_admin(caller)?;
                Err(FleetError::not_found(format!("deployment {id}")))
            }
        }
    }

    pub fn deployments_of(&self, user: Principal, request: PageRequest) -> Page<Deployment> {
        let ids = self.deployments_by_user.page_newest_first(&user, request);
        let items = ids.items.iter().filter_map(|id| self.deployment_record(*id)).map(|r| r.view).collect();
        Page { items, total: ids.total, next_offset: ids.next_offset }
    }

    /// Deployments not in a final stage, for operators (at most a page; open ones are few).
    pub fn open_deployments(&self, caller: &Caller, request: PageRequest) -> FleetResult<Page<Deployment>> {
        self.access.require_admin(caller)?;
        let total = self.open_deployments.len();
        let items: Vec<Deployment> = self
            .open_deployments
            .keys()
            .skip(request.offset.min(total) as usize)
            .take(request.effective_limit())
            .filter_map(|id| self.deployment_record(id))
            .map(|record| record.view)
            .collect();
        let end = request.offset.saturating_add(items.len() as u64);
        Ok(Page { next_offset: (end < total && !items.is_empty()).then_some(end), items, total })
    }
}

impl<M: Memory> BackendState<M> {
    pub(crate) fn set_factory_error(&mut self, id: u64, error: FleetError, now: u64) {
        let mut record = self.record_mut(id);
        record.factory_error = Some(error);
        self.save(record, now);
    }
}
