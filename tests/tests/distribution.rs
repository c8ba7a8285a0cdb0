//! The distribution contract's wasm on the emulator, with the token contract's wasm as its ledger: a vesting
//! schedule claimed over time with `advance_time`, a cancel mid-vesting with the exact split, money conservation over
//! a random sequence of operations, unauthorized callers on every update endpoint, an upgrade keeping state,
//! anonymous/oversized ingress refused, and a benchmark at 10,000 recipients.

use candid::{encode_one, CandidType, Nat, Principal};
use distribution_api::{
    AddRecipientsReport, DistributionArgs, DistributionInfo, DistributionInit, DistributionStatus, FundingReport,
    RecipientInfo, Schedule, TransferInfo, TransferState, VestingSchedule,
};
#[cfg(not(feature = "pocket-ic"))]
use emulator::state::SubnetConfig;
use fleet_api::{ContractInit, ContractUpgrade, FleetError, Page, PageRequest};
#[cfg(not(feature = "pocket-ic"))]
use fleet_tests::ic::PocketIcBuilder;
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use fleet_tests::wasm::canister_wasm;
use std::time::Duration;
use token_api::{Account, TokenArgs, TokenInit, TransferArg, TransferError};

const VERSION: &str = "1.0.0";
const FEE: u64 = 10_000;
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
const DAY_NANOS: u64 = 24 * 60 * 60 * 1_000_000_000;

fn principal(name: &str) -> Principal {
    Principal::self_authenticating(name.as_bytes())
}
fn owner() -> Principal {
    principal("owner")
}
fn stranger() -> Principal {
    principal("stranger")
}
fn recipient(i: u32) -> Principal {
    principal(&format!("recipient-{i}"))
}
fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}
fn nat(n: u64) -> Nat {
    Nat::from(n)
}
fn u(n: &Nat) -> u128 {
    distribution_api::amount_u128(n).expect("fits")
}

struct Env {
    pic: PocketIc,
    ledger: Principal,
    id: Principal,
}

impl Env {
    /// The token ledger (the owner holds 10^12) and a distribution of `allocations` with `schedule`.
    fn new(schedule: impl FnOnce(u64) -> Schedule, allocations: &[u64]) -> Self {
        Self::on(ic::new_instance(), schedule, allocations)
    }

    fn on(pic: PocketIc, schedule: impl FnOnce(u64) -> Schedule, allocations: &[u64]) -> Self {
        let ledger = Self::create(&pic);
        let token_wasm = canister_wasm("token");
        let token: TokenInit = ContractInit {
            factory: None,
            owner: principal("minter"),
            version: fleet_tests::fleet::token_version(&token_wasm).expect("the token wasm names its version"),
            args: TokenArgs {
                name: "Vested Token".into(),
                symbol: "VST".into(),
                decimals: 8,
                transfer_fee: nat(FEE),
                initial_balances: vec![(account(owner()), nat(1_000_000_000_000))],
                minting_account: None,
                logo: None,
                max_memo_length: None,
            },
        };
        pic.install_canister(ledger, token_wasm, encode_one(token).unwrap(), Some(owner()));
        let now = pic.get_time().as_nanos_since_unix_epoch();
        let recipients = allocations.iter().enumerate().map(|(i, a)| (recipient(i as u32 + 1), nat(*a))).collect();
        let init: DistributionInit = ContractInit {
            factory: None,
            owner: owner(),
            version: VERSION.into(),
            args: DistributionArgs { name: "Team".into(), ledger, schedule: schedule(now), recipients },
        };
        let id = Self::create(&pic);
        pic.install_canister(id, canister_wasm("distribution"), encode_one(init).unwrap(), Some(owner()));
        let env = Self { pic, ledger, id };
        // The participant report timer armed by the install.
        env.settle();
        env
    }

    fn create(pic: &PocketIc) -> Principal {
        let settings = CanisterSettings { controllers: Some(vec![owner()]), ..Default::default() };
        let id = pic.create_canister_with_settings(Some(owner()), Some(settings));
        pic.add_cycles(id, 100_000_000_000_000);
        id
    }

