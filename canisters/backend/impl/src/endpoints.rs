//! The candid endpoints: decode, read the caller and the clock, call the logic.

use crate::deployment::{reconcile, requests, resolve, withdrawal};
use crate::ic_runtime::{self, IcRuntime};
use crate::probe;
use crate::state;
use backend_api::{
    AdminResponse, ConfigEntry, CreateResponse, Deployment, DeploymentResponse, DeploymentsResponse, Microservices,
    ReconcileSummary, RefusedRecord, ResolveDeploymentArgs, WithdrawFeesArgs, Withdrawal, WithdrawalResponse,
};
use candid::{Nat, Principal};
use fleet_api::ingress::{IngressRule, MEDIUM_ARG, SMALL_ARG};
use fleet_api::{FleetResult, Page, PageRequest, ServiceHealth, SetupStatus, SystemStatus};
use ic_cdk::{query, update};
use service_base::ic_env;

#[update(name = "createToken")]
async fn create_token(args: token_api::TokenArgs) -> CreateResponse {
    requests::create_token(&state(), &IcRuntime, ic_env::caller().principal, &args).await
}

#[update(name = "createMultisig")]
async fn create_multisig(args: multisig_api::MultisigArgs) -> CreateResponse {
    requests::create_multisig(&state(), &IcRuntime, ic_env::caller().principal, &args).await
}

#[update(name = "createDistribution")]
async fn create_distribution(args: distribution_api::DistributionArgs) -> CreateResponse {
    requests::create_distribution(&state(), &IcRuntime, ic_env::caller().principal, &args).await
}

#[update(name = "createDao")]
async fn create_dao(args: dao_api::DaoArgs) -> CreateResponse {
    requests::create_dao(&state(), &IcRuntime, ic_env::caller().principal, &args).await
}

#[update(name = "createLaunchpad")]
async fn create_launchpad(args: launchpad_api::LaunchpadArgs) -> CreateResponse {
    requests::create_launchpad(&state(), &IcRuntime, ic_env::caller().principal, &args).await
}

#[query(name = "getDeployment")]
fn get_deployment(id: u64) -> DeploymentResponse {
    state().borrow().deployment(&ic_env::caller(), id)
}

#[query(name = "getMyDeployments")]
fn get_my_deployments(page: PageRequest) -> Page<Deployment> {
    state().borrow().deployments_of(ic_env::caller().principal, page)
}

#[query(name = "getOpenDeployments")]
fn get_open_deployments(page: PageRequest) -> DeploymentsResponse {
    state().borrow().open_deployments(&ic_env::caller(), page)
}

#[update(name = "adminRunReconciliation")]
async fn admin_run_reconciliation() -> FleetResult<ReconcileSummary> {
    let state = state();
    state.borrow().access().require_admin(&ic_env::caller())?;
    let report = reconcile::reconcile(&state, &IcRuntime).await;
    Ok(ReconcileSummary { advanced: report.advanced as u64, flushed: report.flushed as u64 })
}

#[update(name = "resolveDeployment")]
async fn resolve_deployment(args: ResolveDeploymentArgs) -> DeploymentResponse {
    resolve::resolve_deployment(&state(), &IcRuntime, &ic_env::caller(), args).await
}

#[update(name = "withdrawFees")]
async fn withdraw_fees(args: WithdrawFeesArgs) -> WithdrawalResponse {
    withdrawal::withdraw_fees(&state(), &IcRuntime, &ic_env::caller(), args).await
}

/// The newest fee withdrawals (at most 100), admins only.
#[query(name = "getWithdrawals")]
fn get_withdrawals(limit: u32) -> FleetResult<Vec<Withdrawal>> {
    state().borrow().withdrawals_newest_first(&ic_env::caller(), limit as usize)
}

#[query(name = "getRefusedRecords")]
fn get_refused_records() -> FleetResult<Vec<RefusedRecord>> {
    state().borrow().refused_records(&ic_env::caller())
}

#[query(name = "getServiceFee")]
fn get_service_fee(service: String) -> Option<Nat> {
    state().borrow().config().service_fee(&service)
}

#[query(name = "getConfigValue")]
fn get_config_value(key: String) -> Option<String> {
    state().borrow().config().get(&key)
}

#[query(name = "getAllConfigValues")]
fn get_all_config_values() -> Vec<ConfigEntry> {
    state().borrow().config().all()
}

#[update(name = "adminSetConfigValue")]
fn admin_set_config_value(key: String, value: String) -> AdminResponse {
    state().borrow_mut().set_config_value(&ic_env::caller(), &key, &value, ic_env::now())
}

#[update(name = "adminSetMaintenanceMode")]
fn admin_set_maintenance_mode(on: bool) -> AdminResponse {
    state().borrow_mut().set_maintenance_mode(&ic_env::caller(), on, ic_env::now())
}

