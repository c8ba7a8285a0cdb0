//! The timers that finish work no caller waits for: reporting recipients to the factory, re-sending transfers of
//! unknown outcome, and the Funded → Active change at the start of vesting. Timers live in the heap; everything they
//! act on is in the books, so `post_upgrade` re-arms them from it ([`arm_all`]).

use crate::books::Status;
use crate::flows;
use crate::runtime::IcRuntime;
use crate::state::{self, CanisterState};
use contract_runtime::timers::{self, Backoff, RetryDelay};
use std::cell::Cell;
use std::time::Duration;

/// The factory allows a burst of 60 callback calls, then one a minute: wait that long after a refusal.
const REPORT_RETRY: Duration = Duration::from_secs(60);
/// Re-sends of transfers of unknown outcome: 5 s, doubling while some are left, at most 5 min.
const RESEND: Backoff = Backoff::new(Duration::from_secs(5), Duration::from_secs(300));

thread_local! {
    static REPORT_ARMED: Cell<bool> = const { Cell::new(false) };
    static RESEND_ARMED: Cell<bool> = const { Cell::new(false) };
    static RESEND_DELAY: RetryDelay = const { RetryDelay::new(RESEND) };
    static ACTIVATION_ARMED: Cell<bool> = const { Cell::new(false) };
}

/// Arms whatever the books say is still to do: after install, after every update, after an upgrade.
pub fn arm_all() {
    if state::read(|d| d.participants_pending()) {
        arm_report(Duration::ZERO);
    }
    if state::read(|d| !d.resendable(1).is_empty()) {
        arm_resend();
    }
    arm_activation();
}

fn arm_report(delay: Duration) {
    let round = flows::report_participants(&CanisterState, &IcRuntime);
    timers::set_once(&REPORT_ARMED, delay, round, |result| {
        if let Err(e) = result {
            ic_cdk::api::debug_print(format!("notifyParticipantsAdded failed, retrying in a minute: {e}"));
            arm_report(REPORT_RETRY);
        }
    });
}

fn arm_resend() {
    let round = flows::resend_pending(&CanisterState, &IcRuntime);
    timers::set_once(&RESEND_ARMED, RESEND_DELAY.with(RetryDelay::current), round, |left| {
        if left {
            RESEND_DELAY.with(RetryDelay::failed);
            arm_resend();
        } else {
            RESEND_DELAY.with(RetryDelay::reset);
        }
    });
}

fn arm_activation() {
    let now = ic_cdk::api::time();
    let due = state::read(|d| match (d.books().status, d.books().active_from) {
        (Status::Funded, Some(at)) => Some(at.saturating_sub(now)),
        _ => None,
    });
    let Some(wait) = due else { return };
    if ACTIVATION_ARMED.replace(true) {
        return;
    }
    ic_cdk_timers::set_timer(Duration::from_nanos(wait), async {
        ACTIVATION_ARMED.set(false);
        flows::activate_if_due(&CanisterState, &IcRuntime).await;
    });
}
