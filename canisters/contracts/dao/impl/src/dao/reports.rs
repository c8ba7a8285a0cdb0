//! What the DAO still has to tell its factory: members not yet reported as participants (each member once, when
//! their first stake becomes active) and the latest status text. Kept in stable memory, so that neither the install's
//! timer (calls are not allowed in `init`) nor an upgrade loses a report; sent by `crate::executor::send_reports`.

use super::Dao;
use candid::{CandidType, Principal};
use contract_runtime::storable::Candid;
use fleet_api::contract::callbacks::MAX_PARTICIPANTS_PER_CALL;
use ic_stable_structures::Memory;
use serde::Deserialize;
use std::time::Duration;

/// Failed report rounds in a row after which the DAO stops retrying until something new is queued or the DAO
/// is upgraded (2 s doubling to 10 min: about 50 minutes in all).
pub const MAX_REPORT_ATTEMPTS: u32 = 12;
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(2);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ReportState {
    /// The status text to report (`notifyStatusChanged`), `None` once reported.
    pub pending_status: Option<String>,
    /// Failed rounds in a row.
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl<M: Memory> Dao<M> {
    /// The next participants to report, at most one factory call's worth.
    pub fn participants_to_report(&self) -> Vec<Principal> {
        self.unreported_participants.keys().take(MAX_PARTICIPANTS_PER_CALL).collect()
    }

    /// The factory indexed `users`: forget them (a member queued again meanwhile is simply reported again).
    pub fn participants_reported(&mut self, users: &[Principal]) {
        for user in users {
            self.unreported_participants.remove(user);
        }
    }

    pub fn status_to_report(&self) -> Option<String> {
        self.reports.get().0.pending_status.clone()
    }

    /// The factory has `status`; a newer status queued meanwhile stays pending.
    pub fn status_reported(&mut self, status: &str) {
        self.update_reports(|r| {
            if r.pending_status.as_deref() == Some(status) {
                r.pending_status = None;
            }
        });
    }

    pub(super) fn queue_status(&mut self, status: String) {
        self.update_reports(|r| {
            r.pending_status = Some(status);
            r.attempts = 0;
        });
    }

    pub fn has_reports_pending(&self) -> bool {
        !self.unreported_participants.is_empty() || self.reports.get().0.pending_status.is_some()
    }

    /// A report round went through: reset the failure count.
    pub fn report_round_succeeded(&mut self) {
        self.update_reports(|r| {
            r.attempts = 0;
            r.last_error = None;
        });
    }

    /// A report round failed with `error`: the delay before the next round, or `None` when the DAO gives up for
    /// now (the reports stay queued).
    pub fn report_round_failed(&mut self, error: String) -> Option<Duration> {
        let mut attempts = 0;
        self.update_reports(|r| {
            r.attempts += 1;
            r.last_error = Some(error);
            attempts = r.attempts;
        });
        (attempts < MAX_REPORT_ATTEMPTS).then(|| {
            let factor = 1u32.checked_shl(attempts - 1).unwrap_or(u32::MAX);
            FIRST_RETRY_DELAY.saturating_mul(factor).min(MAX_RETRY_DELAY)
        })
    }

    /// After an upgrade: retry from the first attempt again.
    pub fn reset_report_attempts(&mut self) {
        self.update_reports(|r| r.attempts = 0);
    }

    pub fn report_state(&self) -> ReportState {
        self.reports.get().0.clone()
    }

    fn update_reports(&mut self, f: impl FnOnce(&mut ReportState)) {
        let mut state = self.reports.get().0.clone();
        f(&mut state);
        self.reports.set(Candid(state));
    }
}
