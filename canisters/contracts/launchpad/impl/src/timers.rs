//! The timers that do the work no caller waits for: the sale's clock (reporting Open at the start, deciding the sale
//! at the end), re-sending contributions and transfers of unknown outcome, the refund job of a failed sale, the
//! owner payouts a refusal left undone, and reporting buyers to the factory. Timers live in the heap; everything they
//! act on is in the books, so `post_upgrade` re-arms them from it ([`arm_all`]).

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
/// After a round of refunds or owner payouts in which a ledger refused something.
const AFTER_REFUSAL: Duration = Duration::from_secs(60);

thread_local! {
    static REPORT_ARMED: Cell<bool> = const { Cell::new(false) };
    static RESEND_ARMED: Cell<bool> = const { Cell::new(false) };
    static RESEND_DELAY: RetryDelay = const { RetryDelay::new(RESEND) };
    static CLOCK_ARMED: Cell<Option<u64>> = const { Cell::new(None) };
    static REFUNDS_ARMED: Cell<bool> = const { Cell::new(false) };
    static PAYOUTS_ARMED: Cell<bool> = const { Cell::new(false) };
}

/// Arms whatever the books say is still to do: after install, after every update, after an upgrade.
pub fn arm_all() {
    if state::read(|l| l.participants_pending()) {
        arm_report(Duration::ZERO);
    }
    if state::read(|l| l.has_pending()) {
        arm_resend();
    }
    if state::read(|l| l.refund_job_due()) {
        arm_refunds(Duration::ZERO);
    }
    if state::read(|l| l.owner_payouts_due() || l.sale_return_due()) {
        arm_payouts();
    }
    arm_clock();
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
        arm_all();
    });
}

fn arm_refunds(delay: Duration) {
    let round = flows::refund_round(&CanisterState, &IcRuntime);
    timers::set_once(&REFUNDS_ARMED, delay, round, |(more, clean)| {
        if more {
            arm_refunds(if clean { Duration::ZERO } else { AFTER_REFUSAL });
        }
        arm_all();
    });
}

fn arm_payouts() {
    let round = flows::finalize_and_pay(&CanisterState, &IcRuntime);
    timers::set_once(&PAYOUTS_ARMED, AFTER_REFUSAL, round, |()| arm_all());
}

/// One timer at the sale's next moment while it is undecided: its start (to report Open) once funded, its end, or
/// now when the end has passed with nothing in flight (the retry timer decides a sale that waits for a contribution).
fn arm_clock() {
    let now = ic_cdk::api::time();
    let due = state::read(|l| {
        let (config, books) = (l.config(), l.books());
        if books.outcome != crate::books::Outcome::Undecided {
            None
        } else if books.funded_at.is_some() && now < config.start_time {
            Some(config.start_time)
        } else if now < config.end_time {
            Some(config.end_time)
        } else {
            l.finalize_due(now).then_some(now)
        }
    });
    let Some(at) = due else { return };
    if CLOCK_ARMED.get().is_some_and(|armed| armed <= at && armed >= now) {
        return;
    }
    CLOCK_ARMED.set(Some(at));
    ic_cdk_timers::set_timer(Duration::from_nanos(at.saturating_sub(now)), async move {
        if CLOCK_ARMED.get() == Some(at) {
            CLOCK_ARMED.set(None);
        }
        flows::finalize_and_pay(&CanisterState, &IcRuntime).await;
        arm_all();
    });
}
