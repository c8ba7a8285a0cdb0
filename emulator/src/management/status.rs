//! `canister_status` (the full record of ic-management-canister-types 0.8).

use ic_management_canister_types::{
    CanisterIdRecord, CanisterStatusResult, CanisterStatusType, MemoryMetrics, QueryStats,
};

use super::{canister, check_controller_or_self, decode_arg, reply};
use crate::errors::RejectResponse;
use crate::state::{Canister, ManagementCall, ManagementOutcome, RunStatus, Subnet};

/// The status record of a canister. The emulator charges no idle (storage/compute) fees and keeps no query
/// statistics, so those fields are 0.
pub fn status_of(canister: &Canister) -> CanisterStatusResult {
    let wasm_binary_size = canister.code.as_ref().map_or(0, |c| c.wasm.len() as u64);
    let chunk_store_size: u64 = canister.chunk_store.values().map(|c| c.len() as u64).sum();
    let snapshots_size: u64 = canister.snapshots.iter().map(|s| s.total_size()).sum();
    let log_size: u64 = canister.logs.iter().map(|r| r.content.len() as u64).sum();
    CanisterStatusResult {
        status: match canister.status {
            RunStatus::Running => CanisterStatusType::Running,
            RunStatus::Stopping => CanisterStatusType::Stopping,
            RunStatus::Stopped => CanisterStatusType::Stopped,
        },
        ready_for_migration: false,
        version: canister.version,
        settings: canister.settings.to_definite(),
        module_hash: canister.code.as_ref().map(|c| c.module_hash.to_vec()),
        memory_size: canister.memory_size().into(),
        memory_metrics: MemoryMetrics {
            wasm_memory_size: canister.heap_size().into(),
            stable_memory_size: canister.stable.size_bytes().into(),
            global_memory_size: 0u64.into(),
            wasm_binary_size: wasm_binary_size.into(),
            custom_sections_size: 0u64.into(),
            canister_history_size: 0u64.into(),
            wasm_chunk_store_size: chunk_store_size.into(),
            snapshots_size: snapshots_size.into(),
            log_memory_store_size: log_size.into(),
        },
        cycles: canister.cycles.into(),
        reserved_cycles: 0u64.into(),
        idle_cycles_burned_per_day: 0u64.into(),
        query_stats: QueryStats {
            num_calls_total: 0u64.into(),
            num_instructions_total: 0u64.into(),
            request_payload_bytes_total: 0u64.into(),
            response_payload_bytes_total: 0u64.into(),
        },
    }
}

pub(super) fn canister_status(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: CanisterIdRecord = decode_arg(call.arg)?;
    let target = canister(subnet, &args.canister_id)?;
    check_controller_or_self(target, &call.caller)?;
    reply((status_of(target),))
}
