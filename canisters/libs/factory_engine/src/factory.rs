//! One factory's whole state and the operations its endpoints call: each authorizes the caller, validates, applies
//! and journals. Endpoints (see `canister.rs`) only decode, establish the `Caller` and the clock, and call these.

use candid::Principal;
use fleet_api::{ContractKind, FleetError, Page, PageRequest};
use ic_stable_structures::memory_manager::MemoryManager;
use ic_stable_structures::{Memory, StableCell};

use crate::api::DeploymentRequestView;
use crate::api::{BeginUploadArgs, FactoryConfig, FactoryInitArgs, UploadChunkArgs, UploadProgress, VersionInfo};
use crate::codec::candid_storable;
use crate::contracts::ContractStore;
use crate::events::{EventKind, EventLog};
use crate::inflight::InFlight;
use crate::memory::{self, Mem};
use crate::reconcile::RunningDeployments;
use crate::registry::Registry;
use crate::roles::{Caller, Role, Roles};
use crate::spare::SparePool;
use crate::upgrade::store::{UpgradeMemories, UpgradeStore};

/// Layout version of the factory's stable memory. `migrate` refuses a memory written by a newer layout.
pub const SCHEMA_VERSION: u32 = 2;

candid_storable!(FactoryConfig);

pub struct Factory<M: Memory> {
    pub kind: ContractKind,
    schema: StableCell<u32, Mem<M>>,
    config: StableCell<FactoryConfig, Mem<M>>,
    pub roles: Roles<M>,
    pub registry: Registry<M>,
    pub contracts: ContractStore<M>,
    pub inflight: InFlight<M>,
    pub spares: SparePool<M>,
    pub events: EventLog<M>,
    /// Heap only: the pending deployments a running future owns (empty again after an upgrade, as it must be).
    pub running: RunningDeployments,
    pub upgrades: UpgradeStore<M>,
    /// Heap only: the upgrade tasks a running future owns (the scheduler resumes the others).
    pub running_tasks: RunningDeployments,
}

impl<M: Memory> Factory<M> {
    /// Opens the factory state in `memory` (empty on first install, the previous state after an upgrade).
    pub fn open(memory: M, kind: ContractKind) -> Self {
        let manager = MemoryManager::init(memory);
        let m = |id| memory::get(&manager, id);
        Self {
            kind,
            schema: StableCell::init(m(memory::SCHEMA_VERSION), 0),
            config: StableCell::init(m(memory::CONFIG), FactoryConfig::default()),
            roles: Roles::init(m(memory::ADMINS), m(memory::WHITELIST), m(memory::RELEASE_PRINCIPALS)),
            registry: Registry::init(
                m(memory::VERSIONS),
                m(memory::CHUNKS),
                m(memory::REGISTRY_META),
                m(memory::CHUNK_HASHES),
                m(memory::REGISTRY_INDEX),
            ),
            contracts: ContractStore::init(
                m(memory::CONTRACTS),
                m(memory::MEMBERSHIPS),
                m(memory::USER_COUNTS),
                m(memory::CONTRACT_PARTICIPANTS),
                m(memory::STATS),
                m(memory::VISIBILITY_WORK),
                m(memory::CALLBACK_BUCKETS),
            ),
            inflight: InFlight::init(
                m(memory::REQUESTS),
                m(memory::REQUEST_KEYS),
                m(memory::PENDING_DEPLOYMENTS),
                m(memory::DEPLOY_COUNTER),
            ),
            spares: SparePool::init(m(memory::SPARE_CANISTERS)),
            events: EventLog::init(m(memory::EVENTS_INDEX), m(memory::EVENTS_DATA)),
            running: RunningDeployments::default(),
            upgrades: UpgradeStore::init(UpgradeMemories {
                meta: m(memory::UPGRADE_META),
                rollouts: m(memory::ROLLOUTS),
                tasks: m(memory::UPGRADE_TASKS),
                by_state: m(memory::TASKS_BY_STATE),
                contracts: m(memory::CONTRACT_UPGRADES),
                listed: m(memory::ROLLOUT_LISTS),
                journal_index: m(memory::UPGRADE_JOURNAL_INDEX),
                journal_data: m(memory::UPGRADE_JOURNAL_DATA),
                journal_by_rollout: m(memory::JOURNAL_BY_ROLLOUT),
                journal_by_contract: m(memory::JOURNAL_BY_CONTRACT),
            }),
            running_tasks: RunningDeployments::default(),
        }
    }

    /// Brings the stable layout to `SCHEMA_VERSION` step by step; refuses a downgrade (a memory from newer code).
    pub fn migrate(&mut self) -> Result<u32, FleetError> {
        let stored = *self.schema.get();
        if stored > SCHEMA_VERSION {
            return Err(FleetError::invalid_state(format!(
                "stable memory has schema {stored}, this code knows up to {SCHEMA_VERSION}: refusing a downgrade"
            )));
        }
        // Version 0 is a fresh memory. Version 2 is the registry's second layout (version records without chunk
        // hashes, registry counters), which `Registry::init` has already brought the memory to when this runs; the
        // bump records it, so that code of layout 1, which would trap on the new records, refuses the memory.
        self.schema.set(SCHEMA_VERSION);
        Ok(stored)
    }

