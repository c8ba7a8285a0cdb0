//! Factory reports: creation-time signers and later ones, status changes, retried with backoff and kept across an
//! upgrade until the factory takes them.

use super::*;
use crate::wallet::MAX_REPORT_ATTEMPTS;
use std::time::Duration;

fn send(fx: &Fixture) -> Option<Duration> {
    block_on(executor::send_reports(&fx.rt, &fx.cell))
}

#[test]
fn creation_signers_are_reported_in_one_batch_once() {
    let fx = Fixture::two_of_three();
    assert!(fx.wallet(|w| w.reports().has_pending()));
    assert_eq!(send(&fx), None);
    let mut reported = fx.rt.reported_participants.borrow().clone();
    reported[0].sort();
    assert_eq!(reported, vec![vec![alice(), bob(), carol()]]);
    assert!(fx.rt.reported_statuses.borrow().is_empty(), "nothing changed since the deployment notice");
    assert!(!fx.wallet(|w| w.reports().has_pending()));
    assert_eq!(send(&fx), None);
    assert_eq!(fx.rt.reported_participants.borrow().len(), 1);
}

#[test]
fn a_refusing_factory_is_retried_with_backoff_and_the_queue_survives_an_upgrade() {
    let fx = Fixture::two_of_three();
    fx.rt.factory_refusals.set(MAX_REPORT_ATTEMPTS);
    let mut delays = vec![];
    while let Some(delay) = send(&fx) {
        delays.push(delay.as_secs());
    }
    assert_eq!(delays, vec![2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
    assert_eq!(fx.wallet(|w| w.reports().state()).attempts, MAX_REPORT_ATTEMPTS);
    assert!(fx.wallet(|w| w.status()).unwrap().contains("factory reports pending: 3 participants"));
    fx.upgrade();
    fx.wallet(|w| w.reports_mut().reset_attempts());
    assert_eq!(fx.wallet(|w| w.reports().participants_to_report()).len(), 3, "still queued after the upgrade");
    assert_eq!(send(&fx), None);
    assert_eq!(fx.rt.reported_participants.borrow().len(), 1);
    assert!(!fx.wallet(|w| w.reports().has_pending()));
}

#[test]
fn an_added_signer_and_the_new_status_are_reported() {
    let fx = Fixture::two_of_three();
    send(&fx);
    let id = fx.propose(alice(), ProposalAction::AddSigner { signer: outsider() }).unwrap().id;
    fx.approve(bob(), id).unwrap();
    assert_eq!(send(&fx), None);
    assert_eq!(fx.rt.reported_participants.borrow().last(), Some(&vec![outsider()]));
    assert_eq!(fx.rt.reported_statuses.borrow().clone(), vec!["2 of 4 signers".to_string()]);

    let id = fx.propose(alice(), ProposalAction::ChangeThreshold { threshold: 3 }).unwrap().id;
    fx.approve(bob(), id).unwrap();
    send(&fx);
    assert_eq!(fx.rt.reported_statuses.borrow().last().map(String::as_str), Some("3 of 4 signers"));
    assert_eq!(fx.rt.reported_participants.borrow().len(), 2, "no participant to report for a threshold change");
}
