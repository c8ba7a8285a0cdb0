//! What a contract's owner (as the factory recorded it at deployment) may do: choose the upgrade policy, see the
//! path, upgrade now (the same step machine a rollout runs), restore the last pre-upgrade snapshot, and release the
//! contract (the factory leaves its controllers). Everyone else gets `Unauthorized`; a Detached contract is never
//! touched again.

use candid::Principal;
use fleet_api::{ContractStatus, FleetError, UpgradePolicy};
use ic_stable_structures::Memory;
use semver::Version;

use super::api::*;
use super::machine::run_task;
use super::path::{plan, policy_target, PlannedVersion};
use super::store::Task;
use crate::api::VersionStatus;
use crate::contracts::ContractRecord;
use crate::events::EventKind;
use crate::factory::Factory;
use crate::roles::Caller;
use crate::runtime::Runtime;
use crate::FactoryCell;

impl<M: Memory> Factory<M> {
    fn owned(&self, caller: &Caller, contract: &Principal) -> Result<ContractRecord, FleetError> {
        let record =
            self.contracts.get(contract).ok_or_else(|| FleetError::not_found(format!("contract {contract}")))?;
        if record.owner != caller.principal {
            return Err(FleetError::unauthorized(format!("only the owner of {contract} may do this")));
        }
        if record.status == ContractStatus::Detached {
            return Err(FleetError::invalid_state(format!(
                "contract {contract} is Detached: the factory no longer manages it"
            )));
        }
        Ok(record)
    }

    fn not_busy(&self, contract: &Principal) -> Result<(), FleetError> {
        match self.upgrades.contract_info(contract).busy_with {
            Some(task) => Err(FleetError::invalid_state(format!("upgrade task {task} is working on {contract}"))),
            None => Ok(()),
        }
    }

    pub fn set_upgrade_policy(
        &mut self,
        caller: &Caller,
        now: u64,
        contract: Principal,
        policy: UpgradePolicy,
    ) -> Result<(), FleetError> {
        self.owned(caller, &contract)?;
        let policy = match policy {
            UpgradePolicy::Pinned(version) => {
                let record = self.registry.record(&version)?;
                if !matches!(record.status, VersionStatus::Published | VersionStatus::Deprecated) {
                    return Err(FleetError::invalid(format!(
                        "cannot pin to {}: it is {:?}",
                        record.version, record.status
                    )));
                }
                UpgradePolicy::Pinned(record.version)
            }
            other => other,
        };
        self.contracts.set_policy(&contract, policy.clone());
        self.events.record(now, caller.principal, EventKind::UpgradePolicySet { contract, policy });
        Ok(())
    }

    /// `getUpgradePath`: the steps from the installed version to `target` (default: the newest the policy allows).
    pub fn upgrade_path(&self, contract: Principal, target: Option<String>) -> Result<UpgradePath, FleetError> {
        self.upgrade_path_in(contract, target, &self.registry.planned_versions())
    }

    fn upgrade_path_in(
        &self,
        contract: Principal,
        target: Option<String>,
        versions: &[PlannedVersion],
    ) -> Result<UpgradePath, FleetError> {
        let record =
            self.contracts.get(&contract).ok_or_else(|| FleetError::not_found(format!("contract {contract}")))?;
        let installed = Version::parse(&record.version).map_err(|e| {
            FleetError::invalid_state(format!("recorded version {} is not semver: {e}", record.version))
        })?;
        let target = match target {
            Some(t) => fleet_api::version::parse_version(&t)?,
            None => policy_target(&record.upgrade_policy, &installed, versions)?,
        };
        let steps = plan(&installed, &target, versions)?;
        Ok(UpgradePath {
            contract,
            installed: installed.to_string(),
            target: target.to_string(),
            steps: steps
                .into_iter()
                .map(|s| UpgradeStep { version: s.version.to_string(), sha256: s.sha256, checkpoint: s.checkpoint })
                .collect(),
        })
    }

    /// Checks and writes an owner's upgrade task (not yet run).
    pub fn prepare_owner_upgrade(
        &mut self,
        caller: &Caller,
        now: u64,
        contract: Principal,
        target: Option<String>,
    ) -> Result<u64, FleetError> {
        let record = self.owned(caller, &contract)?;
        self.not_busy(&contract)?;
        let versions = self.registry.planned_versions();
        // The records are decoded anyway: the machine's sha256 checks need no registry read after this.
        self.upgrades.cache_shas(&versions);
        let path = self.upgrade_path_in(contract, target, &versions)?;
        if path.steps.is_empty() {
            return Err(FleetError::invalid(format!("contract {contract} already runs {}", path.target)));
        }
        let task = self.upgrades.new_task(
            None,
            Task {
                id: 0,
                rollout: 0,
                contract,
                state: TaskState::Preflight,
                from_version: record.version,
                path: path.steps.iter().map(|s| s.version.clone()).collect(),
                step: 0,
                snapshot: None,
                install_tried: false,
                reason: None,
                cycles_topped_up: 0,
                top_up_in_flight: None,
                started_at: now,
                state_since: now,
            },
        );
        let event = EventKind::OwnerUpgradeStarted { contract, task: task.id, target: path.target };
        self.events.record(now, caller.principal, event);
        Ok(task.id)
    }

