//! Unit tests of the management canister's own logic, on a bare `Subnet` (no wasm executed): argument decoding,
//! access checks, settings, chunk store, snapshot ids, cycles accounting and run-state transitions.

use candid::{CandidType, Encode, Nat, Principal};
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInstallMode, CanisterSettings, CanisterStatusResult, CanisterStatusType, ChunkHash,
    CreateCanisterArgs, EnvironmentVariable, InstallChunkedCodeArgs, LoadCanisterSnapshotArgs,
    ProvisionalCreateCanisterWithCyclesArgs, Snapshot, TakeCanisterSnapshotArgs, UpdateSettingsArgs, UploadChunkArgs,
};

use super::chunks::{assemble_module, insert_chunk, ChunkStore, ChunkStoreError};
use super::code::check_install_mode;
use super::settings::SettingsUpdate;
use super::*;
use crate::errors::RejectCode;
use crate::state::{RunStatus, Settings, SubnetConfig, CANISTER_CREATION_FEE, MAX_CHUNKS, MAX_CHUNK_SIZE};

fn user(n: u8) -> Principal {
    Principal::from_slice(&[n, 0xAA, 0x02])
}

fn subnet() -> Subnet {
    Subnet::new(1_700_000_000_000_000_000, 7, SubnetConfig::default())
}

fn call<'a>(caller: Principal, method: &'a str, arg: &'a [u8], cycles: u128, is_ingress: bool) -> ManagementCall<'a> {
    ManagementCall { caller, is_ingress, method, arg, cycles }
}

/// Calls as a canister (no ingress filter) and expects a reply.
fn ok(subnet: &mut Subnet, caller: Principal, method: &str, arg: Vec<u8>, cycles: u128) -> (Vec<u8>, u128) {
    match handle_management_call(subnet, call(caller, method, &arg, cycles, false)) {
        ManagementOutcome::Reply { data, cycles_accepted } => (data, cycles_accepted),
        other => panic!("{method}: expected a reply, got {other:?}"),
    }
}

fn rejected(subnet: &mut Subnet, caller: Principal, method: &str, arg: Vec<u8>, is_ingress: bool) -> RejectResponse {
    match handle_management_call(subnet, call(caller, method, &arg, 0, is_ingress)) {
        ManagementOutcome::Reject(r) => r,
        other => panic!("{method}: expected a reject, got {other:?}"),
    }
}

fn enc<T: CandidType>(value: T) -> Vec<u8> {
    Encode!(&value).expect("encode")
}

/// A canister controlled by `controller`, created through the provisional method.
fn new_canister(subnet: &mut Subnet, controller: Principal) -> CanisterId {
    let args = ProvisionalCreateCanisterWithCyclesArgs::default();
    let (data, _) = ok(subnet, controller, "provisional_create_canister_with_cycles", enc(args), 0);
    candid::decode_one::<CanisterIdRecord>(&data).expect("record").canister_id
}

// ----- decoding -----

#[test]
fn malformed_payloads_are_invalid_management_payload_rejects() {
    let mut s = subnet();
    let methods = [
        "provisional_create_canister_with_cycles",
        "update_settings",
        "install_code",
        "install_chunked_code",
        "uninstall_code",
        "upload_chunk",
        "stored_chunks",
        "clear_chunk_store",
        "canister_status",
        "start_canister",
        "stop_canister",
        "delete_canister",
        "deposit_cycles",
        "take_canister_snapshot",
        "load_canister_snapshot",
        "list_canister_snapshots",
        "delete_canister_snapshot",
        "canister_info",
        "create_canister",
    ];
    for method in methods {
        let r = rejected(&mut s, user(1), method, vec![1, 2, 3], false);
        assert_eq!(r.error_code, ErrorCode::InvalidManagementPayload, "{method}");
        assert_eq!(r.reject_code, RejectCode::CanisterReject, "{method}");
        assert!(r.reject_message.starts_with("Error decoding candid:"), "{method}: {}", r.reject_message);
        // A well-formed payload of the wrong type is refused too.
        let r = rejected(&mut s, user(1), method, enc("not a record"), false);
        assert_eq!(r.error_code, ErrorCode::InvalidManagementPayload, "{method}");
    }
}

