//! The launchpad factory: the factory engine with the launchpad contract kind. Everything else (registry, deploy,
//! indexes, callbacks, health, reconciliation) is the engine's.

use fleet_api::{ContractInit, ContractKind, FleetError};
use launchpad_api::LaunchpadArgs;

pub struct LaunchpadFactory;

impl factory_engine::ContractKindSpec for LaunchpadFactory {
    type Args = LaunchpadArgs;
    const KIND: ContractKind = ContractKind::Launchpad;

    /// The contract's own checks, and its window against the factory's clock: a sale that already started is
    /// refused before a canister is taken for it.
    fn validate(init: &ContractInit<LaunchpadArgs>) -> Result<(), FleetError> {
        launchpad_api::validate_init(init)?;
        // Native builds (this crate's tests) have no IC clock; the contract checks the window again at install.
        #[cfg(target_family = "wasm")]
        launchpad_api::validate_window(&init.args, ic_cdk::api::time())?;
        Ok(())
    }

    fn display_name(args: &LaunchpadArgs) -> String {
        args.name.clone()
    }

    /// A sale starts with no buyers: each is reported by the contract when their first contribution settles (the
    /// allow-list is who may buy, not who takes part).
    fn initial_participants(_args: &LaunchpadArgs) -> Vec<candid::Principal> {
        Vec::new()
    }

    /// A sale is public: anyone may find it.
    fn is_public(_args: &LaunchpadArgs) -> bool {
        true
    }
}

factory_engine::factory_canister!(LaunchpadFactory, launchpad_api::LaunchpadArgs);

ic_cdk::export_candid!();

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "// Generated from the code by `FLEET_BLESS_DID=1 cargo test -p launchpad_factory candid`: do not edit.\n\
        // The shared factory endpoints are documented in token_factory.did and canisters/libs/factory_engine/README.md;\n\
        // createContract takes the launchpad contract's LaunchpadArgs (see canisters/contracts/launchpad/api/launchpad.did).\n";

    #[test]
    fn candid_interface_matches_the_generated_did_file() {
        did_check::bless_or_check(
            env!("CARGO_MANIFEST_DIR"),
            "../api/launchpad_factory.did",
            HEADER,
            &__export_service(),
        );
    }

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_the_did() {
        did_check::assert_ingress_covers_updates(factory_engine::canister::INGRESS, launchpad_factory_api::DID);
    }
}