    fn call<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        sender: Principal,
        method: &str,
        arg: impl CandidType,
    ) -> Result<T, FleetError> {
        let (reply,): (Result<T, FleetError>,) =
            ic::update_candid_as(&self.pic, self.id, sender, method, (arg,)).expect(method);
        reply
    }

    fn call0<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        sender: Principal,
        method: &str,
    ) -> Result<T, FleetError> {
        let (reply,): (Result<T, FleetError>,) =
            ic::update_candid_as(&self.pic, self.id, sender, method, ()).expect(method);
        reply
    }

    fn info(&self) -> DistributionInfo {
        let (info,): (DistributionInfo,) =
            ic::query_candid(&self.pic, self.id, "getDistribution", ()).expect("getDistribution");
        info
    }

    fn recipient(&self, who: Principal) -> Option<RecipientInfo> {
        let (info,): (Option<RecipientInfo>,) =
            ic::query_candid(&self.pic, self.id, "getRecipient", (who,)).expect("getRecipient");
        info
    }

    fn recipients(&self, offset: u64) -> Page<RecipientInfo> {
        let (page,): (Page<RecipientInfo>,) =
            ic::query_candid(&self.pic, self.id, "getRecipients", (PageRequest::new(offset, 500),)).expect("page");
        page
    }

    fn balance(&self, of: Principal) -> u128 {
        let (b,): (Nat,) =
            ic::query_candid(&self.pic, self.ledger, "icrc1_balance_of", (account(of),)).expect("balance");
        u(&b)
    }

    fn total_supply(&self) -> u128 {
        let (s,): (Nat,) = ic::query_candid(&self.pic, self.ledger, "icrc1_total_supply", ()).expect("supply");
        u(&s)
    }

    /// The owner sends `amount` to the distribution's account on the ledger.
    fn deposit(&self, amount: u128) {
        let arg = TransferArg {
            from_subaccount: None,
            to: account(self.id),
            amount: amount.into(),
            fee: None,
            memo: None,
            created_at_time: None,
        };
        let (r,): (Result<Nat, TransferError>,) =
            ic::update_candid_as(&self.pic, self.ledger, owner(), "icrc1_transfer", (arg,)).expect("transfer");
        r.expect("deposit");
    }

    fn check_funding(&self) -> FundingReport {
        self.call0(owner(), "checkFunding").expect("checkFunding")
    }

    /// Deposits what funding requires and funds.
    fn fund(&self) -> FundingReport {
        let required = u(&self.check_funding().required);
        self.deposit(required - self.balance(self.id).min(required));
        let report = self.check_funding();
        assert_ne!(report.status, DistributionStatus::Created, "{report:?}");
        report
    }

    fn claim(&self, who: Principal) -> Result<TransferInfo, FleetError> {
        self.call0(who, "claim")
    }

    /// Lets the timers (participant reports, re-sends) run.
    fn settle(&self) {
        for _ in 0..5 {
            self.pic.tick();
        }
    }

    /// The invariant on the real ledger: the contract holds at least what recipients are still owed.
    fn assert_covered(&self) {
        let info = self.info();
        assert!(self.balance(self.id) >= u(&info.owed), "balance {} < owed {}", self.balance(self.id), info.owed);
    }
}

fn vesting(start: u64, cliff: u64, duration: u64, periods: u32) -> Schedule {
    Schedule::Vesting(VestingSchedule { start_time: start, cliff, duration, periods })
}

#[test]
fn a_vesting_schedule_is_claimed_over_time() {
    // 4 days, one release a day, 1-day cliff; starts in one day.
    let env = Env::new(|now| vesting(now + DAY_NANOS, DAY_NANOS, 4 * DAY_NANOS, 4), &[1_000_001, 400_000]);
    let report = env.fund();
    assert_eq!(report.status, DistributionStatus::Funded);
    assert_eq!(u(&report.required), 1_400_001 + 2 * 4 * u128::from(FEE));
    assert!(matches!(env.claim(recipient(1)), Err(FleetError::InvalidState(_))));
    env.pic.advance_time(DAY);
    env.settle();
    assert_eq!(env.info().status, DistributionStatus::Active);
    assert!(matches!(env.claim(recipient(1)), Err(FleetError::InvalidState(t)) if t.contains("vested 0")));
    let mut paid = 0u128;
    for day in 1..=4u64 {
        env.pic.advance_time(DAY);
        let claim = env.claim(recipient(1)).expect("claims");
        let vested = 1_000_001u128 * u128::from(day) / 4;
        assert_eq!(u(&claim.amount), vested - paid, "day {day}");
        assert!(matches!(claim.state, TransferState::Executed { .. }));
        paid = vested;
        assert_eq!(env.balance(recipient(1)), paid);
        env.assert_covered();
    }
    env.claim(recipient(2)).expect("claims");
    assert_eq!(env.balance(recipient(2)), 400_000);
    // Completed: the 3 unused fees reserved for recipient 1 and 3 for recipient 2, less the refund's fee, went back.
    let info = env.info();
    assert_eq!(info.status, DistributionStatus::Completed);
    assert_eq!(env.balance(env.id), 0);
    assert_eq!(u(&info.owed), 0);
}

