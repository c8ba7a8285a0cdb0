//! The factory canister: its state in a thread-local over the IC's stable memory, the endpoint bodies, and
//! `factory_canister!`, which a factory crate expands to get every endpoint with its kind's argument type.

use candid::Principal;
use fleet_api::ingress::{IngressRule, CHUNK_ARG, MEDIUM_ARG, SMALL_ARG};
use fleet_api::{ContractInfo, DeployOptions, FleetError, Page, PageRequest, ServiceHealth, SetupStatus};
use ic_stable_structures::DefaultMemoryImpl;
use std::cell::RefCell;

use crate::api::*;
use crate::events::Event;
use crate::views::Vitals;
use crate::{Caller, ContractKindSpec, Factory, FactoryCell, IcRuntime, Role};

thread_local! {
    static FACTORY: RefCell<Option<Factory<DefaultMemoryImpl>>> = const { RefCell::new(None) };
}

/// The canister's factory state; `FactoryCell` over the thread-local.
pub struct CanisterState;

impl FactoryCell<DefaultMemoryImpl> for CanisterState {
    fn with<T>(&self, f: impl FnOnce(&mut Factory<DefaultMemoryImpl>) -> T) -> T {
        FACTORY.with(|cell| {
            let mut guard = cell.borrow_mut();
            // init/post_upgrade always run before any other entry point, so the state is there.
            let factory = guard.as_mut().expect("factory state is opened in init/post_upgrade");
            f(factory)
        })
    }
}

fn with<T>(f: impl FnOnce(&mut Factory<DefaultMemoryImpl>) -> T) -> T {
    CanisterState.with(f)
}

pub(crate) fn caller() -> Caller {
    let principal = ic_cdk::api::msg_caller();
    Caller::new(principal, ic_cdk::api::is_controller(&principal))
}

pub(crate) fn now() -> u64 {
    ic_cdk::api::time()
}

/// How often the reconciliation timer settles deployments whose running call was lost (`reconcile`). Each tick is a
/// message (a timer self-call) whether or not there is anything to settle, so not more often than an interrupted
/// deployment needs: the backend asks again with backoff, from 30 s up to an hour, for a day.
pub const RECONCILE_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// Timers do not survive an upgrade: armed by both `init` and `post_upgrade`. Serial: a tick still awaiting its
/// management calls is never overlapped by the next.
fn arm_reconciliation_timer() {
    ic_cdk_timers::set_timer_interval_serial(RECONCILE_EVERY, async || {
        crate::reconcile::reconcile(&IcRuntime, &CanisterState).await;
    });
}

/// Every update method of a factory, for `inspect_message`: who may send it as ingress and how large its argument
/// may be. Registry chunks get `CHUNK_ARG`, `createContract` (a kind's arguments) `MEDIUM_ARG`, the rest are small.
/// Callbacks come from contracts (canisters), never as ingress, but a signed principal sending one only gets the
/// endpoint's own refusal, so they are listed like the others. A factory's `.did` test checks the list is complete.
/// `beginUpload` carries release notes and the candid `post_upgrade` argument besides the version's shape.
const BEGIN_UPLOAD_ARG: usize =
    crate::registry::MAX_RELEASE_NOTES + crate::registry::MAX_POST_UPGRADE_ARG + fleet_api::ingress::SMALL_ARG;

