use crate::state;
use candid::Nat;
use ic_cdk::update;
use token_api::{TransferFromArgs, TransferFromError};

#[update]
fn icrc2_transfer_from(args: TransferFromArgs) -> Result<Nat, TransferFromError> {
    let (caller, now) = (ic_cdk::api::msg_caller(), ic_cdk::api::time());
    let index = state::mutate(|l| l.transfer_from(caller, &args, now))?;
    crate::block_catch_up::certify_tip();
    Ok(Nat::from(index))
}