#[test]
fn a_cancel_mid_vesting_splits_exactly() {
    let env = Env::new(|now| vesting(now, 0, 4 * DAY_NANOS, 4), &[1_001, 3, 50_000]);
    env.fund();
    let funded = env.balance(env.id);
    let owner_before = env.balance(owner());
    env.pic.advance_time(DAY);
    env.claim(recipient(1)).expect("claims"); // 250
    env.pic.advance_time(DAY + Duration::from_secs(3_600)); // 2 periods vested
    let refund: Option<TransferInfo> = env.call0(owner(), "cancel").expect("cancels");
    let refund = refund.expect("surplus sent");
    let kept = (500 - 250) + 1 + 25_000 + 3 * u128::from(FEE);
    assert_eq!(u(&refund.amount), funded - (250 + u128::from(FEE)) - kept - u128::from(FEE));
    assert_eq!(env.balance(env.id), kept);
    assert_eq!(env.balance(owner()), owner_before + u(&refund.amount));
    assert_eq!(env.info().status, DistributionStatus::Cancelled);
    env.pic.advance_time(10 * DAY);
    for (i, expected) in [(1, 250), (2, 1), (3, 25_000)] {
        assert_eq!(u(&env.claim(recipient(i)).expect("claims").amount), expected);
    }
    assert_eq!((env.balance(recipient(1)), env.balance(recipient(2)), env.balance(recipient(3))), (500, 1, 25_000));
    assert_eq!(env.balance(env.id), 0);
}

#[test]
fn money_is_conserved_over_a_random_sequence_of_operations() {
    let allocations: Vec<u64> = (0..8).map(|i| 10_000 + i * 7_919).collect();
    let env = Env::new(|now| vesting(now, DAY_NANOS / 2, 6 * DAY_NANOS, 12), &allocations);
    env.fund();
    let supply = env.total_supply();
    let mut accounts: Vec<Principal> = (1..=8).map(recipient).collect();
    accounts.extend([owner(), env.id, principal("minter")]);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut cancelled = false;
    for step in 0..60 {
        match next(8) {
            0..=1 => env.pic.advance_time(Duration::from_secs(next(40_000))),
            2..=4 => {
                let _ = env.claim(recipient(next(9) as u32 + 1)); // 9 is not a recipient
            }
            5 => {
                env.deposit(u128::from(next(50_000)));
                env.check_funding();
            }
            6 => {
                let _: Result<TransferInfo, FleetError> = env.call0(owner(), "withdrawSurplus");
            }
            _ if !cancelled && next(4) == 0 => {
                let _: Result<Option<TransferInfo>, FleetError> = env.call0(owner(), "cancel");
                cancelled = true;
            }
            _ => env.settle(),
        }
        env.assert_covered();
        let on_accounts: u128 = accounts.iter().map(|a| env.balance(*a)).sum();
        assert_eq!(on_accounts, env.total_supply(), "step {step}: tokens outside the known accounts");
        for (i, a) in allocations.iter().enumerate() {
            assert!(env.balance(recipient(i as u32 + 1)) <= u128::from(*a), "step {step}: recipient {i} overpaid");
        }
    }
    env.pic.advance_time(10 * DAY);
    for i in 1..=8 {
        let _ = env.claim(recipient(i));
    }
    let info = env.info();
    assert_eq!(u(&info.owed), 0);
    for (i, a) in allocations.iter().enumerate() {
        let got = env.balance(recipient(i as u32 + 1));
        assert!(cancelled || got == u128::from(*a), "recipient {i}: {got} of {a}");
    }
    // Every token left the contract's account for an account or as a fee: the supply only fell by fees.
    let burned = supply - env.total_supply();
    assert_eq!(burned % u128::from(FEE), 0);
    assert!(env.balance(env.id) <= u128::from(FEE), "{} left", env.balance(env.id));
}

