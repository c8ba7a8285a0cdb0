//! The DAO's wasm with the token contract's wasm as its governance ledger: stakes move exact amounts by ICRC-2
//! `transfer_from` and come back less one fee after the lock; a treasury transfer adopted by vote is executed by the
//! deadline timer exactly once; a proposal short of quorum moves nothing; votes count the power of the proposal's
//! snapshot; the deadline timer fires across an upgrade of the DAO; every update refuses callers who may not make it.
//! `dao_instruction_counts` prints the benchmark (emulator only: it reads `instructions_used`).

use candid::{encode_one, CandidType, Nat, Principal};
use dao_api::{
    Ballot, DaoArgs, DaoInfo, DaoInit, DaoParameters, ExecutionOutcome, LockOption, Member, Proposal, ProposalAction,
    ProposalState, ProposeArgs, Stake, StakeArgs, StakeState, TreasuryTransfer, Vote, VoteArgs,
};
use fleet_api::{ContractHealth, ContractInit, ContractUpgrade, FleetError, Page, PageRequest};
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use fleet_tests::wasm::canister_wasm;
use std::time::Duration;
use token_api::{Account, ApproveArgs, GetTransactionsRequest, GetTransactionsResponse, TokenArgs, TokenInit};

const VERSION: &str = "1.0.0";
const FEE: u64 = 10_000;
const TREASURY: u64 = 50_000_000;
const WALLET: u64 = 1_000_000_000;
const PERIOD_SECONDS: u64 = 3_600;
const YEAR_SECONDS: u64 = 365 * 24 * 3_600;
/// Stakes are counted in thousands of base units (the ledger fee is 10,000).
const U: u64 = 1_000;

fn principal(name: &str) -> Principal {
    Principal::self_authenticating(name.as_bytes())
}
fn owner() -> Principal {
    principal("owner")
}
fn alice() -> Principal {
    principal("alice")
}
fn bob() -> Principal {
    principal("bob")
}
fn carol() -> Principal {
    principal("carol")
}
fn dave() -> Principal {
    principal("dave")
}
fn mallory() -> Principal {
    principal("mallory")
}
fn member(i: usize) -> Principal {
    principal(&format!("member {i}"))
}
fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}

type ProposalResult = Result<Proposal, FleetError>;
type StakeResult = Result<Stake, FleetError>;

fn parameters() -> DaoParameters {
    DaoParameters {
        voting_period_seconds: PERIOD_SECONDS,
        quorum_basis_points: 2_000,
        approval_threshold_basis_points: 5_000,
        min_stake_to_propose: Nat::from(1_000 * U),
        locks: vec![
            LockOption { duration_seconds: 0, multiplier_basis_points: 10_000 },
            LockOption { duration_seconds: YEAR_SECONDS, multiplier_basis_points: 20_000 },
        ],
    }
}

struct Dao {
    pic: PocketIc,
    id: Principal,
    ledger: Principal,
}

impl Dao {
    fn new(extra_members: usize) -> Self {
        Self::on(ic::new_instance(), extra_members)
    }

