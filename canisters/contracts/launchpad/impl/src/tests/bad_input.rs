//! Every bad input and every unauthorized caller: a typed error, and nothing in the books or on the ledgers changed.

use super::*;

/// Everything observable: the sale, its buyers, contributions and transfers, both ledgers' moves.
fn snapshot(w: &World) -> String {
    let page = fleet_api::PageRequest::new(0, 500);
    let l = w.l(|l| {
        format!(
            "{:?}{:?}{:?}{:?}",
            l.info(w.rt.now.get()),
            l.buyers_page(page, w.rt.now.get()),
            l.contributions_page(page),
            l.transfers_page(page)
        )
    });
    format!("{l}{:?}{:?}", w.rt.payment.borrow().moves, w.rt.sale.borrow().moves)
}

#[test]
fn contributions_outside_the_window_or_the_limits_are_refused_and_change_nothing() {
    let w = World::with(|a| a.allow_list = Some(vec![user(1), user(2)]));
    let before = snapshot(&w);
    assert_state_error(w.contribute(user(1), 100), "not funded");
    w.deposit(25_000);
    w.check_funding().expect("funds");
    let before_open = snapshot(&w);
    assert_ne!(before, before_open);
    assert_state_error(w.contribute(user(1), 100), "not open yet");
    w.rt.now.set(w.args.start_time);
    w.contribute(user(2), 1_990).expect("contributes");
    let open = snapshot(&w);
    assert_invalid(w.contribute(user(1), 0), "amount: 0");
    assert_invalid(w.contribute(user(1), 9), "amount: 9 would bring the buyer's total to 9, below");
    assert_invalid(w.contribute(user(1), 2_001), "amount: 2001 would bring the buyer's total to 2001, above");
    assert_invalid(w.contribute(user(2), 11), "amount: 11 would bring the buyer's total to 2001, above");
    assert!(matches!(
        block_on(flows::contribute(&w.state, &w.rt, user(1), Nat::from(u128::MAX) + Nat::from(1u8))),
        Err(FleetError::InvalidInput(t)) if t.contains("128 bits")
    ));
    assert_unauthorized(w.contribute(user(3), 100));
    assert_unauthorized(w.contribute(Principal::anonymous(), 100));
    assert_unauthorized(w.contribute(user(99), 100));
    assert_eq!(snapshot(&w), open);
    w.rt.now.set(w.args.end_time);
    assert_state_error(w.contribute(user(1), 100), "over");
    w.rt.now.set(w.args.end_time + 1);
    assert_state_error(w.contribute(user(1), 100), "over");
}

#[test]
fn a_buyer_without_allowance_is_refused_by_the_ledger_and_nothing_is_counted() {
    let w = World::new();
    w.fund_and_open();
    let before = w.info();
    assert!(
        matches!(w.contribute(user(99), 100), Err(FleetError::PaymentFailed(t)) if t.contains("InsufficientAllowance"))
    );
    let after = w.info();
    assert_eq!((after.raised, after.reserved, after.buyers), (before.raised, before.reserved, 0));
    assert_eq!(w.l(|l| l.buyer_info(user(99), 0)), None, "no buyer record left behind");
    w.assert_invariants();
}

#[test]
fn unauthorized_callers_are_refused_on_every_update_and_change_nothing() {
    let w = World::with(|a| a.allow_list = Some(vec![user(1)]));
    let before = snapshot(&w);
    assert_unauthorized(w.l(|l| l.add_to_allow_list(stranger(), owner(), &[user(5)], 0)));
    assert_unauthorized(w.l(|l| l.add_to_allow_list(user(1), owner(), &[user(5)], 0)));
    assert_unauthorized(block_on(flows::check_funding(&w.state, &w.rt, stranger())));
    assert_unauthorized(block_on(flows::check_funding(&w.state, &w.rt, user(1))));
    assert_eq!(snapshot(&w), before);
    w.fund_and_open();
    let open = snapshot(&w);
    assert_unauthorized(w.contribute(stranger(), 100));
    assert_unauthorized(w.contribute(owner(), 100));
    w.contribute(user(1), 1_000).expect("contributes");
    let bought = snapshot(&w);
    w.end();
    let ended = snapshot(&w);
    assert_ne!(open, bought);
    assert_unauthorized(w.claim(stranger()));
    assert_unauthorized(w.claim(owner()));
    assert_eq!(snapshot(&w), ended);
}

#[test]
fn allow_list_batches_are_checked_whole() {
    let w = World::with(|a| a.allow_list = Some(vec![user(1)]));
    let before = snapshot(&w);
    assert_invalid(w.l(|l| l.add_to_allow_list(owner(), owner(), &[user(2), user(2)], 0)), "principals[1]");
    assert_invalid(w.l(|l| l.add_to_allow_list(owner(), owner(), &[Principal::anonymous()], 0)), "principals[0]");
    let big: Vec<Principal> = (0..1_001).map(|i| user(1_000 + i)).collect();
    assert_invalid(w.l(|l| l.add_to_allow_list(owner(), owner(), &big, 0)), "principals");
    assert_eq!(snapshot(&w), before);
    assert_eq!(w.l(|l| l.add_to_allow_list(owner(), owner(), &[user(1), user(2)], 0)), Ok(2));
    let open = World::new();
    assert_state_error(open.l(|l| l.add_to_allow_list(owner(), owner(), &[user(2)], 0)), "no allow-list");
    let end = w.args.end_time;
    assert_state_error(w.l(|l| l.add_to_allow_list(owner(), owner(), &[user(3)], end)), "ended");
}

#[test]
fn claims_before_the_decision_and_funding_twice_are_refused() {
    let w = World::new();
    w.fund_and_open();
    w.contribute(user(1), 1_000).expect("contributes");
    let before = snapshot(&w);
    assert_state_error(w.claim(user(1)), "not decided yet");
    assert_state_error(w.check_funding(), "already funded");
    assert_eq!(snapshot(&w), before);
}

#[test]
fn an_install_with_bad_arguments_is_refused() {
    let rt = FakeRuntime::new(owner(), 1, 1);
    let mut args = sale_args(&rt);
    args.soft_cap = Nat::from(10_001u32);
    let init: LaunchpadInit = ContractInit { factory: None, owner: owner(), version: "1.0.0".into(), args };
    let memories: Vec<VectorMemory> = (0..32).map(|_| VectorMemory::default()).collect();
    let mut l = Launchpad::open(|id| memories[usize::from(id)].clone());
    assert_invalid(l.install(&init), "soft_cap");
}