pub const INGRESS: &[IngressRule] = &[
    IngressRule::signed("createContract", MEDIUM_ARG),
    IngressRule::signed("abandonDeploymentRequest", SMALL_ARG),
    IngressRule::signed("setupWhitelist", SMALL_ARG),
    IngressRule::signed("addToWhitelist", SMALL_ARG),
    IngressRule::signed("removeFromWhitelist", SMALL_ARG),
    IngressRule::signed("addAdmin", SMALL_ARG),
    IngressRule::signed("removeAdmin", SMALL_ARG),
    IngressRule::signed("addReleasePrincipal", SMALL_ARG),
    IngressRule::signed("removeReleasePrincipal", SMALL_ARG),
    IngressRule::signed("setConfig", SMALL_ARG),
    IngressRule::signed("beginUpload", BEGIN_UPLOAD_ARG),
    IngressRule::signed("uploadChunk", CHUNK_ARG),
    IngressRule::signed("finalizeUpload", SMALL_ARG),
    IngressRule::signed("abortUpload", SMALL_ARG),
    IngressRule::signed("setDefaultVersion", SMALL_ARG),
    IngressRule::signed("deprecateVersion", SMALL_ARG),
    IngressRule::signed("yankVersion", SMALL_ARG),
    IngressRule::signed("notifyDeploymentComplete", SMALL_ARG),
    IngressRule::signed("notifyParticipantAdded", SMALL_ARG),
    IngressRule::signed("notifyParticipantsAdded", MEDIUM_ARG),
    IngressRule::signed("notifyStatusChanged", SMALL_ARG),
    IngressRule::signed("notifyVisibilityChanged", SMALL_ARG),
    IngressRule::signed("clearPendingDeployment", SMALL_ARG),
    IngressRule::signed("setUpgradePolicy", SMALL_ARG),
    IngressRule::signed("upgradeMyContract", SMALL_ARG),
    IngressRule::signed("restoreMyContract", SMALL_ARG),
    IngressRule::signed("releaseContract", SMALL_ARG),
    // A rollout may list up to 1,000 contracts.
    IngressRule::signed("startRollout", MEDIUM_ARG),
    IngressRule::signed("pauseRollout", SMALL_ARG),
    IngressRule::signed("resumeRollout", SMALL_ARG),
    IngressRule::signed("abortRollout", SMALL_ARG),
];

fn open<K: ContractKindSpec>(args: Option<FactoryInitArgs>) {
    let mut factory = Factory::open(DefaultMemoryImpl::default(), K::KIND);
    // A trap here fails the install/upgrade as a whole and keeps the old code: the right answer to a downgrade or a
    // bad argument.
    if let Err(e) = factory.migrate() {
        ic_cdk::trap(e.to_string());
    }
    if let Some(args) = args {
        if let Err(e) = factory.apply_init_args(args, ic_cdk::api::msg_caller(), now()) {
            ic_cdk::trap(e.to_string());
        }
    }
    FACTORY.with(|cell| *cell.borrow_mut() = Some(factory));
    arm_reconciliation_timer();
    // Timers do not survive an upgrade: a rollout (or an owner's upgrade) interrupted by it resumes from here.
    crate::canister_upgrade::arm_scheduler();
}

pub fn init<K: ContractKindSpec>(args: Option<FactoryInitArgs>) {
    open::<K>(args)
}

pub fn post_upgrade<K: ContractKindSpec>(args: Option<FactoryInitArgs>) {
    open::<K>(args)
}

pub async fn create_contract<K: ContractKindSpec>(
    owner: Principal,
    args: K::Args,
    options: DeployOptions,
) -> Result<Principal, FleetError> {
    crate::deploy::create_contract::<K, _, _>(&IcRuntime, &CanisterState, caller(), owner, args, options).await
}

pub fn get_deployment_request(request_id: u64) -> Result<Option<DeploymentRequestView>, FleetError> {
    with(|f| f.deployment_request(&caller(), request_id))
}

pub fn abandon_deployment_request(request_id: u64) -> Result<Option<DeploymentRequestView>, FleetError> {
    with(|f| f.abandon_deployment_request(&caller(), request_id, now()))
}

pub fn setup_whitelist(backend: Principal) -> Result<(), FleetError> {
    with(|f| f.setup_whitelist(&caller(), now(), backend))
}

pub fn grant(role: Role, principal: Principal) -> Result<(), FleetError> {
    with(|f| f.grant(&caller(), now(), role, principal))
}

pub fn revoke(role: Role, principal: Principal) -> Result<(), FleetError> {
    with(|f| f.revoke(&caller(), now(), role, principal))
}

pub fn set_config(config: FactoryConfig) -> Result<(), FleetError> {
    with(|f| f.set_config(&caller(), now(), config))
}

