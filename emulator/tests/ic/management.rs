//! Point 4: the management canister, from tests and from canisters; controller checks on every method.

use crate::support::*;
use emulator::management_types::{CanisterIdRecord, CanisterStatusResult, CanisterStatusType};
use emulator::{CanisterInstallMode, CanisterSettings, ErrorCode, PocketIc, Principal, RejectCode, RejectResponse};

fn assert_invalid_controller(result: Result<impl std::fmt::Debug, RejectResponse>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.reject_code, RejectCode::CanisterError, "{what}: {err:?}");
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidController, "{what}: {err:?}");
}

#[test]
fn a_canister_creates_a_canister_paying_the_fee_and_the_cycles_it_attaches() {
    let pic = new_pic();
    let parent = Probe::install(&pic);
    let before = pic.cycle_balance(parent.id);
    let cycles: u128 = 2_000_000_000_000;
    let (child,): (Result<Principal, CallReject>,) = parent.update("create_child", (cycles,)).unwrap();
    let child = child.unwrap();
    assert!(pic.canister_exists(child));
    assert_eq!(pic.get_controllers(child), vec![parent.id], "default controllers are [caller]");
    assert_eq!(pic.cycle_balance(child), cycles, "the child holds what was attached beyond the fee");
    let spent = before - pic.cycle_balance(parent.id);
    assert!(spent > cycles, "the parent paid the cycles and the creation fee: spent {spent}");
    let status: CanisterStatusResult = {
        let record = CanisterIdRecord { canister_id: child };
        let reply =
            parent.call(CallRequest::new(Principal::management_canister(), "canister_status", encode((record,))));
        decode::<(CanisterStatusResult,)>(&reply.unwrap().unwrap().bytes).0
    };
    assert_eq!(status.module_hash, None);
    assert_eq!(status.status, CanisterStatusType::Running);
}

#[test]
fn canister_only_methods_are_refused_as_ingress() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    for method in ["create_canister", "raw_rand", "deposit_cycles"] {
        let payload = match method {
            "create_canister" => encode((emulator::management_types::CreateCanisterArgs::default(),)),
            "raw_rand" => encode(()),
            _ => encode((CanisterIdRecord { canister_id: probe.id },)),
        };
        let err = pic.update_call(Principal::management_canister(), controller(), method, payload).unwrap_err();
        assert!(err.reject_message.contains(method), "{method}: the message names the method: {err:?}");
    }
}

#[test]
fn a_non_controller_is_rejected_by_every_controller_method() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let stranger = Some(user(66));
    let id = probe.id;
    assert_invalid_controller(pic.upgrade_canister(id, probe_wasm(), no_lifecycle_arg(), stranger), "upgrade");
    assert_invalid_controller(pic.reinstall_canister(id, probe_wasm(), no_lifecycle_arg(), stranger), "reinstall");
    assert_invalid_controller(pic.uninstall_canister(id, stranger), "uninstall");
    assert_invalid_controller(pic.stop_canister(id, stranger), "stop");
    assert_invalid_controller(pic.start_canister(id, stranger), "start");
    assert_invalid_controller(pic.delete_canister(id, stranger), "delete");
    assert_invalid_controller(pic.canister_status(id, stranger), "canister_status");
    assert_invalid_controller(pic.set_controllers(id, stranger, vec![user(66)]), "set_controllers");
    assert_invalid_controller(pic.upload_chunk(id, stranger, vec![1, 2, 3]), "upload_chunk");
    assert_invalid_controller(pic.stored_chunks(id, stranger), "stored_chunks");
    assert_invalid_controller(pic.clear_chunk_store(id, stranger), "clear_chunk_store");
    assert_invalid_controller(pic.take_canister_snapshot(id, stranger, None), "take snapshot");
    assert_invalid_controller(pic.list_canister_snapshots(id, stranger), "list snapshots");
    assert_eq!(probe.counters().stable, 0);
    assert!(probe.module_hash().is_some(), "nothing happened to the canister");

    // The same check applies to a canister calling the management canister.
    let other = Probe::install(&pic);
    let record = CanisterIdRecord { canister_id: probe.id };
    let reject = other
        .call(CallRequest::new(Principal::management_canister(), "stop_canister", encode((record,))))
        .unwrap()
        .unwrap_err();
    assert_eq!(reject.code, 5, "{reject:?}");
    assert_eq!(pic.canister_status(probe.id, Some(controller())).unwrap().status, CanisterStatusType::Running);
}

#[test]
fn controllers_are_set_and_limited_to_ten() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let ten: Vec<Principal> = (1..=10).map(user).collect();
    pic.set_controllers(probe.id, Some(controller()), ten.clone()).unwrap();
    let mut got = pic.get_controllers(probe.id);
    got.sort();
    let mut want = ten.clone();
    want.sort();
    assert_eq!(got, want);

    let eleven: Vec<Principal> = (1..=11).map(user).collect();
    let err = pic.set_controllers(probe.id, Some(user(1)), eleven).unwrap_err();
    assert!(err.reject_message.contains("10"), "the message gives the limit: {err:?}");
    assert_eq!(pic.get_controllers(probe.id).len(), 10);
    // The old controller lost control.
    assert_invalid_controller(pic.stop_canister(probe.id, Some(controller())), "former controller");
}

