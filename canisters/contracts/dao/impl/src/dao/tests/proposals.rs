//! Proposals: who may propose, the voting-power snapshot, one vote per member while voting is open, decisions by
//! quorum and approval at the deadline, typed refusals that change nothing.

use super::*;
use dao_api::{ProposalState, UpgradePolicy, MAX_MOTION_CHARS, MAX_OPEN_PROPOSALS, MAX_SUMMARY_CHARS};

const ALICE_POWER: u128 = 10_000 * 20_000;
const BOB_POWER: u128 = 5_000 * 10_000;
const CAROL_POWER: u128 = 3_000 * 10_000;

#[test]
fn a_proposal_snapshots_voting_power_and_later_stakes_do_not_change_the_vote() {
    let fx = Fixture::three_members(0);
    let p = fx.propose(bob(), motion()).unwrap();
    assert_eq!(p.total_voting_power, Nat::from(ALICE_POWER + BOB_POWER + CAROL_POWER));
    // After the snapshot: Bob stakes more, Carol leaves, the outsider joins.
    fx.stake(bob(), 100_000, 1).unwrap();
    let carol_stake = fx.dao(|d| d.stakes_page(carol(), PageRequest::new(0, 10))).items[0].id;
    fx.unstake(carol(), carol_stake).unwrap();
    fx.stake(outsider(), 50_000, 0).unwrap();

    let before = fx.dump();
    assert_err(fx.vote(outsider(), p.id, Vote::Yes), |e| matches!(e, FleetError::Unauthorized(_)));
    assert_eq!(fx.dump(), before, "a member who joined after the snapshot does not vote on it");
    let p = fx.vote(bob(), p.id, Vote::Yes).unwrap();
    assert_eq!(p.yes, Nat::from(BOB_POWER), "Bob votes with his power at the snapshot");
    let p = fx.vote(carol(), p.id, Vote::No).unwrap();
    assert_eq!(p.no, Nat::from(CAROL_POWER), "Carol unstaked, but had this power at the snapshot");
    assert_eq!(fx.dao(|d| d.ballot(p.id, carol())).unwrap().voting_power, Nat::from(CAROL_POWER));
    // A proposal created now snapshots the new powers.
    let later = fx.propose(bob(), motion()).unwrap();
    assert_eq!(later.total_voting_power, Nat::from(ALICE_POWER + BOB_POWER + 100_000 * 20_000 + 50_000 * 10_000));
    assert_eq!(
        fx.vote(carol(), later.id, Vote::Yes).map(|_| ()),
        Err(FleetError::unauthorized(format!(
            "{} had no voting power when proposal {} was created; only members staked then vote on it",
            carol(),
            later.id
        )))
    );
    assert_eq!(fx.vote(outsider(), later.id, Vote::Yes).unwrap().yes, Nat::from(50_000u128 * 10_000));
}

#[test]
fn bad_proposals_are_typed_errors_and_change_nothing() {
    let fx = Fixture::three_members(0);
    fx.stake(outsider(), 999, 0).unwrap();
    let before = fx.dump();
    let unauthorized = |e: &FleetError| matches!(e, FleetError::Unauthorized(_));
    let invalid = |e: &FleetError| matches!(e, FleetError::InvalidInput(_));
    assert_err(fx.propose(user(7), motion()), unauthorized);
    assert_err(fx.propose(outsider(), motion()), unauthorized);
    let with_summary =
        |summary: String| executor::propose(&fx.rt, &fx.cell, alice(), ProposeArgs { summary, action: motion() });
    assert_err(with_summary(String::new()), invalid);
    assert_err(with_summary("   ".into()), invalid);
    assert_err(with_summary("x".repeat(MAX_SUMMARY_CHARS + 1)), invalid);
    assert_err(fx.propose(alice(), ProposalAction::Motion { text: String::new() }), invalid);
    assert_err(fx.propose(alice(), ProposalAction::Motion { text: "x".repeat(MAX_MOTION_CHARS + 1) }), invalid);
    assert_err(fx.propose(alice(), treasury_transfer(bob(), 0)), invalid);
    assert_err(fx.propose(alice(), treasury_transfer(bob(), u128::from(u64::MAX) + 1)), invalid);
    assert_err(fx.propose(alice(), treasury_transfer(Principal::anonymous(), 5)), invalid);
    assert_err(fx.propose(alice(), treasury_transfer(dao_id(), 5)), invalid);
    let mut to_staking = treasury_transfer(bob(), 5);
    if let ProposalAction::TreasuryTransfer(t) = &mut to_staking {
        t.to = staking_account();
    }
    assert_err(fx.propose(alice(), to_staking), invalid);
    let mut bad_ledger = treasury_transfer(bob(), 5);
    if let ProposalAction::TreasuryTransfer(t) = &mut bad_ledger {
        t.ledger = dao_id();
    }
    assert_err(fx.propose(alice(), bad_ledger), invalid);
    let bad_rules = DaoParameters { quorum_basis_points: 0, ..parameters() };
    assert_err(fx.propose(alice(), ProposalAction::ChangeParameters(bad_rules)), invalid);
    let refused = assert_err(
        fx.propose(alice(), ProposalAction::SetUpgradePolicy(UpgradePolicy::Auto)),
        |e| matches!(e, FleetError::NotImplemented(t) if t.contains("owner recorded at deployment")),
    );
    assert!(refused.to_string().contains("setUpgradePolicy"));
    assert_eq!(fx.dump(), before);
}

