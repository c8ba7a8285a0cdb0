//! The backend's state. Everything that must outlive a message is in stable memory; the heap holds only the guards
//! of calls in flight, which die with the calls.

use crate::config::Config;
use crate::deployment::legacy::DeploymentRecordV1;
use crate::deployment::outbox::{DeadLetter, OutboxItem};
use crate::deployment::record::DeploymentRecord;
use crate::deployment::withdrawal::Withdrawal;
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

use crate::deployment::keys::{self, KeyUse};

pub const SERVICE_NAME: &str = "backend";

/// Layout version of this code's stable memory. Bump it with a step in [`migrations`].
pub const SCHEMA_VERSION: u32 = 2;

/// Steps from each older layout to the next, in order.
pub fn migrations<M: Memory>() -> Vec<Migration<BackendState<M>>> {
    vec![Migration {
        to_version: 2,
        description: "deployments: exact ledger transfers, arguments apart, due and operator indexes",
        apply: |state| state.migrate_deployments_to_v2(),
    }]
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
    /// Drawn once per install: makes idempotency keys unique across reinstalls (`deployment::keys`).
    pub key_salt: Option<Vec<u8>>,
    /// The backend's own principal, recorded at install and upgrade (migrations need it).
    pub canister_id: Option<Principal>,
}

pub struct BackendState<M: Memory> {
    pub(crate) schema_version: StableCell<u32, Mem<M>>,
    pub(crate) access: AccessControl<Mem<M>>,
    pub(crate) settings: StableCell<Candid<Settings>, Mem<M>>,
    pub(crate) config: Config<Mem<M>>,
    pub(crate) deployments_v1: StableBTreeMap<u64, Candid<DeploymentRecordV1>, Mem<M>>,
    pub(crate) deployments: StableBTreeMap<u64, Candid<DeploymentRecord>, Mem<M>>,
    pub(crate) contract_args: StableBTreeMap<u64, Vec<u8>, Mem<M>>,
    pub(crate) deployments_by_user: SeqIndex<Principal, Mem<M>>,
    pub(crate) open_deployments: StableBTreeMap<u64, (), Mem<M>>,
    pub(crate) due_deployments: StableBTreeMap<(u64, u64), (), Mem<M>>,
    pub(crate) flagged_deployments: StableBTreeMap<u64, (), Mem<M>>,
    pub(crate) counters: StableBTreeMap<u8, u64, Mem<M>>,
    pub(crate) withdrawals: StableBTreeMap<u64, Candid<Withdrawal>, Mem<M>>,
    pub(crate) outbox: StableBTreeMap<u64, Candid<OutboxItem>, Mem<M>>,
    pub(crate) dead_letters: StableBTreeMap<u64, Candid<DeadLetter>, Mem<M>>,
    /// Users with a create call in flight (one at a time per user).
    pub(crate) busy_users: BTreeSet<Principal>,
    /// Deployments some future is advancing right now (the user's call or the timer, never both).
    pub(crate) busy_deployments: BTreeSet<u64>,
    /// Whether a future is flushing the outbox (one at a time keeps the order).
    pub(crate) flushing_outbox: bool,
    /// Whether a fee withdrawal is being decided or sent (one at a time).
    pub(crate) withdrawing: bool,
}

