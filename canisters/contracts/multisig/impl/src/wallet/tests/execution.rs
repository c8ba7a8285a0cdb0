//! Execution: exactly once, recorded before the call, identical re-sends for unknown ledger outcomes, typed
//! failures that a signer retries, canister calls never re-sent when their outcome is unknown.

use super::*;
use crate::fake_runtime::{Fault, WINDOW_NANOS};
use crate::wallet::Step;
use multisig_api::{CanisterCallAction, ExecutionOutcome, ProposalState};

fn outcome(p: &Proposal) -> Option<ExecutionOutcome> {
    p.execution.as_ref().and_then(|e| e.outcome.clone())
}

fn failure(p: &Proposal) -> multisig_api::ExecutionFailure {
    p.execution.as_ref().and_then(|e| e.last_failure.clone()).expect("a failure record")
}

#[test]
fn two_of_three_pays_exactly_once_with_the_proposal_memo() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    let p = fx.approve(bob(), id).unwrap();
    assert_eq!(p.state, ProposalState::Executed);
    assert_eq!(outcome(&p), Some(ExecutionOutcome::Transferred { block_index: Nat::from(0u8) }));
    let execution = p.execution.clone().unwrap();
    assert_eq!((execution.attempts, execution.created_at_time), (1, Some(START)));
    assert_eq!(execution.memo.unwrap().into_vec(), multisig_api::proposal_memo(id));
    assert_eq!(fx.balance(outsider()), 100);
    assert_eq!(fx.balance(wallet_id()), 1_000_000 - 100 - FEE);

    let before = fx.dump();
    for signer in [alice(), bob(), carol()] {
        assert_err(fx.execute(signer, id), |e| matches!(e, FleetError::InvalidState(_)));
    }
    assert_err(fx.approve(carol(), id), |e| matches!(e, FleetError::InvalidState(_)));
    assert_eq!(fx.dump(), before);
    assert_eq!(fx.rt.sent_transfers.borrow().len(), 1);
    assert_eq!(fx.balance(outsider()), 100);
}

#[test]
fn a_lost_answer_is_re_sent_identically_and_the_ledger_deduplicates_it() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    fx.rt.fail_next(Fault::ExecuteThenLoseAnswer);
    let p = fx.approve(bob(), id).unwrap();
    assert_eq!(p.state, ProposalState::Failed);
    let f = failure(&p);
    assert!(f.outcome_unknown && f.retryable, "{f:?}");
    assert_eq!(fx.balance(outsider()), 100, "the first call did execute");

    fx.rt.advance(3_600 * SECOND);
    fx.rt.fail_next(Fault::NotDelivered);
    let p = fx.execute(carol(), id).unwrap();
    assert!(failure(&p).outcome_unknown, "a re-send that was not delivered leaves the first call unknown");

    let p = fx.execute(carol(), id).unwrap();
    assert_eq!(p.state, ProposalState::Executed);
    assert_eq!(outcome(&p), Some(ExecutionOutcome::Transferred { block_index: Nat::from(0u8) }), "the first block");
    let sent = fx.rt.sent_transfers.borrow();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|arg| *arg == sent[0]), "every re-send is the identical transfer: {sent:?}");
    assert_eq!(fx.balance(outsider()), 100, "paid once");
    assert_eq!(p.execution.unwrap().attempts, 3);
}

#[test]
fn an_upgrade_while_the_transfer_is_open_is_settled_by_an_identical_re_send() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    fx.wallet(|w| w.vote(bob(), id, Vote::Approve, START)).unwrap();
    // The vote's execution records the attempt and sends; the ledger executes; the upgrade drops the future.
    let Step::Send(outgoing) = fx.wallet(|w| w.begin_execution(None, id, START)).unwrap() else {
        panic!("a call to send")
    };
    let crate::wallet::Outgoing::Transfer { arg, .. } = *outgoing else { panic!("a transfer") };
    assert_err(fx.execute(carol(), id), |e| *e == FleetError::AlreadyInProgress);
    block_on(crate::runtime::Runtime::icrc1_transfer(&fx.rt, ledger_id(), arg.clone())).unwrap().unwrap();
    fx.upgrade();
    let stored = fx.wallet(|w| w.proposal_detail(id, START)).unwrap().proposal;
    assert_eq!(stored.state, ProposalState::Executing, "recorded before the await, kept by the upgrade");

    fx.rt.advance(60 * SECOND);
    let p = fx.execute(alice(), id).unwrap();
    assert_eq!(p.state, ProposalState::Executed);
    assert_eq!(fx.rt.sent_transfers.borrow().last(), Some(&arg), "the identical transfer");
    assert_eq!(fx.balance(outsider()), 100, "paid once");
}

#[test]
fn a_refused_transfer_is_recorded_and_retried_as_a_new_transfer() {
    let fx = Fixture::with(args(vec![alice(), bob(), carol()], 2), 50);
    let id = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    let p = fx.approve(bob(), id).unwrap();
    let f = failure(&p);
    assert_eq!(p.state, ProposalState::Failed);
    assert!(f.reason.contains("InsufficientFunds") && !f.outcome_unknown && f.retryable, "{f:?}");

    fx.rt.ledger.borrow_mut().balances.insert(account(wallet_id()), 1_000);
    fx.rt.advance(10 * SECOND);
    let p = fx.execute(carol(), id).unwrap();
    assert_eq!(p.state, ProposalState::Executed);
    assert_eq!(p.execution.unwrap().created_at_time, Some(START + 10 * SECOND), "a fresh transfer");
    assert_eq!(fx.balance(outsider()), 100);

    let fx = Fixture::with(args(vec![alice(), bob()], 2), 50);
    let expires_at = Some(START + 120 * SECOND);
    let id = fx.propose_args(alice(), ProposeArgs { action: transfer(outsider(), 100), summary: None, expires_at });
    let id = id.unwrap().id;
    fx.approve(bob(), id).unwrap();
    fx.rt.advance(120 * SECOND);
    let refused = assert_err(fx.execute(bob(), id), |e| matches!(e, FleetError::InvalidState(_)));
    assert!(refused.to_string().contains("expired"), "{refused}");
}

