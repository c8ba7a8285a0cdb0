//! The token's fixture: many accounts (default and sub-accounts), mints at install and later, transfers with and
//! without memo and explicit fee, burns, approvals (with and without expiry), transfer_from, and one transfer with
//! `created_at_time` whose re-send is answered `Duplicate` (an entry of the dedup window).
//!
//! Its view: total supply, fee, minting account, the balance of every account the log names, the allowance of every
//! (owner, spender) pair the log names, and the whole transaction log. Live invariants: the balances add up to the
//! supply, and re-sending the deduplicated transfer is still answered `Duplicate` of the same block, changing nothing.

use anyhow::{ensure, Context, Result};
use candid::{Nat, Principal};
use fleet_api::ContractInit;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{Memo, TransferArg, TransferError};
use icrc_ledger_types::icrc2::allowance::{Allowance, AllowanceArgs};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};
use icrc_ledger_types::icrc2::transfer_from::{TransferFromArgs, TransferFromError};
use icrc_ledger_types::icrc3::transactions::{GetTransactionsRequest, GetTransactionsResponse, Transaction};
use serde_json::{json, Value};
use std::collections::BTreeSet;

use super::{Contract, ReleasedKind, FIXTURE_TIME_NANOS};
use crate::fleet::{nat_to_u128, user};

pub struct Token;

const FEE: u64 = 10_000;
const HOLDERS: usize = 24;
const DAY_NANOS: u64 = 24 * 60 * 60 * 1_000_000_000;

fn holder(i: usize) -> Principal {
    user(&format!("fixture/token-holder-{i}"))
}

/// 24 default accounts and 8 sub-accounts of the first holders.
fn accounts() -> Vec<Account> {
    let mut accounts: Vec<Account> = (0..HOLDERS).map(|i| Account { owner: holder(i), subaccount: None }).collect();
    accounts.extend((0..8).map(|i| Account { owner: holder(i), subaccount: Some([i as u8 + 1; 32]) }));
    accounts
}

fn args(owner: Principal) -> token_api::TokenArgs {
    token_api::TokenArgs {
        name: "Fixture token".into(),
        symbol: "FIX".into(),
        decimals: 8,
        transfer_fee: Nat::from(FEE),
        initial_balances: accounts()
            .into_iter()
            .enumerate()
            .map(|(i, account)| (account, Nat::from(1_000_000_000u64 + i as u64 * 12_345)))
            .collect(),
        minting_account: Some(Account { owner, subaccount: None }),
        logo: None,
        max_memo_length: None,
    }
}