#[test]
fn update_settings_changes_only_the_fields_given_and_bumps_the_version() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let before = pic.canister_status(probe.id, Some(controller())).unwrap();
    let settings = CanisterSettings { freezing_threshold: Some(1_234_567u64.into()), ..Default::default() };
    pic.update_canister_settings(probe.id, Some(controller()), settings).unwrap();
    let after = pic.canister_status(probe.id, Some(controller())).unwrap();
    assert_eq!(after.settings.freezing_threshold, candid::Nat::from(1_234_567u64));
    assert_eq!(after.settings.controllers, before.settings.controllers, "absent fields stay unchanged");
    assert!(after.version > before.version, "canister_version +1 on update_settings");
}

#[test]
fn stop_start_and_delete_follow_the_canister_lifecycle() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let err = pic.delete_canister(probe.id, Some(controller())).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterNotStopped, "delete needs a stopped canister: {err:?}");

    pic.stop_canister(probe.id, Some(controller())).unwrap();
    assert_eq!(pic.canister_status(probe.id, Some(controller())).unwrap().status, CanisterStatusType::Stopped);
    let err = pic.update_call(probe.id, user(1), "increment", encode(())).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterStopped, "{err:?}");
    pic.start_canister(probe.id, Some(controller())).unwrap();
    assert_eq!(probe.increment().stable, 1);

    pic.stop_canister(probe.id, Some(controller())).unwrap();
    pic.delete_canister(probe.id, Some(controller())).unwrap();
    assert!(!pic.canister_exists(probe.id));
    let err = pic.update_call(probe.id, user(1), "increment", encode(())).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::DestinationInvalid);
    assert_eq!(err.error_code, ErrorCode::CanisterNotFound, "{err:?}");
    let next = pic.create_canister();
    assert_ne!(next, probe.id, "a deleted id is never reused");
}

#[test]
fn chunk_store_uploads_lists_and_clears_chunks() {
    let pic = new_pic();
    let probe = Probe::create_empty(&pic);
    let hash = pic.upload_chunk(probe.id, Some(controller()), b"first chunk".to_vec()).unwrap();
    assert_eq!(hash, sha256(b"first chunk"));
    pic.upload_chunk(probe.id, Some(controller()), b"second chunk".to_vec()).unwrap();
    let mut stored = pic.stored_chunks(probe.id, Some(controller())).unwrap();
    stored.sort();
    let mut expected = vec![sha256(b"first chunk"), sha256(b"second chunk")];
    expected.sort();
    assert_eq!(stored, expected);

    let too_big = vec![0u8; 1024 * 1024 + 1];
    assert!(pic.upload_chunk(probe.id, Some(controller()), too_big).is_err(), "chunks are at most 1 MiB");

    pic.clear_chunk_store(probe.id, Some(controller())).unwrap();
    assert!(pic.stored_chunks(probe.id, Some(controller())).unwrap().is_empty());
}

#[test]
fn a_chunk_store_holds_at_most_100_chunks() {
    let pic = new_pic();
    let probe = Probe::create_empty(&pic);
    for i in 0..100u32 {
        pic.upload_chunk(probe.id, Some(controller()), i.to_be_bytes().to_vec()).unwrap();
    }
    let err = pic.upload_chunk(probe.id, Some(controller()), b"one too many".to_vec()).unwrap_err();
    assert!(!err.reject_message.is_empty(), "{err:?}");
    // Uploading a chunk that is already stored costs no room.
    pic.upload_chunk(probe.id, Some(controller()), 7u32.to_be_bytes().to_vec()).unwrap();
    assert_eq!(pic.stored_chunks(probe.id, Some(controller())).unwrap().len(), 100);
}

/// Uploads `wasm` in three chunks to `store`; returns the chunk hashes.
fn upload_in_chunks(pic: &PocketIc, store: Principal, wasm: &[u8]) -> Vec<Vec<u8>> {
    let size = wasm.len().div_ceil(3);
    wasm.chunks(size).map(|chunk| pic.upload_chunk(store, Some(controller()), chunk.to_vec()).unwrap()).collect()
}

#[test]
fn chunked_install_installs_the_module_assembled_from_a_store_canister() {
    let pic = new_pic();
    let store = Probe::create_empty(&pic);
    let target = Probe::create_empty(&pic);
    let wasm = probe_wasm();
    let hashes = upload_in_chunks(&pic, store.id, &wasm);
    pic.install_chunked_canister(
        target.id,
        Some(controller()),
        CanisterInstallMode::Install,
        store.id,
        hashes,
        sha256(&wasm),
        no_lifecycle_arg(),
    )
    .unwrap();
    assert_eq!(target.module_hash(), Some(sha256(&wasm)));
    assert_eq!(target.increment().stable, 1);
}

