//! Buyers are reported to the factory 500 per call from a stored cursor; status changes are reported once each.

use super::*;

#[test]
fn buyers_are_reported_in_batches_of_500_and_a_refusal_resumes_where_it_stopped() {
    let w = World::with(|a| {
        a.hard_cap = Nat::from(1_000_000u32);
        a.max_per_buyer = Nat::from(1_000u32);
    });
    w.fund_and_open();
    for i in 1..=1_200 {
        w.give(user(i), 1_000);
        w.contribute(user(i), 10).expect("contributes");
    }
    w.rt.factory_refusals.set(1);
    assert!(block_on(flows::report_participants(&w.state, &w.rt)).is_err());
    assert_eq!(w.info().participants_reported, 0);
    let mut rounds = 0;
    while w.l(|l| l.participants_pending()) {
        let (start, batch) = w.l(|l| l.participants_to_report(500));
        block_on(contract_runtime::FactoryNotifier::notify_participants_added(&w.rt, &batch)).expect("accepted");
        w.l(|l| l.mark_reported(start, batch.len() as u64));
        w.upgrade();
        rounds += 1;
    }
    assert_eq!(rounds, 3);
    let reported: Vec<Principal> = w.rt.reported.borrow().iter().flatten().copied().collect();
    assert_eq!(reported, (1..=1_200).map(user).collect::<Vec<_>>());
    // A second contribution does not report its buyer again.
    w.contribute(user(1), 10).expect("contributes");
    assert!(!w.l(|l| l.participants_pending()));
}

#[test]
fn each_status_change_is_reported_once() {
    let w = World::new();
    w.deposit(25_000);
    w.check_funding().expect("funds");
    w.rt.now.set(w.args.start_time);
    w.contribute(user(1), 1_000).expect("contributes");
    block_on(flows::report_status(&w.state, &w.rt));
    block_on(flows::report_status(&w.state, &w.rt));
    w.end();
    w.end();
    assert_eq!(*w.rt.statuses.borrow(), vec!["Upcoming", "Open", "Succeeded"]);
}

#[test]
fn stable_bytes_per_buyer() {
    let w = World::with(|a| {
        a.hard_cap = Nat::from(100_000_000u32);
        a.max_per_buyer = Nat::from(1_000u32);
    });
    w.fund_and_open();
    let used = |w: &World| -> u64 {
        use ic_stable_structures::Memory;
        w.memories.iter().map(|m| m.size() * 65_536).sum()
    };
    let before = used(&w);
    const BUYERS: u32 = 10_000;
    for i in 1..=BUYERS {
        w.give(user(100 + i), 1_000);
        w.contribute(user(100 + i), 100).expect("contributes");
    }
    let per_buyer = (used(&w) - before) / u64::from(BUYERS);
    println!("stable bytes per buyer at {BUYERS} buyers (one contribution each, 64 KiB pages): {per_buyer}");
    assert!(per_buyer < 400, "{per_buyer} bytes per buyer");
}
