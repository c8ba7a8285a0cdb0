//! The upgrade engine's stop-timeout path on real wasm built by the release pipeline (issue 10): a rollout with a
//! short `stop_timeout` over several token contracts, one of which holds an open call context (`token_hold`: token
//! 1.1.0 plus `holdCallOpen`, waiting on the `call_holder` fixture, which keeps the call open until a given time),
//! so its `stop_canister` stays pending. The engine must give up on it after the timeout, start it again (which
//! cancels the pending stop) and mark it `Failed(StopTimeout)` with its old code and state, while the others are
//! upgraded; nothing is left stopped, and once the holder replies the contract still works.

use candid::{encode_args, encode_one, CandidType, Nat, Principal};
use factory_engine::upgrade::api::*;
use fleet_api::{DeployOptions, FleetError, Page, PageRequest, UpgradePolicy};
use fleet_client::publish::{publish, ChunkOrder, PublishRequest};
use fleet_client::FactoryClient;
use fleet_tests::fleet::IcTransport;
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use fleet_tests::wasm::canister_wasm;
use sha2::{Digest, Sha256};
use std::time::Duration;
use token_api::{Account, TokenArgs, TransferArg};
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

/// `token_hold` is published as 1.1.0 (it is the token 1.1.0 code plus one method), `token_next` as 1.2.0.
const OLD: &str = "1.1.0";
const NEW: &str = "1.2.0";
const CONTRACTS: usize = 4;
/// The contract that holds a call open.
const HOLDING: usize = 1;
const STOP_TIMEOUT_S: u64 = 10;
/// How long the holder keeps the call open: past the stop timeout and the rollout's end (which must come first), and
/// below the IC's own 5-minute `stop_canister` timeout, so only the engine's restart can end the stop while the call
/// is open. (Each round the holder's self-calls fill the round: a longer hold costs test time, not coverage.)
const HOLD_FOR: Duration = Duration::from_secs(40);

