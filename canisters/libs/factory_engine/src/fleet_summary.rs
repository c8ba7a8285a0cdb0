//! `getFleetSummary(opt cursor)`: what the factory's contracts run, counted one bounded page at a time, so an
//! operator (`release status`) learns it at any fleet size without one message scanning everything.
//!
//! A page walks the contract records in id order from just after `cursor`, counts each (by status; the contracts
//! the factory still manages also per installed version and per upgrade policy) and stops after
//! [`MAX_CONTRACTS_PER_PAGE`] records or when the caller's instruction budget is spent (at least one record is
//! counted per page, so the walk always moves). It answers the partial counts and the cursor to pass next (`null`
//! after the last contract). Adding up the pages ([`FleetSummary::add`]) gives the fleet's totals; a contract created
//! or upgraded while the walk runs is counted as the page that reaches it finds it.
//!
//! Admins and release principals only, like the other operator endpoints (`getStats` and `getRegistrySummary` are
//! public because they show no per-contract data; this summary describes what every owner chose).

use candid::{CandidType, Principal};
use fleet_api::{ContractStatus, FleetError, UpgradePolicy};
use ic_stable_structures::Memory;
use serde::{Deserialize, Serialize};

use crate::contracts::ContractRecord;
use crate::{Caller, Factory};

/// Most contract records one page reads.
pub const MAX_CONTRACTS_PER_PAGE: u64 = 5_000;
/// Instructions a page may spend before it stops (a query may use 5 B).
pub const PAGE_INSTRUCTION_BUDGET: u64 = 1_000_000_000;

/// Contracts at one installed version.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct VersionCount {
    pub version: String,
    pub contracts: u64,
}

/// Contracts with one upgrade policy.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct PolicyCount {
    pub policy: UpgradePolicy,
    pub contracts: u64,
}

/// One page of `getFleetSummary`.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct FleetSummaryPage {
    /// Contract records counted in this page, every status.
    pub contracts: u64,
    pub deploying: u64,
    pub active: u64,
    /// No longer managed (`releaseContract`): not in `by_version` or `by_policy`.
    pub detached: u64,
    /// Managed contracts (Deploying or Active) per installed version, in version text order.
    pub by_version: Vec<VersionCount>,
    /// Managed contracts per upgrade policy.
    pub by_policy: Vec<PolicyCount>,
    /// Pass it back for the next page; `null`: this page reached the last contract.
    pub next_cursor: Option<Principal>,
}

/// The sum of a walk's pages: the fleet's totals.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct FleetSummary {
    pub contracts: u64,
    pub deploying: u64,
    pub active: u64,
    pub detached: u64,
    pub by_version: Vec<VersionCount>,
    pub by_policy: Vec<PolicyCount>,
    /// Pages the walk took.
    pub pages: u64,
}

impl FleetSummary {
    /// Adds one page's counts.
    pub fn add(&mut self, page: &FleetSummaryPage) {
        self.contracts += page.contracts;
        self.deploying += page.deploying;
        self.active += page.active;
        self.detached += page.detached;
        for v in &page.by_version {
            add_version(&mut self.by_version, &v.version, v.contracts);
        }
        for p in &page.by_policy {
            add_policy(&mut self.by_policy, &p.policy, p.contracts);
        }
        self.pages += 1;
    }

    /// Managed contracts at `version`.
    pub fn at_version(&self, version: &str) -> u64 {
        self.by_version.iter().find(|v| v.version == version).map_or(0, |v| v.contracts)
    }

    /// Managed contracts with `policy`.
    pub fn with_policy(&self, policy: &UpgradePolicy) -> u64 {
        self.by_policy.iter().find(|p| &p.policy == policy).map_or(0, |p| p.contracts)
    }
}

impl FleetSummaryPage {
    fn count(&mut self, record: &ContractRecord) {
        self.contracts += 1;
        match record.status {
            ContractStatus::Deploying => self.deploying += 1,
            ContractStatus::Active => self.active += 1,
            ContractStatus::Detached => {
                self.detached += 1;
                return;
            }
        }
        add_version(&mut self.by_version, &record.version, 1);
        add_policy(&mut self.by_policy, &record.upgrade_policy, 1);
    }
}

/// Keeps `counts` in version text order (binary search: a fleet has few versions, a page many contracts).
fn add_version(counts: &mut Vec<VersionCount>, version: &str, n: u64) {
    match counts.binary_search_by(|c| c.version.as_str().cmp(version)) {
        Ok(i) => counts[i].contracts += n,
        Err(i) => counts.insert(i, VersionCount { version: version.to_string(), contracts: n }),
    }
}

fn add_policy(counts: &mut Vec<PolicyCount>, policy: &UpgradePolicy, n: u64) {
    match counts.iter_mut().find(|c| &c.policy == policy) {
        Some(c) => c.contracts += n,
        None => counts.push(PolicyCount { policy: policy.clone(), contracts: n }),
    }
}

