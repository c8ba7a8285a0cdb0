//! The DAO's fixture: a DAO governing a real token (the current token build, installed first as its ledger) with 4
//! members staking (a year's lock at 2x, unlocked stakes, one unstaked again), a funded treasury, and proposals in
//! every settled state: a motion, a treasury transfer and a change of the voting rules executed, a treasury transfer
//! larger than the treasury adopted and failed at the ledger, a motion rejected, a transfer short of quorum, and a
//! motion left open under the new rules; a `SetUpgradePolicy` proposal refused.
//!
//! Its view: the DAO's books (`getDao`), every member, every stake, every proposal (newest first) and every ballot.
//! Live invariants: members' stakes add up to the books' total staked and their voting power to the total voting
//! power; each stake's power is its amount times its multiplier (in basis points) and each member's power the sum of
//! its active stakes'; every executed treasury transfer has its block, and what they paid (amount and fee each) is
//! what the ledger showed leaving the treasury when the fixture was captured; a member cannot vote twice; an executed
//! proposal never executes again; a locked stake cannot be unstaked (each refused, nothing changes).

use anyhow::{ensure, Context, Result};
use candid::{Nat, Principal};
use dao_api::{
    Ballot, DaoArgs, DaoInfo, DaoParameters, ExecutionOutcome, LockOption, Member, Proposal, ProposalAction,
    ProposalState, ProposalsRequest, ProposeArgs, Stake, StakeArgs, StakeState, TreasuryTransfer, Vote, VoteArgs,
};
use fleet_api::{ContractInit, FleetError, Page, PageRequest, UpgradePolicy};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};
use serde_json::{json, Value};
use std::time::Duration;

use super::{Contract, ReleasedKind};
use crate::fleet::{nat_to_u128, user};
use crate::ic::PocketIc;

pub struct Dao;

/// The fixture ledger's fee (`install_token_ledger`).
const FEE: u128 = 10_000;
/// What the owner deposits into the treasury.
const TREASURY: u128 = 50_000_000;
/// Each member's wallet on the ledger.
const WALLET: u128 = 1_000_000_000;
const PERIOD_SECONDS: u64 = 3_600;
const YEAR_SECONDS: u64 = 365 * 24 * 3_600;
const MEMBERS: usize = 4;
/// What left the treasury on the ledger during the scenario: the one executed transfer and its fee.
const PAID_AT_CAPTURE: u128 = 1_234_567 + FEE;

fn member(i: usize) -> Principal {
    user(&format!("fixture/dao-member-{i}"))
}

fn payee() -> Principal {
    user("fixture/dao-payee")
}

fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}

fn parameters() -> DaoParameters {
    DaoParameters {
        voting_period_seconds: PERIOD_SECONDS,
        quorum_basis_points: 2_000,
        approval_threshold_basis_points: 5_000,
        min_stake_to_propose: Nat::from(1_000_000u64),
        locks: vec![
            LockOption { duration_seconds: 0, multiplier_basis_points: 10_000 },
            LockOption { duration_seconds: YEAR_SECONDS, multiplier_basis_points: 20_000 },
        ],
    }
}