fn sha(wasm: &[u8]) -> Vec<u8> {
    Sha256::digest(wasm).to_vec()
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

struct Lab {
    pic: PocketIc,
    factory: Principal,
    contracts: Vec<Principal>,
}

impl Lab {
    fn new() -> Self {
        let pic = ic::new_instance();
        let settings = CanisterSettings { controllers: Some(vec![admin()]), ..Default::default() };
        let factory = pic.create_canister_with_settings(Some(admin()), Some(settings));
        pic.add_cycles(factory, 10_000_000_000_000_000);
        let init = FactoryInitArgs { admins: vec![admin()], release_principals: vec![admin()], ..Default::default() };
        pic.install_canister(factory, canister_wasm("token_factory"), encode_one(Some(init)).unwrap(), Some(admin()));
        let mut lab = Self { pic, factory, contracts: vec![] };
        lab.update::<R<()>>(admin(), "setupWhitelist", (backend(),)).unwrap();
        lab.publish(OLD, &canister_wasm("token_hold"));
        for i in 0..CONTRACTS {
            let options = DeployOptions { initial_cycles: None, request_id: Some(i as u64) };
            let id: R<Principal> = lab.update(backend(), "createContract", (owner_of(i), token_args(i), options));
            lab.contracts.push(id.expect("createContract"));
            let r: R<()> = lab.update(owner_of(i), "setUpgradePolicy", (lab.contracts[i], UpgradePolicy::Auto));
            r.expect("setUpgradePolicy");
        }
        lab.publish(NEW, &canister_wasm("token_next"));
        lab
    }

    fn publish(&self, version: &str, wasm: &[u8]) {
        let transport = IcTransport::new(&self.pic, admin());
        let client = FactoryClient::new(&transport, self.factory);
        let request = PublishRequest {
            version,
            wasm,
            release_notes: "",
            upgrade: UpgradeMetadata { checkpoint: false, post_upgrade_arg: None, reachable_from: None },
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
        canister: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> T {
        let (reply,): (T,) = ic::query_candid_as(&self.pic, canister, admin(), method, args).expect(method);
        reply
    }

    fn rollout(&self, id: u64) -> RolloutView {
        self.query::<R<RolloutView>>(self.factory, "getRollout", (id,)).expect("getRollout")
    }

    fn tasks(&self, id: u64, state: TaskState) -> Vec<TaskView> {
        let page: R<Page<TaskView>> =
            self.query(self.factory, "listRolloutTasks", (id, Some(state), PageRequest::new(0, 100)));
        page.expect("listRolloutTasks").items
    }

    fn status(&self, contract: Principal) -> String {
        let status = self.pic.canister_status(contract, Some(self.factory)).expect("canister_status");
        format!("{:?}", status.status)
    }

    fn module_hash(&self, contract: Principal) -> Vec<u8> {
        self.pic.canister_status(contract, Some(self.factory)).expect("canister_status").module_hash.unwrap_or_default()
    }

    fn balance(&self, contract: Principal, owner: Principal) -> Nat {
        self.query(contract, "icrc1_balance_of", (Account { owner, subaccount: None },))
    }

    fn now_nanos(&self) -> u64 {
        self.pic.get_time().as_nanos_since_unix_epoch()
    }

    fn round(&self) {
        self.pic.advance_time(Duration::from_secs(2));
        self.pic.tick();
    }
}

#[test]
fn a_contract_holding_a_call_open_times_out_its_stop_is_started_again_on_its_old_code_and_the_others_upgrade() {
    let lab = Lab::new();
    let holding = lab.contracts[HOLDING];
    let hold_sha = sha(&canister_wasm("token_hold"));
    let next_sha = sha(&canister_wasm("token_next"));

    // The helper that keeps the call open, and the holding contract waiting on it (inter-canister: the token's
    // ingress filter admits only its ICRC methods).
    let call_holder = lab.pic.create_canister();
    lab.pic.add_cycles(call_holder, 100_000_000_000_000);
    lab.pic.install_canister(call_holder, canister_wasm("call_holder"), encode_args(()).unwrap(), None);
    let hold_until = lab.now_nanos() + HOLD_FOR.as_nanos() as u64;
    let open = lab
        .pic
        .submit_call(call_holder, admin(), "open", encode_args((holding, hold_until)).unwrap())
        .expect("submit open");
    for _ in 0..2 {
        lab.pic.tick();
    }
    assert!(lab.pic.ingress_status(open.clone()).is_none(), "the holder keeps the call open");

    let plan = RolloutPlan {
        target_version: NEW.into(),
        selector: RolloutSelector::AllEligible,
        batch_size: 20,
        max_concurrency: 10,
        failure_budget: 10,
        snapshot: None,
        stop_timeout_seconds: Some(STOP_TIMEOUT_S),
        cycles_floor: None,
        top_up_cap: None,
    };
    let started = lab.now_nanos();
    let rollout: R<RolloutView> = lab.update(admin(), "startRollout", (plan,));
    let rollout = rollout.expect("startRollout");

    // While the stop is pending the contract is Stopping (the engine asked, the open context keeps it from stopping).
    let mut seen_stopping = false;
    let done = loop {
        lab.round();
        seen_stopping |= lab.status(holding) == "Stopping";
        let view = lab.rollout(rollout.id);
        if view.state != RolloutState::Running && view.counts.in_flight == 0 {
            break view;
        }
        assert!(lab.now_nanos() < hold_until, "the rollout must settle while the call is still open: {view:?}");
    };
    let settled_after_s = (lab.now_nanos() - started) / 1_000_000_000;
    assert!(seen_stopping, "the holding contract was asked to stop and could not");
    assert_eq!(done.state, RolloutState::Finished, "{done:?}");
    assert_eq!((done.counts.done, done.counts.failed, done.counts.rolled_back), (3, 1, 0), "{done:?}");
    // Given up after the rollout's timeout (not the IC's 5 minutes): a few ticks past it.
    assert!(settled_after_s >= STOP_TIMEOUT_S && settled_after_s < STOP_TIMEOUT_S + 20, "{settled_after_s} s");

    // The task says why; the journal shows the stop, its timeout and the restart without an install.
    let failed = lab.tasks(rollout.id, TaskState::Failed);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].contract, holding);
    assert!(failed[0].reason.as_deref().unwrap_or("").starts_with("StopTimeout"), "{failed:?}");
    let journal: R<Page<JournalEntry>> =
        lab.query(lab.factory, "getUpgradeJournal", (JournalFilter::Contract(holding), PageRequest::new(0, 20)));
    let entries = journal.expect("getUpgradeJournal").items;
    assert_eq!(entries[0].to, TaskState::Failed, "{entries:?}");
    let timed_out = entries
        .iter()
        .find(|e| e.from == TaskState::Stopping && e.to == TaskState::RollingBack)
        .unwrap_or_else(|| panic!("the stop's failure is journaled: {entries:?}"));
    assert!(timed_out.detail.starts_with("StopTimeout"), "{timed_out:?}");
    assert!(
        !entries.iter().any(|e| matches!(e.to, TaskState::Snapshotting | TaskState::Installing)),
        "nothing was installed on the holding contract: {entries:?}"
    );

    // Running again, while the call is still open: the engine's start cancelled the pending stop (the contract could
    // not have stopped by itself). Old code, old version, same balance.
    assert!(lab.pic.ingress_status(open.clone()).is_none(), "the holder still keeps the call open");
    assert_eq!(lab.status(holding), "Running");
    assert_eq!(lab.module_hash(holding), hold_sha);
    assert_eq!(lab.query::<String>(holding, "version", ()), OLD);
    assert_eq!(lab.balance(holding, holder()), Nat::from(1_000_000u64 + HOLDING as u64));
    let details: R<token_factory_api::ContractDetails> = lab.query(lab.factory, "getContract", (holding,));
    assert_eq!(details.expect("getContract").info.version, OLD, "the factory's record stays on the old version");

    // The others are upgraded, their state kept.
    for (i, contract) in lab.contracts.iter().enumerate().filter(|(i, _)| *i != HOLDING) {
        assert_eq!(lab.module_hash(*contract), next_sha, "contract {i}");
        assert_eq!(lab.query::<String>(*contract, "version", ()), NEW, "contract {i}");
        assert_eq!(lab.balance(*contract, holder()), Nat::from(1_000_000u64 + i as u64), "contract {i}");
    }
    for contract in &lab.contracts {
        assert_eq!(lab.status(*contract), "Running", "contract {contract}");
    }

    // The holder finally replies; the contract's call completes and it still works.
    while lab.now_nanos() < hold_until {
        lab.round();
    }
    let reply = lab.pic.await_call(open).expect("open completes once the holder replies");
    let (hops,): (u64,) = candid::decode_args(&reply).expect("open's reply");
    assert!(hops > 0, "the holder kept the call open over self-calls");
    println!("rollout settled {settled_after_s} s after its start (stop timeout {STOP_TIMEOUT_S} s); the call stayed open over {hops} self-calls");
    let transfer = TransferArg {
        from_subaccount: None,
        to: Account { owner: principal("someone"), subaccount: None },
        amount: Nat::from(1_000u64),
        fee: None,
        memo: None,
        created_at_time: None,
    };
    let (sent,): (Result<Nat, token_api::TransferError>,) =
        ic::update_candid_as(&lab.pic, holding, holder(), "icrc1_transfer", (transfer,)).expect("icrc1_transfer");
    sent.expect("the contract still takes a transfer");
    assert_eq!(lab.balance(holding, holder()), Nat::from(1_000_000u64 + HOLDING as u64 - 11_000));
    assert_eq!(lab.balance(holding, principal("someone")), Nat::from(1_000u64));
    for contract in &lab.contracts {
        assert_eq!(lab.status(*contract), "Running", "contract {contract}");
    }
}

/// `token_hold.did` is `token.did` plus `holdCallOpen`: it must follow the token's interface when that changes.
#[test]
fn token_hold_did_is_the_token_did_plus_hold_call_open() {
    let token = include_str!("../../canisters/contracts/token/api/token.did");
    let hold = include_str!("../fixtures/token_hold/token_hold.did");
    let service_end = token.trim_end().strip_suffix("};").expect("token.did ends its service with `};`");
    let extra = hold.strip_prefix(service_end).expect("token_hold.did starts with the whole of token.did's service");
    let methods: Vec<&str> = extra.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")).collect();
    assert_eq!(methods, ["holdCallOpen : (holder : principal, until_ns : nat64) -> (nat64);", "};"]);
}
