//! The token contract's wasm on the IC (the emulator by default, PocketIC with `--features pocket-ic`): ICRC-1
//! transfers and ICRC-2 approve / transfer_from between principals, dedup across calls, upgrades that keep every
//! balance and allowance (and refuse a wrong version), install refusals, malformed candid rejected without effect,
//! the factory notice retried then given up when no factory answers (also across an upgrade), and anonymous or
//! oversized ingress refused by `inspect_message`.

use candid::{decode_one, encode_one, CandidType, Nat, Principal};
use fleet_api::{ContractHealth, ContractInit, ContractUpgrade};
use fleet_tests::ic::{self, CanisterSettings, PocketIc, RejectCode};
use fleet_tests::wasm::canister_wasm;
use std::time::Duration;
use token_api::{
    Account, Allowance, AllowanceArgs, ApproveArgs, ApproveError, GetTransactionsRequest, GetTransactionsResponse,
    MetadataValue, StandardRecord, TokenArgs, TokenInit, TransferArg, TransferError, TransferFromArgs,
    TransferFromError,
};

/// The version compiled into the token wasm (the token crate's version).
const TOKEN_VERSION: &str = "1.1.0";
const FEE: u64 = 10_000;

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
/// A backend-like spender: it charges users through `icrc2_transfer_from`.
fn backend() -> Principal {
    principal("backend")
}
fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}
fn nat(n: u64) -> Nat {
    Nat::from(n)
}

