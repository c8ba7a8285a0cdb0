//! Stakes: exact amounts in and out (less one fee), locks, voting power, refusals that change nothing, unknown
//! outcomes settled by identical re-sends, participants reported once.

use super::*;
use crate::fake_runtime::Fault;
use dao_api::{StakeState, MAX_OPEN_STAKES_PER_MEMBER};

#[test]
fn a_stake_moves_exactly_its_amount_and_counts_with_its_multiplier() {
    let fx = Fixture::new(0);
    let stake = fx.stake(alice(), 10_000, 1).unwrap();
    assert_eq!(stake.state, StakeState::Active);
    assert_eq!(stake.voting_power, Nat::from(10_000u128 * 20_000));
    assert_eq!(stake.lock_ends_at, START + YEAR_SECONDS * SECOND);
    assert_eq!(fx.balance(staking_account()), 10_000);
    assert_eq!(fx.balance(account(alice())), 1_000_000 - 10_000 - FEE);
    assert_eq!(fx.balance(account(dao_id())), 0, "stakes never enter the treasury");
    let sent = fx.rt.sent_transfers_from.borrow()[0].clone();
    assert_eq!(sent.memo.unwrap().0.to_vec(), dao_api::stake_memo(stake.id));
    assert_eq!(sent.created_at_time, Some(START));
    fx.stake(alice(), 500, 0).unwrap();
    let member = fx.dao(|d| d.member(&alice())).unwrap();
    assert_eq!(
        (member.staked, member.voting_power, member.open_stakes),
        (Nat::from(10_500u32), Nat::from(10_000u128 * 20_000 + 500 * 10_000), 2)
    );
    let info = fx.dao(|d| d.info(dao_id()));
    assert_eq!((info.total_staked, info.members), (Nat::from(10_500u32), 1));
    // Reported once, however often the member stakes.
    assert_eq!(fx.dao(|d| d.reports().participants_to_report()), vec![alice()]);
    block_on(executor::send_reports(&fx.rt, &fx.cell));
    fx.stake(alice(), 500, 0).unwrap();
    assert!(fx.dao(|d| d.reports().participants_to_report()).is_empty());
    assert_eq!(*fx.rt.reported_participants.borrow(), vec![vec![alice()]]);
}

#[test]
fn bad_stakes_are_typed_errors_and_change_nothing() {
    let fx = Fixture::new(0);
    fx.stake(bob(), 2_000, 0).unwrap();
    let before = fx.dump();
    let invalid = |e: &FleetError| matches!(e, FleetError::InvalidInput(_));
    assert_err(fx.stake(alice(), 0, 0), invalid);
    assert_err(fx.stake(alice(), FEE, 0), invalid);
    assert_err(fx.stake(alice(), u128::from(u64::MAX) + 1, 0), invalid);
    assert_err(fx.stake(alice(), 1_000, 2), invalid);
    assert_err(fx.stake(Principal::anonymous(), 1_000, 0), |e| matches!(e, FleetError::Unauthorized(_)));
    // No allowance: the ledger refuses, the recorded stake is undone.
    let e = assert_err(fx.stake(carol(), 2_000_000, 0), |e| matches!(e, FleetError::InsufficientAllowance { .. }));
    assert_eq!(
        e,
        FleetError::InsufficientAllowance { required: Nat::from(2_000_010u32), approved: Nat::from(1_000_000u32) }
    );
    fx.rt.fail_next(Fault::NotDelivered);
    assert_err(fx.stake(alice(), 1_000, 0), |e| matches!(e, FleetError::CallFailed { .. }));
    assert_eq!(fx.dump(), before);
    assert_eq!(fx.balance(staking_account()), 2_000);
}

