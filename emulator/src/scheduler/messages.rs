//! Delivering requests and responses: method lookup and admission checks, call context bookkeeping, callbacks
//! and cleanup, routing of responses, starvation (a context that can no longer respond is rejected), and the
//! Stopping → Stopped transition.

use candid::Principal;

use super::{CallContext, Callback, ContextId, Message, Request};
use crate::cycles;
use crate::errors::{ErrorCode, RejectResponse};
use crate::execution::{cleanup_failed_reject, error_reject, Persist, RunArgs, RunResult};
use crate::state::{CallOrigin, CallbackId, CanisterId, ManagementCall, ManagementOutcome, RunStatus, Subnet};
use crate::system_api::{EntryKind, Response};
use crate::wasm::Entry;

/// A `stop_canister` call is answered with IC0206 if the canister is still Stopping after 5 minutes.
const STOP_CANISTER_TIMEOUT_NANOS: u64 = 5 * 60 * 1_000_000_000;

/// Candid encoding of `()`, the reply of `stop_canister`.
const EMPTY_CANDID: &[u8] = b"DIDL\x00\x00";

impl Subnet {
    /// Executes one queued message.
    pub(crate) fn deliver(&mut self, message: Message) {
        match message {
            Message::Request(request) => self.deliver_request(request),
            Message::Response { callback, result, refund } => self.deliver_response(callback, result, refund),
        }
    }

    /// Sends a response to whoever waits for it.
    pub(crate) fn respond(&mut self, origin: &CallOrigin, result: Result<Vec<u8>, RejectResponse>, refund: u128) {
        match origin {
            CallOrigin::Ingress(id) => {
                if let Some(record) = self.scheduler.ingress.get_mut(id) {
                    record.result = Some(result);
                }
            }
            CallOrigin::Canister { callback, .. } => {
                self.scheduler.queue.push_back(Message::Response { callback: *callback, result, refund });
            }
            CallOrigin::System => {}
        }
    }

    fn deliver_request(&mut self, request: Request) {
        if request.receiver == Principal::management_canister() {
            return self.deliver_management_request(request);
        }
        let (kind, export) = match self.admit(&request) {
            Ok(found) => found,
            Err(reject) => return self.respond(&request.origin, Err(reject), request.cycles),
        };
        let context = self.scheduler.open_context(CallContext {
            canister: request.receiver,
            origin: request.origin,
            caller: request.sender,
            cycles_available: request.cycles,
            responded: false,
            outstanding: 0,
            deleted: false,
            deadline: request.deadline,
            instructions: 0,
        });
        let persist = if kind == EntryKind::Update { Persist::Commit } else { Persist::Discard };
        let limit = self.config.update_instruction_limit;
        let mut args = RunArgs::new(kind, Entry::Export(&export), request.sender, limit);
        args.arg = request.payload;
        args.method_name = request.method;
        args.cycles_available = request.cycles;
        args.can_respond = true;
        args.deadline = request.deadline;
        let outcome = self.run(request.receiver, args, persist);
        let failure = outcome.result.as_ref().err().map(|e| error_reject(request.receiver, e, limit));
        self.after_execution(context, outcome, failure);
    }

    /// Checks a request can execute and finds its entry point: (kind, export name).
    fn admit(&self, request: &Request) -> Result<(EntryKind, String), RejectResponse> {
        let id = request.receiver;
        let Some(canister) = self.canister(&id) else { return Err(RejectResponse::canister_not_found(id)) };
        match canister.status {
            RunStatus::Running => {}
            RunStatus::Stopping => return Err(RejectResponse::stopping(id)),
            RunStatus::Stopped => return Err(RejectResponse::stopped(id)),
        }
        let Some(code) = canister.code.as_ref() else { return Err(RejectResponse::wasm_module_not_found(id)) };
        let reserve = cycles::freeze_reserve(canister.memory_size(), canister.settings.freezing_threshold);
        if canister.cycles < reserve + cycles::UPDATE_MESSAGE_FEE {
            return Err(RejectResponse::out_of_cycles(id, canister.cycles, reserve + cycles::UPDATE_MESSAGE_FEE));
        }
        let info = &code.module.info;
        let method = request.method.as_str();
        if info.update_methods.contains(method) {
            Ok((EntryKind::Update, format!("canister_update {method}")))
        } else if info.query_methods.contains(method) {
            Ok((EntryKind::ReplicatedQuery, format!("canister_query {method}")))
        } else if info.composite_query_methods.contains(method) {
            Err(RejectResponse::new(
                ErrorCode::CompositeQueryCalledInReplicatedMode,
                format!("Error from Canister {id}: Composite query cannot be called in replicated mode"),
            ))
        } else {
            Err(RejectResponse::method_not_found(id, "update", method))
        }
    }

