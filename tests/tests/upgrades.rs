//! The upgrade engine on real token wasm (the emulator by default, PocketIC with `--features pocket-ic`): four token
//! versions built by the release pipeline — 1.0.0 (the committed release bytes), 1.1.0 (today's token, a checkpoint:
//! its schema migration), 1.2.0 (`token_next`) and 1.2.1 (`token_faulty`, whose post_upgrade refuses ledgers holding
//! allowances) — and 50 contracts with mixed policies: a canary then widening along a two-step path through the
//! checkpoint, a bad release rolled back to the exact state, the factory upgraded mid-rollout, an owner who removed
//! the factory, a contract low on cycles, owners upgrading and restoring by hand. At the end of every test no
//! contract is stopped.

use candid::{encode_one, CandidType, Nat, Principal};
use factory_engine::upgrade::api::*;
use fleet_api::{DeployOptions, FleetError, Page, PageRequest, UpgradePolicy};
use fleet_client::publish::{publish, ChunkOrder, PublishRequest};
use fleet_client::FactoryClient;
use fleet_tests::fleet::IcTransport;
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use fleet_tests::wasm::canister_wasm;
use sha2::{Digest, Sha256};
use std::time::Duration;
use token_api::{Account, ApproveArgs, TokenArgs};
use token_factory_api::{FactoryInitArgs, UpgradeMetadata};

type R<T> = Result<T, FleetError>;

fn principal(name: &str) -> Principal {
    Principal::self_authenticating(name.as_bytes())
}
fn admin() -> Principal {
    principal("factory-admin")
}
fn backend() -> Principal {
    principal("backend")
}
fn holder() -> Principal {
    principal("holder")
}
fn owner_of(i: usize) -> Principal {
    principal(&format!("owner-{i}"))
}

const V1: &str = "1.0.0";
const V11: &str = "1.1.0";
const V12: &str = "1.2.0";
const BAD: &str = "1.2.1";

fn released_1_0_0() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm-registry/token/1.0.0/token.wasm.gz");
    std::fs::read(path).expect("wasm-registry/token/1.0.0/token.wasm.gz is committed")
}

struct Lab {
    pic: PocketIc,
    factory: Principal,
    contracts: Vec<Principal>,
}

impl Lab {
    /// A token factory with 1.0.0 published and `n` contracts deployed at it (owner i, holder holding 1,000,000),
    /// then 1.1.0 (checkpoint), 1.2.0 and 1.2.1 published.
    fn new(n: usize) -> Self {
        let pic = ic::new_instance();
        let settings = CanisterSettings { controllers: Some(vec![admin()]), ..Default::default() };
        let factory = pic.create_canister_with_settings(Some(admin()), Some(settings));
        pic.add_cycles(factory, 10_000_000_000_000_000);
        let init = FactoryInitArgs { admins: vec![admin()], release_principals: vec![admin()], ..Default::default() };
        pic.install_canister(factory, canister_wasm("token_factory"), encode_one(Some(init)).unwrap(), Some(admin()));
        let mut lab = Self { pic, factory, contracts: vec![] };
        lab.update::<R<()>>(admin(), "setupWhitelist", (backend(),)).unwrap();
        lab.publish(V1, &released_1_0_0(), false);
        for i in 0..n {
            let options = DeployOptions { initial_cycles: None, request_id: Some(i as u64) };
            let id: R<Principal> = lab.update(backend(), "createContract", (owner_of(i), token_args(i), options));
            lab.contracts.push(id.expect("createContract"));
        }
        lab.publish(V11, &canister_wasm("token"), true);
        lab.publish(V12, &canister_wasm("token_next"), false);
        lab.publish(BAD, &canister_wasm("token_faulty"), false);
        lab
    }