impl ReleasedKind for Dao {
    fn kind(&self) -> &'static str {
        "dao"
    }

    fn init_arg(&self, ic: &PocketIc, owner: Principal, version: &str) -> Result<Vec<u8>> {
        let mut funds = vec![(account(owner), Nat::from(TREASURY + FEE))];
        funds.extend((0..MEMBERS).map(|i| (account(member(i)), Nat::from(WALLET))));
        let ledger = super::install_token_ledger(ic, owner, funds)?;
        let args = DaoArgs { name: "Fixture guild".into(), governance_token: ledger, parameters: parameters() };
        Ok(candid::encode_one(ContractInit { factory: None, owner, version: version.into(), args })?)
    }

    fn scenario(&self, dao: &Contract<'_>) -> Result<Vec<String>> {
        let ledger = info(dao)?.governance_token;
        let mut calls = vec![
            format!(
                "a token ledger (the current token build) created first ({ledger}): the owner holds {}, {MEMBERS} members {WALLET} each",
                TREASURY + FEE
            ),
            "install: voting period 1 h, quorum 20 %, approval 50 %, locks 0 (1x) and 1 year (2x)".to_string(),
        ];
        ledger_transfer(dao, ledger, dao.owner, account(dao.id), TREASURY)?;
        calls.push(format!("the owner deposits {TREASURY} into the treasury (the DAO's default account)"));
        for i in 0..MEMBERS {
            approve(dao, ledger, member(i))?;
        }
        // Member 0: 10,000,000 locked a year (2x); 1: 5,000,000; 2: 3,000,000 and 1,000,000, the latter unstaked
        // again; 3: 1,500,000 and 500,000.
        let stakes: [(usize, u64, u32); 6] = [
            (0, 10_000_000, 1),
            (1, 5_000_000, 0),
            (2, 3_000_000, 0),
            (2, 1_000_000, 0),
            (3, 1_500_000, 0),
            (3, 500_000, 0),
        ];
        let mut ids = Vec::new();
        for (i, amount, lock_index) in stakes {
            ids.push(stake(dao, member(i), amount, lock_index)?.id);
        }
        let (unstaked,): (Result<Stake, FleetError>,) = dao.update(member(2), "unstake", (ids[3],))?;
        ensure!(unstaked.map_err(|e| anyhow::anyhow!("unstake: {e}"))?.state == StakeState::Unstaked);
        calls.push(
            "approve + stake: 6 stakes of 4 members (one locked a year at 2x); one unlocked stake unstaked again"
                .into(),
        );

        let pay = |amount: u128| {
            ProposalAction::TreasuryTransfer(TreasuryTransfer {
                ledger,
                to: account(payee()),
                amount: Nat::from(amount),
                fee: None,
            })
        };
        let mut new_rules = parameters();
        new_rules.voting_period_seconds = 2 * PERIOD_SECONDS;
        new_rules.quorum_basis_points = 3_000;
        let motion = propose(dao, 0, "Adopt the charter", ProposalAction::Motion { text: "We build.".into() })?;
        let transfer = propose(dao, 1, "Pay the payee", pay(1_234_567))?;
        let rules = propose(dao, 0, "Longer votes, higher quorum", ProposalAction::ChangeParameters(new_rules))?;
        let too_much = propose(dao, 1, "Pay more than the treasury holds", pay(TREASURY * 2))?;
        let rejected = propose(dao, 2, "Rename the guild", ProposalAction::Motion { text: "Rename.".into() })?;
        let short = propose(dao, 2, "A small grant", pay(1_000))?;
        let (refused,): (Result<Proposal, FleetError>,) = dao.update(
            member(0),
            "propose",
            (ProposeArgs {
                summary: "Auto upgrades".into(),
                action: ProposalAction::SetUpgradePolicy(UpgradePolicy::Auto),
            },),
        )?;
        ensure!(matches!(refused, Err(FleetError::NotImplemented(_))), "SetUpgradePolicy answered {refused:?}");
        calls.push("propose: 2 motions, 3 treasury transfers, a change of the voting rules; a SetUpgradePolicy refused (NotImplemented)".into());

        for id in [motion, transfer, rules, too_much] {
            vote(dao, 0, id, Vote::Yes)?;
            vote(dao, 1, id, Vote::Yes)?;
        }
        vote(dao, 2, transfer, Vote::No)?;
        vote(dao, 0, rejected, Vote::No)?;
        vote(dao, 2, rejected, Vote::Yes)?;
        vote(dao, 3, short, Vote::Yes)?;
        calls.push("vote: 12 ballots (yes and no)".into());

        end_voting(dao.ic, PERIOD_SECONDS);
        let states: Vec<ProposalState> = [motion, transfer, rules, too_much, rejected, short]
            .iter()
            .map(|id| proposal(dao, *id).map(|p| p.state))
            .collect::<Result<_>>()?;
        use ProposalState::*;
        ensure!(
            states == [Executed, Executed, Executed, Failed, Rejected, QuorumNotReached],
            "after the deadline: {states:?}"
        );
        let treasury = ledger_balance(dao, ledger, account(dao.id))?;
        ensure!(treasury == TREASURY - PAID_AT_CAPTURE, "treasury on the ledger: {treasury}");
        calls.push(format!(
            "the clock passes the deadline (+1 h), the timer decides and executes: motion, transfer of 1234567 and the new rules executed, the oversized transfer failed at the ledger, one motion rejected, one transfer short of quorum; the treasury holds {treasury} on the ledger"
        ));

        let open = propose(dao, 3, "Open question", ProposalAction::Motion { text: "Still voting.".into() })?;
        vote(dao, 3, open, Vote::Yes)?;
        calls.push("propose under the new rules (2 h, 30 %) and one yes vote: left open".into());
        Ok(calls)
    }

    fn observe(&self, dao: &Contract<'_>) -> Result<Value> {
        let mut members = Vec::new();
        let mut stakes = Vec::new();
        for i in 0..MEMBERS {
            let (m,): (Option<Member>,) = dao.query("getMember", (member(i),))?;
            members.push(format!("{m:?}"));
            stakes.extend(stakes_of(dao, member(i))?.iter().map(|s| format!("{s:?}")));
        }
        let proposals = proposals(dao)?;
        let mut ballots = Vec::new();
        for p in &proposals {
            for i in 0..MEMBERS {
                let (b,): (Option<Ballot>,) = dao.query("getBallot", (p.id, member(i)))?;
                if let Some(b) = b {
                    ballots.push(format!("{b:?}"));
                }
            }
        }
        Ok(json!({
            "dao": format!("{:?}", info(dao)?),
            "members": members,
            "stakes": stakes,
            "proposals": proposals.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>(),
            "ballots": ballots,
            "treasury_paid": treasury_paid(&proposals)?.to_string(),
        }))
    }

    fn check_live(&self, dao: &Contract<'_>, before: &Value) -> Result<()> {
        let info = info(dao)?;
        let (mut staked, mut power, mut listed) = (0u128, 0u128, 0u64);
        let mut locked = None;
        for i in 0..MEMBERS {
            let (m,): (Option<Member>,) = dao.query("getMember", (member(i),))?;
            let Some(m) = m else { continue };
            listed += 1;
            let stakes = stakes_of(dao, member(i))?;
            let active: Vec<&Stake> = stakes.iter().filter(|s| s.state == StakeState::Active).collect();
            let (mut own_staked, mut own_power) = (0u128, 0u128);
            for s in &active {
                own_staked += nat_to_u128(&s.amount)?;
                own_power += nat_to_u128(&s.voting_power)?;
                ensure!(
                    nat_to_u128(&s.voting_power)? == nat_to_u128(&s.amount)? * s.multiplier_basis_points as u128,
                    "stake {} has power {} for {} at {} bp",
                    s.id,
                    s.voting_power,
                    s.amount,
                    s.multiplier_basis_points
                );
                if s.lock_seconds > 0 {
                    locked = Some((m.principal, s.id));
                }
            }
            ensure!(
                nat_to_u128(&m.staked)? == own_staked,
                "member {i} staked {} but its stakes add up to {own_staked}",
                m.staked
            );
            ensure!(
                nat_to_u128(&m.voting_power)? == own_power,
                "member {i} has power {} but its stakes add up to {own_power}",
                m.voting_power
            );
            staked += own_staked;
            power += own_power;
        }
        ensure!(nat_to_u128(&info.total_staked)? == staked, "members' stakes add up to {staked}: {info:?}");
        ensure!(nat_to_u128(&info.total_voting_power)? == power, "members' power adds up to {power}: {info:?}");
        ensure!(info.members == listed, "{listed} members found: {info:?}");

        let proposals = proposals(dao)?;
        ensure!(info.proposals == proposals.len() as u64, "{} proposals listed: {info:?}", proposals.len());
        for p in &proposals {
            ensure!(
                nat_to_u128(&p.yes)? + nat_to_u128(&p.no)? <= nat_to_u128(&p.total_voting_power)?,
                "proposal {} counts more votes than its snapshot's power",
                p.id
            );
            let outcome = p.execution.as_ref().and_then(|e| e.outcome.clone());
            ensure!(
                (p.state == ProposalState::Executed) == outcome.is_some(),
                "proposal {} is {:?} with outcome {outcome:?}",
                p.id,
                p.state
            );
        }
        let paid = treasury_paid(&proposals)?;
        ensure!(
            paid == PAID_AT_CAPTURE,
            "executed transfers paid {paid} from the treasury, the ledger showed {PAID_AT_CAPTURE} leaving it at capture"
        );

        let executed = proposals.iter().find(|p| p.state == ProposalState::Executed).context("an executed proposal")?;
        let (again,): (Result<Proposal, FleetError>,) = dao.update(member(0), "execute", (executed.id,))?;
        ensure!(matches!(again, Err(FleetError::InvalidState(_))), "re-executing {} answered {again:?}", executed.id);
        let open = proposals.iter().find(|p| p.state == ProposalState::Open).context("an open proposal")?;
        let (twice,): (Result<Proposal, FleetError>,) =
            dao.update(member(3), "vote", (VoteArgs { proposal_id: open.id, vote: Vote::No },))?;
        ensure!(twice.is_err(), "a second vote on {} answered {twice:?}", open.id);
        let (owner, stake_id) = locked.context("a locked stake")?;
        let (early,): (Result<Stake, FleetError>,) = dao.update(owner, "unstake", (stake_id,))?;
        ensure!(
            matches!(early, Err(FleetError::InvalidState(_))),
            "unstaking locked stake {stake_id} answered {early:?}"
        );
        super::same_view(before, &self.observe(dao)?)
            .context("after refused re-execution, second vote and early unstake")
    }
}

