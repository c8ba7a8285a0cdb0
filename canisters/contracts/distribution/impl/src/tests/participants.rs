//! Recipients are reported to the factory 500 per call; the cursor is stable, so a refusal or an upgrade loses none.

use super::*;

#[test]
fn recipients_are_reported_in_batches_of_500_and_a_refusal_resumes_where_it_stopped() {
    let w = World::new(|_| Schedule::Airdrop, &[1; 1_000]);
    for b in 0..2u32 {
        let batch: Vec<(Principal, Nat)> = (0..1_000).map(|i| (user(1_001 + b * 1_000 + i), Nat::from(1u8))).collect();
        w.d(|d| d.add_recipients(owner(), owner(), &batch)).expect("adds");
    }
    w.rt.factory_refusals.set(1);
    assert!(block_on(flows::report_participants(&w.state, &w.rt)).is_err());
    assert_eq!(w.d(|d| d.books().reported), 0);
    w.rt.factory_refusals.set(0);
    // An upgrade between two rounds keeps the cursor.
    let mut calls = 0;
    while w.d(|d| d.participants_pending()) {
        let (start, batch) = w.d(|d| d.participants_to_report(500));
        block_on(contract_runtime::FactoryNotifier::notify_participants_added(&w.rt, &batch)).expect("accepted");
        w.d(|d| d.mark_reported(start, batch.len() as u64));
        w.upgrade();
        calls += 1;
    }
    assert_eq!(calls, 6);
    let reported: Vec<Principal> = w.rt.reported.borrow().iter().flatten().copied().collect();
    assert_eq!(reported.len(), 3_000);
    assert_eq!(reported[0], user(1));
    assert_eq!(reported[2_999], user(3_000));
    assert!(w.rt.reported.borrow().iter().all(|b| b.len() <= 500));
}

#[test]
fn the_report_flow_sends_everything_left() {
    let w = World::new(|_| Schedule::Airdrop, &[5; 700]);
    block_on(flows::report_participants(&w.state, &w.rt)).expect("reports");
    assert_eq!(w.rt.reported.borrow().iter().map(Vec::len).collect::<Vec<_>>(), vec![500, 200]);
    assert!(!w.d(|d| d.participants_pending()));
    assert_eq!(w.d(|d| d.info(0)).participants_reported, 700);
}
