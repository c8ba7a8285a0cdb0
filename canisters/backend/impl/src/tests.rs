//! Native tests of the backend's admin endpoints' logic, and of its candid interface against the .did file.

use crate::state::{BackendState, SCHEMA_VERSION};
use backend_api::Microservices;
use candid::Principal;
use fleet_api::FleetError;
use ic_stable_structures::VectorMemory;
use service_base::ic_env::RuntimeFacts;
use service_base::Caller;

fn p(n: u8) -> Principal {
    Principal::from_slice(&[n; 10])
}

fn controller() -> Caller {
    Caller::controller(p(1))
}

fn stranger() -> Caller {
    Caller::user(p(99))
}

fn backend() -> BackendState<VectorMemory> {
    let mut state = BackendState::init(VectorMemory::default());
    state.install(p(3), &[p(2)], p(1), p(9), 0).unwrap();
    state
}

fn services() -> Microservices {
    Microservices {
        audit_storage: p(20),
        invoice_storage: p(21),
        token_factory: p(22),
        distribution_factory: p(23),
        multisig_factory: p(24),
        dao_factory: p(25),
        launchpad_factory: p(26),
    }
}

#[test]
fn install_seeds_defaults_admins_and_ledger_and_refuses_a_bad_ledger() {
    let state = backend();
    assert_eq!(state.schema_version(), SCHEMA_VERSION);
    assert_eq!(state.access().admins(), vec![p(2)]);
    assert_eq!(state.settings().payment_ledger, Some(p(3)));
    assert_eq!(state.config().get("dao_factory.fee").as_deref(), Some("500000000"));
    let mut fresh = BackendState::init(VectorMemory::default());
    assert!(matches!(fresh.install(Principal::anonymous(), &[], p(1), p(9), 0), Err(FleetError::InvalidInput(_))));
}

#[test]
fn every_admin_endpoint_refuses_non_admins_and_changes_nothing() {
    let mut state = backend();
    let before = state.config().all();
    assert!(matches!(
        state.set_config_value(&stranger(), "token_factory.fee", "1", 1),
        Err(FleetError::Unauthorized(_))
    ));
    assert!(matches!(state.set_maintenance_mode(&stranger(), true, 1), Err(FleetError::Unauthorized(_))));
    assert!(matches!(state.setup_microservices(&stranger(), services(), p(9)), Err(FleetError::Unauthorized(_))));
    assert!(matches!(state.add_admin(&stranger(), p(98), 1), Err(FleetError::Unauthorized(_))));
    assert!(matches!(state.remove_admin(&stranger(), p(2)), Err(FleetError::Unauthorized(_))));
    assert_eq!(state.config().all(), before);
    assert!(!state.settings().maintenance_mode);
    assert_eq!(state.settings().microservices, None);
    assert_eq!(state.access().admins(), vec![p(2)]);
    assert_eq!(state.outbox_len(), 0, "refusals were audited as changes");
}

#[test]
fn admins_and_controllers_configure_and_each_change_is_audited() {
    let mut state = backend();
    let admin = Caller::user(p(2));
    state.setup_microservices(&admin, services(), p(9)).unwrap();
    state.set_config_value(&admin, "token_factory.fee", "5", 1).unwrap();
    state.set_maintenance_mode(&controller(), true, 1).unwrap();
    state.add_admin(&admin, p(4), 1).unwrap();
    state.remove_admin(&controller(), p(4)).unwrap();
    assert_eq!(state.config().service_fee("token_factory"), Some(candid::Nat::from(5u8)));
    assert!(state.settings().maintenance_mode);
    assert_eq!(state.settings().microservices, Some(services()));
    assert_eq!(state.outbox_len(), 5);
}

#[test]
fn bad_admin_input_is_refused() {
    let mut state = backend();
    assert!(matches!(state.set_config_value(&controller(), "foo.fee", "1", 1), Err(FleetError::InvalidInput(_))));
    assert!(matches!(
        state.set_config_value(&controller(), "token_factory.fee", "1e8", 1),
        Err(FleetError::InvalidInput(_))
    ));
    let mut same_twice = services();
    same_twice.dao_factory = same_twice.token_factory;
    assert!(matches!(state.setup_microservices(&controller(), same_twice, p(9)), Err(FleetError::InvalidInput(_))));
    let mut anonymous = services();
    anonymous.audit_storage = Principal::anonymous();
    assert!(matches!(state.setup_microservices(&controller(), anonymous, p(9)), Err(FleetError::InvalidInput(_))));
    let mut itself = services();
    itself.invoice_storage = p(9);
    assert!(matches!(state.setup_microservices(&controller(), itself, p(9)), Err(FleetError::InvalidInput(_))));
    assert!(matches!(state.add_admin(&controller(), Principal::anonymous(), 1), Err(FleetError::InvalidInput(_))));
    assert!(matches!(state.remove_admin(&controller(), p(77)), Err(FleetError::NotFound(_))));
    assert_eq!(state.settings().microservices, None);
}

