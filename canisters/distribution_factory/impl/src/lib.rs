//! The distribution factory: the factory engine with the distribution contract kind. Everything else (registry, deploy, indexes,
//! callbacks, health, reconciliation) is the engine's.

use candid::Principal;
use fleet_api::{ContractInit, ContractKind, FleetError};
use distribution_api::DistributionArgs;

pub struct DistributionFactory;

impl factory_engine::ContractKindSpec for DistributionFactory {
    type Args = DistributionArgs;
    const KIND: ContractKind = ContractKind::Distribution;

    fn validate(init: &ContractInit<DistributionArgs>) -> Result<(), FleetError> {
        distribution_api::validate_init(init)
    }

    fn display_name(args: &DistributionArgs) -> String {
        args.name.clone()
    }

    fn initial_participants(args: &DistributionArgs) -> Vec<Principal> {
        args.recipients.iter().map(|(recipient, _)| *recipient).collect()
    }

    /// A distribution is public: anyone may look it up.
    fn is_public(_args: &DistributionArgs) -> bool {
        true
    }
}

factory_engine::factory_canister!(DistributionFactory, distribution_api::DistributionArgs);

ic_cdk::export_candid!();

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "// Generated from the code by `FLEET_BLESS_DID=1 cargo test -p distribution_factory candid`: do not edit.\n\
        // The shared factory endpoints are documented in token_factory.did and canisters/libs/factory_engine/README.md;\n\
        // createContract takes the distribution contract's DistributionArgs (see canisters/contracts/distribution/api/distribution.did).\n";

    #[test]
    fn candid_interface_matches_the_generated_did_file() {
        did_check::bless_or_check(env!("CARGO_MANIFEST_DIR"), "../api/distribution_factory.did", HEADER, &__export_service());
    }

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_the_did() {
        did_check::assert_ingress_covers_updates(factory_engine::canister::INGRESS, distribution_factory_api::DID);
    }
}