fn token_args() -> TokenArgs {
    TokenArgs {
        name: "Fleet Test Token".into(),
        symbol: "FTT".into(),
        decimals: 8,
        transfer_fee: nat(FEE),
        initial_balances: vec![(account(alice()), nat(1_000_000_000))],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}

fn init_arg(version: &str, factory: Option<Principal>, args: TokenArgs) -> Vec<u8> {
    let init: TokenInit = ContractInit { factory, owner: owner(), version: version.into(), args };
    encode_one(init).expect("encode init arg")
}

fn upgrade_arg(version: &str) -> Vec<u8> {
    encode_one(Some(ContractUpgrade { version: version.into(), migration_arg: None })).expect("encode upgrade arg")
}

struct Token {
    pic: PocketIc,
    id: Principal,
}

impl Token {
    /// An empty canister controlled by the owner, with cycles for its timers.
    fn empty_canister() -> Self {
        let pic = ic::new_instance();
        let settings = CanisterSettings { controllers: Some(vec![owner()]), ..Default::default() };
        let id = pic.create_canister_with_settings(Some(owner()), Some(settings));
        pic.add_cycles(id, 10_000_000_000_000);
        Self { pic, id }
    }

    fn installed() -> Self {
        Self::installed_with(None, token_args())
    }

    fn installed_with(factory: Option<Principal>, args: TokenArgs) -> Self {
        let token = Self::empty_canister();
        token.pic.install_canister(
            token.id,
            canister_wasm("token"),
            init_arg(TOKEN_VERSION, factory, args),
            Some(owner()),
        );
        token
    }

    fn query<T: CandidType + for<'de> candid::Deserialize<'de>>(&self, method: &str, arg: impl CandidType) -> T {
        let (reply,): (T,) = ic::query_candid(&self.pic, self.id, method, (arg,)).expect(method);
        reply
    }

    fn query0<T: CandidType + for<'de> candid::Deserialize<'de>>(&self, method: &str) -> T {
        let (reply,): (T,) = ic::query_candid(&self.pic, self.id, method, ()).expect(method);
        reply
    }

    fn balance(&self, owner: Principal) -> Nat {
        self.query("icrc1_balance_of", account(owner))
    }

    fn total_supply(&self) -> Nat {
        self.query0("icrc1_total_supply")
    }

    fn log_length(&self) -> Nat {
        let page: GetTransactionsResponse =
            self.query("get_transactions", GetTransactionsRequest { start: nat(0), length: nat(0) });
        page.log_length
    }

    fn transfer(&self, from: Principal, arg: TransferArg) -> Result<Nat, TransferError> {
        let (reply,): (Result<Nat, TransferError>,) =
            ic::update_candid_as(&self.pic, self.id, from, "icrc1_transfer", (arg,)).expect("icrc1_transfer");
        reply
    }

    fn approve(&self, from: Principal, args: ApproveArgs) -> Result<Nat, ApproveError> {
        let (reply,): (Result<Nat, ApproveError>,) =
            ic::update_candid_as(&self.pic, self.id, from, "icrc2_approve", (args,)).expect("icrc2_approve");
        reply
    }

    fn transfer_from(&self, spender: Principal, args: TransferFromArgs) -> Result<Nat, TransferFromError> {
        let (reply,): (Result<Nat, TransferFromError>,) =
            ic::update_candid_as(&self.pic, self.id, spender, "icrc2_transfer_from", (args,))
                .expect("icrc2_transfer_from");
        reply
    }

    fn allowance(&self, owner: Principal, spender: Principal) -> Allowance {
        self.query("icrc2_allowance", AllowanceArgs { account: account(owner), spender: account(spender) })
    }

    /// Everything a user could observe, to show that something changed nothing.
    fn snapshot(&self) -> (Nat, Nat, Nat, Nat, Allowance) {
        (
            self.balance(alice()),
            self.balance(bob()),
            self.total_supply(),
            self.log_length(),
            self.allowance(alice(), backend()),
        )
    }
}

fn transfer_to(to: Principal, amount: u64) -> TransferArg {
    TransferArg {
        from_subaccount: None,
        to: account(to),
        fee: None,
        created_at_time: None,
        memo: None,
        amount: nat(amount),
    }
}

fn approve(spender: Principal, amount: u64) -> ApproveArgs {
    ApproveArgs {
        from_subaccount: None,
        spender: account(spender),
        amount: nat(amount),
        expected_allowance: None,
        expires_at: None,
        fee: None,
        memo: None,
        created_at_time: None,
    }
}

fn pull(from: Principal, to: Principal, amount: u64) -> TransferFromArgs {
    TransferFromArgs {
        spender_subaccount: None,
        from: account(from),
        to: account(to),
        amount: nat(amount),
        fee: None,
        memo: None,
        created_at_time: None,
    }
}

#[test]
fn install_answers_the_icrc1_and_runtime_queries() {
    let token = Token::installed();
    assert_eq!(token.query0::<String>("icrc1_name"), "Fleet Test Token");
    assert_eq!(token.query0::<String>("icrc1_symbol"), "FTT");
    assert_eq!(token.query0::<u8>("icrc1_decimals"), 8);
    assert_eq!(token.query0::<Nat>("icrc1_fee"), nat(FEE));
    assert_eq!(token.total_supply(), nat(1_000_000_000));
    assert_eq!(token.query0::<Option<Account>>("icrc1_minting_account"), Some(account(owner())));
    let metadata: Vec<(String, MetadataValue)> = token.query0("icrc1_metadata");
    assert!(metadata.contains(&("icrc1:symbol".to_string(), MetadataValue::Text("FTT".into()))), "{metadata:?}");
    let standards: Vec<StandardRecord> = token.query0("icrc10_supported_standards");
    let names: Vec<&str> = standards.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["ICRC-1", "ICRC-2", "ICRC-3", "ICRC-10"]);

    assert_eq!(token.query0::<String>("version"), TOKEN_VERSION);
    assert_eq!(token.query0::<Principal>("owner"), owner());
    assert_eq!(token.query0::<Option<Principal>>("factory"), None);
    let health: ContractHealth = token.query0("health");
    assert!(health.ok, "{health:?}");
    assert_eq!((health.version.as_str(), health.schema_version), (TOKEN_VERSION, 2));
}

#[test]
fn transfers_between_principals_charge_the_fee_and_are_logged() {
    let token = Token::installed();
    assert_eq!(token.transfer(alice(), transfer_to(bob(), 250_000)), Ok(nat(1)));
    assert_eq!(token.balance(alice()), nat(1_000_000_000 - 250_000 - FEE));
    assert_eq!(token.balance(bob()), nat(250_000));
    assert_eq!(token.total_supply(), nat(1_000_000_000 - FEE), "the fee is burned");

    assert_eq!(
        token.transfer(bob(), transfer_to(alice(), 250_000)),
        Err(TransferError::InsufficientFunds { balance: nat(250_000) })
    );

    let page: GetTransactionsResponse =
        token.query("get_transactions", GetTransactionsRequest { start: nat(0), length: nat(10) });
    let kinds: Vec<&str> = page.transactions.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, vec!["mint", "transfer"]);
    assert_eq!(page.transactions[1].transfer.as_ref().unwrap().to, account(bob()));
}