    /// A DAO on a fresh token ledger: the treasury holds `TREASURY`; alice, bob, carol, dave, mallory and
    /// `extra_members` more hold `WALLET` each and have approved the DAO for all of it.
    fn on(pic: PocketIc, extra_members: usize) -> Self {
        let settings = || CanisterSettings { controllers: Some(vec![owner()]), ..Default::default() };
        let id = pic.create_canister_with_settings(Some(owner()), Some(settings()));
        pic.add_cycles(id, 10_000_000_000_000);
        let ledger = pic.create_canister_with_settings(Some(owner()), Some(settings()));
        pic.add_cycles(ledger, 10_000_000_000_000);
        let users: Vec<Principal> =
            [alice(), bob(), carol(), dave(), mallory()].into_iter().chain((0..extra_members).map(member)).collect();
        let mut balances = vec![(account(id), Nat::from(TREASURY))];
        balances.extend(users.iter().map(|u| (account(*u), Nat::from(WALLET))));
        let token = TokenArgs {
            name: "Governance".into(),
            symbol: "GOV".into(),
            decimals: 8,
            transfer_fee: Nat::from(FEE),
            initial_balances: balances,
            minting_account: None,
            logo: None,
            max_memo_length: None,
        };
        let token_wasm = canister_wasm("token");
        let version = fleet_tests::fleet::token_version(&token_wasm).expect("the token wasm names its version");
        let token_init: TokenInit = ContractInit { factory: None, owner: owner(), version, args: token };
        pic.install_canister(ledger, token_wasm, encode_one(token_init).unwrap(), Some(owner()));
        let args = DaoArgs { name: "Guild".into(), governance_token: ledger, parameters: parameters() };
        let init: DaoInit = ContractInit { factory: None, owner: owner(), version: VERSION.into(), args };
        pic.install_canister(id, canister_wasm("dao"), encode_one(init).unwrap(), Some(owner()));
        let dao = Self { pic, id, ledger };
        for user in users {
            let approve = ApproveArgs {
                from_subaccount: None,
                spender: account(id),
                amount: Nat::from(WALLET),
                expected_allowance: None,
                expires_at: None,
                fee: None,
                memo: None,
                created_at_time: None,
            };
            let (reply,): (Result<Nat, token_api::ApproveError>,) =
                ic::update_candid_as(&dao.pic, ledger, user, "icrc2_approve", (approve,)).expect("approve");
            reply.expect("approved");
        }
        dao
    }

    fn update<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        caller: Principal,
        method: &str,
        arg: impl CandidType,
    ) -> T {
        let (reply,): (T,) = ic::update_candid_as(&self.pic, self.id, caller, method, (arg,)).expect(method);
        reply
    }

    fn query<T: CandidType + for<'de> candid::Deserialize<'de>>(&self, method: &str, arg: impl CandidType) -> T {
        let (reply,): (T,) = ic::query_candid(&self.pic, self.id, method, (arg,)).expect(method);
        reply
    }

    fn stake(&self, caller: Principal, amount: u64, lock_index: u32) -> StakeResult {
        self.update(caller, "stake", StakeArgs { amount: Nat::from(amount), lock_index, from_subaccount: None })
    }

    fn propose(&self, caller: Principal, action: ProposalAction) -> ProposalResult {
        self.update(caller, "propose", ProposeArgs { summary: "test".into(), action })
    }

    fn vote(&self, caller: Principal, proposal_id: u64, vote: Vote) -> ProposalResult {
        self.update(caller, "vote", VoteArgs { proposal_id, vote })
    }

    fn proposal(&self, id: u64) -> Proposal {
        let p: ProposalResult = self.query("getProposal", id);
        p.expect("the proposal exists")
    }

    fn info(&self) -> DaoInfo {
        self.query("getDao", ())
    }

    fn balance(&self, account: Account) -> u64 {
        let (reply,): (Nat,) =
            ic::query_candid(&self.pic, self.ledger, "icrc1_balance_of", (account,)).expect("balance");
        u64::try_from(reply.0).expect("fits")
    }

    fn treasury(&self) -> u64 {
        self.balance(account(self.id))
    }

    fn ledger_log_length(&self) -> Nat {
        let request = GetTransactionsRequest { start: Nat::from(0u8), length: Nat::from(0u8) };
        let (page,): (GetTransactionsResponse,) =
            ic::query_candid(&self.pic, self.ledger, "get_transactions", (request,)).expect("log");
        page.log_length
    }

    /// Lets the deadline pass and the timers run.
    fn end_voting(&self) {
        self.pic.advance_time(Duration::from_secs(PERIOD_SECONDS));
        for _ in 0..6 {
            self.pic.tick();
        }
    }

    /// Alice 10,000 locked a year (2x), Bob 5,000 and Carol 3,000 unlocked.
    fn three_members(self) -> Self {
        self.stake(alice(), 10_000 * U, 1).unwrap();
        self.stake(bob(), 5_000 * U, 0).unwrap();
        self.stake(carol(), 3_000 * U, 0).unwrap();
        self
    }

    fn upgrade(&self) {
        let arg = encode_one(Some(ContractUpgrade { version: VERSION.into(), migration_arg: None })).unwrap();
        self.pic.upgrade_canister(self.id, canister_wasm("dao"), arg, Some(owner())).expect("upgrade the DAO");
    }
}

