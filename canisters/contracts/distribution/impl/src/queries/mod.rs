//! Query endpoints: each reads one record or one page (index lookups, never a scan over recipients).

use crate::state;
use candid::Principal;
use distribution_api::{DistributionInfo, RecipientInfo, TransferInfo};
use fleet_api::{Page, PageRequest};
use ic_cdk::query;

fn now() -> u64 {
    ic_cdk::api::time()
}

#[query(name = "getDistribution")]
fn get_distribution() -> DistributionInfo {
    state::read(|d| d.info(now()))
}

#[query(name = "getRecipient")]
fn get_recipient(recipient: Principal) -> Option<RecipientInfo> {
    state::read(|d| d.recipient(&recipient, now()))
}

#[query(name = "getRecipients")]
fn get_recipients(page: PageRequest) -> Page<RecipientInfo> {
    state::read(|d| d.recipients_page(page, now()))
}

#[query(name = "getTransfers")]
fn get_transfers(page: PageRequest) -> Page<TransferInfo> {
    state::read(|d| d.transfers_page(page))
}
