//! The canister's state: invoices, their indexes and history, all in stable memory, behind one struct that native
//! tests build over `VectorMemory`.

use crate::memory;
use candid::Principal;
use fleet_api::ServiceHealth;
use ic_stable_structures::memory_manager::{MemoryManager, VirtualMemory};
use ic_stable_structures::{Memory, StableBTreeMap};
use invoice_storage_api::{Invoice, InvoiceStatus, StatusChange};
use service_base::ic_env::RuntimeFacts;
use service_base::{Candid, Migration, SeqIndex, StorageCore, StorageState};

pub const SERVICE_NAME: &str = "invoice_storage";

/// Layout version of this code's stable memory. Bump it with a step in [`StorageState::migrations`].
pub const SCHEMA_VERSION: u32 = 1;

pub type Mem<M> = VirtualMemory<M>;

pub struct InvoiceState<M: Memory> {
    /// Schema version and roles (memory ids 0 to 2), as in every storage.
    pub(crate) core: StorageCore<M>,
    /// Invoice id -> invoice. Ids are 0, 1, 2... and invoices are never deleted.
    pub(crate) invoices: StableBTreeMap<u64, Candid<Invoice>, Mem<M>>,
    pub(crate) by_user: SeqIndex<Principal, Mem<M>>,
    /// (status code, invoice id): the invoices currently in each status. Moves with every transition.
    pub(crate) by_status: StableBTreeMap<(u8, u64), (), Mem<M>>,
    /// Status code -> number of invoices in it, so totals cost one lookup.
    pub(crate) status_counts: StableBTreeMap<u8, u64, Mem<M>>,
    /// (invoice id, seq) -> the change; seq 0 is the creation.
    pub(crate) history: StableBTreeMap<(u64, u32), Candid<StatusChange>, Mem<M>>,
    /// (writer, the writer's request id) -> invoice id: makes `recordPayment` safe to retry.
    pub(crate) request_ids: StableBTreeMap<(Principal, u64), u64, Mem<M>>,
}

impl<M: Memory> InvoiceState<M> {
    /// Opens the state in `memory`: empty structures on a fresh canister, the stored ones after an upgrade.
    pub fn init(memory: M) -> Self {
        let manager = MemoryManager::init(memory);
        Self {
            core: StorageCore::open(&manager),
            invoices: StableBTreeMap::init(manager.get(memory::INVOICES)),
            by_user: SeqIndex::init(manager.get(memory::INVOICES_BY_USER)),
            by_status: StableBTreeMap::init(manager.get(memory::INVOICES_BY_STATUS)),
            status_counts: StableBTreeMap::init(manager.get(memory::STATUS_COUNTS)),
            history: StableBTreeMap::init(manager.get(memory::HISTORY)),
            request_ids: StableBTreeMap::init(manager.get(memory::REQUEST_IDS)),
        }
    }

    pub fn invoice_count(&self) -> u64 {
        self.invoices.len()
    }

    pub fn status_count(&self, status: InvoiceStatus) -> u64 {
        self.status_counts.get(&status.code()).unwrap_or(0)
    }

    /// Healthy when the schema is current and the indexes account for every invoice exactly once.
    pub fn health(&self, facts: &RuntimeFacts) -> ServiceHealth {
        let invoices = self.invoices.len();
        let counted: u64 = InvoiceStatus::ALL.iter().map(|s| self.status_count(*s)).sum();
        let mut problems = vec![];
        if self.by_user.len() != invoices || self.by_status.len() != invoices || counted != invoices {
            problems.push(format!(
                "indexes out of step: {invoices} invoices, {} by user, {} by status, {counted} counted",
                self.by_user.len(),
                self.by_status.len()
            ));
        }
        self.health_report(facts, problems, || {
            format!(
                "{invoices} invoices, {} refunding, {} refund failed",
                self.status_count(InvoiceStatus::Refunding),
                self.status_count(InvoiceStatus::RefundFailed)
            )
        })
    }
}

impl<M: Memory> StorageState for InvoiceState<M> {
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