    /// Checks and writes a restore task: the rollback part of the machine, from the last snapshot.
    pub fn prepare_restore(&mut self, caller: &Caller, now: u64, contract: Principal) -> Result<u64, FleetError> {
        let record = self.owned(caller, &contract)?;
        self.not_busy(&contract)?;
        let snapshot = self
            .upgrades
            .contract_info(&contract)
            .last_snapshot
            .ok_or_else(|| FleetError::invalid_state(format!("the factory holds no snapshot of {contract}")))?;
        let task = self.upgrades.new_task(
            None,
            Task {
                id: 0,
                rollout: 0,
                contract,
                state: TaskState::RollingBack,
                from_version: snapshot.version.clone(),
                path: vec![record.version],
                step: 0,
                snapshot: Some(snapshot.id.clone()),
                install_tried: true,
                reason: Some(format!("restored by its owner to the snapshot of {}", snapshot.version)),
                cycles_topped_up: 0,
                top_up_in_flight: None,
                started_at: now,
                state_since: now,
            },
        );
        self.events.record(now, caller.principal, EventKind::ContractRestored { contract, version: snapshot.version });
        Ok(task.id)
    }
}

/// `upgradeMyContract`: writes the task, then runs it in this call. If the call's future dies (the factory is
/// upgraded meanwhile), the scheduler finishes the task.
pub async fn upgrade_my_contract<R: Runtime, M: Memory, C: FactoryCell<M>>(
    rt: &R,
    cell: &C,
    caller: Caller,
    contract: Principal,
    target: Option<String>,
) -> Result<TaskView, FleetError> {
    let id = cell.with(|f| f.prepare_owner_upgrade(&caller, rt.now(), contract, target))?;
    run_and_view(rt, cell, id).await
}

/// `restoreMyContract`: stop, load the last pre-upgrade snapshot, start, record the version it holds again.
pub async fn restore_my_contract<R: Runtime, M: Memory, C: FactoryCell<M>>(
    rt: &R,
    cell: &C,
    caller: Caller,
    contract: Principal,
) -> Result<TaskView, FleetError> {
    let id = cell.with(|f| f.prepare_restore(&caller, rt.now(), contract))?;
    run_and_view(rt, cell, id).await
}

/// Runs an owner's task in the owner's call and answers where it stands (the scheduler finishes what waits).
async fn run_and_view<R: Runtime, M: Memory, C: FactoryCell<M>>(
    rt: &R,
    cell: &C,
    id: u64,
) -> Result<TaskView, FleetError> {
    run_task(rt, cell, id).await;
    cell.with(|f| f.upgrades.task(id).map(|t| t.view()))
}

/// `releaseContract`: the factory removes itself from the controllers and marks the contract Detached.
pub async fn release_contract<R: Runtime, M: Memory, C: FactoryCell<M>>(
    rt: &R,
    cell: &C,
    caller: Caller,
    contract: Principal,
) -> Result<(), FleetError> {
    cell.with(|f| f.owned(&caller, &contract).and_then(|_| f.not_busy(&contract)))?;
    let facts = rt.canister_status(contract).await;
    let self_id = rt.self_id();
    let result = match facts {
        Ok(facts) if facts.controllers.contains(&self_id) => {
            let others: Vec<Principal> = facts.controllers.into_iter().filter(|c| *c != self_id).collect();
            rt.update_settings(contract, others)
                .await
                .map_err(|e| FleetError::call_failed(Principal::management_canister(), "update_settings", e))
        }
        // Already out of the controllers: only the record is behind.
        Ok(_) => Ok(()),
        Err(e) if super::machine::is_not_controller(&e) => Ok(()),
        Err(e) => Err(FleetError::call_failed(Principal::management_canister(), "canister_status", e)),
    };
    result?;
    let now = rt.now();
    cell.with(|f| {
        f.contracts.detach(&contract);
        f.events.record(now, caller.principal, EventKind::ContractReleased { contract });
    });
    Ok(())
}
