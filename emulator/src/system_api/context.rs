//! The state one execution sees through the system API, and the allowed-context rules.

use candid::Principal;
use ic_management_canister_types::EnvironmentVariable;

use crate::stable::StableMemory;

/// The entry point being executed (the spec's context letters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// `(start)`: s
    Start,
    /// canister_init: I
    Init,
    /// canister_pre_upgrade: G
    PreUpgrade,
    /// canister_post_upgrade: I
    PostUpgrade,
    /// canister_update: U
    Update,
    /// canister_query called in replicated mode (update call or inter-canister): RQ
    ReplicatedQuery,
    /// canister_query called as a query: NRQ
    NonReplicatedQuery,
    /// canister_composite_query: CQ
    CompositeQuery,
    /// reply callback: Ry
    ReplyCallback,
    /// reject callback: Rt
    RejectCallback,
    /// reply callback of a composite query: CRy
    CompositeReplyCallback,
    /// reject callback of a composite query: CRt
    CompositeRejectCallback,
    /// cleanup callback: C
    Cleanup,
    /// canister_global_timer, canister_heartbeat, canister_on_low_wasm_memory: T
    SystemTask,
    /// canister_inspect_message: F
    InspectMessage,
}

/// Bit sets of contexts in which an import may be called.
pub mod allowed {
    pub const S: u32 = 1 << 0;
    pub const I: u32 = 1 << 1;
    pub const G: u32 = 1 << 2;
    pub const U: u32 = 1 << 3;
    pub const RQ: u32 = 1 << 4;
    pub const NRQ: u32 = 1 << 5;
    pub const CQ: u32 = 1 << 6;
    pub const RY: u32 = 1 << 7;
    pub const RT: u32 = 1 << 8;
    pub const C: u32 = 1 << 9;
    pub const T: u32 = 1 << 10;
    pub const F: u32 = 1 << 11;
    pub const CRY: u32 = 1 << 12;
    pub const CRT: u32 = 1 << 13;
    /// `*`: every context except `(start)`.
    pub const STAR: u32 = I | G | U | RQ | NRQ | CQ | RY | RT | CRY | CRT | C | T | F;
    /// `* s`
    pub const ANY: u32 = STAR | S;
    /// Query contexts (Q in the spec).
    pub const Q: u32 = RQ | NRQ;
    /// Where calls can be made (U CQ Ry Rt CRy CRt T).
    pub const CALLS: u32 = U | CQ | RY | RT | CRY | CRT | T;
    /// Where a response can be given (U RQ NRQ CQ Ry Rt CRy CRt).
    pub const RESPOND: u32 = U | Q | CQ | RY | RT | CRY | CRT;
}

impl EntryKind {
    pub fn bit(self) -> u32 {
        use allowed::*;
        match self {
            EntryKind::Start => S,
            EntryKind::Init | EntryKind::PostUpgrade => I,
            EntryKind::PreUpgrade => G,
            EntryKind::Update => U,
            EntryKind::ReplicatedQuery => RQ,
            EntryKind::NonReplicatedQuery => NRQ,
            EntryKind::CompositeQuery => CQ,
            EntryKind::ReplyCallback => RY,
            EntryKind::RejectCallback => RT,
            EntryKind::CompositeReplyCallback => CRY,
            EntryKind::CompositeRejectCallback => CRT,
            EntryKind::Cleanup => C,
            EntryKind::SystemTask => T,
            EntryKind::InspectMessage => F,
        }
    }

    /// Executions that run in non-replicated mode (their changes are always discarded, nothing is charged).
    pub fn is_non_replicated(self) -> bool {
        matches!(
            self,
            EntryKind::NonReplicatedQuery
                | EntryKind::CompositeQuery
                | EntryKind::CompositeReplyCallback
                | EntryKind::CompositeRejectCallback
                | EntryKind::InspectMessage
        )
    }

    /// The spec's name of the context, for trap messages.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Start => "start",
            EntryKind::Init => "init",
            EntryKind::PreUpgrade => "pre_upgrade",
            EntryKind::PostUpgrade => "post_upgrade",
            EntryKind::Update => "update",
            EntryKind::ReplicatedQuery => "replicated query",
            EntryKind::NonReplicatedQuery => "non-replicated query",
            EntryKind::CompositeQuery => "composite query",
            EntryKind::ReplyCallback => "reply callback",
            EntryKind::RejectCallback => "reject callback",
            EntryKind::CompositeReplyCallback => "composite reply callback",
            EntryKind::CompositeRejectCallback => "composite reject callback",
            EntryKind::Cleanup => "cleanup",
            EntryKind::SystemTask => "system task",
            EntryKind::InspectMessage => "inspect message",
        }
    }
}

/// A response given by the execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    Reply(Vec<u8>),
    Reject(String),
}

/// A callback: table index and environment value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closure {
    pub fun: u32,
    pub env: u64,
}

/// An outgoing call being built (`call_new` .. `call_perform`) or performed.
#[derive(Clone, Debug)]
pub struct OutgoingCall {
    pub callee: Principal,
    pub method: String,
    pub payload: Vec<u8>,
    pub reply: Closure,
    pub reject: Closure,
    pub cleanup: Option<Closure>,
    pub cycles: u128,
    /// `call_with_best_effort_response` timeout in seconds (clamped to 300).
    pub timeout_seconds: Option<u32>,
}

