//! Composite queries: a non-replicated query that calls query methods of other canisters and gets their
//! answers in composite reply/reject callbacks. The whole call graph runs synchronously inside `query_call`;
//! every state change is discarded (a composite query keeps its own changes across its callbacks, as ic-cdk's
//! futures need, and loses them when it completes). A call back into a canister already in the graph is
//! rejected (IC0517), as is a graph deeper than the replica allows (IC0525).

use std::collections::VecDeque;

use candid::Principal;

use crate::errors::{ErrorCode, RejectResponse};
use crate::execution::{cleanup_failed_reject, error_reject, Persist, RunArgs, RunResult};
use crate::state::{CanisterId, RunStatus, Subnet};
use crate::system_api::{EntryKind, OutgoingCall, Response};
use crate::wasm::Entry;

/// Depth of nested composite queries the replica allows.
const MAX_QUERY_CALL_DEPTH: usize = 6;

impl Subnet {
    /// Runs a composite query method (already looked up) and its whole call graph.
    pub(crate) fn composite_query(
        &mut self,
        canister_id: CanisterId,
        caller: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        let mut active = Vec::new();
        self.run_composite(&mut active, canister_id, caller, method, payload)
    }

    fn run_composite(
        &mut self,
        active: &mut Vec<CanisterId>,
        canister_id: CanisterId,
        caller: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        active.push(canister_id);
        if let Some(canister) = self.canister_mut(&canister_id) {
            canister.stable.begin();
        }
        let limit = self.config.query_instruction_limit;
        let export = format!("canister_composite_query {method}");
        let mut args = RunArgs::new(EntryKind::CompositeQuery, Entry::Export(&export), caller, limit);
        args.arg = payload;
        args.method_name = method.to_string();
        args.can_respond = true;
        // Only the canister the user called sees a data certificate, not the callees.
        args.data_certificate = active.len() == 1;
        let outcome = self.run(canister_id, args, Persist::Defer);
        let result = self.drive_composite(active, canister_id, caller, outcome, limit);
        // Everything the graph did on this canister is discarded.
        if let Some(canister) = self.canister_mut(&canister_id) {
            canister.stable.rollback();
            if let Some(instance) = canister.instance.as_mut() {
                let _ = instance.rollback();
            }
        }
        active.pop();
        result
    }

    /// Runs the calls of a composite query one after the other, each followed by its callback, until the query
    /// responds or has nothing left to wait for.
    fn drive_composite(
        &mut self,
        active: &mut Vec<CanisterId>,
        canister_id: CanisterId,
        caller: Principal,
        first: RunResult,
        limit: u64,
    ) -> Result<Vec<u8>, RejectResponse> {
        let mut failure = first.result.as_ref().err().map(|e| error_reject(canister_id, e, limit));
        let mut response = first.response;
        let mut calls: VecDeque<OutgoingCall> = first.calls.into();
        while response.is_none() {
            let Some(call) = calls.pop_front() else { break };
            let result = self.composite_callee(active, canister_id, &call);
            let (kind, closure) = match &result {
                Ok(_) => (EntryKind::CompositeReplyCallback, call.reply),
                Err(_) => (EntryKind::CompositeRejectCallback, call.reject),
            };
            let entry = Entry::Callback { fun: closure.fun, env: closure.env };
            let mut args = RunArgs::new(kind, entry, caller, limit);
            match result {
                Ok(data) => args.arg = data,
                Err(reject) => {
                    args.reject_code = reject.reject_code as u32;
                    args.reject_message = reject.reject_message;
                }
            }
            args.can_respond = true;
            let outcome = self.run(canister_id, args, Persist::Defer);
            match &outcome.result {
                Ok(()) => {
                    response = outcome.response;
                    calls.extend(outcome.calls);
                }
                Err(error) => {
                    failure = Some(error_reject(canister_id, error, limit));
                    if let Some(cleanup) = call.cleanup {
                        let entry = Entry::Callback { fun: cleanup.fun, env: cleanup.env };
                        let args = RunArgs::new(EntryKind::Cleanup, entry, caller, limit);
                        if let Err(cleanup_error) = self.run(canister_id, args, Persist::Defer).result {
                            failure = Some(cleanup_failed_reject(canister_id, error, &cleanup_error, limit));
                        }
                    }
                }
            }
        }
        match response {
            Some(Response::Reply(data)) => Ok(data),
            // Callers, canisters and users alike, see the message as given.
            Some(Response::Reject(message)) => Err(RejectResponse::canister_rejected(message)),
            None => Err(failure.unwrap_or_else(|| RejectResponse::did_not_reply(canister_id))),
        }
    }

    /// Executes one call of a composite query: a query or composite query method of another canister.
    fn composite_callee(
        &mut self,
        active: &mut Vec<CanisterId>,
        caller: CanisterId,
        call: &OutgoingCall,
    ) -> Result<Vec<u8>, RejectResponse> {
        let target = call.callee;
        if active.contains(&target) {
            return Err(RejectResponse::new(
                ErrorCode::QueryCallGraphLoopDetected,
                format!("Loop detected: canister {target} is already in the composite query call graph of {caller}."),
            ));
        }
        if active.len() >= MAX_QUERY_CALL_DEPTH {
            return Err(RejectResponse::new(
                ErrorCode::QueryCallGraphTooDeep,
                format!("Composite query call graph of {caller} is deeper than {MAX_QUERY_CALL_DEPTH}."),
            ));
        }
        let Some(canister) = self.canister(&target) else { return Err(RejectResponse::canister_not_found(target)) };
        match canister.status {
            RunStatus::Running => {}
            RunStatus::Stopping => return Err(RejectResponse::stopping(target)),
            RunStatus::Stopped => return Err(RejectResponse::stopped(target)),
        }
        let Some(code) = canister.code.as_ref() else { return Err(RejectResponse::wasm_module_not_found(target)) };
        let info = &code.module.info;
        if info.composite_query_methods.contains(&call.method) {
            return self.run_composite(active, target, caller, &call.method, call.payload.clone());
        }
        if !info.query_methods.contains(&call.method) {
            return Err(RejectResponse::method_not_found(target, "query", &call.method));
        }
        let limit = self.config.query_instruction_limit;
        let export = format!("canister_query {}", call.method);
        let mut args = RunArgs::new(EntryKind::NonReplicatedQuery, Entry::Export(&export), caller, limit);
        args.arg = call.payload.clone();
        args.method_name = call.method.clone();
        args.can_respond = true;
        let outcome = self.run(target, args, Persist::Discard);
        match (outcome.result, outcome.response) {
            (Err(error), _) => Err(error_reject(target, &error, limit)),
            (Ok(()), Some(Response::Reply(data))) => Ok(data),
            (Ok(()), Some(Response::Reject(message))) => Err(RejectResponse::canister_rejected(message)),
            (Ok(()), None) => Err(RejectResponse::did_not_reply(target)),
        }
    }
}