#[test]
fn unauthorized_callers_change_nothing_on_any_update_endpoint() {
    let env = Env::new(|_| Schedule::Airdrop, &[1_000]);
    let before = env.info();
    let batch = vec![(recipient(9), nat(5))];
    let unauthorized = |r: Result<(), FleetError>| assert!(matches!(r, Err(FleetError::Unauthorized(_))), "{r:?}");
    unauthorized(env.call::<AddRecipientsReport>(stranger(), "addRecipients", batch.clone()).map(|_| ()));
    unauthorized(env.call::<AddRecipientsReport>(recipient(1), "addRecipients", batch).map(|_| ()));
    unauthorized(env.call0::<FundingReport>(stranger(), "checkFunding").map(|_| ()));
    unauthorized(env.call0::<Option<TransferInfo>>(recipient(1), "cancel").map(|_| ()));
    unauthorized(env.call0::<TransferInfo>(stranger(), "withdrawSurplus").map(|_| ()));
    assert_eq!(env.info(), before);
    env.fund();
    let funded = env.info();
    unauthorized(env.claim(stranger()).map(|_| ()));
    unauthorized(env.claim(owner()).map(|_| ()));
    unauthorized(env.call0::<Option<TransferInfo>>(stranger(), "cancel").map(|_| ()));
    unauthorized(env.call0::<TransferInfo>(recipient(1), "withdrawSurplus").map(|_| ()));
    assert_eq!(env.info(), funded);
    // Bad input from the owner: typed errors, nothing changed.
    let invalid = |r: Result<AddRecipientsReport, FleetError>| assert!(matches!(r, Err(FleetError::InvalidState(_))));
    invalid(env.call(owner(), "addRecipients", vec![(recipient(5), nat(5))]));
    assert_eq!(env.info(), funded);
}

#[test]
fn bad_batches_are_refused_whole() {
    let env = Env::new(|_| Schedule::Airdrop, &[1_000]);
    let before = env.info();
    for batch in [
        vec![(recipient(2), nat(0))],
        vec![(recipient(2), nat(1)), (recipient(2), nat(1))],
        vec![(recipient(3), nat(1)), (recipient(1), nat(1))],
    ] {
        let r: Result<AddRecipientsReport, FleetError> = env.call(owner(), "addRecipients", batch);
        assert!(matches!(r, Err(FleetError::InvalidInput(_))), "{r:?}");
    }
    assert_eq!(env.info(), before);
    assert!(env.recipient(recipient(3)).is_none());
}

#[test]
fn an_upgrade_keeps_the_books_and_claims_continue() {
    let env = Env::new(|now| vesting(now, 0, 2 * DAY_NANOS, 2), &[100_000, 300]);
    env.fund();
    env.pic.advance_time(DAY);
    env.claim(recipient(1)).expect("claims");
    let before = (env.info(), env.recipients(0));
    let arg = encode_one(Some(ContractUpgrade { version: VERSION.into(), migration_arg: None })).unwrap();
    env.pic.upgrade_canister(env.id, canister_wasm("distribution"), arg, Some(owner())).expect("upgrades");
    assert_eq!((env.info(), env.recipients(0)), before);
    let wrong = encode_one(Some(ContractUpgrade { version: "9.9.9".into(), migration_arg: None })).unwrap();
    env.pic.upgrade_canister(env.id, canister_wasm("distribution"), wrong, Some(owner())).expect_err("wrong version");
    assert_eq!(env.info(), before.0);
    assert!(matches!(env.claim(recipient(1)), Err(FleetError::InvalidState(_))));
    env.pic.advance_time(DAY);
    env.claim(recipient(1)).expect("claims");
    env.claim(recipient(2)).expect("claims");
    assert_eq!((env.balance(recipient(1)), env.balance(recipient(2))), (100_000, 300));
    assert_eq!(env.info().status, DistributionStatus::Completed);
}

#[test]
fn anonymous_and_oversized_ingress_is_refused_before_it_runs() {
    let env = Env::new(|_| Schedule::Airdrop, &[1_000]);
    let before = env.info();
    for method in ["addRecipients", "checkFunding", "claim", "cancel", "withdrawSurplus"] {
        let arg = if method == "addRecipients" { encode_one(Vec::<(Principal, Nat)>::new()).unwrap() } else { vec![] };
        let reject = env.pic.update_call(env.id, Principal::anonymous(), method, arg).expect_err(method);
        assert!(reject.reject_message.contains("anonymous"), "{method}: {}", reject.reject_message);
    }
    let huge: Vec<(Principal, Nat)> = (0..3_000).map(|i| (recipient(i + 10), nat(1))).collect();
    let reject = env.pic.update_call(env.id, owner(), "addRecipients", encode_one(huge).unwrap()).expect_err("big");
    assert!(reject.reject_message.contains("at most"), "{}", reject.reject_message);
    assert_eq!(env.info(), before);
}