#[test]
fn an_unknown_outcome_past_the_dedup_window_is_never_sent_as_new() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    fx.rt.fail_next(Fault::ExecuteThenLoseAnswer);
    fx.approve(bob(), id).unwrap();
    fx.rt.advance(WINDOW_NANOS + DAY);
    let p = fx.execute(alice(), id).unwrap();
    let f = failure(&p);
    assert_eq!(p.state, ProposalState::Failed);
    assert!(f.outcome_unknown && !f.retryable && f.reason.contains("checked on the ledger"), "{f:?}");
    assert_err(fx.execute(alice(), id), |e| matches!(e, FleetError::InvalidState(_)));
    assert_eq!(fx.rt.sent_transfers.borrow().len(), 2);
    assert_eq!(fx.balance(outsider()), 100, "paid once");
}

#[test]
fn a_rejecting_ledger_is_an_unknown_outcome_re_sent_identically() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    fx.rt.fail_next(Fault::Reject);
    assert!(failure(&fx.approve(bob(), id).unwrap()).outcome_unknown);
    assert_eq!(fx.execute(bob(), id).unwrap().state, ProposalState::Executed);
    let sent = fx.rt.sent_transfers.borrow();
    assert_eq!(sent[0], sent[1]);
    assert_eq!(fx.balance(outsider()), 100);
}

fn call_action() -> ProposalAction {
    ProposalAction::CanisterCall(CanisterCallAction {
        canister: outsider(),
        method: "deposit".into(),
        arg: b"DIDL\0\x01\x7d\x05".to_vec(),
        cycles: Nat::from(1_000u32),
    })
}

#[test]
fn a_canister_call_records_its_reply_and_runs_once() {
    let fx = Fixture::two_of_three();
    *fx.rt.call_reply.borrow_mut() = vec![7; multisig_api::MAX_RECORDED_REPLY_BYTES + 1];
    let id = fx.propose(alice(), call_action()).unwrap().id;
    let p = fx.approve(carol(), id).unwrap();
    assert_eq!(p.state, ProposalState::Executed);
    let Some(ExecutionOutcome::Called { reply, truncated }) = outcome(&p) else { panic!("{p:?}") };
    assert_eq!((reply.len(), truncated), (multisig_api::MAX_RECORDED_REPLY_BYTES, true));
    assert_eq!(
        fx.rt.calls.borrow().clone(),
        vec![(outsider(), "deposit".to_string(), b"DIDL\0\x01\x7d\x05".to_vec(), 1_000)]
    );
    assert_err(fx.execute(alice(), id), |e| matches!(e, FleetError::InvalidState(_)));
    assert_eq!(fx.rt.calls.borrow().len(), 1);
}

#[test]
fn a_canister_call_of_unknown_outcome_is_never_sent_again() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), call_action()).unwrap().id;
    fx.rt.fail_next(Fault::ExecuteThenLoseAnswer);
    let p = fx.approve(bob(), id).unwrap();
    let f = failure(&p);
    assert!(f.outcome_unknown && !f.retryable, "{f:?}");
    assert_err(fx.execute(alice(), id), |e| matches!(e, FleetError::InvalidState(_)));

    // Lost across an upgrade: recorded as unknown at the next execute, not re-sent.
    let id = fx.propose(alice(), call_action()).unwrap().id;
    fx.wallet(|w| w.vote(bob(), id, Vote::Approve, START)).unwrap();
    assert!(matches!(fx.wallet(|w| w.begin_execution(None, id, START)), Ok(Step::Send(_))));
    fx.upgrade();
    let p = fx.execute(carol(), id).unwrap();
    assert!(failure(&p).outcome_unknown && !failure(&p).retryable);
    assert_eq!(fx.rt.calls.borrow().len(), 1, "only the first proposal's call was ever made");
}

#[test]
fn a_rejected_canister_call_can_be_retried() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), call_action()).unwrap().id;
    fx.rt.fail_next(Fault::Reject);
    let f = failure(&fx.approve(bob(), id).unwrap());
    assert!(!f.outcome_unknown && f.retryable, "{f:?}");
    assert_eq!(fx.execute(alice(), id).unwrap().state, ProposalState::Executed);
    assert_eq!(fx.rt.calls.borrow().len(), 1);
}

#[test]
fn a_signer_change_made_stale_by_another_fails_with_its_reason() {
    let fx = Fixture::two_of_three();
    let first = fx.propose(alice(), ProposalAction::AddSigner { signer: outsider() }).unwrap().id;
    let second = fx.propose(bob(), ProposalAction::AddSigner { signer: outsider() }).unwrap().id;
    fx.approve(bob(), first).unwrap();
    let p = fx.approve(alice(), second).unwrap();
    assert_eq!(p.state, ProposalState::Failed);
    assert!(failure(&p).reason.contains("already a signer"));
    assert_eq!(fx.wallet(|w| w.signer_set()).signers.len(), 4);
}
