//! Token 1.1.0's ICRC-3 block log on the emulator, from a real 1.0.0 ledger: the released 1.0.0 bytes
//! (`wasm-registry/token/1.0.0/token.wasm.gz`) run a few thousand transactions of every kind, then are upgraded to the
//! current build. The schema 1 → 2 migration builds the block log over several timer messages (each far under the
//! instruction limit) while the ledger keeps accepting transfers and reports itself as migrating; balances,
//! allowances and history stay as they were, and the blocks are the standard's, hash-chained, ending at the tip.
//! Prints the benchmark table of the token README.
//!
//! Emulator only: instruction counts and canister logs are the emulator's.
#![cfg(not(feature = "pocket-ic"))]

use candid::{decode_one, encode_one, CandidType, Encode, Nat, Principal};
use fleet_api::{ContractHealth, ContractInit, ContractUpgrade};
use fleet_tests::ic::{self, CanisterSettings, PocketIc};
use fleet_tests::wasm::canister_wasm;
use icrc_ledger_types::icrc::generic_value::ICRC3Value;
use std::collections::BTreeMap;
use token_api::{
    Account, Allowance, AllowanceArgs, ApproveArgs, GetBlocksRequest, GetBlocksResult, GetTransactionsRequest,
    GetTransactionsResponse, ICRC3DataCertificate, StandardRecord, SupportedBlockType, TokenArgs, TokenInit,
    Transaction, TransferArg, TransferError, TransferFromArgs,
};

const FEE: u64 = 10_000;
/// Transactions the 1.0.0 ledger runs before the upgrade (besides the initial mints).
const TRANSACTIONS: u64 = 3_000;
const USERS: u64 = 40;
/// What one message may use (the IC's limit for updates and timers).
const INSTRUCTION_LIMIT: u64 = 40_000_000_000;

fn principal(name: &str) -> Principal {
    Principal::self_authenticating(name.as_bytes())
}
fn owner() -> Principal {
    principal("owner")
}
fn alice() -> Principal {
    principal("alice")
}
fn spender() -> Principal {
    principal("backend")
}
fn user(i: u64) -> Principal {
    principal(&format!("user-{i}"))
}
fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}
fn nat(n: u64) -> Nat {
    Nat::from(n)
}

fn released_1_0_0() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm-registry/token/1.0.0/token.wasm.gz");
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn transfer(to: Account, amount: u64) -> TransferArg {
    TransferArg { from_subaccount: None, to, fee: None, created_at_time: None, memo: None, amount: nat(amount) }
}

struct Ledger {
    pic: PocketIc,
    id: Principal,
}

impl Ledger {
    /// Token 1.0.0 as released, with alice and every user funded by initial mints.
    fn released() -> Self {
        let pic = ic::new_instance();
        let settings = CanisterSettings { controllers: Some(vec![owner()]), ..Default::default() };
        let id = pic.create_canister_with_settings(Some(owner()), Some(settings));
        pic.add_cycles(id, 100_000_000_000_000);
        let mut initial_balances = vec![(account(alice()), nat(1_000_000_000_000))];
        initial_balances.extend((0..USERS).map(|i| (account(user(i)), nat(1_000_000_000))));
        let args = TokenArgs {
            name: "Migrated Token".into(),
            symbol: "MIG".into(),
            decimals: 8,
            transfer_fee: nat(FEE),
            initial_balances,
            minting_account: None,
            logo: None,
            max_memo_length: None,
        };
        let init: TokenInit = ContractInit { factory: None, owner: owner(), version: "1.0.0".into(), args };
        pic.install_canister(id, released_1_0_0(), encode_one(init).unwrap(), Some(owner()));
        Self { pic, id }
    }

    fn query<T: CandidType + for<'de> candid::Deserialize<'de>>(&self, method: &str, arg: impl CandidType) -> T {
        let (reply,): (T,) = ic::query_candid(&self.pic, self.id, method, (arg,)).expect(method);
        reply
    }

    fn query0<T: CandidType + for<'de> candid::Deserialize<'de>>(&self, method: &str) -> T {
        let (reply,): (T,) = ic::query_candid(&self.pic, self.id, method, ()).expect(method);
        reply
    }

