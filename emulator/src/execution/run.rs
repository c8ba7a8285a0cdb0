//! Running one entry point of a canister atomically: the API state is built from the canister, the wasm runs
//! with a fuel limit, and the effects are applied on success or dropped on trap (heap, globals and stable memory
//! through their undo logs). Logs are kept either way, as on the IC.

use candid::Principal;

use crate::cycles;
use crate::errors::RejectResponse;
use crate::state::{CanisterId, RunStatus, Subnet};
use crate::system_api::{ApiState, EntryKind, HostTrap, OutgoingCall, Response};
use crate::wasm::{Entry, ExecError};

/// What to do with the memories after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persist {
    /// Keep the changes on success, roll back on trap.
    Commit,
    /// Always roll back (queries, inspect_message).
    Discard,
    /// Leave the heap and stable memory transactions open; the caller commits or rolls back (upgrades).
    Defer,
}

/// The inputs of one run besides the canister's own state.
pub struct RunArgs<'a> {
    pub kind: EntryKind,
    pub entry: Entry<'a>,
    pub caller: Principal,
    pub arg: Vec<u8>,
    pub reject_code: u32,
    pub reject_message: String,
    pub method_name: String,
    pub cycles_available: u128,
    pub cycles_refunded: u128,
    pub can_respond: bool,
    pub deadline: u64,
    pub instruction_limit: u64,
    pub call_context_instructions: u64,
    /// Give the execution a data certificate (a query of the canister the user called).
    pub data_certificate: bool,
}

impl<'a> RunArgs<'a> {
    pub fn new(kind: EntryKind, entry: Entry<'a>, caller: Principal, instruction_limit: u64) -> Self {
        RunArgs {
            kind,
            entry,
            caller,
            arg: Vec::new(),
            reject_code: 0,
            reject_message: String::new(),
            method_name: String::new(),
            cycles_available: 0,
            cycles_refunded: 0,
            can_respond: false,
            deadline: 0,
            instruction_limit,
            call_context_instructions: 0,
            data_certificate: false,
        }
    }
}

/// The effects of a run that the scheduler routes.
#[derive(Debug)]
pub struct RunResult {
    pub result: Result<(), ExecError>,
    pub response: Option<Response>,
    pub calls: Vec<OutgoingCall>,
    /// Cycles of the call context not accepted.
    pub cycles_available: u128,
    pub instructions: u64,
    pub message_accepted: bool,
}

impl RunResult {
    fn failed(error: ExecError) -> Self {
        RunResult {
            result: Err(error),
            response: None,
            calls: Vec::new(),
            cycles_available: 0,
            instructions: 0,
            message_accepted: false,
        }
    }
}

/// The reject a caller sees for a failed execution.
pub fn error_reject(canister_id: CanisterId, error: &ExecError, limit: u64) -> RejectResponse {
    match error {
        ExecError::Host(HostTrap::CalledTrap(message)) => RejectResponse::called_trap(canister_id, message),
        ExecError::Host(HostTrap::ContractViolation(message)) => {
            RejectResponse::contract_violation(canister_id, message)
        }
        ExecError::Host(HostTrap::Trapped(message)) | ExecError::Wasm(message) => {
            RejectResponse::trapped(canister_id, message)
        }
        ExecError::OutOfInstructions => RejectResponse::instruction_limit_exceeded(canister_id, limit),
    }
}

/// The replica's description of a failed execution (`HypervisorError`'s display), without the
/// "Error from Canister ...: " prefix and the help text.
fn describe(error: &ExecError, limit: u64) -> String {
    match error {
        ExecError::Host(HostTrap::CalledTrap(message)) => {
            format!("Canister called `ic0.trap` with message: '{message}'")
        }
        ExecError::Host(HostTrap::ContractViolation(message)) => format!("Canister violated contract: {message}"),
        ExecError::Host(HostTrap::Trapped(message)) | ExecError::Wasm(message) => {
            format!("Canister trapped: {message}")
        }
        ExecError::OutOfInstructions => {
            format!("Canister exceeded the limit of {limit} instructions for single message execution.")
        }
    }
}

/// The reject for a reply/reject callback that failed and whose `call_on_cleanup` failed too: both errors, with
/// the callback's error code (the replica's `HypervisorError::Cleanup`).
pub fn cleanup_failed_reject(
    canister_id: CanisterId,
    callback_error: &ExecError,
    cleanup_error: &ExecError,
    limit: u64,
) -> RejectResponse {
    let code = error_reject(canister_id, callback_error, limit).error_code;
    RejectResponse::new(
        code,
        format!(
            "Error from Canister {canister_id}: {}\n\ncall_on_cleanup also failed:\n\n{}",
            describe(callback_error, limit),
            describe(cleanup_error, limit)
        ),
    )
}

