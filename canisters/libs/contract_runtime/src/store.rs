//! The runtime's own stable state and the install / upgrade bookkeeping over it, generic over the memory so native
//! tests run it on `VectorMemory` and can "upgrade" by rebuilding the store from the same memory.

use crate::deployment;
use crate::memory as ids;
use crate::migration::{self, MigrationReport, MigrationStep};
use crate::storable::Candid;
use crate::ContractSpec;
use candid::{CandidType, Principal};
use fleet_api::version::parse_version;
use fleet_api::{ContractHealth, ContractInit, ContractUpgrade, FleetError};
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::{Memory, StableCell, StableLog};
use serde::Deserialize;
use std::time::Duration;

#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallMode {
    Install,
    Upgrade,
}

/// One line of the install history: every install and upgrade the contract went through.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct InstallRecord {
    pub mode: InstallMode,
    pub version: String,
    pub schema_version: u32,
    /// Descriptions of the migration steps the upgrade ran.
    pub migrations: Vec<String>,
    pub at: u64,
}

/// Whether the factory has been told that the deployment is complete.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum DeploymentNotice {
    /// No factory (a hand-installed contract): nobody to tell.
    NotRequired,
    /// `attempts` made so far; the next one is due at `next_attempt_at` (ns since the epoch). Kept in stable memory
    /// because the retry timer is not: `post_upgrade` re-arms it from here ([`RuntimeStore::notice_to_resume`]).
    /// `next_attempt_at` is `None` in what the runtime wrote before it was recorded: then the attempt is due at once.
    Pending {
        attempts: u32,
        last_error: Option<String>,
        next_attempt_at: Option<u64>,
    },
    Delivered {
        attempts: u32,
        at: u64,
    },
    /// Every retry failed; the factory can still find the contract by polling it.
    GaveUp {
        attempts: u32,
        last_error: String,
    },
}

pub struct RuntimeStore<M: Memory> {
    owner: StableCell<Principal, M>,
    factory: StableCell<Option<Principal>, M>,
    version: StableCell<String, M>,
    schema_version: StableCell<u32, M>,
    history: StableLog<Candid<InstallRecord>, M, M>,
    notice: StableCell<Candid<DeploymentNotice>, M>,
}

impl<M: Memory> RuntimeStore<M> {
    /// Opens the runtime's structures, reading what stable memory already holds (after an upgrade) or starting empty.
    pub fn open(memory: impl Fn(MemoryId) -> M) -> Self {
        Self {
            owner: StableCell::init(memory(ids::OWNER), Principal::anonymous()),
            factory: StableCell::init(memory(ids::FACTORY), None),
            version: StableCell::init(memory(ids::INSTALLED_VERSION), String::new()),
            schema_version: StableCell::init(memory(ids::SCHEMA_VERSION), 0),
            history: StableLog::init(memory(ids::INSTALL_HISTORY_INDEX), memory(ids::INSTALL_HISTORY_DATA)),
            notice: StableCell::init(memory(ids::DEPLOYMENT_NOTICE), Candid(DeploymentNotice::NotRequired)),
        }
    }

    /// Records a fresh install. Refuses (the caller traps, which refuses the install) when the requested version is not
    /// the compiled one or the owner is anonymous. The kind's data starts at the code's schema: nothing to migrate.
    pub fn install<A>(&mut self, spec: &ContractSpec, init: &ContractInit<A>, now: u64) -> Result<(), FleetError> {
        check_version(spec, &init.version)?;
        if init.owner == Principal::anonymous() {
            return Err(FleetError::invalid("owner: the anonymous principal cannot own a contract"));
        }
        if init.factory == Some(Principal::anonymous()) {
            return Err(FleetError::invalid("factory: the anonymous principal cannot be a factory"));
        }
        self.owner.set(init.owner);
        self.factory.set(init.factory);
        self.version.set(spec.version.to_string());
        self.schema_version.set(spec.schema_version);
        self.notice.set(Candid(match init.factory {
            Some(_) => DeploymentNotice::Pending { attempts: 0, last_error: None, next_attempt_at: Some(now) },
            None => DeploymentNotice::NotRequired,
        }));
        self.append_history(InstallRecord {
            mode: InstallMode::Install,
            version: spec.version.to_string(),
            schema_version: spec.schema_version,
            migrations: vec![],
            at: now,
        })
    }

