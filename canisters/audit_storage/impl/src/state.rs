//! The canister's state: the event log and its indexes, all in stable memory, behind one struct that native tests
//! build over `VectorMemory`.

use crate::memory;
use audit_storage_api::AuditEvent;
use candid::Principal;
use fleet_api::{ServiceHealth, SetupStatus};
use ic_stable_structures::memory_manager::{MemoryManager, VirtualMemory};
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, StableLog};
use service_base::ic_env::RuntimeFacts;
use service_base::{run_migrations, AccessControl, Candid, Migration, MigrationReport, SeqIndex, ShortText};

pub const SERVICE_NAME: &str = "audit_storage";

/// Layout version of this code's stable memory. Bump it with a step in [`MIGRATIONS`].
pub const SCHEMA_VERSION: u32 = 1;

/// Steps from each older layout to the next, in order; empty while layout 1 is the only one released.
pub fn migrations<M: Memory>() -> Vec<Migration<AuditState<M>>> {
    vec![]
}

pub type Mem<M> = VirtualMemory<M>;

pub struct AuditState<M: Memory> {
    pub(crate) schema_version: StableCell<u32, Mem<M>>,
    pub(crate) access: AccessControl<Mem<M>>,
    /// The log itself: event `id` is its position.
    pub(crate) events: StableLog<Candid<AuditEvent>, Mem<M>, Mem<M>>,
    pub(crate) by_user: SeqIndex<Principal, Mem<M>>,
    pub(crate) by_contract: SeqIndex<Principal, Mem<M>>,
    pub(crate) by_action: SeqIndex<ShortText, Mem<M>>,
    /// (writer, the writer's request id) -> event id: makes `logEvent` safe to re-send. A region added after layout
    /// 1 shipped; it starts empty on upgrade (older events carry no key), so no migration step is needed.
    pub(crate) by_request_id: StableBTreeMap<(Principal, u64), u64, Mem<M>>,
}

impl<M: Memory> AuditState<M> {
    /// Opens the state in `memory`: empty structures on a fresh canister, the stored ones after an upgrade.
    pub fn init(memory: M) -> Self {
        let manager = MemoryManager::init(memory);
        Self {
            schema_version: StableCell::init(manager.get(memory::SCHEMA_VERSION), 0),
            access: AccessControl::init(manager.get(memory::ADMINS), manager.get(memory::WRITERS)),
            events: StableLog::init(manager.get(memory::EVENT_LOG_INDEX), manager.get(memory::EVENT_LOG_DATA)),
            by_user: SeqIndex::init(manager.get(memory::EVENTS_BY_USER)),
            by_contract: SeqIndex::init(manager.get(memory::EVENTS_BY_CONTRACT)),
            by_action: SeqIndex::init(manager.get(memory::EVENTS_BY_ACTION)),
            by_request_id: StableBTreeMap::init(manager.get(memory::EVENTS_BY_REQUEST_ID)),
        }
    }

    /// First install: the layout is the current one, nothing to migrate.
    pub fn mark_fresh_install(&mut self) {
        self.schema_version.set(SCHEMA_VERSION);
    }

    pub fn schema_version(&self) -> u32 {
        *self.schema_version.get()
    }

    pub fn access(&self) -> &AccessControl<Mem<M>> {
        &self.access
    }

    pub fn access_mut(&mut self) -> &mut AccessControl<Mem<M>> {
        &mut self.access
    }

    pub fn event_count(&self) -> u64 {
        self.events.len()
    }

    /// Healthy when the schema is current and every event is in the user and action indexes (each event is filed
    /// under exactly one user and one action, so their sizes must equal the log's).
    pub fn health(&self, facts: &RuntimeFacts) -> ServiceHealth {
        let events = self.events.len();
        let mut problems = vec![];
        if self.schema_version() != SCHEMA_VERSION {
            problems.push(format!("schema version {} but code expects {SCHEMA_VERSION}", self.schema_version()));
        }
        if self.by_user.len() != events || self.by_action.len() != events {
            problems.push(format!(
                "indexes out of step with the log: {events} events, {} by user, {} by action",
                self.by_user.len(),
                self.by_action.len()
            ));
        }
        facts.health_report(SERVICE_NAME, env!("CARGO_PKG_VERSION"), problems, || {
            format!("{events} events, {} writers", self.access.writers().len())
        })
    }

    pub fn setup_status(&self, canister_id: Principal) -> SetupStatus {
        self.access.writer_setup_status(SERVICE_NAME, canister_id)
    }

    /// Brings stable memory written by an older release to [`SCHEMA_VERSION`]; an error must trap `post_upgrade`.
    pub fn migrate(&mut self) -> fleet_api::FleetResult<MigrationReport> {
        let stored = self.schema_version();
        run_migrations(self, stored, SCHEMA_VERSION, &migrations(), |state, version| {
            state.schema_version.set(version);
        })
    }
}