    fn deliver_management_request(&mut self, request: Request) {
        let call = ManagementCall {
            caller: request.sender,
            is_ingress: request.is_ingress(),
            method: &request.method,
            arg: &request.payload,
            cycles: request.cycles,
        };
        match crate::management::handle_management_call(self, call) {
            ManagementOutcome::Reply { data, cycles_accepted } => {
                let refund = request.cycles.saturating_sub(cycles_accepted);
                self.respond(&request.origin, Ok(data), refund);
            }
            ManagementOutcome::Reject(reject) => self.respond(&request.origin, Err(reject), request.cycles),
            ManagementOutcome::StopPending { canister_id } => {
                let timeout = self.time_nanos.saturating_add(STOP_CANISTER_TIMEOUT_NANOS);
                match self.canister_mut(&canister_id) {
                    Some(canister) => {
                        canister.stop_waiters.push(request.origin.clone());
                        self.scheduler.stop_timeouts.push((canister_id, request.origin, timeout));
                    }
                    None => {
                        let reject = RejectResponse::canister_not_found(canister_id);
                        self.respond(&request.origin, Err(reject), request.cycles);
                    }
                }
                self.check_stopped(canister_id);
            }
        }
    }

    fn deliver_response(&mut self, id: CallbackId, result: Result<Vec<u8>, RejectResponse>, refund: u128) {
        // A late response to an expired bounded-wait call (or a response to a deleted canister) is dropped.
        let Some(callback) = self.scheduler.callbacks.remove(&id) else { return };
        let canister_id = callback.canister;
        let Some(canister) = self.canister_mut(&canister_id) else { return };
        // Refunds are credited even if the callback does not run or traps.
        canister.cycles = canister.cycles.saturating_add(refund);
        let has_code = canister.instance.is_some();
        let Some(context) = self.scheduler.contexts.get_mut(&callback.context) else { return };
        context.outstanding = context.outstanding.saturating_sub(1);
        if context.deleted || !has_code {
            let (context_id, available) = (callback.context, context.cycles_available);
            self.after_execution(context_id, RunResult::empty(available), None);
            return;
        }
        let can_respond = context.needs_response();
        let cycles_available = context.cycles_available;
        let call_context_instructions = context.instructions;
        // Callbacks see the caller of the call context, not the canister that answered.
        let caller = context.caller;
        let limit = self.config.update_instruction_limit;
        let (kind, closure) = match &result {
            Ok(_) => (EntryKind::ReplyCallback, callback.reply),
            Err(_) => (EntryKind::RejectCallback, callback.reject),
        };
        let mut args = RunArgs::new(kind, Entry::Callback { fun: closure.fun, env: closure.env }, caller, limit);
        match result {
            Ok(data) => args.arg = data,
            Err(reject) => {
                args.reject_code = reject.reject_code as u32;
                args.reject_message = reject.reject_message;
            }
        }
        args.cycles_available = cycles_available;
        args.cycles_refunded = refund;
        args.can_respond = can_respond;
        args.call_context_instructions = call_context_instructions;
        let outcome = self.run(canister_id, args, Persist::Commit);
        let mut failure = None;
        if let Err(error) = &outcome.result {
            failure = Some(error_reject(canister_id, error, limit));
            if let Some(cleanup) = callback.cleanup {
                let mut args = RunArgs::new(
                    EntryKind::Cleanup,
                    Entry::Callback { fun: cleanup.fun, env: cleanup.env },
                    caller,
                    limit,
                );
                args.call_context_instructions = call_context_instructions;
                // The cleanup's own changes are kept unless it traps; it cannot respond or call. A trapping
                // cleanup is reported after the callback's error.
                let cleanup = self.run(canister_id, args, Persist::Commit);
                if let (Err(callback_error), Err(cleanup_error)) = (&outcome.result, &cleanup.result) {
                    failure = Some(cleanup_failed_reject(canister_id, callback_error, cleanup_error, limit));
                }
            }
        }
        self.after_execution(callback.context, outcome, failure);
    }