fn pay(dao: &Dao, to: Principal, amount: u64) -> ProposalAction {
    ProposalAction::TreasuryTransfer(TreasuryTransfer {
        ledger: dao.ledger,
        to: account(to),
        amount: Nat::from(amount),
        fee: None,
    })
}

#[test]
fn install_answers_health_and_refuses_bad_rules() {
    let dao = Dao::new(0);
    let health: ContractHealth = dao.query("health", ());
    assert!(health.ok, "{health:?}");
    assert_eq!(
        (health.kind, health.version.as_str(), health.schema_version),
        (fleet_api::ContractKind::Dao, VERSION, 1)
    );
    let info = dao.info();
    assert_eq!((info.name.as_str(), info.governance_token, info.members), ("Guild", dao.ledger, 0));

    let id = dao.pic.create_canister_with_settings(Some(owner()), None);
    dao.pic.add_cycles(id, 1_000_000_000_000);
    let bad = DaoParameters { approval_threshold_basis_points: 4_000, ..parameters() };
    let args = DaoArgs { name: "Bad".into(), governance_token: dao.ledger, parameters: bad };
    let init: DaoInit = ContractInit { factory: None, owner: owner(), version: VERSION.into(), args };
    let refused = dao.pic.reinstall_canister(id, canister_wasm("dao"), encode_one(init).unwrap(), Some(owner()));
    let reject = refused.expect_err("an install with a threshold under a majority must be refused");
    assert!(reject.reject_message.contains("dao install refused"), "{reject:?}");
}

#[test]
fn stakes_move_exact_amounts_and_come_back_less_one_fee_after_the_lock() {
    let dao = Dao::new(0);
    let locked = dao.stake(alice(), 10_000 * U, 1).unwrap();
    let free = dao.stake(alice(), 4_000 * U, 0).unwrap();
    assert_eq!((locked.state, free.state), (StakeState::Active, StakeState::Active));
    let staking = dao.info().staking_account;
    assert_eq!(dao.balance(staking), 14_000 * U);
    // The approve cost one fee, each stake one more.
    assert_eq!(dao.balance(account(alice())), WALLET - 14_000 * U - 3 * FEE);
    assert_eq!(dao.treasury(), TREASURY, "stakes are held apart from the treasury");
    let m: Option<Member> = dao.query("getMember", alice());
    assert_eq!(m.unwrap().voting_power, Nat::from((10_000 * 20_000 + 4_000 * 10_000) * U));

    let early: StakeResult = dao.update(alice(), "unstake", locked.id);
    assert!(matches!(early, Err(FleetError::InvalidState(ref t)) if t.contains("locked until")), "{early:?}");
    let back: StakeResult = dao.update(alice(), "unstake", free.id);
    assert_eq!(back.unwrap().state, StakeState::Unstaked);
    dao.pic.advance_time(Duration::from_secs(YEAR_SECONDS));
    let back: StakeResult = dao.update(alice(), "unstake", locked.id);
    assert_eq!(back.unwrap().unstake_fee, Some(Nat::from(FEE)));
    assert_eq!(dao.balance(staking), 0);
    assert_eq!(dao.balance(account(alice())), WALLET - 5 * FEE, "every unit back but the five ledger fees");

    let too_much = dao.stake(bob(), WALLET, 0);
    assert!(matches!(too_much, Err(FleetError::InsufficientAllowance { .. })), "{too_much:?}");
    let stakes: Page<Stake> = dao.query_stakes(bob());
    assert_eq!(stakes.total, 0, "a refused stake leaves no record");
}

impl Dao {
    fn query_stakes(&self, member: Principal) -> Page<Stake> {
        let (reply,): (Page<Stake>,) =
            ic::query_candid(&self.pic, self.id, "getStakes", (member, PageRequest::new(0, 100))).expect("stakes");
        reply
    }

