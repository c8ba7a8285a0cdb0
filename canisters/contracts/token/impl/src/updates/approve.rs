use crate::state;
use candid::Nat;
use ic_cdk::update;
use token_api::{ApproveArgs, ApproveError};

#[update]
fn icrc2_approve(args: ApproveArgs) -> Result<Nat, ApproveError> {
    let (caller, now) = (ic_cdk::api::msg_caller(), ic_cdk::api::time());
    let index = state::mutate(|l| l.approve(caller, &args, now))?;
    crate::block_catch_up::certify_tip();
    Ok(Nat::from(index))
}
