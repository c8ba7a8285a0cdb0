//! Rounds (`tick`), ingress submission and awaiting, non-replicated queries, canister logs.

use candid::{CandidType, Deserialize, Principal};
use ic_management_canister_types::{CanisterLogRecord, LogVisibility};

use super::{CallContext, IngressRecord, Message, Request};
use crate::cycles;
use crate::errors::{ErrorCode, RejectResponse};
use crate::execution::{error_reject, Persist, RunArgs};
use crate::state::{CallOrigin, CanisterId, MessageId, RunStatus, Subnet, MAX_PAYLOAD_BYTES};
use crate::system_api::{EntryKind, Response};
use crate::wasm::Entry;

/// `await_call` gives up after this many rounds without the message completing (endless call chains).
pub const MAX_AWAIT_ROUNDS: usize = 10_000;
/// Instruction limit of `canister_inspect_message`.
const INSPECT_MESSAGE_INSTRUCTION_LIMIT: u64 = 200_000_000;
/// Completed ingress results kept for `ingress_status` (oldest dropped first).
const INGRESS_HISTORY: usize = 10_000;

impl Subnet {
    /// One round: expire bounded-wait calls, run due timers and heartbeats, induct ingress, execute messages.
    /// A round runs at least 1 ns after the previous one (the IC's block time strictly increases; PocketIC adds
    /// 1 ns when nothing else moved the time), so successive operations carry distinct timestamps.
    pub(crate) fn tick(&mut self) {
        if let Some(previous) = self.last_round_nanos {
            self.time_nanos = self.time_nanos.max(previous.saturating_add(1));
        }
        self.last_round_nanos = Some(self.time_nanos);
        self.expire_deadlines();
        self.expire_stop_requests();
        self.run_system_tasks();
        while let Some(request) = self.scheduler.ingress_queue.pop_front() {
            self.scheduler.queue.push_back(Message::Request(request));
        }
        for _ in 0..self.config.max_executions_per_round {
            let Some(message) = self.scheduler.queue.pop_front() else { break };
            self.deliver(message);
        }
    }

    /// Bounded-wait calls whose deadline passed get a SYS_UNKNOWN reject; their real response will be dropped.
    fn expire_deadlines(&mut self) {
        let now = self.time_nanos;
        let mut expired = Vec::new();
        for (id, callback) in self.scheduler.callbacks.iter_mut() {
            if callback.deadline != 0 && callback.deadline <= now && !callback.expired {
                callback.expired = true;
                expired.push((*id, callback.callee));
            }
        }
        for (callback, callee) in expired {
            let reject = RejectResponse::deadline_expired(callee);
            self.scheduler.queue.push_back(Message::Response { callback, result: Err(reject), refund: 0 });
        }
    }

