//! Writes to invoice and audit storage, queued in stable memory and sent in order.
//!
//! The flow never waits on storage to decide anything: it queues the record and moves on. A flush sends entries
//! oldest first; when a storage canister cannot be reached, has not whitelisted the backend yet, or fails inside, its
//! entries stay queued, in order, for the next flush, while entries for the other canister proceed. An entry the
//! storage refuses as wrong (invalid input or state, unknown invoice) would be refused forever: it moves to the dead
//! letters, which operators read (and `getHealth` reports).

use super::guard::FlagGuard;
use super::runtime::Runtime;
use crate::state::{BackendState, Shared};
use audit_storage_api::LogEventArgs;
use candid::{CandidType, Deserialize, Principal};
use fleet_api::FleetError;
use ic_stable_structures::Memory;
use invoice_storage_api::InvoiceTransition;
use service_base::Candid;
use std::collections::BTreeSet;

/// Most entries one flush sends, so a long backlog never makes a user's call slow.
pub const MAX_FLUSH: usize = 32;

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum OutboxItem {
    Invoice { storage: Principal, invoice_id: u64, transition: InvoiceTransition },
    Audit { storage: Principal, event: LogEventArgs },
}

impl OutboxItem {
    fn target(&self) -> Principal {
        match self {
            Self::Invoice { storage, .. } | Self::Audit { storage, .. } => *storage,
        }
    }
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    pub item: OutboxItem,
    pub error: FleetError,
    pub at: u64,
}

impl DeadLetter {
    fn into_view(self) -> backend_api::RefusedRecord {
        let description = match &self.item {
            OutboxItem::Invoice { invoice_id, transition, .. } => format!("invoice {invoice_id}: {transition:?}"),
            OutboxItem::Audit { event, .. } => {
                format!("audit: {} for {} ({:?})", event.action.index_key(), event.user, event.outcome)
            }
        };
        backend_api::RefusedRecord { storage: self.item.target(), description, error: self.error, at: self.at }
    }
}

impl<M: Memory> BackendState<M> {
    /// Queues `item` under a sequence number that never repeats (not even once the queue has emptied), which also
    /// makes the audit event's idempotency key: a re-send after a lost reply is recorded once.
    pub(crate) fn enqueue(&mut self, mut item: OutboxItem) {
        let after_queued = self.outbox.last_key_value().map_or(0, |(last, _)| last + 1);
        let seq = self.next_counter(crate::state::OUTBOX_SEQ).max(after_queued);
        self.counters.insert(crate::state::OUTBOX_SEQ, seq + 1);
        if let OutboxItem::Audit { event, .. } = &mut item {
            event.request_id = Some(self.key(super::keys::KeyUse::AuditEvent, seq));
        }
        self.outbox.insert(seq, Candid(item));
    }

    /// Queues an audit event for the configured audit storage (dropped when none is configured: there is nowhere
    /// it could ever go, and the deployment records keep the facts).
    pub(crate) fn audit(&mut self, event: LogEventArgs) {
        if let Some(services) = self.settings().microservices {
            self.enqueue(OutboxItem::Audit { storage: services.audit_storage, event });
        }
    }

    pub fn outbox_len(&self) -> u64 {
        self.outbox.len()
    }

    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.dead_letters.values().map(|stored| stored.0).collect()
    }

    /// The dead letters for operators (admins only), oldest first.
    pub fn refused_records(
        &self,
        caller: &service_base::Caller,
    ) -> fleet_api::FleetResult<Vec<backend_api::RefusedRecord>> {
        self.access.require_admin(caller)?;
        Ok(self.dead_letters().into_iter().map(DeadLetter::into_view).collect())
    }

    /// The oldest queued entry whose target is not in `skip`.
    fn next_entry(&self, skip: &BTreeSet<Principal>) -> Option<(u64, OutboxItem)> {
        self.outbox
            .iter()
            .map(|entry| {
                let (seq, item) = entry.into_pair();
                (seq, item.0)
            })
            .find(|(_, item)| !skip.contains(&item.target()))
    }

    fn settle(&mut self, seq: u64, refused: Option<FleetError>, now: u64) {
        if let Some(Candid(item)) = self.outbox.remove(&seq) {
            if let Some(error) = refused {
                let next = self.dead_letters.last_key_value().map_or(0, |(last, _)| last + 1);
                self.dead_letters.insert(next, Candid(DeadLetter { item, error, at: now }));
            }
        }
    }
}

/// Errors that say the entry itself is wrong: sending it again cannot succeed.
fn is_permanent(error: &FleetError) -> bool {
    matches!(
        error,
        FleetError::InvalidInput(_)
            | FleetError::InvalidState(_)
            | FleetError::NotFound(_)
            | FleetError::AlreadyExists(_)
    )
}

/// Sends up to [`MAX_FLUSH`] queued entries. Returns how many left the queue.
pub async fn flush<M: Memory, R: Runtime>(state: &Shared<M>, runtime: &R) -> usize {
    let Some(_flushing) = FlagGuard::try_acquire(state, |s| &mut s.flushing_outbox) else {
        return 0;
    };
    let mut unreachable = BTreeSet::new();
    let mut settled = 0;
    for _ in 0..MAX_FLUSH {
        let Some((seq, item)) = state.borrow().next_entry(&unreachable) else {
            break;
        };
        let target = item.target();
        let reply = match item {
            OutboxItem::Invoice { storage, invoice_id, transition } => {
                runtime.update_invoice_status(storage, invoice_id, transition).await.map(|r| r.map(drop))
            }
            OutboxItem::Audit { storage, event } => runtime.log_event(storage, event).await.map(|r| r.map(drop)),
        };
        match reply {
            Ok(Ok(())) => state.borrow_mut().settle(seq, None, runtime.now()),
            Ok(Err(refused)) if is_permanent(&refused) => state.borrow_mut().settle(seq, Some(refused), runtime.now()),
            // Unreachable, not whitelisted yet, or failing inside: keep the entry (and the ones after it) for later.
            Ok(Err(_)) | Err(_) => {
                unreachable.insert(target);
                continue;
            }
        }
        settled += 1;
    }
    settled
}