/// What executed treasury transfers took from the treasury (amount and the ledger's fee each).
fn treasury_paid(proposals: &[Proposal]) -> Result<u128> {
    let mut paid = 0;
    for p in proposals {
        if let (ProposalAction::TreasuryTransfer(t), ProposalState::Executed) = (&p.action, p.state) {
            let outcome = p.execution.as_ref().and_then(|e| e.outcome.clone());
            ensure!(
                matches!(outcome, Some(ExecutionOutcome::Transferred { .. })),
                "executed transfer {} has outcome {outcome:?}",
                p.id
            );
            paid += nat_to_u128(&t.amount)? + t.fee.as_ref().map(nat_to_u128).transpose()?.unwrap_or(FEE);
        }
    }
    Ok(paid)
}

fn end_voting(ic: &PocketIc, seconds: u64) {
    ic.advance_time(Duration::from_secs(seconds));
    for _ in 0..6 {
        ic.tick();
    }
}

fn info(dao: &Contract<'_>) -> Result<DaoInfo> {
    let (info,): (DaoInfo,) = dao.query("getDao", ())?;
    Ok(info)
}

fn proposal(dao: &Contract<'_>, id: u64) -> Result<Proposal> {
    let (p,): (Result<Proposal, FleetError>,) = dao.query("getProposal", (id,))?;
    p.map_err(|e| anyhow::anyhow!("getProposal {id}: {e}"))
}

