//! The canister's state: the event log and its indexes, all in stable memory, behind one struct that native tests
//! build over `VectorMemory`.

use crate::memory;
use audit_storage_api::AuditEvent;
use candid::Principal;
use fleet_api::ServiceHealth;
use ic_stable_structures::memory_manager::{MemoryManager, VirtualMemory};
use ic_stable_structures::{Memory, StableBTreeMap, StableLog};
use service_base::ic_env::RuntimeFacts;
use service_base::{Candid, Migration, SeqIndex, ShortText, StorageCore, StorageState};

pub const SERVICE_NAME: &str = "audit_storage";

/// Layout version of this code's stable memory. Bump it with a step in [`StorageState::migrations`].
pub const SCHEMA_VERSION: u32 = 1;

pub type Mem<M> = VirtualMemory<M>;

pub struct AuditState<M: Memory> {
    /// Schema version and roles (memory ids 0 to 2), as in every storage.
    pub(crate) core: StorageCore<M>,
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
            core: StorageCore::open(&manager),
            events: StableLog::init(manager.get(memory::EVENT_LOG_INDEX), manager.get(memory::EVENT_LOG_DATA)),
            by_user: SeqIndex::init(manager.get(memory::EVENTS_BY_USER)),
            by_contract: SeqIndex::init(manager.get(memory::EVENTS_BY_CONTRACT)),
            by_action: SeqIndex::init(manager.get(memory::EVENTS_BY_ACTION)),
            by_request_id: StableBTreeMap::init(manager.get(memory::EVENTS_BY_REQUEST_ID)),
        }
    }

    pub fn event_count(&self) -> u64 {
        self.events.len()
    }

    /// Healthy when the schema is current and every event is in the user and action indexes (each event is filed
    /// under exactly one user and one action, so their sizes must equal the log's).
    pub fn health(&self, facts: &RuntimeFacts) -> ServiceHealth {
        let events = self.events.len();
        let mut problems = vec![];
        if self.by_user.len() != events || self.by_action.len() != events {
            problems.push(format!(
                "indexes out of step with the log: {events} events, {} by user, {} by action",
                self.by_user.len(),
                self.by_action.len()
            ));
        }
        self.health_report(facts, problems, || format!("{events} events, {} writers", self.access().writers().len()))
    }
}

impl<M: Memory> StorageState for AuditState<M> {
    const SERVICE_NAME: &'static str = SERVICE_NAME;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SCHEMA_VERSION: u32 = SCHEMA_VERSION;
    type Memory = M;

    fn core(&self) -> &StorageCore<M> {
        &self.core
    }

    fn core_mut(&mut self) -> &mut StorageCore<M> {
        &mut self.core
    }

    /// Empty while layout 1 is the only one released.
    fn migrations() -> Vec<Migration<Self>> {
        vec![]
    }
}
