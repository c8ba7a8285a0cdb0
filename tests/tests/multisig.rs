//! The multisig wallet's wasm with the token contract's wasm as its ICRC ledger: a 2-of-3 wallet pays out exactly
//! once however often execute is retried (also concurrently, and after an upgrade cut its transfer's reply off),
//! every update endpoint refuses callers who are not signers, bad input is a typed error that changes nothing, a
//! canister-call proposal runs, and an upgrade keeps every proposal, vote, signer and balance.
//! `multisig_instruction_counts` prints the benchmark (emulator only: it reads `instructions_used`).

use candid::{encode_one, CandidType, Nat, Principal};
use fleet_api::{ContractHealth, ContractInit, ContractUpgrade, FleetError, Page, PageRequest};
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use fleet_tests::wasm::canister_wasm;
use multisig_api::{
    BalanceRequest, CanisterCallAction, ExecutionOutcome, KnownBalance, MultisigArgs, MultisigInit, Proposal,
    ProposalAction, ProposalDetail, ProposalState, ProposalsRequest, ProposeArgs, SignerSet, TransferAction,
};
use std::time::Duration;
use token_api::{Account, GetTransactionsRequest, GetTransactionsResponse, TokenArgs, TokenInit, TransferArg};

const VERSION: &str = "1.0.0";
const FEE: u64 = 10_000;
const FUNDS: u64 = 50_000_000;

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
fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}

type ProposalResult = Result<Proposal, FleetError>;

struct Wallet {
    pic: PocketIc,
    id: Principal,
    ledger: Principal,
}

fn wallet_init(signers: Vec<Principal>, threshold: u32) -> Vec<u8> {
    let args = MultisigArgs { name: "Treasury".into(), signers, threshold, default_expiry_seconds: None };
    let init: MultisigInit = ContractInit { factory: None, owner: owner(), version: VERSION.into(), args };
    encode_one(init).unwrap()
}

impl Wallet {
    /// A 2-of-3 wallet of Alice, Bob and Carol holding `FUNDS` on a token ledger.
    fn two_of_three() -> Self {
        Self::on(ic::new_instance())
    }