#[test]
fn records_from_older_type_versions_decode() {
    // ic-management-canister-types 0.5 (ic-cdk 0.19) has no `uninstall_code`/`sender_canister_version` here.
    #[derive(CandidType)]
    struct OldTakeArgs {
        canister_id: Principal,
        replace_snapshot: Option<Vec<u8>>,
    }
    let id = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    let args: TakeCanisterSnapshotArgs =
        decode_arg(&enc(OldTakeArgs { canister_id: id, replace_snapshot: None })).expect("decodes");
    assert_eq!(args.canister_id, id);
    assert_eq!(args.uninstall_code, None);
    // And a newer record with a field we do not know is accepted.
    #[derive(CandidType)]
    struct NewerRecord {
        canister_id: Principal,
        some_future_field: Option<u64>,
    }
    let args: CanisterIdRecord = decode_arg(&enc(NewerRecord { canister_id: id, some_future_field: Some(1) })).unwrap();
    assert_eq!(args.canister_id, id);
}

#[test]
fn unknown_and_unemulated_methods_say_so() {
    let mut s = subnet();
    let r = rejected(&mut s, user(1), "no_such_method", enc(()), false);
    assert_eq!(r.error_code, ErrorCode::CanisterMethodNotFound);
    assert_eq!(r.reject_message, "Management canister has no method 'no_such_method'");
    let r = rejected(&mut s, user(1), "sign_with_ecdsa", enc(()), false);
    assert_eq!(r.error_code, ErrorCode::CanisterRejectedMessage);
    assert!(r.reject_message.contains("does not implement"), "{}", r.reject_message);
}

// ----- ingress filter and controller checks -----

#[test]
fn canister_only_methods_are_refused_as_ingress() {
    let mut s = subnet();
    let r = rejected(&mut s, user(1), "create_canister", enc(CreateCanisterArgs::default()), true);
    assert_eq!(r.error_code, ErrorCode::CanisterContractViolation);
    assert_eq!(r.reject_message, "create_canister cannot be called by a user.");
    for method in ["raw_rand", "deposit_cycles", "canister_info"] {
        let r = rejected(&mut s, user(1), method, enc(()), true);
        assert_eq!(r.error_code, ErrorCode::CanisterRejectedMessage, "{method}");
        assert_eq!(r.reject_message, format!("Only canisters can call ic00 method {method}"));
    }
}

#[test]
fn ingress_from_a_non_controller_is_refused_before_execution() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    let r = rejected(&mut s, user(2), "canister_status", enc(CanisterIdRecord { canister_id: id }), true);
    assert_eq!(r.error_code, ErrorCode::CanisterInvalidController);
    assert_eq!(r.reject_message, format!("Only controllers of canister {id} can call ic00 method canister_status"));
    let missing = crate::state::canister_id_from_index(999);
    let r = rejected(&mut s, user(1), "stop_canister", enc(CanisterIdRecord { canister_id: missing }), true);
    assert_eq!(r.error_code, ErrorCode::CanisterNotFound);
}

#[test]
fn every_controller_only_method_checks_the_caller() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    let stranger = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 77, 1, 1]);
    let record = || enc(CanisterIdRecord { canister_id: id });
    let calls: Vec<(&str, Vec<u8>)> = vec![
        (
            "update_settings",
            enc(UpdateSettingsArgs { canister_id: id, settings: Default::default(), sender_canister_version: None }),
        ),
        ("start_canister", record()),
        ("stop_canister", record()),
        ("delete_canister", record()),
        ("uninstall_code", record()),
        ("canister_status", record()),
        ("upload_chunk", enc(UploadChunkArgs { canister_id: id, chunk: vec![1] })),
        ("stored_chunks", record()),
        ("clear_chunk_store", record()),
        ("list_canister_snapshots", record()),
        (
            "take_canister_snapshot",
            enc(TakeCanisterSnapshotArgs {
                canister_id: id,
                replace_snapshot: None,
                uninstall_code: None,
                sender_canister_version: None,
            }),
        ),
    ];
    for (method, arg) in calls {
        let r = rejected(&mut s, stranger, method, arg, false);
        assert_eq!(r.error_code, ErrorCode::CanisterInvalidController, "{method}");
        assert!(r.reject_message.starts_with(&format!("Only the controllers of the canister {id} can control it.")));
        assert!(r.reject_message.contains(&format!("Sender's ID: {stranger}")), "{method}");
    }
    // The canister itself may use its chunk store and read its status.
    ok(&mut s, id, "upload_chunk", enc(UploadChunkArgs { canister_id: id, chunk: vec![1] }), 0);
    ok(&mut s, id, "canister_status", record(), 0);
}