impl<M: Memory> BackendState<M> {
    pub fn init(memory: M) -> Self {
        let manager = MemoryManager::init(memory);
        Self {
            schema_version: StableCell::init(manager.get(memory::SCHEMA_VERSION), 0),
            access: AccessControl::init(manager.get(memory::ADMINS), manager.get(memory::WRITERS_UNUSED)),
            settings: StableCell::init(manager.get(memory::SETTINGS), Candid(Settings::default())),
            config: Config::init(manager.get(memory::CONFIG)),
            deployments_v1: StableBTreeMap::init(manager.get(memory::DEPLOYMENTS_V1)),
            deployments: StableBTreeMap::init(manager.get(memory::DEPLOYMENTS)),
            contract_args: StableBTreeMap::init(manager.get(memory::CONTRACT_ARGS)),
            deployments_by_user: SeqIndex::init(manager.get(memory::DEPLOYMENTS_BY_USER)),
            open_deployments: StableBTreeMap::init(manager.get(memory::OPEN_DEPLOYMENTS)),
            due_deployments: StableBTreeMap::init(manager.get(memory::DUE_DEPLOYMENTS)),
            flagged_deployments: StableBTreeMap::init(manager.get(memory::FLAGGED_DEPLOYMENTS)),
            counters: StableBTreeMap::init(manager.get(memory::COUNTERS)),
            withdrawals: StableBTreeMap::init(manager.get(memory::WITHDRAWALS)),
            outbox: StableBTreeMap::init(manager.get(memory::OUTBOX)),
            dead_letters: StableBTreeMap::init(manager.get(memory::DEAD_LETTERS)),
            busy_users: BTreeSet::new(),
            busy_deployments: BTreeSet::new(),
            flushing_outbox: false,
            withdrawing: false,
        }
    }

    pub fn into_shared(self) -> Shared<M> {
        Rc::new(RefCell::new(self))
    }

    /// First install: current layout, the config defaults, the payment ledger and the admins. `canister_id` is the
    /// backend's own principal.
    pub fn install(
        &mut self,
        payment_ledger: Principal,
        admins: &[Principal],
        installer: Principal,
        canister_id: Principal,
        now: u64,
    ) -> FleetResult<()> {
        service_base::validate::principal("payment_ledger", &payment_ledger)?;
        self.access.seed(admins, &[], now)?;
        self.schema_version.set(SCHEMA_VERSION);
        self.config.seed_defaults(now, installer);
        self.update_settings(|settings| {
            settings.payment_ledger = Some(payment_ledger);
            settings.last_upgrade = now;
            settings.key_salt = Some(keys::salt(canister_id.as_slice(), now));
            settings.canister_id = Some(canister_id);
        });
        Ok(())
    }

    pub fn schema_version(&self) -> u32 {
        *self.schema_version.get()
    }

    /// Brings stable memory written by an older release to [`SCHEMA_VERSION`]; an error must trap `post_upgrade`.
    /// `canister_id` is the backend's own principal.
    pub fn migrate(&mut self, now: u64, canister_id: Principal) -> FleetResult<MigrationReport> {
        self.update_settings(|settings| {
            // Schema 1 had no salt: its keys were invoice ids, which the new keys (64-bit hashes) cannot meet.
            settings.key_salt.get_or_insert_with(|| keys::salt(canister_id.as_slice(), now));
            settings.canister_id = Some(canister_id);
        });
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

/// Counter slots in [`memory::COUNTERS`].
pub(crate) const OUTBOX_SEQ: u8 = 0;
pub(crate) const WITHDRAWAL_SEQ: u8 = 1;

impl<M: Memory> BackendState<M> {
    /// The next value of a counter that never restarts (not even when its map empties).
    pub(crate) fn next_counter(&mut self, slot: u8) -> u64 {
        let next = self.counters.get(&slot).unwrap_or(0);
        self.counters.insert(slot, next + 1);
        next
    }

    /// The idempotency key of local number `n` for `used_for` (see `deployment::keys`).
    pub(crate) fn key(&self, used_for: KeyUse, n: u64) -> u64 {
        let salt = self.settings.get().0.key_salt.clone().unwrap_or_default();
        keys::key(&salt, used_for, n)
    }

    /// Schema 1 → 2: every deployment record is rewritten (see `deployment::legacy`).
    fn migrate_deployments_to_v2(&mut self) -> Result<(), String> {
        let backend = self.settings.get().0.canister_id.ok_or("the backend's own id is unknown")?;
        while let Some((id, Candid(old))) = self.deployments_v1.pop_first() {
            let (record, arg) = crate::deployment::legacy::upgrade_record(old, backend);
            self.contract_args.insert(id, arg);
            self.store_record(record);
        }
        Ok(())
    }
}