#[test]
fn unstaking_waits_for_the_lock_and_returns_the_stake_less_the_fee() {
    let fx = Fixture::new(0);
    let locked = fx.stake(alice(), 10_000, 1).unwrap();
    let free = fx.stake(alice(), 4_000, 0).unwrap();
    let before = fx.dump();
    assert_err(
        fx.unstake(alice(), locked.id),
        |e| matches!(e, FleetError::InvalidState(t) if t.contains("locked until")),
    );
    assert_err(fx.unstake(bob(), free.id), |e| matches!(e, FleetError::Unauthorized(_)));
    assert_err(fx.unstake(alice(), 99), |e| matches!(e, FleetError::NotFound(_)));
    assert_eq!(fx.dump(), before);

    let returned = fx.unstake(alice(), free.id).unwrap();
    assert_eq!(returned.state, StakeState::Unstaked);
    assert_eq!(returned.unstake_fee, Some(Nat::from(FEE)));
    assert_eq!(fx.balance(account(alice())), 1_000_000 - 14_000 - 2 * FEE + 4_000 - FEE);
    assert_err(fx.unstake(alice(), free.id), |e| matches!(e, FleetError::InvalidState(_)));

    fx.rt.advance(YEAR_SECONDS * SECOND);
    fx.unstake(alice(), locked.id).unwrap();
    assert_eq!(fx.balance(staking_account()), 0, "every staked unit left, fees included");
    let member = fx.dao(|d| d.member(&alice())).unwrap();
    assert_eq!((member.staked, member.voting_power, member.open_stakes), (Nat::from(0u8), Nat::from(0u8), 0));
    assert_eq!(fx.dao(|d| d.info(dao_id())).total_voting_power, Nat::from(0u8));
}

#[test]
fn a_lost_stake_answer_is_settled_by_an_identical_re_send_and_staked_once() {
    let fx = Fixture::new(0);
    fx.rt.fail_next(Fault::ExecuteThenLoseAnswer);
    let pending = fx.stake(alice(), 10_000, 0).unwrap();
    assert_eq!(pending.state, StakeState::Staking);
    assert!(pending.outcome_unknown);
    assert_eq!(fx.dao(|d| d.member(&alice())).unwrap().voting_power, Nat::from(0u8), "no power before it settles");
    assert_err(fx.settle(bob(), pending.id), |e| matches!(e, FleetError::Unauthorized(_)));
    fx.rt.advance(3_600 * SECOND);
    let settled = fx.settle(alice(), pending.id).unwrap();
    assert_eq!(settled.state, StakeState::Active);
    assert_eq!(settled.stake_block, Some(Nat::from(0u8)), "the first call's block (Duplicate)");
    let sent = fx.rt.sent_transfers_from.borrow();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], sent[1], "the re-send is identical");
    assert_eq!(fx.balance(staking_account()), 10_000, "moved once");
    assert_err(fx.settle(alice(), pending.id), |e| matches!(e, FleetError::InvalidState(_)));
}

#[test]
fn a_lost_unstake_answer_is_settled_once_and_a_refused_one_restores_the_power() {
    let fx = Fixture::new(0);
    let stake = fx.stake(alice(), 10_000, 0).unwrap();
    fx.rt.fail_next(Fault::NotDelivered);
    assert_err(fx.unstake(alice(), stake.id), |e| matches!(e, FleetError::CallFailed { .. }));
    let restored = fx.dao(|d| d.stake_of(stake.id)).unwrap();
    assert_eq!(restored.state, StakeState::Active);
    assert_eq!(fx.dao(|d| d.member(&alice())).unwrap().voting_power, Nat::from(10_000u128 * 10_000));

    fx.rt.fail_next(Fault::ExecuteThenLoseAnswer);
    let pending = fx.unstake(alice(), stake.id).unwrap();
    assert_eq!((pending.state, pending.outcome_unknown), (StakeState::Unstaking, true));
    assert_eq!(fx.dao(|d| d.member(&alice())).unwrap().voting_power, Nat::from(0u8), "no power on its way out");
    // An upgrade meanwhile: the record is all that is left, and the re-send is identical.
    fx.upgrade();
    let done = fx.settle(alice(), stake.id).unwrap();
    assert_eq!(done.state, StakeState::Unstaked);
    let sent = fx.rt.sent_transfers.borrow();
    assert_eq!(sent[sent.len() - 1], sent[sent.len() - 2]);
    assert_eq!(fx.balance(account(alice())), 1_000_000 - 2 * FEE, "returned once, less one fee (stake fee paid too)");
}

#[test]
fn a_member_holds_a_bounded_number_of_open_stakes() {
    let fx = Fixture::new(0);
    for _ in 0..MAX_OPEN_STAKES_PER_MEMBER {
        fx.stake(alice(), 100, 0).unwrap();
    }
    let before = fx.dump();
    assert_err(fx.stake(alice(), 100, 0), |e| matches!(e, FleetError::InvalidState(_)));
    assert_eq!(fx.dump(), before);
}
