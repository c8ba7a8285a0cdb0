//! `install_code`, `install_chunked_code` and `uninstall_code`: argument decoding, access checks and mode
//! preconditions here; running `canister_init` / `pre_upgrade` / `post_upgrade` atomically is the core's
//! `Subnet::install_code`.

use ic_management_canister_types::{
    CanisterInstallMode, ChangeDetails, CodeDeploymentMode, CodeDeploymentRecord, InstallChunkedCodeArgs,
    InstallCodeArgs, UninstallCodeArgs,
};

use super::chunks::assemble_module;
use super::history::change_origin;
use super::{canister, canister_mut, check_controller, check_controller_or_self, controlled, decode_arg, reply};
use crate::errors::{ErrorCode, RejectResponse};
use crate::state::{Canister, CanisterId, ManagementCall, ManagementOutcome, Subnet};

/// The mode's precondition on the canister's current code, with the replica's rejects.
pub(crate) fn check_install_mode(canister: &Canister, mode: &CanisterInstallMode) -> Result<(), RejectResponse> {
    match mode {
        CanisterInstallMode::Install if canister.code.is_some() => Err(RejectResponse::new(
            ErrorCode::CanisterNonEmpty,
            format!(
                "Canister {} cannot be installed because the canister is not empty. Try installing with \
                 mode='reinstall' instead.",
                canister.id
            ),
        )),
        CanisterInstallMode::Upgrade(_) if canister.code.is_none() => {
            Err(RejectResponse::wasm_module_not_found(canister.id))
        }
        _ => Ok(()),
    }
}

fn install(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
    sender_canister_version: Option<u64>,
    target: CanisterId,
    mode: CanisterInstallMode,
    wasm_module: &[u8],
    arg: &[u8],
) -> Result<ManagementOutcome, RejectResponse> {
    if wasm_module.is_empty() {
        return Err(RejectResponse::invalid_wasm(target, "the module is empty"));
    }
    check_install_mode(canister(subnet, &target)?, &mode)?;
    let deployment_mode = match mode {
        CanisterInstallMode::Install => CodeDeploymentMode::Install,
        CanisterInstallMode::Reinstall => CodeDeploymentMode::Reinstall,
        CanisterInstallMode::Upgrade(_) => CodeDeploymentMode::Upgrade,
    };
    subnet.install_code(target, mode, wasm_module, arg, call.caller)?;
    // The canister history records each successful deployment with the hash of the module sent.
    let now = subnet.time_nanos;
    let canister = canister_mut(subnet, &target)?;
    let module_hash = canister.code.as_ref().map(|c| c.module_hash.to_vec()).unwrap_or_default();
    let details = ChangeDetails::CodeDeployment(CodeDeploymentRecord { mode: deployment_mode, module_hash });
    canister.record_change(now, change_origin(call, sender_canister_version), details);
    reply(())
}

pub(super) fn install_code(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: InstallCodeArgs = decode_arg(call.arg)?;
    controlled(subnet, &args.canister_id, &call.caller)?;
    let version = args.sender_canister_version;
    install(subnet, call, version, args.canister_id, args.mode, &args.wasm_module, &args.arg)
}

pub(super) fn install_chunked_code(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: InstallChunkedCodeArgs = decode_arg(call.arg)?;
    let target = args.target_canister;
    controlled(subnet, &target, &call.caller)?;
    let store_id = args.store_canister.unwrap_or(target);
    let store = canister(subnet, &store_id)?;
    check_controller_or_self(store, &call.caller)?;
    let wasm_module = assemble_module(&store.chunk_store, &args.chunk_hashes_list, &args.wasm_module_hash)?;
    install(subnet, call, args.sender_canister_version, target, args.mode, &wasm_module, &args.arg)
}

pub(super) fn uninstall_code(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: UninstallCodeArgs = decode_arg(call.arg)?;
    check_controller(canister(subnet, &args.canister_id)?, &call.caller)?;
    // The core empties code, memories and chunk store, rejects open call contexts and bumps the version.
    subnet.uninstall_code(args.canister_id)?;
    let now = subnet.time_nanos;
    let origin = change_origin(call, args.sender_canister_version);
    canister_mut(subnet, &args.canister_id)?.record_change(now, origin, ChangeDetails::CodeUninstall);
    reply(())
}
