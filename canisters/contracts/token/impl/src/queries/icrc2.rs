use crate::state;
use ic_cdk::query;
use token_api::{Allowance, AllowanceArgs};

#[query]
fn icrc2_allowance(args: AllowanceArgs) -> Allowance {
    state::read(|l| l.allowance(&args, ic_cdk::api::time()))
}
