//! Admin operations: config values, maintenance mode, the microservice registry and the admin list. Each checks the
//! caller, validates, applies and queues an audit event.

use crate::state::{BackendState, SCHEMA_VERSION, SERVICE_NAME};
use audit_storage_api::{AuditAction, AuditOutcome, LogEventArgs};
use backend_api::Microservices;
use candid::Principal;
use fleet_api::{FleetError, FleetResult, ServiceHealth, SetupStatus};
use ic_stable_structures::Memory;
use service_base::ic_env::RuntimeFacts;
use service_base::Caller;
use std::collections::BTreeSet;

impl<M: Memory> BackendState<M> {
    fn audit_admin(&mut self, caller: &Caller, action: AuditAction, metadata: String) {
        self.audit(LogEventArgs {
            user: caller.principal,
            action,
            service: SERVICE_NAME.into(),
            contract: None,
            invoice_id: None,
            outcome: AuditOutcome::Success,
            metadata,
            request_id: None,
        });
    }

    pub fn set_config_value(&mut self, caller: &Caller, key: &str, value: &str, now: u64) -> FleetResult<()> {
        self.access.require_admin(caller)?;
        let stored = self.config.set(key, value, now, caller.principal)?;
        self.audit_admin(caller, AuditAction::ConfigChanged, format!("{key}={stored}"));
        Ok(())
    }

    pub fn set_maintenance_mode(&mut self, caller: &Caller, on: bool, _now: u64) -> FleetResult<()> {
        self.access.require_admin(caller)?;
        self.update_settings(|settings| settings.maintenance_mode = on);
        self.audit_admin(caller, AuditAction::MaintenanceModeChanged, format!("maintenance_mode={on}"));
        Ok(())
    }

    /// Sets the seven canisters of the fleet. They must be seven distinct real canisters.
    pub fn setup_microservices(
        &mut self,
        caller: &Caller,
        services: Microservices,
        self_id: Principal,
    ) -> FleetResult<()> {
        self.access.require_admin(caller)?;
        let named = services.named();
        for (name, id) in named {
            if id == Principal::anonymous() || id == Principal::management_canister() || id == self_id {
                return Err(FleetError::invalid(format!("{name}: {id} cannot be a fleet service")));
            }
        }
        let distinct: BTreeSet<Principal> = named.iter().map(|(_, id)| *id).collect();
        if distinct.len() != named.len() {
            return Err(FleetError::invalid("the seven services must be seven different canisters"));
        }
        self.update_settings(|settings| settings.microservices = Some(services));
        let listing = named.iter().map(|(name, id)| format!("{name}={id}")).collect::<Vec<_>>().join(", ");
        self.audit_admin(caller, AuditAction::MicroservicesConfigured, listing);
        Ok(())
    }

    pub fn add_admin(&mut self, caller: &Caller, admin: Principal, now: u64) -> FleetResult<()> {
        self.access.add_admin(caller, admin, now)?;
        self.audit_admin(caller, AuditAction::AdminChanged, format!("added {admin}"));
        Ok(())
    }

    pub fn remove_admin(&mut self, caller: &Caller, admin: Principal) -> FleetResult<()> {
        self.access.remove_admin(caller, admin)?;
        self.audit_admin(caller, AuditAction::AdminChanged, format!("removed {admin}"));
        Ok(())
    }

    /// Healthy when the schema is current and nothing waits for an operator (dead letters, unresolvable
    /// deployments or withdrawals). Counts come from the indexes' lengths: no record is decoded.
    pub fn health(&self, facts: &RuntimeFacts) -> ServiceHealth {
        let mut problems = vec![];
        if self.schema_version() != SCHEMA_VERSION {
            problems.push(format!("schema version {} but code expects {SCHEMA_VERSION}", self.schema_version()));
        }
        let needs_operator = self.flagged_count();
        if needs_operator > 0 {
            problems.push(format!("{needs_operator} deployments need an operator (see resolveDeployment)"));
        }
        if self.withdrawal_needs_operator() {
            problems.push("the last fee withdrawal needs an operator (see getWithdrawals)".into());
        }
        if !self.dead_letters.is_empty() {
            problems.push(format!("{} storage records were refused (dead letters)", self.dead_letters.len()));
        }
        let summary = format!(
            "{} deployments, {} open ({} waiting to be retried), {} records queued",
            self.deployments.len(),
            self.open_deployments.len(),
            self.due_deployments.len(),
            self.outbox.len()
        );
        // Unhealthy reports keep the summary after the problems.
        if !problems.is_empty() {
            problems.push(summary.clone());
        }
        facts.health_report(SERVICE_NAME, env!("CARGO_PKG_VERSION"), problems, || summary)
    }

    /// The backend writes to the storages and factories; what it lacks is its registry and ledger.
    pub fn setup_status(&self, canister_id: Principal) -> SetupStatus {
        let settings = self.settings();
        let mut missing = vec![];
        if settings.microservices.is_none() {
            missing.push("microservices: an admin must call setupMicroservices".to_string());
        }
        if settings.payment_ledger.is_none() {
            missing.push("payment ledger".to_string());
        }
        SetupStatus {
            service: SERVICE_NAME.into(),
            canister_id,
            whitelisted: vec![],
            ready: missing.is_empty(),
            missing,
        }
    }
}