    fn on(pic: PocketIc) -> Self {
        let settings = || CanisterSettings { controllers: Some(vec![owner()]), ..Default::default() };
        let id = pic.create_canister_with_settings(Some(owner()), Some(settings()));
        pic.add_cycles(id, 10_000_000_000_000);
        let ledger = pic.create_canister_with_settings(Some(owner()), Some(settings()));
        pic.add_cycles(ledger, 10_000_000_000_000);
        let token = TokenArgs {
            name: "Ledger".into(),
            symbol: "LDG".into(),
            decimals: 8,
            transfer_fee: Nat::from(FEE),
            initial_balances: vec![(account(id), Nat::from(FUNDS))],
            minting_account: None,
            logo: None,
            max_memo_length: None,
        };
        let token_wasm = canister_wasm("token");
        let version = fleet_tests::fleet::token_version(&token_wasm).expect("the token wasm names its version");
        let token_init: TokenInit = ContractInit { factory: None, owner: owner(), version, args: token };
        pic.install_canister(ledger, token_wasm, encode_one(token_init).unwrap(), Some(owner()));
        pic.install_canister(
            id,
            canister_wasm("multisig"),
            wallet_init(vec![alice(), bob(), carol()], 2),
            Some(owner()),
        );
        for _ in 0..3 {
            pic.tick();
        }
        Self { pic, id, ledger }
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

    fn propose(&self, caller: Principal, action: ProposalAction) -> ProposalResult {
        self.update(caller, "propose", ProposeArgs { action, summary: Some("test".into()), expires_at: None })
    }

    fn proposal(&self, id: u64) -> ProposalDetail {
        let detail: Result<ProposalDetail, FleetError> = self.query("getProposal", id);
        detail.expect("the proposal exists")
    }

    fn all_proposals(&self) -> Page<Proposal> {
        self.query("getProposals", ProposalsRequest { state: None, page: PageRequest::new(0, 100) })
    }

    fn balance(&self, owner: Principal) -> Nat {
        let (reply,): (Nat,) =
            ic::query_candid(&self.pic, self.ledger, "icrc1_balance_of", (account(owner),)).expect("balance");
        reply
    }

    fn ledger_log_length(&self) -> Nat {
        let request = GetTransactionsRequest { start: Nat::from(0u8), length: Nat::from(0u8) };
        let (page,): (GetTransactionsResponse,) =
            ic::query_candid(&self.pic, self.ledger, "get_transactions", (request,)).expect("log");
        page.log_length
    }

    /// What signers and the ledger can observe, to show that a refused call changed nothing.
    fn observable(&self) -> String {
        let details: Vec<ProposalDetail> = self.all_proposals().items.iter().map(|p| self.proposal(p.id)).collect();
        let signers: SignerSet = self.query("getSigners", ());
        let balances: Page<KnownBalance> = self.query("getBalances", PageRequest::new(0, 100));
        format!("{details:?}\n{signers:?}\n{balances:?}\n{}\n{}", self.balance(self.id), self.ledger_log_length())
    }
}

fn pay(wallet: &Wallet, to: Principal, amount: u64) -> ProposalAction {
    ProposalAction::Transfer(TransferAction {
        ledger: wallet.ledger,
        from_subaccount: None,
        to: account(to),
        amount: Nat::from(amount),
        fee: None,
    })
}

#[test]
fn install_answers_signers_health_and_version() {
    let wallet = Wallet::two_of_three();
    let signers: SignerSet = wallet.query("getSigners", ());
    assert_eq!((signers.signers, signers.threshold), (vec![alice(), bob(), carol()], 2));
    let health: ContractHealth = wallet.query("health", ());
    assert!(health.ok, "{health:?}");
    assert!(health.message.contains("2 of 3 signers"), "{}", health.message);
    assert!(!health.message.contains("reports pending"), "no factory: nothing left to report: {}", health.message);
    assert_eq!(wallet.query::<String>("version", ()), VERSION);
    assert_eq!(wallet.query::<Principal>("owner", ()), owner());
}

#[test]
fn install_refuses_bad_signer_sets() {
    let pic = ic::new_instance();
    let id = pic.create_canister_with_settings(Some(owner()), None);
    pic.add_cycles(id, 1_000_000_000_000);
    for (signers, threshold) in [
        (vec![alice(), alice()], 1),
        (vec![alice(), Principal::anonymous()], 1),
        (vec![alice(), bob()], 0),
        (vec![alice(), bob()], 3),
        (vec![], 0),
    ] {
        let init = wallet_init(signers.clone(), threshold);
        let refused = pic.reinstall_canister(id, canister_wasm("multisig"), init, Some(owner()));
        let reject = refused.expect_err("install must be refused");
        assert!(reject.reject_message.contains("multisig install refused"), "{signers:?}: {reject:?}");
    }
}

#[test]
fn two_of_three_pays_out_exactly_once_under_retried_execute() {
    let wallet = Wallet::two_of_three();
    let id = wallet.propose(alice(), pay(&wallet, dave(), 1_000_000)).unwrap().id;
    assert_eq!(wallet.balance(dave()), 0u8, "one approval of two");

    // Bob's approval and two executes arrive together.
    let submit =
        |caller, method: &str| wallet.pic.submit_call(wallet.id, caller, method, encode_one(id).unwrap()).unwrap();
    let messages = [submit(bob(), "approve"), submit(carol(), "execute"), submit(alice(), "execute")];
    let replies: Vec<ProposalResult> = messages
        .into_iter()
        .map(|m| candid::decode_one(&wallet.pic.await_call(m).expect("a reply")).unwrap())
        .collect();
    let executed = replies.iter().filter(|r| matches!(r, Ok(p) if p.state == ProposalState::Executed)).count();
    assert_eq!(executed, 1, "{replies:?}");
    for refused in replies.iter().filter(|r| r.is_err()) {
        assert!(matches!(refused, Err(FleetError::InvalidState(_) | FleetError::AlreadyInProgress)), "{refused:?}");
    }
    let before = wallet.observable();
    for signer in [alice(), bob(), carol()] {
        let again: ProposalResult = wallet.update(signer, "execute", id);
        assert!(matches!(again, Err(FleetError::InvalidState(_))), "{again:?}");
    }
    assert_eq!(wallet.observable(), before, "a refused execute changes nothing");

    assert_eq!(wallet.balance(dave()), 1_000_000u64);
    assert_eq!(wallet.balance(wallet.id), FUNDS - 1_000_000 - FEE);
    assert_eq!(wallet.ledger_log_length(), 2u8, "the mint and one transfer");
    let detail = wallet.proposal(id);
    assert_eq!(detail.votes.iter().map(|v| v.signer).collect::<Vec<_>>(), vec![alice(), bob()]);
    let execution = detail.proposal.execution.unwrap();
    assert_eq!(execution.outcome, Some(ExecutionOutcome::Transferred { block_index: Nat::from(1u8) }));
    assert_eq!(execution.memo.unwrap().into_vec(), multisig_api::proposal_memo(id));
    assert!(execution.created_at_time.is_some());
}

#[cfg(not(feature = "pocket-ic"))]
#[test]
fn a_wallet_upgraded_while_its_transfer_is_open_pays_once_when_retried() {
    use emulator::state::SubnetConfig;
    let pic = ic::PocketIcBuilder::new()
        .with_subnet_config(SubnetConfig { max_executions_per_round: 1, ..SubnetConfig::default() })
        .build();
    let wallet = Wallet::on(pic);
    let id = wallet.propose(alice(), pay(&wallet, dave(), 1_000_000)).unwrap().id;
    let message = wallet.pic.submit_call(wallet.id, bob(), "approve", encode_one(id).unwrap()).unwrap();
    let mut rounds = 0;
    while wallet.proposal(id).proposal.state != ProposalState::Executing {
        wallet.pic.tick();
        rounds += 1;
        assert!(rounds < 50, "the approval never executed");
    }
    // Recorded and sent: the ledger's reply will reach code that has no future waiting for it.
    wallet
        .pic
        .upgrade_canister(
            wallet.id,
            canister_wasm("multisig"),
            encode_one(None::<ContractUpgrade>).unwrap(),
            Some(owner()),
        )
        .expect("upgrade the running wallet");
    let answer = wallet.pic.await_call(message);
    let delivered = answer.as_ref().ok().and_then(|bytes| candid::decode_one::<ProposalResult>(bytes).ok());
    assert!(!matches!(delivered, Some(Ok(_))), "the upgrade came too late to interrupt anything: {answer:?}");
    assert_eq!(wallet.proposal(id).proposal.state, ProposalState::Executing);

    wallet.pic.advance_time(Duration::from_secs(60));
    let retried: ProposalResult = wallet.update(carol(), "execute", id);
    let retried = retried.unwrap();
    assert_eq!(retried.state, ProposalState::Executed, "{retried:?}");
    let execution = retried.execution.unwrap();
    assert_eq!(
        execution.outcome,
        Some(ExecutionOutcome::Transferred { block_index: Nat::from(1u8) }),
        "the first block"
    );
    assert_eq!(execution.attempts, 2);
    assert_eq!(wallet.balance(dave()), 1_000_000u64, "paid once");
    assert_eq!(wallet.ledger_log_length(), 2u8, "the re-send was deduplicated, not a second transfer");
}

#[test]
fn every_update_refuses_callers_who_are_not_signers() {
    let wallet = Wallet::two_of_three();
    let id = wallet.propose(alice(), pay(&wallet, dave(), 1_000)).unwrap().id;
    let before = wallet.observable();
    for stranger in [dave(), owner(), wallet.ledger] {
        let refused = [
            wallet.propose(stranger, pay(&wallet, stranger, 1)),
            wallet.update(stranger, "approve", id),
            wallet.update(stranger, "reject", id),
            wallet.update(stranger, "execute", id),
        ];
        for result in refused {
            assert!(matches!(result, Err(FleetError::Unauthorized(_))), "{result:?}");
        }
        let refresh: Result<KnownBalance, FleetError> =
            wallet.update(stranger, "refreshBalance", BalanceRequest { ledger: wallet.ledger, subaccount: None });
        assert!(matches!(refresh, Err(FleetError::Unauthorized(_))), "{refresh:?}");
    }
    // The anonymous principal is turned away by inspect_message before any endpoint runs.
    for method in ["propose", "approve", "reject", "execute", "refreshBalance"] {
        let arg = match method {
            "propose" => encode_one(ProposeArgs { action: pay(&wallet, dave(), 1), summary: None, expires_at: None }),
            "refreshBalance" => encode_one(BalanceRequest { ledger: wallet.ledger, subaccount: None }),
            _ => encode_one(id),
        };
        let reject = wallet.pic.update_call(wallet.id, Principal::anonymous(), method, arg.unwrap()).unwrap_err();
        assert!(reject.reject_message.contains("ingress refused"), "{method}: {reject:?}");
    }
    let oversized = wallet.pic.update_call(wallet.id, alice(), "approve", vec![0u8; 32 * 1024]).unwrap_err();
    assert!(oversized.reject_message.contains("ingress refused"), "{oversized:?}");
    assert_eq!(wallet.observable(), before, "nothing changed");
    assert_eq!(wallet.balance(dave()), 0u8);
}

#[test]
fn bad_input_is_a_typed_error_and_changes_nothing() {
    let wallet = Wallet::two_of_three();
    let id = wallet.propose(alice(), pay(&wallet, dave(), 1_000)).unwrap().id;
    let now = wallet.pic.get_time().as_nanos_since_unix_epoch();
    let short = ProposeArgs { action: pay(&wallet, dave(), 5), summary: None, expires_at: Some(now + 60_000_000_000) };
    let expiring = wallet.update::<ProposalResult>(bob(), "propose", short).unwrap().id;
    let before = wallet.observable();
    assert!(matches!(wallet.propose(alice(), pay(&wallet, dave(), 0)), Err(FleetError::InvalidInput(_))));
    let threshold = wallet.propose(alice(), ProposalAction::ChangeThreshold { threshold: 4 });
    assert!(matches!(threshold, Err(FleetError::InvalidInput(_))), "{threshold:?}");
    let duplicate = wallet.propose(alice(), ProposalAction::AddSigner { signer: bob() });
    assert!(matches!(duplicate, Err(FleetError::AlreadyExists(_))), "{duplicate:?}");
    let double: ProposalResult = wallet.update(alice(), "approve", id);
    assert!(matches!(double, Err(FleetError::AlreadyExists(_))), "{double:?}");
    let unknown: ProposalResult = wallet.update(bob(), "approve", 77u64);
    assert!(matches!(unknown, Err(FleetError::NotFound(_))), "{unknown:?}");
    let early: ProposalResult = wallet.update(alice(), "execute", id);
    assert!(matches!(early, Err(FleetError::InvalidState(_))), "{early:?}");
    assert_eq!(wallet.observable(), before);

    wallet.pic.advance_time(Duration::from_secs(120));
    wallet.pic.tick();
    let late: ProposalResult = wallet.update(alice(), "approve", expiring);
    assert!(matches!(&late, Err(FleetError::InvalidState(t)) if t.contains("expired")), "{late:?}");
    assert_eq!(wallet.proposal(expiring).proposal.state, ProposalState::Expired);
    assert_eq!(wallet.balance(dave()), 0u8);
}

#[test]
fn a_canister_call_proposal_runs_once_and_records_the_reply() {
    let wallet = Wallet::two_of_three();
    let arg = TransferArg {
        from_subaccount: None,
        to: account(dave()),
        amount: Nat::from(7u8),
        fee: None,
        memo: None,
        created_at_time: None,
    };
    let call = ProposalAction::CanisterCall(CanisterCallAction {
        canister: wallet.ledger,
        method: "icrc1_transfer".into(),
        arg: encode_one(arg).unwrap(),
        cycles: Nat::from(0u8),
    });
    let id = wallet.propose(alice(), call).unwrap().id;
    let executed: ProposalResult = wallet.update(carol(), "approve", id);
    let Some(ExecutionOutcome::Called { reply, truncated: false }) = executed.unwrap().execution.unwrap().outcome
    else {
        panic!("a recorded reply")
    };
    let decoded: Result<Nat, token_api::TransferError> = candid::decode_one(&reply).unwrap();
    assert_eq!(decoded, Ok(Nat::from(1u8)));
    assert_eq!(wallet.balance(dave()), 7u8);
    let again: ProposalResult = wallet.update(carol(), "execute", id);
    assert!(matches!(again, Err(FleetError::InvalidState(_))));
    assert_eq!(wallet.balance(dave()), 7u8);
}

#[test]
fn an_upgrade_keeps_proposals_votes_signers_and_balances() {
    let wallet = Wallet::two_of_three();
    let paid = wallet.propose(alice(), pay(&wallet, dave(), 1_000)).unwrap().id;
    let _: ProposalResult = wallet.update(bob(), "approve", paid);
    let added = wallet.propose(alice(), ProposalAction::AddSigner { signer: dave() }).unwrap().id;
    let _: ProposalResult = wallet.update(carol(), "approve", added);
    let open = wallet.propose(bob(), pay(&wallet, carol(), 5)).unwrap().id;
    let _: ProposalResult = wallet.update(alice(), "reject", open);
    let refreshed: Result<KnownBalance, FleetError> =
        wallet.update(alice(), "refreshBalance", BalanceRequest { ledger: wallet.ledger, subaccount: None });
    assert_eq!(refreshed.unwrap().balance, FUNDS - 1_000 - FEE);
    let before = wallet.observable();

    let wrong = encode_one(Some(ContractUpgrade { version: "9.9.9".into(), migration_arg: None })).unwrap();
    assert!(wallet.pic.upgrade_canister(wallet.id, canister_wasm("multisig"), wrong, Some(owner())).is_err());
    let upgrade = encode_one(Some(ContractUpgrade { version: VERSION.into(), migration_arg: None })).unwrap();
    wallet.pic.upgrade_canister(wallet.id, canister_wasm("multisig"), upgrade, Some(owner())).expect("upgrade");
    assert_eq!(wallet.observable(), before, "everything kept");

    let signers: SignerSet = wallet.query("getSigners", ());
    assert_eq!(signers.signers, vec![alice(), bob(), carol(), dave()]);
    let next = wallet.propose(dave(), pay(&wallet, dave(), 5)).unwrap();
    assert_eq!((next.id, next.signers.len()), (3, 4));
    let executed: ProposalResult = wallet.update(carol(), "approve", open);
    assert_eq!(executed.unwrap().state, ProposalState::Executed, "an open proposal still executes after the upgrade");
    assert_eq!(wallet.balance(carol()), 5u8);
}

#[cfg(not(feature = "pocket-ic"))]
#[test]
fn multisig_instruction_counts() {
    use emulator::state::SubnetConfig;
    let pic = ic::PocketIcBuilder::new()
        .with_subnet_config(SubnetConfig { max_executions_per_round: 1, ..SubnetConfig::default() })
        .build();
    let wallet = Wallet::on(pic);
    let used = || wallet.pic.instructions_used(wallet.id);
    let mut rows: Vec<(&str, u64)> = vec![];
    let id = wallet.propose(alice(), pay(&wallet, dave(), 1_000)).unwrap().id;
    rows.push(("propose (transfer, 3 signers)", used()));
    let _: ProposalResult = wallet.update(bob(), "reject", id);
    rows.push(("vote that does not execute (reject)", used()));

    // The approval that executes: the message up to the ledger call, then the reply's callback.
    let id = wallet.propose(alice(), pay(&wallet, dave(), 1_000)).unwrap().id;
    let message = wallet.pic.submit_call(wallet.id, bob(), "approve", encode_one(id).unwrap()).unwrap();
    let mut parts = vec![];
    let mut last = used();
    for _ in 0..20 {
        wallet.pic.tick();
        if used() != last {
            last = used();
            parts.push(last);
        }
        if wallet.pic.ingress_status(message.clone()).is_some() {
            break;
        }
    }
    let reply: ProposalResult = candid::decode_one(&wallet.pic.await_call(message).unwrap()).unwrap();
    assert_eq!(reply.unwrap().state, ProposalState::Executed);
    assert_eq!(parts.len(), 2, "two executions on the wallet: {parts:?}");
    rows.push(("approve that executes: vote + record + send", parts[0]));
    rows.push(("approve that executes: ledger reply recorded", parts[1]));
    let _: ProposalResult = wallet.update(carol(), "execute", id);
    rows.push(("execute refused (already executed)", used()));
    let _: Page<Proposal> =
        wallet.query("getProposals", ProposalsRequest { state: None, page: PageRequest::new(0, 50) });

    let add = wallet.propose(alice(), ProposalAction::AddSigner { signer: dave() }).unwrap().id;
    let _: ProposalResult = wallet.update(bob(), "approve", add);
    rows.push(("approve that executes AddSigner (no call)", used()));

    println!("| multisig operation | instructions |");
    println!("|---|---|");
    for (label, instructions) in &rows {
        println!("| {label} | {instructions} |");
        assert!(*instructions > 0 && *instructions < 20_000_000, "{label}: {instructions}");
    }
}