pub fn get_config() -> FactoryConfig {
    with(|f| f.config())
}

pub fn get_roles() -> FactoryRoles {
    with(|f| FactoryRoles {
        admins: f.roles.list(Role::Admin),
        whitelist: f.roles.list(Role::Whitelisted),
        release_principals: f.roles.list(Role::Release),
    })
}

pub fn begin_upload(args: BeginUploadArgs) -> Result<UploadProgress, FleetError> {
    with(|f| f.begin_upload(&caller(), now(), args))
}

pub fn upload_chunk(args: UploadChunkArgs) -> Result<UploadProgress, FleetError> {
    with(|f| f.upload_chunk(&caller(), args))
}

pub fn finalize_upload(version: String) -> Result<VersionInfo, FleetError> {
    with(|f| f.finalize_upload(&caller(), now(), &version))
}

pub fn abort_upload(version: String) -> Result<(), FleetError> {
    with(|f| f.abort_upload(&caller(), now(), &version))
}

pub fn get_upload_progress(version: String) -> Result<UploadProgress, FleetError> {
    with(|f| f.registry.upload_progress(&version))
}

pub fn set_default_version(version: Option<String>) -> Result<(), FleetError> {
    with(|f| f.set_default_version(&caller(), now(), version))
}

pub fn deprecate_version(version: String, reason: String) -> Result<VersionInfo, FleetError> {
    with(|f| f.deprecate_version(&caller(), now(), &version, reason))
}

pub fn yank_version(version: String, reason: String) -> Result<VersionInfo, FleetError> {
    with(|f| f.yank_version(&caller(), now(), &version, reason))
}

pub fn list_versions(page: PageRequest) -> Page<VersionInfo> {
    with(|f| f.registry.list(page))
}

pub fn get_version(version: String) -> Result<VersionInfo, FleetError> {
    with(|f| f.registry.get(&version))
}

pub fn get_default_version() -> Option<VersionInfo> {
    with(|f| f.registry.default_version_info())
}

pub fn get_registry_summary() -> RegistrySummary {
    with(|f| f.registry.summary())
}

pub fn notify_deployment_complete(contract_id: Principal) -> Result<(), FleetError> {
    with(|f| f.notify_deployment_complete(ic_cdk::api::msg_caller(), contract_id, now()))
}

pub fn notify_participant_added(contract_id: Principal, user: Principal) -> Result<(), FleetError> {
    with(|f| f.notify_participant_added(ic_cdk::api::msg_caller(), contract_id, user, now()))
}

pub fn notify_participants_added(contract_id: Principal, users: Vec<Principal>) -> Result<(), FleetError> {
    with(|f| f.notify_participants_added(ic_cdk::api::msg_caller(), contract_id, users, now()))
}

pub fn notify_status_changed(contract_id: Principal, status: String) -> Result<(), FleetError> {
    with(|f| f.notify_status_changed(ic_cdk::api::msg_caller(), contract_id, status, now()))
}

/// Applies the change, then the participants' entries a batch per message execution: each await of a trivial call
/// (`raw_rand`) ends one execution, and the next batch runs in the continuation with a fresh instruction limit. If
/// the loop is cut short (a failed call, an upgrade), the work stays in stable memory and later callbacks finish it.
pub async fn notify_visibility_changed(contract_id: Principal, is_public: bool) -> Result<(), FleetError> {
    let mut pending = with(|f| f.notify_visibility_changed(ic_cdk::api::msg_caller(), contract_id, is_public, now()))?;
    while pending {
        if ic_cdk_management_canister::raw_rand().await.is_err() {
            break;
        }
        pending = with(|f| f.contracts.propagate_visibility(crate::contracts::VISIBILITY_BATCH));
    }
    Ok(())
}

pub fn get_my_contracts(user: Principal, page: PageRequest) -> Page<ContractInfo> {
    with(|f| f.contracts_of(&caller(), user, page))
}