#[query(name = "isMaintenanceMode")]
fn is_maintenance_mode() -> bool {
    state().borrow().settings().maintenance_mode
}

/// The seed's argument order: audit, invoice, token, distribution, multisig, dao, launchpad.
#[update(name = "setupMicroservices")]
fn setup_microservices(
    audit_storage: Principal,
    invoice_storage: Principal,
    token_factory: Principal,
    distribution_factory: Principal,
    multisig_factory: Principal,
    dao_factory: Principal,
    launchpad_factory: Principal,
) -> AdminResponse {
    let services = Microservices {
        audit_storage,
        invoice_storage,
        token_factory,
        distribution_factory,
        multisig_factory,
        dao_factory,
        launchpad_factory,
    };
    state().borrow_mut().setup_microservices(&ic_env::caller(), services, ic_env::canister_id())
}

#[query(name = "getMicroservices")]
fn get_microservices() -> Option<Microservices> {
    state().borrow().settings().microservices
}

#[update(name = "addAdmin")]
fn add_admin(admin: Principal) -> AdminResponse {
    state().borrow_mut().add_admin(&ic_env::caller(), admin, ic_env::now())
}

#[update(name = "removeAdmin")]
fn remove_admin(admin: Principal) -> AdminResponse {
    state().borrow_mut().remove_admin(&ic_env::caller(), admin)
}

#[query(name = "getAdmins")]
fn get_admins() -> Vec<Principal> {
    state().borrow().access().admins()
}

#[query(name = "getHealth")]
fn get_health() -> ServiceHealth {
    state().borrow().health(&ic_env::runtime_facts())
}

#[query(name = "getSetupStatus")]
fn get_setup_status() -> SetupStatus {
    state().borrow().setup_status(ic_env::canister_id())
}

// Fleet reports: update methods, since they call every microservice (in parallel, with bounded waits). A service
// that does not answer is reported as such; only a backend without microservices is an error.

/// The fleet reports cost the backend seven calls each: admins only.
fn require_admin() -> FleetResult<()> {
    state().borrow().access().require_admin(&ic_env::caller())
}

#[update(name = "getMicroserviceHealth")]
async fn get_microservice_health() -> FleetResult<Vec<ServiceHealth>> {
    require_admin()?;
    let services = probe::configured(state().borrow().settings().microservices)?;
    Ok(microservice_health(&services).await)
}

async fn microservice_health(services: &backend_api::Microservices) -> Vec<ServiceHealth> {
    probe::health(services, |id| ic_runtime::ask_report(id, "getHealth"), ic_env::now()).await
}

#[update(name = "getMicroserviceSetupStatus")]
async fn get_microservice_setup_status() -> FleetResult<Vec<SetupStatus>> {
    require_admin()?;
    let services = probe::configured(state().borrow().settings().microservices)?;
    Ok(probe::setup(&services, ic_env::canister_id(), |id| ic_runtime::ask_report(id, "getSetupStatus")).await)
}

#[update(name = "getSystemStatus")]
async fn get_system_status() -> FleetResult<SystemStatus> {
    require_admin()?;
    let settings = state().borrow().settings();
    let services = probe::configured(settings.microservices)?;
    let services_health = microservice_health(&services).await;
    Ok(SystemStatus {
        is_maintenance_mode: state().borrow().settings().maintenance_mode,
        services_health,
        last_upgrade: settings.last_upgrade,
    })
}

/// Every update method of `backend.did`, for `inspect_message`: who may send it as ingress and how large its
/// argument may be. Queries are not filtered (inspect_message never sees them).
pub const INGRESS: &[IngressRule] = &[
    IngressRule::signed("createToken", MEDIUM_ARG),
    IngressRule::signed("createMultisig", MEDIUM_ARG),
    IngressRule::signed("createDistribution", MEDIUM_ARG),
    IngressRule::signed("createDao", MEDIUM_ARG),
    IngressRule::signed("createLaunchpad", MEDIUM_ARG),
    IngressRule::signed("adminRunReconciliation", SMALL_ARG),
    IngressRule::signed("adminSetConfigValue", SMALL_ARG),
    IngressRule::signed("adminSetMaintenanceMode", SMALL_ARG),
    IngressRule::signed("setupMicroservices", SMALL_ARG),
    IngressRule::signed("addAdmin", SMALL_ARG),
    IngressRule::signed("removeAdmin", SMALL_ARG),
    IngressRule::signed("getMicroserviceHealth", SMALL_ARG),
    IngressRule::signed("getMicroserviceSetupStatus", SMALL_ARG),
    IngressRule::signed("getSystemStatus", SMALL_ARG),
    IngressRule::signed("resolveDeployment", SMALL_ARG),
    IngressRule::signed("withdrawFees", SMALL_ARG),
];

fleet_api::ingress_filter!(INGRESS);
