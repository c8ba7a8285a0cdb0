//! Query endpoints: each reads one record or one page (index lookups, never a scan over buyers).

use crate::state;
use candid::Principal;
use fleet_api::{Page, PageRequest};
use ic_cdk::query;
use launchpad_api::{BuyerInfo, ContributionInfo, SaleInfo, TransferInfo};

fn now() -> u64 {
    ic_cdk::api::time()
}

#[query(name = "getSale")]
fn get_sale() -> SaleInfo {
    state::read(|l| l.info(now()))
}

#[query(name = "getBuyer")]
fn get_buyer(buyer: Principal) -> Option<BuyerInfo> {
    state::read(|l| l.buyer_info(buyer, now()))
}

#[query(name = "getBuyers")]
fn get_buyers(page: PageRequest) -> Page<BuyerInfo> {
    state::read(|l| l.buyers_page(page, now()))
}

#[query(name = "getContributions")]
fn get_contributions(page: PageRequest) -> Page<ContributionInfo> {
    state::read(|l| l.contributions_page(page))
}

#[query(name = "getTransfers")]
fn get_transfers(page: PageRequest) -> Page<TransferInfo> {
    state::read(|l| l.transfers_page(page))
}
