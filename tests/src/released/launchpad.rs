//! The launchpad's fixture: a sale of a real token for another real token (both the current token build, installed
//! first as its two ledgers) that succeeds: the owner funds it, 6 buyers contribute (one twice; one contribution over
//! the per-buyer maximum refused), the sale closes above its soft cap, the proceeds and the unsold tokens go back to
//! the owner, and 4 buyers claim their tokens (ledger transfers executed).
//!
//! Its view: the sale's books (`getSale`), every buyer, every contribution and every transfer. Live invariants: the
//! buyers' contributions add up to what was raised and their tokens (price applied to each) to the tokens sold; no
//! buyer claimed more than its tokens; what is still owed equals what buyers have not claimed; the books' held
//! amounts equal funded/raised less the executed transfers (amount and fee); a buyer who claimed everything is
//! refused a second claim, a stranger's claim and a contribution after the end are refused (nothing changes).

use anyhow::{ensure, Context, Result};
use candid::{Nat, Principal};
use fleet_api::{ContractInit, FleetError, Page, PageRequest};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};
use launchpad_api::{
    BuyerInfo, ContributionInfo, FundingReport, LaunchpadArgs, LaunchpadStatus, Price, SaleInfo, TransferInfo,
    TransferPurpose, TransferState,
};
use serde_json::{json, Value};
use std::time::Duration;

use super::{Contract, ReleasedKind, FIXTURE_TIME_NANOS};
use crate::fleet::{nat_to_u128, user};
use crate::ic::PocketIc;

pub struct Launchpad;

const HOUR_NANOS: u64 = 3_600 * 1_000_000_000;
const OWNER_SALE_TOKENS: u128 = 1_000_000_000_000;
const BUYER_FUNDS: u128 = 1_000_000_000;
const BUYERS: usize = 6;
const CLAIMERS: usize = 4;
/// 1 payment unit buys 4 sale tokens.
const TOKENS_PER_PAYMENT: u128 = 4;
const MAX_PER_BUYER: u128 = 300_000;

fn buyer(i: usize) -> Principal {
    user(&format!("fixture/launchpad-buyer-{i}"))
}

fn stranger() -> Principal {
    user("fixture/launchpad-stranger")
}

fn account(owner: Principal) -> Account {
    Account { owner, subaccount: None }
}

/// What buyer `i` contributes in its first contribution.
fn contribution(i: usize) -> u128 {
    50_000 + i as u128 * 30_000
}

