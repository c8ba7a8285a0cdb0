//! The management canister (`aaaaa-aa`): candid decoding of each method's argument, access checks, and the state
//! changes, over the subnet state in `crate::state`. Reached from tests (ingress through the `PocketIc` API, see
//! `api.rs`) and from canisters (inter-canister calls that the scheduler hands to [`handle_management_call`]).
//!
//! A malformed or unauthorized call is always a reject that says what is wrong, never a panic.

pub mod api;
mod chunks;
mod code;
mod history;
mod lifecycle;
mod settings;
mod snapshots;
mod status;

use candid::de::DecoderConfig;
use candid::utils::ArgumentEncoder;
use candid::{CandidType, Nat, Principal};
use serde::de::DeserializeOwned;

use crate::errors::{ErrorCode, RejectResponse};
use crate::state::{Canister, CanisterId, ManagementCall, ManagementOutcome, Subnet};

pub use chunks::{chunk_hash, ChunkStoreError};
pub use settings::{SettingsUpdate, MAX_WASM_MEMORY_LIMIT};
pub use snapshots::{decode_snapshot_id, encode_snapshot_id};

/// Methods a user (ingress) may never call: they need attached cycles or are canister-only (replica ingress filter).
const CANISTER_ONLY_METHODS: &[&str] = &[
    "create_canister",
    "canister_info",
    "canister_metadata",
    "deposit_cycles",
    "raw_rand",
    "http_request",
    "ecdsa_public_key",
    "sign_with_ecdsa",
    "schnorr_public_key",
    "sign_with_schnorr",
    "vetkd_public_key",
    "vetkd_derive_key",
    "node_metrics_history",
    "subnet_info",
];

/// Methods whose ingress form requires the sender to control the canister named in the payload (replica ingress
/// filter: the check happens before execution, with its own message).
const INGRESS_CONTROLLER_METHODS: &[&str] = &[
    "canister_status",
    "start_canister",
    "uninstall_code",
    "stop_canister",
    "delete_canister",
    "update_settings",
    "install_code",
    "install_chunked_code",
    "upload_chunk",
    "stored_chunks",
    "clear_chunk_store",
    "take_canister_snapshot",
    "load_canister_snapshot",
    "list_canister_snapshots",
    "delete_canister_snapshot",
];

/// Management methods of the IC that the emulator does not emulate (threshold signatures, HTTPS outcalls,
/// bitcoin, snapshot download/upload). Calling them gives a reject that says so instead of "no such method".
const UNEMULATED_METHODS: &[&str] = &[
    "http_request",
    "flexible_http_request",
    "ecdsa_public_key",
    "sign_with_ecdsa",
    "schnorr_public_key",
    "sign_with_schnorr",
    "vetkd_public_key",
    "vetkd_derive_key",
    "bitcoin_get_balance",
    "bitcoin_get_utxos",
    "bitcoin_send_transaction",
    "bitcoin_get_current_fee_percentiles",
    "bitcoin_get_block_headers",
    "node_metrics_history",
    "subnet_info",
    "canister_metadata",
    "read_canister_snapshot_metadata",
    "read_canister_snapshot_data",
    "upload_canister_snapshot_metadata",
    "upload_canister_snapshot_data",
    "rename_canister",
];

/// Executes one call to the management canister against the subnet state.
pub fn handle_management_call(subnet: &mut Subnet, call: ManagementCall<'_>) -> ManagementOutcome {
    match dispatch(subnet, &call) {
        Ok(outcome) => outcome,
        Err(reject) => ManagementOutcome::Reject(reject),
    }
}