    fn update<A: CandidType, T: CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        caller: Principal,
        method: &str,
        arg: A,
    ) -> T {
        let (reply,): (T,) = ic::update_candid_as(&self.pic, self.id, caller, method, (arg,)).expect(method);
        reply
    }

    fn transfer(&self, from: Principal, arg: TransferArg) -> Nat {
        let reply: Result<Nat, TransferError> = self.update(from, "icrc1_transfer", arg);
        reply.expect("icrc1_transfer")
    }

    /// Instructions of one plain `icrc1_transfer` (the median of 21).
    fn transfer_instructions(&self) -> u64 {
        let mut counts: Vec<u64> = (0..21)
            .map(|i| {
                self.transfer(alice(), transfer(account(user(i % USERS)), 1_000));
                self.pic.instructions_used(self.id)
            })
            .collect();
        counts.sort_unstable();
        counts[counts.len() / 2]
    }

    fn health(&self) -> ContractHealth {
        self.query0("health")
    }

    fn transactions(&self) -> Vec<Transaction> {
        let mut all = vec![];
        loop {
            let page: GetTransactionsResponse = self
                .query("get_transactions", GetTransactionsRequest { start: nat(all.len() as u64), length: nat(1_000) });
            if page.transactions.is_empty() {
                return all;
            }
            all.extend(page.transactions);
        }
    }

    fn blocks(&self) -> (u64, Vec<ICRC3Value>) {
        let mut all = vec![];
        loop {
            let result: GetBlocksResult = self
                .query("icrc3_get_blocks", vec![GetBlocksRequest { start: nat(all.len() as u64), length: nat(1_000) }]);
            if result.blocks.is_empty() {
                return (u64::try_from(result.log_length.0).unwrap(), all);
            }
            for block in result.blocks {
                assert_eq!(block.id, nat(all.len() as u64));
                all.push(block.block);
            }
        }
    }

    /// Balances of every account that ever held tokens, the allowance, the supply.
    fn books(&self) -> (BTreeMap<String, Nat>, Allowance, Nat) {
        let mut balances = BTreeMap::new();
        for who in [alice(), spender(), owner()].into_iter().chain((0..USERS).map(user)) {
            balances.insert(who.to_text(), self.query::<Nat>("icrc1_balance_of", account(who)));
        }
        let allowance =
            self.query("icrc2_allowance", AllowanceArgs { account: account(alice()), spender: account(spender()) });
        (balances, allowance, self.query0("icrc1_total_supply"))
    }

    /// The canister's log lines of the block log catch-up: (blocks, instructions) per batch.
    fn catch_up_batches(&self) -> Vec<(u64, u64)> {
        let logs = self.pic.fetch_canister_logs(self.id, owner()).expect("controller reads logs");
        logs.iter()
            .filter_map(|record| {
                let line = String::from_utf8_lossy(&record.content).to_string();
                let rest = line.strip_prefix("token block log catch-up: ")?;
                let words: Vec<&str> = rest.split_whitespace().collect();
                Some((words[0].parse().ok()?, words[4].parse().ok()?))
            })
            .collect()
    }
}

