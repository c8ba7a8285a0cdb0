//! What a contract still has to tell its factory: participants not yet reported (`notifyParticipantsAdded`) and the
//! latest status text (`notifyStatusChanged`). Kept in two stable structures of the kind's own memory, so that
//! neither the install's timer (calls are not allowed in `init`) nor an upgrade loses a report. A kind holds a
//! [`FactoryReports`] in its state, queues into it from its logic, and a timer sends rounds with [`send_round`]:
//! failed rounds back off from 2 s doubling to 10 min, and the contract stops retrying after
//! [`MAX_REPORT_ATTEMPTS`] until something new is queued or it is upgraded.
//!
//! The calls themselves go through [`FactoryNotifier`], part of every kind's runtime trait: the canister's runtime
//! takes the provided methods (the callbacks of [`crate::factory_client`]), the tests' fake runtime records them.

use crate::storable::Candid;
use crate::timers::Backoff;
use candid::{CandidType, Principal};
use fleet_api::contract::callbacks::MAX_PARTICIPANTS_PER_CALL;
use fleet_api::FleetError;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use serde::Deserialize;
use std::time::Duration;

/// Failed report rounds in a row after which the contract stops retrying until something new is queued or the
/// contract is upgraded (2 s doubling to 10 min: about 50 minutes in all).
pub const MAX_REPORT_ATTEMPTS: u32 = 12;
const RETRY: Backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(600));

