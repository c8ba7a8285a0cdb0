//! The launchpad contract's wasm on the emulator, with the token contract's wasm as both ledgers (sale and payment):
//! a sale that succeeds right at its hard cap with many buyers contributing in interleaved messages (claims,
//! proceeds, unsold returned), one that fails (everyone refunded exactly once), the sale's timers across an upgrade,
//! unauthorized and anonymous callers, and a benchmark at 10,000 buyers.

use candid::{encode_one, CandidType, Nat, Principal};
#[cfg(not(feature = "pocket-ic"))]
use emulator::state::SubnetConfig;
use fleet_api::{ContractInit, ContractUpgrade, FleetError};
#[cfg(not(feature = "pocket-ic"))]
use fleet_tests::ic::PocketIcBuilder;
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use fleet_tests::wasm::canister_wasm;
use launchpad_api::{
    BuyerInfo, ContributionInfo, FundingReport, LaunchpadArgs, LaunchpadInit, LaunchpadStatus, Price, SaleInfo,
    TransferInfo, TransferPurpose, TransferState, VestingSchedule,
};
use std::time::Duration;
use token_api::{Account, ApproveArgs, ApproveError, TokenArgs, TokenInit, TransferArg, TransferError};

/// The launchpad's version (its crate version).
const VERSION: &str = "1.0.0";
const SALE_FEE: u128 = 10_000;
const PAYMENT_FEE: u128 = 1_000;
const HOUR: Duration = Duration::from_secs(3_600);
const HOUR_NANOS: u64 = 3_600 * 1_000_000_000;
/// Payment each buyer holds at the start.
const BUYER_FUNDS: u128 = 1_000_000_000;
const OWNER_SALE_TOKENS: u128 = 1_000_000_000_000;

fn principal(name: &str) -> Principal {
    Principal::self_authenticating(name.as_bytes())
}
fn owner() -> Principal {
    principal("owner")
}
fn stranger() -> Principal {
    principal("stranger")
}
fn buyer(i: u32) -> Principal {
    principal(&format!("buyer-{i}"))
}
fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}
fn u(n: &Nat) -> u128 {
    launchpad_api::amount_u128(n).expect("fits")
}

struct Env {
    pic: PocketIc,
    sale: Principal,
    payment: Principal,
    id: Principal,
    buyers: u32,
}

type Reply<T> = Result<T, FleetError>;

impl Env {
    /// Both ledgers (the owner holds the sale tokens, buyers 1..=`buyers` the payment) and a launchpad of
    /// `change(args)`: by default 1 payment unit buys 4 tokens, soft cap 100,000, hard cap 1,000,000, 1,000 to
    /// 100,000 per buyer, open from an hour from now for an hour.
    fn new(buyers: u32, change: impl FnOnce(&mut LaunchpadArgs)) -> Self {
        Self::on(ic::new_instance(), buyers, change)
    }