    fn ballot(&self, id: u64, member: Principal) -> Option<Ballot> {
        let (reply,): (Option<Ballot>,) =
            ic::query_candid(&self.pic, self.id, "getBallot", (id, member)).expect("ballot");
        reply
    }
}

#[test]
fn a_treasury_transfer_adopted_by_vote_is_executed_exactly_once() {
    let dao = Dao::new(0).three_members();
    let id = dao.propose(bob(), pay(&dao, dave(), 1_234_567)).unwrap().id;
    dao.vote(alice(), id, Vote::Yes).unwrap();
    dao.vote(carol(), id, Vote::No).unwrap();
    let log_before = dao.ledger_log_length();
    dao.end_voting();
    let p = dao.proposal(id);
    assert_eq!(p.state, ProposalState::Executed, "{p:?}");
    let Some(ExecutionOutcome::Transferred { block_index }) = p.execution.as_ref().and_then(|e| e.outcome.clone())
    else {
        panic!("a transfer outcome: {p:?}")
    };
    assert_eq!(block_index, log_before);
    assert_eq!(dao.balance(account(dave())), WALLET - FEE + 1_234_567);
    assert_eq!(dao.treasury(), TREASURY - 1_234_567 - FEE);

    // Retries, timers and time change nothing more.
    for caller in [alice(), bob(), owner()] {
        let again: ProposalResult = dao.update(caller, "execute", id);
        assert!(matches!(again, Err(FleetError::InvalidState(_))), "{again:?}");
    }
    dao.end_voting();
    assert_eq!(dao.ledger_log_length(), log_before + 1u8, "one transfer in all");
    assert_eq!(dao.balance(account(dave())), WALLET - FEE + 1_234_567);
}

#[test]
fn a_proposal_short_of_quorum_moves_nothing() {
    let dao = Dao::new(0).three_members();
    // Carol's 30 M of 280 M voting power is under the 20 % quorum.
    let id = dao.propose(carol(), pay(&dao, dave(), 1_000)).unwrap().id;
    dao.vote(carol(), id, Vote::Yes).unwrap();
    let log_before = dao.ledger_log_length();
    dao.end_voting();
    let p = dao.proposal(id);
    assert_eq!(p.state, ProposalState::QuorumNotReached);
    assert_eq!((p.yes, p.total_voting_power), (Nat::from(30_000_000 * U), Nat::from(280_000_000 * U)));
    let forced: ProposalResult = dao.update(carol(), "execute", id);
    assert!(matches!(forced, Err(FleetError::InvalidState(_))), "{forced:?}");
    assert_eq!(dao.ledger_log_length(), log_before);
    assert_eq!(dao.treasury(), TREASURY);
}

#[test]
fn votes_count_the_voting_power_of_the_proposals_snapshot() {
    let dao = Dao::new(0).three_members();
    let id = dao.propose(alice(), pay(&dao, dave(), 1_000)).unwrap().id;
    // After the snapshot: Bob stakes ten times more for a year, Dave joins, Carol leaves.
    dao.stake(bob(), 50_000 * U, 1).unwrap();
    dao.stake(dave(), 100_000 * U, 0).unwrap();
    let carol_stake = dao.query_stakes(carol()).items[0].id;
    let left: StakeResult = dao.update(carol(), "unstake", carol_stake);
    left.unwrap();

    let p = dao.vote(bob(), id, Vote::No).unwrap();
    assert_eq!(p.no, Nat::from(5_000 * 10_000 * U), "Bob's power when the proposal was created");
    let p = dao.vote(carol(), id, Vote::No).unwrap();
    assert_eq!(p.no, Nat::from(8_000 * 10_000 * U), "Carol had this power at the snapshot");
    let late = dao.vote(dave(), id, Vote::Yes);
    assert!(matches!(late, Err(FleetError::Unauthorized(_))), "{late:?}");
    assert!(dao.ballot(id, dave()).is_none());
    assert_eq!(dao.ballot(id, bob()).unwrap().voting_power, Nat::from(50_000_000 * U));
    let twice = dao.vote(bob(), id, Vote::Yes);
    assert!(matches!(twice, Err(FleetError::AlreadyExists(_))), "{twice:?}");
    dao.vote(alice(), id, Vote::Yes).unwrap();
    dao.end_voting();
    assert_eq!(dao.proposal(id).state, ProposalState::Executed, "200 M yes against 80 M no");
    // The next proposal snapshots today's powers: Dave votes on it.
    let next = dao.propose(dave(), ProposalAction::Motion { text: "welcome".into() }).unwrap();
    assert_eq!(dao.vote(dave(), next.id, Vote::Yes).unwrap().yes, Nat::from(100_000 * 10_000 * U));
}

