//! Calls from deployed contracts. Each is accepted only when the caller is the contract it speaks for
//! (`contract_id == caller`) and that contract was deployed by this factory; anything else is `Unauthorized` and
//! counted, never applied.

use candid::Principal;
use fleet_api::FleetError;
use ic_stable_structures::Memory;

use crate::factory::Factory;

/// Length limit of a `notifyStatusChanged` text.
pub use crate::contracts::MAX_STATUS_TEXT;

impl<M: Memory> Factory<M> {
    fn authorize_contract(&mut self, caller: Principal, contract_id: Principal) -> Result<(), FleetError> {
        let result = if caller != contract_id {
            Err(FleetError::unauthorized("a contract may only report for itself (contract_id must be the caller)"))
        } else if !self.contracts.contains(&caller) {
            Err(FleetError::unauthorized("caller is not a contract deployed by this factory"))
        } else {
            Ok(())
        };
        self.contracts.update_stats(|s| match result {
            Ok(()) => s.callbacks_accepted += 1,
            Err(_) => s.callbacks_rejected += 1,
        });
        result
    }

    /// `notifyDeploymentComplete`: Deploying → Active. A contract whose install call has not yet returned to the
    /// factory (its timer can fire first) is remembered on its pending deployment and recorded Active directly.
    pub fn notify_deployment_complete(
        &mut self,
        caller: Principal,
        contract_id: Principal,
        now: u64,
    ) -> Result<(), FleetError> {
        if caller == contract_id && !self.contracts.contains(&caller) {
            if let Some(pending) = self.inflight.by_canister(&caller) {
                self.inflight.update(pending.id, |d| d.confirmed_early = true);
                self.contracts.update_stats(|s| s.callbacks_accepted += 1);
                return Ok(());
            }
        }
        self.authorize_contract(caller, contract_id)?;
        self.contracts.confirm(&contract_id, now)
    }

    pub fn notify_participant_added(
        &mut self,
        caller: Principal,
        contract_id: Principal,
        user: Principal,
    ) -> Result<(), FleetError> {
        self.authorize_contract(caller, contract_id)?;
        if user == Principal::anonymous() {
            return Err(FleetError::invalid("the anonymous principal cannot be a participant"));
        }
        self.contracts.add_participant(&contract_id, user).map(|_| ())
    }

    pub fn notify_status_changed(
        &mut self,
        caller: Principal,
        contract_id: Principal,
        status: String,
    ) -> Result<(), FleetError> {
        self.authorize_contract(caller, contract_id)?;
        self.contracts.set_reported_status(&contract_id, status)
    }

    pub fn notify_visibility_changed(
        &mut self,
        caller: Principal,
        contract_id: Principal,
        is_public: bool,
    ) -> Result<(), FleetError> {
        self.authorize_contract(caller, contract_id)?;
        self.contracts.set_visibility(&contract_id, is_public)
    }
}