/// A few thousand transactions of every kind 1.0.0 logs: transfers (with and without fee, memo, created_at_time),
/// approves, transfer_from, burns and mints.
fn run_traffic(ledger: &Ledger) {
    let now = ledger.pic.get_time().as_nanos_since_unix_epoch();
    for i in 0..TRANSACTIONS {
        let to = account(user(i % USERS));
        match i % 10 {
            0 => {
                let args = ApproveArgs {
                    from_subaccount: None,
                    spender: account(spender()),
                    amount: nat(1_000_000_000),
                    expected_allowance: None,
                    expires_at: None,
                    fee: (i % 20 == 0).then(|| nat(FEE)),
                    memo: None,
                    created_at_time: Some(now + i),
                };
                let reply: Result<Nat, token_api::ApproveError> = ledger.update(alice(), "icrc2_approve", args);
                reply.expect("approve");
            }
            1 | 2 => {
                let args = TransferFromArgs {
                    spender_subaccount: None,
                    from: account(alice()),
                    to,
                    amount: nat(10_000 + i),
                    fee: None,
                    memo: Some(i.into()),
                    created_at_time: None,
                };
                let reply: Result<Nat, token_api::TransferFromError> =
                    ledger.update(spender(), "icrc2_transfer_from", args);
                reply.expect("transfer_from");
            }
            3 => {
                ledger.transfer(user(i % USERS), transfer(account(owner()), FEE));
            }
            4 => {
                ledger.transfer(owner(), transfer(to, 5_000));
            }
            5 => {
                let arg = TransferArg {
                    fee: Some(nat(FEE)),
                    memo: Some(vec![7; 32].into()),
                    created_at_time: Some(now + i),
                    ..transfer(to, 1 + i)
                };
                ledger.transfer(alice(), arg);
            }
            _ => {
                ledger.transfer(alice(), transfer(to, 1 + i));
            }
        }
    }
}

/// What a block's `btype` must be for a transaction `get_transactions` shows.
fn btype_of(tx: &Transaction) -> &'static str {
    match tx.kind.as_str() {
        "mint" => "1mint",
        "burn" => "1burn",
        "approve" => "2approve",
        "transfer" if tx.transfer.as_ref().is_some_and(|t| t.spender.is_some()) => "2xfer",
        "transfer" => "1xfer",
        other => panic!("unknown transaction kind {other}"),
    }
}

fn field<'a>(block: &'a ICRC3Value, name: &str) -> Option<&'a ICRC3Value> {
    match block {
        ICRC3Value::Map(fields) => fields.get(name),
        _ => panic!("a block is a Map"),
    }
}

fn amount_of(tx: &Transaction) -> Nat {
    match tx.kind.as_str() {
        "mint" => tx.mint.as_ref().unwrap().amount.clone(),
        "burn" => tx.burn.as_ref().unwrap().amount.clone(),
        "approve" => tx.approve.as_ref().unwrap().amount.clone(),
        _ => tx.transfer.as_ref().unwrap().amount.clone(),
    }
}

/// Each block is its transaction's, and links to the hash of the one before.
fn check_chain(blocks: &[ICRC3Value], transactions: &[Transaction]) -> [u8; 32] {
    assert_eq!(blocks.len(), transactions.len(), "one block per transaction");
    let mut parent: Option<[u8; 32]> = None;
    for (i, (block, tx)) in blocks.iter().zip(transactions).enumerate() {
        let phash = field(block, "phash").map(|p| match p {
            ICRC3Value::Blob(b) => <[u8; 32]>::try_from(b.as_slice()).expect("a 32-byte phash"),
            other => panic!("phash of block {i} is {other:?}"),
        });
        assert_eq!(phash, parent, "phash of block {i}");
        assert_eq!(field(block, "btype"), Some(&ICRC3Value::Text(btype_of(tx).into())), "btype of block {i}");
        assert_eq!(field(block, "ts"), Some(&ICRC3Value::Nat(Nat::from(tx.timestamp))), "ts of block {i}");
        let tx_fields = field(block, "tx").expect("a tx field");
        assert_eq!(field(tx_fields, "amt"), Some(&ICRC3Value::Nat(amount_of(tx))), "amt of block {i}");
        parent = Some(block.clone().hash());
    }
    parent.expect("a non-empty chain")
}

