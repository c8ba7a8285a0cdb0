//! The skeleton every storage canister (audit, invoice) shares: the schema version of its stable layout and its
//! roles in memory ids 0 to 2, install from `(opt record { admins; writers })`, migrations first in `post_upgrade`,
//! the setup status and the schema half of the health report. A storage's state holds a [`StorageCore`] beside its
//! own structures and implements [`StorageState`]; [`storage_lifecycle!`](crate::storage_lifecycle) writes its
//! `#[init]` and `#[post_upgrade]`, [`storage_service_endpoints!`](crate::storage_service_endpoints) its admin,
//! whitelist and status endpoints.

use crate::ic_env::RuntimeFacts;
use crate::{run_migrations, AccessControl, Migration, MigrationReport};
use candid::Principal;
use fleet_api::{FleetResult, ServiceHealth, SetupStatus};
use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::{Memory, StableCell};

/// The schema version cell (`StableCell<u32>`, 0 until the first install writes the current version).
pub const SCHEMA_VERSION_MEMORY: MemoryId = MemoryId::new(0);
/// The admins added by controllers (see [`AccessControl`]).
pub const ADMINS_MEMORY: MemoryId = MemoryId::new(1);
/// The whitelisted writer canisters.
pub const WRITERS_MEMORY: MemoryId = MemoryId::new(2);
/// The first memory id a storage may use for its own structures.
pub const FIRST_SERVICE_MEMORY: u8 = 3;

/// What every storage's state starts with: the schema version of its stable layout and who may do what.
pub struct StorageCore<M: Memory> {
    schema_version: StableCell<u32, VirtualMemory<M>>,
    access: AccessControl<VirtualMemory<M>>,
}

impl<M: Memory> StorageCore<M> {
    /// Opens memory ids 0 to 2 of `manager`: empty on a fresh canister, the stored values after an upgrade.
    pub fn open(manager: &MemoryManager<M>) -> Self {
        Self {
            schema_version: StableCell::init(manager.get(SCHEMA_VERSION_MEMORY), 0),
            access: AccessControl::init(manager.get(ADMINS_MEMORY), manager.get(WRITERS_MEMORY)),
        }
    }

    pub fn schema_version(&self) -> u32 {
        *self.schema_version.get()
    }

    /// Records `version` as the layout in stable memory (after install, after each migration step; tests use it to
    /// fake memory written by another release).
    pub fn set_schema_version(&mut self, version: u32) {
        self.schema_version.set(version);
    }

    pub fn access(&self) -> &AccessControl<VirtualMemory<M>> {
        &self.access
    }

    pub fn access_mut(&mut self) -> &mut AccessControl<VirtualMemory<M>> {
        &mut self.access
    }
}

/// A storage canister's state: its name, code version, layout version and migration steps, and its
/// [`StorageCore`]. The provided methods are the lifecycle and status logic both storages share.
pub trait StorageState: Sized {
    /// The service name in health reports, setup status and logs (`audit_storage`, `invoice_storage`).
    const SERVICE_NAME: &'static str;
    /// The code version (the storage crate's `env!("CARGO_PKG_VERSION")`).
    const VERSION: &'static str;
    /// Layout version of this code's stable memory. Bump it with a step in [`StorageState::migrations`].
    const SCHEMA_VERSION: u32;
    type Memory: Memory;

    fn core(&self) -> &StorageCore<Self::Memory>;
    fn core_mut(&mut self) -> &mut StorageCore<Self::Memory>;
    /// Steps from each older layout to the next, in order.
    fn migrations() -> Vec<Migration<Self>>;

    fn schema_version(&self) -> u32 {
        self.core().schema_version()
    }

    fn access(&self) -> &AccessControl<VirtualMemory<Self::Memory>> {
        self.core().access()
    }

    fn access_mut(&mut self) -> &mut AccessControl<VirtualMemory<Self::Memory>> {
        self.core_mut().access_mut()
    }

    /// First install: the layout is the current one, nothing to migrate.
    fn mark_fresh_install(&mut self) {
        self.core_mut().set_schema_version(Self::SCHEMA_VERSION);
    }

    /// `#[init]`: the current layout, then the install argument's admins and writers. An `Err` must trap, which
    /// fails the install rather than leaving a half-configured canister.
    fn install(&mut self, admins: &[Principal], writers: &[Principal], now: u64) -> FleetResult<()> {
        self.mark_fresh_install();
        self.access_mut().seed(admins, writers, now)
    }

    /// Brings stable memory written by an older release to [`StorageState::SCHEMA_VERSION`]; an error must trap
    /// `post_upgrade`, which rolls the upgrade back (the old code keeps running on its untouched memory).
    fn migrate(&mut self) -> FleetResult<MigrationReport> {
        let stored = self.schema_version();
        run_migrations(self, stored, Self::SCHEMA_VERSION, &Self::migrations(), |state, version| {
            state.core_mut().set_schema_version(version);
        })
    }

    fn setup_status(&self, canister_id: Principal) -> SetupStatus {
        self.access().writer_setup_status(Self::SERVICE_NAME, canister_id)
    }

