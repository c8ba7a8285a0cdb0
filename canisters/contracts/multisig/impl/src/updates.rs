//! The update endpoints: one line each over `crate::executor`, then the timers re-armed for what the update queued.

use crate::executor;
use crate::ic_runtime::IcRuntime;
use crate::state::CanisterWallet;
use crate::timers;
use ic_cdk::update;
use multisig_api::{BalanceRequest, KnownBalance, ProposalResult, ProposeArgs, Vote};

fn caller() -> candid::Principal {
    ic_cdk::api::msg_caller()
}

#[update]
async fn propose(args: ProposeArgs) -> ProposalResult {
    let result = executor::propose(&IcRuntime, &CanisterWallet, caller(), args).await;
    timers::arm();
    result
}

#[update]
async fn approve(id: u64) -> ProposalResult {
    let result = executor::vote(&IcRuntime, &CanisterWallet, caller(), id, Vote::Approve).await;
    timers::arm();
    result
}

#[update]
async fn reject(id: u64) -> ProposalResult {
    let result = executor::vote(&IcRuntime, &CanisterWallet, caller(), id, Vote::Reject).await;
    timers::arm();
    result
}

#[update]
async fn execute(id: u64) -> ProposalResult {
    let result = executor::execute(&IcRuntime, &CanisterWallet, caller(), id).await;
    timers::arm();
    result
}

#[update(name = "refreshBalance")]
async fn refresh_balance(request: BalanceRequest) -> Result<KnownBalance, fleet_api::FleetError> {
    executor::refresh_balance(&IcRuntime, &CanisterWallet, caller(), request).await
}