#[test]
fn the_deadline_timer_fires_across_an_upgrade_of_the_dao() {
    let dao = Dao::new(0).three_members();
    let id = dao.propose(alice(), pay(&dao, dave(), 777)).unwrap().id;
    dao.vote(alice(), id, Vote::Yes).unwrap();
    let motion = dao.propose(bob(), ProposalAction::Motion { text: "upgrade-proof".into() }).unwrap().id;
    dao.vote(bob(), motion, Vote::Yes).unwrap();
    dao.vote(carol(), motion, Vote::No).unwrap();
    dao.upgrade();
    assert_eq!(dao.proposal(id).state, ProposalState::Open, "the upgrade keeps the open proposal");
    assert_eq!(dao.ballot(motion, carol()).unwrap().vote, Vote::No, "and its ballots");
    dao.end_voting();
    assert_eq!(dao.proposal(id).state, ProposalState::Executed, "the re-armed deadline decided and executed it");
    assert_eq!(dao.proposal(motion).state, ProposalState::Executed, "50 M yes against 30 M no: quorum 80 M of 280 M");
    assert_eq!(dao.balance(account(dave())), WALLET - FEE + 777);
    let health: ContractHealth = dao.query("health", ());
    assert!(health.ok && health.message.contains("2 executed"), "{health:?}");
}

#[test]
fn every_update_refuses_callers_who_may_not_make_it() {
    let dao = Dao::new(0).three_members();
    dao.stake(mallory(), 500 * U, 0).unwrap(); // a member, but under the minimum stake to propose
    let id = dao.propose(alice(), pay(&dao, dave(), 1_000)).unwrap().id;
    let alice_stake = dao.query_stakes(alice()).items[0].id;
    let bob_stake = dao.query_stakes(bob()).items[0].id;
    let before = (dao.info(), dao.proposal(id), dao.query_stakes(bob()), dao.ledger_log_length());

    fn unauthorized<T>(r: &Result<T, FleetError>) -> bool {
        matches!(r, Err(FleetError::Unauthorized(_)))
    }
    let r: StakeResult = dao.update(mallory(), "unstake", bob_stake);
    assert!(unauthorized(&r), "unstake: {r:?}");
    let r: StakeResult = dao.update(mallory(), "settleStake", alice_stake);
    assert!(unauthorized(&r), "settleStake: {r:?}");
    let r = dao.propose(mallory(), ProposalAction::Motion { text: "mine".into() });
    assert!(unauthorized(&r), "propose under the minimum stake: {r:?}");
    let r = dao.propose(dave(), ProposalAction::Motion { text: "mine".into() });
    assert!(unauthorized(&r), "propose by a non-member: {r:?}");
    let r = dao.vote(dave(), id, Vote::Yes);
    assert!(unauthorized(&r), "vote by a non-member: {r:?}");
    let r = dao.vote(mallory(), id, Vote::Yes);
    assert!(r.is_ok(), "a member at the snapshot votes, whatever their stake: {r:?}");
    let r: ProposalResult = dao.update(dave(), "execute", id);
    assert!(unauthorized(&r), "execute by a non-member: {r:?}");
    let r = dao.propose(alice(), ProposalAction::SetUpgradePolicy(fleet_api::UpgradePolicy::Auto));
    assert!(matches!(r, Err(FleetError::NotImplemented(ref t)) if t.contains("setUpgradePolicy")), "{r:?}");
    assert_eq!(dao.info(), before.0);
    assert_eq!(dao.query_stakes(bob()), before.2);
    assert_eq!(dao.ledger_log_length(), before.3);

    // The anonymous principal is refused before any update runs.
    for method in ["stake", "unstake", "settleStake", "propose", "vote", "execute"] {
        let refused =
            ic::update_candid_as::<(u64,), (ProposalResult,)>(&dao.pic, dao.id, Principal::anonymous(), method, (0,));
        assert!(refused.is_err(), "{method} accepted an anonymous call");
    }
}