    /// Applies an execution's effects to its call context: performed calls become requests with callbacks, a
    /// response is routed, a context that can no longer respond is rejected, a finished context is closed.
    pub(crate) fn after_execution(
        &mut self,
        context_id: ContextId,
        outcome: RunResult,
        failure: Option<RejectResponse>,
    ) {
        let now = self.time_nanos;
        let Some(context) = self.scheduler.contexts.get_mut(&context_id) else { return };
        let canister_id = context.canister;
        context.instructions += outcome.instructions;
        if outcome.result.is_ok() {
            context.cycles_available = outcome.cycles_available;
        }
        let calls = outcome.calls;
        context.outstanding += calls.len() as u32;
        for call in calls {
            let callback = self.scheduler.new_callback_id();
            let deadline = call.timeout_seconds.map_or(0, |s| now.saturating_add(u64::from(s.max(1)) * 1_000_000_000));
            self.scheduler.callbacks.insert(
                callback,
                Callback {
                    canister: canister_id,
                    context: context_id,
                    callee: call.callee,
                    reply: call.reply,
                    reject: call.reject,
                    cleanup: call.cleanup,
                    deadline,
                    expired: false,
                },
            );
            self.scheduler.queue.push_back(Message::Request(Request {
                sender: canister_id,
                receiver: call.callee,
                method: call.method,
                payload: call.payload,
                cycles: call.cycles,
                origin: CallOrigin::Canister { caller: canister_id, callback },
                deadline,
            }));
        }
        let Some(context) = self.scheduler.contexts.get_mut(&context_id) else { return };
        let mut response = None;
        if context.needs_response() {
            match outcome.response {
                Some(Response::Reply(data)) => response = Some(Ok(data)),
                // Every caller, user or canister, sees the message as given (CANISTER_REJECT, IC0406).
                Some(Response::Reject(message)) => response = Some(Err(RejectResponse::canister_rejected(message))),
                None if context.outstanding == 0 => {
                    // Starvation: nothing can respond any more.
                    response = Some(Err(failure.unwrap_or_else(|| RejectResponse::did_not_reply(canister_id))));
                }
                None => {}
            }
        }
        if let Some(result) = response {
            context.responded = true;
            let refund = std::mem::take(&mut context.cycles_available);
            let origin = context.origin.clone();
            self.respond(&origin, result, refund);
        }
        let Some(context) = self.scheduler.contexts.get(&context_id) else { return };
        if context.outstanding == 0 && !context.needs_response() {
            self.scheduler.close_context(context_id);
            self.check_stopped(canister_id);
        }
    }

    /// A Stopping canister without open call contexts becomes Stopped and its `stop_canister` callers get
    /// their replies.
    pub(crate) fn check_stopped(&mut self, canister_id: CanisterId) {
        if self.scheduler.open_context_count(&canister_id) > 0 {
            return;
        }
        let Some(canister) = self.canister_mut(&canister_id) else { return };
        if canister.status == RunStatus::Stopping {
            canister.status = RunStatus::Stopped;
            canister.version += 1;
        }
        if canister.status != RunStatus::Stopped {
            return;
        }
        let waiters = std::mem::take(&mut canister.stop_waiters);
        for origin in waiters {
            self.respond(&origin, Ok(EMPTY_CANDID.to_vec()), 0);
        }
    }
}

impl RunResult {
    /// The outcome of an execution that did not happen (a callback that could not run).
    pub(crate) fn empty(cycles_available: u128) -> Self {
        RunResult {
            result: Ok(()),
            response: None,
            calls: Vec::new(),
            cycles_available,
            instructions: 0,
            message_accepted: false,
        }
    }
}