// ----- settings -----

#[test]
fn new_canister_settings_have_the_ic_defaults() {
    let settings = SettingsUpdate::default().into_new_settings(user(1));
    assert_eq!(settings, Settings::with_controllers(vec![user(1)]));
    assert_eq!(settings.freezing_threshold, 2_592_000);
    assert_eq!(settings.reserved_cycles_limit, 5_000_000_000_000);
    assert_eq!(settings.compute_allocation, 0);
    let given = CanisterSettings { controllers: Some(vec![user(2), user(3), user(2)]), ..Default::default() };
    let settings = SettingsUpdate::validate(&given).unwrap().into_new_settings(user(1));
    assert_eq!(settings.controllers, vec![user(2), user(3)], "given controllers replace the caller, deduplicated");
}

#[test]
fn settings_outside_their_ranges_are_rejected() {
    let eleven: Vec<Principal> = (0..11).map(user).collect();
    let cases = [
        (
            CanisterSettings { controllers: Some(eleven), ..Default::default() },
            "'controllers' length exceeds maximum size allowed of 10",
        ),
        (
            CanisterSettings { compute_allocation: Some(101u64.into()), ..Default::default() },
            "ComputeAllocation expected to be in the range [0..100], got 101",
        ),
        (
            CanisterSettings { freezing_threshold: Some(Nat::from(u128::MAX)), ..Default::default() },
            "Freezing threshold expected",
        ),
        (
            CanisterSettings { wasm_memory_limit: Some(Nat::from((1u64 << 48) + 1)), ..Default::default() },
            "Wasm memory limit expected",
        ),
    ];
    for (settings, expected) in cases {
        let r = SettingsUpdate::validate(&settings).unwrap_err();
        assert_eq!(r.error_code, ErrorCode::CanisterContractViolation);
        assert!(r.reject_message.contains(expected), "{} lacks {expected}", r.reject_message);
    }
    let var = |name: &str| EnvironmentVariable { name: name.into(), value: "v".into() };
    let dup = CanisterSettings { environment_variables: Some(vec![var("A"), var("A")]), ..Default::default() };
    assert_eq!(SettingsUpdate::validate(&dup).unwrap_err().error_code, ErrorCode::InvalidManagementPayload);
    let many = CanisterSettings {
        environment_variables: Some((0..21).map(|i| var(&i.to_string())).collect()),
        ..Default::default()
    };
    assert_eq!(SettingsUpdate::validate(&many).unwrap_err().error_code, ErrorCode::InvalidManagementPayload);
}

#[test]
fn update_settings_changes_only_given_fields_and_bumps_the_version() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    let before = s.canister(&id).unwrap().settings.clone();
    let settings = CanisterSettings { freezing_threshold: Some(100u64.into()), ..Default::default() };
    ok(
        &mut s,
        user(1),
        "update_settings",
        enc(UpdateSettingsArgs { canister_id: id, settings, sender_canister_version: None }),
        0,
    );
    let after = &s.canister(&id).unwrap().settings;
    assert_eq!(after.freezing_threshold, 100);
    assert_eq!(Settings { freezing_threshold: 100, ..before }, *after);
    assert_eq!(s.canister(&id).unwrap().version, 1);
    // Handing control away locks the old controller out.
    let settings = CanisterSettings { controllers: Some(vec![user(2)]), ..Default::default() };
    ok(
        &mut s,
        user(1),
        "update_settings",
        enc(UpdateSettingsArgs { canister_id: id, settings, sender_canister_version: None }),
        0,
    );
    let r = rejected(&mut s, user(1), "canister_status", enc(CanisterIdRecord { canister_id: id }), false);
    assert_eq!(r.error_code, ErrorCode::CanisterInvalidController);
}