#[test]
fn chunked_install_with_a_wrong_module_hash_is_rejected() {
    let pic = new_pic();
    let target = Probe::create_empty(&pic);
    let wasm = probe_wasm();
    let hashes = upload_in_chunks(&pic, target.id, &wasm);
    let err = pic
        .install_chunked_canister(
            target.id,
            Some(controller()),
            CanisterInstallMode::Install,
            target.id,
            hashes.clone(),
            sha256(b"not the module"),
            no_lifecycle_arg(),
        )
        .unwrap_err();
    assert!(err.reject_message.to_lowercase().contains("hash"), "the message says the hash is wrong: {err:?}");
    assert_eq!(target.module_hash(), None, "nothing was installed");

    // A chunk that was never uploaded is refused too.
    let mut missing = hashes;
    missing.push(sha256(b"never uploaded"));
    let err = pic
        .install_chunked_canister(
            target.id,
            Some(controller()),
            CanisterInstallMode::Install,
            target.id,
            missing,
            sha256(&wasm),
            no_lifecycle_arg(),
        )
        .unwrap_err();
    assert!(err.reject_message.to_lowercase().contains("chunk"), "{err:?}");
    assert_eq!(target.module_hash(), None);
}

#[test]
fn a_gzipped_module_installs_and_its_hash_is_of_the_bytes_sent() {
    let pic = new_pic();
    let probe = Probe::create_empty(&pic);
    let gz = gzip(&plain_wasm(&probe_wasm()));
    pic.install_canister(probe.id, gz.clone(), no_lifecycle_arg(), Some(controller()));
    assert_eq!(probe.module_hash(), Some(sha256(&gz)));
    assert_eq!(probe.increment().stable, 1);
}

#[test]
fn loading_a_snapshot_restores_heap_and_stable_memory() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    probe.increment();
    probe.increment();
    let snapshot = pic.take_canister_snapshot(probe.id, Some(controller()), None).unwrap();
    for _ in 0..3 {
        probe.increment();
    }
    assert_eq!(probe.counters().stable, 5);

    pic.load_canister_snapshot(probe.id, Some(controller()), snapshot.id.clone()).unwrap();
    let counters = probe.counters();
    assert_eq!((counters.heap, counters.stable), (2, 2), "both memories are back to the snapshot");

    let listed = pic.list_canister_snapshots(probe.id, Some(controller())).unwrap();
    assert_eq!(listed.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), vec![snapshot.id.clone()]);
    pic.delete_canister_snapshot(probe.id, Some(controller()), snapshot.id.clone()).unwrap();
    assert!(pic.list_canister_snapshots(probe.id, Some(controller())).unwrap().is_empty());
    let err = pic.load_canister_snapshot(probe.id, Some(controller()), snapshot.id).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::DestinationInvalid);
    assert_eq!(err.error_code, ErrorCode::CanisterSnapshotNotFound, "{err:?}");
}

#[test]
fn a_snapshot_restores_the_module_after_an_upgrade() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let old_hash = probe.module_hash();
    let snapshot = pic.take_canister_snapshot(probe.id, Some(controller()), None).unwrap();
    pic.upgrade_canister(probe.id, probe_wasm_variant("v2"), no_lifecycle_arg(), Some(controller())).unwrap();
    assert_ne!(probe.module_hash(), old_hash);
    pic.load_canister_snapshot(probe.id, Some(controller()), snapshot.id).unwrap();
    assert_eq!(probe.module_hash(), old_hash, "the snapshot carries the wasm module");
}

#[test]
fn at_most_ten_snapshots_per_canister() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    for _ in 0..10 {
        pic.take_canister_snapshot(probe.id, Some(controller()), None).unwrap();
    }
    let err = pic.take_canister_snapshot(probe.id, Some(controller()), None).unwrap_err();
    assert!(err.reject_message.contains("10"), "{err:?}");
    // Replacing an existing one is allowed.
    let first = pic.list_canister_snapshots(probe.id, Some(controller())).unwrap().remove(0);
    pic.take_canister_snapshot(probe.id, Some(controller()), Some(first.id)).unwrap();
    assert_eq!(pic.list_canister_snapshots(probe.id, Some(controller())).unwrap().len(), 10);
}

#[test]
fn raw_rand_and_deposit_cycles_from_a_canister() {
    let pic = new_pic();
    let a = Probe::install(&pic);
    let b = Probe::install(&pic);
    let (bytes,): (Result<Vec<u8>, CallReject>,) = a.update("random", ()).unwrap();
    assert_eq!(bytes.unwrap().len(), 32);

    let before = pic.cycle_balance(b.id);
    let mut request = CallRequest::new(
        Principal::management_canister(),
        "deposit_cycles",
        encode((CanisterIdRecord { canister_id: b.id },)),
    );
    request.cycles = 1_000_000_000_000;
    a.call(request).unwrap().unwrap();
    assert_eq!(pic.cycle_balance(b.id), before + 1_000_000_000_000);
}
