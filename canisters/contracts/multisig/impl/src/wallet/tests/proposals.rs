//! Proposing and voting: bad input and unauthorized callers change nothing; votes, rejection, expiry, snapshots.

use super::*;
use multisig_api::{
    ApproveAction, CanisterCallAction, ProposalState, MAX_CALL_ARG_BYTES, MAX_OPEN_PROPOSALS, MAX_SIGNERS,
    MAX_SUMMARY_CHARS,
};

fn invalid(e: &FleetError) -> bool {
    matches!(e, FleetError::InvalidInput(_))
}
fn unauthorized(e: &FleetError) -> bool {
    matches!(e, FleetError::Unauthorized(_))
}
fn invalid_state(e: &FleetError) -> bool {
    matches!(e, FleetError::InvalidState(_))
}

#[test]
fn a_proposal_snapshots_the_signers_and_counts_the_proposers_approval() {
    let fx = Fixture::two_of_three();
    let p = fx.propose(alice(), transfer(outsider(), 100)).unwrap();
    assert_eq!((p.id, p.state, p.approvals, p.rejections), (0, ProposalState::Open, 1, 0));
    assert_eq!((p.signers.clone(), p.threshold), (vec![alice(), bob(), carol()], 2));
    assert_eq!(p.expires_at, START + 7 * DAY);
    let detail = fx.wallet(|w| w.proposal_detail(0, START)).unwrap();
    assert_eq!(detail.votes.len(), 1);
    assert_eq!((detail.votes[0].signer, detail.votes[0].vote), (alice(), Vote::Approve));
    assert_eq!(fx.balance(outsider()), 0, "one approval of two: nothing sent");
    assert!(fx.rt.sent_transfers.borrow().is_empty());
}

#[test]
fn bad_proposals_are_typed_errors_and_change_nothing() {
    let fx = Fixture::two_of_three();
    let before = fx.dump();
    let call = |canister, method: &str, arg: Vec<u8>| {
        ProposalAction::CanisterCall(CanisterCallAction {
            canister,
            method: method.into(),
            arg,
            cycles: Nat::from(0u8),
        })
    };
    type Expected = fn(&FleetError) -> bool;
    let bad: Vec<(ProposalAction, Expected)> = vec![
        (transfer(outsider(), 0), invalid),
        (transfer(Principal::anonymous(), 5), invalid),
        (ProposalAction::Transfer(TransferAction { ledger: wallet_id(), ..transfer_action() }), invalid),
        (ProposalAction::Transfer(TransferAction { amount: Nat::from(u128::MAX) + 1u8, ..transfer_action() }), invalid),
        (ProposalAction::AddSigner { signer: alice() }, |e| matches!(e, FleetError::AlreadyExists(_))),
        (ProposalAction::AddSigner { signer: Principal::anonymous() }, invalid),
        (ProposalAction::RemoveSigner { signer: outsider() }, |e| matches!(e, FleetError::NotFound(_))),
        (ProposalAction::ChangeThreshold { threshold: 0 }, invalid),
        (ProposalAction::ChangeThreshold { threshold: 4 }, invalid),
        (ProposalAction::ChangeThreshold { threshold: 2 }, invalid),
        (call(wallet_id(), "propose", vec![]), invalid),
        (call(outsider(), "", vec![]), invalid),
        (call(outsider(), "m", vec![0; MAX_CALL_ARG_BYTES + 1]), |e| matches!(e, FleetError::TooLarge { .. })),
    ];
    for (action, expected) in bad {
        assert_err(fx.propose(alice(), action), expected);
    }
    let with = |summary: Option<String>, expires_at| ProposeArgs { action: transfer(bob(), 5), summary, expires_at };
    assert_err(fx.propose_args(alice(), with(Some("x".repeat(MAX_SUMMARY_CHARS + 1)), None)), invalid);
    assert_err(fx.propose_args(alice(), with(None, Some(START))), invalid);
    assert_err(fx.propose_args(alice(), with(None, Some(START + 91 * DAY))), invalid);
    assert_eq!(fx.dump(), before, "a refused proposal stores nothing");
}

fn transfer_action() -> TransferAction {
    match transfer(outsider(), 5) {
        ProposalAction::Transfer(t) => t,
        _ => unreachable!(),
    }
}