impl ReleasedKind for Token {
    fn kind(&self) -> &'static str {
        "token"
    }

    fn init_arg(&self, _ic: &crate::ic::PocketIc, owner: Principal, version: &str) -> Result<Vec<u8>> {
        let init = ContractInit { factory: None, owner, version: version.into(), args: args(owner) };
        Ok(candid::encode_one(&init)?)
    }

    fn scenario(&self, token: &Contract<'_>) -> Result<Vec<String>> {
        let accounts = accounts();
        let mut calls = vec![format!(
            "install: {} initial balances ({} default accounts, {} sub-accounts), fee {FEE}, minting account = owner",
            accounts.len(),
            HOLDERS,
            accounts.len() - HOLDERS
        )];
        for i in 0..60 {
            let from = accounts[i % accounts.len()];
            let to = accounts[(i * 7 + 3) % accounts.len()];
            let arg = TransferArg {
                from_subaccount: from.subaccount,
                to,
                fee: (i % 5 == 0).then(|| Nat::from(FEE)),
                created_at_time: None,
                memo: (i % 3 == 0).then(|| Memo::from(vec![i as u8; 8])),
                amount: Nat::from(10_000u64 + i as u64 * 1_001),
            };
            transfer(token, from.owner, arg)?;
        }
        calls.push(
            "60 icrc1_transfer between them (every 3rd with an 8-byte memo, every 5th with an explicit fee)".into(),
        );
        for (i, to) in [
            Account { owner: holder(3), subaccount: None },
            Account { owner: user("fixture/token-newcomer"), subaccount: None },
        ]
        .into_iter()
        .enumerate()
        {
            let arg = TransferArg {
                from_subaccount: None,
                to,
                fee: None,
                created_at_time: None,
                memo: None,
                amount: Nat::from(5_000_000u64 * (i as u64 + 1)),
            };
            transfer(token, token.owner, arg)?;
        }
        calls.push("2 mints (icrc1_transfer from the minting account), one to a new account".into());
        for i in [4usize, 5] {
            let minting = Account { owner: token.owner, subaccount: None };
            let arg = TransferArg {
                from_subaccount: None,
                to: minting,
                fee: None,
                created_at_time: None,
                memo: None,
                amount: Nat::from(200_000u64),
            };
            transfer(token, holder(i), arg)?;
        }
        calls.push("2 burns (icrc1_transfer to the minting account)".into());
        for i in 0..12 {
            let spender = Account { owner: holder((i + 5) % HOLDERS), subaccount: (i % 4 == 0).then_some([9; 32]) };
            let arg = ApproveArgs {
                from_subaccount: None,
                spender,
                amount: Nat::from(1_000_000u64 + i as u64),
                expected_allowance: None,
                expires_at: (i % 2 == 0).then_some(FIXTURE_TIME_NANOS + 30 * DAY_NANOS),
                fee: None,
                memo: None,
                created_at_time: None,
            };
            let (reply,): (Result<Nat, ApproveError>,) = token.update(holder(i), "icrc2_approve", (arg,))?;
            reply.map_err(|e| anyhow::anyhow!("icrc2_approve by holder {i}: {e:?}"))?;
        }
        calls.push("12 icrc2_approve (every 2nd expiring in 30 days, every 4th to a spender's sub-account)".into());
        for i in (1..12).step_by(2).chain([2, 6]) {
            let arg = TransferFromArgs {
                spender_subaccount: (i % 4 == 0).then_some([9; 32]),
                from: Account { owner: holder(i), subaccount: None },
                to: Account { owner: holder((i + 11) % HOLDERS), subaccount: None },
                amount: Nat::from(100_000u64 + i as u64),
                fee: None,
                memo: None,
                created_at_time: None,
            };
            let spender = holder((i + 5) % HOLDERS);
            let (reply,): (Result<Nat, TransferFromError>,) = token.update(spender, "icrc2_transfer_from", (arg,))?;
            reply.map_err(|e| anyhow::anyhow!("icrc2_transfer_from of holder {i}: {e:?}"))?;
        }
        calls.push("8 icrc2_transfer_from by spenders, 2 of them from a spender's sub-account".into());
        let dedup = dedup_arg();
        let index = transfer(token, holder(7), dedup.clone())?;
        let (again,): (Result<Nat, TransferError>,) = token.update(holder(7), "icrc1_transfer", (dedup,))?;
        ensure!(
            again == Err(TransferError::Duplicate { duplicate_of: index.clone() }),
            "re-sent transfer answered {again:?}"
        );
        calls.push(format!(
            "1 icrc1_transfer with created_at_time = {FIXTURE_TIME_NANOS} and a memo (block {index}), re-sent once: Duplicate (the dedup window entry)"
        ));
        Ok(calls)
    }

    fn observe(&self, token: &Contract<'_>) -> Result<Value> {
        let log = transactions(token)?;
        let mut accounts = BTreeSet::new();
        let mut pairs = BTreeSet::new();
        for tx in &log {
            if let Some(m) = &tx.mint {
                accounts.insert(m.to);
            }
            if let Some(b) = &tx.burn {
                accounts.insert(b.from);
            }
            if let Some(t) = &tx.transfer {
                accounts.extend([t.from, t.to]);
            }
            if let Some(a) = &tx.approve {
                accounts.insert(a.from);
                pairs.insert((a.from, a.spender));
            }
        }
        let mut balances = Vec::new();
        for account in &accounts {
            let (balance,): (Nat,) = token.query("icrc1_balance_of", (account,))?;
            balances.push(json!([account.to_string(), digits(&balance)]));
        }
        let mut allowances = Vec::new();
        for (account, spender) in &pairs {
            let (allowance,): (Allowance,) =
                token.query("icrc2_allowance", (AllowanceArgs { account: *account, spender: *spender },))?;
            allowances.push(json!([
                account.to_string(),
                spender.to_string(),
                digits(&allowance.allowance),
                allowance.expires_at
            ]));
        }
        let (supply,): (Nat,) = token.query("icrc1_total_supply", ())?;
        let (fee,): (Nat,) = token.query("icrc1_fee", ())?;
        let (minting,): (Option<Account>,) = token.query("icrc1_minting_account", ())?;
        Ok(json!({
            "total_supply": digits(&supply),
            "fee": digits(&fee),
            "minting_account": minting.map(|a| a.to_string()),
            "balances": balances,
            "allowances": allowances,
            "transactions": log.iter().map(|tx| format!("{tx:?}")).collect::<Vec<_>>(),
        }))
    }

    fn check_live(&self, token: &Contract<'_>, before: &Value) -> Result<()> {
        let view = self.observe(token)?;
        let supply: u128 = text(&view["total_supply"])?.parse()?;
        let mut sum = 0u128;
        for pair in view["balances"].as_array().context("balances")? {
            sum += text(&pair[1])?.parse::<u128>()?;
        }
        ensure!(sum == supply, "balances add up to {sum}, the total supply is {supply}");
        // The dedup window entry: the scenario's transfer with created_at_time, re-sent exactly by its sender.
        let arg = dedup_arg();
        let log = transactions(token)?;
        let index = log
            .iter()
            .position(|tx| {
                tx.transfer.as_ref().is_some_and(|t| {
                    t.from == Account { owner: holder(7), subaccount: None }
                        && t.to == arg.to
                        && t.amount == arg.amount
                        && t.memo == arg.memo
                        && t.created_at_time == arg.created_at_time
                })
            })
            .context("the log holds no deduplicated transfer of the scenario")?;
        let (again,): (Result<Nat, TransferError>,) = token.update(holder(7), "icrc1_transfer", (arg,))?;
        ensure!(
            again == Err(TransferError::Duplicate { duplicate_of: Nat::from(index) }),
            "re-sending the deduplicated transfer of block {index} answered {again:?}"
        );
        super::same_view(before, &self.observe(token)?).context("after re-sending the deduplicated transfer")
    }
}