    fn on(pic: PocketIc, buyers: u32, change: impl FnOnce(&mut LaunchpadArgs)) -> Self {
        let token_wasm = canister_wasm("token");
        let token_version = fleet_tests::fleet::token_version(&token_wasm).expect("token wasm version");
        let ledger = |symbol: &str, fee: u128, balances: Vec<(Account, Nat)>| {
            let id = Self::create(&pic);
            let token: TokenInit = ContractInit {
                factory: None,
                owner: principal("minter"),
                version: token_version.clone(),
                args: TokenArgs {
                    name: symbol.into(),
                    symbol: symbol.into(),
                    decimals: 8,
                    transfer_fee: fee.into(),
                    initial_balances: balances,
                    minting_account: None,
                    logo: None,
                    max_memo_length: None,
                },
            };
            pic.install_canister(id, token_wasm.clone(), encode_one(token).unwrap(), Some(owner()));
            id
        };
        let sale = ledger("SALE", SALE_FEE, vec![(account(owner()), OWNER_SALE_TOKENS.into())]);
        let payment =
            ledger("PAY", PAYMENT_FEE, (1..=buyers).map(|i| (account(buyer(i)), BUYER_FUNDS.into())).collect());
        let now = pic.get_time().as_nanos_since_unix_epoch();
        let mut args = LaunchpadArgs {
            name: "Seed round".into(),
            sale_ledger: sale,
            payment_ledger: payment,
            price: Price { payment: Nat::from(1u8), tokens: Nat::from(4u8) },
            soft_cap: Nat::from(100_000u32),
            hard_cap: Nat::from(1_000_000u32),
            start_time: now + HOUR_NANOS,
            end_time: now + 2 * HOUR_NANOS,
            min_per_buyer: Nat::from(1_000u32),
            max_per_buyer: Nat::from(100_000u32),
            allow_list: None,
            vesting: None,
        };
        change(&mut args);
        let init: LaunchpadInit = ContractInit { factory: None, owner: owner(), version: VERSION.into(), args };
        let id = Self::create(&pic);
        pic.install_canister(id, canister_wasm("launchpad"), encode_one(init).unwrap(), Some(owner()));
        Self { pic, sale, payment, id, buyers }
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
        args: impl candid::utils::ArgumentEncoder,
    ) -> Reply<T> {
        let (reply,): (Reply<T>,) = ic::update_candid_as(&self.pic, self.id, sender, method, args).expect(method);
        reply
    }

    fn info(&self) -> SaleInfo {
        let (info,): (SaleInfo,) = ic::query_candid(&self.pic, self.id, "getSale", ()).expect("getSale");
        info
    }

    fn buyer_info(&self, who: Principal) -> Option<BuyerInfo> {
        let (info,): (Option<BuyerInfo>,) = ic::query_candid(&self.pic, self.id, "getBuyer", (who,)).expect("getBuyer");
        info
    }

    fn balance(&self, ledger: Principal, of: Principal) -> u128 {
        let (b,): (Nat,) = ic::query_candid(&self.pic, ledger, "icrc1_balance_of", (account(of),)).expect("balance");
        u(&b)
    }

    fn supply(&self, ledger: Principal) -> u128 {
        let (s,): (Nat,) = ic::query_candid(&self.pic, ledger, "icrc1_total_supply", ()).expect("supply");
        u(&s)
    }

    fn approve_arg(&self, amount: u128) -> ApproveArgs {
        ApproveArgs {
            from_subaccount: None,
            spender: account(self.id),
            amount: (amount + PAYMENT_FEE).into(),
            expected_allowance: None,
            expires_at: None,
            fee: None,
            memo: None,
            created_at_time: None,
        }
    }

    /// Buyer `who` approves the launchpad for `amount` plus the payment fee.
    fn approve(&self, who: Principal, amount: u128) {
        let (r,): (Result<Nat, ApproveError>,) =
            ic::update_candid_as(&self.pic, self.payment, who, "icrc2_approve", (self.approve_arg(amount),))
                .expect("approve");
        r.expect("approves");
    }

    /// The owner sends the sale tokens the hard cap needs and calls `checkFunding`.
    fn fund(&self) -> FundingReport {
        let required = u(&self.info().required_funding);
        let arg = TransferArg {
            from_subaccount: None,
            to: account(self.id),
            amount: required.into(),
            fee: None,
            memo: None,
            created_at_time: None,
        };
        let (r,): (Result<Nat, TransferError>,) =
            ic::update_candid_as(&self.pic, self.sale, owner(), "icrc1_transfer", (arg,)).expect("transfer");
        r.expect("deposit");
        let report: FundingReport = self.call(owner(), "checkFunding", ()).expect("checkFunding");
        assert!(report.funded, "{report:?}");
        report
    }

    fn open(&self) {
        self.fund();
        self.pic.advance_time(HOUR);
        self.settle();
        assert_eq!(self.info().status, LaunchpadStatus::Open);
    }

    fn contribute(&self, who: Principal, amount: u128) -> Reply<ContributionInfo> {
        self.call(who, "contribute", (Nat::from(amount),))
    }

