//! Reading the log. Admins and writers read everything; a user reads the events about themself. Every list is newest
//! first and costs O(log n + page), whatever the offset.

use crate::state::AuditState;
use audit_storage_api::{AuditAction, AuditEvent, TimeRange};
use candid::Principal;
use fleet_api::{FleetError, FleetResult, Page, PageRequest};
use ic_stable_structures::Memory;
use service_base::paging::Window;
use service_base::{Caller, ShortText};

impl<M: Memory> AuditState<M> {
    pub fn event(&self, caller: &Caller, id: u64) -> FleetResult<AuditEvent> {
        let event = self.events.get(id).map(|stored| stored.0);
        match event {
            Some(event) if event.user == caller.principal => Ok(event),
            Some(event) => self.core.access().require_reader(caller).map(|()| event),
            None => {
                self.core.access().require_reader(caller)?;
                Err(FleetError::not_found(format!("audit event {id}")))
            }
        }
    }

    pub fn events(&self, caller: &Caller, request: PageRequest) -> FleetResult<Page<AuditEvent>> {
        self.core.access().require_reader(caller)?;
        Ok(self.events_at(Window::newest_first(self.events.len(), request), 0))
    }

    pub fn events_by_user(
        &self,
        caller: &Caller,
        user: Principal,
        request: PageRequest,
    ) -> FleetResult<Page<AuditEvent>> {
        if caller.principal != user {
            self.core.access().require_reader(caller)?;
        }
        Ok(self.events_by_id(self.by_user.page_newest_first(&user, request)))
    }

    pub fn events_by_contract(
        &self,
        caller: &Caller,
        contract: Principal,
        request: PageRequest,
    ) -> FleetResult<Page<AuditEvent>> {
        self.core.access().require_reader(caller)?;
        Ok(self.events_by_id(self.by_contract.page_newest_first(&contract, request)))
    }

    pub fn events_by_action(
        &self,
        caller: &Caller,
        action: AuditAction,
        request: PageRequest,
    ) -> FleetResult<Page<AuditEvent>> {
        self.core.access().require_reader(caller)?;
        // A key too long to be stored cannot have been filed: the page is empty.
        let Some(key) = ShortText::new(action.index_key()) else {
            return Ok(Page { items: vec![], total: 0, next_offset: None });
        };
        Ok(self.events_by_id(self.by_action.page_newest_first(&key, request)))
    }

    /// Events with `range.from <= timestamp < range.to`. Timestamps never decrease along the log, so both ends are
    /// found by binary search.
    pub fn events_in_time_range(
        &self,
        caller: &Caller,
        range: TimeRange,
        request: PageRequest,
    ) -> FleetResult<Page<AuditEvent>> {
        self.core.access().require_reader(caller)?;
        if range.from > range.to {
            return Err(FleetError::invalid(format!("time range from {} is after to {}", range.from, range.to)));
        }
        let first = self.first_event_at_or_after(range.from);
        let end = self.first_event_at_or_after(range.to);
        Ok(self.events_at(Window::newest_first(end - first, request), first))
    }

    /// The id of the first event whose timestamp is `>= time` (the log length when there is none).
    fn first_event_at_or_after(&self, time: u64) -> u64 {
        let (mut lo, mut hi) = (0, self.events.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.timestamp_of(mid) < time {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn timestamp_of(&self, id: u64) -> u64 {
        self.events.get(id).map_or(u64::MAX, |stored| stored.0.timestamp)
    }

    /// The events at a window's positions, shifted by `base` (the id of position 0).
    fn events_at(&self, window: Window, base: u64) -> Page<AuditEvent> {
        let items = window.positions().filter_map(|position| self.events.get(base + position)).map(|s| s.0).collect();
        window.into_page(items)
    }

    fn events_by_id(&self, ids: Page<u64>) -> Page<AuditEvent> {
        let items = ids.items.iter().filter_map(|id| self.events.get(*id)).map(|stored| stored.0).collect();
        Page { items, total: ids.total, next_offset: ids.next_offset }
    }
}