/// The scenario's one transfer with `created_at_time` (sent by holder 7), whose re-send is a duplicate.
fn dedup_arg() -> TransferArg {
    TransferArg {
        from_subaccount: None,
        to: Account { owner: holder(8), subaccount: None },
        fee: None,
        created_at_time: Some(FIXTURE_TIME_NANOS),
        memo: Some(Memo::from(b"dedup".to_vec())),
        amount: Nat::from(77_777u64),
    }
}

fn transfer(token: &Contract<'_>, sender: Principal, arg: TransferArg) -> Result<Nat> {
    let (reply,): (Result<Nat, TransferError>,) = token.update(sender, "icrc1_transfer", (arg.clone(),))?;
    reply.map_err(|e| anyhow::anyhow!("icrc1_transfer {arg:?}: {e:?}"))
}

fn transactions(token: &Contract<'_>) -> Result<Vec<Transaction>> {
    let mut log = Vec::new();
    loop {
        let request = GetTransactionsRequest { start: Nat::from(log.len()), length: Nat::from(1_000u32) };
        let (page,): (GetTransactionsResponse,) = token.query("get_transactions", (request,))?;
        let length = nat_to_u128(&page.log_length)? as usize;
        if page.transactions.is_empty() {
            ensure!(log.len() == length, "get_transactions stopped at {} of {length}", log.len());
            return Ok(log);
        }
        log.extend(page.transactions);
    }
}

/// A `Nat` as plain decimal digits (its `Display` groups them with `_`).
fn digits(n: &Nat) -> String {
    n.0.to_string()
}

fn text(value: &Value) -> Result<&str> {
    value.as_str().with_context(|| format!("{value} is not a string"))
}