#[test]
fn a_released_1_0_0_ledger_upgrades_to_icrc3_migrating_its_block_log_in_bounded_steps() {
    let started = std::time::Instant::now();
    let ledger = Ledger::released();
    run_traffic(&ledger);
    let transfer_1_0_0 = ledger.transfer_instructions();
    let books = ledger.books();
    let history = ledger.transactions();
    let logged = history.len() as u64;
    assert_eq!(logged, 1 + USERS + TRANSACTIONS + 21);
    eprintln!("{logged} transactions on 1.0.0 in {:?}", started.elapsed());

    let arg = encode_one(Some(ContractUpgrade { version: "1.1.0".into(), migration_arg: None })).unwrap();
    ledger.pic.upgrade_canister(ledger.id, canister_wasm("token"), arg, Some(owner())).expect("upgrade to 1.1.0");
    let post_upgrade = ledger.pic.instructions_used(ledger.id);
    assert_eq!(ledger.query0::<String>("version"), "1.1.0");
    let health = ledger.health();
    assert!(!health.ok && health.message.starts_with("migrating:"), "{health:?}");
    assert_eq!(health.schema_version, 2);
    assert_eq!(
        (ledger.books(), ledger.transactions()),
        (books.clone(), history.clone()),
        "the upgrade changes nothing"
    );

    // A transfer while the block log is being built: accepted at once, its block comes in order.
    let mid = ledger.transfer(alice(), transfer(account(user(1)), 123));
    assert_eq!(mid, nat(logged));
    let (built, _) = ledger.blocks();
    assert!(built < logged, "the catch-up is still under way: {built} of {logged} blocks");
    assert!(!ledger.health().ok);

    // An upgrade in the middle of the catch-up (it drops the timer): the new post_upgrade resumes it.
    let arg = encode_one(Some(ContractUpgrade { version: "1.1.0".into(), migration_arg: None })).unwrap();
    ledger.pic.upgrade_canister(ledger.id, canister_wasm("token"), arg, Some(owner())).expect("upgrade mid-migration");
    let (built_after, _) = ledger.blocks();
    assert!(built_after >= built && built_after < logged + 1, "{built_after} blocks after the second upgrade");

    let mut ticks = 0;
    while !ledger.health().ok {
        ledger.pic.tick();
        ticks += 1;
        assert!(ticks < 1_000, "the migration never finished: {:?}", ledger.health());
    }
    let batches = ledger.catch_up_batches();
    let per_batch: Vec<u64> = batches.iter().map(|(_, instructions)| *instructions).collect();
    eprintln!("catch-up batches (blocks, instructions): {batches:?}");
    assert!(batches.len() >= 3, "several timer messages: {batches:?}");
    assert_eq!(batches.iter().map(|(blocks, _)| blocks).sum::<u64>(), logged + 1);
    assert!(per_batch.iter().all(|i| *i < INSTRUCTION_LIMIT / 10), "each batch far under the limit: {per_batch:?}");
    let health = ledger.health();
    assert!(health.ok && health.schema_version == 2, "{health:?}");

    // Books and history unchanged, but for the one transfer made meanwhile.
    let (mut balances, allowance, supply) = books;
    let paid = balances.get_mut(&alice().to_text()).unwrap();
    *paid = paid.clone() - nat(123 + FEE);
    let received = balances.get_mut(&user(1).to_text()).unwrap();
    *received = received.clone() + nat(123);
    assert_eq!(ledger.books(), (balances, allowance, supply - nat(FEE)));
    let after = ledger.transactions();
    assert_eq!(&after[..history.len()], history.as_slice(), "history unchanged");

    let (log_length, blocks) = ledger.blocks();
    assert_eq!(log_length, logged + 1);
    let tip = check_chain(&blocks, &after);
    // New transactions are chained at once now.
    let next = ledger.transfer(alice(), transfer(account(user(2)), 9));
    let (log_length, blocks) = ledger.blocks();
    assert_eq!((log_length, next), (logged + 2, nat(logged + 1)));
    assert_eq!(field(blocks.last().unwrap(), "phash"), Some(&ICRC3Value::Blob(tip.to_vec().into())));
    check_chain(&blocks, &ledger.transactions());

    // A query carries the emulator's data certificate, so the tip certificate is there (checked against the root
    // key and the blocks in token_tip_certificate.rs).
    assert!(ledger.query0::<Option<ICRC3DataCertificate>>("icrc3_get_tip_certificate").is_some());
    let types: Vec<SupportedBlockType> = ledger.query0("icrc3_supported_block_types");
    assert_eq!(types.len(), 5);
    let standards: Vec<StandardRecord> = ledger.query0("icrc10_supported_standards");
    let names: Vec<&str> = standards.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["ICRC-1", "ICRC-2", "ICRC-3", "ICRC-10"]);
    let archives: Vec<token_api::ICRC3ArchiveInfo> =
        ledger.query("icrc3_get_archives", token_api::GetArchivesArgs { from: None });
    assert!(archives.is_empty());

    let transfer_1_1_0 = ledger.transfer_instructions();
    let _: GetBlocksResult =
        ledger.query("icrc3_get_blocks", vec![GetBlocksRequest { start: nat(1_000), length: nat(1_000) }]);
    let get_blocks = ledger.pic.instructions_used(ledger.id);
    let migrated: u64 = batches.iter().map(|(blocks, _)| blocks).sum();
    let block_bytes = blocks.iter().map(|b| Encode!(b).unwrap().len()).sum::<usize>() / blocks.len();
    eprintln!("| measure | value |");
    eprintln!("|---|---|");
    eprintln!("| transactions migrated | {migrated} in {} timer messages ({ticks} rounds) |", batches.len());
    eprintln!("| instructions per migrated transaction | {} |", per_batch.iter().sum::<u64>() / migrated);
    eprintln!("| instructions per batch, max | {} |", per_batch.iter().max().unwrap());
    eprintln!("| post_upgrade 1.0.0 → 1.1.0 at {logged} transactions | {post_upgrade} |");
    eprintln!("| icrc1_transfer on 1.0.0 (median) | {transfer_1_0_0} |");
    eprintln!("| icrc1_transfer on 1.1.0 (median) | {transfer_1_1_0} |");
    eprintln!("| icrc3_get_blocks, 1000 blocks | {get_blocks} |");
    eprintln!("| stored block bytes per transaction | 32 (its hash; the block is rebuilt from the transaction) |");
    eprintln!("| served block, candid bytes per transaction (mean) | {block_bytes} |");
    let decoded: ICRC3Value = decode_one(&Encode!(&blocks[5]).unwrap()).unwrap();
    assert_eq!(decoded, blocks[5]);
}

