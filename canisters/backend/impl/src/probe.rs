//! Health and setup reports of the whole fleet: the backend asks every microservice in parallel and turns a service
//! that does not answer, or answers something it cannot decode, into an entry that says so (never an error of the
//! whole report: a report that fails when one service is down would hide which one).

use backend_api::Microservices;
use candid::{Nat, Principal};
use fleet_api::{FleetError, FleetResult, ServiceHealth, SetupStatus};
use std::future::Future;

/// The microservices to probe, or why there are none.
pub fn configured(services: Option<Microservices>) -> FleetResult<Microservices> {
    services
        .ok_or_else(|| FleetError::ServiceNotConfigured("microservices: an admin must call setupMicroservices".into()))
}

/// One service's `getHealth` answer (or why there is none) as its entry in the report. The name and canister id are
/// the backend's, not what the service claims.
pub fn health_entry(
    name: &str,
    canister_id: Principal,
    answer: Result<ServiceHealth, String>,
    now: u64,
) -> ServiceHealth {
    match answer {
        Ok(health) => ServiceHealth { service: name.into(), canister_id, ..health },
        Err(reason) => ServiceHealth {
            service: name.into(),
            canister_id,
            healthy: false,
            cycles: Nat::from(0u32),
            memory_bytes: 0,
            version: String::new(),
            message: format!("getHealth failed: {reason}"),
            checked_at: now,
        },
    }
}

/// One service's `getSetupStatus` answer as its entry, with the backend's own whitelisting checked: a service that
/// does not list the backend will refuse its records or deployments.
pub fn setup_entry(
    name: &str,
    canister_id: Principal,
    backend: Principal,
    answer: Result<SetupStatus, String>,
) -> SetupStatus {
    match answer {
        Ok(mut status) => {
            status.service = name.into();
            status.canister_id = canister_id;
            if !status.whitelisted.contains(&backend) {
                status.missing.push(format!("whitelist: the backend {backend} is not whitelisted on {name}"));
            }
            status.ready = status.missing.is_empty();
            status
        }
        Err(reason) => SetupStatus {
            service: name.into(),
            canister_id,
            whitelisted: vec![],
            missing: vec![format!("getSetupStatus failed: {reason}")],
            ready: false,
        },
    }
}

/// Asks every service with `ask` at once and waits for all answers, in `setupMicroservices`' order.
pub async fn ask_all<T, F, Fut>(services: &Microservices, ask: F) -> Vec<(&'static str, Principal, Result<T, String>)>
where
    F: Fn(Principal) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let named = services.named();
    let answers = futures_util::future::join_all(named.iter().map(|(_, id)| ask(*id))).await;
    named.into_iter().zip(answers).map(|((name, id), answer)| (name, id, answer)).collect()
}

pub async fn health<F, Fut>(services: &Microservices, ask: F, now: u64) -> Vec<ServiceHealth>
where
    F: Fn(Principal) -> Fut,
    Fut: Future<Output = Result<ServiceHealth, String>>,
{
    let answers = ask_all(services, ask).await;
    answers.into_iter().map(|(name, id, answer)| health_entry(name, id, answer, now)).collect()
}

pub async fn setup<F, Fut>(services: &Microservices, backend: Principal, ask: F) -> Vec<SetupStatus>
where
    F: Fn(Principal) -> Fut,
    Fut: Future<Output = Result<SetupStatus, String>>,
{
    let answers = ask_all(services, ask).await;
    answers.into_iter().map(|(name, id, answer)| setup_entry(name, id, backend, answer)).collect()
}
