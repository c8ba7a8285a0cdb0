use super::*;
use candid_parser::utils::{service_equal, CandidSource};
use std::collections::BTreeSet;

#[test]
fn candid_interface_matches_the_did_file() {
    let code = __export_service();
    let did = token_factory_api::DID;
    if let Err(e) = service_equal(CandidSource::Text(did), CandidSource::Text(&code)) {
        panic!("token_factory.did does not match the code ({e}); the code's interface is:\n{code}");
    }
}

/// The update methods (not queries) `did` declares.
fn update_methods_of(did: &str) -> BTreeSet<String> {
    let (env, actor) = CandidSource::Text(did).load().expect("token_factory.did parses");
    let actor = actor.expect("token_factory.did declares a service");
    let service = env.as_service(&actor).expect("a service type");
    service
        .iter()
        .filter(|(_, method)| !env.as_func(method).expect("a method is a function").is_query())
        .map(|(name, _)| name.clone())
        .collect()
}

#[test]
fn the_ingress_table_lists_exactly_the_update_methods_of_the_did() {
    let table: BTreeSet<String> = factory_engine::canister::INGRESS.iter().map(|r| r.method.to_string()).collect();
    assert_eq!(table.len(), factory_engine::canister::INGRESS.len(), "a method is listed twice");
    assert_eq!(table, update_methods_of(token_factory_api::DID));
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
