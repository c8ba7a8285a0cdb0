//! Update endpoints: one line of logic each, then the timers the books now need.

use crate::flows;
use crate::runtime::IcRuntime;
use crate::state::{CanisterState, LaunchpadCell};
use crate::timers;
use candid::{Nat, Principal};
use fleet_api::FleetError;
use ic_cdk::update;
use launchpad_api::{ContributionInfo, FundingReport, TransferInfo};

fn caller() -> Principal {
    ic_cdk::api::msg_caller()
}

#[update(name = "checkFunding")]
async fn check_funding() -> Result<FundingReport, FleetError> {
    let report = flows::check_funding(&CanisterState, &IcRuntime, caller()).await;
    timers::arm_all();
    report
}

#[update(name = "addToAllowList")]
fn add_to_allow_list(principals: Vec<Principal>) -> Result<u64, FleetError> {
    let owner = contract_runtime::runtime::owner();
    CanisterState.with(|l| l.add_to_allow_list(caller(), owner, &principals, ic_cdk::api::time()))
}

#[update]
async fn contribute(amount: Nat) -> Result<ContributionInfo, FleetError> {
    let result = flows::contribute(&CanisterState, &IcRuntime, caller(), amount).await;
    timers::arm_all();
    result
}

#[update]
async fn claim() -> Result<TransferInfo, FleetError> {
    let result = flows::claim(&CanisterState, &IcRuntime, caller()).await;
    timers::arm_all();
    result
}
