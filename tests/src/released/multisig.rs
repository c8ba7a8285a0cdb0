//! The multisig's fixture: a 2-of-3 wallet holding tokens on a real token ledger (the current token build, installed
//! beside it), with proposals in every settled state: a transfer and an approve executed on the ledger, a signer
//! added and the threshold raised (executed inside the wallet), a removal rejected, and a transfer left open; votes
//! of each; a refreshed balance.
//!
//! Its view: the signer set, every proposal (newest first) with its votes, and the recorded balances. Live
//! invariant: an executed proposal is never executed again (`execute` refuses and nothing changes).

use anyhow::{ensure, Context, Result};
use candid::{Nat, Principal};
use fleet_api::{ContractInit, FleetError, Page, PageRequest};
use icrc_ledger_types::icrc1::account::Account;
use multisig_api::{
    ApproveAction, BalanceRequest, KnownBalance, MultisigArgs, ProposalAction, ProposalDetail, ProposalState,
    ProposalsRequest, ProposeArgs, SignerSet, TransferAction,
};
use serde_json::{json, Value};

use super::{Contract, ReleasedKind, FIXTURE_TIME_NANOS};
use crate::fleet::user;

pub struct Multisig;

const DAY_NANOS: u64 = 24 * 60 * 60 * 1_000_000_000;

fn signer(i: usize) -> Principal {
    user(&format!("fixture/multisig-signer-{i}"))
}