/// The largest install the token accepts (10,000 initial balances, one mint each) now hashes a block per mint in
/// `init`: still far under the install limit, and every mint has its block at once.
#[test]
fn an_install_with_the_most_initial_balances_builds_every_block_at_once() {
    let pic = ic::new_instance();
    let settings = CanisterSettings { controllers: Some(vec![owner()]), ..Default::default() };
    let id = pic.create_canister_with_settings(Some(owner()), Some(settings.clone()));
    pic.add_cycles(id, 100_000_000_000_000);
    let initial_balances =
        (0..token_api::MAX_INITIAL_BALANCES as u64).map(|i| (account(user(i)), nat(1 + i))).collect();
    let args = TokenArgs {
        name: "Wide Token".into(),
        symbol: "WIDE".into(),
        decimals: 8,
        transfer_fee: nat(FEE),
        initial_balances,
        minting_account: None,
        logo: None,
        max_memo_length: None,
    };
    // The same install on 1.0.0, for the benchmark.
    let old = pic.create_canister_with_settings(Some(owner()), Some(settings.clone()));
    pic.add_cycles(old, 100_000_000_000_000);
    let init: TokenInit = ContractInit { factory: None, owner: owner(), version: "1.0.0".into(), args: args.clone() };
    pic.install_canister(old, released_1_0_0(), encode_one(init).unwrap(), Some(owner()));
    let install_1_0_0 = pic.instructions_used(old);

    let version = fleet_tests::fleet::token_version(&canister_wasm("token")).unwrap();
    let init: TokenInit = ContractInit { factory: None, owner: owner(), version, args };
    pic.install_canister(id, canister_wasm("token"), encode_one(init).unwrap(), Some(owner()));
    let install = pic.instructions_used(id);
    let ledger = Ledger { pic, id };
    let (log_length, blocks) = ledger.blocks();
    assert_eq!(log_length, token_api::MAX_INITIAL_BALANCES as u64);
    check_chain(&blocks, &ledger.transactions());
    assert!(ledger.health().ok);
    eprintln!("| install with {} initial balances, 1.0.0 → 1.1.0 | {install_1_0_0} → {install} |", blocks.len());
    assert!(install < 300_000_000_000 / 10, "{install} instructions");
}
