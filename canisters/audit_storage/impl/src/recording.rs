//! Appending to the log: only whitelisted writers, only valid events. The storage sets the id and the timestamp.
//! A writer's `request_id` makes a re-send (after a lost reply) answer the first event's id instead of appending.

use crate::state::AuditState;
use audit_storage_api::{
    AuditAction, AuditEvent, AuditOutcome, LogEventArgs, MAX_FAILURE_BYTES, MAX_METADATA_BYTES, MAX_OTHER_ACTION_BYTES,
    MAX_SERVICE_BYTES,
};
use fleet_api::{FleetError, FleetResult};
use ic_stable_structures::Memory;
use service_base::{validate, Caller, Candid, ShortText};

impl<M: Memory> AuditState<M> {
    /// Appends an event and files it in the indexes; returns its id. Nothing is written unless everything is valid.
    /// With a `request_id` this writer already used, nothing is written either: the answer is the id of the event
    /// recorded under it, provided the re-send describes that same event (O(log n) lookup).
    pub fn log_event(&mut self, caller: &Caller, args: LogEventArgs, now: u64) -> FleetResult<u64> {
        self.core.access().require_writer(caller)?;
        let action_key = validate_event(&args)?;
        if let Some(request_id) = args.request_id {
            if let Some(existing) = self.by_request_id.get(&(caller.principal, request_id)) {
                return self.replay_of(existing, &args);
            }
        }
        // The IC's clock never goes back for a canister, but the log's time-range search relies on it: enforce it.
        let timestamp = self.events.last().map_or(now, |last| now.max(last.0.timestamp));
        let id = self.events.len();
        let event = AuditEvent {
            id,
            timestamp,
            user: args.user,
            action: args.action,
            service: args.service,
            contract: args.contract,
            invoice_id: args.invoice_id,
            outcome: args.outcome,
            metadata: args.metadata,
            recorded_by: caller.principal,
            request_id: args.request_id,
        };
        let appended = self
            .events
            .append(&Candid(event.clone()))
            .map_err(|e| FleetError::Internal(format!("audit log cannot grow: {e:?}")))?;
        debug_assert_eq!(appended, id);
        self.by_user.push(event.user, id);
        self.by_action.push(action_key, id);
        if let Some(contract) = event.contract {
            self.by_contract.push(contract, id);
        }
        if let Some(request_id) = event.request_id {
            self.by_request_id.insert((caller.principal, request_id), id);
        }
        Ok(id)
    }

    /// A re-sent `logEvent`: the same key must describe the same event (a writer reusing a key for something else
    /// has a bug, and silently dropping its new event would lose it).
    fn replay_of(&self, id: u64, args: &LogEventArgs) -> FleetResult<u64> {
        let recorded = self
            .events
            .get(id)
            .map(|stored| stored.0)
            .ok_or_else(|| FleetError::Internal(format!("request id maps to missing audit event {id}")))?;
        let same = recorded.user == args.user
            && recorded.action == args.action
            && recorded.service == args.service
            && recorded.contract == args.contract
            && recorded.invoice_id == args.invoice_id
            && recorded.outcome == args.outcome
            && recorded.metadata == args.metadata;
        if same {
            Ok(id)
        } else {
            Err(FleetError::invalid(format!(
                "request id {} already recorded audit event {id}, a different event",
                args.request_id.unwrap_or_default()
            )))
        }
    }
}

/// Checks every field and returns the action's index key.
fn validate_event(args: &LogEventArgs) -> FleetResult<ShortText> {
    validate::principal("user", &args.user)?;
    validate::identifier("service", &args.service, MAX_SERVICE_BYTES)?;
    validate::text("metadata", &args.metadata, MAX_METADATA_BYTES)?;
    if let Some(contract) = &args.contract {
        validate::principal("contract", contract)?;
    }
    if let AuditOutcome::Failure(reason) = &args.outcome {
        validate::required_text("outcome failure reason", reason, MAX_FAILURE_BYTES)?;
    }
    if let AuditAction::Other(name) = &args.action {
        let valid = !name.is_empty()
            && name.len() <= MAX_OTHER_ACTION_BYTES
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            return Err(FleetError::invalid(format!(
                "action Other name must be 1 to {MAX_OTHER_ACTION_BYTES} characters of letters, digits, _, - and ."
            )));
        }
    }
    ShortText::new(args.action.index_key())
        .ok_or_else(|| FleetError::Internal("action index key longer than the key bound".into()))
}