/// The stored state of the reports (a candid record: a later version may add `opt` fields).
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ReportState {
    /// The status text to report (`notifyStatusChanged`), `None` once reported.
    pub pending_status: Option<String>,
    /// Failed rounds in a row.
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// The factory callbacks a report round makes. Every kind's runtime trait has it as a supertrait; the provided
/// methods are the canister's (bounded-wait calls to the factory, `Ok` without one), a fake overrides them.
#[allow(async_fn_in_trait)] // Futures run on the canister's single thread; no Send bound wanted.
pub trait FactoryNotifier {
    /// `notifyParticipantsAdded`, in batches the factory accepts (`Ok` without a factory).
    async fn notify_participants_added(&self, users: &[Principal]) -> Result<(), FleetError> {
        crate::notify_participants_added(users).await
    }

    /// `notifyStatusChanged` (`Ok` without a factory).
    async fn notify_status_changed(&self, status: String) -> Result<(), FleetError> {
        crate::notify_status_changed(status).await
    }
}

/// The queue of reports, over two memories of the kind (their ids are the kind's, named in its `memory.rs`).
pub struct FactoryReports<M: Memory> {
    unreported_participants: StableBTreeMap<Principal, (), M>,
    state: StableCell<Candid<ReportState>, M>,
}

impl<M: Memory> FactoryReports<M> {
    /// Opens the queue: empty on a fresh canister, the stored one after an upgrade.
    pub fn open(unreported_participants: M, state: M) -> Self {
        Self {
            unreported_participants: StableBTreeMap::init(unreported_participants),
            state: StableCell::init(state, Candid(ReportState::default())),
        }
    }

    /// Queues `user` for `notifyParticipantsAdded` (queuing one twice reports it once).
    pub fn queue_participant(&mut self, user: Principal) {
        self.unreported_participants.insert(user, ());
    }

    /// Drops `user` from the queue (a participant removed before it was reported).
    pub fn unqueue_participant(&mut self, user: &Principal) {
        self.unreported_participants.remove(user);
    }

    /// Queues `status` for `notifyStatusChanged`, replacing an older one not yet sent, and retries from the first
    /// attempt.
    pub fn queue_status(&mut self, status: String) {
        self.update(|r| {
            r.pending_status = Some(status);
            r.attempts = 0;
        });
    }

    /// The next participants to report, at most one factory call's worth.
    pub fn participants_to_report(&self) -> Vec<Principal> {
        self.unreported_participants.keys().take(MAX_PARTICIPANTS_PER_CALL).collect()
    }

    /// The factory indexed `users`: forget them (one queued again meanwhile is simply reported again).
    pub fn participants_reported(&mut self, users: &[Principal]) {
        for user in users {
            self.unreported_participants.remove(user);
        }
    }

    pub fn status_to_report(&self) -> Option<String> {
        self.state.get().0.pending_status.clone()
    }

    /// The factory has `status`; a newer status queued meanwhile stays pending.
    pub fn status_reported(&mut self, status: &str) {
        self.update(|r| {
            if r.pending_status.as_deref() == Some(status) {
                r.pending_status = None;
            }
        });
    }

    pub fn has_pending(&self) -> bool {
        !self.unreported_participants.is_empty() || self.state.get().0.pending_status.is_some()
    }

    /// Whether a timer should start a round: reports are queued and the contract has not given up on them.
    pub fn round_due(&self) -> bool {
        self.has_pending() && self.state.get().0.attempts == 0
    }

    /// A report round went through: reset the failure count.
    pub fn round_succeeded(&mut self) {
        self.update(|r| {
            r.attempts = 0;
            r.last_error = None;
        });
    }

    /// A report round failed with `error`: the delay before the next round, or `None` when the contract gives up
    /// for now (the reports stay queued).
    pub fn round_failed(&mut self, error: String) -> Option<Duration> {
        let mut attempts = 0;
        self.update(|r| {
            r.attempts += 1;
            r.last_error = Some(error);
            attempts = r.attempts;
        });
        (attempts < MAX_REPORT_ATTEMPTS).then(|| RETRY.delay(attempts))
    }

    /// After an upgrade: retry from the first attempt again.
    pub fn reset_attempts(&mut self) {
        self.update(|r| r.attempts = 0);
    }

    pub fn state(&self) -> ReportState {
        self.state.get().0.clone()
    }

    pub fn unreported_count(&self) -> u64 {
        self.unreported_participants.len()
    }

    /// The queue of participants, for a kind's stable-memory statistics.
    pub fn unreported_participants(&self) -> &StableBTreeMap<Principal, (), M> {
        &self.unreported_participants
    }

    /// The part of a kind's health text about reports: `; factory reports pending: N participants` and the last
    /// error, or nothing when nothing is pending.
    pub fn pending_summary(&self) -> String {
        let reports = self.state();
        let unreported = self.unreported_count();
        if unreported == 0 && reports.pending_status.is_none() {
            return String::new();
        }
        let mut text = format!("; factory reports pending: {unreported} participants");
        if let Some(error) = &reports.last_error {
            text.push_str(&format!(" (attempt {}: {error})", reports.attempts));
        }
        text
    }

    fn update(&mut self, f: impl FnOnce(&mut ReportState)) {
        let mut state = self.state.get().0.clone();
        f(&mut state);
        self.state.set(Candid(state));
    }
}

/// Access to a kind's [`FactoryReports`] for code that awaits in between (each `with_reports` is one short borrow,
/// never held across an await).
pub trait ReportsCell<M: Memory> {
    fn with_reports<R>(&self, f: impl FnOnce(&mut FactoryReports<M>) -> R) -> R;
}

/// One round of factory reports: the queued participants (one batch), then the status. The delay before the next
/// round, or `None` when nothing is left (or the contract gives up until something new is queued).
pub async fn send_round<M: Memory>(notifier: &impl FactoryNotifier, cell: &impl ReportsCell<M>) -> Option<Duration> {
    let batch = cell.with_reports(|r| r.participants_to_report());
    if !batch.is_empty() {
        if let Err(e) = notifier.notify_participants_added(&batch).await {
            return cell.with_reports(|r| r.round_failed(format!("notifyParticipantsAdded: {e}")));
        }
        cell.with_reports(|r| r.participants_reported(&batch));
    }
    if let Some(status) = cell.with_reports(|r| r.status_to_report()) {
        if let Err(e) = notifier.notify_status_changed(status.clone()).await {
            return cell.with_reports(|r| r.round_failed(format!("notifyStatusChanged: {e}")));
        }
        cell.with_reports(|r| r.status_reported(&status));
    }
    cell.with_reports(|r| {
        r.round_succeeded();
        r.has_pending().then_some(Duration::ZERO)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::block_on;
    use ic_stable_structures::VectorMemory;
    use std::cell::{Cell, RefCell};

    #[derive(Default)]
    struct Factory {
        refusals: Cell<u32>,
        participants: RefCell<Vec<Vec<Principal>>>,
        statuses: RefCell<Vec<String>>,
    }

    impl Factory {
        fn refuse(&self) -> Result<(), FleetError> {
            if self.refusals.get() > 0 {
                self.refusals.set(self.refusals.get() - 1);
                return Err(FleetError::invalid_state("rate limited"));
            }
            Ok(())
        }
    }

    impl FactoryNotifier for Factory {
        async fn notify_participants_added(&self, users: &[Principal]) -> Result<(), FleetError> {
            self.refuse()?;
            self.participants.borrow_mut().push(users.to_vec());
            Ok(())
        }

        async fn notify_status_changed(&self, status: String) -> Result<(), FleetError> {
            self.refuse()?;
            self.statuses.borrow_mut().push(status);
            Ok(())
        }
    }

    impl ReportsCell<VectorMemory> for RefCell<FactoryReports<VectorMemory>> {
        fn with_reports<R>(&self, f: impl FnOnce(&mut FactoryReports<VectorMemory>) -> R) -> R {
            f(&mut self.borrow_mut())
        }
    }

    fn user(n: u32) -> Principal {
        let mut bytes = [7u8; 29];
        bytes[..4].copy_from_slice(&n.to_be_bytes());
        Principal::from_slice(&bytes)
    }

    fn open(a: &VectorMemory, b: &VectorMemory) -> RefCell<FactoryReports<VectorMemory>> {
        RefCell::new(FactoryReports::open(a.clone(), b.clone()))
    }

    #[test]
    fn participants_go_in_batches_the_factory_accepts_then_the_status() {
        let (a, b) = (VectorMemory::default(), VectorMemory::default());
        let reports = open(&a, &b);
        let count = MAX_PARTICIPANTS_PER_CALL as u32 + 1;
        reports.with_reports(|r| {
            (0..count).for_each(|n| r.queue_participant(user(n)));
            r.queue_status("Active".into());
        });
        let factory = Factory::default();
        assert_eq!(block_on(send_round(&factory, &reports)), Some(Duration::ZERO), "one more batch to go");
        assert_eq!(block_on(send_round(&factory, &reports)), None);
        let sizes: Vec<usize> = factory.participants.borrow().iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![MAX_PARTICIPANTS_PER_CALL, 1]);
        assert_eq!(factory.statuses.borrow().clone(), vec!["Active".to_string()]);
        assert!(!reports.with_reports(|r| r.has_pending()));
        assert_eq!(reports.with_reports(|r| r.pending_summary()), "");
    }

    #[test]
    fn refusals_back_off_give_up_and_the_queue_survives_reopening() {
        let (a, b) = (VectorMemory::default(), VectorMemory::default());
        let reports = open(&a, &b);
        reports.with_reports(|r| r.queue_participant(user(1)));
        let factory = Factory::default();
        factory.refusals.set(MAX_REPORT_ATTEMPTS);
        let mut delays = vec![];
        while let Some(delay) = block_on(send_round(&factory, &reports)) {
            delays.push(delay.as_secs());
        }
        assert_eq!(delays, vec![2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
        assert!(!reports.with_reports(|r| r.round_due()), "gave up");
        let summary = reports.with_reports(|r| r.pending_summary());
        assert_eq!(
            summary,
            "; factory reports pending: 1 participants (attempt 12: notifyParticipantsAdded: invalid state: rate limited)"
        );
        let reopened = open(&a, &b);
        reopened.with_reports(|r| r.reset_attempts());
        assert!(reopened.with_reports(|r| r.round_due()));
        assert_eq!(block_on(send_round(&factory, &reopened)), None);
        assert_eq!(factory.participants.borrow().clone(), vec![vec![user(1)]]);
    }

    #[test]
    fn a_status_queued_while_the_older_one_is_sent_stays_pending() {
        let (a, b) = (VectorMemory::default(), VectorMemory::default());
        let reports = open(&a, &b);
        reports.with_reports(|r| {
            r.queue_status("Open".into());
            r.status_reported("Draft");
        });
        assert_eq!(reports.with_reports(|r| r.status_to_report()), Some("Open".into()));
        reports.with_reports(|r| r.status_reported("Open"));
        assert_eq!(reports.with_reports(|r| r.status_to_report()), None);
    }
}