    /// Records an upgrade to this code: checks the requested version (when the upgrade names one), runs the kind's
    /// migrations from the stored schema to the code's, and records the new version.
    pub fn upgrade<C>(
        &mut self,
        spec: &ContractSpec,
        arg: Option<&ContractUpgrade>,
        steps: &[MigrationStep<C>],
        ctx: &mut C,
        now: u64,
    ) -> Result<MigrationReport, FleetError> {
        if let Some(arg) = arg {
            check_version(spec, &arg.version)?;
        }
        if self.version.get().is_empty() {
            return Err(FleetError::invalid_state(
                "stable memory holds no contract runtime state: this canister was not installed with a fleet contract; \
                 reinstall it instead of upgrading",
            ));
        }
        let stored = *self.schema_version.get();
        let schema_cell = &mut self.schema_version;
        let report = migration::run(
            stored,
            spec.schema_version,
            steps,
            ctx,
            arg.and_then(|a| a.migration_arg.as_deref()),
            |reached| {
                schema_cell.set(reached);
            },
        )
        .map_err(|e| FleetError::invalid_state(e.to_string()))?;
        self.version.set(spec.version.to_string());
        self.append_history(InstallRecord {
            mode: InstallMode::Upgrade,
            version: spec.version.to_string(),
            schema_version: spec.schema_version,
            migrations: report.applied.iter().map(|d| d.to_string()).collect(),
            at: now,
        })?;
        Ok(report)
    }

    pub fn owner(&self) -> Principal {
        *self.owner.get()
    }

    pub fn factory(&self) -> Option<Principal> {
        *self.factory.get()
    }

    pub fn installed_version(&self) -> String {
        self.version.get().clone()
    }

    pub fn schema_version(&self) -> u32 {
        *self.schema_version.get()
    }

    pub fn history(&self) -> Vec<InstallRecord> {
        self.history.iter().map(|r| r.0).collect()
    }

    pub fn deployment_notice(&self) -> DeploymentNotice {
        self.notice.get().0.clone()
    }

    pub fn set_deployment_notice(&mut self, notice: DeploymentNotice) {
        self.notice.set(Candid(notice));
    }

    /// The deployment notice attempt `post_upgrade` must re-arm (an upgrade drops every timer): the factory, the
    /// attempt number and its delay from `now`. `None` without a factory or when the notice was delivered or given up.
    pub fn notice_to_resume(&self, now: u64) -> Option<(Principal, u32, Duration)> {
        let factory = self.factory()?;
        deployment::resume(&self.deployment_notice(), now).map(|(attempt, delay)| (factory, attempt, delay))
    }

    /// The `health` answer: `ok` when the runtime's bookkeeping matches the running code and the kind reports itself
    /// healthy. `kind_status` is the kind's own check, `Ok(summary)` or `Err(problem)`.
    pub fn health(&self, spec: &ContractSpec, kind_status: Result<String, String>) -> ContractHealth {
        let mut problems = vec![];
        if self.installed_version() != spec.version {
            problems.push(format!(
                "recorded version {} differs from the running code's {}",
                self.installed_version(),
                spec.version
            ));
        }
        if self.schema_version() != spec.schema_version {
            problems.push(format!(
                "schema {} differs from the code's schema {}",
                self.schema_version(),
                spec.schema_version
            ));
        }
        let summary = match kind_status {
            Ok(summary) => summary,
            Err(problem) => {
                problems.push(problem);
                String::new()
            }
        };
        let mut message = if problems.is_empty() { summary } else { problems.join("; ") };
        if let DeploymentNotice::GaveUp { last_error, .. } = self.deployment_notice() {
            // Not a health failure of the contract itself, but worth seeing in the factory's monitoring.
            message.push_str(&format!(" (factory was never notified of the deployment: {last_error})"));
        }
        ContractHealth {
            ok: problems.is_empty(),
            kind: spec.kind,
            version: spec.version.to_string(),
            schema_version: self.schema_version(),
            owner: self.owner(),
            factory: self.factory(),
            message,
        }
    }

    fn append_history(&mut self, record: InstallRecord) -> Result<(), FleetError> {
        self.history
            .append(&Candid(record))
            .map(|_| ())
            .map_err(|e| FleetError::Internal(format!("cannot grow stable memory for the install history: {e:?}")))
    }
}

/// The version an install or upgrade asks for must be the one compiled into this wasm: the factory's registry and
/// the running code must never disagree about what is installed.
fn check_version(spec: &ContractSpec, requested: &str) -> Result<(), FleetError> {
    let compiled = parse_version(spec.version)
        .map_err(|e| FleetError::Internal(format!("the compiled-in version is not a semver: {e}")))?;
    let requested_version = parse_version(requested)?;
    if requested_version != compiled {
        return Err(FleetError::invalid(format!(
            "version: the install asked for {} version {requested} but this wasm is version {}",
            spec.kind.as_str(),
            spec.version
        )));
    }
    Ok(())
}