/// Why an execution trapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostTrap {
    /// `ic0.trap` (or a panic through it): IC0503.
    CalledTrap(String),
    /// A system API rule was broken (wrong context, bad argument, out of bounds): IC0504.
    ContractViolation(String),
    /// Wasm-level trap raised from the host (e.g. out-of-bounds heap copy): IC0502.
    Trapped(String),
}

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostTrap::CalledTrap(m) | HostTrap::ContractViolation(m) | HostTrap::Trapped(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for HostTrap {}

/// Everything one execution reads and changes through the system API. Built before the call into wasm and taken
/// apart afterwards: on success its effects are applied, on trap they are dropped (except the logs).
pub struct ApiState {
    pub kind: EntryKind,
    pub canister_id: Principal,
    pub subnet_id: Principal,
    pub caller: Principal,
    /// Argument (update/query/init) or reply payload (reply callback).
    pub arg: Vec<u8>,
    /// Reject code and message seen by a reject callback (code 0 in a reply callback).
    pub reject_code: u32,
    pub reject_message: String,
    pub time: u64,
    /// Bounded-wait deadline of the incoming call (0 = guaranteed response).
    pub deadline: u64,
    pub method_name: String,
    pub canister_version: u64,
    /// 1 running, 2 stopping, 3 stopped.
    pub status: u32,
    pub controllers: Vec<Principal>,
    pub environment_variables: Vec<EnvironmentVariable>,

    // ----- cycles -----
    /// Canister balance during the execution (minus cycles attached to calls, plus accepted).
    pub balance: u128,
    /// Part of the balance below which the canister would freeze (not usable for calls).
    pub freeze_reserve: u128,
    /// Cycles of the call context still available to accept.
    pub cycles_available: u128,
    pub cycles_accepted: u128,
    /// Cycles refunded with the response being processed (callbacks).
    pub cycles_refunded: u128,

    // ----- response and calls -----
    /// The call context needs a response and none was given yet.
    pub can_respond: bool,
    pub reply_buffer: Vec<u8>,
    pub response: Option<Response>,
    pub pending_call: Option<OutgoingCall>,
    pub performed_calls: Vec<OutgoingCall>,

    // ----- memories and other state -----
    pub stable: StableMemory,
    pub certified_data: Vec<u8>,
    pub global_timer: u64,
    pub logs: Vec<Vec<u8>>,
    pub message_accepted: bool,

    // ----- instructions -----
    pub instruction_limit: u64,
    /// Instructions of the call context before this execution (performance counter 1).
    pub call_context_instructions: u64,
    pub max_payload: usize,
    /// The data certificate (`ic0.data_certificate_*`): only in a non-replicated query or composite query of the
    /// canister the user called.
    pub data_certificate: Option<crate::certification::DataCertificate>,
    /// The subnet's keys, for `ic0.root_key_*` (`None` outside a subnet, e.g. in unit tests: an empty key).
    pub keys: Option<std::sync::Arc<crate::certification::SubnetKeys>>,
}

impl ApiState {
    /// A state with defaults for everything but the essentials; the executor fills in the rest.
    pub fn new(kind: EntryKind, canister_id: Principal, caller: Principal, time: u64) -> Self {
        ApiState {
            kind,
            canister_id,
            subnet_id: Principal::management_canister(),
            caller,
            arg: Vec::new(),
            reject_code: 0,
            reject_message: String::new(),
            time,
            deadline: 0,
            method_name: String::new(),
            canister_version: 0,
            status: 1,
            controllers: Vec::new(),
            environment_variables: Vec::new(),
            balance: 0,
            freeze_reserve: 0,
            cycles_available: 0,
            cycles_accepted: 0,
            cycles_refunded: 0,
            can_respond: false,
            reply_buffer: Vec::new(),
            response: None,
            pending_call: None,
            performed_calls: Vec::new(),
            stable: StableMemory::default(),
            certified_data: Vec::new(),
            global_timer: 0,
            logs: Vec::new(),
            message_accepted: false,
            instruction_limit: u64::MAX,
            call_context_instructions: 0,
            max_payload: crate::state::MAX_PAYLOAD_BYTES,
            data_certificate: None,
            keys: None,
        }
    }

    /// Traps unless the current context is in `allowed_set`.
    pub fn check(&self, allowed_set: u32, import: &str) -> Result<(), HostTrap> {
        if self.kind.bit() & allowed_set != 0 {
            Ok(())
        } else {
            Err(HostTrap::ContractViolation(format!(
                "\"ic0_{import}\" cannot be executed in {} mode",
                self.kind.name()
            )))
        }
    }

    /// Balance usable for calls and cycle transfers.
    pub fn liquid_balance(&self) -> u128 {
        self.balance.saturating_sub(self.freeze_reserve)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_rules_follow_the_spec_letters() {
        let mut state = ApiState::new(EntryKind::NonReplicatedQuery, Principal::anonymous(), Principal::anonymous(), 0);
        assert!(state.check(allowed::CALLS, "call_new").is_err());
        assert!(state.check(allowed::RESPOND, "msg_reply").is_ok());
        state.kind = EntryKind::Start;
        assert!(state.check(allowed::STAR, "time").is_err());
        assert!(state.check(allowed::ANY, "debug_print").is_ok());
        state.kind = EntryKind::SystemTask;
        assert!(state.check(allowed::CALLS, "call_new").is_ok());
        assert!(state.check(allowed::RESPOND, "msg_reply").is_err());
    }
}