// ----- creation and cycles -----

#[test]
fn create_canister_charges_the_fee_and_keeps_all_attached_cycles() {
    let mut s = subnet();
    let parent = new_canister(&mut s, user(1));
    let r = match handle_management_call(
        &mut s,
        call(parent, "create_canister", &enc(CreateCanisterArgs::default()), CANISTER_CREATION_FEE - 1, false),
    ) {
        ManagementOutcome::Reject(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(r.error_code, ErrorCode::InsufficientCyclesForCreateCanister);
    assert!(r.reject_message.contains(&format!("requires a fee of {CANISTER_CREATION_FEE}")));
    let attached = CANISTER_CREATION_FEE + 1_000_000;
    let (data, accepted) = ok(&mut s, parent, "create_canister", enc(CreateCanisterArgs::default()), attached);
    assert_eq!(accepted, attached);
    let child = candid::decode_one::<CanisterIdRecord>(&data).unwrap().canister_id;
    let child = s.canister(&child).unwrap();
    assert_eq!(child.cycles, 1_000_000);
    assert_eq!(child.settings.controllers, vec![parent], "default controllers are [caller]");
    assert_eq!(child.version, 0);
    // An empty argument list is accepted as "no settings".
    ok(&mut s, parent, "create_canister", b"DIDL\x00\x00".to_vec(), attached);
}

#[test]
fn provisional_creation_defaults_to_100_t_and_refuses_a_used_id() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    assert_eq!(s.canister(&id).unwrap().cycles, 100_000_000_000_000);
    let args = ProvisionalCreateCanisterWithCyclesArgs {
        specified_id: Some(id),
        amount: Some(5u64.into()),
        ..Default::default()
    };
    let r = rejected(&mut s, user(1), "provisional_create_canister_with_cycles", enc(args), false);
    assert_eq!(r.error_code, ErrorCode::CanisterIdAlreadyExists);
    assert_eq!(r.reject_code, RejectCode::SysTransient);
    let wanted = crate::state::canister_id_from_index(500);
    let args = ProvisionalCreateCanisterWithCyclesArgs {
        specified_id: Some(wanted),
        amount: Some(5u64.into()),
        ..Default::default()
    };
    ok(&mut s, user(1), "provisional_create_canister_with_cycles", enc(args), 0);
    assert_eq!(s.canister(&wanted).unwrap().cycles, 5);
    let args = ProvisionalCreateCanisterWithCyclesArgs { specified_id: Some(user(3)), ..Default::default() };
    let r = rejected(&mut s, user(1), "provisional_create_canister_with_cycles", enc(args), false);
    assert_eq!(r.error_code, ErrorCode::InvalidManagementPayload, "a user principal is not a canister id");
}

#[test]
fn deposit_cycles_accepts_everything_attached() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    let donor = new_canister(&mut s, user(9));
    let (_, accepted) = ok(&mut s, donor, "deposit_cycles", enc(CanisterIdRecord { canister_id: id }), 42);
    assert_eq!(accepted, 42);
    assert_eq!(s.canister(&id).unwrap().cycles, 100_000_000_000_042);
}

#[test]
fn raw_rand_is_32_bytes_and_deterministic_per_seed() {
    let draw = |s: &mut Subnet| {
        let (data, _) = ok(s, user(1), "raw_rand", enc(()), 0);
        candid::decode_one::<Vec<u8>>(&data).unwrap()
    };
    let (mut a, mut b) = (subnet(), subnet());
    let first = draw(&mut a);
    assert_eq!(first.len(), 32);
    assert_eq!(first, draw(&mut b));
    assert_ne!(first, draw(&mut a), "successive draws differ");
}

// ----- run state -----