fn dispatch(subnet: &mut Subnet, call: &ManagementCall<'_>) -> Result<ManagementOutcome, RejectResponse> {
    if call.is_ingress {
        ingress_filter(subnet, call)?;
    }
    let method = call.method;
    match method {
        "create_canister" => lifecycle::create_canister(subnet, call),
        "provisional_create_canister_with_cycles" => lifecycle::provisional_create_canister(subnet, call),
        "provisional_top_up_canister" => lifecycle::provisional_top_up_canister(subnet, call),
        "update_settings" => lifecycle::update_settings(subnet, call),
        "start_canister" => lifecycle::start_canister(subnet, call),
        "stop_canister" => lifecycle::stop_canister(subnet, call),
        "delete_canister" => lifecycle::delete_canister(subnet, call),
        "deposit_cycles" => lifecycle::deposit_cycles(subnet, call),
        "raw_rand" => lifecycle::raw_rand(subnet),
        "install_code" => code::install_code(subnet, call),
        "install_chunked_code" => code::install_chunked_code(subnet, call),
        "uninstall_code" => code::uninstall_code(subnet, call),
        "upload_chunk" => chunks::upload_chunk(subnet, call),
        "stored_chunks" => chunks::stored_chunks(subnet, call),
        "clear_chunk_store" => chunks::clear_chunk_store(subnet, call),
        "canister_status" => status::canister_status(subnet, call),
        "canister_info" => history::canister_info(subnet, call),
        "take_canister_snapshot" => snapshots::take_canister_snapshot(subnet, call),
        "load_canister_snapshot" => snapshots::load_canister_snapshot(subnet, call),
        "list_canister_snapshots" => snapshots::list_canister_snapshots(subnet, call),
        "delete_canister_snapshot" => snapshots::delete_canister_snapshot(subnet, call),
        "fetch_canister_logs" => Err(RejectResponse::new(
            ErrorCode::CanisterRejectedMessage,
            "fetch_canister_logs API is only accessible in non-replicated mode",
        )),
        m if UNEMULATED_METHODS.contains(&m) => Err(RejectResponse::new(
            ErrorCode::CanisterRejectedMessage,
            format!("The emulator does not implement the management canister method '{m}'"),
        )),
        m => Err(RejectResponse::unknown_management_method(m)),
    }
}

/// The checks the replica makes before accepting an ingress message to the management canister.
fn ingress_filter(subnet: &Subnet, call: &ManagementCall<'_>) -> Result<(), RejectResponse> {
    let method = call.method;
    if CANISTER_ONLY_METHODS.contains(&method) {
        // The replica reports create_canister from a user as a contract violation at execution; the others are
        // refused at the ingress filter.
        if method == "create_canister" {
            return Err(RejectResponse::new(
                ErrorCode::CanisterContractViolation,
                "create_canister cannot be called by a user.",
            ));
        }
        return Err(RejectResponse::new(
            ErrorCode::CanisterRejectedMessage,
            format!("Only canisters can call ic00 method {method}"),
        ));
    }
    if INGRESS_CONTROLLER_METHODS.contains(&method) {
        // The effective canister id of a PocketIC management call is the canister named in the payload.
        let canister_id = effective_canister_id(method, call.arg).ok_or_else(|| {
            RejectResponse::new(
                ErrorCode::InvalidManagementPayload,
                format!("Failed to decode payload for ic00 method: {method}"),
            )
        })?;
        let canister = subnet.canister(&canister_id).ok_or_else(|| {
            RejectResponse::new(ErrorCode::CanisterNotFound, format!("Canister {canister_id} not found"))
        })?;
        if !canister.is_controller(&call.caller) {
            return Err(RejectResponse::new(
                ErrorCode::CanisterInvalidController,
                format!("Only controllers of canister {canister_id} can call ic00 method {method}"),
            ));
        }
    }
    Ok(())
}

/// The canister a management payload is about (`canister_id`, or `target_canister` for install_chunked_code).
fn effective_canister_id(method: &str, arg: &[u8]) -> Option<CanisterId> {
    #[derive(CandidType, serde::Deserialize)]
    struct ById {
        canister_id: Principal,
    }
    #[derive(CandidType, serde::Deserialize)]
    struct ByTarget {
        target_canister: Principal,
    }
    if method == "install_chunked_code" {
        candid::decode_one::<ByTarget>(arg).ok().map(|r| r.target_canister)
    } else {
        candid::decode_one::<ById>(arg).ok().map(|r| r.canister_id)
    }
}