#[test]
fn removing_a_signer_below_the_threshold_is_refused() {
    let fx = Fixture::with(args(vec![alice(), bob()], 2), 0);
    assert_err(fx.propose(alice(), ProposalAction::RemoveSigner { signer: bob() }), invalid);
    let full: Vec<Principal> = (1..=MAX_SIGNERS as u8).map(signer).collect();
    let fx = Fixture::with(args(full, 1), 0);
    let added = fx.propose(alice(), ProposalAction::AddSigner { signer: signer(200) });
    assert_err(added, invalid);
}

#[test]
fn only_signers_propose_vote_and_execute() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    let before = fx.dump();
    for stranger in [outsider(), owner(), Principal::anonymous(), wallet_id()] {
        assert_err(fx.propose(stranger, transfer(stranger, 1)), unauthorized);
        assert_err(fx.approve(stranger, id), unauthorized);
        assert_err(fx.reject(stranger, id), unauthorized);
        assert_err(fx.execute(stranger, id), unauthorized);
        let refresh = multisig_api::BalanceRequest { ledger: ledger_id(), subaccount: None };
        let refreshed = block_on(executor::refresh_balance(&fx.rt, &fx.cell, stranger, refresh));
        assert!(matches!(refreshed, Err(FleetError::Unauthorized(_))), "{refreshed:?}");
    }
    assert_eq!(fx.dump(), before);
    assert_eq!(fx.balance(outsider()), 0);
}

#[test]
fn double_votes_unknown_and_closed_proposals_are_refused() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    let before = fx.dump();
    assert_err(fx.approve(alice(), id), |e| matches!(e, FleetError::AlreadyExists(_)));
    assert_err(fx.reject(alice(), id), |e| matches!(e, FleetError::AlreadyExists(_)));
    assert_err(fx.approve(bob(), 99), |e| matches!(e, FleetError::NotFound(_)));
    assert_err(fx.execute(bob(), 99), |e| matches!(e, FleetError::NotFound(_)));
    assert_err(fx.execute(alice(), id), invalid_state);
    assert_eq!(fx.dump(), before);
    fx.reject(bob(), id).unwrap();
    assert_err(fx.reject(bob(), id), |e| matches!(e, FleetError::AlreadyExists(_)));
}

#[test]
fn a_proposal_is_rejected_once_the_threshold_is_unreachable() {
    let fx = Fixture::two_of_three();
    let id = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    assert_eq!(fx.reject(bob(), id).unwrap().state, ProposalState::Open, "carol can still approve");
    let rejected = fx.reject(carol(), id).unwrap();
    assert_eq!((rejected.state, rejected.rejections), (ProposalState::Rejected, 2));
    assert_err(fx.execute(alice(), id), invalid_state);
    assert!(fx.rt.sent_transfers.borrow().is_empty());
}

#[test]
fn voting_closes_at_expiry_and_the_sweep_records_it() {
    let fx = Fixture::two_of_three();
    let args = ProposeArgs {
        action: transfer(outsider(), 100),
        summary: Some("rent".into()),
        expires_at: Some(START + 60 * SECOND),
    };
    let id = fx.propose_args(alice(), args).unwrap().id;
    fx.rt.advance(60 * SECOND);
    let shown = fx.wallet(|w| w.proposal_detail(id, START + 60 * SECOND)).unwrap().proposal;
    assert_eq!(shown.state, ProposalState::Expired, "a query shows it expired before any sweep");
    let before = fx.dump();
    let refused = assert_err(fx.approve(bob(), id), invalid_state);
    assert!(refused.to_string().contains("expired"), "{refused}");
    let after = fx.wallet(|w| w.proposal_detail(id, START)).unwrap().proposal;
    assert_eq!(after.state, ProposalState::Expired, "the refused vote's sweep stored the expiry");
    assert_ne!(fx.dump(), before);
    assert_eq!(fx.wallet(|w| w.next_expiry()), None);
    assert!(fx.rt.sent_transfers.borrow().is_empty());
}