    fn claim(&self, who: Principal) -> Reply<TransferInfo> {
        self.call(who, "claim", ())
    }

    /// Every buyer in `who` contributes `amount` in messages submitted together: their executions interleave (each
    /// records its contribution, then awaits its transfer_from while the others record theirs).
    fn contribute_interleaved(&self, who: &[Principal], amount: u128) -> Vec<Reply<ContributionInfo>> {
        let messages: Vec<_> = who
            .iter()
            .map(|b| {
                self.pic.submit_call(self.id, *b, "contribute", encode_one(Nat::from(amount)).unwrap()).expect("submit")
            })
            .collect();
        messages
            .into_iter()
            .map(|m| {
                let bytes = self.pic.await_call(m).expect("contribute replies");
                candid::decode_one::<Reply<ContributionInfo>>(&bytes).expect("decodes")
            })
            .collect()
    }

    /// Lets the timers run.
    fn settle(&self) {
        for _ in 0..10 {
            self.pic.advance_time(Duration::from_secs(1));
            self.pic.tick();
        }
    }

    /// The invariant on the real ledgers: the launchpad holds at least what it owes.
    fn assert_covered(&self) {
        let info = self.info();
        assert!(self.balance(self.payment, self.id) >= u(&info.payment_owed), "{info:?}");
        assert!(self.balance(self.sale, self.id) >= u(&info.tokens_owed), "{info:?}");
    }
}

#[test]
fn a_sale_filled_to_its_hard_cap_by_interleaved_buyers_succeeds_and_pays_everyone() {
    // 25 buyers of 40,000 each against a hard cap of 800,000: exactly 20 fit.
    let env = Env::new(25, |a| {
        a.hard_cap = Nat::from(800_000u32);
        a.soft_cap = Nat::from(500_000u32);
    });
    env.open();
    let buyers: Vec<Principal> = (1..=25).map(buyer).collect();
    for b in &buyers {
        env.approve(*b, 40_000);
    }
    let replies = env.contribute_interleaved(&buyers, 40_000);
    let accepted = replies.iter().filter(|r| r.is_ok()).count();
    assert_eq!(accepted, 20, "{replies:?}");
    for r in replies.iter().filter(|r| r.is_err()) {
        assert!(matches!(r, Err(FleetError::InvalidInput(t)) if t.contains("hard cap")), "{r:?}");
    }
    let info = env.info();
    assert_eq!((u(&info.raised), u(&info.reserved), info.buyers), (800_000, 0, 20));
    assert_eq!(env.balance(env.payment, env.id), 800_000, "the launchpad received the amounts exactly");
    env.assert_covered();
    let owner_sale_before = env.balance(env.sale, owner());
    assert_eq!(env.info().status, LaunchpadStatus::Open);
    let (transfers,): (fleet_api::Page<TransferInfo>,) =
        ic::query_candid(&env.pic, env.id, "getTransfers", (fleet_api::PageRequest::new(0, 10),)).unwrap();
    assert!(transfers.items.is_empty(), "{transfers:?}");
    env.pic.advance_time(HOUR);
    env.settle();
    let info = env.info();
    assert_eq!(info.status, LaunchpadStatus::Succeeded);
    // Proceeds less one fee; sold out (the hard cap buys exactly the 3,200,000 funded): nothing unsold to return.
    assert_eq!(env.balance(env.payment, owner()), 800_000 - PAYMENT_FEE);
    assert_eq!((u(&info.funded_amount), u(&info.tokens_sold)), (3_200_000, 3_200_000));
    assert_eq!(env.balance(env.sale, owner()), owner_sale_before);
    for (i, b) in buyers.iter().enumerate() {
        let info = env.buyer_info(*b);
        match replies[i] {
            Ok(_) => {
                let t = env.claim(*b).expect("claims");
                assert_eq!(t.purpose, TransferPurpose::Claim { buyer: *b });
                assert!(matches!(t.state, TransferState::Executed { .. }));
                assert_eq!(env.balance(env.sale, *b), 160_000 - SALE_FEE);
                assert!(matches!(env.claim(*b), Err(FleetError::InvalidState(_))), "a second claim pays nothing");
                // Charged the contribution and two fees (approve, transfer_from), once.
                assert_eq!(env.balance(env.payment, *b), BUYER_FUNDS - 40_000 - 2 * PAYMENT_FEE);
            }
            Err(_) => {
                assert!(info.as_ref().is_none_or(|i| u(&i.contributed) == 0), "{info:?}");
                assert!(matches!(env.claim(*b), Err(FleetError::Unauthorized(_))));
                assert_eq!(env.balance(env.payment, *b), BUYER_FUNDS - PAYMENT_FEE, "only the approve's fee");
            }
        }
        env.assert_covered();
    }
    assert_eq!((env.balance(env.sale, env.id), env.balance(env.payment, env.id)), (0, 0));
}

