//! Execution: a treasury transfer adopted and paid exactly once by the timer, failures recorded and retried by a
//! member, unknown outcomes re-sent identically (also after an upgrade), parameter changes for later proposals only.

use super::*;
use crate::dao::ExecutionStep;
use crate::fake_runtime::Fault;
use dao_api::{ExecutionOutcome, ProposalState};

fn adopted(fx: &Fixture, action: ProposalAction) -> u64 {
    let id = fx.propose(alice(), action).unwrap().id;
    fx.vote(alice(), id, Vote::Yes).unwrap();
    fx.rt.advance(PERIOD);
    id
}

fn outcome(p: &Proposal) -> Option<ExecutionOutcome> {
    p.execution.as_ref().and_then(|e| e.outcome.clone())
}

#[test]
fn an_adopted_treasury_transfer_is_paid_exactly_once_by_the_timer() {
    let fx = Fixture::three_members(1_000_000);
    let id = adopted(&fx, treasury_transfer(outsider(), 250_000));
    assert!(!fx.tick(), "nothing left after one round");
    let p = fx.proposal(id);
    assert_eq!(p.state, ProposalState::Executed);
    assert_eq!(outcome(&p), Some(ExecutionOutcome::Transferred { block_index: Nat::from(3u8) }));
    let execution = p.execution.unwrap();
    assert_eq!((execution.attempts, execution.created_at_time), (1, Some(START + PERIOD)));
    assert_eq!(execution.memo.unwrap().into_vec(), dao_api::proposal_memo(id));
    assert_eq!(fx.balance(account(outsider())), 1_000_000 + 250_000);
    assert_eq!(fx.balance(account(dao_id())), 1_000_000 - 250_000 - FEE);
    assert_eq!(fx.balance(staking_account()), 18_000, "stakes untouched");

    let before = fx.dump();
    fx.tick();
    for caller in [alice(), bob(), owner()] {
        assert_err(fx.execute(caller, id), |e| matches!(e, FleetError::InvalidState(_)));
    }
    assert_eq!(fx.dump(), before);
    assert_eq!(fx.rt.sent_transfers.borrow().len(), 1);
}

#[test]
fn a_refused_transfer_is_recorded_and_a_member_retries_it() {
    let fx = Fixture::three_members(100);
    let id = adopted(&fx, treasury_transfer(outsider(), 5_000));
    fx.tick();
    let p = fx.proposal(id);
    assert_eq!(p.state, ProposalState::Failed);
    let failure = p.execution.unwrap().last_failure.unwrap();
    assert!(failure.retryable && !failure.outcome_unknown, "{failure:?}");
    assert!(failure.reason.contains("funds"), "{}", failure.reason);

    let before = fx.dump();
    assert_err(fx.execute(user(7), id), |e| matches!(e, FleetError::Unauthorized(_)));
    assert_err(fx.execute(Principal::anonymous(), id), |e| matches!(e, FleetError::Unauthorized(_)));
    assert_eq!(fx.dump(), before);
    fx.tick();
    assert_eq!(fx.dump(), before, "the timer does not retry failures by itself");

    fx.rt.ledger.borrow_mut().balances.insert(account(dao_id()), 10_000);
    fx.rt.advance(SECOND);
    let p = fx.execute(owner(), id).unwrap();
    assert_eq!(p.state, ProposalState::Executed);
    let execution = p.execution.unwrap();
    assert_eq!((execution.attempts, execution.created_at_time), (2, Some(START + PERIOD + SECOND)));
    assert_eq!(fx.balance(account(outsider())), 1_000_000 + 5_000);
}

#[test]
fn a_lost_answer_is_re_sent_identically_and_paid_once() {
    let fx = Fixture::three_members(1_000_000);
    let id = adopted(&fx, treasury_transfer(outsider(), 1_000));
    fx.rt.fail_next(Fault::ExecuteThenLoseAnswer);
    fx.tick();
    let failure = fx.proposal(id).execution.unwrap().last_failure.unwrap();
    assert!(failure.outcome_unknown && failure.retryable);
    fx.rt.advance(3_600 * SECOND);
    fx.rt.fail_next(Fault::NotDelivered);
    let p = fx.execute(bob(), id).unwrap();
    assert!(p.execution.unwrap().last_failure.unwrap().outcome_unknown, "still unknown: the re-send did not arrive");
    let p = fx.execute(bob(), id).unwrap();
    assert_eq!(p.state, ProposalState::Executed);
    let sent = fx.rt.sent_transfers.borrow();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|arg| *arg == sent[0]), "{sent:?}");
    assert_eq!(fx.balance(account(outsider())), 1_000_000 + 1_000, "paid once");
}

#[test]
fn an_upgrade_during_the_transfer_leaves_it_executing_and_the_timer_re_sends_it() {
    let fx = Fixture::three_members(1_000_000);
    let id = adopted(&fx, treasury_transfer(outsider(), 1_000));
    let ExecutionStep::Send { ledger, arg } = fx.dao(|d| d.begin_execution(id, fx.rt.now.get())).unwrap() else {
        panic!("a transfer to send")
    };
    assert_err(fx.execute(alice(), id), |e| *e == FleetError::AlreadyInProgress);
    block_on(crate::runtime::Runtime::icrc1_transfer(&fx.rt, ledger, arg)).unwrap().unwrap();
    fx.upgrade();
    assert_eq!(fx.proposal(id).state, ProposalState::Executing, "recorded before the await, kept by the upgrade");
    assert_eq!(fx.dao(|d| d.executions_due(10)), vec![id]);
    fx.rt.advance(60 * SECOND);
    fx.tick();
    let p = fx.proposal(id);
    assert_eq!(p.state, ProposalState::Executed);
    assert_eq!(outcome(&p), Some(ExecutionOutcome::Transferred { block_index: Nat::from(3u8) }), "the first block");
    assert_eq!(fx.balance(account(outsider())), 1_000_000 + 1_000);
}

#[test]
fn a_parameter_change_applies_to_proposals_created_after_it() {
    let fx = Fixture::three_members(0);
    let new_rules = DaoParameters { quorum_basis_points: 9_000, voting_period_seconds: 60, ..parameters() };
    let open_before = fx.propose(bob(), motion()).unwrap().id;
    let id = adopted(&fx, ProposalAction::ChangeParameters(new_rules.clone()));
    fx.tick();
    assert_eq!(outcome(&fx.proposal(id)), Some(ExecutionOutcome::ParametersChanged));
    assert_eq!(fx.dao(|d| d.config().parameters.clone()), new_rules);
    assert_eq!(fx.proposal(open_before).quorum_basis_points, 2_000, "decided by the rules of its creation");
    let after = fx.propose(bob(), motion()).unwrap();
    assert_eq!((after.quorum_basis_points, after.voting_ends_at), (9_000, fx.rt.now.get() + 60 * SECOND));
}