    fn publish(&self, version: &str, wasm: &[u8], checkpoint: bool) {
        let transport = IcTransport::new(&self.pic, admin());
        let client = FactoryClient::new(&transport, self.factory);
        let request = PublishRequest {
            version,
            wasm,
            release_notes: "",
            upgrade: UpgradeMetadata { checkpoint, post_upgrade_arg: None, reachable_from: None },
            chunk_size: 512 * 1024,
            order: ChunkOrder::Ascending,
        };
        publish(&client, &request, |_| {}).unwrap_or_else(|e| panic!("publish {version}: {e}"));
    }

    fn update<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        from: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> T {
        let (reply,): (T,) = ic::update_candid_as(&self.pic, self.factory, from, method, args).expect(method);
        reply
    }

    fn query<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> T {
        let (reply,): (T,) = ic::query_candid_as(&self.pic, self.factory, admin(), method, args).expect(method);
        reply
    }

    fn set_policy(&self, i: usize, policy: UpgradePolicy) {
        let r: R<()> = self.update(owner_of(i), "setUpgradePolicy", (self.contracts[i], policy));
        r.expect("setUpgradePolicy");
    }

    fn start(&self, plan: RolloutPlan) -> RolloutView {
        let r: R<RolloutView> = self.update(admin(), "startRollout", (plan,));
        r.expect("startRollout")
    }

    fn rollout(&self, id: u64) -> RolloutView {
        self.query::<R<RolloutView>>("getRollout", (id,)).expect("getRollout")
    }

    /// Lets the scheduler run (2 s per tick) until the rollout stops moving: finished, aborted, paused or canary done.
    fn settle(&self, id: u64) -> RolloutView {
        for _ in 0..2_000 {
            self.pic.advance_time(Duration::from_secs(2));
            self.pic.tick();
            let view = self.rollout(id);
            if !matches!(view.state, RolloutState::Running | RolloutState::Aborting) && view.counts.in_flight == 0 {
                return view;
            }
        }
        panic!("rollout {id} never settled: {:?}", self.rollout(id));
    }

    fn tasks(&self, id: u64, state: TaskState) -> Vec<TaskView> {
        let page: R<Page<TaskView>> = self.query("listRolloutTasks", (id, Some(state), PageRequest::new(0, 500)));
        page.expect("listRolloutTasks").items
    }

    fn token_query<T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        contract: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> T {
        let (reply,): (T,) = ic::query_candid_as(&self.pic, contract, admin(), method, args).expect(method);
        reply
    }

    fn version_of(&self, contract: Principal) -> String {
        self.token_query(contract, "version", ())
    }

    fn balance(&self, contract: Principal, owner: Principal) -> Nat {
        self.token_query(contract, "icrc1_balance_of", (Account { owner, subaccount: None },))
    }

    fn module_hash(&self, contract: Principal) -> Vec<u8> {
        self.pic.canister_status(contract, Some(self.factory)).expect("canister_status").module_hash.unwrap_or_default()
    }

    /// The promise every test ends on: no contract is stopped.
    fn assert_all_running(&self) {
        for contract in &self.contracts {
            let status = self.pic.canister_status(*contract, Some(self.factory));
            if let Ok(status) = status {
                assert_eq!(
                    format!("{:?}", status.status),
                    "Running",
                    "contract {contract} is left {:?}",
                    status.status
                );
            }
        }
    }
}