/// Decodes a method's single candid argument. Records are append-only, so absent `opt` fields decode as `None`
/// and unknown fields are ignored; anything else is an IC0408 reject with candid's explanation.
pub(crate) fn decode_arg<T: CandidType + DeserializeOwned>(arg: &[u8]) -> Result<T, RejectResponse> {
    let mut config = DecoderConfig::new();
    // Bounds the work a hostile payload can cause (the replica sets quotas too).
    config.set_decoding_quota(100_000_000).set_skipping_quota(10_000);
    candid::decode_one_with_config::<T>(arg, &config).map_err(RejectResponse::invalid_management_payload)
}

/// Encodes a reply. Encoding our own well-typed values cannot fail in practice; if it ever did, the caller gets a
/// reject rather than the emulator panicking.
pub(crate) fn encode_reply(values: impl ArgumentEncoder) -> Result<Vec<u8>, RejectResponse> {
    candid::encode_args(values).map_err(|e| {
        RejectResponse::new(ErrorCode::CanisterContractViolation, format!("failed to encode the management reply: {e}"))
    })
}

/// A reply that keeps none of the attached cycles.
pub(crate) fn reply(values: impl ArgumentEncoder) -> Result<ManagementOutcome, RejectResponse> {
    Ok(ManagementOutcome::Reply { data: encode_reply(values)?, cycles_accepted: 0 })
}

pub(crate) fn canister<'s>(subnet: &'s Subnet, id: &CanisterId) -> Result<&'s Canister, RejectResponse> {
    subnet.canister(id).ok_or_else(|| RejectResponse::canister_not_found(id))
}

pub(crate) fn canister_mut<'s>(subnet: &'s mut Subnet, id: &CanisterId) -> Result<&'s mut Canister, RejectResponse> {
    subnet.canister_mut(id).ok_or_else(|| RejectResponse::canister_not_found(id))
}

/// The canister, if `caller` controls it; otherwise the replica's IC0512 reject.
pub(crate) fn controlled<'s>(
    subnet: &'s Subnet,
    id: &CanisterId,
    caller: &Principal,
) -> Result<&'s Canister, RejectResponse> {
    let canister = canister(subnet, id)?;
    check_controller(canister, caller)?;
    Ok(canister)
}

pub(crate) fn check_controller(canister: &Canister, caller: &Principal) -> Result<(), RejectResponse> {
    if canister.is_controller(caller) {
        Ok(())
    } else {
        Err(RejectResponse::invalid_controller(canister.id, &canister.settings.controllers, caller))
    }
}

/// For the methods a canister may also call on itself (chunk store, canister_status).
pub(crate) fn check_controller_or_self(canister: &Canister, caller: &Principal) -> Result<(), RejectResponse> {
    if *caller == canister.id {
        Ok(())
    } else {
        check_controller(canister, caller)
    }
}

pub(crate) fn nat_to_u64(value: &Nat, what: &str) -> Result<u64, RejectResponse> {
    u64::try_from(&value.0).map_err(|_| {
        RejectResponse::new(
            ErrorCode::CanisterContractViolation,
            format!("{what} expected to be in the range of [0..2^64-1], got {value}"),
        )
    })
}

pub(crate) fn nat_to_u128(value: &Nat, what: &str) -> Result<u128, RejectResponse> {
    u128::try_from(&value.0).map_err(|_| {
        RejectResponse::new(
            ErrorCode::CanisterContractViolation,
            format!("{what} expected to be in the range of [0..2^128-1], got {value}"),
        )
    })
}

#[cfg(test)]
mod tests;