#[test]
fn one_vote_per_member_while_voting_is_open() {
    let fx = Fixture::three_members(0);
    let id = fx.propose(alice(), motion()).unwrap().id;
    fx.vote(alice(), id, Vote::Yes).unwrap();
    let before = fx.dump();
    assert_err(fx.vote(alice(), id, Vote::No), |e| matches!(e, FleetError::AlreadyExists(_)));
    assert_err(fx.vote(alice(), 42, Vote::No), |e| matches!(e, FleetError::NotFound(_)));
    assert_err(fx.vote(user(7), id, Vote::No), |e| matches!(e, FleetError::Unauthorized(_)));
    assert_eq!(fx.dump(), before);
    fx.rt.advance(PERIOD - 1);
    fx.vote(bob(), id, Vote::Yes).unwrap();
    fx.rt.advance(1);
    // At the deadline: closed even before the timer decides it.
    assert_err(fx.vote(carol(), id, Vote::No), |e| matches!(e, FleetError::InvalidState(_)));
    assert_eq!(fx.proposal(id).state, ProposalState::Adopted, "the refused vote's sweep decided it");
}

#[test]
fn decisions_follow_quorum_and_approval_at_the_deadline() {
    let fx = Fixture::three_members(0);
    // Carol alone: 30 M of 280 M voting power, under the 20 % quorum.
    let no_quorum = fx.propose(carol(), motion()).unwrap().id;
    fx.vote(carol(), no_quorum, Vote::Yes).unwrap();
    // Alice against Bob and Carol: 200 M no, 80 M yes.
    let rejected = fx.propose(bob(), motion()).unwrap().id;
    fx.vote(alice(), rejected, Vote::No).unwrap();
    fx.vote(bob(), rejected, Vote::Yes).unwrap();
    fx.vote(carol(), rejected, Vote::Yes).unwrap();
    // A tie is not adopted: Bob's 50 M yes against 30 M + 20 M no (the outsider joins before this one).
    fx.stake(outsider(), 2_000, 0).unwrap();
    let tie = fx.propose(bob(), motion()).unwrap().id;
    fx.vote(bob(), tie, Vote::Yes).unwrap();
    fx.vote(carol(), tie, Vote::No).unwrap();
    fx.vote(outsider(), tie, Vote::No).unwrap();
    let adopted = fx.propose(alice(), motion()).unwrap().id;
    fx.vote(alice(), adopted, Vote::Yes).unwrap();
    fx.vote(bob(), adopted, Vote::No).unwrap();

    fx.rt.advance(PERIOD - 1);
    fx.tick();
    assert_eq!(fx.proposal(adopted).state, ProposalState::Open, "not before the deadline");
    fx.rt.advance(1);
    fx.tick();
    assert_eq!(fx.proposal(no_quorum).state, ProposalState::QuorumNotReached);
    assert_eq!(fx.proposal(rejected).state, ProposalState::Rejected);
    assert_eq!(fx.proposal(tie).state, ProposalState::Rejected);
    assert_eq!(fx.proposal(adopted).state, ProposalState::Executed, "a motion executes at once");
    let before = fx.dump();
    for id in [no_quorum, rejected, tie, adopted] {
        assert_err(fx.execute(alice(), id), |e| matches!(e, FleetError::InvalidState(_)));
    }
    assert_eq!(fx.dump(), before);
    let statuses = block_on(async {
        executor::send_reports(&fx.rt, &fx.cell).await;
        fx.rt.reported_statuses.borrow().clone()
    });
    assert_eq!(statuses.last().unwrap(), "4 members; proposals: 0 open, 1 executed");
}

#[test]
fn the_number_of_undecided_proposals_is_bounded() {
    let fx = Fixture::three_members(0);
    for _ in 0..MAX_OPEN_PROPOSALS {
        fx.propose(alice(), motion()).unwrap();
    }
    let before = fx.dump();
    assert_err(fx.propose(alice(), motion()), |e| matches!(e, FleetError::InvalidState(_)));
    assert_eq!(fx.dump(), before);
    fx.rt.advance(PERIOD);
    fx.tick();
    fx.propose(alice(), motion()).unwrap();
}