impl ReleasedKind for Launchpad {
    fn kind(&self) -> &'static str {
        "launchpad"
    }

    fn init_arg(&self, ic: &PocketIc, owner: Principal, version: &str) -> Result<Vec<u8>> {
        sale_init(ic, owner, version, 100_000)
    }

    fn scenario(&self, launchpad: &Contract<'_>) -> Result<Vec<String>> {
        let sale = info(launchpad)?;
        let mut calls = vec![
            format!(
                "two token ledgers (the current token build) created first: the sale token ({}), the owner holding {OWNER_SALE_TOKENS}; the payment token ({}), {BUYERS} buyers holding {BUYER_FUNDS} each",
                sale.sale_ledger, sale.payment_ledger
            ),
            "install: 1 payment unit buys 4 tokens, soft cap 100_000, hard cap 1_000_000, 1_000 to 300_000 per buyer, open from 1 h after install for 1 h, no vesting".to_string(),
        ];
        let required = fund(launchpad)?;
        calls.push(format!("the owner deposits the required {required} sale tokens; checkFunding: funded"));

        settle(launchpad.ic, Duration::from_nanos(HOUR_NANOS));
        ensure!(info(launchpad)?.status == LaunchpadStatus::Open, "not open: {:?}", info(launchpad)?);
        for i in 0..BUYERS {
            approve(launchpad, sale.payment_ledger, buyer(i), MAX_PER_BUYER + 10_000)?;
            contribute(launchpad, buyer(i), contribution(i))?.map_err(|e| anyhow::anyhow!("buyer {i}: {e}"))?;
        }
        approve(launchpad, sale.payment_ledger, buyer(0), 20_000 + 10_000)?;
        contribute(launchpad, buyer(0), 20_000)?.map_err(|e| anyhow::anyhow!("second contribution: {e}"))?;
        let over = contribute(launchpad, buyer(5), MAX_PER_BUYER)?;
        ensure!(matches!(over, Err(FleetError::InvalidInput(_))), "a contribution over the maximum answered {over:?}");
        calls.push(format!(
            "approve + contribute: {BUYERS} buyers (50_000 + 30_000 * i), buyer 0 a second time (20_000); a contribution taking buyer 5 over the per-buyer maximum refused"
        ));

        settle(launchpad.ic, Duration::from_nanos(HOUR_NANOS));
        let decided = info(launchpad)?;
        ensure!(decided.status == LaunchpadStatus::Succeeded, "not succeeded: {decided:?}");
        calls.push(format!(
            "the clock passes end_time (+1 h), the timer decides: Succeeded with {} raised; the proceeds and the unsold tokens sent to the owner",
            decided.raised
        ));
        for i in 0..CLAIMERS {
            let (claimed,): (Result<TransferInfo, FleetError>,) = launchpad.update(buyer(i), "claim", ())?;
            let claimed = claimed.map_err(|e| anyhow::anyhow!("claim by buyer {i}: {e}"))?;
            ensure!(matches!(claimed.state, TransferState::Executed { .. }), "claim by buyer {i}: {claimed:?}");
        }
        settle(launchpad.ic, Duration::from_secs(1));
        let after = info(launchpad)?;
        let held = |l: Principal| -> Result<u128> {
            let (b,): (Nat,) = ledger(launchpad, l).query("icrc1_balance_of", (account(launchpad.id),))?;
            nat_to_u128(&b)
        };
        let (sale_balance, payment_balance) = (held(after.sale_ledger)?, held(after.payment_ledger)?);
        ensure!(
            sale_balance == nat_to_u128(&after.sale_held)? && payment_balance == nat_to_u128(&after.payment_held)?,
            "the ledgers hold {sale_balance} / {payment_balance}, the books say {after:?}"
        );
        ensure!(sale_balance >= nat_to_u128(&after.tokens_owed)?, "sale tokens owed are not covered: {after:?}");
        calls.push(format!(
            "claim by {CLAIMERS} of the {BUYERS} buyers (ledger transfers executed); the ledgers then hold {sale_balance} sale and {payment_balance} payment tokens for the launchpad, as its books say"
        ));
        Ok(calls)
    }

    fn observe(&self, launchpad: &Contract<'_>) -> Result<Value> {
        let contributions: Vec<ContributionInfo> = all_pages(launchpad, "getContributions")?;
        let transfers: Vec<TransferInfo> = all_pages(launchpad, "getTransfers")?;
        Ok(json!({
            "sale": format!("{:?}", info(launchpad)?),
            "buyers": buyers(launchpad)?.iter().map(|b| format!("{b:?}")).collect::<Vec<_>>(),
            "contributions": contributions.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>(),
            "transfers": transfers.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>(),
        }))
    }

    fn check_live(&self, launchpad: &Contract<'_>, before: &Value) -> Result<()> {
        let sale = info(launchpad)?;
        ensure!(sale.status == LaunchpadStatus::Succeeded, "{sale:?}");
        let buyers = buyers(launchpad)?;
        ensure!(
            sale.buyers == buyers.len() as u64 && buyers.len() == BUYERS,
            "{} buyers listed: {sale:?}",
            buyers.len()
        );
        let (mut raised, mut sold, mut unclaimed) = (0u128, 0u128, 0u128);
        for b in &buyers {
            let (contributed, tokens, claimed) =
                (nat_to_u128(&b.contributed)?, nat_to_u128(&b.tokens)?, nat_to_u128(&b.claimed)?);
            ensure!(
                tokens == contributed * TOKENS_PER_PAYMENT,
                "{} contributed {contributed} for {tokens} tokens",
                b.buyer
            );
            ensure!(claimed <= tokens, "{} claimed {claimed} of {tokens}", b.buyer);
            ensure!(nat_to_u128(&b.pending)? == 0, "{} has a contribution in flight", b.buyer);
            raised += contributed;
            sold += tokens;
            unclaimed += tokens - claimed;
        }
        ensure!(nat_to_u128(&sale.raised)? == raised, "contributions add up to {raised}: {sale:?}");
        ensure!(nat_to_u128(&sale.tokens_sold)? == sold, "tokens add up to {sold}: {sale:?}");
        ensure!(nat_to_u128(&sale.tokens_owed)? == unclaimed, "buyers have {unclaimed} unclaimed: {sale:?}");
        ensure!(nat_to_u128(&sale.reserved)? == 0, "{sale:?}");

        let transfers: Vec<TransferInfo> = all_pages(launchpad, "getTransfers")?;
        let (mut sale_out, mut payment_out) = (0u128, 0u128);
        for t in &transfers {
            ensure!(matches!(t.state, TransferState::Executed { .. }), "transfer {} is {:?}", t.id, t.state);
            let out = nat_to_u128(&t.amount)? + nat_to_u128(&t.fee)?;
            if t.ledger == sale.sale_ledger {
                sale_out += out;
            } else {
                ensure!(t.ledger == sale.payment_ledger, "transfer {} on {}", t.id, t.ledger);
                payment_out += out;
            }
        }
        ensure!(
            nat_to_u128(&sale.funded_amount)? - sale_out == nat_to_u128(&sale.sale_held)?,
            "funded less {sale_out} sent: {sale:?}"
        );
        ensure!(
            nat_to_u128(&sale.raised)? - payment_out == nat_to_u128(&sale.payment_held)?,
            "raised less {payment_out} sent: {sale:?}"
        );
        ensure!(
            transfers.iter().any(|t| t.purpose == TransferPurpose::Proceeds),
            "the proceeds were sent to the owner"
        );

        let (again,): (Result<TransferInfo, FleetError>,) = launchpad.update(buyer(0), "claim", ())?;
        ensure!(again.is_err(), "a second claim by a buyer who claimed everything answered {again:?}");
        let (stranger_claim,): (Result<TransferInfo, FleetError>,) = launchpad.update(stranger(), "claim", ())?;
        ensure!(stranger_claim.is_err(), "a stranger's claim answered {stranger_claim:?}");
        let late = contribute(launchpad, buyer(BUYERS - 1), 1_000)?;
        ensure!(late.is_err(), "a contribution after the sale answered {late:?}");
        super::same_view(before, &self.observe(launchpad)?).context("after refused claims and contribution")
    }
}