pub fn get_contract(id: Principal) -> Result<ContractDetails, FleetError> {
    with(|f| f.contract(&caller(), id))
}

pub fn get_stats() -> FactoryStats {
    with(|f| f.stats())
}

pub fn get_setup_status() -> SetupStatus {
    with(|f| f.setup_status(ic_cdk::api::canister_self()))
}

pub fn get_health(code_version: &str) -> ServiceHealth {
    let vitals = Vitals {
        canister_id: ic_cdk::api::canister_self(),
        cycles: ic_cdk::api::canister_cycle_balance(),
        memory_bytes: memory_bytes(),
        now: now(),
        code_version: code_version.to_string(),
    };
    with(|f| f.health(vitals))
}

pub fn get_events(page: PageRequest) -> Result<Page<Event>, FleetError> {
    with(|f| f.events_page(&caller(), page))
}

pub fn list_pending_deployments(page: PageRequest) -> Result<Page<PendingDeployment>, FleetError> {
    with(|f| f.pending_deployments(&caller(), page))
}

pub fn clear_pending_deployment(id: u64) -> Result<(), FleetError> {
    with(|f| f.clear_pending_deployment(&caller(), now(), id))
}

/// Stable memory plus (on wasm) the heap.
fn memory_bytes() -> u64 {
    let stable = ic_cdk::stable::stable_size() * 65536;
    #[cfg(target_arch = "wasm32")]
    let heap = core::arch::wasm32::memory_size(0) as u64 * 65536;
    #[cfg(not(target_arch = "wasm32"))]
    let heap = 0;
    stable + heap
}

