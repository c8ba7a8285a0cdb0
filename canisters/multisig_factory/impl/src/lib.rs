//! The multisig factory: the factory engine with the multisig contract kind. Everything else (registry, deploy, indexes,
//! callbacks, health, reconciliation) is the engine's.

use candid::Principal;
use fleet_api::{ContractInit, ContractKind, FleetError};
use multisig_api::MultisigArgs;

pub struct MultisigFactory;

impl factory_engine::ContractKindSpec for MultisigFactory {
    type Args = MultisigArgs;
    const KIND: ContractKind = ContractKind::Multisig;

    fn validate(init: &ContractInit<MultisigArgs>) -> Result<(), FleetError> {
        multisig_api::validate_init(init)
    }

    fn display_name(args: &MultisigArgs) -> String {
        format!("{} ({}-of-{} multisig)", args.name, args.threshold, args.signers.len())
    }

    fn initial_participants(args: &MultisigArgs) -> Vec<Principal> {
        args.signers.clone()
    }

    /// A wallet is private: it is listed to its owner and its signers only (the owner may publish it).
    fn is_public(_args: &MultisigArgs) -> bool {
        false
    }
}

factory_engine::factory_canister!(MultisigFactory, multisig_api::MultisigArgs);

ic_cdk::export_candid!();

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "// Generated from the code by `FLEET_BLESS_DID=1 cargo test -p multisig_factory candid`: do not edit.\n\
        // The shared factory endpoints are documented in token_factory.did and canisters/libs/factory_engine/README.md;\n\
        // createContract takes the multisig contract's MultisigArgs (see canisters/contracts/multisig/api/multisig.did).\n";

    #[test]
    fn candid_interface_matches_the_generated_did_file() {
        did_check::bless_or_check(env!("CARGO_MANIFEST_DIR"), "../api/multisig_factory.did", HEADER, &__export_service());
    }

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_the_did() {
        did_check::assert_ingress_covers_updates(factory_engine::canister::INGRESS, multisig_factory_api::DID);
    }
}
