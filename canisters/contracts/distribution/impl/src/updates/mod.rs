//! Update endpoints: one line of logic each, then the timers the books now need.

use crate::flows;
use crate::runtime::IcRuntime;
use crate::state::{CanisterState, DistributionCell};
use crate::timers;
use candid::{Nat, Principal};
use distribution_api::{AddRecipientsReport, FundingReport, TransferInfo};
use fleet_api::FleetError;
use ic_cdk::update;

fn caller() -> Principal {
    ic_cdk::api::msg_caller()
}

#[update(name = "addRecipients")]
fn add_recipients(batch: Vec<(Principal, Nat)>) -> Result<AddRecipientsReport, FleetError> {
    let owner = contract_runtime::runtime::owner();
    let report = CanisterState.with(|d| d.add_recipients(caller(), owner, &batch));
    timers::arm_all();
    report
}

#[update(name = "checkFunding")]
async fn check_funding() -> Result<FundingReport, FleetError> {
    let report = flows::check_funding(&CanisterState, &IcRuntime, caller()).await;
    timers::arm_all();
    report
}

#[update]
async fn claim() -> Result<TransferInfo, FleetError> {
    let result = flows::claim(&CanisterState, &IcRuntime, caller()).await;
    timers::arm_all();
    result
}

#[update]
async fn cancel() -> Result<Option<TransferInfo>, FleetError> {
    let result = flows::cancel(&CanisterState, &IcRuntime, caller()).await;
    timers::arm_all();
    result
}

#[update(name = "withdrawSurplus")]
async fn withdraw_surplus() -> Result<TransferInfo, FleetError> {
    let result = flows::withdraw_surplus(&CanisterState, &IcRuntime, caller()).await;
    timers::arm_all();
    result
}