    /// `stop_canister` calls still waiting after 5 minutes fail with IC0206; the canister stays Stopping.
    fn expire_stop_requests(&mut self) {
        let now = self.time_nanos;
        let (due, pending): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.scheduler.stop_timeouts).into_iter().partition(|(_, _, t)| *t <= now);
        self.scheduler.stop_timeouts = pending;
        for (canister_id, origin, _) in due {
            let Some(canister) = self.canister_mut(&canister_id) else { continue };
            let Some(index) = canister.stop_waiters.iter().position(|o| *o == origin) else { continue };
            canister.stop_waiters.remove(index);
            let reject = RejectResponse::new(
                ErrorCode::StopCanisterRequestTimeout,
                format!("Stop canister request timed out for canister {canister_id}: the canister is still stopping."),
            );
            self.respond(&origin, Err(reject), 0);
        }
    }

    /// Global timers that are due, heartbeats and the low-wasm-memory hook, on running canisters that are not
    /// frozen.
    fn run_system_tasks(&mut self) {
        let now = self.time_nanos;
        let mut tasks = Vec::new();
        for (id, canister) in self.canisters.iter_mut() {
            let Some(code) = canister.code.as_ref() else { continue };
            if canister.status != RunStatus::Running || canister.instance.is_none() {
                continue;
            }
            let reserve = cycles::freeze_reserve(canister.memory_size(), canister.settings.freezing_threshold);
            if canister.cycles < reserve {
                continue; // frozen
            }
            let info = &code.module.info;
            if info.has_heartbeat {
                tasks.push((*id, "canister_heartbeat"));
            }
            if info.has_on_low_wasm_memory {
                // The hook runs once each time the free heap (below wasm_memory_limit) drops under the threshold.
                let settings = &canister.settings;
                let limit = if settings.wasm_memory_limit == 0 { 4 << 30 } else { settings.wasm_memory_limit };
                let heap = canister.instance.as_ref().map_or(0, |i| i.heap_size());
                let low =
                    settings.wasm_memory_threshold > 0 && limit.saturating_sub(heap) < settings.wasm_memory_threshold;
                if low && !canister.low_wasm_memory_hook_ran {
                    canister.low_wasm_memory_hook_ran = true;
                    tasks.push((*id, "canister_on_low_wasm_memory"));
                } else if !low {
                    canister.low_wasm_memory_hook_ran = false;
                }
            }
            if canister.global_timer != 0 && canister.global_timer <= now {
                // The timer is deactivated once scheduled, whatever the task does.
                canister.global_timer = 0;
                if info.has_global_timer {
                    tasks.push((*id, "canister_global_timer"));
                }
            }
        }
        for (canister_id, export) in tasks {
            let context = self.scheduler.open_context(CallContext {
                canister: canister_id,
                origin: CallOrigin::System,
                caller: Principal::management_canister(),
                cycles_available: 0,
                responded: false,
                outstanding: 0,
                deleted: false,
                deadline: 0,
                instructions: 0,
            });
            let limit = self.config.update_instruction_limit;
            let args =
                RunArgs::new(EntryKind::SystemTask, Entry::Export(export), Principal::management_canister(), limit);
            let outcome = self.run(canister_id, args, Persist::Commit);
            self.after_execution(context, outcome, None);
        }
    }

    /// Validates and queues an ingress update call (runs `canister_inspect_message` if the canister has one).
    pub(crate) fn submit_ingress(
        &mut self,
        canister_id: CanisterId,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<MessageId, RejectResponse> {
        // Ingress validation happens before consensus: its rejects are not certified.
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(RejectResponse::payload_too_large(payload.len(), MAX_PAYLOAD_BYTES).uncertified());
        }
        if canister_id != Principal::management_canister() {
            self.inspect_message(canister_id, sender, method, &payload).map_err(RejectResponse::uncertified)?;
        }
        let id = self.scheduler.new_message_id();
        self.scheduler.ingress.insert(id, IngressRecord { sender, result: None });
        while self.scheduler.ingress.len() > INGRESS_HISTORY {
            self.scheduler.ingress.pop_first();
        }
        self.scheduler.ingress_queue.push_back(Request {
            sender,
            receiver: canister_id,
            method: method.to_string(),
            payload,
            cycles: 0,
            origin: CallOrigin::Ingress(id),
            deadline: 0,
        });
        Ok(id)
    }

    fn inspect_message(
        &mut self,
        id: CanisterId,
        sender: Principal,
        method: &str,
        payload: &[u8],
    ) -> Result<(), RejectResponse> {
        let Some(canister) = self.canister(&id) else { return Err(RejectResponse::canister_not_found(id)) };
        let Some(code) = canister.code.as_ref() else { return Err(RejectResponse::wasm_module_not_found(id)) };
        let info = &code.module.info;
        if !info.has_inspect_message || !info.update_methods.contains(method) {
            return Ok(());
        }
        let limit = INSPECT_MESSAGE_INSTRUCTION_LIMIT;
        let mut args =
            RunArgs::new(EntryKind::InspectMessage, Entry::Export("canister_inspect_message"), sender, limit);
        args.arg = payload.to_vec();
        args.method_name = method.to_string();
        let outcome = self.run(id, args, Persist::Discard);
        match outcome.result {
            Err(error) => Err(error_reject(id, &error, limit)),
            Ok(()) if !outcome.message_accepted => Err(RejectResponse::new(
                ErrorCode::CanisterRejectedMessage,
                format!("Error from Canister {id}: Canister rejected the message"),
            )),
            Ok(()) => Ok(()),
        }
    }

    /// Runs rounds until the ingress message has a result.
    pub(crate) fn await_ingress(&mut self, id: MessageId) -> Result<Vec<u8>, RejectResponse> {
        for _ in 0..MAX_AWAIT_ROUNDS {
            if let Some(result) = self.ingress_result(id) {
                return result;
            }
            if !self.scheduler.ingress.contains_key(&id) {
                return Err(RejectResponse::new(ErrorCode::IngressHistoryFull, "unknown or expired message id"));
            }
            self.tick();
            if self.ingress_result(id).is_none() && self.scheduler.is_idle() {
                return Err(RejectResponse::new(
                    ErrorCode::IngressMessageTimeout,
                    "The message cannot complete: no message is left to execute. It waits for bounded-wait calls \
                     to time out (advance the time and tick) or for responses that cannot arrive.",
                ));
            }
        }
        self.ingress_result(id).unwrap_or_else(|| {
            Err(RejectResponse::new(
                ErrorCode::IngressMessageTimeout,
                format!("The message did not complete within {MAX_AWAIT_ROUNDS} rounds"),
            ))
        })
    }

    pub(crate) fn ingress_result(&self, id: MessageId) -> Option<Result<Vec<u8>, RejectResponse>> {
        self.scheduler.ingress.get(&id).and_then(|r| r.result.clone())
    }

    pub(crate) fn ingress_sender(&self, id: MessageId) -> Option<Principal> {
        self.scheduler.ingress.get(&id).map(|r| r.sender)
    }

    /// A non-replicated query: its state changes are always discarded.
    pub(crate) fn query(
        &mut self,
        canister_id: CanisterId,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        if canister_id == Principal::management_canister() {
            return self.management_query(sender, method, &payload);
        }
        let Some(canister) = self.canister(&canister_id) else {
            return Err(RejectResponse::canister_not_found(canister_id).uncertified());
        };
        match canister.status {
            RunStatus::Running => {}
            RunStatus::Stopping => return Err(RejectResponse::stopping(canister_id).uncertified()),
            RunStatus::Stopped => return Err(RejectResponse::stopped(canister_id).uncertified()),
        }
        let Some(code) = canister.code.as_ref() else {
            return Err(RejectResponse::wasm_module_not_found(canister_id).uncertified());
        };
        let info = &code.module.info;
        if info.composite_query_methods.contains(method) {
            return self.composite_query(canister_id, sender, method, payload).map_err(RejectResponse::uncertified);
        }
        if !info.query_methods.contains(method) {
            return Err(RejectResponse::method_not_found(canister_id, "query", method).uncertified());
        }
        let export = format!("canister_query {method}");
        let limit = self.config.query_instruction_limit;
        let mut args = RunArgs::new(EntryKind::NonReplicatedQuery, Entry::Export(&export), sender, limit);
        args.arg = payload;
        args.method_name = method.to_string();
        args.can_respond = true;
        args.data_certificate = true;
        let outcome = self.run(canister_id, args, Persist::Discard);
        match (outcome.result, outcome.response) {
            (Err(error), _) => Err(error_reject(canister_id, &error, limit).uncertified()),
            (Ok(()), Some(Response::Reply(data))) => Ok(data),
            (Ok(()), Some(Response::Reject(message))) => Err(RejectResponse::canister_rejected(message).uncertified()),
            (Ok(()), None) => Err(RejectResponse::did_not_reply(canister_id).uncertified()),
        }
    }

    fn management_query(&mut self, sender: Principal, method: &str, payload: &[u8]) -> Result<Vec<u8>, RejectResponse> {
        #[derive(CandidType, Deserialize)]
        struct Args {
            canister_id: Principal,
        }
        #[derive(CandidType)]
        struct Logs {
            canister_log_records: Vec<CanisterLogRecord>,
        }
        if method != "fetch_canister_logs" {
            return Err(RejectResponse::new(
                ErrorCode::CanisterMethodNotFound,
                format!("Management canister has no query method '{method}'"),
            )
            .uncertified());
        }
        let args: Args =
            candid::decode_one(payload).map_err(|e| RejectResponse::invalid_management_payload(e).uncertified())?;
        let canister_log_records = self.fetch_logs(args.canister_id, sender)?;
        candid::encode_one(Logs { canister_log_records })
            .map_err(|e| RejectResponse::invalid_management_payload(e).uncertified())
    }

    /// Canister logs, if `sender` may read them under the canister's log visibility.
    pub(crate) fn fetch_logs(
        &self,
        canister_id: CanisterId,
        sender: Principal,
    ) -> Result<Vec<CanisterLogRecord>, RejectResponse> {
        let Some(canister) = self.canister(&canister_id) else {
            return Err(RejectResponse::canister_not_found(canister_id).uncertified());
        };
        let allowed = match &canister.settings.log_visibility {
            LogVisibility::Public => true,
            LogVisibility::Controllers => canister.is_controller(&sender),
            LogVisibility::AllowedViewers(viewers) => canister.is_controller(&sender) || viewers.contains(&sender),
        };
        if !allowed {
            return Err(RejectResponse::new(
                ErrorCode::CanisterRejectedMessage,
                format!("Caller {sender} is not allowed to query ic00 method fetch_canister_logs"),
            )
            .uncertified());
        }
        Ok(canister.logs.iter().cloned().collect())
    }
}
