//! Adding recipients, funding, claims over a vesting schedule, completion; bad input and unauthorized callers change
//! nothing.

use super::*;
use distribution_api::{DistributionStatus, TransferPurpose, TransferState, MAX_RECIPIENTS, MAX_RECIPIENTS_PER_BATCH};

fn batch(from: u32, count: u32, amount: u128) -> Vec<(Principal, Nat)> {
    (from..from + count).map(|i| (user(i), Nat::from(amount))).collect()
}

#[test]
fn bad_recipient_batches_are_refused_and_change_nothing() {
    let w = World::new(|_| Schedule::Airdrop, &[100]);
    let before = w.d(|d| d.books().clone());
    let add = |b: Vec<(Principal, Nat)>| w.d(|d| d.add_recipients(owner(), owner(), &b));
    assert_invalid(add(vec![(user(50), Nat::from(0u8))]), "recipients[0]: amount is 0");
    assert_invalid(add(vec![(user(50), Nat::from(1u8)), (user(50), Nat::from(2u8))]), "recipients[1]");
    assert_invalid(add(vec![(user(51), Nat::from(1u8)), (user(1), Nat::from(2u8))]), "recipients[1]: ");
    assert_invalid(add(vec![(Principal::anonymous(), Nat::from(1u8))]), "recipients[0]");
    assert_invalid(add(batch(100, MAX_RECIPIENTS_PER_BATCH as u32 + 1, 1)), "recipients: 1001");
    assert_invalid(add(vec![(user(60), Nat::from(u128::MAX))]), "recipients: the total allocation");
    assert_unauthorized(w.d(|d| d.add_recipients(stranger(), owner(), &batch(100, 1, 1))));
    assert_eq!(w.d(|d| d.books().clone()), before);
    assert_eq!(w.d(|d| d.recipient_count()), 1);
    assert!(w.d(|d| d.recipient(&user(51), 0)).is_none());
}

#[test]
fn ten_thousand_recipients_in_batches_and_not_one_more() {
    let w = World::new(|_| Schedule::Airdrop, &[]);
    let per = MAX_RECIPIENTS_PER_BATCH as u32;
    for b in 0..(MAX_RECIPIENTS as u32 / per) {
        let report = w.d(|d| d.add_recipients(owner(), owner(), &batch(1 + b * per, per, 3))).expect("adds");
        assert_eq!(report.recipients, u64::from((b + 1) * per));
    }
    assert_invalid(w.d(|d| d.add_recipients(owner(), owner(), &batch(20_000, 1, 1))), "recipients: 10000 already");
    let info = w.d(|d| d.info(0));
    assert_eq!((info.recipients, info.total_allocation), (10_000, Nat::from(30_000u32)));
    let page = w.d(|d| d.recipients_page(fleet_api::PageRequest::new(9_990, 50), 0));
    assert_eq!((page.items.len(), page.total, page.next_offset), (10, 10_000, None));
    assert_eq!(page.items[9].recipient, user(10_000));
}

#[test]
fn funding_needs_the_total_plus_a_fee_per_possible_claim() {
    // 3 recipients, 4 periods from the start: 4 claims each at most.
    let w = World::new(|rt| vesting(0, 0, 400 * SECOND, 4, rt), &[1_000, 2_000, 3_000]);
    let report = w.check_funding().expect("reads");
    assert_eq!(report.status, DistributionStatus::Created);
    assert_eq!(report.required, Nat::from(6_000 + 3 * 4 * FEE));
    w.deposit(6_000 + 12 * FEE - 1);
    assert_eq!(w.check_funding().expect("reads").status, DistributionStatus::Created);
    w.deposit(1);
    let report = w.check_funding().expect("funds");
    // The schedule starts now: Active at once.
    assert_eq!(report.status, DistributionStatus::Active);
    assert_eq!(w.rt.statuses.borrow().last().map(String::as_str), Some("Active"));
    assert_state_error(w.d(|d| d.add_recipients(owner(), owner(), &batch(10, 1, 1))), "only be added while");
    assert_unauthorized(w.check_funding_by(stranger()));
    w.assert_invariants();
}

impl World {
    fn check_funding_by(&self, who: Principal) -> Result<distribution_api::FundingReport, FleetError> {
        block_on(flows::check_funding(&self.state, &self.rt, who))
    }
}

#[test]
fn funding_an_empty_distribution_is_refused() {
    let w = World::new(|_| Schedule::Airdrop, &[]);
    assert_state_error(w.check_funding(), "no recipients");
}

