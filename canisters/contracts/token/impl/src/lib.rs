//! The token contract: an ICRC-1 + ICRC-2 ledger (ICRC-10 standards list) with a paginated transaction log, running
//! on the contract runtime (owner, factory, version, migrations, `health`). The logic is in `ledger`, plain Rust over
//! stable structures; the endpoint files are one line each.

mod ingress;
pub mod ledger;
mod lifecycle;
pub mod memory;
mod queries;
mod state;
mod updates;

pub use lifecycle::{MIGRATIONS, SPEC};

/// The version of this contract code, as the factory's registry names it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn kind_status() -> Result<String, String> {
    state::read(|l| l.status())
}

contract_runtime::contract_queries!(SPEC, kind_status);

// `export_candid!` resolves the types of every endpoint signature from the crate root.
#[allow(unused_imports)]
use {
    candid::Nat,
    fleet_api::ContractUpgrade,
    token_api::{
        Account, Allowance, AllowanceArgs, ApproveArgs, ApproveError, GetTransactionsRequest, GetTransactionsResponse,
        MetadataValue, StandardRecord, TokenInit, TransferArg, TransferError, TransferFromArgs, TransferFromError,
    },
};

ic_cdk::export_candid!();

#[cfg(test)]
mod did_tests {
    #[test]
    fn the_code_implements_exactly_token_did() {
        did_check::assert_did_matches_code(
            "token.did",
            &super::__export_service(),
            include_str!("../../api/token.did"),
        );
    }
}