#[test]
fn a_sale_below_its_soft_cap_fails_and_every_buyer_is_refunded_exactly_once() {
    let env = Env::new(30, |a| a.soft_cap = Nat::from(1_000_000u32));
    env.open();
    let buyers: Vec<Principal> = (1..=30).map(buyer).collect();
    for (i, b) in buyers.iter().enumerate() {
        env.approve(*b, 5_000 + i as u128);
    }
    // Interleaved, each with its own amount.
    let messages: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let arg = encode_one(Nat::from(5_000 + i as u128)).unwrap();
            env.pic.submit_call(env.id, *b, "contribute", arg).expect("submit")
        })
        .collect();
    for m in messages {
        let r: Reply<ContributionInfo> = candid::decode_one(&env.pic.await_call(m).unwrap()).unwrap();
        r.expect("contributes");
    }
    let owner_sale_before = env.balance(env.sale, owner());
    let funded = u(&env.info().funded_amount);
    env.pic.advance_time(HOUR);
    // One buyer claims the refund at once, racing the refund job.
    let early = env.claim(buyers[3]).expect("refund by claim");
    assert_eq!(early.purpose, TransferPurpose::Refund { buyer: buyers[3] });
    env.settle();
    let info = env.info();
    assert_eq!(info.status, LaunchpadStatus::Failed);
    assert_eq!(info.refund_cursor, 30);
    for (i, b) in buyers.iter().enumerate() {
        // approve fee + transfer_from fee + refund fee: exactly one refund of the contribution less its fee.
        assert_eq!(env.balance(env.payment, *b), BUYER_FUNDS - 3 * PAYMENT_FEE, "buyer {i}");
        assert!(matches!(env.claim(*b), Err(FleetError::InvalidState(t)) if t.contains("already refunded")));
    }
    assert_eq!(env.balance(env.sale, owner()), owner_sale_before + funded - SALE_FEE);
    assert_eq!((env.balance(env.sale, env.id), env.balance(env.payment, env.id)), (0, 0));
    assert_eq!(u(&info.payment_owed), 0);
    // Nothing but fees left either ledger.
    assert_eq!(env.supply(env.payment), u128::from(env.buyers) * (BUYER_FUNDS - 3 * PAYMENT_FEE));
}

