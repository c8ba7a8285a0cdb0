//! What operators, users and the timer read of the deployments: each answer comes from an index, never from a scan
//! of every record.

use crate::state::BackendState;
use backend_api::Deployment;
use candid::Principal;
use fleet_api::{FleetError, FleetResult, Page, PageRequest};
use ic_stable_structures::Memory;
use service_base::Caller;

impl<M: Memory> BackendState<M> {
    /// Open deployments the timer should advance now, earliest due first. Reads only the due part of the index.
    pub fn due_deployments(&self, now: u64, max: usize) -> Vec<u64> {
        self.due_deployments
            .range((0, 0)..=(now, u64::MAX))
            .map(|entry| entry.key().1)
            .filter(|id| !self.busy_deployments.contains(id))
            .take(max)
            .collect()
    }

    /// How many open deployments wait for an operator.
    pub fn flagged_count(&self) -> u64 {
        self.flagged_deployments.len()
    }

    pub fn deployment(&self, caller: &Caller, id: u64) -> FleetResult<Deployment> {
        match self.deployment_record(id) {
            Some(record) if record.view.user == caller.principal => Ok(record.view),
            Some(record) => self.access.require_admin(caller).map(|()| record.view),
            None => {
                self.access.require_admin(caller)?;
                Err(FleetError::not_found(format!("deployment {id}")))
            }
        }
    }

    pub fn deployments_of(&self, user: Principal, request: PageRequest) -> Page<Deployment> {
        let ids = self.deployments_by_user.page_newest_first(&user, request);
        let items = ids.items.iter().filter_map(|id| self.deployment_record(*id)).map(|r| r.view).collect();
        Page { items, total: ids.total, next_offset: ids.next_offset }
    }

    /// Deployments not in a final stage, for operators (at most a page; open ones are few).
    pub fn open_deployments(&self, caller: &Caller, request: PageRequest) -> FleetResult<Page<Deployment>> {
        self.access.require_admin(caller)?;
        let total = self.open_deployments.len();
        let items: Vec<Deployment> = self
            .open_deployments
            .keys()
            .skip(request.offset.min(total) as usize)
            .take(request.effective_limit())
            .filter_map(|id| self.deployment_record(id))
            .map(|record| record.view)
            .collect();
        let end = request.offset.saturating_add(items.len() as u64);
        Ok(Page { next_offset: (end < total && !items.is_empty()).then_some(end), items, total })
    }
}