impl ReleasedKind for Multisig {
    fn kind(&self) -> &'static str {
        "multisig"
    }

    fn init_arg(&self, _ic: &crate::ic::PocketIc, owner: Principal, version: &str) -> Result<Vec<u8>> {
        let args = MultisigArgs {
            name: "Fixture treasury".into(),
            signers: (0..3).map(signer).collect(),
            threshold: 2,
            default_expiry_seconds: None,
        };
        Ok(candid::encode_one(ContractInit { factory: None, owner, version: version.into(), args })?)
    }

    fn scenario(&self, wallet: &Contract<'_>) -> Result<Vec<String>> {
        let ledger = install_ledger(wallet)?;
        let mut calls = vec![
            "install: 3 signers, threshold 2".to_string(),
            format!("a token ledger (the current token build) beside it, the wallet's account holding 50_000_000 ({ledger})"),
        ];
        let to = Account { owner: user("fixture/multisig-payee"), subaccount: None };
        let transfer = ProposalAction::Transfer(TransferAction {
            ledger,
            from_subaccount: None,
            to,
            amount: Nat::from(1_000_000u64),
            fee: None,
        });
        let executed = propose(wallet, 0, transfer, Some("pay the payee"))?;
        vote(wallet, 1, "approve", executed)?;
        let approve = ProposalAction::Approve(ApproveAction {
            ledger,
            from_subaccount: None,
            spender: Account { owner: user("fixture/multisig-spender"), subaccount: None },
            amount: Nat::from(500_000u64),
            expected_allowance: None,
            expires_at: Some(FIXTURE_TIME_NANOS + 30 * DAY_NANOS),
            fee: None,
        });
        let approved = propose(wallet, 1, approve, None)?;
        vote(wallet, 2, "approve", approved)?;
        calls.push("propose + approve: a ledger transfer and a ledger approve, both executed".into());
        let added = propose(wallet, 0, ProposalAction::AddSigner { signer: signer(3) }, None)?;
        vote(wallet, 2, "approve", added)?;
        let raised = propose(wallet, 1, ProposalAction::ChangeThreshold { threshold: 3 }, Some("3 of 4"))?;
        vote(wallet, 0, "approve", raised)?;
        calls.push("propose + approve: add a fourth signer, raise the threshold to 3 (executed)".into());
        let removal = propose(wallet, 2, ProposalAction::RemoveSigner { signer: signer(3) }, Some("remove again"))?;
        vote(wallet, 0, "reject", removal)?;
        vote(wallet, 1, "reject", removal)?;
        calls.push("propose + 2 rejects: a signer removal, Rejected".into());
        let open = ProposalAction::Transfer(TransferAction {
            ledger,
            from_subaccount: None,
            to,
            amount: Nat::from(2_000_000u64),
            fee: Some(Nat::from(10_000u64)),
        });
        let pending = propose(wallet, 3, open, Some("left open"))?;
        let open_state = proposal(wallet, pending)?.proposal.state;
        ensure!(open_state == ProposalState::Open, "the last proposal is {open_state:?}");
        calls.push("propose: a transfer left Open with one approval of three".into());
        let (balance,): (Result<KnownBalance, FleetError>,) =
            wallet.update(signer(0), "refreshBalance", (BalanceRequest { ledger, subaccount: None },))?;
        balance.map_err(|e| anyhow::anyhow!("refreshBalance: {e}"))?;
        calls.push("refreshBalance of the wallet's account".into());
        Ok(calls)
    }

    fn observe(&self, wallet: &Contract<'_>) -> Result<Value> {
        let (signers,): (SignerSet,) = wallet.query("getSigners", ())?;
        let mut proposals = Vec::new();
        let mut offset = 0;
        loop {
            let request = ProposalsRequest { state: None, page: PageRequest::new(offset, 0) };
            let (page,): (Page<multisig_api::Proposal>,) = wallet.query("getProposals", (request,))?;
            for p in &page.items {
                proposals.push(format!("{:?}", proposal(wallet, p.id)?));
            }
            match page.next_offset {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        let (balances,): (Page<KnownBalance>,) = wallet.query("getBalances", (PageRequest::new(0, 0),))?;
        Ok(json!({
            "signers": format!("{signers:?}"),
            "proposals": proposals,
            "balances": balances.items.iter().map(|b| format!("{b:?}")).collect::<Vec<_>>(),
        }))
    }

    fn check_live(&self, wallet: &Contract<'_>, before: &Value) -> Result<()> {
        let request = ProposalsRequest { state: Some(ProposalState::Executed), page: PageRequest::new(0, 0) };
        let (executed,): (Page<multisig_api::Proposal>,) = wallet.query("getProposals", (request,))?;
        ensure!(executed.items.len() == 4, "{} executed proposals, the scenario executed 4", executed.items.len());
        for id in executed.items.iter().map(|p| p.id) {
            let (again,): (Result<multisig_api::Proposal, FleetError>,) = wallet.update(signer(0), "execute", (id,))?;
            ensure!(again.is_err(), "executing the executed proposal {id} again answered {again:?}");
        }
        super::same_view(before, &self.observe(wallet)?).context("after re-executing executed proposals")
    }
}

fn propose(wallet: &Contract<'_>, by: usize, action: ProposalAction, summary: Option<&str>) -> Result<u64> {
    let args = ProposeArgs { action, summary: summary.map(Into::into), expires_at: None };
    let (reply,): (Result<multisig_api::Proposal, FleetError>,) = wallet.update(signer(by), "propose", (args,))?;
    Ok(reply.map_err(|e| anyhow::anyhow!("propose by signer {by}: {e}"))?.id)
}

fn vote(wallet: &Contract<'_>, by: usize, method: &'static str, id: u64) -> Result<()> {
    let (reply,): (Result<multisig_api::Proposal, FleetError>,) = wallet.update(signer(by), method, (id,))?;
    reply.map(|_| ()).map_err(|e| anyhow::anyhow!("{method} {id} by signer {by}: {e}"))
}

fn proposal(wallet: &Contract<'_>, id: u64) -> Result<ProposalDetail> {
    let (reply,): (Result<ProposalDetail, FleetError>,) = wallet.query("getProposal", (id,))?;
    reply.map_err(|e| anyhow::anyhow!("getProposal {id}: {e}"))
}

/// The current token build as the wallet's ledger, the wallet's default account funded at install.
fn install_ledger(wallet: &Contract<'_>) -> Result<Principal> {
    let funded = vec![(Account { owner: wallet.id, subaccount: None }, Nat::from(50_000_000u64))];
    super::install_token_ledger(wallet.ic, wallet.owner, funded)
}
