//! The one-shot "deployment complete" notice to the factory.
//!
//! Calls are not allowed in `init`, so install arms a zero-delay timer that makes the call right after the install
//! commits. A failed call (factory busy, stopped, upgrading, or not yet aware of the contract because its own
//! `install_code` reply is still on the way) is retried with exponential backoff, a bounded number of times. The state
//! of the notice (attempts made, when the next one is due, delivered or given up) is kept in stable memory and shown by
//! `health`. Timers live in the heap and do not survive an upgrade, so `post_upgrade` re-arms a notice still pending
//! from that state ([`resume`]); an upgrade never starts a notice that was delivered or given up.

use crate::factory_client;
use crate::runtime;
use crate::store::DeploymentNotice;
use crate::timers::Backoff;
use candid::Principal;
use std::time::Duration;

/// Attempts in total, the first one included.
pub const MAX_ATTEMPTS: u32 = 8;
const RETRY: Backoff = Backoff::new(Duration::from_secs(2), MAX_RETRY_DELAY);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// The delay before attempt `attempts_made + 1`, or `None` when no attempt is left.
/// Delays double from 2 s and are capped at 5 min: 2, 4, 8, ... 128 s, about 4 minutes in all.
pub fn retry_delay(attempts_made: u32) -> Option<Duration> {
    if attempts_made == 0 || attempts_made >= MAX_ATTEMPTS {
        return None;
    }
    Some(RETRY.delay(attempts_made))
}

/// The notice state after attempt number `attempt` ended with `result`, and the delay of the next attempt if any.
pub fn after_attempt(attempt: u32, result: Result<(), String>, now: u64) -> (DeploymentNotice, Option<Duration>) {
    match result {
        Ok(()) => (DeploymentNotice::Delivered { attempts: attempt, at: now }, None),
        Err(error) => match retry_delay(attempt) {
            Some(delay) => {
                let next_attempt_at = now.saturating_add(u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX));
                let pending = DeploymentNotice::Pending {
                    attempts: attempt,
                    last_error: Some(error),
                    next_attempt_at: Some(next_attempt_at),
                };
                (pending, Some(delay))
            }
            None => (DeploymentNotice::GaveUp { attempts: attempt, last_error: error }, None),
        },
    }
}

/// After an upgrade: the attempt a still pending notice is due for and the delay left until it (zero when overdue, or
/// when the stored state predates `next_attempt_at`), or `None` when nothing is pending or no attempt is left.
pub fn resume(notice: &DeploymentNotice, now: u64) -> Option<(u32, Duration)> {
    match notice {
        DeploymentNotice::Pending { attempts, next_attempt_at, .. } if *attempts < MAX_ATTEMPTS => {
            let wait = next_attempt_at.map_or(0, |at| at.saturating_sub(now));
            Some((attempts + 1, Duration::from_nanos(wait).min(MAX_RETRY_DELAY)))
        }
        _ => None,
    }
}

/// Schedules attempt number `attempt` after `delay`.
pub(crate) fn schedule(factory: Principal, attempt: u32, delay: Duration) {
    ic_cdk_timers::set_timer(delay, async move { attempt_notice(factory, attempt).await });
}

async fn attempt_notice(factory: Principal, attempt: u32) {
    let result = factory_client::notify_deployment_complete(factory).await.map_err(|e| e.to_string());
    if let Err(error) = &result {
        ic_cdk::api::debug_print(format!("notifyDeploymentComplete attempt {attempt} failed: {error}"));
    }
    let (notice, next) = after_attempt(attempt, result, ic_cdk::api::time());
    runtime::set_deployment_notice(notice);
    if let Some(delay) = next {
        schedule(factory, attempt + 1, delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_stop_after_the_last_attempt() {
        let delays: Vec<u64> = (1..MAX_ATTEMPTS).map(|a| retry_delay(a).unwrap().as_secs()).collect();
        assert_eq!(delays, vec![2, 4, 8, 16, 32, 64, 128]);
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
        assert_eq!(retry_delay(0), None);
    }

    #[test]
    fn success_is_delivered_and_failure_is_retried_until_giving_up() {
        assert_eq!(after_attempt(3, Ok(()), 77), (DeploymentNotice::Delivered { attempts: 3, at: 77 }, None));
        let (pending, next) = after_attempt(1, Err("busy".into()), 0);
        assert_eq!(
            pending,
            DeploymentNotice::Pending {
                attempts: 1,
                last_error: Some("busy".into()),
                next_attempt_at: Some(2_000_000_000)
            }
        );
        assert_eq!(next, Some(Duration::from_secs(2)));
        let (gave_up, next) = after_attempt(MAX_ATTEMPTS, Err("gone".into()), 0);
        assert_eq!(gave_up, DeploymentNotice::GaveUp { attempts: MAX_ATTEMPTS, last_error: "gone".into() });
        assert_eq!(next, None);
    }
}
