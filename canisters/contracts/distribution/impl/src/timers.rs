//! The timers that finish work no caller waits for: reporting recipients to the factory, re-sending transfers of
//! unknown outcome, and the Funded → Active change at the start of vesting. Timers live in the heap; everything they
//! act on is in the books, so `post_upgrade` re-arms them from it ([`arm_all`]).

use crate::books::Status;
use crate::flows;
use crate::runtime::IcRuntime;
use crate::state::{self, CanisterState};
use std::cell::Cell;
use std::time::Duration;

/// The factory allows a burst of 60 callback calls, then one a minute: wait that long after a refusal.
const REPORT_RETRY: Duration = Duration::from_secs(60);
const FIRST_RESEND: Duration = Duration::from_secs(5);
const MAX_RESEND: Duration = Duration::from_secs(300);

thread_local! {
    static REPORT_ARMED: Cell<bool> = const { Cell::new(false) };
    static RESEND_ARMED: Cell<bool> = const { Cell::new(false) };
    static RESEND_DELAY: Cell<Duration> = const { Cell::new(FIRST_RESEND) };
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
    if REPORT_ARMED.replace(true) {
        return;
    }
    ic_cdk_timers::set_timer(delay, async {
        let result = flows::report_participants(&CanisterState, &IcRuntime).await;
        REPORT_ARMED.set(false);
        if let Err(e) = result {
            ic_cdk::api::debug_print(format!("notifyParticipantsAdded failed, retrying in a minute: {e}"));
            arm_report(REPORT_RETRY);
        }
    });
}

fn arm_resend() {
    if RESEND_ARMED.replace(true) {
        return;
    }
    let delay = RESEND_DELAY.get();
    ic_cdk_timers::set_timer(delay, async move {
        let left = flows::resend_pending(&CanisterState, &IcRuntime).await;
        RESEND_ARMED.set(false);
        if left {
            RESEND_DELAY.set((delay * 2).min(MAX_RESEND));
            arm_resend();
        } else {
            RESEND_DELAY.set(FIRST_RESEND);
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