#[test]
fn a_spender_pulls_an_approved_payment_once() {
    let token = Token::installed();
    token.approve(alice(), approve(backend(), 100_000_000)).expect("approve");
    assert_eq!(token.allowance(alice(), backend()).allowance, nat(100_000_000));

    let now = token.pic.get_time().as_nanos_since_unix_epoch();
    let payment =
        TransferFromArgs { memo: Some(7u64.into()), created_at_time: Some(now), ..pull(alice(), bob(), 50_000_000) };
    let index = token.transfer_from(backend(), payment.clone()).expect("transfer_from");
    assert_eq!(token.balance(bob()), nat(50_000_000));
    assert_eq!(token.allowance(alice(), backend()).allowance, nat(100_000_000 - 50_000_000 - FEE));

    // The backend retries after a lost reply: the ledger answers with the first payment's index.
    assert_eq!(token.transfer_from(backend(), payment), Err(TransferFromError::Duplicate { duplicate_of: index }));
    assert_eq!(token.balance(bob()), nat(50_000_000), "charged once");

    assert_eq!(
        token.transfer_from(bob(), pull(alice(), bob(), 1)),
        Err(TransferFromError::InsufficientAllowance { allowance: nat(0) }),
        "bob was never approved"
    );
}

#[test]
fn an_upgrade_keeps_every_balance_allowance_and_transaction() {
    let token = Token::installed();
    token.transfer(alice(), transfer_to(bob(), 1_000)).unwrap();
    token.approve(alice(), approve(backend(), 5_000_000)).unwrap();
    let before = token.snapshot();

    token
        .pic
        .upgrade_canister(token.id, canister_wasm("token"), upgrade_arg(TOKEN_VERSION), Some(owner()))
        .expect("upgrade");
    assert_eq!(token.snapshot(), before);

    // An upgrade without any argument is accepted too.
    token.pic.upgrade_canister(token.id, canister_wasm("token"), vec![], Some(owner())).expect("upgrade without arg");
    assert_eq!(token.snapshot(), before);

    // The ledger still works on the upgraded code.
    token.transfer_from(backend(), pull(alice(), bob(), 1_000)).expect("transfer_from after upgrade");
    assert_eq!(token.balance(bob()), nat(2_000));
    let health: ContractHealth = token.query0("health");
    assert!(health.ok, "{health:?}");
}

#[test]
fn an_upgrade_naming_another_version_is_refused_and_the_old_code_keeps_running() {
    let token = Token::installed();
    token.transfer(alice(), transfer_to(bob(), 1_000)).unwrap();
    let before = token.snapshot();
    let err = token
        .pic
        .upgrade_canister(token.id, canister_wasm("token"), upgrade_arg("9.9.9"), Some(owner()))
        .expect_err("a version other than the wasm's must be refused");
    assert!(err.reject_message.contains("9.9.9"), "{}", err.reject_message);
    assert_eq!(token.snapshot(), before);
    token.transfer(alice(), transfer_to(bob(), 1)).expect("still running");

    let garbage = encode_one("not an upgrade argument").unwrap();
    token.pic.upgrade_canister(token.id, canister_wasm("token"), garbage, Some(owner())).expect_err("mistyped arg");
}

#[test]
fn install_refuses_a_version_mismatch_and_invalid_args() {
    let token = Token::empty_canister();
    let wrong_version = init_arg("2.0.0", None, token_args());
    let err = token
        .pic
        .reinstall_canister(token.id, canister_wasm("token"), wrong_version, Some(owner()))
        .expect_err("install of another version");
    assert!(err.reject_message.contains("2.0.0"), "{}", err.reject_message);

    let no_symbol = init_arg(TOKEN_VERSION, None, TokenArgs { symbol: String::new(), ..token_args() });
    let err = token
        .pic
        .reinstall_canister(token.id, canister_wasm("token"), no_symbol, Some(owner()))
        .expect_err("install with an empty symbol");
    assert!(err.reject_message.contains("symbol"), "{}", err.reject_message);

    ic::query_candid::<(), (String,)>(&token.pic, token.id, "version", ()).expect_err("nothing was installed");
}

#[test]
fn malformed_candid_is_rejected_and_changes_nothing() {
    let token = Token::installed();
    let before = token.snapshot();

    let not_candid = b"DIDL garbage".to_vec();
    let wrong_type = encode_one("transfer me").unwrap();
    #[derive(CandidType)]
    struct ShortSubaccount {
        owner: Principal,
        subaccount: Option<serde_bytes::ByteBuf>,
    }
    #[derive(CandidType)]
    struct RawTransferArg {
        to: ShortSubaccount,
        amount: Nat,
    }
    let short_subaccount = encode_one(RawTransferArg {
        to: ShortSubaccount { owner: bob(), subaccount: Some(serde_bytes::ByteBuf::from(vec![1u8; 31])) },
        amount: nat(1),
    })
    .unwrap();

    for (what, payload) in
        [("not candid", not_candid), ("wrong type", wrong_type), ("31-byte subaccount", short_subaccount)]
    {
        for method in ["icrc1_transfer", "icrc2_approve", "icrc2_transfer_from"] {
            let err = token
                .pic
                .update_call(token.id, alice(), method, payload.clone())
                .expect_err(&format!("{method} accepted {what}"));
            assert_eq!(err.reject_code, RejectCode::CanisterError, "{method} with {what}: {err}");
        }
    }
    assert_eq!(token.snapshot(), before);
}

