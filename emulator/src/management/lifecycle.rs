//! Canister lifecycle and cycles: create (paid and provisional), top-up, update_settings, start, stop, delete,
//! deposit_cycles, raw_rand.

use ic_management_canister_types::{
    CanisterIdRecord, ChangeDetails, ControllersChangeRecord, CreateCanisterArgs, CreationRecord,
    ProvisionalCreateCanisterWithCyclesArgs, ProvisionalTopUpCanisterArgs, UpdateSettingsArgs,
};
use rand::RngCore;

use super::history::{change_origin, environment_variables_hash};
use super::settings::SettingsUpdate;
use super::{canister, canister_mut, check_controller, controlled, decode_arg, encode_reply, nat_to_u128, reply};
use crate::errors::{ErrorCode, RejectResponse};
use crate::state::{CanisterId, ManagementCall, ManagementOutcome, RunStatus, Subnet, DEFAULT_PROVISIONAL_CYCLES};

/// Creates a canister with a fresh (or the specified) id, records its creation in its history and returns it.
pub(crate) fn create(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
    sender_canister_version: Option<u64>,
    settings: SettingsUpdate,
    cycles: u128,
    specified_id: Option<CanisterId>,
) -> Result<CanisterId, RejectResponse> {
    let id = match specified_id {
        Some(id) => {
            validate_specified_id(&id)?;
            if subnet.used_ids.contains(&id) || subnet.canisters.contains_key(&id) {
                return Err(RejectResponse::new(
                    ErrorCode::CanisterIdAlreadyExists,
                    format!("Unsuccessful canister creation: canister id {id} already exists."),
                ));
            }
            id
        }
        None => subnet.allocate_canister_id(),
    };
    let environment_variables_hash = settings.environment_variables.as_deref().map(environment_variables_hash);
    let settings = settings.into_new_settings(call.caller);
    let creation = CreationRecord { controllers: settings.controllers.clone(), environment_variables_hash };
    let id = subnet.create_canister_entry(Some(id), settings.controllers.clone(), cycles)?;
    let now = subnet.time_nanos;
    let canister = canister_mut(subnet, &id)?;
    canister.settings = settings;
    canister.record_change(now, change_origin(call, sender_canister_version), ChangeDetails::Creation(creation));
    Ok(id)
}

/// A specified id must have the shape of a canister id (an opaque principal), not a user, the anonymous
/// principal or the management canister.
fn validate_specified_id(id: &CanisterId) -> Result<(), RejectResponse> {
    let bytes = id.as_slice();
    if bytes.len() < 2 || bytes.last() != Some(&0x01) {
        return Err(RejectResponse::new(
            ErrorCode::InvalidManagementPayload,
            format!("The `specified_id` {id} is invalid because it is not a canister id."),
        ));
    }
    Ok(())
}

/// Candid encoding of an empty argument list.
const EMPTY_ARGS: &[u8] = b"DIDL\x00\x00";

/// `create_canister` takes a record, but the replica also accepts an empty argument list (all fields absent).
fn decode_create_args(arg: &[u8]) -> Result<CreateCanisterArgs, RejectResponse> {
    if arg == EMPTY_ARGS {
        return Ok(CreateCanisterArgs::default());
    }
    decode_arg::<CreateCanisterArgs>(arg)
}

pub(super) fn create_canister(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args = decode_create_args(call.arg)?;
    let settings = SettingsUpdate::validate_opt(args.settings.as_ref())?;
    let fee = subnet.config.creation_fee;
    if call.cycles < fee {
        return Err(RejectResponse::new(
            ErrorCode::InsufficientCyclesForCreateCanister,
            format!(
                "Creating a canister requires a fee of {fee} that is deducted from the canister's initial balance \
                 but only {} cycles were received with the create_canister request.",
                call.cycles
            ),
        ));
    }
    let id = create(subnet, call, args.sender_canister_version, settings, call.cycles - fee, None)?;
    // All attached cycles are kept: the fee is burnt, the rest is the new canister's balance.
    Ok(ManagementOutcome::Reply {
        data: encode_reply((CanisterIdRecord { canister_id: id },))?,
        cycles_accepted: call.cycles,
    })
}