fn stake(dao: &Contract<'_>, who: Principal, amount: u64, lock_index: u32) -> Result<Stake> {
    let args = StakeArgs { amount: Nat::from(amount), lock_index, from_subaccount: None };
    let (s,): (Result<Stake, FleetError>,) = dao.update(who, "stake", (args,))?;
    let s = s.map_err(|e| anyhow::anyhow!("stake {amount}: {e}"))?;
    ensure!(s.state == StakeState::Active, "stake {amount}: {s:?}");
    Ok(s)
}

fn propose(dao: &Contract<'_>, proposer: usize, summary: &str, action: ProposalAction) -> Result<u64> {
    let (p,): (Result<Proposal, FleetError>,) =
        dao.update(member(proposer), "propose", (ProposeArgs { summary: summary.into(), action },))?;
    Ok(p.map_err(|e| anyhow::anyhow!("propose {summary}: {e}"))?.id)
}

fn vote(dao: &Contract<'_>, voter: usize, proposal_id: u64, vote: Vote) -> Result<()> {
    let (p,): (Result<Proposal, FleetError>,) = dao.update(member(voter), "vote", (VoteArgs { proposal_id, vote },))?;
    p.map_err(|e| anyhow::anyhow!("vote of member {voter} on {proposal_id}: {e}"))?;
    Ok(())
}

fn proposals(dao: &Contract<'_>) -> Result<Vec<Proposal>> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let request = ProposalsRequest { state: None, page: PageRequest::new(offset, 0) };
        let (page,): (Page<Proposal>,) = dao.query("getProposals", (request,))?;
        all.extend(page.items);
        match page.next_offset {
            Some(next) if next > offset => offset = next,
            _ => return Ok(all),
        }
    }
}

fn stakes_of(dao: &Contract<'_>, who: Principal) -> Result<Vec<Stake>> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let (page,): (Page<Stake>,) = dao.query("getStakes", (who, PageRequest::new(offset, 0)))?;
        all.extend(page.items);
        match page.next_offset {
            Some(next) if next > offset => offset = next,
            _ => return Ok(all),
        }
    }
}

fn ledger_contract<'a>(dao: &Contract<'a>, ledger: Principal) -> Contract<'a> {
    Contract { ic: dao.ic, id: ledger, owner: dao.owner }
}

fn ledger_transfer(dao: &Contract<'_>, ledger: Principal, from: Principal, to: Account, amount: u128) -> Result<()> {
    let arg = TransferArg {
        from_subaccount: None,
        to,
        fee: None,
        created_at_time: None,
        memo: None,
        amount: Nat::from(amount),
    };
    let (sent,): (Result<Nat, TransferError>,) = ledger_contract(dao, ledger).update(from, "icrc1_transfer", (arg,))?;
    sent.map_err(|e| anyhow::anyhow!("transfer of {amount}: {e:?}"))?;
    Ok(())
}

fn approve(dao: &Contract<'_>, ledger: Principal, who: Principal) -> Result<()> {
    let arg = ApproveArgs {
        from_subaccount: None,
        spender: account(dao.id),
        amount: Nat::from(WALLET),
        expected_allowance: None,
        expires_at: None,
        fee: None,
        memo: None,
        created_at_time: None,
    };
    let (r,): (Result<Nat, ApproveError>,) = ledger_contract(dao, ledger).update(who, "icrc2_approve", (arg,))?;
    r.map_err(|e| anyhow::anyhow!("approve by {who}: {e:?}"))?;
    Ok(())
}

fn ledger_balance(dao: &Contract<'_>, ledger: Principal, of: Account) -> Result<u128> {
    let (b,): (Nat,) = ledger_contract(dao, ledger).query("icrc1_balance_of", (of,))?;
    nat_to_u128(&b)
}
