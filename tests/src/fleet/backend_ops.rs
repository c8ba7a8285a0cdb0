//! Helpers for the backend's end-to-end tests: paying the backend, and reading what the storages recorded for a user.

use anyhow::Result;
use audit_storage_api::AuditEvent;
use candid::{Nat, Principal};
use fleet_api::{FleetError, Page, PageRequest};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};
use invoice_storage_api::Invoice;
use token_api::Account;

use super::Fleet;

impl Fleet {
    /// `owner` approves `amount` to the backend on the payment ledger (costs `owner` one ledger fee).
    pub fn approve_backend(&self, owner: Principal, amount: u128) -> Result<()> {
        let args = ApproveArgs {
            from_subaccount: None,
            spender: Account { owner: self.backend, subaccount: None },
            amount: Nat::from(amount),
            expected_allowance: None,
            expires_at: None,
            fee: None,
            memo: None,
            created_at_time: None,
        };
        let (reply,): (Result<Nat, ApproveError>,) = self.update(self.ledger, owner, "icrc2_approve", (args,))?;
        reply.map(|_| ()).map_err(|e| anyhow::anyhow!("icrc2_approve for {owner}: {e:?}"))
    }

    /// The newest 100 audit events about `user`, as the operator reads them.
    pub fn audit_events_of(&self, user: Principal) -> Result<Vec<AuditEvent>> {
        let (page,): (Result<Page<AuditEvent>, FleetError>,) =
            self.query(self.audit_storage, self.operator, "getEventsByUser", (user, PageRequest::new(0, 100)))?;
        Ok(page?.items)
    }

    /// The newest 100 invoices of `user`, as the operator reads them.
    pub fn invoices_of(&self, user: Principal) -> Result<Vec<Invoice>> {
        let (page,): (Result<Page<Invoice>, FleetError>,) =
            self.query(self.invoice_storage, self.operator, "getInvoicesByUser", (user, PageRequest::new(0, 100)))?;
        Ok(page?.items)
    }
}