fn token_args(i: usize) -> TokenArgs {
    TokenArgs {
        name: format!("Token {i}"),
        symbol: format!("T{i}"),
        decimals: 8,
        transfer_fee: Nat::from(10_000u64),
        initial_balances: vec![(Account { owner: holder(), subaccount: None }, Nat::from(1_000_000u64 + i as u64))],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}

fn plan(target: &str, selector: RolloutSelector) -> RolloutPlan {
    RolloutPlan {
        target_version: target.into(),
        selector,
        batch_size: 20,
        max_concurrency: 10,
        failure_budget: 100,
        snapshot: None,
        stop_timeout_seconds: None,
        cycles_floor: None,
        top_up_cap: None,
    }
}

fn sha(wasm: &[u8]) -> Vec<u8> {
    Sha256::digest(wasm).to_vec()
}

#[test]
fn a_canary_then_widening_upgrades_only_opted_in_contracts_through_the_checkpoint() {
    let lab = Lab::new(50);
    // Mixed policies: 0,1,2 mod 5 Auto; 3 Manual; 4 Pinned at 1.0.0.
    for i in 0..50 {
        match i % 5 {
            0..=2 => lab.set_policy(i, UpgradePolicy::Auto),
            3 => {}
            _ => lab.set_policy(i, UpgradePolicy::Pinned(V1.into())),
        }
    }
    let path: R<UpgradePath> = lab.query("getUpgradePath", (lab.contracts[0], Some(V12.to_string())));
    let steps: Vec<String> = path.unwrap().steps.into_iter().map(|s| s.version).collect();
    assert_eq!(steps, [V11, V12], "the path goes through the checkpoint");

    let rollout = lab.start(plan(V12, RolloutSelector::Canary(3)));
    let canary = lab.settle(rollout.id);
    assert_eq!(canary.state, RolloutState::CanaryDone, "{canary:?}");
    assert_eq!(canary.counts.done, 3, "{canary:?}");
    let resumed: R<RolloutView> = lab.update(admin(), "resumeRollout", (rollout.id,));
    resumed.unwrap();
    let done = lab.settle(rollout.id);
    assert_eq!(done.state, RolloutState::Finished, "{done:?}");
    assert_eq!((done.counts.done, done.counts.skipped, done.counts.failures()), (30, 20, 0), "{done:?}");

    let next_sha = sha(&canister_wasm("token_next"));
    for (i, contract) in lab.contracts.iter().enumerate() {
        let upgraded = i % 5 <= 2;
        assert_eq!(lab.version_of(*contract), if upgraded { V12 } else { V1 }, "contract {i}");
        assert_eq!(lab.module_hash(*contract) == next_sha, upgraded, "contract {i}");
        assert_eq!(lab.balance(*contract, holder()), Nat::from(1_000_000u64 + i as u64), "contract {i} lost state");
    }
    let skipped = lab.tasks(rollout.id, TaskState::Skipped);
    assert!(skipped.iter().all(|t| t.reason.as_deref().unwrap_or("").starts_with("NotOptedIn")), "{skipped:?}");
    let info: R<token_factory_api::ContractDetails> = lab.query("getContract", (lab.contracts[0],));
    assert_eq!(info.unwrap().info.version, V12, "the factory's record follows");
    lab.assert_all_running();
}

#[test]
fn a_bad_release_rolls_back_the_contracts_it_breaks_to_their_exact_state() {
    let lab = Lab::new(6);
    let spender = principal("spender");
    for i in 0..6 {
        lab.set_policy(i, UpgradePolicy::Auto);
    }
    // Half the ledgers hold an allowance: the bad release's post_upgrade refuses them.
    for i in (0..6).step_by(2) {
        let args = ApproveArgs {
            from_subaccount: None,
            spender: Account { owner: spender, subaccount: None },
            amount: Nat::from(5_000u64),
            expected_allowance: None,
            expires_at: None,
            fee: None,
            memo: None,
            created_at_time: None,
        };
        let (r,): (Result<Nat, token_api::ApproveError>,) =
            ic::update_candid_as(&lab.pic, lab.contracts[i], holder(), "icrc2_approve", (args,)).unwrap();
        r.unwrap();
    }
    let rollout = lab.start(plan(BAD, RolloutSelector::AllEligible));
    let done = lab.settle(rollout.id);
    assert_eq!((done.counts.done, done.counts.rolled_back), (3, 3), "{done:?}");
    for (i, contract) in lab.contracts.iter().enumerate() {
        let allowance: token_api::Allowance = lab.token_query(
            *contract,
            "icrc2_allowance",
            (token_api::AllowanceArgs {
                account: Account { owner: holder(), subaccount: None },
                spender: Account { owner: spender, subaccount: None },
            },),
        );
        let fee_paid = if i % 2 == 0 { 10_000u64 } else { 0 };
        assert_eq!(lab.balance(*contract, holder()), Nat::from(1_000_000 + i as u64 - fee_paid), "contract {i}");
        if i % 2 == 0 {
            // Rolled back from the second step: on the checkpoint version, allowance intact.
            assert_eq!(lab.version_of(*contract), V11, "contract {i}");
            assert_eq!(allowance.allowance, Nat::from(5_000u64), "contract {i}");
        } else {
            assert_eq!(lab.version_of(*contract), BAD, "contract {i}");
        }
    }
    // The journal keeps the whole reason: the contract's own trap message.
    for task in lab.tasks(rollout.id, TaskState::RolledBack) {
        let journal: R<Page<JournalEntry>> =
            lab.query("getUpgradeJournal", (JournalFilter::Contract(task.contract), PageRequest::new(0, 20)));
        let entries = journal.unwrap().items;
        assert_eq!(entries[0].to, TaskState::RolledBack, "{entries:?}");
        let failure = entries.iter().find(|e| e.to == TaskState::RollingBack).expect("the failure is journaled");
        assert!(failure.detail.contains("cannot migrate ledgers that hold allowances"), "{failure:?}");
    }
    lab.assert_all_running();
}

#[test]
fn a_rollout_survives_the_factorys_own_upgrade_and_skips_detached_contracts() {
    let lab = Lab::new(12);
    for i in 0..12 {
        lab.set_policy(i, UpgradePolicy::Auto);
    }
    // Owner 0 removes the factory from the controllers by hand.
    lab.pic.set_controllers(lab.contracts[0], Some(owner_of(0)), vec![owner_of(0)]).unwrap();
    let rollout = lab.start(RolloutPlan { max_concurrency: 3, ..plan(V11, RolloutSelector::AllEligible) });
    for _ in 0..3 {
        lab.pic.advance_time(Duration::from_secs(2));
        lab.pic.tick();
    }
    assert!(lab.rollout(rollout.id).counts.in_flight > 0, "the upgrade lands mid-rollout");
    // Upgraded while its management calls are open: every future is dropped.
    lab.pic
        .upgrade_canister(
            lab.factory,
            canister_wasm("token_factory"),
            encode_one(None::<FactoryInitArgs>).unwrap(),
            Some(admin()),
        )
        .expect("factory upgrade");
    let done = lab.settle(rollout.id);
    assert_eq!(done.state, RolloutState::Finished, "{done:?}");
    assert_eq!((done.counts.done, done.counts.skipped), (11, 1), "{done:?}");
    let detached: R<token_factory_api::ContractDetails> = lab.query("getContract", (lab.contracts[0],));
    assert_eq!(detached.unwrap().info.status, fleet_api::ContractStatus::Detached);
    for contract in &lab.contracts[1..] {
        assert_eq!(lab.version_of(*contract), V11);
    }
    lab.assert_all_running();
}

#[test]
fn owners_upgrade_by_hand_restore_and_get_low_cycles_topped_up() {
    let lab = Lab::new(2);
    let contract = lab.contracts[0];
    let stranger: R<TaskView> = lab.update(principal("stranger"), "upgradeMyContract", (contract, None::<String>));
    assert!(matches!(stranger, Err(FleetError::Unauthorized(_))), "{stranger:?}");
    let view: R<TaskView> = lab.update(owner_of(0), "upgradeMyContract", (contract, Some(V12.to_string())));
    let mut view = view.unwrap();
    // The checkpoint's migration may still report itself migrating: the scheduler finishes the verification.
    for _ in 0..300 {
        if view.state.is_terminal() {
            break;
        }
        lab.pic.advance_time(Duration::from_secs(2));
        lab.pic.tick();
        let journal: R<Page<JournalEntry>> =
            lab.query("getUpgradeJournal", (JournalFilter::Contract(contract), PageRequest::new(0, 1)));
        view.state = journal.unwrap().items[0].to;
    }
    assert_eq!(view.state, TaskState::Done);
    assert_eq!(lab.version_of(contract), V12);
    // A transfer on 1.2.0, then the restore: back on the last snapshot (taken before 1.1.0 → 1.2.0), transfer undone.
    let before = lab.balance(contract, holder());
    let transfer = token_api::TransferArg {
        from_subaccount: None,
        to: Account { owner: principal("someone"), subaccount: None },
        amount: Nat::from(1_000u64),
        fee: None,
        memo: None,
        created_at_time: None,
    };
    let (sent,): (Result<Nat, token_api::TransferError>,) =
        ic::update_candid_as(&lab.pic, contract, holder(), "icrc1_transfer", (transfer,)).unwrap();
    sent.unwrap();
    let restored: R<TaskView> = lab.update(owner_of(0), "restoreMyContract", (contract,));
    assert_eq!(restored.unwrap().state, TaskState::RolledBack);
    assert_eq!(lab.version_of(contract), V11);
    assert_eq!(lab.balance(contract, holder()), before);

    // Low on cycles: a rollout with a floor above the contract's balance tops it up first.
    let other = lab.contracts[1];
    lab.set_policy(1, UpgradePolicy::AutoWithinMajor);
    let cycles_before = lab.pic.cycle_balance(other);
    let floor = cycles_before + 1_000_000_000_000;
    let rollout =
        lab.start(RolloutPlan { cycles_floor: Some(floor), ..plan(V11, RolloutSelector::Contracts(vec![other])) });
    let done = lab.settle(rollout.id);
    assert_eq!(done.counts.done, 1, "{done:?}");
    let task = &lab.tasks(rollout.id, TaskState::Done)[0];
    assert!(task.cycles_topped_up > 0 && lab.pic.cycle_balance(other) >= floor, "{task:?}");
    lab.assert_all_running();
}

#[test]
fn the_path_on_real_wasm_refuses_a_downgrade_and_a_skipped_checkpoint_and_changes_nothing() {
    let lab = Lab::new(2);
    let (low, high) = (lab.contracts[0], lab.contracts[1]);
    let wait_done = |contract: Principal| {
        for _ in 0..300 {
            let journal: R<Page<JournalEntry>> =
                lab.query("getUpgradeJournal", (JournalFilter::Contract(contract), PageRequest::new(0, 1)));
            if journal.unwrap().items.first().is_some_and(|e| e.to.is_terminal()) {
                return;
            }
            lab.pic.advance_time(Duration::from_secs(2));
            lab.pic.tick();
        }
        panic!("the upgrade of {contract} never settled");
    };
    let up: R<TaskView> = lab.update(owner_of(1), "upgradeMyContract", (high, Some(V12.to_string())));
    up.unwrap();
    wait_done(high);
    assert_eq!(lab.version_of(high), V12);
    let down: R<UpgradePath> = lab.query("getUpgradePath", (high, Some(V1.to_string())));
    assert!(matches!(&down, Err(FleetError::InvalidInput(m)) if m.contains("never go back")), "{down:?}");
    let down: R<TaskView> = lab.update(owner_of(1), "upgradeMyContract", (high, Some(V1.to_string())));
    assert!(matches!(down, Err(FleetError::InvalidInput(_))), "{down:?}");

    // The checkpoint 1.1.0 yanked: nothing may skip its migration, so 1.0.0 has no way to 1.2.0.
    let yanked: R<token_factory_api::VersionInfo> =
        lab.update(admin(), "yankVersion", (V11.to_string(), "test".to_string()));
    yanked.unwrap();
    let skip: R<UpgradePath> = lab.query("getUpgradePath", (low, Some(V12.to_string())));
    assert!(matches!(&skip, Err(FleetError::InvalidInput(m)) if m.contains("checkpoint 1.1.0")), "{skip:?}");
    let skip: R<TaskView> = lab.update(owner_of(0), "upgradeMyContract", (low, Some(V12.to_string())));
    assert!(matches!(skip, Err(FleetError::InvalidInput(_))), "{skip:?}");
    assert_eq!(lab.version_of(low), V1, "nothing changed");
    let journal: R<Page<JournalEntry>> =
        lab.query("getUpgradeJournal", (JournalFilter::Contract(low), PageRequest::new(0, 5)));
    assert_eq!(journal.unwrap().total, 0, "no task was written");
    lab.assert_all_running();
}

/// The upgrade engine's figures (emulator only: it reads instruction counters). Slow (1,000 contracts): run with
/// `cargo nextest run -p fleet_tests --test upgrades --run-ignored only --no-capture`; the README records the table.
#[cfg(not(feature = "pocket-ic"))]
#[test]
#[ignore]
fn upgrade_benchmark() {
    use std::time::Instant;
    let started = Instant::now();
    let lab = Lab::new(1_000);
    println!("deployed 1,000 contracts in {:.1} s", started.elapsed().as_secs_f64());
    let stats = |lab: &Lab| lab.query::<token_factory_api::FactoryStats>("getStats", ());
    let factory_instructions = |lab: &Lab| lab.pic.total_instructions_used(lab.factory);
    // One owner upgrade alone (no scheduler tick involved): the step machine's own cost.
    let before = factory_instructions(&lab);
    let by_hand: R<TaskView> =
        lab.update(owner_of(999), "upgradeMyContract", (lab.contracts[999], Some(V11.to_string())));
    let by_hand = by_hand.unwrap();
    for _ in 0..100 {
        let journal: R<Page<JournalEntry>> =
            lab.query("getUpgradeJournal", (JournalFilter::Contract(lab.contracts[999]), PageRequest::new(0, 1)));
        if journal.unwrap().items[0].to.is_terminal() {
            break;
        }
        lab.pic.advance_time(Duration::from_secs(2));
        lab.pic.tick();
    }
    let owner_upgrade = factory_instructions(&lab) - before;
    assert!(by_hand.state.is_terminal() || by_hand.state == TaskState::Verifying);
    for i in 0..999 {
        lab.set_policy(i, UpgradePolicy::Auto);
    }
    // 100 tasks: a listed rollout.
    let listed = plan(V11, RolloutSelector::Contracts(lab.contracts[..100].to_vec()));
    let before = factory_instructions(&lab);
    let small = lab.start(RolloutPlan { max_concurrency: 50, batch_size: 100, ..listed });
    let small_done = lab.settle(small.id);
    assert_eq!(small_done.counts.done, 100);
    let per_contract = (factory_instructions(&lab) - before) / 100;
    let tick_at_100 = stats(&lab).max_scheduler_tick_instructions.unwrap_or(0);

    // 900 more at concurrency 50: wall time, rounds, and how full the concurrency limit is kept.
    let all = plan(V11, RolloutSelector::AllEligible);
    let big = lab.start(RolloutPlan { max_concurrency: 50, batch_size: 100, ..all });
    let clock = Instant::now();
    let (mut rounds, mut full_rounds, mut peak, mut left_queued) = (0u64, 0u64, 0u64, 0u64);
    // In flight after every round from the first start until every one of the 899 eligible contracts has started.
    let mut waiting_samples = Vec::new();
    let mut rounds_before_first_start = 0u64;
    loop {
        lab.pic.advance_time(Duration::from_secs(2));
        lab.pic.tick();
        rounds += 1;
        let view = lab.rollout(big.id);
        peak = peak.max(view.counts.in_flight);
        if view.counts.in_flight == 50 {
            full_rounds += 1;
        }
        // A free slot with a contract waiting queued: the tick's budget did not let it start.
        if view.counts.in_flight < 50 && view.counts.queued > 0 {
            left_queued += 1;
        }
        let c = &view.counts;
        let started = c.done + c.in_flight + c.rolled_back + c.failed;
        // Before the first start the ticks only skip (the 101 contracts already at the target come first, each
        // skip costs ~0.7 M of a tick's 25 M admission budget): counted apart, as rounds before the first start.
        if started == 0 {
            rounds_before_first_start += 1;
        } else if started < 899 {
            waiting_samples.push(view.counts.in_flight);
        }
        if view.state == RolloutState::Finished {
            assert_eq!(view.counts.done, 899, "{view:?}");
            break;
        }
        assert!(rounds < 100_000, "{view:?}");
    }
    let wall = clock.elapsed().as_secs_f64();
    assert!(peak <= 50, "the concurrency limit is kept");

    // 10,000 tasks in the store: nine more rollouts that skip every (Manual) contract, then a tick of a live one.
    for i in 0..1_000 {
        lab.set_policy(i, UpgradePolicy::Manual);
    }
    for _ in 0..9 {
        let skip_all = lab.start(RolloutPlan { batch_size: 1_000, ..plan(V12, RolloutSelector::AllEligible) });
        assert_eq!(lab.settle(skip_all.id).counts.skipped, 1_000);
    }
    for i in 0..50 {
        lab.set_policy(i, UpgradePolicy::Auto);
    }
    let last =
        lab.start(RolloutPlan { max_concurrency: 50, batch_size: 100, ..plan(V12, RolloutSelector::AllEligible) });
    // Reset the maximum's meaning: the ticks of this rollout run over 10,000 stored tasks.
    let before_max = stats(&lab).max_scheduler_tick_instructions.unwrap_or(0);
    let mut tick_at_10k = 0;
    for _ in 0..50 {
        lab.pic.advance_time(Duration::from_secs(2));
        lab.pic.tick();
        tick_at_10k = tick_at_10k.max(stats(&lab).last_scheduler_tick_instructions.unwrap_or(0));
    }
    lab.settle(last.id);
    println!();
    println!("| upgrade engine figure (emulator) | value |");
    println!("|---|---|");
    println!("| factory instructions per contract upgraded in a rollout (all its messages and the ticks, one step) | {:.2} M |", per_contract as f64 / 1e6);
    println!(
        "| factory instructions of one owner upgrade (upgradeMyContract, one step) | {:.2} M |",
        owner_upgrade as f64 / 1e6
    );
    println!("| scheduler tick, most instructions, 100 tasks | {:.2} M |", tick_at_100 as f64 / 1e6);
    println!("| scheduler tick, most instructions, 10,000+ tasks stored | {:.2} M |", tick_at_10k as f64 / 1e6);
    println!("| (most over the whole run, for reference) | {:.2} M |", before_max as f64 / 1e6);
    println!("| rollout of 900 contracts at concurrency 50: wall time / rounds | {wall:.1} s / {rounds} |");
    println!("| rounds with 50 contracts in flight / peak in flight | {full_rounds} / {peak} |");
    println!("| rounds ending with a free slot and a contract still queued | {left_queued} |");
    println!("in flight after each round, from the first start while a contract waits to start: {waiting_samples:?}");
    waiting_samples.sort_unstable();
    let (min_in_flight, median_in_flight, max_in_flight) = (
        waiting_samples.first().copied().unwrap_or(0),
        waiting_samples.get(waiting_samples.len() / 2).copied().unwrap_or(0),
        waiting_samples.last().copied().unwrap_or(0),
    );
    println!(
        "| in flight after each round from the first start while a contract waits to start ({} rounds): min / median / max | {min_in_flight} / {median_in_flight} / {max_in_flight} |",
        waiting_samples.len()
    );
    println!("| rounds before the first start (ticks skipping contracts already at the target) | {rounds_before_first_start} |");
    // The goals: ≤ 10 M per contract (in a rollout and by hand), ≤ 50 M per tick (the whole message).
    assert!(tick_at_100 <= 50_000_000 && tick_at_10k <= 50_000_000, "≤ 50 M per tick");
    assert!(per_contract <= 10_000_000 && owner_upgrade <= 10_000_000, "≤ 10 M per contract upgraded");
    assert_eq!(left_queued, 0, "a free slot never waits for the next tick while a contract is queued");
    assert!(!waiting_samples.is_empty());
    assert_eq!(min_in_flight, 50, "the concurrency limit is kept full while a contract waits to start");
    lab.assert_all_running();
}