#[test]
fn stop_makes_a_running_canister_stopping_and_waits() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    let arg = enc(CanisterIdRecord { canister_id: id });
    match handle_management_call(&mut s, call(user(1), "stop_canister", &arg, 0, false)) {
        ManagementOutcome::StopPending { canister_id } => assert_eq!(canister_id, id),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.canister(&id).unwrap().status, RunStatus::Stopping);
    assert_eq!(s.canister(&id).unwrap().version, 1);
    // Deleting is refused until it is Stopped.
    let r = rejected(&mut s, user(1), "delete_canister", arg.clone(), false);
    assert_eq!(r.error_code, ErrorCode::CanisterNotStopped);
    s.canister_mut(&id).unwrap().status = RunStatus::Stopped;
    ok(&mut s, user(1), "stop_canister", arg.clone(), 0);
    ok(&mut s, user(1), "start_canister", arg.clone(), 0);
    assert_eq!(s.canister(&id).unwrap().status, RunStatus::Running);
}

#[test]
fn a_canister_cannot_delete_itself() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    let r = rejected(&mut s, id, "delete_canister", enc(CanisterIdRecord { canister_id: id }), false);
    assert_eq!(r.reject_message, format!("Canister {id} cannot delete itself."));
}

#[test]
fn canister_status_reports_the_record() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    let (data, _) = ok(&mut s, user(1), "canister_status", enc(CanisterIdRecord { canister_id: id }), 0);
    let status: CanisterStatusResult = candid::decode_one(&data).unwrap();
    assert_eq!(status.status, CanisterStatusType::Running);
    assert_eq!(status.module_hash, None);
    assert_eq!(status.cycles, Nat::from(100_000_000_000_000u128));
    assert_eq!(status.settings.controllers, vec![user(1)]);
    assert_eq!(status.settings.freezing_threshold, Nat::from(2_592_000u64));
}

// ----- chunk store -----

#[test]
fn chunk_store_limits() {
    let mut store = ChunkStore::new();
    assert_eq!(
        insert_chunk(&mut store, vec![0; MAX_CHUNK_SIZE + 1]),
        Err(ChunkStoreError::ChunkTooLarge { size: MAX_CHUNK_SIZE + 1 })
    );
    insert_chunk(&mut store, vec![0; MAX_CHUNK_SIZE]).expect("exactly 1 MiB fits");
    for i in 1..MAX_CHUNKS {
        insert_chunk(&mut store, (i as u32).to_le_bytes().to_vec()).unwrap();
    }
    assert_eq!(insert_chunk(&mut store, b"one too many".to_vec()), Err(ChunkStoreError::StoreFull));
    // Uploading a chunk that is already there needs no new slot.
    assert!(insert_chunk(&mut store, 1u32.to_le_bytes().to_vec()).is_ok());
    let reject: RejectResponse = ChunkStoreError::StoreFull.into();
    assert_eq!(reject.error_code, ErrorCode::CanisterContractViolation);
    assert!(reject.reject_message.starts_with("Error from Wasm chunk store:"));
}

#[test]
fn modules_are_assembled_in_list_order_and_hash_checked() {
    let mut store = ChunkStore::new();
    let a = insert_chunk(&mut store, b"\0asm".to_vec()).unwrap();
    let b = insert_chunk(&mut store, vec![1, 0, 0, 0]).unwrap();
    let list = vec![ChunkHash { hash: a.to_vec() }, ChunkHash { hash: b.to_vec() }];
    let module = b"\0asm\x01\0\0\0".to_vec();
    assert_eq!(assemble_module(&store, &list, &chunk_hash(&module)).unwrap(), module);
    let wrong = chunk_hash(b"something else");
    assert!(matches!(assemble_module(&store, &list, &wrong), Err(ChunkStoreError::ModuleHashMismatch { .. })));
    let missing = vec![ChunkHash { hash: chunk_hash(b"absent").to_vec() }];
    assert!(matches!(assemble_module(&store, &missing, &wrong), Err(ChunkStoreError::MissingChunk { .. })));
    let short = vec![ChunkHash { hash: vec![1, 2, 3] }];
    assert_eq!(assemble_module(&store, &short, &wrong), Err(ChunkStoreError::InvalidHashLength { length: 3 }));
}

