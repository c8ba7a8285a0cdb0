use crate::state;
use candid::Nat;
use ic_cdk::update;
use token_api::{TransferArg, TransferError};

#[update]
fn icrc1_transfer(arg: TransferArg) -> Result<Nat, TransferError> {
    let (caller, now) = (ic_cdk::api::msg_caller(), ic_cdk::api::time());
    let index = state::mutate(|l| l.transfer(caller, &arg, now))?;
    crate::block_catch_up::certify_tip();
    Ok(Nat::from(index))
}
