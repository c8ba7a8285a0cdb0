//! Creating invoices and moving them along the status machine. Whitelisted writers only; every check runs before
//! the first write, so a refused call changes nothing.

use crate::state::InvoiceState;
use candid::Principal;
use fleet_api::{FleetError, FleetResult};
use ic_stable_structures::Memory;
use invoice_storage_api::{
    Invoice, InvoiceStatus, InvoiceTransition, RecordPaymentArgs, StatusChange, MAX_REASON_BYTES, MAX_SERVICE_BYTES,
};
use service_base::{validate, Caller, Candid};

impl<M: Memory> InvoiceState<M> {
    /// Creates a `Pending` invoice, or returns the one this writer already created under `request_id`.
    pub fn record_payment(&mut self, caller: &Caller, args: RecordPaymentArgs, now: u64) -> FleetResult<Invoice> {
        self.core.access().require_writer(caller)?;
        validate::principal("user", &args.user)?;
        validate::identifier("service", &args.service, MAX_SERVICE_BYTES)?;
        validate::principal("ledger", &args.ledger)?;
        if args.amount == 0u32 {
            return Err(FleetError::invalid("amount must be more than 0"));
        }
        if let Some(request_id) = args.request_id {
            if let Some(existing) = self.request_ids.get(&(caller.principal, request_id)) {
                return self.replay_of(existing, &args);
            }
        }
        let id = self.invoices.last_key_value().map_or(0, |(last, _)| last + 1);
        let invoice = Invoice {
            id,
            user: args.user,
            service: args.service,
            amount: args.amount,
            ledger: args.ledger,
            status: InvoiceStatus::Pending,
            created_at: now,
            updated_at: now,
            payment_block: None,
            contract: None,
            refund_block: None,
            refunded_amount: None,
            failure_reason: None,
            failed_refund_attempts: 0,
            recorded_by: caller.principal,
            request_id: args.request_id,
        };
        self.invoices.insert(id, Candid(invoice.clone()));
        self.by_user.push(invoice.user, id);
        self.enter_status(id, InvoiceStatus::Pending);
        self.append_history(id, None, InvoiceStatus::Pending, None, now, caller.principal);
        if let Some(request_id) = args.request_id {
            self.request_ids.insert((caller.principal, request_id), id);
        }
        Ok(invoice)
    }

    /// Applies `transition` to invoice `id` if the status machine allows it (see the api crate's docs).
    pub fn update_status(
        &mut self,
        caller: &Caller,
        id: u64,
        transition: InvoiceTransition,
        now: u64,
    ) -> FleetResult<Invoice> {
        self.core.access().require_writer(caller)?;
        validate_transition(&transition)?;
        let mut invoice = self
            .invoices
            .get(&id)
            .map(|stored| stored.0)
            .ok_or_else(|| FleetError::not_found(format!("invoice {id}")))?;
        let (from, to) = (invoice.status, transition.target());
        if is_repeat(&invoice, &transition) {
            return Ok(invoice);
        }
        if !from.may_become(to) {
            return Err(FleetError::invalid_state(format!("invoice {id} is {from:?}; it cannot become {to:?}")));
        }
        match &transition {
            InvoiceTransition::Paid { block_index } => invoice.payment_block = Some(block_index.clone()),
            InvoiceTransition::Failed { reason } | InvoiceTransition::Refunding { reason } => {
                invoice.failure_reason = Some(reason.clone());
            }
            InvoiceTransition::Completed { contract } => invoice.contract = Some(*contract),
            InvoiceTransition::Refunded { block_index, amount } => {
                if *amount > invoice.amount {
                    return Err(FleetError::invalid(format!(
                        "refund amount {amount} exceeds the invoice amount {}",
                        invoice.amount
                    )));
                }
                invoice.refund_block = Some(block_index.clone());
                invoice.refunded_amount = Some(amount.clone());
            }
            InvoiceTransition::RefundFailed { reason } => {
                invoice.failure_reason = Some(reason.clone());
                invoice.failed_refund_attempts = invoice.failed_refund_attempts.saturating_add(1);
            }
        }
        invoice.status = to;
        invoice.updated_at = now;
        self.invoices.insert(id, Candid(invoice.clone()));
        self.leave_status(id, from);
        self.enter_status(id, to);
        self.append_history(id, Some(from), to, Some(transition), now, caller.principal);
        Ok(invoice)
    }

