//! The rehearsal's closing tables, read from the fleet once every step has passed: the contracts of each factory per
//! installed version and per upgrade policy (`getFleetSummary`), every rollout of each factory with its counts per
//! outcome, every task that failed or rolled back with its reason, and the payment ledger's books. Plain data
//! ([`Table`]): `release rehearse` prints nothing more from them, and `--report` renders them as HTML.

use anyhow::Result;
use candid::Principal;
use factory_engine::upgrade::api::TaskState;
use fleet_api::PageRequest;
use fleet_client::rollout::RolloutClient;
use fleet_client::FactoryClient;

use crate::fleet::{Fleet, IcTransport};

/// A titled table of text cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(title: &str, columns: &[&str]) -> Self {
        Self { title: title.into(), columns: columns.iter().map(|c| c.to_string()).collect(), rows: vec![] }
    }
}

/// The tables, with `holders` (every principal holding the payment token) for the books and `supply_at_start`.
pub fn final_tables(fleet: &Fleet, holders: &[(&str, Principal)], supply_at_start: u128) -> Result<Vec<Table>> {
    let transport = IcTransport::new(&fleet.ic, fleet.release);
    let factories = [
        ("token_factory", fleet.token_factory),
        ("multisig_factory", fleet.multisig_factory),
        ("distribution_factory", fleet.distribution_factory),
        ("dao_factory", fleet.dao_factory),
        ("launchpad_factory", fleet.launchpad_factory),
    ];
    let mut versions = Table::new("Contracts per installed version", &["factory", "version", "contracts"]);
    let mut policies = Table::new("Contracts per upgrade policy", &["factory", "policy", "contracts"]);
    let mut rollouts = Table::new(
        "Rollouts (contracts per outcome)",
        &["factory", "rollout", "target", "state", "done", "skipped", "rolled back", "failed"],
    );
    let mut failures =
        Table::new("Failures and rollbacks", &["factory", "rollout", "contract", "outcome", "from", "reason"]);
    for (name, id) in factories {
        let summary = FactoryClient::new(&transport, id).fleet_summary()?;
        for v in &summary.by_version {
            versions.rows.push(vec![name.into(), v.version.clone(), v.contracts.to_string()]);
        }
        if summary.detached > 0 {
            versions.rows.push(vec![name.into(), "(detached)".into(), summary.detached.to_string()]);
        }
        for p in &summary.by_policy {
            let policy = match &p.policy {
                fleet_api::UpgradePolicy::Pinned(v) => format!("Pinned {v}"),
                other => format!("{other:?}"),
            };
            policies.rows.push(vec![name.into(), policy, p.contracts.to_string()]);
        }
        let client = RolloutClient::new(&transport, id);
        let all = fleet_client::canister::all_pages(|page: PageRequest| client.list(page))?;
        for r in all {
            let c = &r.counts;
            rollouts.rows.push(vec![
                name.into(),
                r.id.to_string(),
                r.plan.target_version.clone(),
                format!("{:?}", r.state),
                c.done.to_string(),
                c.skipped.to_string(),
                c.rolled_back.to_string(),
                c.failed.to_string(),
            ]);
            for state in [TaskState::RolledBack, TaskState::Failed] {
                for t in client.all_tasks(r.id, state)? {
                    failures.rows.push(vec![
                        name.into(),
                        r.id.to_string(),
                        t.contract.to_text(),
                        format!("{:?}", t.state),
                        t.from_version.clone(),
                        t.reason.clone().unwrap_or_default(),
                    ]);
                }
            }
        }
    }
    let mut books = Table::new("Payment ledger books", &["holder", "balance"]);
    let mut held = 0u128;
    for (name, principal) in holders {
        let balance = fleet.balance(*principal)?;
        held += balance;
        books.rows.push(vec![name.to_string(), balance.to_string()]);
    }
    let supply = fleet.total_supply()?;
    books.rows.push(vec!["sum of the balances".into(), held.to_string()]);
    books.rows.push(vec!["ledger total supply".into(), supply.to_string()]);
    books.rows.push(vec!["burned as ledger fees".into(), supply_at_start.saturating_sub(supply).to_string()]);
    Ok(vec![versions, policies, rollouts, failures, books])
}
