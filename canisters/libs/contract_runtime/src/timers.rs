//! The two timer patterns every contract kind uses: a job of which at most one timer is set at a time
//! ([`set_once`]), and the retry policy of work that failed or is left over ([`Backoff`], [`RetryDelay`]).
//!
//! Timers live in the heap and an upgrade drops them; what a job works on is in stable memory, so each kind re-arms
//! its jobs from its state in `post_upgrade`, and a job's slot (a `thread_local!` `Cell<bool>`) starts free again.

use std::cell::Cell;
use std::future::Future;
use std::thread::LocalKey;
use std::time::Duration;

/// Sets a timer that awaits `work` after `delay` and then calls `then` with its result, unless `slot` says such a
/// timer is already set or running (then nothing happens: the running one picks up what is queued meanwhile). The
/// slot is free again before `then` runs, so `then` may arm the job once more (a retry, the next batch).
pub fn set_once<R, W, T>(slot: &'static LocalKey<Cell<bool>>, delay: Duration, work: W, then: T)
where
    W: Future<Output = R> + 'static,
    T: FnOnce(R) + 'static,
{
    if slot.replace(true) {
        return;
    }
    ic_cdk_timers::set_timer(delay, async move {
        let result = work.await;
        slot.set(false);
        then(result);
    });
}

/// How long to wait before the next try: `first` after the first failure, doubling after each further one, never
/// more than `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Backoff {
    pub const fn new(first: Duration, max: Duration) -> Self {
        Self { first, max }
    }

    /// The delay after `failures` failures in a row (`first` for 0 and 1).
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 1u32.checked_shl(failures.saturating_sub(1)).unwrap_or(u32::MAX);
        self.first.saturating_mul(factor).min(self.max)
    }
}

/// The heap state of a job retried with a [`Backoff`]: how many rounds in a row left work undone. Heap only: an
/// upgrade starts again from `first`, which is what a fresh code version should do.
pub struct RetryDelay {
    policy: Backoff,
    failures: Cell<u32>,
}

impl RetryDelay {
    pub const fn new(policy: Backoff) -> Self {
        Self { policy, failures: Cell::new(0) }
    }

    /// The delay of the next round.
    pub fn current(&self) -> Duration {
        self.policy.delay(self.failures.get() + 1)
    }

    /// A round left work undone: the next one waits twice as long (up to the policy's `max`).
    pub fn failed(&self) {
        self.failures.set(self.failures.get().saturating_add(1));
    }

    /// A round finished everything: the next one (when new work comes) waits `first`.
    pub fn reset(&self) {
        self.failures.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_first_and_stop_at_max() {
        let policy = Backoff::new(Duration::from_secs(5), Duration::from_secs(300));
        let secs: Vec<u64> = (0..10).map(|n| policy.delay(n).as_secs()).collect();
        assert_eq!(secs, vec![5, 5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(policy.delay(u32::MAX), Duration::from_secs(300), "no overflow");
    }

    #[test]
    fn a_retry_delay_grows_with_failed_rounds_and_resets() {
        let retry = RetryDelay::new(Backoff::new(Duration::from_secs(5), Duration::from_secs(300)));
        assert_eq!(retry.current(), Duration::from_secs(5));
        retry.failed();
        retry.failed();
        assert_eq!(retry.current(), Duration::from_secs(20));
        (0..40).for_each(|_| retry.failed());
        assert_eq!(retry.current(), Duration::from_secs(300));
        retry.reset();
        assert_eq!(retry.current(), Duration::from_secs(5));
    }
}