/// Both ledgers (the owner holds the sale tokens, the buyers the payment) and the sale's install argument: 1 payment
/// unit buys 4 tokens, hard cap 1_000_000, 1_000 to 300_000 per buyer, open from 1 h after the fixture clock for 1 h.
fn sale_init(ic: &PocketIc, owner: Principal, version: &str, soft_cap: u128) -> Result<Vec<u8>> {
    let sale = super::install_token_ledger(ic, owner, vec![(account(owner), Nat::from(OWNER_SALE_TOKENS))])?;
    let funds = (0..BUYERS).map(|i| (account(buyer(i)), Nat::from(BUYER_FUNDS))).collect();
    let payment = super::install_token_ledger(ic, owner, funds)?;
    let args = LaunchpadArgs {
        name: "Fixture seed round".into(),
        sale_ledger: sale,
        payment_ledger: payment,
        price: Price { payment: Nat::from(1u8), tokens: Nat::from(TOKENS_PER_PAYMENT) },
        soft_cap: Nat::from(soft_cap),
        hard_cap: Nat::from(1_000_000u32),
        start_time: FIXTURE_TIME_NANOS + HOUR_NANOS,
        end_time: FIXTURE_TIME_NANOS + 2 * HOUR_NANOS,
        min_per_buyer: Nat::from(1_000u32),
        max_per_buyer: Nat::from(MAX_PER_BUYER),
        allow_list: None,
        vesting: None,
    };
    Ok(candid::encode_one(ContractInit { factory: None, owner, version: version.into(), args })?)
}

