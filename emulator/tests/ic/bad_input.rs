//! Point 6: bad input never panics the emulator; each gets the reject the IC would give, with a
//! message that says what is wrong.

use crate::support::*;
use emulator::management_types::InstallCodeArgs;
use emulator::{
    CanisterInstallMode, ErrorCode, PocketIc, Principal, RawEffectivePrincipal, RawMessageId, RejectCode,
    RejectResponse,
};

fn install_code(pic: &PocketIc, id: Principal, wasm: Vec<u8>) -> Result<(), RejectResponse> {
    let args = InstallCodeArgs {
        mode: CanisterInstallMode::Install,
        canister_id: id,
        wasm_module: wasm,
        arg: no_lifecycle_arg(),
        sender_canister_version: None,
    };
    emulator::update_candid_as(pic, Principal::management_canister(), controller(), "install_code", (args,))
}

#[test]
fn an_invalid_wasm_module_is_rejected_with_invalid_wasm() {
    let pic = new_pic();
    let probe = Probe::create_empty(&pic);
    for (what, bytes) in [
        ("garbage", b"definitely not wasm".to_vec()),
        ("truncated module", plain_wasm(&probe_wasm())[..1000].to_vec()),
        ("wasm header with a bad version", b"\0asm\x02\0\0\0".to_vec()),
        ("corrupt gzip", vec![0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5]),
        ("empty", Vec::new()),
    ] {
        let err = install_code(&pic, probe.id, bytes).expect_err(what);
        assert_eq!(err.reject_code, RejectCode::CanisterError, "{what}: {err:?}");
        assert!(
            matches!(err.error_code, ErrorCode::CanisterInvalidWasm | ErrorCode::CanisterContractViolation),
            "{what}: {err:?}"
        );
        assert!(!err.reject_message.is_empty());
        assert_eq!(probe.module_hash(), None, "{what}: nothing installed");
    }
    install_code(&pic, probe.id, probe_wasm()).expect("a good module still installs");
}

#[test]
fn a_module_without_the_imports_it_needs_satisfied_is_refused() {
    // A module importing an ic0 function that does not exist.
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    // type section: 1 type () -> ()
    module.extend_from_slice(&[0x01, 0x04, 0x01, 0x60, 0x00, 0x00]);
    // import section: ("ic0", "no_such_call") func type 0
    let mut import = vec![0x01, 0x03];
    import.extend_from_slice(b"ic0");
    import.push(12);
    import.extend_from_slice(b"no_such_call");
    import.extend_from_slice(&[0x00, 0x00]);
    module.push(0x02);
    module.push(import.len() as u8);
    module.extend_from_slice(&import);
    let pic = new_pic();
    let probe = Probe::create_empty(&pic);
    let err = install_code(&pic, probe.id, module).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError, "{err:?}");
    assert!(err.reject_message.contains("no_such_call"), "the message names the import: {err:?}");
}

#[test]
fn calls_to_an_unknown_canister_are_destination_invalid() {
    let pic = new_pic();
    let nowhere = unused_canister_id();
    for result in [
        pic.update_call(nowhere, user(1), "increment", encode(())),
        pic.query_call(nowhere, user(1), "counters", encode(())),
    ] {
        let err = result.unwrap_err();
        assert_eq!(err.reject_code, RejectCode::DestinationInvalid, "{err:?}");
        assert_eq!(err.error_code, ErrorCode::CanisterNotFound, "{err:?}");
        assert!(err.reject_message.contains(&nowhere.to_text()), "{err:?}");
    }
    let err = pic.canister_status(nowhere, Some(controller())).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::DestinationInvalid, "{err:?}");
    assert!(!pic.canister_exists(nowhere));
}

#[test]
fn a_missing_method_is_method_not_found() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    for result in [
        pic.update_call(probe.id, user(1), "no_such_method", encode(())),
        pic.query_call(probe.id, user(1), "no_such_method", encode(())),
    ] {
        let err = result.unwrap_err();
        assert_eq!(err.reject_code, RejectCode::CanisterError, "{err:?}");
        assert_eq!(err.error_code, ErrorCode::CanisterMethodNotFound, "{err:?}");
        assert!(err.reject_message.contains("no_such_method"), "{err:?}");
    }
    // An update method is not callable as a query.
    let err = pic.query_call(probe.id, user(1), "increment", encode(())).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterMethodNotFound, "{err:?}");
}

#[test]
fn an_empty_canister_answers_wasm_module_not_found() {
    let pic = new_pic();
    let probe = Probe::create_empty(&pic);
    let err = pic.update_call(probe.id, user(1), "increment", encode(())).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterWasmModuleNotFound, "{err:?}");
    let err = pic.upgrade_canister(probe.id, probe_wasm(), no_lifecycle_arg(), Some(controller())).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError, "upgrading nothing: {err:?}");
}

#[test]
fn a_bad_candid_argument_traps_in_the_canister_with_a_message() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let err = pic.update_call(probe.id, user(1), "echo", b"not candid".to_vec()).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap, "{err:?}");
    assert_eq!(probe.increment().stable, 1, "and the canister is fine afterwards");
}

#[test]
fn a_malformed_management_call_says_what_is_wrong() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let management = Principal::management_canister();
    let err = pic
        .update_call_with_effective_principal(
            management,
            RawEffectivePrincipal::CanisterId(probe.id.as_slice().to_vec()),
            controller(),
            "install_code",
            b"garbage".to_vec(),
        )
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterReject, "{err:?}");
    assert!(!err.reject_message.is_empty());

    let err = pic
        .update_call_with_effective_principal(
            management,
            RawEffectivePrincipal::CanisterId(probe.id.as_slice().to_vec()),
            controller(),
            "no_such_management_method",
            encode(()),
        )
        .unwrap_err();
    assert!(err.reject_message.contains("no_such_management_method"), "{err:?}");

    // From a canister, the same garbage comes back as a reject, not a trap of the caller.
    let reject = probe.call(CallRequest::new(management, "canister_status", b"garbage".to_vec())).unwrap().unwrap_err();
    assert_eq!(reject.code, 4, "{reject:?}");
    assert!(probe.module_hash().is_some());
}

#[test]
fn an_unknown_message_id_is_an_error_not_a_panic() {
    let pic = new_pic();
    let probe = Probe::install(&pic);
    let bogus = RawMessageId {
        effective_principal: RawEffectivePrincipal::CanisterId(probe.id.as_slice().to_vec()),
        message_id: vec![0xff; 32],
    };
    assert!(pic.ingress_status(bogus.clone()).is_none());
    assert!(pic.await_call(bogus).is_err());
}

#[test]
fn installing_on_an_unknown_canister_is_refused() {
    let pic = new_pic();
    let nowhere = unused_canister_id();
    let err = install_code(&pic, nowhere, probe_wasm()).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::DestinationInvalid, "{err:?}");
}
