//! The DAO's timers: the end of each proposal's voting period (decide, then execute what was adopted) and the
//! factory reports. Timers live in the heap; what they work on is in stable memory, so `post_upgrade` re-arms them
//! from it (a deadline that passed during the upgrade fires at once; an execution the upgrade interrupted is re-sent
//! identically).

use crate::executor;
use crate::ic_runtime::IcRuntime;
use crate::state::{self, CanisterDao};
use contract_runtime::timers;
use std::cell::Cell;
use std::time::Duration;

thread_local! {
    /// A report round is scheduled or running (one at a time; a running round picks up what is queued meanwhile).
    static REPORTS_ARMED: Cell<bool> = const { Cell::new(false) };
    /// The earliest deadline a timer is already set for.
    static DEADLINE_ARMED_FOR: Cell<Option<u64>> = const { Cell::new(None) };
    /// An execution round is scheduled or running.
    static EXECUTION_ARMED: Cell<bool> = const { Cell::new(false) };
}

/// Call after every update and in init/post_upgrade: starts a report round if reports are queued and none is
/// scheduled, sets a timer for the next deadline if none is set for it or earlier, and an execution round if
/// adopted proposals wait.
pub fn arm() {
    if state::read(|d| d.reports().round_due()) {
        schedule_reports(Duration::ZERO);
    }
    if let Some(at) = state::read(|d| d.next_deadline()) {
        if DEADLINE_ARMED_FOR.get().is_none_or(|armed| armed > at) {
            DEADLINE_ARMED_FOR.set(Some(at));
            let delay = Duration::from_nanos(at.saturating_sub(ic_cdk::api::time()));
            ic_cdk_timers::set_timer(delay, async {
                DEADLINE_ARMED_FOR.set(None);
                schedule_execution();
                arm();
            });
        }
    }
    if state::read(|d| !d.executions_due(1).is_empty()) {
        schedule_execution();
    }
}

/// A round that decides what is due and runs the adopted proposals; another round follows while work is left.
fn schedule_execution() {
    if EXECUTION_ARMED.get() {
        return;
    }
    EXECUTION_ARMED.set(true);
    ic_cdk_timers::set_timer(Duration::ZERO, async {
        let more = executor::decide_and_execute(&IcRuntime, &CanisterDao).await;
        EXECUTION_ARMED.set(false);
        if more {
            schedule_execution();
        }
        arm();
    });
}

fn schedule_reports(delay: Duration) {
    let round = executor::send_reports(&IcRuntime, &CanisterDao);
    timers::set_once(&REPORTS_ARMED, delay, round, |next| next.into_iter().for_each(schedule_reports));
}
