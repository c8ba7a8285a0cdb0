//! Call contexts, callbacks, message queues and rounds.
//!
//! All messages (requests and responses) go through one FIFO queue in the order they were produced, which gives
//! the IC's ordering guarantee per pair of canisters. Submitted ingress messages wait in their own queue until
//! the next round inducts them. A round (`tick`) expires bounded-wait calls whose deadline passed, runs due
//! global timers and heartbeats, inducts ingress, then executes queued messages until the queue is empty or the
//! round's execution budget is spent.

mod composite;
mod messages;
mod round;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, VecDeque};

use candid::Principal;

use crate::errors::RejectResponse;
use crate::state::{CallOrigin, CallbackId, CanisterId, MessageId};
use crate::system_api::Closure;

pub use round::MAX_AWAIT_ROUNDS;

/// Id of a call context (unique in the subnet).
pub type ContextId = u64;

/// A call being processed by a canister: where its response goes and what it still waits for.
#[derive(Debug)]
pub struct CallContext {
    pub canister: CanisterId,
    pub origin: CallOrigin,
    /// Who made the call: `msg_caller` in every execution of the context, callbacks included.
    pub caller: Principal,
    /// Cycles attached to the call and not yet accepted (refunded with the response).
    pub cycles_available: u128,
    pub responded: bool,
    /// Calls made in this context whose callbacks have not run yet.
    pub outstanding: u32,
    /// Set by uninstall: callbacks no longer run, responses only refund cycles.
    pub deleted: bool,
    /// Bounded-wait deadline of the incoming call (0 = none).
    pub deadline: u64,
    /// Instructions used by the executions of this context so far (performance counter 1).
    pub instructions: u64,
}

impl CallContext {
    fn needs_response(&self) -> bool {
        !self.responded && !matches!(self.origin, CallOrigin::System)
    }
}

/// A callback registered by `call_perform`.
#[derive(Debug)]
pub struct Callback {
    pub canister: CanisterId,
    pub context: ContextId,
    pub callee: Principal,
    pub reply: Closure,
    pub reject: Closure,
    pub cleanup: Option<Closure>,
    /// Bounded-wait deadline (0 = guaranteed response).
    pub deadline: u64,
    /// The deadline passed and a timeout reject was queued; the real response will be dropped.
    pub expired: bool,
}

/// A request to a canister (or to the management canister).
#[derive(Debug)]
pub struct Request {
    pub sender: Principal,
    pub receiver: CanisterId,
    pub method: String,
    pub payload: Vec<u8>,
    pub cycles: u128,
    pub origin: CallOrigin,
    pub deadline: u64,
}

impl Request {
    fn is_ingress(&self) -> bool {
        matches!(self.origin, CallOrigin::Ingress(_))
    }
}

#[derive(Debug)]
pub enum Message {
    Request(Request),
    Response { callback: CallbackId, result: Result<Vec<u8>, RejectResponse>, refund: u128 },
}

/// What the ingress history knows about a submitted message.
#[derive(Debug)]
pub struct IngressRecord {
    pub sender: Principal,
    pub result: Option<Result<Vec<u8>, RejectResponse>>,
}

/// Queues, call contexts, callbacks and the ingress history.
#[derive(Default)]
pub struct Scheduler {
    pub(crate) queue: VecDeque<Message>,
    pub(crate) ingress_queue: VecDeque<Request>,
    pub(crate) ingress: BTreeMap<MessageId, IngressRecord>,
    pub(crate) contexts: BTreeMap<ContextId, CallContext>,
    pub(crate) callbacks: BTreeMap<CallbackId, Callback>,
    /// `stop_canister` callers and when their request times out (the replica answers IC0206 after 5 minutes,
    /// leaving the canister Stopping).
    pub(crate) stop_timeouts: Vec<(CanisterId, CallOrigin, u64)>,
    /// Number of open call contexts per canister (a Stopping canister stops when it reaches 0).
    pub(crate) open_contexts: HashMap<CanisterId, u32>,
    next_message: u64,
    next_context: u64,
    next_callback: u64,
}

impl Scheduler {
    fn new_message_id(&mut self) -> MessageId {
        self.next_message += 1;
        MessageId(self.next_message)
    }

    pub(crate) fn open_context(&mut self, context: CallContext) -> ContextId {
        self.next_context += 1;
        *self.open_contexts.entry(context.canister).or_default() += 1;
        self.contexts.insert(self.next_context, context);
        self.next_context
    }

    pub(crate) fn close_context(&mut self, id: ContextId) {
        if let Some(context) = self.contexts.remove(&id) {
            if let Some(count) = self.open_contexts.get_mut(&context.canister) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.open_contexts.remove(&context.canister);
                }
            }
        }
    }

    fn new_callback_id(&mut self) -> CallbackId {
        self.next_callback += 1;
        CallbackId(self.next_callback)
    }

    /// Open call contexts of a canister.
    pub fn open_context_count(&self, canister: &CanisterId) -> u32 {
        self.open_contexts.get(canister).copied().unwrap_or(0)
    }

    /// Whether anything is left to do without time passing.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.ingress_queue.is_empty()
    }
}
