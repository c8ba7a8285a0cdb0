//! The distribution's fixture: an airdrop of a real token (the current token build, installed first as its ledger)
//! to 8 recipients, 2 of them added after install, funded by the owner's deposit and `checkFunding`, claimed by 5
//! of them (transfers executed on the ledger).
//!
//! Its view: the distribution's books, every recipient (allocation, vested, claimed, claimable) and every transfer.
//! Live invariants: the recipients' allocations and claims add up to the books' totals, no recipient claimed more
//! than its allocation, and a recipient who claimed everything is refused a second claim (nothing changes).

use anyhow::{ensure, Context, Result};
use candid::{Nat, Principal};
use distribution_api::{
    AddRecipientsReport, DistributionArgs, DistributionInfo, FundingReport, RecipientInfo, Schedule, TransferInfo,
};
use fleet_api::{ContractInit, FleetError, Page, PageRequest};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use serde_json::{json, Value};

use super::{Contract, ReleasedKind};
use crate::fleet::{nat_to_u128, user};
use crate::ic::PocketIc;

pub struct Distribution;

const CLAIMERS: usize = 5;

fn recipient(i: usize) -> Principal {
    user(&format!("fixture/distribution-recipient-{i}"))
}

fn allocation(i: usize) -> Nat {
    Nat::from(1_000_000u64 + i as u64 * 250_000)
}

impl ReleasedKind for Distribution {
    fn kind(&self) -> &'static str {
        "distribution"
    }

    fn init_arg(&self, ic: &PocketIc, owner: Principal, version: &str) -> Result<Vec<u8>> {
        let funds = vec![(Account { owner, subaccount: None }, Nat::from(1_000_000_000u64))];
        let ledger = super::install_token_ledger(ic, owner, funds)?;
        let args = DistributionArgs {
            name: "Fixture airdrop".into(),
            ledger,
            schedule: Schedule::Airdrop,
            recipients: (0..6).map(|i| (recipient(i), allocation(i))).collect(),
        };
        Ok(candid::encode_one(ContractInit { factory: None, owner, version: version.into(), args })?)
    }

    fn scenario(&self, distribution: &Contract<'_>) -> Result<Vec<String>> {
        let mut calls = vec![
            "a token ledger (the current token build) created first, the owner holding 1_000_000_000".to_string(),
            "install: an airdrop of that token to 6 recipients".to_string(),
        ];
        let more: Vec<(Principal, Nat)> = (6..8).map(|i| (recipient(i), allocation(i))).collect();
        let (added,): (Result<AddRecipientsReport, FleetError>,) =
            distribution.update(distribution.owner, "addRecipients", (more,))?;
        added.map_err(|e| anyhow::anyhow!("addRecipients: {e}"))?;
        calls.push("addRecipients: 2 more".into());
        let report = check_funding(distribution)?;
        let required = nat_to_u128(&report.required)?;
        let info = info(distribution)?;
        let deposit = TransferArg {
            from_subaccount: None,
            to: Account { owner: distribution.id, subaccount: None },
            fee: None,
            created_at_time: None,
            memo: None,
            amount: Nat::from(required),
        };
        let (sent,): (Result<Nat, TransferError>,) = {
            let ledger = Contract { ic: distribution.ic, id: info.ledger, owner: distribution.owner };
            ledger.update(distribution.owner, "icrc1_transfer", (deposit,))?
        };
        sent.map_err(|e| anyhow::anyhow!("deposit: {e:?}"))?;
        let funded = check_funding(distribution)?;
        ensure!(funded.status != distribution_api::DistributionStatus::Created, "not funded: {funded:?}");
        calls.push(format!(
            "the owner deposits the required {required} on the ledger; checkFunding: {:?}",
            funded.status
        ));
        for i in 0..CLAIMERS {
            let (claimed,): (Result<TransferInfo, FleetError>,) = distribution.update(recipient(i), "claim", ())?;
            claimed.map_err(|e| anyhow::anyhow!("claim by recipient {i}: {e}"))?;
        }
        calls.push(format!("claim by {CLAIMERS} of the 8 recipients (ledger transfers executed)"));
        Ok(calls)
    }

    fn observe(&self, distribution: &Contract<'_>) -> Result<Value> {
        let recipients = recipients(distribution)?;
        let mut transfers = Vec::new();
        let mut offset = 0;
        loop {
            let (page,): (Page<TransferInfo>,) = distribution.query("getTransfers", (PageRequest::new(offset, 0),))?;
            transfers.extend(page.items.iter().map(|t| format!("{t:?}")));
            match page.next_offset {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        Ok(json!({
            "distribution": format!("{:?}", info(distribution)?),
            "recipients": recipients.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>(),
            "transfers": transfers,
        }))
    }

    fn check_live(&self, distribution: &Contract<'_>, before: &Value) -> Result<()> {
        let info = info(distribution)?;
        let recipients = recipients(distribution)?;
        let (mut allocated, mut claimed) = (0u128, 0u128);
        for r in &recipients {
            let (allocation, got) = (nat_to_u128(&r.allocation)?, nat_to_u128(&r.claimed)?);
            ensure!(got <= allocation, "{} claimed {got} of an allocation of {allocation}", r.recipient);
            allocated += allocation;
            claimed += got;
        }
        ensure!(nat_to_u128(&info.total_allocation)? == allocated, "allocations add up to {allocated}: {info:?}");
        ensure!(nat_to_u128(&info.total_claimed)? == claimed, "claims add up to {claimed}: {info:?}");
        ensure!(info.recipients == recipients.len() as u64, "{} recipients listed: {info:?}", recipients.len());
        let (again,): (Result<TransferInfo, FleetError>,) = distribution.update(recipient(0), "claim", ())?;
        ensure!(again.is_err(), "a second claim by a recipient who claimed everything answered {again:?}");
        super::same_view(before, &self.observe(distribution)?).context("after a refused second claim")
    }
}

fn info(distribution: &Contract<'_>) -> Result<DistributionInfo> {
    let (info,): (DistributionInfo,) = distribution.query("getDistribution", ())?;
    Ok(info)
}

fn check_funding(distribution: &Contract<'_>) -> Result<FundingReport> {
    let (report,): (Result<FundingReport, FleetError>,) =
        distribution.update(distribution.owner, "checkFunding", ())?;
    report.map_err(|e| anyhow::anyhow!("checkFunding: {e}"))
}

fn recipients(distribution: &Contract<'_>) -> Result<Vec<RecipientInfo>> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let (page,): (Page<RecipientInfo>,) = distribution.query("getRecipients", (PageRequest::new(offset, 0),))?;
        all.extend(page.items);
        match page.next_offset {
            Some(next) if next > offset => offset = next,
            _ => return Ok(all),
        }
    }
}
