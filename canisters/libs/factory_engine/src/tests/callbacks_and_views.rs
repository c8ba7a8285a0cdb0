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
    f.notify_participant_added(id, id, bob(), 51).unwrap();
    f.notify_status_changed(id, id, "Paused".into(), 52).unwrap();
    let details = f.contract(&nobody(), id).unwrap();
    assert_eq!(details.info.status, ContractStatus::Active);
    assert_eq!(
        (details.participants, details.reported_status.as_deref(), details.confirmed_at),
        (1, Some("Paused"), Some(50))
    );
    assert_eq!(f.contracts_of(&nobody(), bob(), PageRequest::default()).items[0].id, id);

    assert!(!f.notify_visibility_changed(id, id, false, 53).unwrap(), "one participant: done in one batch");
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
        assert!(matches!(f.notify_participant_added(caller, claimed, stranger, 1), Err(FleetError::Unauthorized(_))));
        let batch = f.notify_participants_added(caller, claimed, vec![stranger], 1);
        assert!(matches!(batch, Err(FleetError::Unauthorized(_))));
        assert!(matches!(f.notify_status_changed(caller, claimed, "x".into(), 1), Err(FleetError::Unauthorized(_))));
        assert!(matches!(f.notify_visibility_changed(caller, claimed, false, 1), Err(FleetError::Unauthorized(_))));
    }
    assert_eq!(f.contract(&controller(), id).unwrap(), before);
    assert_eq!(f.contracts_of(&controller(), stranger, PageRequest::default()).total, 0);
    assert_eq!(f.stats().callbacks_rejected, 20);
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

const MINUTE: u64 = 60_000_000_000;

#[test]
fn callbacks_beyond_the_rate_limit_are_refused_counted_and_not_applied() {
    let (env, id) = env_with_contract();
    let mut f = env.factory.borrow_mut();
    let t0 = 1_000 * MINUTE;
    for i in 0..crate::callbacks::CALLBACK_BURST {
        f.notify_status_changed(id, id, format!("s{i}"), t0).unwrap();
    }
    let refused = f.notify_status_changed(id, id, "spam".into(), t0);
    assert!(matches!(&refused, Err(FleetError::InvalidState(m)) if m.contains("rate limit")), "{refused:?}");
    let refused = f.notify_participant_added(id, id, bob(), t0);
    assert!(matches!(refused, Err(FleetError::InvalidState(_))));
    let refused = f.notify_visibility_changed(id, id, false, t0 + MINUTE / 2);
    assert!(matches!(refused, Err(FleetError::InvalidState(_))));
    let details = f.contract(&controller(), id).unwrap();
    assert_eq!(
        (details.reported_status.as_deref(), details.participants, details.info.is_public),
        (Some("s59"), 0, true)
    );
    assert_eq!(f.stats().callbacks_rate_limited, Some(3));
    // One call a minute comes back, and no more.
    f.notify_participant_added(id, id, bob(), t0 + MINUTE).unwrap();
    assert!(f.notify_participant_added(id, id, p(3), t0 + MINUTE).is_err());
    assert_eq!(f.contract(&controller(), id).unwrap().participants, 1);
    // The deployment notice is never rate-limited; another contract has its own bucket.
    f.notify_deployment_complete(id, id, t0 + MINUTE).unwrap();
    drop(f);
    let other = env.deploy(backend(), bob(), args("BBB"), DeployOptions::default()).unwrap();
    env.factory.borrow_mut().notify_status_changed(other, other, "ok".into(), t0).unwrap();
}

#[test]
fn batched_participants_are_bounded_and_all_or_nothing() {
    let (env, id) = env_with_contract();
    let mut f = env.factory.borrow_mut();
    let users = |from: u32, n: u32| -> Vec<Principal> {
        (from..from + n).map(|i| Principal::from_slice(&[&i.to_be_bytes()[..], &[5u8; 8]].concat())).collect()
    };
    let max = crate::callbacks::MAX_PARTICIPANTS_PER_CALL as u32;
    let too_big = f.notify_participants_added(id, id, users(0, max + 1), 1);
    assert!(matches!(&too_big, Err(FleetError::InvalidInput(m)) if m.contains("500")), "{too_big:?}");
    let mut with_anonymous = users(0, 3);
    with_anonymous.push(Principal::anonymous());
    assert!(matches!(f.notify_participants_added(id, id, with_anonymous, 1), Err(FleetError::InvalidInput(_))));
    assert_eq!(f.contract(&controller(), id).unwrap().participants, 0);
    f.notify_participants_added(id, id, users(0, max), 1).unwrap();
    assert_eq!(f.contract(&controller(), id).unwrap().participants, u64::from(max));
    let listed = f.contracts_of(&nobody(), users(7, 1)[0], PageRequest::default());
    assert_eq!(listed.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(f.stats().participant_links, u64::from(max));
}

#[test]
fn health_and_registry_summary_come_from_counters() {
    let env = Env::new().with_version("1.0.0", 100);
    env.publish("1.1.0", 100).unwrap();
    let f = env.factory.borrow();
    let summary = f.registry.summary();
    assert_eq!((summary.published, summary.default_version.as_deref()), (2, Some("1.1.0")));
    let health = f.health(vitals(u128::MAX));
    assert!(health.message.contains("2 published"), "{}", health.message);
}