#[test]
fn setup_status_and_health() {
    let mut state = backend();
    let facts = RuntimeFacts { canister_id: p(9), cycles: candid::Nat::from(1u8), memory_bytes: 0, now: 0 };
    assert!(!state.setup_status(p(9)).ready);
    state.setup_microservices(&controller(), services(), p(9)).unwrap();
    assert!(state.setup_status(p(9)).ready);
    let health = state.health(&facts);
    assert!(health.healthy, "{}", health.message);
    assert_eq!(health.service, "backend");
}

#[test]
fn state_survives_reopening_the_same_memory() {
    let memory = VectorMemory::default();
    {
        let mut state = BackendState::init(memory.clone());
        state.install(p(3), &[p(2)], p(1), p(9), 0).unwrap();
        state.set_config_value(&controller(), "token_factory.fee", "7", 1).unwrap();
    }
    let mut state = BackendState::init(memory);
    assert!(state.migrate(50, p(9)).unwrap().applied.is_empty());
    assert_eq!(state.config().get("token_factory.fee").as_deref(), Some("7"));
    assert_eq!(state.settings().last_upgrade, 50);
    assert_eq!(state.access().admins(), vec![p(2)]);
}

#[test]
fn candid_interface_matches_the_did_file() {
    did_check::assert_did_matches_code("backend.did", &crate::__export_service(), backend_api::DID);
}

#[test]
fn the_ingress_table_lists_exactly_the_update_methods_of_the_did() {
    use fleet_api::ingress::{check_ingress, IngressRefusal};
    did_check::assert_ingress_covers_updates(crate::endpoints::INGRESS, backend_api::DID);
    let anonymous = check_ingress(crate::endpoints::INGRESS, "createToken", Principal::anonymous(), 10);
    assert_eq!(anonymous, Err(IngressRefusal::Anonymous("createToken".into())));
    let blob = check_ingress(crate::endpoints::INGRESS, "createDao", p(5), 2 * 1024 * 1024);
    assert!(matches!(blob, Err(IngressRefusal::ArgumentTooLarge { .. })), "{blob:?}");
}

mod probe_reports {
    use super::*;
    use crate::probe;
    use fleet_api::{ServiceHealth, SetupStatus};
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("a probe did not complete"),
        }
    }

    fn healthy(id: Principal) -> ServiceHealth {
        ServiceHealth {
            service: "whatever it says".into(),
            canister_id: p(77),
            healthy: true,
            cycles: candid::Nat::from(5u8),
            memory_bytes: 1,
            version: "1.0.0".into(),
            message: format!("{id} fine"),
            checked_at: 3,
        }
    }

    #[test]
    fn every_service_gets_an_entry_and_silent_ones_are_unhealthy() {
        let services = services();
        let report = block_on(probe::health(
            &services,
            |id| async move {
                if id == services.dao_factory {
                    Err("no wasm module".to_string())
                } else {
                    Ok(healthy(id))
                }
            },
            9,
        ));
        let names: Vec<_> = report.iter().map(|h| h.service.as_str()).collect();
        assert_eq!(names, services.named().map(|(name, _)| name).to_vec());
        for (entry, (_, id)) in report.iter().zip(services.named()) {
            assert_eq!(entry.canister_id, id, "the entry names the configured canister, not what it claims");
            assert_eq!(entry.healthy, id != services.dao_factory);
        }
        let dao = &report[5];
        assert!(dao.message.contains("no wasm module"), "{}", dao.message);
        assert_eq!(dao.checked_at, 9);
    }

    #[test]
    fn setup_status_adds_a_missing_whitelisting_of_the_backend() {
        let services = services();
        let backend = p(9);
        let report = block_on(probe::setup(&services, backend, |id| async move {
            if id == services.launchpad_factory {
                return Err("undecodable reply".to_string());
            }
            let whitelisted = if id == services.audit_storage { vec![] } else { vec![backend] };
            Ok(SetupStatus { service: String::new(), canister_id: id, whitelisted, missing: vec![], ready: true })
        }));
        assert_eq!(report.len(), 7);
        assert!(!report[0].ready);
        assert!(report[0].missing.iter().any(|m| m.starts_with("whitelist")), "{:?}", report[0].missing);
        assert!(report[1..6].iter().all(|s| s.ready && s.missing.is_empty()));
        assert!(!report[6].ready && report[6].missing[0].contains("undecodable"));
    }

    #[test]
    fn without_microservices_the_reports_are_not_configured() {
        assert!(matches!(probe::configured(None), Err(FleetError::ServiceNotConfigured(_))));
        assert_eq!(probe::configured(Some(services())), Ok(services()));
    }
}
