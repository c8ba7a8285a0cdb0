//! The canister's state: invoices, their indexes and history, all in stable memory, behind one struct that native
//! tests build over `VectorMemory`.

use crate::memory;
use candid::Principal;
use fleet_api::{FleetResult, ServiceHealth, SetupStatus};
use ic_stable_structures::memory_manager::{MemoryManager, VirtualMemory};
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use invoice_storage_api::{Invoice, InvoiceStatus, StatusChange};
use service_base::ic_env::RuntimeFacts;
use service_base::{run_migrations, AccessControl, Candid, Migration, MigrationReport, SeqIndex};

pub const SERVICE_NAME: &str = "invoice_storage";

/// Layout version of this code's stable memory. Bump it with a step in [`migrations`].
pub const SCHEMA_VERSION: u32 = 1;

/// Steps from each older layout to the next, in order; empty while layout 1 is the only one released.
pub fn migrations<M: Memory>() -> Vec<Migration<InvoiceState<M>>> {
    vec![]
}

pub type Mem<M> = VirtualMemory<M>;

pub struct InvoiceState<M: Memory> {
    pub(crate) schema_version: StableCell<u32, Mem<M>>,
    pub(crate) access: AccessControl<Mem<M>>,
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
            schema_version: StableCell::init(manager.get(memory::SCHEMA_VERSION), 0),
            access: AccessControl::init(manager.get(memory::ADMINS), manager.get(memory::WRITERS)),
            invoices: StableBTreeMap::init(manager.get(memory::INVOICES)),
            by_user: SeqIndex::init(manager.get(memory::INVOICES_BY_USER)),
            by_status: StableBTreeMap::init(manager.get(memory::INVOICES_BY_STATUS)),
            status_counts: StableBTreeMap::init(manager.get(memory::STATUS_COUNTS)),
            history: StableBTreeMap::init(manager.get(memory::HISTORY)),
            request_ids: StableBTreeMap::init(manager.get(memory::REQUEST_IDS)),
        }
    }

    /// First install: the layout is the current one, nothing to migrate.
    pub fn mark_fresh_install(&mut self) {
        self.schema_version.set(SCHEMA_VERSION);
    }

    pub fn schema_version(&self) -> u32 {
        *self.schema_version.get()
    }

    /// Brings stable memory written by an older release to [`SCHEMA_VERSION`]; an error must trap `post_upgrade`.
    pub fn migrate(&mut self) -> FleetResult<MigrationReport> {
        let stored = self.schema_version();
        run_migrations(self, stored, SCHEMA_VERSION, &migrations(), |state, version| {
            state.schema_version.set(version);
        })
    }

    pub fn access(&self) -> &AccessControl<Mem<M>> {
        &self.access
    }

    pub fn access_mut(&mut self) -> &mut AccessControl<Mem<M>> {
        &mut self.access
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
        if self.schema_version() != SCHEMA_VERSION {
            problems.push(format!("schema version {} but code expects {SCHEMA_VERSION}", self.schema_version()));
        }
        if self.by_user.len() != invoices || self.by_status.len() != invoices || counted != invoices {
            problems.push(format!(
                "indexes out of step: {invoices} invoices, {} by user, {} by status, {counted} counted",
                self.by_user.len(),
                self.by_status.len()
            ));
        }
        facts.health_report(SERVICE_NAME, env!("CARGO_PKG_VERSION"), problems, || {
            format!(
                "{invoices} invoices, {} refunding, {} refund failed",
                self.status_count(InvoiceStatus::Refunding),
                self.status_count(InvoiceStatus::RefundFailed)
            )
        })
    }

    pub fn setup_status(&self, canister_id: Principal) -> SetupStatus {
        self.access.writer_setup_status(SERVICE_NAME, canister_id)
    }
}