impl<M: Memory> Factory<M> {
    /// One page of the fleet summary, from just after `cursor`; `within_budget` is asked before each record after
    /// the first and stops the page when it answers false.
    pub fn fleet_summary_page(
        &self,
        caller: &Caller,
        cursor: Option<Principal>,
        mut within_budget: impl FnMut() -> bool,
    ) -> Result<FleetSummaryPage, FleetError> {
        self.roles.require_release(caller)?;
        let mut page = FleetSummaryPage::default();
        let mut at = cursor;
        loop {
            if page.contracts >= MAX_CONTRACTS_PER_PAGE || (page.contracts > 0 && !within_budget()) {
                page.next_cursor = at;
                return Ok(page);
            }
            let Some(id) = self.contracts.next_id_after(at.as_ref()) else {
                return Ok(page);
            };
            let record = self
                .contracts
                .get(&id)
                .ok_or_else(|| FleetError::Internal(format!("contract {id} is listed without a record")))?;
            page.count(&record);
            at = Some(id);
        }
    }
}

/// The `getFleetSummary` endpoint's body (the canister's state, its caller, its instruction counter).
pub fn get_fleet_summary(cursor: Option<Principal>) -> Result<FleetSummaryPage, FleetError> {
    use crate::FactoryCell;
    let caller = crate::canister::caller();
    crate::canister::CanisterState.with(|f| {
        f.fleet_summary_page(&caller, cursor, || ic_cdk::api::performance_counter(0) < PAGE_INSTRUCTION_BUDGET)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contracts::NewContract;
    use fleet_api::ContractKind;

    fn contract(n: u64) -> Principal {
        let b = n.to_be_bytes();
        Principal::from_slice(&[0, 0, 0, 0, b[4], b[5], b[6], b[7], 1])
    }

    fn admin() -> Caller {
        Caller::new(Principal::from_slice(&[9; 29]), true)
    }

    /// 25 contracts: 10 at 1.0.0, 10 at 1.1.0 (4 of them Auto, 3 Pinned to 1.1.0), 5 at 1.2.0 of which 2 detached.
    fn factory() -> Factory<ic_stable_structures::VectorMemory> {
        let mut f = Factory::open(crate::testing::memory(), ContractKind::Token);
        for n in 0..25u64 {
            let version = match n {
                0..=9 => "1.0.0",
                10..=19 => "1.1.0",
                _ => "1.2.0",
            };
            let new = NewContract {
                id: contract(n),
                owner: Principal::from_slice(&[1; 29]),
                version: version.into(),
                module_hash: vec![7; 32],
                created_at: 5,
                confirmed_at: (n % 2 == 0).then_some(6),
                is_public: true,
                name: "T".into(),
                participants: vec![],
            };
            f.contracts.insert(new).unwrap();
            if n % 2 == 0 {
                f.contracts.confirm(&contract(n), 6).unwrap();
            }
            match n {
                10..=13 => f.contracts.set_policy(&contract(n), UpgradePolicy::Auto),
                14..=16 => f.contracts.set_policy(&contract(n), UpgradePolicy::Pinned("1.1.0".into())),
                23 | 24 => f.contracts.detach(&contract(n)),
                _ => {}
            }
        }
        f
    }

    fn walk(f: &Factory<ic_stable_structures::VectorMemory>, per_page: u64) -> FleetSummary {
        let mut total = FleetSummary::default();
        let mut cursor = None;
        loop {
            let mut left = per_page;
            let page = f
                .fleet_summary_page(&admin(), cursor, || {
                    left -= 1;
                    left > 0
                })
                .unwrap();
            total.add(&page);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return total,
            }
        }
    }

    #[test]
    fn pages_add_up_to_the_fleet_whatever_their_size() {
        let f = factory();
        let whole = walk(&f, u64::MAX);
        assert_eq!(whole.pages, 1);
        assert_eq!((whole.contracts, whole.detached), (25, 2));
        assert_eq!(whole.deploying + whole.active + whole.detached, 25);
        assert_eq!((whole.at_version("1.0.0"), whole.at_version("1.1.0"), whole.at_version("1.2.0")), (10, 10, 3));
        assert_eq!(whole.with_policy(&UpgradePolicy::Auto), 4);
        assert_eq!(whole.with_policy(&UpgradePolicy::Pinned("1.1.0".into())), 3);
        assert_eq!(whole.with_policy(&UpgradePolicy::Manual), 23 - 7);
        let versions: Vec<&str> = whole.by_version.iter().map(|v| v.version.as_str()).collect();
        assert_eq!(versions, ["1.0.0", "1.1.0", "1.2.0"]);
        for per_page in [1, 2, 7, 24, 25, 26] {
            let paged = walk(&f, per_page);
            assert_eq!(FleetSummary { pages: 1, ..paged.clone() }, FleetSummary { pages: 1, ..whole.clone() });
            assert!(paged.pages >= 25u64.div_ceil(per_page), "{per_page} per page: {} pages", paged.pages);
        }
    }

    #[test]
    fn a_page_stops_at_its_budget_but_always_moves_and_strangers_are_refused() {
        let f = factory();
        let page = f.fleet_summary_page(&admin(), None, || false).unwrap();
        assert_eq!((page.contracts, page.next_cursor), (1, Some(contract(0))));
        let last = f.fleet_summary_page(&admin(), Some(contract(24)), || true).unwrap();
        assert_eq!((last.contracts, last.next_cursor), (0, None));
        let stranger = Caller::new(Principal::from_slice(&[3; 29]), false);
        let refused = f.fleet_summary_page(&stranger, None, || true);
        assert!(matches!(refused, Err(FleetError::Unauthorized(_))), "{refused:?}");
        let mut with_release = factory();
        with_release.roles.add(crate::Role::Release, stranger.principal).unwrap();
        assert_eq!(with_release.fleet_summary_page(&stranger, None, || true).unwrap().contracts, 25);
    }
}