#[test]
fn the_sale_timers_fire_across_an_upgrade_of_the_launchpad() {
    let env = Env::new(3, |a| {
        a.soft_cap = Nat::from(20_000u32);
        a.vesting = Some(VestingSchedule { cliff: 0, duration: 2 * HOUR_NANOS, periods: 2 });
    });
    env.open();
    for i in 1..=3 {
        env.approve(buyer(i), 10_000);
        env.contribute(buyer(i), 10_000).expect("contributes");
    }
    let upgrade = || {
        let arg = encode_one(Some(ContractUpgrade { version: VERSION.into(), migration_arg: None })).unwrap();
        env.pic.upgrade_canister(env.id, canister_wasm("launchpad"), arg, Some(owner())).expect("upgrades");
    };
    env.settle();
    let before = env.info();
    upgrade();
    assert_eq!(env.info(), before);
    // No call after the upgrade: only the re-armed end timer can decide the sale and pay the owner.
    let owner_sale_before = env.balance(env.sale, owner());
    env.pic.advance_time(HOUR);
    env.settle();
    assert_eq!(env.info().status, LaunchpadStatus::Succeeded);
    assert_eq!(env.balance(env.payment, owner()), 30_000 - PAYMENT_FEE);
    // Unsold: 4,000,000 funded less 120,000 sold, less one fee.
    assert_eq!(env.balance(env.sale, owner()), owner_sale_before + 4_000_000 - 120_000 - SALE_FEE);
    upgrade();
    env.pic.advance_time(HOUR);
    assert_eq!(u(&env.claim(buyer(1)).expect("half vested").amount), 20_000 - SALE_FEE);
    env.pic.advance_time(HOUR);
    assert_eq!(u(&env.claim(buyer(1)).expect("the rest").amount), 20_000 - SALE_FEE);
    let wrong = encode_one(Some(ContractUpgrade { version: "9.9.9".into(), migration_arg: None })).unwrap();
    env.pic.upgrade_canister(env.id, canister_wasm("launchpad"), wrong, Some(owner())).expect_err("wrong version");
    env.assert_covered();
}

#[test]
fn a_failed_sale_upgraded_before_its_end_refunds_from_its_re_armed_timers() {
    let env = Env::new(4, |_| {});
    env.open();
    for i in 1..=4 {
        env.approve(buyer(i), 2_000);
        env.contribute(buyer(i), 2_000).expect("contributes");
    }
    let arg = encode_one(Some(ContractUpgrade { version: VERSION.into(), migration_arg: None })).unwrap();
    env.pic.upgrade_canister(env.id, canister_wasm("launchpad"), arg, Some(owner())).expect("upgrades");
    env.pic.advance_time(HOUR);
    env.settle();
    assert_eq!(env.info().status, LaunchpadStatus::Failed);
    for i in 1..=4 {
        assert_eq!(env.balance(env.payment, buyer(i)), BUYER_FUNDS - 3 * PAYMENT_FEE, "buyer {i} refunded once");
    }
}

#[test]
fn unauthorized_and_anonymous_callers_change_nothing() {
    let env = Env::new(2, |a| a.allow_list = Some(vec![buyer(1)]));
    let before = env.info();
    let unauthorized = |r: Result<(), FleetError>| assert!(matches!(r, Err(FleetError::Unauthorized(_))), "{r:?}");
    unauthorized(env.call::<FundingReport>(stranger(), "checkFunding", ()).map(|_| ()));
    unauthorized(env.call::<FundingReport>(buyer(1), "checkFunding", ()).map(|_| ()));
    unauthorized(env.call::<u64>(stranger(), "addToAllowList", (vec![buyer(2)],)).map(|_| ()));
    assert_eq!(env.info(), before);
    env.open();
    let open = env.info();
    env.approve(buyer(2), 5_000);
    unauthorized(env.contribute(buyer(2), 5_000).map(|_| ()));
    unauthorized(env.contribute(owner(), 5_000).map(|_| ()));
    unauthorized(env.claim(stranger()).map(|_| ()));
    let invalid = |r: Reply<ContributionInfo>| assert!(matches!(r, Err(FleetError::InvalidInput(_))), "{r:?}");
    env.approve(buyer(1), 200_000);
    invalid(env.contribute(buyer(1), 999));
    invalid(env.contribute(buyer(1), 100_001));
    invalid(env.contribute(buyer(1), 0));
    assert_eq!(env.info(), open);
    for method in ["checkFunding", "addToAllowList", "contribute", "claim"] {
        let arg = match method {
            "addToAllowList" => encode_one(Vec::<Principal>::new()).unwrap(),
            "contribute" => encode_one(Nat::from(1_000u32)).unwrap(),
            _ => encode_one(()).unwrap(),
        };
        let reject = env.pic.update_call(env.id, Principal::anonymous(), method, arg).expect_err(method);
        assert!(reject.reject_message.contains("anonymous"), "{method}: {}", reject.reject_message);
    }
    assert_eq!(env.info(), open);
    assert_eq!(env.balance(env.payment, env.id), 0);
}