/// Expands to every endpoint of a factory canister for the given `ContractKindSpec` and its argument type:
/// `factory_engine::factory_canister!(TokenFactory, token_api::TokenArgs);` then `ic_cdk::export_candid!();`.
/// The crate must depend on `ic-cdk` and `candid` (the endpoint attributes expand to paths in them).
#[macro_export]
macro_rules! factory_canister {
    ($spec:ty, $args:ty) => {
        mod __factory_endpoints {
            #[allow(unused_imports)]
            use super::*;
            use $crate::canister as c;
            use $crate::Role;

            #[ic_cdk::init]
            fn init(args: Option<::factory_engine::api::FactoryInitArgs>) {
                c::init::<$spec>(args)
            }
            #[ic_cdk::post_upgrade]
            fn post_upgrade(args: Option<::factory_engine::api::FactoryInitArgs>) {
                c::post_upgrade::<$spec>(args)
            }

            // Anonymous callers and oversized arguments are refused before they cost the factory anything.
            ::fleet_api::ingress_filter!(c::INGRESS);

            #[ic_cdk::update(name = "createContract")]
            async fn create_contract(
                owner: ::candid::Principal,
                args: $args,
                options: ::fleet_api::DeployOptions,
            ) -> Result<::candid::Principal, ::fleet_api::FleetError> {
                c::create_contract::<$spec>(owner, args, options).await
            }

            #[ic_cdk::query(name = "getDeploymentRequest")]
            fn get_deployment_request(
                request_id: u64,
            ) -> Result<Option<::factory_engine::api::DeploymentRequestView>, ::fleet_api::FleetError> {
                c::get_deployment_request(request_id)
            }
            #[ic_cdk::update(name = "abandonDeploymentRequest")]
            fn abandon_deployment_request(
                request_id: u64,
            ) -> Result<Option<::factory_engine::api::DeploymentRequestView>, ::fleet_api::FleetError> {
                c::abandon_deployment_request(request_id)
            }

            #[ic_cdk::update(name = "setupWhitelist")]
            fn setup_whitelist(backend: ::candid::Principal) -> Result<(), ::fleet_api::FleetError> {
                c::setup_whitelist(backend)
            }
            #[ic_cdk::update(name = "addToWhitelist")]
            fn add_to_whitelist(p: ::candid::Principal) -> Result<(), ::fleet_api::FleetError> {
                c::grant(Role::Whitelisted, p)
            }
            #[ic_cdk::update(name = "removeFromWhitelist")]
            fn remove_from_whitelist(p: ::candid::Principal) -> Result<(), ::fleet_api::FleetError> {
                c::revoke(Role::Whitelisted, p)
            }
            #[ic_cdk::update(name = "addAdmin")]
            fn add_admin(p: ::candid::Principal) -> Result<(), ::fleet_api::FleetError> {
                c::grant(Role::Admin, p)
            }
            #[ic_cdk::update(name = "removeAdmin")]
            fn remove_admin(p: ::candid::Principal) -> Result<(), ::fleet_api::FleetError> {
                c::revoke(Role::Admin, p)
            }
            #[ic_cdk::update(name = "addReleasePrincipal")]
            fn add_release_principal(p: ::candid::Principal) -> Result<(), ::fleet_api::FleetError> {
                c::grant(Role::Release, p)
            }
            #[ic_cdk::update(name = "removeReleasePrincipal")]
            fn remove_release_principal(p: ::candid::Principal) -> Result<(), ::fleet_api::FleetError> {
                c::revoke(Role::Release, p)
            }
            #[ic_cdk::update(name = "setConfig")]
            fn set_config(config: ::factory_engine::api::FactoryConfig) -> Result<(), ::fleet_api::FleetError> {
                c::set_config(config)
            }
            #[ic_cdk::query(name = "getConfig")]
            fn get_config() -> ::factory_engine::api::FactoryConfig {
                c::get_config()
            }
            #[ic_cdk::query(name = "getRoles")]
            fn get_roles() -> ::factory_engine::api::FactoryRoles {
                c::get_roles()
            }

            #[ic_cdk::update(name = "beginUpload")]
            fn begin_upload(
                args: ::factory_engine::api::BeginUploadArgs,
            ) -> Result<::factory_engine::api::UploadProgress, ::fleet_api::FleetError> {
                c::begin_upload(args)
            }
            #[ic_cdk::update(name = "uploadChunk")]
            fn upload_chunk(
                args: ::factory_engine::api::UploadChunkArgs,
            ) -> Result<::factory_engine::api::UploadProgress, ::fleet_api::FleetError> {
                c::upload_chunk(args)
            }
            #[ic_cdk::update(name = "finalizeUpload")]
            fn finalize_upload(version: String) -> Result<::factory_engine::api::VersionInfo, ::fleet_api::FleetError> {
                c::finalize_upload(version)
            }
            #[ic_cdk::update(name = "abortUpload")]
            fn abort_upload(version: String) -> Result<(), ::fleet_api::FleetError> {
                c::abort_upload(version)
            }
            #[ic_cdk::query(name = "getUploadProgress")]
            fn get_upload_progress(
                version: String,
            ) -> Result<::factory_engine::api::UploadProgress, ::fleet_api::FleetError> {
                c::get_upload_progress(version)
            }
            #[ic_cdk::update(name = "setDefaultVersion")]
            fn set_default_version(version: Option<String>) -> Result<(), ::fleet_api::FleetError> {
                c::set_default_version(version)
            }
            #[ic_cdk::update(name = "deprecateVersion")]
            fn deprecate_version(
                version: String,
                reason: String,
            ) -> Result<::factory_engine::api::VersionInfo, ::fleet_api::FleetError> {
                c::deprecate_version(version, reason)
            }
            #[ic_cdk::update(name = "yankVersion")]
            fn yank_version(
                version: String,
                reason: String,
            ) -> Result<::factory_engine::api::VersionInfo, ::fleet_api::FleetError> {
                c::yank_version(version, reason)
            }
            #[ic_cdk::query(name = "listVersions")]
            fn list_versions(page: ::fleet_api::PageRequest) -> ::fleet_api::Page<::factory_engine::api::VersionInfo> {
                c::list_versions(page)
            }
            #[ic_cdk::query(name = "getVersion")]
            fn get_version(version: String) -> Result<::factory_engine::api::VersionInfo, ::fleet_api::FleetError> {
                c::get_version(version)
            }
            #[ic_cdk::query(name = "getDefaultVersion")]
            fn get_default_version() -> Option<::factory_engine::api::VersionInfo> {
                c::get_default_version()
            }
            #[ic_cdk::query(name = "getRegistrySummary")]
            fn get_registry_summary() -> ::factory_engine::api::RegistrySummary {
                c::get_registry_summary()
            }

            #[ic_cdk::update(name = "notifyDeploymentComplete")]
            fn notify_deployment_complete(contract_id: ::candid::Principal) -> Result<(), ::fleet_api::FleetError> {
                c::notify_deployment_complete(contract_id)
            }
            #[ic_cdk::update(name = "notifyParticipantAdded")]
            fn notify_participant_added(
                contract_id: ::candid::Principal,
                user: ::candid::Principal,
            ) -> Result<(), ::fleet_api::FleetError> {
                c::notify_participant_added(contract_id, user)
            }
            #[ic_cdk::update(name = "notifyParticipantsAdded")]
            fn notify_participants_added(
                contract_id: ::candid::Principal,
                users: Vec<::candid::Principal>,
            ) -> Result<(), ::fleet_api::FleetError> {
                c::notify_participants_added(contract_id, users)
            }
            #[ic_cdk::update(name = "notifyStatusChanged")]
            fn notify_status_changed(
                contract_id: ::candid::Principal,
                status: String,
            ) -> Result<(), ::fleet_api::FleetError> {
                c::notify_status_changed(contract_id, status)
            }
            #[ic_cdk::update(name = "notifyVisibilityChanged")]
            async fn notify_visibility_changed(
                contract_id: ::candid::Principal,
                is_public: bool,
            ) -> Result<(), ::fleet_api::FleetError> {
                c::notify_visibility_changed(contract_id, is_public).await
            }

            #[ic_cdk::query(name = "getMyContracts")]
            fn get_my_contracts(
                user: ::candid::Principal,
                page: ::fleet_api::PageRequest,
            ) -> ::fleet_api::Page<::fleet_api::ContractInfo> {
                c::get_my_contracts(user, page)
            }
            #[ic_cdk::query(name = "getContract")]
            fn get_contract(
                id: ::candid::Principal,
            ) -> Result<::factory_engine::api::ContractDetails, ::fleet_api::FleetError> {
                c::get_contract(id)
            }
            #[ic_cdk::query(name = "getStats")]
            fn get_stats() -> ::factory_engine::api::FactoryStats {
                c::get_stats()
            }
            #[ic_cdk::query(name = "getFleetSummary")]
            fn get_fleet_summary(
                cursor: Option<::candid::Principal>,
            ) -> Result<::factory_engine::api::FleetSummaryPage, ::fleet_api::FleetError> {
                ::factory_engine::fleet_summary::get_fleet_summary(cursor)
            }
            #[ic_cdk::query(name = "getSetupStatus")]
            fn get_setup_status() -> ::fleet_api::SetupStatus {
                c::get_setup_status()
            }
            #[ic_cdk::query(name = "getHealth")]
            fn get_health() -> ::fleet_api::ServiceHealth {
                c::get_health(env!("CARGO_PKG_VERSION"))
            }
            #[ic_cdk::query(name = "getEvents")]
            fn get_events(
                page: ::fleet_api::PageRequest,
            ) -> Result<::fleet_api::Page<::factory_engine::events::Event>, ::fleet_api::FleetError> {
                c::get_events(page)
            }
            #[ic_cdk::query(name = "listPendingDeployments")]
            fn list_pending_deployments(
                page: ::fleet_api::PageRequest,
            ) -> Result<::fleet_api::Page<::factory_engine::api::PendingDeployment>, ::fleet_api::FleetError> {
                c::list_pending_deployments(page)
            }
            #[ic_cdk::update(name = "clearPendingDeployment")]
            fn clear_pending_deployment(id: u64) -> Result<(), ::fleet_api::FleetError> {
                c::clear_pending_deployment(id)
            }

            $crate::upgrade_endpoints!();
        }
    };
}