/// Instructions of every execution on the DAO from `message` until it is answered.
#[cfg(not(feature = "pocket-ic"))]
fn executions_of(dao: &Dao, message: ic::RawMessageId) -> Vec<u64> {
    let mut parts = vec![];
    let mut last = dao.pic.instructions_used(dao.id);
    for _ in 0..30 {
        dao.pic.tick();
        let used = dao.pic.instructions_used(dao.id);
        if used != last {
            last = used;
            parts.push(used);
        }
        if dao.pic.ingress_status(message.clone()).is_some() {
            break;
        }
    }
    parts
}

#[cfg(not(feature = "pocket-ic"))]
#[test]
fn dao_instruction_counts() {
    use emulator::state::SubnetConfig;
    const MANY: usize = 200;
    let pic = ic::PocketIcBuilder::new()
        .with_subnet_config(SubnetConfig { max_executions_per_round: 1, ..SubnetConfig::default() })
        .build();
    let dao = Dao::on(pic, MANY).three_members();
    let used = || dao.pic.instructions_used(dao.id);
    let mut rows: Vec<(String, u64)> = vec![];

    let stake = StakeArgs { amount: Nat::from(10_000 * U), lock_index: 1, from_subaccount: None };
    let message = dao.pic.submit_call(dao.id, dave(), "stake", encode_one(stake).unwrap()).unwrap();
    let parts = executions_of(&dao, message.clone());
    let reply: StakeResult = candid::decode_one(&dao.pic.await_call(message).unwrap()).unwrap();
    assert_eq!(reply.unwrap().state, StakeState::Active);
    assert!(parts.len() >= 3, "stake: the update, the fee's reply, the transfer_from's reply: {parts:?}");
    rows.push(("stake: every DAO message until the reply (update, 2 replies, timers)".into(), parts.iter().sum()));
    rows.push(("  of which the largest message".into(), parts.iter().copied().max().unwrap_or(0)));

    let id = dao.propose(alice(), pay(&dao, dave(), 1_000)).unwrap().id;
    rows.push(("propose (treasury transfer), 4 members".into(), used()));
    dao.vote(bob(), id, Vote::Yes).unwrap();
    rows.push(("vote, 4 members".into(), used()));

    for i in 0..MANY {
        dao.stake(member(i), 20 * U, 0).unwrap();
    }
    let big = dao.propose(alice(), pay(&dao, dave(), 1_000)).unwrap().id;
    rows.push((format!("propose (treasury transfer), {} members", MANY + 4), used()));
    dao.vote(bob(), big, Vote::Yes).unwrap();
    let vote_many = used();
    rows.push((format!("vote, {} members", MANY + 4), vote_many));
    dao.vote(member(7), big, Vote::No).unwrap();
    dao.vote(alice(), id, Vote::Yes).unwrap();
    dao.vote(alice(), big, Vote::Yes).unwrap();

    // The deadline: the timer decides and executes (send), then the ledger's reply is recorded.
    dao.pic.advance_time(Duration::from_secs(PERIOD_SECONDS));
    let mut parts = vec![];
    let mut last = used();
    for _ in 0..20 {
        dao.pic.tick();
        if used() != last {
            last = used();
            parts.push(last);
        }
    }
    assert_eq!(dao.proposal(id).state, ProposalState::Executed);
    assert_eq!(dao.proposal(big).state, ProposalState::Executed);
    rows.push(("deadline round: decide 2 proposals, execute both (all timer messages)".into(), parts.iter().sum()));
    rows.push(("  of which the largest message".into(), parts.iter().copied().max().unwrap_or(0)));

    println!("| DAO operation | instructions |");
    println!("|---|---|");
    for (label, instructions) in &rows {
        println!("| {label} | {instructions} |");
        assert!(*instructions > 0 && *instructions < 50_000_000, "{label}: {instructions}");
    }
    let vote_few = rows[4].1;
    assert!(vote_many < vote_few * 2, "a vote must not scan the members: {vote_few} at 4, {vote_many} at {}", MANY + 4);
}

