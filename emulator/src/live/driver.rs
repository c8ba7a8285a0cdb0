//! The background driver of a live subnet (pocket-ic's auto-progress): time follows the wall clock (it never goes
//! back, so a test that moved it ahead keeps its lead) and rounds run — at once while messages are queued, and every
//! `IDLE_ROUND_INTERVAL` otherwise, so timers and heartbeats fire and certificates carry a recent time.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Shared;

/// Time between two rounds when nothing is queued.
pub const IDLE_ROUND_INTERVAL: Duration = Duration::from_millis(100);

/// Runs rounds until `shared.stop` is set.
pub fn run(shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        let busy = {
            let mut subnet = shared.subnet();
            let now = wall_clock_nanos();
            if now > subnet.time_nanos {
                subnet.time_nanos = now;
            }
            subnet.tick();
            !subnet.scheduler.is_idle()
        };
        shared.rounds.send_modify(|round| *round += 1);
        if !busy {
            shared.sleep_until_woken(IDLE_ROUND_INTERVAL);
        }
    }
}

pub fn wall_clock_nanos() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    u64::try_from(nanos).unwrap_or(u64::MAX)
}
