//! The wallet's timers: the factory reports (participants, status) and the expiry of open proposals. Timers live in
//! the heap; what they work on is in stable memory, so `post_upgrade` re-arms them from it.

use crate::executor;
use crate::ic_runtime::IcRuntime;
use crate::state::{self, CanisterWallet};
use contract_runtime::timers;
use std::cell::Cell;
use std::time::Duration;

thread_local! {
    /// A report round is scheduled or running (one at a time; a running round picks up what is queued meanwhile).
    static REPORTS_ARMED: Cell<bool> = const { Cell::new(false) };
    /// The earliest expiry a timer is already set for.
    static EXPIRY_ARMED_FOR: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Call after every update and in init/post_upgrade: starts a report round if reports are queued and none is
/// scheduled, and sets a timer for the next expiry if none is set for it or earlier.
pub fn arm() {
    if state::read(|w| w.reports().round_due()) {
        schedule_reports(Duration::ZERO);
    }
    if let Some(at) = state::read(|w| w.next_expiry()) {
        if EXPIRY_ARMED_FOR.get().is_none_or(|armed| armed > at) {
            EXPIRY_ARMED_FOR.set(Some(at));
            let delay = Duration::from_nanos(at.saturating_sub(ic_cdk::api::time()));
            ic_cdk_timers::set_timer(delay, async {
                EXPIRY_ARMED_FOR.set(None);
                state::mutate(|w| w.expire_due(ic_cdk::api::time()));
                arm();
            });
        }
    }
}

fn schedule_reports(delay: Duration) {
    let round = executor::send_reports(&IcRuntime, &CanisterWallet);
    timers::set_once(&REPORTS_ARMED, delay, round, |next| next.into_iter().for_each(schedule_reports));
}
