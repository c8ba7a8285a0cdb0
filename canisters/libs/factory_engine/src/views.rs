//! Read-only answers: a user's contracts, one contract, statistics, setup status and health.

use candid::Principal;
use fleet_api::{ContractInfo, FleetError, Page, PageRequest, ServiceHealth, SetupStatus};
use ic_stable_structures::Memory;

use crate::api::{ContractDetails, FactoryStats};
use crate::factory::Factory;
use crate::roles::{Caller, Role};

/// What the canister knows about itself that the state does not: for `getHealth`.
pub struct Vitals {
    pub canister_id: Principal,
    pub cycles: u128,
    pub memory_bytes: u64,
    pub now: u64,
    /// The factory's own code version.
    pub code_version: String,
}

impl<M: Memory> Factory<M> {
    /// `getMyContracts(user, page)`: every contract `user` created or takes part in, newest first. Private contracts
    /// are listed only when the caller is `user` or an admin.
    pub fn contracts_of(&self, caller: &Caller, user: Principal, page: PageRequest) -> Page<ContractInfo> {
        let include_private = caller.principal == user || self.roles.is_admin(caller);
        self.contracts.list_for_user(user, include_private, page, self.kind)
    }

    /// One contract. A private one is shown only to its creator, its participants and admins.
    pub fn contract(&self, caller: &Caller, id: Principal) -> Result<ContractDetails, FleetError> {
        let record = self.contracts.get(&id).ok_or_else(|| FleetError::not_found(format!("contract {id}")))?;
        let visible =
            record.is_public || self.roles.is_admin(caller) || self.contracts.is_member(&record, &caller.principal);
        if !visible {
            // Same answer as for an unknown id: a private contract's existence is not disclosed.
            return Err(FleetError::not_found(format!("contract {id}")));
        }
        Ok(record.details(self.kind))
    }

    pub fn stats(&self) -> FactoryStats {
        self.contracts.stats()
    }

    pub fn setup_status(&self, canister_id: Principal) -> SetupStatus {
        let whitelisted = self.roles.list(Role::Whitelisted);
        let mut missing = vec![];
        if whitelisted.is_empty() {
            missing.push("no backend is whitelisted: call setupWhitelist(backend)".to_string());
        }
        if self.registry.default_version().is_none() {
            missing
                .push(format!("no Published {} version in the registry: upload and finalize one", self.kind.as_str()));
        }
        SetupStatus {
            service: self.kind.factory_service().to_string(),
            canister_id,
            whitelisted,
            ready: missing.is_empty(),
            missing,
        }
    }

    /// `getHealth`: from counters and cells only (registry index, contract statistics, queue lengths), so its cost
    /// does not grow with the number of versions, contracts or participants.
    pub fn health(&self, vitals: Vitals) -> ServiceHealth {
        let config = self.config();
        let summary = self.registry.summary();
        let stats = self.contracts.stats();
        let mut problems = vec![];
        if self.roles.list(Role::Whitelisted).is_empty() {
            problems.push("no whitelisted backend".to_string());
        }
        if summary.default_version.is_none() {
            problems.push("no installable default version".to_string());
        }
        let needed = config.min_cycles_reserve.saturating_add(config.default_initial_cycles);
        if vitals.cycles < needed {
            problems.push(format!("cycles {} below reserve plus one deployment ({needed})", vitals.cycles));
        }
        if stats.orphaned_canisters > 0 {
            problems.push(format!("{} orphaned canister(s) from failed deployments", stats.orphaned_canisters));
        }
        let mut summary_text = format!(
            "{} contracts ({} deploying), default version {}, {} published / {} deprecated / {} yanked / {} uploading, whitelist {}",
            stats.contracts,
            stats.deploying,
            summary.default_version.as_deref().unwrap_or("none"),
            summary.published,
            summary.deprecated,
            summary.yanked,
            summary.uploading,
            if self.roles.list(Role::Whitelisted).is_empty() { "not configured" } else { "configured" },
        );
        let propagating = self.contracts.visibility_pending();
        if propagating > 0 {
            summary_text.push_str(&format!(", {propagating} visibility change(s) propagating"));
        }
        if let Some(limited) = stats.callbacks_rate_limited.filter(|n| *n > 0) {
            summary_text.push_str(&format!(", {limited} callback(s) refused by the rate limit"));
        }
        let healthy = problems.is_empty();
        let message = if healthy { summary_text } else { format!("{}; {summary_text}", problems.join("; ")) };
        ServiceHealth {
            service: self.kind.factory_service().to_string(),
            canister_id: vitals.canister_id,
            healthy,
            cycles: vitals.cycles.into(),
            memory_bytes: vitals.memory_bytes,
            version: vitals.code_version,
            message,
            checked_at: vitals.now,
        }
    }
}