#[test]
fn signer_changes_apply_to_proposals_created_after_them() {
    let fx = Fixture::two_of_three();
    let old = fx.propose(alice(), transfer(outsider(), 100)).unwrap().id;
    let add = fx.propose(alice(), ProposalAction::AddSigner { signer: outsider() }).unwrap().id;
    assert_eq!(fx.approve(bob(), add).unwrap().state, ProposalState::Executed);
    let remove = fx.propose(alice(), ProposalAction::RemoveSigner { signer: carol() }).unwrap().id;
    fx.approve(bob(), remove).unwrap();
    let raise = fx.propose(alice(), ProposalAction::ChangeThreshold { threshold: 3 }).unwrap().id;
    fx.approve(bob(), raise).unwrap();
    assert_eq!(fx.wallet(|w| w.signer_set()).signers, vec![alice(), bob(), outsider()]);
    assert_eq!(fx.wallet(|w| w.signer_set()).threshold, 3);

    // The old proposal keeps its snapshot: the new signer may not vote on it, removed Carol still may, and two
    // approvals still suffice.
    assert_err(fx.approve(outsider(), old), unauthorized);
    let executed = fx.approve(carol(), old).unwrap();
    assert_eq!((executed.state, executed.threshold), (ProposalState::Executed, 2));
    assert_eq!(fx.balance(outsider()), 100);

    // A new proposal snapshots the new set: Carol is out, three approvals are needed.
    let new = fx.propose(outsider(), transfer(bob(), 5)).unwrap();
    assert_eq!((new.signers.clone(), new.threshold), (vec![alice(), bob(), outsider()], 3));
    assert_err(fx.propose(carol(), transfer(carol(), 5)), unauthorized);
    assert_err(fx.approve(carol(), new.id), unauthorized);
    assert_eq!(fx.approve(alice(), new.id).unwrap().state, ProposalState::Open);
    assert_eq!(fx.approve(bob(), new.id).unwrap().state, ProposalState::Executed);
}

#[test]
fn proposals_page_by_state_newest_first() {
    let fx = Fixture::two_of_three();
    for i in 0..5 {
        fx.propose(alice(), transfer(outsider(), 10 + i)).unwrap();
    }
    fx.approve(bob(), 1).unwrap();
    fx.approve(bob(), 3).unwrap();
    fx.reject(bob(), 4).unwrap();
    fx.reject(carol(), 4).unwrap();
    let page = |state, offset, limit| {
        fx.wallet(|w| w.proposals_page(&ProposalsRequest { state, page: PageRequest::new(offset, limit) }, START))
    };
    let ids = |p: fleet_api::Page<Proposal>| p.items.iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(ids(page(None, 0, 0)), vec![4, 3, 2, 1, 0]);
    let first = page(None, 0, 2);
    assert_eq!((first.total, first.next_offset), (5, Some(2)));
    assert_eq!(ids(page(None, 4, 2)), vec![0]);
    assert_eq!(ids(page(None, 9, 2)), Vec::<u64>::new());
    assert_eq!(ids(page(Some(ProposalState::Executed), 0, 10)), vec![3, 1]);
    assert_eq!(ids(page(Some(ProposalState::Open), 0, 10)), vec![2, 0]);
    assert_eq!(ids(page(Some(ProposalState::Open), 1, 10)), vec![0]);
    assert_eq!(ids(page(Some(ProposalState::Rejected), 0, 10)), vec![4]);
    assert_eq!(page(Some(ProposalState::Executed), 0, 1).next_offset, Some(1));
}

#[test]
fn open_proposals_are_capped() {
    let fx = Fixture::two_of_three();
    for _ in 0..MAX_OPEN_PROPOSALS {
        fx.propose(alice(), transfer(outsider(), 1)).unwrap();
    }
    let before = fx.dump();
    assert_err(fx.propose(bob(), transfer(outsider(), 1)), invalid_state);
    assert_eq!(fx.dump(), before);
    fx.reject(bob(), 0).unwrap();
    fx.reject(carol(), 0).unwrap();
    fx.propose(bob(), transfer(outsider(), 1)).unwrap();
}

#[test]
fn an_approve_of_zero_revokes_and_is_accepted() {
    let fx = Fixture::with(args(vec![alice()], 1), 1_000);
    let action = ProposalAction::Approve(ApproveAction {
        ledger: ledger_id(),
        from_subaccount: None,
        spender: account(bob()),
        amount: Nat::from(0u8),
        expected_allowance: None,
        expires_at: None,
        fee: None,
    });
    let p = fx.propose(alice(), action).unwrap();
    assert_eq!(p.state, ProposalState::Executed, "1-of-1: the proposer's approval executes it");
    assert_eq!(fx.rt.ledger.borrow().allowances.get(&(account(wallet_id()), account(bob()))), Some(&0));
}