mod paid {
    //! A DAO sold through the backend on the whole fleet: published into the DAO factory, paid with ICRC-2
    //! (`dao_factory.fee`), deployed with controllers [factory, owner], its first staker indexed as a participant
    //! at the factory; a request the contract would refuse charges nothing; a factory that refuses after the payment
    //! refunds the fee less one ledger fee.

    use super::*;
    use fleet_api::ContractInfo;
    use fleet_tests::fleet::{publish_version, token_version, user, CallError, Fleet, FleetWasm, LEDGER_FEE};

    fn fleet_with_dao() -> Fleet {
        let fleet = Fleet::deploy(ic::new_instance(), &FleetWasm::load(), &["alice", "bob"], |_| {}).expect("deploy");
        let wasm = canister_wasm("dao");
        let version = token_version(&wasm).expect("version metadata");
        publish_version(&fleet, fleet.dao_factory, fleet.release, &version, &wasm, "paid dao").expect("publish");
        fleet
    }

    fn dao_args(fleet: &Fleet) -> DaoArgs {
        DaoArgs { name: "Paid guild".into(), governance_token: fleet.ledger, parameters: parameters() }
    }

    fn settle(fleet: &Fleet) {
        for _ in 0..30 {
            fleet.ic.advance_time(Duration::from_secs(5));
            fleet.ic.tick();
        }
    }

    fn contracts_of(fleet: &Fleet, who: Principal) -> Vec<ContractInfo> {
        let (page,): (Page<ContractInfo>,) = fleet
            .query(fleet.dao_factory, who, "getMyContracts", (who, PageRequest::new(0, 10)))
            .expect("getMyContracts");
        page.items
    }

    #[test]
    fn a_paid_dao_is_deployed_for_its_owner_and_its_stakers_find_it() {
        let fleet = fleet_with_dao();
        let (alice, bob) = (user("alice"), user("bob"));
        let fee = fleet.service_fee("dao_factory").unwrap();
        assert_eq!(fee, 500_000_000, "the integration guide's 5 ICP");
        fleet.approve_backend(alice, fee + LEDGER_FEE as u128).unwrap();
        let before = fleet.balance(alice).unwrap();

        let mut bad = dao_args(&fleet);
        bad.parameters.quorum_basis_points = 0;
        let refused: Result<Principal, CallError> = fleet.call(fleet.backend, alice, "createDao", (bad,));
        assert!(matches!(refused, Err(CallError::Fleet { error: FleetError::InvalidInput(_), .. })), "{refused:?}");
        assert_eq!(fleet.balance(alice).unwrap(), before, "a refused request charges nothing");

        let dao: Principal = fleet.call(fleet.backend, alice, "createDao", (dao_args(&fleet),)).expect("createDao");
        assert_eq!(before - fleet.balance(alice).unwrap(), fee + LEDGER_FEE as u128, "charged the fee once");
        let mut controllers = fleet.ic.get_controllers(dao);
        controllers.sort();
        let mut expected = vec![fleet.dao_factory, alice];
        expected.sort();
        assert_eq!(controllers, expected);
        let (info,): (DaoInfo,) = fleet.query(dao, alice, "getDao", ()).unwrap();
        assert_eq!((info.name.as_str(), info.governance_token), ("Paid guild", fleet.ledger));

        // Bob stakes the governance token (the fleet's ledger): the DAO reports him to its factory.
        let approve = ApproveArgs {
            from_subaccount: None,
            spender: account(dao),
            amount: Nat::from(10_000_000u64),
            expected_allowance: None,
            expires_at: None,
            fee: None,
            memo: None,
            created_at_time: None,
        };
        let (approved,): (Result<Nat, token_api::ApproveError>,) =
            fleet.update(fleet.ledger, bob, "icrc2_approve", (approve,)).expect("approve");
        approved.expect("approved");
        let stake = StakeArgs { amount: Nat::from(5_000_000u64), lock_index: 0, from_subaccount: None };
        let staked: Stake = fleet.call(dao, bob, "stake", (stake,)).expect("stake");
        assert_eq!(staked.state, StakeState::Active);
        settle(&fleet);
        assert_eq!(contracts_of(&fleet, alice).iter().map(|c| c.id).collect::<Vec<_>>(), vec![dao]);
        assert_eq!(contracts_of(&fleet, bob).iter().map(|c| c.id).collect::<Vec<_>>(), vec![dao], "a staker finds it");
        let (health,): (ContractHealth,) = fleet.query(dao, alice, "health", ()).unwrap();
        assert!(health.ok && !health.message.contains("pending"), "reports delivered: {health:?}");
    }

