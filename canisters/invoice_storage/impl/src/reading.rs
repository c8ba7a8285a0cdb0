//! Reading invoices. Admins and writers read everything; a user reads their own invoices and their history. Lists
//! are newest first.

use crate::state::InvoiceState;
use candid::Principal;
use fleet_api::{FleetError, FleetResult, Page, PageRequest};
use ic_stable_structures::Memory;
use invoice_storage_api::{Invoice, InvoiceStatus, StatusChange, StatusCount};
use service_base::paging::Window;
use service_base::Caller;

impl<M: Memory> InvoiceState<M> {
    pub fn invoice(&self, caller: &Caller, id: u64) -> FleetResult<Invoice> {
        match self.invoices.get(&id).map(|stored| stored.0) {
            Some(invoice) if invoice.user == caller.principal => Ok(invoice),
            Some(invoice) => self.core.access().require_reader(caller).map(|()| invoice),
            None => {
                self.core.access().require_reader(caller)?;
                Err(FleetError::not_found(format!("invoice {id}")))
            }
        }
    }

    pub fn invoices_by_user(
        &self,
        caller: &Caller,
        user: Principal,
        request: PageRequest,
    ) -> FleetResult<Page<Invoice>> {
        if caller.principal != user {
            self.core.access().require_reader(caller)?;
        }
        let ids = self.by_user.page_newest_first(&user, request);
        let items = ids.items.iter().filter_map(|id| self.invoices.get(id)).map(|stored| stored.0).collect();
        Ok(Page { items, total: ids.total, next_offset: ids.next_offset })
    }

    /// Invoices currently in `status`, newest first. Costs O(log n + offset + page): statuses change, so this index
    /// is a set, not a sequence; the lists worth paging deep (Completed) are read by operators, not on hot paths.
    pub fn invoices_by_status(
        &self,
        caller: &Caller,
        status: InvoiceStatus,
        request: PageRequest,
    ) -> FleetResult<Page<Invoice>> {
        self.core.access().require_reader(caller)?;
        let total = self.status_count(status);
        if request.offset >= total {
            return Ok(Page { items: vec![], total, next_offset: None });
        }
        let code = status.code();
        let items: Vec<Invoice> = self
            .by_status
            .keys_range((code, 0)..=(code, u64::MAX))
            .rev()
            .skip(request.offset as usize)
            .take(request.effective_limit())
            .filter_map(|(_, id)| self.invoices.get(&id))
            .map(|stored| stored.0)
            .collect();
        let end = request.offset + items.len() as u64;
        Ok(Page { next_offset: (end < total && !items.is_empty()).then_some(end), items, total })
    }

    /// The changes of one invoice, newest first; the last page ends with its creation.
    pub fn history(&self, caller: &Caller, id: u64, request: PageRequest) -> FleetResult<Page<StatusChange>> {
        self.invoice(caller, id)?;
        let window = Window::newest_first(u64::from(self.history_len(id)), request);
        let items = window
            .positions()
            .filter_map(|seq| u32::try_from(seq).ok())
            .filter_map(|seq| self.history.get(&(id, seq)))
            .map(|stored| stored.0)
            .collect();
        Ok(window.into_page(items))
    }

    pub fn status_counts(&self) -> Vec<StatusCount> {
        InvoiceStatus::ALL
            .iter()
            .map(|status| StatusCount { status: *status, count: self.status_count(*status) })
            .collect()
    }
}
