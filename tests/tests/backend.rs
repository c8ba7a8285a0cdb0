//! The backend on a whole fleet: fleet reports (health, setup, system status), refusals that charge nothing, admin
//! checks, and the records a refunded deployment leaves in both storages.

use audit_storage_api::AuditAction;
use backend_api::{ConfigEntry, Microservices};
use candid::{Nat, Principal};
use fleet_api::{FleetError, ServiceHealth, SetupStatus, SystemStatus};
use fleet_tests::fleet::{publish_version, token_version, user, CallError, Fleet, FleetWasm, LEDGER_FEE};
use fleet_tests::ic;
use invoice_storage_api::InvoiceStatus;
use token_api::{Account, TokenArgs};

fn deploy(wasm: &FleetWasm) -> Fleet {
    Fleet::deploy(ic::new_instance(), wasm, &["alice", "bob"], |_| {}).expect("deploy the fleet")
}

fn fleet_error<T: std::fmt::Debug>(result: Result<T, CallError>) -> FleetError {
    match result {
        Err(CallError::Fleet { error, .. }) => error,
        other => panic!("expected a FleetError, got {other:?}"),
    }
}

fn token_args(symbol: &str, owner: Principal, treasury: Option<[u8; 32]>) -> TokenArgs {
    TokenArgs {
        name: format!("{symbol} token"),
        symbol: symbol.into(),
        decimals: 8,
        transfer_fee: Nat::from(10_000u64),
        initial_balances: vec![(Account { owner, subaccount: treasury }, Nat::from(1_000_000u64))],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}

fn service_names() -> Vec<&'static str> {
    vec![
        "audit_storage",
        "invoice_storage",
        "token_factory",
        "distribution_factory",
        "multisig_factory",
        "dao_factory",
        "launchpad_factory",
    ]
}

fn health(fleet: &Fleet) -> Vec<ServiceHealth> {
    fleet.call(fleet.backend, fleet.operator, "getMicroserviceHealth", ()).expect("getMicroserviceHealth")
}

fn setup(fleet: &Fleet) -> Vec<SetupStatus> {
    fleet.call(fleet.backend, fleet.operator, "getMicroserviceSetupStatus", ()).expect("getMicroserviceSetupStatus")
}

#[test]
fn health_lists_every_service_and_reports_missing_factories_as_unhealthy() {
    let wasm = FleetWasm::load();
    let fleet = deploy(&wasm);
    publish_version(&fleet, fleet.token_factory, fleet.release, &token_version(&wasm.token).unwrap(), &wasm.token, "t")
        .expect("publish");
    let report = health(&fleet);
    assert_eq!(report.iter().map(|h| h.service.as_str()).collect::<Vec<_>>(), service_names());
    let (dao, launchpad) = (fleet.dao_factory, fleet.launchpad_factory);
    let (distribution, multisig) = (fleet.distribution_factory, fleet.multisig_factory);
    let ids = [fleet.audit_storage, fleet.invoice_storage, fleet.token_factory, distribution, multisig, dao, launchpad];
    for (entry, id) in report.iter().zip(ids) {
        assert_eq!(entry.canister_id, id);
        // Only the token factory has a version published; the other factories answer, unhealthy until they do.
        let should_be_healthy = ![distribution, multisig, dao, launchpad].contains(&id);
        assert_eq!(entry.healthy, should_be_healthy, "{entry:?}");
        if !should_be_healthy {
            assert!(entry.message.contains("no installable default version"), "{}", entry.message);
        }
    }
}

#[test]
fn setup_status_reports_the_backend_whitelisted_until_a_storage_removes_it() {
    let fleet = deploy(&FleetWasm::load());
    let report = setup(&fleet);
    assert_eq!(report.iter().map(|s| s.service.as_str()).collect::<Vec<_>>(), service_names());
    // The storages and the token, distribution, multisig, DAO and launchpad factories: whitelisted.
    for entry in &report {
        assert!(entry.whitelisted.contains(&fleet.backend), "{entry:?}");
        assert!(!entry.missing.iter().any(|m| m.starts_with("whitelist")), "{entry:?}");
    }
    fleet.admin_call(fleet.audit_storage, "removeFromWhitelist", (fleet.backend,)).expect("removeFromWhitelist");
    let audit = &setup(&fleet)[0];
    assert!(!audit.ready, "{audit:?}");
    assert!(audit.missing.iter().any(|m| m.starts_with("whitelist")), "{audit:?}");
}