    #[test]
    fn a_dao_factory_that_refuses_after_the_payment_refunds_it() {
        let fleet = fleet_with_dao();
        let alice = user("alice");
        let fee = fleet.service_fee("dao_factory").unwrap();
        fleet.admin_call(fleet.dao_factory, "removeFromWhitelist", (fleet.backend,)).unwrap();
        fleet.approve_backend(alice, fee + LEDGER_FEE as u128).unwrap();
        let before = fleet.balance(alice).unwrap();
        let refused: Result<Principal, CallError> = fleet.call(fleet.backend, alice, "createDao", (dao_args(&fleet),));
        assert!(matches!(refused, Err(CallError::Fleet { error: FleetError::Unauthorized(_), .. })), "{refused:?}");
        settle(&fleet);
        // Charged fee + ledger fee, refunded fee - ledger fee: two ledger fees lost, nothing else.
        assert_eq!(before - fleet.balance(alice).unwrap(), 2 * LEDGER_FEE as u128);
    }
}

/// The DAO upgraded while the deadline timer's treasury transfer is open: the reply reaches code with no future
/// waiting for it, the proposal stays Executing (recorded before the await), and `post_upgrade`'s timer re-sends the
/// identical transfer, which the ledger answers as a duplicate: paid once, with the first block.
#[cfg(not(feature = "pocket-ic"))]
#[test]
fn an_upgrade_during_the_timers_transfer_is_settled_by_an_identical_re_send() {
    use emulator::state::SubnetConfig;
    let pic = ic::PocketIcBuilder::new()
        .with_subnet_config(SubnetConfig { max_executions_per_round: 1, ..SubnetConfig::default() })
        .build();
    let dao = Dao::on(pic, 0).three_members();
    let id = dao.propose(alice(), pay(&dao, dave(), 4_242)).unwrap().id;
    dao.vote(alice(), id, Vote::Yes).unwrap();
    let log_before = dao.ledger_log_length();
    dao.pic.advance_time(Duration::from_secs(PERIOD_SECONDS));
    let mut rounds = 0;
    while dao.proposal(id).state != ProposalState::Executing {
        dao.pic.tick();
        rounds += 1;
        assert!(rounds < 50, "the timer never started the execution: {:?}", dao.proposal(id));
    }
    // Recorded and sent; let the ledger execute it, then upgrade before the reply is processed.
    dao.pic.tick();
    dao.upgrade();
    let stored = dao.proposal(id);
    assert_eq!(stored.state, ProposalState::Executing, "the upgrade came too late to interrupt anything: {stored:?}");
    for _ in 0..10 {
        dao.pic.tick();
    }
    let p = dao.proposal(id);
    assert_eq!(p.state, ProposalState::Executed, "{p:?}");
    let execution = p.execution.unwrap();
    assert_eq!(execution.attempts, 2, "the first send and the identical re-send");
    assert_eq!(execution.outcome, Some(ExecutionOutcome::Transferred { block_index: log_before.clone() }));
    assert_eq!(dao.ledger_log_length(), log_before + 1u8, "one transfer on the ledger");
    assert_eq!(dao.balance(account(dave())), WALLET - FEE + 4_242, "paid once");
}