#[cfg(not(feature = "pocket-ic"))]
impl Env {
    /// Runs `method` one message execution at a time; returns the instructions of its first message and of all
    /// its messages on the distribution (the update up to its transfer, the ledger's reply), and the reply.
    fn stepped(&self, sender: Principal, method: &str) -> (u64, u64, Vec<u8>) {
        let msg = self.pic.submit_call(self.id, sender, method, candid::encode_args(()).unwrap()).expect("submits");
        self.pic.tick();
        let first = self.pic.instructions_used(self.id);
        let mut total = first;
        let mut last = first;
        loop {
            if let Some(reply) = self.pic.ingress_status(msg.clone()) {
                let reply = reply.expect(method);
                return (first, total, reply);
            }
            self.pic.tick();
            let now = self.pic.instructions_used(self.id);
            if now != last {
                total += now;
                last = now;
            }
        }
    }
}

// Instruction counts and the one-execution-per-round subnet are the emulator's.
#[cfg(not(feature = "pocket-ic"))]
#[test]
fn benchmark_ten_thousand_recipients() {
    let pic = PocketIcBuilder::new()
        .with_application_subnet()
        .with_subnet_config(SubnetConfig { max_executions_per_round: 1, ..SubnetConfig::default() })
        .build();
    let env = Env::on(pic, |now| vesting(now, 0, 100 * DAY_NANOS, 100), &[]);
    let mut rows: Vec<(String, u64)> = Vec::new();
    let mut max_batch = 0;
    for b in 0..10u32 {
        let batch: Vec<(Principal, Nat)> = (0..1_000).map(|i| (recipient(b * 1_000 + i + 1), nat(1_000_000))).collect();
        let r: AddRecipientsReport = env.call(owner(), "addRecipients", batch).expect("adds");
        assert_eq!(r.recipients, u64::from(b + 1) * 1_000);
        max_batch = max_batch.max(env.pic.instructions_used(env.id));
    }
    rows.push(("addRecipients, a batch of 1,000 (max of the 10 batches for 10,000)".into(), max_batch));
    for _ in 0..100 {
        env.pic.tick();
    }
    assert_eq!(env.info().participants_reported, 10_000);
    env.fund();
    env.pic.advance_time(DAY);
    let mut claims = Vec::new();
    for who in [recipient(1), recipient(10_000), recipient(5_000)] {
        let (first, total, reply) = env.stepped(who, "claim");
        let (r,): (Result<TransferInfo, FleetError>,) = candid::decode_args(&reply).unwrap();
        assert!(matches!(r.expect("claims").state, TransferState::Executed { .. }));
        claims.push((first, total));
    }
    rows.push(("claim at 10,000 recipients: the update up to the transfer".into(), claims[1].0));
    rows.push((
        "claim at 10,000 recipients: all its messages (max of 3 recipients)".into(),
        claims.iter().map(|c| c.1).max().unwrap(),
    ));
    let _ = env.recipients(9_500);
    rows.push(("getRecipients, a page of 500 at offset 9,500".into(), env.pic.instructions_used(env.id)));
    let _ = env.recipient(recipient(7_777));
    rows.push(("getRecipient".into(), env.pic.instructions_used(env.id)));
    env.pic.advance_time(DAY * 10);
    let (cancel_first, cancel_total, _) = env.stepped(owner(), "cancel");
    rows.push(("cancel mid-vesting at 10,000 recipients (the one scan), first message".into(), cancel_first));
    rows.push(("cancel mid-vesting, all its messages".into(), cancel_total));
    let stable = env.pic.get_stable_memory(env.id).len();
    println!("\n| distribution operation | instructions |\n|---|---:|");
    for (what, n) in &rows {
        println!("| {what} | {n} |");
    }
    println!("| stable memory of the canister at 10,000 recipients (bytes, bucket-granular) | {stable} |");
    let max_claim = claims.iter().map(|c| c.1).max().unwrap();
    assert!(max_claim <= 2_000_000, "a claim at 10,000 recipients took {max_claim} instructions");
    assert!(max_batch < 4_000_000_000, "a batch of 1,000 stays well inside one message: {max_batch}");
}