#[test]
fn admin_calls_refuse_strangers_and_bad_values_and_change_nothing() {
    let fleet = deploy(&FleetWasm::load());
    let bob = user("bob");
    let config = |fleet: &Fleet| -> Vec<ConfigEntry> {
        fleet.query::<_, (Vec<ConfigEntry>,)>(fleet.backend, bob, "getAllConfigValues", ()).unwrap().0
    };
    let services = |fleet: &Fleet| -> Option<Microservices> {
        fleet.query::<_, (Option<Microservices>,)>(fleet.backend, bob, "getMicroservices", ()).unwrap().0
    };
    let (config_before, services_before) = (config(&fleet), services(&fleet));
    let set = |caller: Principal, key: &str, value: &str| {
        fleet_error(fleet.call::<_, ()>(
            fleet.backend,
            caller,
            "adminSetConfigValue",
            (key.to_string(), value.to_string()),
        ))
    };
    assert!(matches!(set(bob, "token_factory.fee", "1"), FleetError::Unauthorized(_)));
    let (dao, launchpad) = (fleet.dao_factory, fleet.launchpad_factory);
    let stolen = (bob, bob, bob, fleet.distribution_factory, fleet.multisig_factory, dao, launchpad);
    let error = fleet_error(fleet.call::<_, ()>(fleet.backend, bob, "setupMicroservices", stolen));
    assert!(matches!(error, FleetError::Unauthorized(_)), "{error:?}");
    for (key, value) in [("token_factory.fee", "abc"), ("token_factory.enabled", "yes"), ("no_such.key", "1")] {
        let error = set(fleet.operator, key, value);
        assert!(matches!(error, FleetError::InvalidInput(_)), "{key}={value}: {error:?}");
    }
    assert_eq!(config(&fleet), config_before);
    assert_eq!(services(&fleet), services_before);
}

#[test]
fn a_token_the_owner_would_refuse_is_turned_away_before_any_charge() {
    let wasm = FleetWasm::load();
    let fleet = deploy(&wasm);
    publish_version(&fleet, fleet.token_factory, fleet.release, &token_version(&wasm.token).unwrap(), &wasm.token, "t")
        .expect("publish");
    let alice = user("alice");
    let fee = fleet.service_fee("token_factory").unwrap();
    fleet.approve_backend(alice, fee + LEDGER_FEE as u128).unwrap();
    let before = fleet.balance(alice).unwrap();
    // No minting account: alice's default account mints, and cannot hold an initial balance.
    let args = token_args("MNT", alice, None);
    let error = fleet_error(fleet.call::<_, Principal>(fleet.backend, alice, "createToken", (args,)));
    assert!(matches!(error, FleetError::InvalidInput(_)), "{error:?}");
    assert_eq!(fleet.balance(alice).unwrap(), before, "alice was charged for a refused request");
    assert!(fleet.invoices_of(alice).unwrap().is_empty());
}

#[test]
fn a_refunded_deployment_is_recorded_in_both_storages() {
    let wasm = FleetWasm::load();
    let fleet = deploy(&wasm);
    publish_version(&fleet, fleet.token_factory, fleet.release, &token_version(&wasm.token).unwrap(), &wasm.token, "t")
        .expect("publish");
    let bob = user("bob");
    let fee = fleet.service_fee("token_factory").unwrap();
    fleet.approve_backend(bob, fee + LEDGER_FEE as u128).unwrap();
    fleet.admin_call(fleet.token_factory, "removeFromWhitelist", (fleet.backend,)).expect("removeFromWhitelist");
    let refused =
        fleet.call::<_, Principal>(fleet.backend, bob, "createToken", (token_args("BOB", bob, Some([1; 32])),));
    assert!(refused.is_err(), "{refused:?}");
    for _ in 0..10 {
        fleet.ic.advance_time(std::time::Duration::from_secs(61));
        fleet.ic.tick();
    }
    let invoices = fleet.invoices_of(bob).unwrap();
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    assert_eq!(invoices[0].status, InvoiceStatus::Refunded, "{:?}", invoices[0]);
    let actions: Vec<AuditAction> = fleet.audit_events_of(bob).unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&AuditAction::RefundIssued), "{actions:?}");
    assert!(actions.contains(&AuditAction::DeploymentFailed), "{actions:?}");
}

#[test]
fn system_status_shows_maintenance_health_and_the_last_upgrade() {
    let wasm = FleetWasm::load();
    let fleet = deploy(&wasm);
    let status = |fleet: &Fleet| -> SystemStatus {
        fleet.call(fleet.backend, fleet.operator, "getSystemStatus", ()).expect("getSystemStatus")
    };
    let installed = status(&fleet);
    assert!(!installed.is_maintenance_mode);
    assert_eq!(installed.services_health.len(), 7);
    fleet.ic.advance_time(std::time::Duration::from_secs(3600));
    fleet
        .ic
        .upgrade_canister(fleet.backend, wasm.backend.clone(), candid::encode_args(()).unwrap(), Some(fleet.operator))
        .expect("upgrade the backend");
    fleet.admin_call(fleet.backend, "adminSetMaintenanceMode", (true,)).unwrap();
    let upgraded = status(&fleet);
    assert!(upgraded.is_maintenance_mode);
    assert!(
        upgraded.last_upgrade >= installed.last_upgrade + 3_600_000_000_000,
        "last_upgrade {} did not advance past {} + 1h",
        upgraded.last_upgrade,
        installed.last_upgrade
    );
}