/// Whether an execution of this kind is charged and bumps the canister version when it succeeds.
fn is_replicated(kind: EntryKind) -> bool {
    !kind.is_non_replicated()
}

impl Subnet {
    /// Runs `args.entry` on the canister's live instance.
    pub(crate) fn run(&mut self, canister_id: CanisterId, args: RunArgs<'_>, persist: Persist) -> RunResult {
        let time = self.time_nanos;
        let subnet_id = self.subnet_id;
        let data_certificate = args.data_certificate.then(|| crate::certification::data_certificate(self, canister_id));
        let keys = self.keys.clone();
        let Some(canister) = self.canisters.get_mut(&canister_id) else {
            return RunResult::failed(ExecError::Wasm(format!("canister {canister_id} does not exist")));
        };
        let freeze_reserve = cycles::freeze_reserve(canister.memory_size(), canister.settings.freezing_threshold);
        let Some(instance) = canister.instance.as_mut() else {
            return RunResult::failed(ExecError::Wasm("the canister has no Wasm module".into()));
        };

        instance.set_heap_limit(canister.settings.wasm_memory_limit);
        let mut api = ApiState::new(args.kind, canister_id, args.caller, time);
        api.subnet_id = subnet_id;
        api.arg = args.arg;
        api.reject_code = args.reject_code;
        api.reject_message = args.reject_message;
        api.method_name = args.method_name;
        api.deadline = args.deadline;
        api.canister_version = canister.version;
        api.status = match canister.status {
            RunStatus::Running => 1,
            RunStatus::Stopping => 2,
            RunStatus::Stopped => 3,
        };
        api.controllers = canister.settings.controllers.clone();
        api.environment_variables = canister.settings.environment_variables.clone();
        api.balance = canister.cycles;
        api.freeze_reserve = freeze_reserve;
        api.cycles_available = args.cycles_available;
        api.cycles_refunded = args.cycles_refunded;
        api.can_respond = args.can_respond;
        api.stable = std::mem::take(&mut canister.stable);
        if persist != Persist::Defer {
            api.stable.begin();
        }
        api.certified_data = canister.certified_data.clone();
        api.global_timer = canister.global_timer;
        api.instruction_limit = args.instruction_limit;
        api.call_context_instructions = args.call_context_instructions;
        api.data_certificate = data_certificate;
        api.keys = Some(keys);

        let execution = instance.run(args.entry, api, args.instruction_limit);
        let mut api = execution.api;
        let success = execution.result.is_ok();
        let keep = success && persist != Persist::Discard;
        let mut rollback_error = None;
        match persist {
            Persist::Defer => {}
            Persist::Commit if success => {
                instance.commit();
                api.stable.commit();
            }
            _ => {
                rollback_error = instance.rollback().err();
                api.stable.rollback();
            }
        }
        if let Some(e) = rollback_error {
            // Rebuilding the instance failed (cannot happen for a module that instantiated before): leave the
            // canister without a live instance rather than with inconsistent memory.
            canister.instance = None;
            canister.append_log(time, format!("[EMULATOR]: rollback failed: {e}").into_bytes());
        }
        canister.last_instructions = execution.instructions;
        canister.total_instructions = canister.total_instructions.saturating_add(execution.instructions);
        for content in std::mem::take(&mut api.logs) {
            canister.append_log(time, content);
        }
        if let Err(error) = &execution.result {
            let message = match error {
                ExecError::OutOfInstructions => "instruction limit exceeded".to_string(),
                ExecError::Host(trap) => trap.to_string(),
                ExecError::Wasm(message) => message.clone(),
            };
            canister.append_log(time, format!("[TRAP]: {message}").into_bytes());
        }
        let fee = if is_replicated(args.kind) { cycles::execution_fee(execution.instructions) } else { 0 };
        canister.stable = std::mem::take(&mut api.stable);

        if keep {
            canister.certified_data = api.certified_data;
            canister.global_timer = api.global_timer;
            canister.cycles = api.balance.saturating_sub(fee);
            if matches!(
                args.kind,
                EntryKind::Update | EntryKind::ReplyCallback | EntryKind::RejectCallback | EntryKind::SystemTask
            ) {
                canister.version += 1;
            }
            RunResult {
                result: Ok(()),
                response: api.response,
                calls: api.performed_calls,
                cycles_available: api.cycles_available,
                instructions: execution.instructions,
                message_accepted: api.message_accepted,
            }
        } else {
            canister.cycles = canister.cycles.saturating_sub(fee);
            RunResult {
                result: execution.result,
                // A query's reply is returned even though its state changes are discarded.
                response: if success { api.response } else { None },
                calls: Vec::new(),
                cycles_available: args.cycles_available,
                instructions: execution.instructions,
                message_accepted: success && api.message_accepted,
            }
        }
    }
}