#[cfg(not(feature = "pocket-ic"))]
impl Env {
    /// Runs `method` one message execution at a time; returns the instructions of its largest message and of all
    /// its messages on the launchpad (the update, the reply to each of its calls), and the reply.
    fn stepped(&self, sender: Principal, method: &str, arg: Vec<u8>) -> (u64, u64, Vec<u8>) {
        let msg = self.pic.submit_call(self.id, sender, method, arg).expect("submits");
        let (mut largest, mut total, mut last) = (0, 0, self.pic.instructions_used(self.id));
        loop {
            self.pic.tick();
            let now = self.pic.instructions_used(self.id);
            if now != last {
                largest = largest.max(now);
                total += now;
                last = now;
            }
            if let Some(reply) = self.pic.ingress_status(msg.clone()) {
                return (largest, total, reply.expect(method));
            }
        }
    }

    /// Buyers `from..=to` approve and contribute `amount`, submitted in batches so the fill takes few rounds.
    fn fill(&self, from: u32, to: u32, amount: u128) {
        for chunk in (from..=to).collect::<Vec<_>>().chunks(500) {
            let approvals: Vec<_> = chunk
                .iter()
                .map(|i| {
                    let arg = encode_one(self.approve_arg(amount)).unwrap();
                    self.pic.submit_call(self.payment, buyer(*i), "icrc2_approve", arg).expect("submit")
                })
                .collect();
            for m in approvals {
                self.pic.await_call(m).expect("approve");
            }
            let who: Vec<Principal> = chunk.iter().map(|i| buyer(*i)).collect();
            for r in self.contribute_interleaved(&who, amount) {
                r.expect("contributes");
            }
        }
    }
}

/// Instruction counts, the one-execution-per-round subnet and the 1 B instruction limit are the emulator's.
#[cfg(not(feature = "pocket-ic"))]
#[test]
fn benchmark_ten_thousand_buyers() {
    let buyers: u32 = std::env::var("LAUNCHPAD_BENCH_BUYERS").ok().and_then(|v| v.parse().ok()).unwrap_or(9_999);
    let pic = PocketIcBuilder::new()
        .with_application_subnet()
        .with_subnet_config(SubnetConfig {
            // Every message of the launchpad must fit in 1 B instructions: a bigger one traps here.
            update_instruction_limit: 1_000_000_000,
            max_executions_per_round: 1,
            ..SubnetConfig::default()
        })
        .build();
    // Soft cap above everything: the sale fails and the refund job pays everyone.
    let env = Env::on(pic, buyers + 1, |a| {
        a.hard_cap = Nat::from(u128::from(buyers + 1) * 10_000);
        a.soft_cap = a.hard_cap.clone();
    });
    env.open();
    let mut rows: Vec<(String, u64)> = Vec::new();
    let contribution = |env: &Env, who: Principal| {
        env.approve(who, 5_000);
        let (first, total, reply) = env.stepped(who, "contribute", encode_one(Nat::from(5_000u32)).unwrap());
        candid::decode_one::<Reply<ContributionInfo>>(&reply).unwrap().expect("contributes");
        (first, total)
    };
    env.fill(1, 9, 5_000);
    let at_ten = contribution(&env, buyer(10));
    env.fill(11, buyers, 5_000);
    let at_n = contribution(&env, buyer(buyers + 1));
    rows.push(("contribute at 10 buyers: its largest message".into(), at_ten.0));
    rows.push(("contribute at 10 buyers: all its messages".into(), at_ten.1));
    rows.push((format!("contribute at {} buyers: its largest message", buyers + 1), at_n.0));
    rows.push((format!("contribute at {} buyers: all its messages", buyers + 1), at_n.1));
    let stable = env.pic.get_stable_memory(env.id).len() as u64;
    assert_eq!(env.info().buyers, u64::from(buyers + 1));
    // The end: the decision, the sale return, then the refund job in rounds of 100.
    env.pic.advance_time(HOUR);
    let mut max_message = 0u64;
    let mut messages = 0u64;
    let mut rounds = 0;
    let mut last_cursor = 0;
    let mut last = 0;
    while env.balance(env.payment, env.id) > 0 || env.info().status != LaunchpadStatus::Failed {
        env.pic.tick();
        let used = env.pic.instructions_used(env.id);
        if used != last {
            max_message = max_message.max(used);
            messages += 1;
            last = used;
        }
        let cursor = env.info().refund_cursor;
        if cursor != last_cursor {
            rounds += 1;
            last_cursor = cursor;
        }
        assert!(messages < 100 * u64::from(buyers), "the refund job does not end");
    }
    for i in [1, buyers / 2, buyers + 1] {
        assert_eq!(env.balance(env.payment, buyer(i)), BUYER_FUNDS - 5_000 - 2 * PAYMENT_FEE + 5_000 - PAYMENT_FEE);
    }
    rows.push((format!("refund job at {} buyers: rounds (100 refunds each)", buyers + 1), rounds));
    rows.push(("refund job: largest message (a round's records and sends, or a reply)".into(), max_message));
    println!("\n| launchpad operation | instructions |\n|---|---:|");
    for (what, n) in &rows {
        println!("| {what} | {n} |");
    }
    println!("| stable memory of the canister at {} buyers (bytes, bucket-granular) | {stable} |", buyers + 1);
    let (a, b) = (at_ten.1 as f64, at_n.1 as f64);
    // Nothing scans buyers: what grows is the depth of the stable B-trees (buyers, contributions), logarithmic in
    // their number (+31% from 10 to 10,000 buyers when measured).
    assert!(b / a < 1.5, "a contribution at {} buyers costs {b}, at 10 {a}", buyers + 1);
    assert!(max_message < 1_000_000_000);
}