pub(super) fn provisional_create_canister(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: ProvisionalCreateCanisterWithCyclesArgs = decode_arg(call.arg)?;
    let settings = SettingsUpdate::validate_opt(args.settings.as_ref())?;
    let cycles = match &args.amount {
        Some(amount) => nat_to_u128(amount, "Provisional cycles amount")?,
        None => DEFAULT_PROVISIONAL_CYCLES,
    };
    let id = create(subnet, call, args.sender_canister_version, settings, cycles, args.specified_id)?;
    reply((CanisterIdRecord { canister_id: id },))
}

pub(super) fn provisional_top_up_canister(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: ProvisionalTopUpCanisterArgs = decode_arg(call.arg)?;
    let amount = nat_to_u128(&args.amount, "Provisional cycles amount")?;
    let target = canister_mut(subnet, &args.canister_id)?;
    target.cycles = target.cycles.saturating_add(amount);
    reply(())
}

pub(super) fn update_settings(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: UpdateSettingsArgs = decode_arg(call.arg)?;
    let target = controlled(subnet, &args.canister_id, &call.caller)?;
    let update = SettingsUpdate::validate(&args.settings)?;
    if let Some(allocation) = update.memory_allocation {
        let usage = target.memory_size();
        if allocation > 0 && allocation < usage {
            return Err(RejectResponse::new(
                ErrorCode::InsufficientMemoryAllocation,
                format!(
                    "Canister was given {allocation} bytes of memory allocation but at least {usage} bytes of memory \
                     are needed."
                ),
            ));
        }
    }
    let controllers_change = update.controllers.is_some();
    let now = subnet.time_nanos;
    let target = canister_mut(subnet, &args.canister_id)?;
    update.apply_to(&mut target.settings);
    target.version += 1;
    if controllers_change {
        let controllers = target.settings.controllers.clone();
        let origin = change_origin(call, args.sender_canister_version);
        target.record_change(now, origin, ChangeDetails::ControllersChange(ControllersChangeRecord { controllers }));
    }
    reply(())
}

pub(super) fn start_canister(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: CanisterIdRecord = decode_arg(call.arg)?;
    let id = args.canister_id;
    let previous = controlled(subnet, &id, &call.caller)?.status;
    let target = canister_mut(subnet, &id)?;
    target.status = RunStatus::Running;
    target.version += 1;
    if previous == RunStatus::Stopping {
        // Pending stop_canister calls fail with IC0511 once the canister runs again.
        subnet.reject_stop_waiters(id, RejectResponse::stopping_cancelled(id));
    }
    reply(())
}

pub(super) fn stop_canister(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: CanisterIdRecord = decode_arg(call.arg)?;
    let id = args.canister_id;
    let target = controlled(subnet, &id, &call.caller)?;
    match target.status {
        RunStatus::Stopped => reply(()),
        RunStatus::Stopping => Ok(ManagementOutcome::StopPending { canister_id: id }),
        RunStatus::Running => {
            let target = canister_mut(subnet, &id)?;
            target.status = RunStatus::Stopping;
            target.version += 1;
            Ok(ManagementOutcome::StopPending { canister_id: id })
        }
    }
}

pub(super) fn delete_canister(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: CanisterIdRecord = decode_arg(call.arg)?;
    let id = args.canister_id;
    let target = canister(subnet, &id)?;
    if call.caller == id {
        return Err(RejectResponse::new(
            ErrorCode::CanisterInvalidController,
            format!("Canister {id} cannot delete itself."),
        ));
    }
    check_controller(target, &call.caller)?;
    if target.status != RunStatus::Stopped {
        return Err(RejectResponse::not_stopped(id));
    }
    // The cycles go with it; the id is never handed out again.
    subnet.delete_canister_entry(id)?;
    reply(())
}

pub(super) fn deposit_cycles(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: CanisterIdRecord = decode_arg(call.arg)?;
    let target = canister_mut(subnet, &args.canister_id)?;
    target.cycles = target.cycles.saturating_add(call.cycles);
    Ok(ManagementOutcome::Reply { data: encode_reply(())?, cycles_accepted: call.cycles })
}

/// 32 bytes from the subnet's seeded generator: deterministic across runs with the same inputs.
pub(super) fn raw_rand(subnet: &mut Subnet) -> Result<ManagementOutcome, RejectResponse> {
    let mut bytes = vec![0u8; 32];
    subnet.rng.fill_bytes(&mut bytes);
    reply((serde_bytes::ByteBuf::from(bytes),))
}
