//! Money conservation over random operation sequences: stakes, unstakes, settlements, proposals, votes, executions,
//! deadlines and upgrades, with lost answers and undelivered calls injected at random. After every operation the
//! staking account holds at least the active stakes and at most the stakes whose call may have moved tokens; the
//! DAO's totals equal the sum of its members'. Once every open call is settled, the staking account holds exactly the
//! active stakes, and the treasury paid each executed proposal exactly once.

use super::*;
use crate::fake_runtime::Fault;
use dao_api::{ExecutionOutcome, ProposalState, Stake, StakeState};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const MEMBERS: [fn() -> Principal; 4] = [alice, bob, carol, outsider];
const TREASURY: u128 = 200_000;

fn all_stakes(fx: &Fixture) -> Vec<Stake> {
    MEMBERS.iter().flat_map(|m| fx.dao(|d| d.stakes_page(m(), PageRequest::new(0, 500)).items)).collect()
}

fn sum(stakes: &[Stake], state: StakeState) -> u128 {
    stakes.iter().filter(|s| s.state == state).map(|s| super::super::to_u128(&s.amount)).sum()
}

fn check_books(fx: &Fixture, context: &str) {
    let stakes = all_stakes(fx);
    let held = fx.balance(staking_account());
    let active = sum(&stakes, StakeState::Active);
    let in_doubt = sum(&stakes, StakeState::Staking) + sum(&stakes, StakeState::Unstaking);
    assert!(
        active <= held && held <= active + in_doubt,
        "{context}: held {held}, active {active}, in doubt {in_doubt}"
    );
    let info = fx.dao(|d| d.info(dao_id()));
    let members: Vec<_> = MEMBERS.iter().filter_map(|m| fx.dao(|d| d.member(&m()))).collect();
    let staked: u128 = members.iter().map(|m| super::super::to_u128(&m.staked)).sum();
    let power: u128 = members.iter().map(|m| super::super::to_u128(&m.voting_power)).sum();
    let active_power: u128 =
        stakes.iter().filter(|s| s.state == StakeState::Active).map(|s| super::super::to_u128(&s.voting_power)).sum();
    assert_eq!((super::super::to_u128(&info.total_staked), staked), (active, active), "{context}");
    assert_eq!((super::super::to_u128(&info.total_voting_power), power), (active_power, active_power), "{context}");
}

/// Re-sends every stake call and execution whose outcome is unknown, with no faults, as members would.
fn settle_everything(fx: &Fixture) {
    fx.rt.faults.borrow_mut().clear();
    for stake in all_stakes(fx) {
        if matches!(stake.state, StakeState::Staking | StakeState::Unstaking) {
            let settled = fx.settle(stake.member, stake.id);
            assert!(settled.is_ok() || matches!(settled, Err(FleetError::CallFailed { .. })), "{settled:?}");
        }
    }
    fx.tick();
    let count = fx.dao(|d| d.config().next_proposal_id);
    for id in 0..count {
        let p = fx.proposal(id);
        let unknown = p.execution.as_ref().and_then(|e| e.last_failure.as_ref()).is_some_and(|f| f.outcome_unknown);
        if p.state == ProposalState::Failed && unknown {
            fx.execute(owner(), id).unwrap();
        }
    }
}

/// One random sequence; how many proposals it executed and stakes it returned.
fn run(seed: u64) -> (usize, usize) {
    let fx = Fixture::new(TREASURY);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    for step in 0..250 {
        let who = MEMBERS[rng.below(4) as usize]();
        if rng.below(6) == 0 {
            fx.rt.fail_next(if rng.below(2) == 0 { Fault::NotDelivered } else { Fault::ExecuteThenLoseAnswer });
        }
        match rng.below(10) {
            0 | 1 => {
                let _ = fx.stake(who, 11 + u128::from(rng.below(5_000)), rng.below(2) as u32);
            }
            2 => {
                let stakes = fx.dao(|d| d.stakes_page(who, PageRequest::new(0, 500)).items);
                if let Some(stake) = stakes.get(rng.below(stakes.len() as u64 + 1) as usize) {
                    let _ = fx.unstake(who, stake.id);
                }
            }
            3 => {
                let stakes = fx.dao(|d| d.stakes_page(who, PageRequest::new(0, 500)).items);
                if let Some(stake) = stakes.get(rng.below(stakes.len() as u64 + 1) as usize) {
                    let _ = fx.settle(who, stake.id);
                }
            }
            4 => {
                let _ = fx
                    .propose(who, treasury_transfer(user(20 + rng.below(3) as u8), 1 + u128::from(rng.below(30_000))));
            }
            5 | 6 => {
                let count = fx.dao(|d| d.config().next_proposal_id);
                let vote = if rng.below(3) == 0 { Vote::No } else { Vote::Yes };
                let _ = fx.vote(who, rng.below(count + 1), vote);
            }
            7 => {
                let count = fx.dao(|d| d.config().next_proposal_id);
                let _ = fx.execute(who, rng.below(count + 1));
            }
            8 => {
                fx.rt.advance(rng.below(600) * SECOND);
                fx.tick();
            }
            _ => match rng.below(3) {
                0 => fx.upgrade(),
                // Deadlines (and, rarely, the end of every lock) pass only once every open call is settled, so that
                // no re-send falls outside the ledger's deduplication window.
                1 => {
                    settle_everything(&fx);
                    fx.rt.advance(PERIOD);
                    fx.tick();
                }
                _ => {
                    settle_everything(&fx);
                    fx.rt.advance(if rng.below(4) == 0 { YEAR_SECONDS * SECOND } else { DAY });
                    fx.tick();
                }
            },
        }
        check_books(&fx, &format!("seed {seed} step {step}"));
    }
    settle_everything(&fx);
    let stakes = all_stakes(&fx);
    assert!(stakes.iter().all(|s| matches!(s.state, StakeState::Active | StakeState::Unstaked)), "seed {seed}");
    assert_eq!(fx.balance(staking_account()), sum(&stakes, StakeState::Active), "seed {seed}: staking account exact");
    // Every executed proposal paid once, and nothing else left the treasury.
    let count = fx.dao(|d| d.config().next_proposal_id);
    let mut paid = 0u128;
    let mut executed = 0usize;
    for id in 0..count {
        let p = fx.proposal(id);
        if let (Some(ExecutionOutcome::Transferred { .. }), ProposalAction::TreasuryTransfer(t)) =
            (p.execution.as_ref().and_then(|e| e.outcome.clone()), &p.action)
        {
            paid += super::super::to_u128(&t.amount) + FEE;
            executed += 1;
        }
    }
    let from_treasury = fx.rt.ledger.borrow().blocks.iter().filter(|(from, _, _)| *from == account(dao_id())).count();
    assert_eq!(from_treasury, executed, "seed {seed}: one ledger transfer per executed proposal");
    assert_eq!(fx.balance(account(dao_id())), TREASURY - paid, "seed {seed}: treasury");
    (executed, stakes.iter().filter(|s| s.state == StakeState::Unstaked).count())
}

#[test]
fn money_is_conserved_over_random_operation_sequences() {
    let (mut executed, mut unstaked) = (0, 0);
    for seed in 1..=30 {
        let (e, u) = run(seed);
        executed += e;
        unstaked += u;
    }
    // The sequences reach the paths that move money, not only the refusals.
    assert!(executed >= 10 && unstaked >= 10, "executed {executed}, unstaked {unstaked}");
    println!("30 sequences: {executed} proposals executed, {unstaked} stakes returned");
}
