//! The update endpoints: one line each over `crate::executor`, then the timers re-armed for what the update queued.

use crate::executor;
use crate::ic_runtime::IcRuntime;
use crate::state::CanisterDao;
use crate::timers;
use dao_api::{ProposalResult, ProposeArgs, StakeArgs, StakeResult, VoteArgs};
use ic_cdk::update;

fn caller() -> candid::Principal {
    ic_cdk::api::msg_caller()
}

#[update]
async fn stake(args: StakeArgs) -> StakeResult {
    let result = executor::stake(&IcRuntime, &CanisterDao, caller(), args).await;
    timers::arm();
    result
}

#[update]
async fn unstake(id: u64) -> StakeResult {
    executor::unstake(&IcRuntime, &CanisterDao, caller(), id).await
}

#[update(name = "settleStake")]
async fn settle_stake(id: u64) -> StakeResult {
    let result = executor::settle_stake(&IcRuntime, &CanisterDao, caller(), id).await;
    timers::arm();
    result
}

#[update]
fn propose(args: ProposeArgs) -> ProposalResult {
    let result = executor::propose(&IcRuntime, &CanisterDao, caller(), args);
    timers::arm();
    result
}

#[update]
fn vote(args: VoteArgs) -> ProposalResult {
    let result = executor::vote(&IcRuntime, &CanisterDao, caller(), args);
    timers::arm();
    result
}

#[update]
async fn execute(id: u64) -> ProposalResult {
    let result = executor::execute(&IcRuntime, &CanisterDao, caller(), id).await;
    timers::arm();
    result
}
