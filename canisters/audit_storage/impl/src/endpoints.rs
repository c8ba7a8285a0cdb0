//! The candid endpoints: decode, read the caller and the clock, call the logic in `recording`/`reading`.

use crate::STATE;
use audit_storage_api::{AuditAction, EventResponse, EventsResponse, LogEventArgs, LogEventResponse, TimeRange};
use candid::Principal;
use fleet_api::ingress::{IngressRule, SMALL_ARG};
use fleet_api::PageRequest;
use ic_cdk::{query, update};
use service_base::ic_env;

/// Every update method of `audit_storage.did`, for the `inspect_message` hook. Only whitelisted writers and admins
/// call them, all identified (never anonymous); the largest argument, an event, is under 6 KiB.
pub(crate) const INGRESS: &[IngressRule] = &[
    IngressRule::signed("logEvent", SMALL_ARG),
    IngressRule::signed("setupWhitelist", SMALL_ARG),
    IngressRule::signed("removeFromWhitelist", SMALL_ARG),
    IngressRule::signed("addAdmin", SMALL_ARG),
    IngressRule::signed("removeAdmin", SMALL_ARG),
];

#[update(name = "logEvent")]
fn log_event(args: LogEventArgs) -> LogEventResponse {
    let caller = ic_env::caller();
    STATE.with_borrow_mut(|state| state.log_event(&caller, args, ic_env::now()))
}

#[query(name = "getEvent")]
fn get_event(id: u64) -> EventResponse {
    STATE.with_borrow(|state| state.event(&ic_env::caller(), id))
}

#[query(name = "getEvents")]
fn get_events(page: PageRequest) -> EventsResponse {
    STATE.with_borrow(|state| state.events(&ic_env::caller(), page))
}

#[query(name = "getEventsByUser")]
fn get_events_by_user(user: Principal, page: PageRequest) -> EventsResponse {
    STATE.with_borrow(|state| state.events_by_user(&ic_env::caller(), user, page))
}

#[query(name = "getEventsByContract")]
fn get_events_by_contract(contract: Principal, page: PageRequest) -> EventsResponse {
    STATE.with_borrow(|state| state.events_by_contract(&ic_env::caller(), contract, page))
}

#[query(name = "getEventsByAction")]
fn get_events_by_action(action: AuditAction, page: PageRequest) -> EventsResponse {
    STATE.with_borrow(|state| state.events_by_action(&ic_env::caller(), action, page))
}

#[query(name = "getEventsByTimeRange")]
fn get_events_by_time_range(range: TimeRange, page: PageRequest) -> EventsResponse {
    STATE.with_borrow(|state| state.events_in_time_range(&ic_env::caller(), range, page))
}

#[query(name = "getEventCount")]
fn get_event_count() -> u64 {
    STATE.with_borrow(|state| state.event_count())
}

service_base::storage_service_endpoints!(STATE, INGRESS);
