//! The candid endpoints: decode, read the caller and the clock, call the logic in `recording`/`reading`.

use crate::STATE;
use candid::Principal;
use fleet_api::ingress::{IngressRule, SMALL_ARG};
use fleet_api::PageRequest;
use ic_cdk::{query, update};
use invoice_storage_api::{
    HistoryResponse, InvoiceResponse, InvoiceStatus, InvoiceTransition, InvoicesResponse, RecordPaymentArgs,
    StatusCount,
};
use service_base::ic_env;

/// Every update method of `invoice_storage.did`, for the `inspect_message` hook. Only whitelisted writers and
/// admins call them, all identified (never anonymous); the largest argument, a transition, is under 2 KiB.
pub(crate) const INGRESS: &[IngressRule] = &[
    IngressRule::signed("recordPayment", SMALL_ARG),
    IngressRule::signed("updateInvoiceStatus", SMALL_ARG),
    IngressRule::signed("setupWhitelist", SMALL_ARG),
    IngressRule::signed("removeFromWhitelist", SMALL_ARG),
    IngressRule::signed("addAdmin", SMALL_ARG),
    IngressRule::signed("removeAdmin", SMALL_ARG),
];

#[update(name = "recordPayment")]
fn record_payment(args: RecordPaymentArgs) -> InvoiceResponse {
    let caller = ic_env::caller();
    STATE.with_borrow_mut(|state| state.record_payment(&caller, args, ic_env::now()))
}

#[update(name = "updateInvoiceStatus")]
fn update_invoice_status(id: u64, transition: InvoiceTransition) -> InvoiceResponse {
    let caller = ic_env::caller();
    STATE.with_borrow_mut(|state| state.update_status(&caller, id, transition, ic_env::now()))
}

#[query(name = "getInvoice")]
fn get_invoice(id: u64) -> InvoiceResponse {
    STATE.with_borrow(|state| state.invoice(&ic_env::caller(), id))
}

#[query(name = "getInvoicesByUser")]
fn get_invoices_by_user(user: Principal, page: PageRequest) -> InvoicesResponse {
    STATE.with_borrow(|state| state.invoices_by_user(&ic_env::caller(), user, page))
}

#[query(name = "getInvoicesByStatus")]
fn get_invoices_by_status(status: InvoiceStatus, page: PageRequest) -> InvoicesResponse {
    STATE.with_borrow(|state| state.invoices_by_status(&ic_env::caller(), status, page))
}

#[query(name = "getInvoiceHistory")]
fn get_invoice_history(id: u64, page: PageRequest) -> HistoryResponse {
    STATE.with_borrow(|state| state.history(&ic_env::caller(), id, page))
}

#[query(name = "getInvoiceCount")]
fn get_invoice_count() -> u64 {
    STATE.with_borrow(|state| state.invoice_count())
}

#[query(name = "getStatusCounts")]
fn get_status_counts() -> Vec<StatusCount> {
    STATE.with_borrow(|state| state.status_counts())
}

service_base::storage_service_endpoints!(STATE, INGRESS);