#[cfg(not(feature = "pocket-ic"))]
#[test]
fn benchmark_claims() {
    let pic = PocketIcBuilder::new()
        .with_application_subnet()
        .with_subnet_config(SubnetConfig { max_executions_per_round: 1, ..SubnetConfig::default() })
        .build();
    let env = Env::on(pic, 10, |a| {
        a.soft_cap = Nat::from(10_000u32);
        a.vesting = Some(VestingSchedule { cliff: 0, duration: 4 * HOUR_NANOS, periods: 4 });
    });
    env.open();
    env.fill(1, 10, 20_000);
    env.pic.advance_time(HOUR);
    env.settle();
    assert_eq!(env.info().status, LaunchpadStatus::Succeeded);
    env.pic.advance_time(HOUR);
    let (first, total, reply) = env.stepped(buyer(5), "claim", encode_one(()).unwrap());
    let t: Reply<TransferInfo> = candid::decode_one(&reply).unwrap();
    assert_eq!(u(&t.expect("claims").amount), 20_000 - SALE_FEE);
    println!("\n| launchpad operation | instructions |\n|---|---:|");
    println!("| claim (vested quarter, 10 buyers): its largest message | {first} |");
    println!("| claim: all its messages | {total} |");
}

/// The launchpad sold through the backend on the whole fleet: published into its factory, paid with ICRC-2 at the
/// `launchpad_factory` fee, deployed with controllers [factory, owner]; a request the contract would refuse charges
/// nothing; a factory that refuses after the payment refunds the fee less one ledger fee.
#[test]
fn a_paid_launchpad_is_deployed_for_its_owner_and_a_refusing_factory_refunds() {
    use fleet_api::{ContractInfo, Page, PageRequest};
    use fleet_tests::fleet::{publish_version, token_version, user, CallError, Fleet, FleetWasm, LEDGER_FEE};
    let fleet = Fleet::deploy(ic::new_instance(), &FleetWasm::load(), &["alice"], |_| {}).expect("deploy");
    let wasm = canister_wasm("launchpad");
    let version = token_version(&wasm).expect("fleet:version metadata");
    publish_version(&fleet, fleet.launchpad_factory, fleet.release, &version, &wasm, "launchpad").expect("publish");
    let factory = fleet.launchpad_factory;
    let alice = user("alice");
    let fee = fleet.service_fee("launchpad_factory").unwrap();
    let sale_ledger = fleet.ic.create_canister_with_settings(Some(fleet.operator), None);
    let now = fleet.ic.get_time().as_nanos_since_unix_epoch();
    let args = LaunchpadArgs {
        name: "Fleet seed round".into(),
        sale_ledger,
        payment_ledger: fleet.ledger,
        price: Price { payment: Nat::from(1u8), tokens: Nat::from(100u8) },
        soft_cap: Nat::from(1_000_000u32),
        hard_cap: Nat::from(10_000_000u32),
        start_time: now + HOUR_NANOS,
        end_time: now + 2 * HOUR_NANOS,
        min_per_buyer: Nat::from(100_000u32),
        max_per_buyer: Nat::from(1_000_000u32),
        allow_list: None,
        vesting: None,
    };
    let settle = || {
        for _ in 0..30 {
            fleet.ic.advance_time(Duration::from_secs(5));
            fleet.ic.tick();
        }
    };
    fleet.approve_backend(alice, fee + LEDGER_FEE as u128).unwrap();
    let before = fleet.balance(alice).unwrap();
    let mut caps = args.clone();
    caps.soft_cap = Nat::from(10_000_001u32);
    let mut started = args.clone();
    started.start_time = now - 1;
    for bad in [caps, started] {
        let refused: Result<Principal, CallError> = fleet.call(fleet.backend, alice, "createLaunchpad", (bad,));
        assert!(matches!(refused, Err(CallError::Fleet { error: FleetError::InvalidInput(_), .. })), "{refused:?}");
    }
    assert_eq!(fleet.balance(alice).unwrap(), before, "a refused request charges nothing");

    let launchpad: Principal =
        fleet.call(fleet.backend, alice, "createLaunchpad", (args.clone(),)).expect("createLaunchpad");
    assert_eq!(before - fleet.balance(alice).unwrap(), fee + LEDGER_FEE as u128, "charged the fee once");
    let mut controllers = fleet.ic.get_controllers(launchpad);
    controllers.sort();
    let mut expected = vec![factory, alice];
    expected.sort();
    assert_eq!(controllers, expected);
    let (sale,): (SaleInfo,) = fleet.query(launchpad, alice, "getSale", ()).unwrap();
    assert_eq!(
        (sale.status, sale.payment_ledger, sale.hard_cap),
        (LaunchpadStatus::Upcoming, fleet.ledger, args.hard_cap.clone())
    );
    let (owner,): (Principal,) = fleet.query(launchpad, alice, "owner", ()).unwrap();
    assert_eq!(owner, alice);
    settle();
    let (page,): (Page<ContractInfo>,) =
        fleet.query(factory, alice, "getMyContracts", (alice, PageRequest::new(0, 10))).expect("getMyContracts");
    assert_eq!(
        page.items.iter().map(|c| (c.id, c.kind)).collect::<Vec<_>>(),
        vec![(launchpad, fleet_api::ContractKind::Launchpad)]
    );

    // The factory refuses the backend after the payment: the fee comes back less one ledger fee.
    fleet.admin_call(factory, "removeFromWhitelist", (fleet.backend,)).unwrap();
    fleet.approve_backend(alice, fee + LEDGER_FEE as u128).unwrap();
    let before = fleet.balance(alice).unwrap();
    let refused: Result<Principal, CallError> = fleet.call(fleet.backend, alice, "createLaunchpad", (args,));
    assert!(matches!(refused, Err(CallError::Fleet { error: FleetError::Unauthorized(_), .. })), "{refused:?}");
    settle();
    assert_eq!(before - fleet.balance(alice).unwrap(), 2 * LEDGER_FEE as u128);
}
