//! The upgrade engine's endpoints every factory shares (`factory_engine::upgrade`), typed: rollouts for operators,
//! the journal, and the owner's own operations.

use crate::canister::CanisterClient;
use crate::error::ClientError;
use crate::transport::Transport;
use candid::Principal;
use factory_engine::upgrade::api::{
    JournalEntry, JournalFilter, RolloutPlan, RolloutView, TaskState, TaskView, UpgradePath,
};
use fleet_api::{Page, PageRequest, UpgradePolicy};

/// Candid method names of the upgrade endpoints (every factory `.did` names them the same).
pub mod methods {
    pub const START_ROLLOUT: &str = "startRollout";
    pub const PAUSE_ROLLOUT: &str = "pauseRollout";
    pub const RESUME_ROLLOUT: &str = "resumeRollout";
    pub const ABORT_ROLLOUT: &str = "abortRollout";
    pub const GET_ROLLOUT: &str = "getRollout";
    pub const LIST_ROLLOUTS: &str = "listRollouts";
    pub const LIST_ROLLOUT_TASKS: &str = "listRolloutTasks";
    pub const GET_UPGRADE_JOURNAL: &str = "getUpgradeJournal";
    pub const GET_UPGRADE_PATH: &str = "getUpgradePath";
    pub const SET_UPGRADE_POLICY: &str = "setUpgradePolicy";
    pub const UPGRADE_MY_CONTRACT: &str = "upgradeMyContract";
}

/// A factory's upgrade engine, over any transport.
#[derive(Clone, Copy)]
pub struct RolloutClient<'t> {
    canister: CanisterClient<'t>,
}

impl<'t> RolloutClient<'t> {
    pub fn new(transport: &'t dyn Transport, factory: Principal) -> Self {
        Self { canister: CanisterClient::new(transport, factory) }
    }

    pub fn id(&self) -> Principal {
        self.canister.id()
    }

    pub fn start(&self, plan: &RolloutPlan) -> Result<RolloutView, ClientError> {
        self.canister.update_result(methods::START_ROLLOUT, (plan,))
    }

    pub fn pause(&self, id: u64) -> Result<RolloutView, ClientError> {
        self.canister.update_result(methods::PAUSE_ROLLOUT, (id,))
    }

    /// Resumes a paused rollout, or widens a finished canary to every eligible contract.
    pub fn resume(&self, id: u64) -> Result<RolloutView, ClientError> {
        self.canister.update_result(methods::RESUME_ROLLOUT, (id,))
    }

    pub fn abort(&self, id: u64) -> Result<RolloutView, ClientError> {
        self.canister.update_result(methods::ABORT_ROLLOUT, (id,))
    }

    pub fn get(&self, id: u64) -> Result<RolloutView, ClientError> {
        self.canister.query_result(methods::GET_ROLLOUT, (id,))
    }

    pub fn list(&self, page: PageRequest) -> Result<Page<RolloutView>, ClientError> {
        let (reply,): (Page<RolloutView>,) = self.canister.query(methods::LIST_ROLLOUTS, (page,))?;
        Ok(reply)
    }

    pub fn tasks(&self, id: u64, state: Option<TaskState>, page: PageRequest) -> Result<Page<TaskView>, ClientError> {
        self.canister.query_result(methods::LIST_ROLLOUT_TASKS, (id, state, page))
    }

    /// Every task of `id` in `state`, following the pages.
    pub fn all_tasks(&self, id: u64, state: TaskState) -> Result<Vec<TaskView>, ClientError> {
        crate::canister::all_pages(|page| self.tasks(id, Some(state), page))
    }

    pub fn journal(&self, filter: &JournalFilter, page: PageRequest) -> Result<Page<JournalEntry>, ClientError> {
        self.canister.query_result(methods::GET_UPGRADE_JOURNAL, (filter, page))
    }

    pub fn upgrade_path(&self, contract: Principal, target: Option<String>) -> Result<UpgradePath, ClientError> {
        self.canister.query_result(methods::GET_UPGRADE_PATH, (contract, target))
    }

    /// As the contract's owner.
    pub fn set_upgrade_policy(&self, contract: Principal, policy: &UpgradePolicy) -> Result<(), ClientError> {
        self.canister.update_result(methods::SET_UPGRADE_POLICY, (contract, policy))
    }

    /// As the contract's owner.
    pub fn upgrade_my_contract(&self, contract: Principal, target: Option<String>) -> Result<TaskView, ClientError> {
        self.canister.update_result(methods::UPGRADE_MY_CONTRACT, (contract, target))
    }
}