#[test]
fn a_contract_whose_factory_never_answers_retries_then_reports_it() {
    // A principal with no canister behind it: every notice is rejected.
    let missing_factory = Principal::from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x99, 1, 1]);
    let token = Token::installed_with(Some(missing_factory), token_args());
    assert_eq!(token.query0::<Option<Principal>>("factory"), Some(missing_factory));

    // Backoff: 2 + 4 + ... + 128 s between the 8 attempts.
    for _ in 0..12 {
        token.pic.advance_time(Duration::from_secs(60));
        for _ in 0..5 {
            token.pic.tick();
        }
    }
    let health: ContractHealth = token.query0("health");
    assert!(health.ok, "a missing factory does not make the ledger unhealthy: {health:?}");
    assert!(health.message.contains("factory was never notified"), "{}", health.message);
    // The ledger itself works regardless.
    token.transfer(alice(), transfer_to(bob(), 1)).expect("transfer");
}

#[test]
fn an_upgrade_between_notice_retries_keeps_retrying() {
    // The factory is unreachable: the first attempt fails right after install, the next one is on a timer.
    let missing_factory = Principal::from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x98, 1, 1]);
    let token = Token::installed_with(Some(missing_factory), token_args());
    for _ in 0..5 {
        token.pic.tick();
    }
    // The upgrade drops every timer; only the notice state in stable memory says a retry is due.
    token
        .pic
        .upgrade_canister(token.id, canister_wasm("token"), upgrade_arg(TOKEN_VERSION), Some(owner()))
        .expect("upgrade");
    for _ in 0..12 {
        token.pic.advance_time(Duration::from_secs(60));
        for _ in 0..5 {
            token.pic.tick();
        }
    }
    let health: ContractHealth = token.query0("health");
    assert!(
        health.message.contains("factory was never notified"),
        "the retries went on after the upgrade until the last one: {}",
        health.message
    );
}

/// Sends `arg` as an ingress update and expects the token's `inspect_message` to refuse it, saying `why`.
fn assert_refused_at_ingress(token: &Token, sender: Principal, method: &str, arg: Vec<u8>, why: &str) {
    match token.pic.update_call(token.id, sender, method, arg) {
        Ok(reply) => panic!("{method} from {sender} was executed ({} reply bytes)", reply.len()),
        Err(reject) => assert!(reject.reject_message.contains(why), "{method}: {}", reject.reject_message),
    }
}

#[test]
fn anonymous_and_oversized_ingress_is_refused_before_it_runs() {
    let token = Token::installed();
    token.approve(alice(), approve(backend(), 1_000_000)).expect("approve");
    let before = token.snapshot();
    let anonymous = Principal::anonymous();
    let transfer = encode_one(transfer_to(bob(), 1)).unwrap();
    assert_refused_at_ingress(&token, anonymous, "icrc1_transfer", transfer, "anonymous");
    assert_refused_at_ingress(&token, anonymous, "icrc2_approve", encode_one(approve(bob(), 1)).unwrap(), "anonymous");
    let pull_arg = encode_one(pull(alice(), bob(), 1)).unwrap();
    assert_refused_at_ingress(&token, anonymous, "icrc2_transfer_from", pull_arg, "anonymous");
    let oversized = TransferArg {
        memo: Some(icrc_ledger_types::icrc1::transfer::Memo::from(vec![0u8; fleet_api::ingress::SMALL_ARG])),
        ..transfer_to(bob(), 1)
    };
    assert_refused_at_ingress(&token, alice(), "icrc1_transfer", encode_one(oversized).unwrap(), "at most");
    assert_eq!(token.snapshot(), before, "a refused message changed something");
    // A signed caller with a normal argument still gets through.
    token.transfer(alice(), transfer_to(bob(), 1)).expect("transfer");
}

#[test]
fn the_upgrade_argument_decodes_as_the_runtime_expects() {
    // Guard for the test itself: `upgrade_arg` is candid `(opt ContractUpgrade)`.
    let decoded: Option<ContractUpgrade> = decode_one(&upgrade_arg("1.0.0")).unwrap();
    assert_eq!(decoded.unwrap().version, "1.0.0");
}