    pub fn schema_version(&self) -> u32 {
        *self.schema.get()
    }

    /// Applies an init/upgrade argument: principals are added, never removed; `config` replaces the config.
    pub fn apply_init_args(&mut self, args: FactoryInitArgs, installer: Principal, now: u64) -> Result<(), FleetError> {
        if let Some(config) = &args.config {
            validate_config(config)?;
        }
        let grants =
            [(Role::Admin, args.admins), (Role::Whitelisted, args.whitelist), (Role::Release, args.release_principals)];
        for (role, principals) in grants {
            for principal in principals {
                if self.roles.add(role, principal)? {
                    self.events.record(now, installer, EventKind::RoleGranted { role, principal });
                }
            }
        }
        if let Some(config) = args.config {
            self.config.set(config);
            self.events.record(now, installer, EventKind::ConfigChanged);
        }
        Ok(())
    }

    pub fn config(&self) -> FactoryConfig {
        self.config.get().clone()
    }

    // --- roles and config (admin) ---

    pub fn setup_whitelist(&mut self, caller: &Caller, now: u64, backend: Principal) -> Result<(), FleetError> {
        self.roles.require_admin(caller)?;
        self.roles.replace_whitelist(backend)?;
        self.events.record(now, caller.principal, EventKind::WhitelistReplaced { backend });
        Ok(())
    }

    pub fn grant(&mut self, caller: &Caller, now: u64, role: Role, principal: Principal) -> Result<(), FleetError> {
        self.roles.require_admin(caller)?;
        if self.roles.add(role, principal)? {
            self.events.record(now, caller.principal, EventKind::RoleGranted { role, principal });
        }
        Ok(())
    }

    pub fn revoke(&mut self, caller: &Caller, now: u64, role: Role, principal: Principal) -> Result<(), FleetError> {
        self.roles.require_admin(caller)?;
        if role == Role::Admin && principal == caller.principal && !caller.is_controller {
            return Err(FleetError::invalid("an admin cannot remove itself; ask another admin or a controller"));
        }
        if self.roles.remove(role, &principal) {
            self.events.record(now, caller.principal, EventKind::RoleRevoked { role, principal });
        }
        Ok(())
    }

    pub fn set_config(&mut self, caller: &Caller, now: u64, config: FactoryConfig) -> Result<(), FleetError> {
        self.roles.require_admin(caller)?;
        validate_config(&config)?;
        self.config.set(config);
        self.events.record(now, caller.principal, EventKind::ConfigChanged);
        Ok(())
    }

    // --- registry ---

    pub fn begin_upload(
        &mut self,
        caller: &Caller,
        now: u64,
        args: BeginUploadArgs,
    ) -> Result<UploadProgress, FleetError> {
        self.roles.require_release(caller)?;
        let config = self.config();
        let known = self.registry.record(&args.version).is_ok();
        let progress = self.registry.begin_upload(caller.principal, now, args, &config)?;
        if !known {
            self.events.record(now, caller.principal, EventKind::UploadStarted { version: progress.version.clone() });
        }
        Ok(progress)
    }

    pub fn upload_chunk(&mut self, caller: &Caller, args: UploadChunkArgs) -> Result<UploadProgress, FleetError> {
        self.roles.require_release(caller)?;
        self.registry.upload_chunk(args)
    }

    pub fn finalize_upload(&mut self, caller: &Caller, now: u64, version: &str) -> Result<VersionInfo, FleetError> {
        self.roles.require_release(caller)?;
        let info = self.registry.finalize(version, self.kind, now)?;
        let event = EventKind::VersionPublished { version: info.version.clone(), sha256: hex::encode(&info.sha256) };
        self.events.record(now, caller.principal, event);
        Ok(info)
    }

    pub fn abort_upload(&mut self, caller: &Caller, now: u64, version: &str) -> Result<(), FleetError> {
        self.roles.require_release(caller)?;
        self.registry.abort_upload(version)?;
        self.events.record(now, caller.principal, EventKind::UploadAborted { version: version.to_string() });
        Ok(())
    }

    pub fn deprecate_version(
        &mut self,
        caller: &Caller,
        now: u64,
        version: &str,
        reason: String,
    ) -> Result<VersionInfo, FleetError> {
        self.roles.require_release(caller)?;
        let info = self.registry.deprecate(version, reason.clone())?;
        self.events.record(
            now,
            caller.principal,
            EventKind::VersionDeprecated { version: info.version.clone(), reason },
        );
        Ok(info)
    }

    pub fn yank_version(
        &mut self,
        caller: &Caller,
        now: u64,
        version: &str,
        reason: String,
    ) -> Result<VersionInfo, FleetError> {
        self.roles.require_release(caller)?;
        let info = self.registry.yank(version, reason.clone())?;
        self.events.record(now, caller.principal, EventKind::VersionYanked { version: info.version.clone(), reason });
        Ok(info)
    }

