//! Canister snapshots: take, load, list, delete. A snapshot holds the code, heap, globals, stable memory,
//! certified data, global timer (through the core's `MemorySnapshot`) and the chunk store. At most
//! `MAX_SNAPSHOTS` per canister.
//!
//! Snapshot ids follow the replica's `SnapshotId`: the 8-byte big-endian per-canister counter, then the canister
//! id bytes, so an id names its canister and a foreign id is recognised as such.

use candid::Principal;
use ic_management_canister_types::{
    CanisterIdRecord, ChangeDetails, DeleteCanisterSnapshotArgs, LoadCanisterSnapshotArgs, LoadSnapshotRecord,
    Snapshot, SnapshotSource, SnapshotVisibility, TakeCanisterSnapshotArgs,
};

use super::history::change_origin;
use super::{canister, canister_mut, controlled, decode_arg, reply};
use crate::errors::{ErrorCode, RejectResponse};
use crate::state::{CanisterId, ManagementCall, ManagementOutcome, StoredSnapshot, Subnet, MAX_SNAPSHOTS};

pub fn encode_snapshot_id(counter: u64, canister_id: &CanisterId) -> Vec<u8> {
    let mut id = counter.to_be_bytes().to_vec();
    id.extend_from_slice(canister_id.as_slice());
    id
}

/// Splits a snapshot id into its counter and canister; `None` if it is too short to be one.
pub fn decode_snapshot_id(id: &[u8]) -> Option<(u64, CanisterId)> {
    if id.len() < 8 || id.len() > 8 + 29 {
        return None;
    }
    let (counter, canister) = id.split_at(8);
    let counter = u64::from_be_bytes(counter.try_into().ok()?);
    Some((counter, Principal::try_from_slice(canister).ok()?))
}

/// Index of the snapshot `id` of canister `canister_id`, with the replica's rejects for a foreign or unknown id.
fn find_snapshot(subnet: &Subnet, canister_id: &CanisterId, id: &[u8]) -> Result<usize, RejectResponse> {
    let owner = decode_snapshot_id(id).map(|(_, owner)| owner);
    if owner.as_ref() != Some(canister_id) {
        return Err(RejectResponse::new(
            ErrorCode::CanisterRejectedMessage,
            format!("The snapshot {} does not belong to canister {canister_id}.", hex::encode(id)),
        ));
    }
    canister(subnet, canister_id)?
        .snapshots
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| RejectResponse::snapshot_not_found(canister_id, hex::encode(id)))
}

fn describe(snapshot: &StoredSnapshot) -> Snapshot {
    Snapshot {
        id: snapshot.id.clone(),
        taken_at_timestamp: snapshot.taken_at_timestamp,
        total_size: snapshot.total_size(),
    }
}

pub(super) fn take_canister_snapshot(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: TakeCanisterSnapshotArgs = decode_arg(call.arg)?;
    let canister_id = args.canister_id;
    let target = controlled(subnet, &canister_id, &call.caller)?;
    if target.code.is_none() {
        return Err(RejectResponse::new(
            ErrorCode::CanisterRejectedMessage,
            format!("Failed to create snapshot for empty canister {canister_id}: it has no Wasm module."),
        ));
    }
    let replaced = match &args.replace_snapshot {
        Some(id) => Some(find_snapshot(subnet, &canister_id, id)?),
        None => {
            if target.snapshots.len() >= MAX_SNAPSHOTS {
                return Err(RejectResponse::new(
                    ErrorCode::CanisterRejectedMessage,
                    format!(
                        "Canister {canister_id} has reached the maximum number of snapshots allowed: {MAX_SNAPSHOTS}."
                    ),
                ));
            }
            None
        }
    };
    let memory = subnet.take_memory_snapshot(canister_id)?;
    let taken_at_timestamp = subnet.time_nanos;
    let subnet_time = subnet.time_nanos;
    let target = canister_mut(subnet, &canister_id)?;
    let id = encode_snapshot_id(target.next_snapshot_counter, &canister_id);
    target.next_snapshot_counter += 1;
    let canister_version = target.version;
    let chunk_store = target.chunk_store.clone();
    let snapshot = StoredSnapshot { id, taken_at_timestamp, canister_version, memory, chunk_store };
    let description = describe(&snapshot);
    if let Some(index) = replaced {
        target.snapshots.remove(index);
    }
    target.snapshots.push(snapshot);
    if args.uninstall_code == Some(true) {
        subnet.uninstall_code(canister_id)?;
        let origin = change_origin(call, args.sender_canister_version);
        canister_mut(subnet, &canister_id)?.record_change(subnet_time, origin, ChangeDetails::CodeUninstall);
    }
    reply((description,))
}

pub(super) fn load_canister_snapshot(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: LoadCanisterSnapshotArgs = decode_arg(call.arg)?;
    let canister_id = args.canister_id;
    controlled(subnet, &canister_id, &call.caller)?;
    let index = find_snapshot(subnet, &canister_id, &args.snapshot_id)?;
    // Lend the snapshot out of the list instead of copying its heap; it goes back whatever the outcome.
    let snapshot = canister_mut(subnet, &canister_id)?.snapshots.remove(index);
    // The core restores code and memories and bumps canister_version.
    let loaded = subnet.load_memory_snapshot(canister_id, &snapshot.memory);
    let now = subnet.time_nanos;
    let target = canister_mut(subnet, &canister_id)?;
    if loaded.is_ok() {
        target.chunk_store = snapshot.chunk_store.clone();
        let details = ChangeDetails::LoadSnapshot(LoadSnapshotRecord {
            from_canister_id: None,
            snapshot_id: snapshot.id.clone(),
            canister_version: snapshot.canister_version,
            taken_at_timestamp: snapshot.taken_at_timestamp,
            source: SnapshotSource::TakenFromCanister(candid::Reserved),
        });
        target.record_change(now, change_origin(call, args.sender_canister_version), details);
    }
    target.snapshots.insert(index, snapshot);
    loaded?;
    reply(())
}

pub(super) fn list_canister_snapshots(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: CanisterIdRecord = decode_arg(call.arg)?;
    let target = canister(subnet, &args.canister_id)?;
    let visible = match &target.settings.snapshot_visibility {
        SnapshotVisibility::Public => true,
        SnapshotVisibility::AllowedViewers(viewers) => viewers.contains(&call.caller),
        SnapshotVisibility::Controllers => false,
    };
    if !visible {
        super::check_controller(target, &call.caller)?;
    }
    let list: Vec<Snapshot> = target.snapshots.iter().map(describe).collect();
    reply((list,))
}

pub(super) fn delete_canister_snapshot(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: DeleteCanisterSnapshotArgs = decode_arg(call.arg)?;
    controlled(subnet, &args.canister_id, &call.caller)?;
    let index = find_snapshot(subnet, &args.canister_id, &args.snapshot_id)?;
    canister_mut(subnet, &args.canister_id)?.snapshots.remove(index);
    reply(())
}
