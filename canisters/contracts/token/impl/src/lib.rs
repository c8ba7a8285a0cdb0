//! The token contract: an ICRC-1 + ICRC-2 ledger with an ICRC-3 block log (ICRC-10 standards list) and a paginated
//! transaction log, running on the contract runtime (owner, factory, version, migrations, `health`). The logic is in `ledger`, plain Rust over
//! stable structures; the endpoint files are one line each.

mod block_catch_up;
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
        Account, Allowance, AllowanceArgs, ApproveArgs, ApproveError, GetArchivesArgs, GetArchivesResult,
        GetBlocksRequest, GetBlocksResult, GetTransactionsRequest, GetTransactionsResponse, ICRC3DataCertificate,
        MetadataValue, StandardRecord, SupportedBlockType, TokenInit, TransferArg, TransferError, TransferFromArgs,
        TransferFromError,
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

    /// `release cut` reads the schema from `[package.metadata.fleet] schema`; the code reports `SPEC.schema_version`.
    #[test]
    fn the_manifest_declares_the_schema_the_code_writes() {
        let declared = format!("schema = {}", crate::SPEC.schema_version);
        assert!(
            include_str!("../Cargo.toml").lines().any(|line| line.trim() == declared),
            "Cargo.toml lacks `{declared}`"
        );
    }

    /// Callers of the released 1.0.0 keep working: only additions (candid's service subtyping).
    #[test]
    fn token_did_is_backward_compatible_with_the_released_1_0_0() {
        use candid_parser::utils::{service_compatible, CandidSource};
        let released = include_str!("../../../../../wasm-registry/token/1.0.0/token.did");
        service_compatible(CandidSource::Text(include_str!("../../api/token.did")), CandidSource::Text(released))
            .unwrap_or_else(|e| panic!("token.did breaks callers of 1.0.0: {e}"));
    }
}