/// The owner deposits what the hard cap needs and calls `checkFunding`; returns the deposit.
fn fund(launchpad: &Contract<'_>) -> Result<u128> {
    let sale = info(launchpad)?;
    let required = nat_to_u128(&sale.required_funding)?;
    let deposit = TransferArg {
        from_subaccount: None,
        to: account(launchpad.id),
        fee: None,
        created_at_time: None,
        memo: None,
        amount: Nat::from(required),
    };
    let (sent,): (Result<Nat, TransferError>,) =
        ledger(launchpad, sale.sale_ledger).update(launchpad.owner, "icrc1_transfer", (deposit,))?;
    sent.map_err(|e| anyhow::anyhow!("funding deposit: {e:?}"))?;
    let (report,): (Result<FundingReport, FleetError>,) = launchpad.update(launchpad.owner, "checkFunding", ())?;
    let report = report.map_err(|e| anyhow::anyhow!("checkFunding: {e}"))?;
    ensure!(report.funded, "not funded: {report:?}");
    Ok(required)
}

/// A sale that fails (soft cap 900_000, 4 buyers raise 380_000): not a committed fixture (one contract holds one
/// sale), but the same capture → load → upgrade path run at test time on the released bytes
/// (`released_versions.rs`): one buyer claims its refund at once, the refund job pays the others, the sale tokens
/// go back to the owner. Live invariants: everyone refunded exactly its contribution (amount and fee) by one
/// executed transfer, nothing owed or held, a second claim and a stranger's refused.
pub struct FailedSale;

const FAILED_SALE_BUYERS: usize = 4;

impl ReleasedKind for FailedSale {
    fn kind(&self) -> &'static str {
        "launchpad"
    }

    fn init_arg(&self, ic: &PocketIc, owner: Principal, version: &str) -> Result<Vec<u8>> {
        sale_init(ic, owner, version, 900_000)
    }

    fn scenario(&self, launchpad: &Contract<'_>) -> Result<Vec<String>> {
        let required = fund(launchpad)?;
        let payment = info(launchpad)?.payment_ledger;
        settle(launchpad.ic, Duration::from_nanos(HOUR_NANOS));
        for i in 0..FAILED_SALE_BUYERS {
            approve(launchpad, payment, buyer(i), contribution(i) + 10_000)?;
            contribute(launchpad, buyer(i), contribution(i))?.map_err(|e| anyhow::anyhow!("buyer {i}: {e}"))?;
        }
        launchpad.ic.advance_time(Duration::from_nanos(HOUR_NANOS));
        let (early,): (Result<TransferInfo, FleetError>,) = launchpad.update(buyer(1), "claim", ())?;
        let early = early.map_err(|e| anyhow::anyhow!("refund by claim: {e}"))?;
        ensure!(early.purpose == TransferPurpose::Refund { buyer: buyer(1) }, "{early:?}");
        settle(launchpad.ic, Duration::from_secs(1));
        let sale = info(launchpad)?;
        ensure!(sale.status == LaunchpadStatus::Failed, "not failed: {sale:?}");
        Ok(vec![
            format!("funded with {required}; {FAILED_SALE_BUYERS} buyers contribute 380_000 against a soft cap of 900_000"),
            "past end_time buyer 1 claims its refund; the timer decides Failed, the refund job pays the others and returns the sale tokens".into(),
        ])
    }

    fn observe(&self, launchpad: &Contract<'_>) -> Result<Value> {
        Launchpad.observe(launchpad)
    }

    fn check_live(&self, launchpad: &Contract<'_>, before: &Value) -> Result<()> {
        let sale = info(launchpad)?;
        ensure!(sale.status == LaunchpadStatus::Failed, "{sale:?}");
        let buyers = buyers(launchpad)?;
        ensure!(buyers.len() == FAILED_SALE_BUYERS, "{} buyers", buyers.len());
        let transfers: Vec<TransferInfo> = all_pages(launchpad, "getTransfers")?;
        let mut raised = 0u128;
        for b in &buyers {
            let contributed = nat_to_u128(&b.contributed)?;
            raised += contributed;
            ensure!(nat_to_u128(&b.claimed)? == contributed, "{} refunded {} of {contributed}", b.buyer, b.claimed);
            ensure!(nat_to_u128(&b.claimable)? == 0, "{} can still claim {}", b.buyer, b.claimable);
            let refunds: Vec<&TransferInfo> =
                transfers.iter().filter(|t| t.purpose == TransferPurpose::Refund { buyer: b.buyer }).collect();
            ensure!(refunds.len() == 1, "{} has {} refund transfers", b.buyer, refunds.len());
            let r = refunds[0];
            ensure!(matches!(r.state, TransferState::Executed { .. }), "refund of {}: {:?}", b.buyer, r.state);
            ensure!(nat_to_u128(&r.amount)? + nat_to_u128(&r.fee)? == contributed, "refund of {}: {r:?}", b.buyer);
        }
        ensure!(nat_to_u128(&sale.raised)? == raised, "contributions add up to {raised}: {sale:?}");
        ensure!(sale.refund_cursor == FAILED_SALE_BUYERS as u64, "{sale:?}");
        for owed in [&sale.payment_owed, &sale.tokens_owed, &sale.payment_held, &sale.sale_held] {
            ensure!(nat_to_u128(owed)? == 0, "something is still owed or held: {sale:?}");
        }
        ensure!(
            transfers
                .iter()
                .any(|t| t.purpose == TransferPurpose::SaleReturn && matches!(t.state, TransferState::Executed { .. })),
            "the sale tokens went back to the owner"
        );
        let (again,): (Result<TransferInfo, FleetError>,) = launchpad.update(buyer(0), "claim", ())?;
        ensure!(again.is_err(), "a second refund answered {again:?}");
        let (stranger_claim,): (Result<TransferInfo, FleetError>,) = launchpad.update(stranger(), "claim", ())?;
        ensure!(stranger_claim.is_err(), "a stranger's claim answered {stranger_claim:?}");
        super::same_view(before, &self.observe(launchpad)?).context("after refused claims")
    }
}