    /// The health report: `problems` (the storage's own checks) after a stale schema version, if any; `summary`
    /// when there is no problem.
    fn health_report(
        &self,
        facts: &RuntimeFacts,
        problems: Vec<String>,
        summary: impl FnOnce() -> String,
    ) -> ServiceHealth {
        let stored = self.schema_version();
        let mut all = vec![];
        if stored != Self::SCHEMA_VERSION {
            all.push(format!("schema version {stored} but code expects {}", Self::SCHEMA_VERSION));
        }
        all.extend(problems);
        facts.health_report(Self::SERVICE_NAME, Self::VERSION, all, summary)
    }
}

/// `#[post_upgrade]`'s logic: migrate, and say what ran. The `Err` must trap.
pub fn upgrade<S: StorageState>(state: &mut S) -> FleetResult<MigrationReport> {
    let report = state.migrate()?;
    if !report.applied.is_empty() {
        ic_cdk::println!("{}: migrated schema {} -> {}", S::SERVICE_NAME, report.from, report.to);
    }
    Ok(report)
}

/// Writes a storage's `#[init]` and `#[post_upgrade]` (there is no `pre_upgrade`: all state already lives in
/// stable memory, so an upgrade costs the same whatever the state's size, and nothing can trap on the way out).
///
/// `storage_lifecycle!(STATE, InitArgs)`: `STATE` is the `thread_local!` `RefCell` of a [`StorageState`];
/// `InitArgs` is the api crate's `Default` record with `admins` and `writers`, taken as `(opt InitArgs)`.
#[macro_export]
macro_rules! storage_lifecycle {
    ($state:ident, $init_args:ty) => {
        #[::ic_cdk::init]
        fn init(args: Option<$init_args>) {
            let args = args.unwrap_or_default();
            $state.with_borrow_mut(|state| {
                let seeded =
                    $crate::storage::StorageState::install(state, &args.admins, &args.writers, $crate::ic_env::now());
                if let Err(e) = seeded {
                    ::ic_cdk::trap(format!("invalid install argument: {e}"));
                }
            });
        }

        #[::ic_cdk::post_upgrade]
        fn post_upgrade() {
            $state.with_borrow_mut(|state| {
                // Trapping rolls the upgrade back: the old code keeps running on its untouched memory.
                if let Err(e) = $crate::storage::upgrade(state) {
                    ::ic_cdk::trap(format!("schema migration failed: {e}"));
                }
            });
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{controller, principal, BACKEND};
    use ic_stable_structures::VectorMemory;

    struct Bare(StorageCore<VectorMemory>);

    impl StorageState for Bare {
        const SERVICE_NAME: &'static str = "bare_storage";
        const VERSION: &'static str = "9.9.9";
        const SCHEMA_VERSION: u32 = 2;
        type Memory = VectorMemory;
        fn core(&self) -> &StorageCore<VectorMemory> {
            &self.0
        }
        fn core_mut(&mut self) -> &mut StorageCore<VectorMemory> {
            &mut self.0
        }
        fn migrations() -> Vec<Migration<Self>> {
            vec![Migration { to_version: 2, description: "nothing to move", apply: |_| Ok(()) }]
        }
    }

    fn open(memory: VectorMemory) -> Bare {
        Bare(StorageCore::open(&MemoryManager::init(memory)))
    }

    #[test]
    fn install_seeds_roles_at_the_current_schema_and_refuses_a_bad_argument() {
        let mut state = open(VectorMemory::default());
        state.install(&[principal(7)], &[principal(BACKEND)], 1).unwrap();
        assert_eq!(state.schema_version(), 2);
        assert_eq!(state.access().writers(), vec![principal(BACKEND)]);
        assert!(state.setup_status(principal(50)).ready);
        let mut state = open(VectorMemory::default());
        assert!(state.install(&[], &[candid::Principal::anonymous()], 1).is_err());
    }

    #[test]
    fn upgrade_runs_the_missing_steps_and_refuses_a_newer_layout() {
        let memory = VectorMemory::default();
        let mut state = open(memory.clone());
        state.core_mut().set_schema_version(1);
        state.access_mut().add_writer(&controller(), principal(BACKEND), 0).unwrap();
        let unhealthy = state.health_report(&crate::testing::facts(3), vec![], || "fine".into());
        assert!(!unhealthy.healthy && unhealthy.message.contains("schema version 1"), "{}", unhealthy.message);
        let mut reopened = open(memory);
        assert_eq!(upgrade(&mut reopened).unwrap().applied, vec![2]);
        assert_eq!(reopened.access().writers(), vec![principal(BACKEND)]);
        let healthy = reopened.health_report(&crate::testing::facts(3), vec![], || "fine".into());
        assert!(healthy.healthy && healthy.message == "fine" && healthy.version == "9.9.9");
        reopened.core_mut().set_schema_version(3);
        assert!(matches!(reopened.migrate(), Err(fleet_api::FleetError::InvalidState(_))));
    }
}