#[test]
fn an_airdrop_pays_everyone_once_then_completes_and_returns_the_surplus() {
    let w = World::new(|_| Schedule::Airdrop, &[500, 700]);
    w.deposit(2_000); // 1_200 + 2 fees needed: 780 extra
    w.check_funding().expect("funds");
    assert_eq!(w.status(), Status::Active);
    assert_unauthorized(w.claim(stranger()));
    let paid = w.claim(user(1)).expect("claims");
    assert_eq!((paid.amount, paid.purpose), (Nat::from(500u32), TransferPurpose::Claim { recipient: user(1) }));
    assert!(matches!(paid.state, TransferState::Executed { .. }));
    assert_state_error(w.claim(user(1)), "nothing to claim");
    w.assert_invariants();
    w.claim(user(2)).expect("claims");
    assert_eq!(w.status(), Status::Completed);
    // Completion sent the owner everything left less one fee.
    assert_eq!(w.rt.balance(owner()), 2_000 - 1_200 - 3 * FEE);
    assert_eq!(w.rt.balance(w.rt.me), 0);
    assert_state_error(w.claim(user(2)), "paid out");
    assert_eq!((w.paid_to(user(1)), w.paid_to(user(2))), (500, 700));
    w.assert_invariants();
}

#[test]
fn a_vesting_schedule_is_claimed_period_by_period_with_exact_amounts() {
    // Starts in 100 s, 300 s cliff, 1000 s, 10 periods; allocation 999 does not divide evenly.
    let w = World::new(|rt| vesting(100 * SECOND, 300 * SECOND, 1_000 * SECOND, 10, rt), &[999, 10]);
    w.fund_exactly();
    assert_eq!(w.status(), Status::Funded);
    assert_state_error(w.claim(user(1)), "not active yet");
    w.rt.advance(100 * SECOND);
    assert_eq!(w.status(), Status::Active);
    assert_state_error(w.claim(user(1)), "nothing to claim: vested 0");
    w.rt.advance(300 * SECOND); // the cliff: 3 periods at once
    assert_eq!(w.claim(user(1)).expect("claims").amount, Nat::from(299u32)); // floor(999 * 3 / 10)
    w.rt.advance(SECOND);
    assert_state_error(w.claim(user(1)), "more vests at");
    w.rt.advance(99 * SECOND); // period 4
    assert_eq!(w.claim(user(1)).expect("claims").amount, Nat::from(399u32 - 299));
    w.rt.advance(350 * SECOND); // periods 5..7 (offset 750 s)
    assert_eq!(w.claim(user(1)).expect("claims").amount, Nat::from(699u32 - 399));
    w.assert_invariants();
    w.rt.advance(10_000 * SECOND);
    assert_eq!(w.claim(user(1)).expect("claims").amount, Nat::from(999u32 - 699));
    assert_eq!(w.claim(user(2)).expect("claims").amount, Nat::from(10u32));
    assert_eq!(w.status(), Status::Completed);
    assert_eq!((w.paid_to(user(1)), w.paid_to(user(2))), (999, 10));
    // 16 fees reserved (8 claims each at most: periods 3..=10), 5 used: 11 fees of surplus, less one for the refund.
    assert_eq!(w.rt.balance(owner()), 10 * FEE);
    assert_eq!(w.rt.balance(w.rt.me), 0);
    w.assert_invariants();
}

#[test]
fn tokens_sent_after_funding_join_the_surplus_at_the_next_exact_check() {
    let w = World::new(|rt| vesting(0, 0, 100 * SECOND, 2, rt), &[100]);
    w.fund_exactly();
    w.deposit(1_000);
    assert_state_error(w.withdraw(owner()), "does not cover");
    let report = w.check_funding().expect("reads");
    assert!(report.synced);
    assert_unauthorized(w.withdraw(stranger()));
    let sent = w.withdraw(owner()).expect("withdraws");
    assert_eq!(sent.amount, Nat::from(1_000 - FEE));
    assert_eq!(w.rt.balance(owner()), 1_000 - FEE);
    w.assert_invariants();
    w.rt.advance(100 * SECOND);
    w.claim(user(1)).expect("claims");
    w.assert_invariants();
}

#[test]
fn stable_bytes_per_recipient() {
    use ic_stable_structures::Memory;
    let w = World::new(|_| Schedule::Airdrop, &[]);
    let per = MAX_RECIPIENTS_PER_BATCH as u32;
    for b in 0..(MAX_RECIPIENTS as u32 / per) {
        w.d(|d| d.add_recipients(owner(), owner(), &batch(1 + b * per, per, 3))).expect("adds");
    }
    let bytes = |id: u8| w.memories[usize::from(id)].size() * 65_536;
    let (map, order) = (bytes(crate::memory::RECIPIENTS), bytes(crate::memory::RECIPIENT_ORDER));
    let per_recipient = (map + order) / MAX_RECIPIENTS as u64;
    println!(
        "stable bytes at {MAX_RECIPIENTS} recipients: map {map}, order {order}: {per_recipient} bytes per recipient \
         (64 KiB pages)"
    );
    assert!(per_recipient <= 300, "{per_recipient} bytes per recipient");
}