/// Advances the clock by `by`, then lets the timers run.
fn settle(ic: &PocketIc, by: Duration) {
    ic.advance_time(by);
    for _ in 0..10 {
        ic.advance_time(Duration::from_secs(1));
        ic.tick();
    }
}

fn info(launchpad: &Contract<'_>) -> Result<SaleInfo> {
    let (info,): (SaleInfo,) = launchpad.query("getSale", ())?;
    Ok(info)
}

fn contribute(launchpad: &Contract<'_>, who: Principal, amount: u128) -> Result<Result<ContributionInfo, FleetError>> {
    let (reply,): (Result<ContributionInfo, FleetError>,) =
        launchpad.update(who, "contribute", (Nat::from(amount),))?;
    Ok(reply)
}

fn ledger<'a>(launchpad: &Contract<'a>, id: Principal) -> Contract<'a> {
    Contract { ic: launchpad.ic, id, owner: launchpad.owner }
}

fn approve(launchpad: &Contract<'_>, payment: Principal, who: Principal, amount: u128) -> Result<()> {
    let arg = ApproveArgs {
        from_subaccount: None,
        spender: account(launchpad.id),
        amount: Nat::from(amount),
        expected_allowance: None,
        expires_at: None,
        fee: None,
        memo: None,
        created_at_time: None,
    };
    let (r,): (Result<Nat, ApproveError>,) = ledger(launchpad, payment).update(who, "icrc2_approve", (arg,))?;
    r.map_err(|e| anyhow::anyhow!("approve by {who}: {e:?}"))?;
    Ok(())
}

fn buyers(launchpad: &Contract<'_>) -> Result<Vec<BuyerInfo>> {
    all_pages(launchpad, "getBuyers")
}

fn all_pages<T>(launchpad: &Contract<'_>, method: &'static str) -> Result<Vec<T>>
where
    T: candid::CandidType + for<'de> serde::Deserialize<'de>,
{
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let (page,): (Page<T>,) = launchpad.query(method, (PageRequest::new(offset, 0),))?;
        all.extend(page.items);
        match page.next_offset {
            Some(next) if next > offset => offset = next,
            _ => return Ok(all),
        }
    }
}