    pub fn set_default_version(
        &mut self,
        caller: &Caller,
        now: u64,
        version: Option<String>,
    ) -> Result<(), FleetError> {
        self.roles.require_admin(caller)?;
        self.registry.set_default(version.as_deref())?;
        self.events.record(now, caller.principal, EventKind::DefaultVersionSet { version });
        Ok(())
    }

    // --- deployment requests (the backend) ---

    /// `getDeploymentRequest`: the caller's own request under `request_id`, if it has one.
    pub fn deployment_request(
        &self,
        caller: &Caller,
        request_id: u64,
    ) -> Result<Option<DeploymentRequestView>, FleetError> {
        Ok(self.inflight.view(caller.principal, request_id, |id| self.contracts.get(id).map(|c| c.owner)))
    }

    /// `abandonDeploymentRequest`: an unused id becomes Abandoned, so no `createContract` will ever deploy under it
    /// (the backend may then refund knowing nothing was and nothing will be deployed); a used one is left as it is.
    /// Either way the answer is the request's state now.
    /// `abandonDeploymentRequest`: the request's state; a whitelisted caller's unknown id is recorded Abandoned
    /// first, so a `createContract` arriving with it later is refused. A caller off the whitelist is told `None` for
    /// an unknown id and nothing is written (no one outside the whitelist can make the factory store anything):
    /// messages between two canisters arrive in the order they were sent, so a `createContract` it sent before
    /// asking has already been answered, and one it sends later is refused by the whitelist check anyway.
    pub fn abandon_deployment_request(
        &mut self,
        caller: &Caller,
        request_id: u64,
        now: u64,
    ) -> Result<Option<DeploymentRequestView>, FleetError> {
        if self.inflight.request(caller.principal, request_id).is_none() {
            if self.roles.require_whitelisted(caller).is_err() {
                return Ok(None);
            }
            self.inflight.abandon(caller.principal, request_id, now);
        }
        let view = self.deployment_request(caller, request_id)?;
        view.map(Some)
            .ok_or_else(|| FleetError::Internal(format!("request {request_id} vanished while being abandoned")))
    }

    // --- admin views ---

    pub fn events_page(&self, caller: &Caller, page: PageRequest) -> Result<Page<crate::events::Event>, FleetError> {
        self.roles.require_admin(caller)?;
        Ok(self.events.page(page))
    }

    pub fn pending_deployments(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> Result<Page<crate::api::PendingDeployment>, FleetError> {
        self.roles.require_admin(caller)?;
        Ok(self.inflight.list(page))
    }

    /// Forgets a pending deployment once an admin has dealt with its canister (deleted it, or kept it by hand).
    pub fn clear_pending_deployment(&mut self, caller: &Caller, now: u64, id: u64) -> Result<(), FleetError> {
        self.roles.require_admin(caller)?;
        if self.running.contains(id) {
            // Its own call (or a reconciliation tick) is awaiting a management call and will settle it.
            return Err(FleetError::invalid_state(format!("pending deployment {id} is running; it settles itself")));
        }
        let cleared =
            self.inflight.close(id).ok_or_else(|| FleetError::not_found(format!("pending deployment {id}")))?;
        if cleared.stage == crate::api::DeployStage::Orphaned {
            self.contracts.update_stats(|s| s.orphaned_canisters = s.orphaned_canisters.saturating_sub(1));
        }
        if let Some(request_id) = cleared.request_id {
            if let Some(crate::inflight::RequestState::InProgress { .. }) =
                self.inflight.request(cleared.caller, request_id)
            {
                let error = FleetError::invalid_state("deployment was interrupted and cleared by an admin");
                self.inflight.settle(cleared.caller, request_id, &Err(error));
            }
        }
        self.events.record(now, caller.principal, EventKind::PendingDeploymentCleared { id });
        Ok(())
    }
}

fn validate_config(config: &FactoryConfig) -> Result<(), FleetError> {
    if config.default_initial_cycles > config.max_initial_cycles {
        return Err(FleetError::invalid("default_initial_cycles exceeds max_initial_cycles"));
    }
    let floor = crate::cycles_floor::min_initial_cycles(config.max_module_bytes);
    if config.default_initial_cycles < floor {
        return Err(FleetError::invalid(format!(
            "default_initial_cycles must be at least {floor}, what a contract of up to max_module_bytes needs to stay \
             above its freezing threshold for 30 days"
        )));
    }
    if config.max_module_bytes == 0 || config.max_module_bytes > 100 * 1024 * 1024 {
        return Err(FleetError::invalid("max_module_bytes must be within 1..=100 MiB (the IC's module limit)"));
    }
    if config.max_concurrent_uploads == 0 {
        return Err(FleetError::invalid("max_concurrent_uploads must be at least 1"));
    }
    if config.chunked_install_threshold > 2_000_000 {
        return Err(FleetError::invalid("chunked_install_threshold must stay below the 2 MB message limit"));
    }
    Ok(())
}
