//! The backend's state. Everything that must outlive a message is in stable memory; the heap holds only the guards
//! of calls in flight, which die with the calls.

use crate::config::Config;
use crate::deployment::outbox::{DeadLetter, OutboxItem};
use crate::deployment::record::DeploymentRecord;
use crate::memory;
use backend_api::Microservices;
use candid::{CandidType, Deserialize, Principal};
use fleet_api::FleetResult;
use ic_stable_structures::memory_manager::{MemoryManager, VirtualMemory};
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use service_base::{run_migrations, AccessControl, Candid, Migration, MigrationReport, SeqIndex};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

pub const SERVICE_NAME: &str = "backend";

/// Layout version of this code's stable memory. Bump it with a step in [`migrations`].
pub const SCHEMA_VERSION: u32 = 1;

/// Steps from each older layout to the next, in order; empty while layout 1 is the only one released.
pub fn migrations<M: Memory>() -> Vec<Migration<BackendState<M>>> {
    vec![]
}

pub type Mem<M> = VirtualMemory<M>;

/// The state shared by an endpoint and the futures it spawns. Never borrowed across an await.
pub type Shared<M> = Rc<RefCell<BackendState<M>>>;

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Settings {
    pub maintenance_mode: bool,
    /// The ledger fees are charged in; set at install.
    pub payment_ledger: Option<Principal>,
    pub microservices: Option<Microservices>,
    /// When the code was last installed or upgraded (ns).
    pub last_upgrade: u64,
}

pub struct BackendState<M: Memory> {
    pub(crate) schema_version: StableCell<u32, Mem<M>>,
    pub(crate) access: AccessControl<Mem<M>>,
    pub(crate) settings: StableCell<Candid<Settings>, Mem<M>>,
    pub(crate) config: Config<Mem<M>>,
    pub(crate) deployments: StableBTreeMap<u64, Candid<DeploymentRecord>, Mem<M>>,
    pub(crate) deployments_by_user: SeqIndex<Principal, Mem<M>>,
    pub(crate) open_deployments: StableBTreeMap<u64, (), Mem<M>>,
    pub(crate) outbox: StableBTreeMap<u64, Candid<OutboxItem>, Mem<M>>,
    pub(crate) dead_letters: StableBTreeMap<u64, Candid<DeadLetter>, Mem<M>>,
    /// Users with a create call in flight (one at a time per user).
    pub(crate) busy_users: BTreeSet<Principal>,
    /// Deployments some future is advancing right now (the user's call or the timer, never both).
    pub(crate) busy_deployments: BTreeSet<u64>,
    /// Whether a future is flushing the outbox (one at a time keeps the order).
    pub(crate) flushing_outbox: bool,
}

impl<M: Memory> BackendState<M> {
    pub fn init(memory: M) -> Self {
        let manager = MemoryManager::init(memory);
        Self {
            schema_version: StableCell::init(manager.get(memory::SCHEMA_VERSION), 0),
            access: AccessControl::init(manager.get(memory::ADMINS), manager.get(memory::WRITERS_UNUSED)),
            settings: StableCell::init(manager.get(memory::SETTINGS), Candid(Settings::default())),
            config: Config::init(manager.get(memory::CONFIG)),
            deployments: StableBTreeMap::init(manager.get(memory::DEPLOYMENTS)),
            deployments_by_user: SeqIndex::init(manager.get(memory::DEPLOYMENTS_BY_USER)),
            open_deployments: StableBTreeMap::init(manager.get(memory::OPEN_DEPLOYMENTS)),
            outbox: StableBTreeMap::init(manager.get(memory::OUTBOX)),
            dead_letters: StableBTreeMap::init(manager.get(memory::DEAD_LETTERS)),
            busy_users: BTreeSet::new(),
            busy_deployments: BTreeSet::new(),
            flushing_outbox: false,
        }
    }

    pub fn into_shared(self) -> Shared<M> {
        Rc::new(RefCell::new(self))
    }

    /// First install: current layout, the config defaults, the payment ledger and the admins.
    pub fn install(
        &mut self,
        payment_ledger: Principal,
        admins: &[Principal],
        installer: Principal,
        now: u64,
    ) -> FleetResult<()> {
        service_base::validate::principal("payment_ledger", &payment_ledger)?;
        self.access.seed(admins, &[], now)?;
        self.schema_version.set(SCHEMA_VERSION);
        self.config.seed_defaults(now, installer);
        self.update_settings(|settings| {
            settings.payment_ledger = Some(payment_ledger);
            settings.last_upgrade = now;
        });
        Ok(())
    }

    pub fn schema_version(&self) -> u32 {
        *self.schema_version.get()
    }

    /// Brings stable memory written by an older release to [`SCHEMA_VERSION`]; an error must trap `post_upgrade`.
    pub fn migrate(&mut self, now: u64) -> FleetResult<MigrationReport> {
        let stored = self.schema_version();
        let report = run_migrations(self, stored, SCHEMA_VERSION, &migrations(), |state, version| {
            state.schema_version.set(version);
        })?;
        self.update_settings(|settings| settings.last_upgrade = now);
        Ok(report)
    }

    pub fn settings(&self) -> Settings {
        self.settings.get().0.clone()
    }

    pub(crate) fn update_settings(&mut self, change: impl FnOnce(&mut Settings)) {
        let mut settings = self.settings();
        change(&mut settings);
        self.settings.set(Candid(settings));
    }

    pub fn access(&self) -> &AccessControl<Mem<M>> {
        &self.access
    }

    pub fn config(&self) -> &Config<Mem<M>> {
        &self.config
    }
}
