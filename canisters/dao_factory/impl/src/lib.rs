//! The DAO factory: the factory engine with the DAO contract kind. Everything else (registry, deploy, indexes,
//! callbacks, health, reconciliation) is the engine's.

use dao_api::DaoArgs;
use fleet_api::{ContractInit, ContractKind, FleetError};

pub struct DaoFactory;

impl factory_engine::ContractKindSpec for DaoFactory {
    type Args = DaoArgs;
    const KIND: ContractKind = ContractKind::Dao;

    fn validate(init: &ContractInit<DaoArgs>) -> Result<(), FleetError> {
        dao_api::validate_init(init)
    }

    fn display_name(args: &DaoArgs) -> String {
        format!("{} (DAO)", args.name)
    }

    /// A DAO starts with no members: each is reported by the contract when their first stake arrives.
    fn initial_participants(_args: &DaoArgs) -> Vec<candid::Principal> {
        Vec::new()
    }

    /// A DAO is public: anyone may find it and stake.
    fn is_public(_args: &DaoArgs) -> bool {
        true
    }
}

factory_engine::factory_canister!(DaoFactory, dao_api::DaoArgs);

ic_cdk::export_candid!();

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "// Generated from the code by `FLEET_BLESS_DID=1 cargo test -p dao_factory candid`: do not edit.\n\
        // The shared factory endpoints are documented in token_factory.did and canisters/libs/factory_engine/README.md;\n\
        // createContract takes the DAO contract's DaoArgs (see canisters/contracts/dao/api/dao.did).\n";

    #[test]
    fn candid_interface_matches_the_generated_did_file() {
        did_check::bless_or_check(env!("CARGO_MANIFEST_DIR"), "../api/dao_factory.did", HEADER, &__export_service());
    }

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_the_did() {
        did_check::assert_ingress_covers_updates(factory_engine::canister::INGRESS, dao_factory_api::DID);
    }

    #[test]
    fn the_factory_refuses_what_the_contract_would_refuse() {
        let args = DaoArgs {
            name: "Guild".into(),
            governance_token: candid::Principal::anonymous(),
            parameters: dao_api::DaoParameters {
                voting_period_seconds: 3_600,
                quorum_basis_points: 1_000,
                approval_threshold_basis_points: 5_000,
                min_stake_to_propose: candid::Nat::from(0u8),
                locks: vec![dao_api::LockOption { duration_seconds: 0, multiplier_basis_points: 10_000 }],
            },
        };
        let owner = candid::Principal::from_slice(&[1; 29]);
        let init = ContractInit { factory: None, owner, version: "1.0.0".into(), args };
        assert!(matches!(
            <DaoFactory as factory_engine::ContractKindSpec>::validate(&init),
            Err(FleetError::InvalidInput(t)) if t.starts_with("governance_token")
        ));
        let good = ContractInit { args: DaoArgs { governance_token: owner, ..init.args.clone() }, ..init };
        <DaoFactory as factory_engine::ContractKindSpec>::validate(&good).unwrap();
    }
}