    /// A retried `recordPayment`: the same request must describe the same payment. The invoice comes back as it
    /// stands (status, blocks, `created_at`), so the writer can tell a fresh `Pending` one from an old one; a key
    /// reused for another user, amount, service or ledger is the writer's bug and is refused as `InvalidInput`,
    /// never answered with someone else's invoice.
    fn replay_of(&self, id: u64, args: &RecordPaymentArgs) -> FleetResult<Invoice> {
        let invoice = self
            .invoices
            .get(&id)
            .map(|stored| stored.0)
            .ok_or_else(|| FleetError::Internal(format!("request id maps to missing invoice {id}")))?;
        let same = invoice.user == args.user
            && invoice.service == args.service
            && invoice.amount == args.amount
            && invoice.ledger == args.ledger;
        if same {
            Ok(invoice)
        } else {
            Err(FleetError::invalid(format!(
                "request id {} already created invoice {id} for a different payment",
                args.request_id.unwrap_or_default()
            )))
        }
    }

    fn enter_status(&mut self, id: u64, status: InvoiceStatus) {
        self.by_status.insert((status.code(), id), ());
        let count = self.status_counts.get(&status.code()).unwrap_or(0);
        self.status_counts.insert(status.code(), count + 1);
    }

    fn leave_status(&mut self, id: u64, status: InvoiceStatus) {
        self.by_status.remove(&(status.code(), id));
        let count = self.status_counts.get(&status.code()).unwrap_or(0);
        self.status_counts.insert(status.code(), count.saturating_sub(1));
    }

    fn append_history(
        &mut self,
        invoice_id: u64,
        from: Option<InvoiceStatus>,
        to: InvoiceStatus,
        transition: Option<InvoiceTransition>,
        at: u64,
        by: Principal,
    ) {
        let seq = self.history_len(invoice_id);
        let change = StatusChange { invoice_id, seq, from, to, transition, at, by };
        self.history.insert((invoice_id, seq), Candid(change));
    }

    pub(crate) fn history_len(&self, invoice_id: u64) -> u32 {
        self.history.range((invoice_id, 0)..=(invoice_id, u32::MAX)).next_back().map_or(0, |entry| entry.key().1 + 1)
    }
}

fn validate_transition(transition: &InvoiceTransition) -> FleetResult<()> {
    match transition {
        InvoiceTransition::Paid { .. } => Ok(()),
        InvoiceTransition::Failed { reason }
        | InvoiceTransition::Refunding { reason }
        | InvoiceTransition::RefundFailed { reason } => validate::required_text("reason", reason, MAX_REASON_BYTES),
        InvoiceTransition::Completed { contract } => validate::principal("contract", contract),
        InvoiceTransition::Refunded { amount, .. } => {
            if *amount == 0u32 {
                Err(FleetError::invalid("refunded amount must be more than 0"))
            } else {
                Ok(())
            }
        }
    }
}

/// A re-send of a transition already applied (the writer lost the first reply), which must answer Ok and record
/// nothing:
/// - the transition that produced the current status, with the same data;
/// - `RefundFailed` with the reason already recorded, at `RefundFailed`: the same failed attempt again. Another
///   failed attempt recorded straight after one (`RefundFailed -> RefundFailed`, without a `Refunding` between)
///   counts only if its reason differs; the backend always goes through `Refunding` before a new attempt, so each of
///   its attempts counts whatever the reason;
/// - `Paid` with the block already recorded, whatever happened since: the payment block of an invoice never changes,
///   so it can only be the same payment (a conflicting block is refused).
fn is_repeat(invoice: &Invoice, transition: &InvoiceTransition) -> bool {
    match transition {
        InvoiceTransition::Paid { block_index } => invoice.payment_block.as_ref() == Some(block_index),
        _ if invoice.status != transition.target() => false,
        InvoiceTransition::Completed { contract } => invoice.contract == Some(*contract),
        InvoiceTransition::Refunded { block_index, amount } => {
            invoice.refund_block.as_ref() == Some(block_index) && invoice.refunded_amount.as_ref() == Some(amount)
        }
        InvoiceTransition::Failed { reason }
        | InvoiceTransition::Refunding { reason }
        | InvoiceTransition::RefundFailed { reason } => invoice.failure_reason.as_ref() == Some(reason),
    }
}