#[test]
fn install_chunked_code_with_a_wrong_hash_is_rejected_before_installing() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    let (data, _) =
        ok(&mut s, user(1), "upload_chunk", enc(UploadChunkArgs { canister_id: id, chunk: b"\0asm".to_vec() }), 0);
    let hash = candid::decode_one::<ChunkHash>(&data).unwrap();
    assert_eq!(hash.hash, chunk_hash(b"\0asm").to_vec());
    let args = InstallChunkedCodeArgs {
        mode: CanisterInstallMode::Install,
        target_canister: id,
        store_canister: None,
        chunk_hashes_list: vec![hash],
        wasm_module_hash: vec![0; 32],
        arg: vec![],
        sender_canister_version: None,
    };
    let r = rejected(&mut s, user(1), "install_chunked_code", enc(args), false);
    assert_eq!(r.error_code, ErrorCode::CanisterContractViolation);
    assert!(r.reject_message.contains("does not match given hash"), "{}", r.reject_message);
    assert!(s.canister(&id).unwrap().code.is_none());
    let (data, _) = ok(&mut s, user(1), "stored_chunks", enc(CanisterIdRecord { canister_id: id }), 0);
    assert_eq!(candid::decode_one::<Vec<ChunkHash>>(&data).unwrap().len(), 1);
    ok(&mut s, user(1), "clear_chunk_store", enc(CanisterIdRecord { canister_id: id }), 0);
    assert!(s.canister(&id).unwrap().chunk_store.is_empty());
}

#[test]
fn upgrading_an_empty_canister_is_refused() {
    let canister = crate::state::Canister::new(crate::state::canister_id_from_index(0), vec![user(1)], 0);
    let r = check_install_mode(&canister, &CanisterInstallMode::Upgrade(None)).unwrap_err();
    assert_eq!(r.error_code, ErrorCode::CanisterWasmModuleNotFound);
    assert!(check_install_mode(&canister, &CanisterInstallMode::Install).is_ok());
    assert!(check_install_mode(&canister, &CanisterInstallMode::Reinstall).is_ok());
}

// ----- snapshots -----

#[test]
fn snapshot_ids_are_counter_then_canister_id() {
    let canister = crate::state::canister_id_from_index(3);
    let id = encode_snapshot_id(258, &canister);
    assert_eq!(&id[..8], &[0, 0, 0, 0, 0, 0, 1, 2]);
    assert_eq!(&id[8..], canister.as_slice());
    assert_eq!(decode_snapshot_id(&id), Some((258, canister)));
    assert_eq!(decode_snapshot_id(&[1, 2, 3]), None);
}

#[test]
fn snapshot_requests_for_unknown_or_foreign_ids_are_rejected() {
    let mut s = subnet();
    let id = new_canister(&mut s, user(1));
    let other = new_canister(&mut s, user(1));
    let (data, _) = ok(&mut s, user(1), "list_canister_snapshots", enc(CanisterIdRecord { canister_id: id }), 0);
    assert!(candid::decode_one::<Vec<Snapshot>>(&data).unwrap().is_empty());
    let take = TakeCanisterSnapshotArgs {
        canister_id: id,
        replace_snapshot: None,
        uninstall_code: None,
        sender_canister_version: None,
    };
    let r = rejected(&mut s, user(1), "take_canister_snapshot", enc(take), false);
    assert!(r.reject_message.contains("empty canister"), "{}", r.reject_message);
    let load =
        |snapshot_id| enc(LoadCanisterSnapshotArgs { canister_id: id, snapshot_id, sender_canister_version: None });
    let r = rejected(&mut s, user(1), "load_canister_snapshot", load(encode_snapshot_id(0, &id)), false);
    assert_eq!(r.error_code, ErrorCode::CanisterSnapshotNotFound);
    assert_eq!(r.reject_code, RejectCode::DestinationInvalid);
    let r = rejected(&mut s, user(1), "load_canister_snapshot", load(encode_snapshot_id(0, &other)), false);
    assert_eq!(r.error_code, ErrorCode::CanisterRejectedMessage);
    assert!(r.reject_message.contains("does not belong to canister"));
    let r = rejected(&mut s, user(1), "load_canister_snapshot", load(vec![9]), false);
    assert_eq!(r.error_code, ErrorCode::CanisterRejectedMessage);
}
