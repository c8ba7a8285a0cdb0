use super::*;

const HEADER: &str = "// Generated from the code by `FLEET_BLESS_DID=1 cargo test -p token_factory candid`: do not edit.\n\
    // Every factory shares these endpoints (canisters/libs/factory_engine); createContract takes the token's TokenArgs.\n";

#[test]
fn candid_interface_matches_the_generated_did_file() {
    did_check::bless_or_check(env!("CARGO_MANIFEST_DIR"), "../api/token_factory.did", HEADER, &__export_service());
}

#[test]
fn the_ingress_table_lists_exactly_the_update_methods_of_the_did() {
    did_check::assert_ingress_covers_updates(factory_engine::canister::INGRESS, token_factory_api::DID);
}

#[test]
fn ingress_refuses_anonymous_callers_and_oversized_arguments() {
    use fleet_api::ingress::{check_ingress, IngressRefusal, CHUNK_ARG, MEDIUM_ARG};
    let rules = factory_engine::canister::INGRESS;
    let user = candid::Principal::from_slice(&[9; 29]);
    let anonymous = candid::Principal::anonymous();
    assert!(matches!(check_ingress(rules, "createContract", anonymous, 10), Err(IngressRefusal::Anonymous(_))));
    assert_eq!(check_ingress(rules, "createContract", user, MEDIUM_ARG), Ok(()));
    let big = check_ingress(rules, "createContract", user, MEDIUM_ARG + 1);
    assert!(matches!(big, Err(IngressRefusal::ArgumentTooLarge { .. })));
    assert_eq!(check_ingress(rules, "uploadChunk", user, CHUNK_ARG), Ok(()));
    assert!(check_ingress(rules, "setupWhitelist", user, MEDIUM_ARG).is_err());
    // Queries are not update methods: an update call to one is refused.
    assert!(check_ingress(rules, "getDeploymentRequest", user, 10).is_err());
}
