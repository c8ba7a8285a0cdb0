use super::deploy::vitals;
use super::*;
use fleet_api::{ContractStatus, PageRequest};

fn env_with_contract() -> (Env, Principal) {
    let env = Env::new().with_version("1.0.0", 100);
    let id = env.deploy(backend(), alice(), args("AAA"), DeployOptions::default()).unwrap();
    (env, id)
}

#[test]
fn callbacks_from_the_contract_update_record_and_indexes() {
    let (env, id) = env_with_contract();
    let mut f = env.factory.borrow_mut();
    f.notify_deployment_complete(id, id, 50).unwrap();
    f.notify_participant_added(id, id, bob()).unwrap();
    f.notify_status_changed(id, id, "Paused".into()).unwrap();
    let details = f.contract(&nobody(), id).unwrap();
    assert_eq!(details.info.status, ContractStatus::Active);
    assert_eq!(
        (details.participants, details.reported_status.as_deref(), details.confirmed_at),
        (1, Some("Paused"), Some(50))
    );
    assert_eq!(f.contracts_of(&nobody(), bob(), PageRequest::default()).items[0].id, id);

    f.notify_visibility_changed(id, id, false).unwrap();
    assert_eq!(f.contracts_of(&nobody(), alice(), PageRequest::default()).total, 0);
    assert!(matches!(f.contract(&nobody(), id), Err(FleetError::NotFound(_))));
    assert!(f.contract(&Caller::new(bob(), false), id).is_ok(), "participants see private contracts");
    assert_eq!(f.contracts_of(&Caller::new(alice(), false), alice(), PageRequest::default()).total, 1);
    assert_eq!(f.stats().callbacks_accepted, 4);
}

#[test]
fn spoofed_callbacks_are_rejected_and_change_nothing() {
    let (env, id) = env_with_contract();
    let other = env.deploy(backend(), bob(), args("BBB"), DeployOptions::default()).unwrap();
    let mut f = env.factory.borrow_mut();
    let before = f.contract(&controller(), id).unwrap();
    let stranger = p(99);
    // A stranger speaking for a contract, another contract speaking for it, and a stranger speaking for itself.
    for (caller, claimed) in [(stranger, id), (other, id), (stranger, stranger), (alice(), id)] {
        assert!(matches!(f.notify_deployment_complete(caller, claimed, 1), Err(FleetError::Unauthorized(_))));
        assert!(matches!(f.notify_participant_added(caller, claimed, stranger), Err(FleetError::Unauthorized(_))));
        assert!(matches!(f.notify_status_changed(caller, claimed, "x".into()), Err(FleetError::Unauthorized(_))));
        assert!(matches!(f.notify_visibility_changed(caller, claimed, false), Err(FleetError::Unauthorized(_))));
    }
    assert_eq!(f.contract(&controller(), id).unwrap(), before);
    assert_eq!(f.contracts_of(&controller(), stranger, PageRequest::default()).total, 0);
    assert_eq!(f.stats().callbacks_rejected, 16);
    assert_eq!(f.stats().callbacks_accepted, 0);
}

#[test]
fn setup_status_and_health_say_what_is_missing() {
    let env = Env::new();
    let f = env.factory.borrow();
    let status = f.setup_status(p(250));
    assert_eq!(status.whitelisted, vec![backend().principal]);
    assert!(!status.ready);
    assert_eq!(status.missing.len(), 1, "{:?}", status.missing);
    assert_eq!(status.service, "token_factory");
    let health = f.health(vitals(u128::MAX));
    assert!(!health.healthy);
    assert!(health.message.contains("no installable default version"), "{}", health.message);
    drop(f);
    env.publish("1.0.0", 10).unwrap();
    let f = env.factory.borrow();
    assert!(f.setup_status(p(250)).ready);
    let health = f.health(vitals(u128::MAX));
    assert!(health.healthy, "{}", health.message);
    assert!(health.message.contains("default version 1.0.0"));
    assert!(!f.health(vitals(1)).healthy, "low cycles are unhealthy");
}
