//! Test helpers every canister crate shares (a dev-dependency): the `.did` file must be the interface the code
//! exports, and the `inspect_message` table must list exactly the `.did`'s update methods (so that a new endpoint
//! cannot be left unreachable, or unfiltered).

use candid_parser::utils::{service_equal, CandidSource};
use fleet_api::ingress::IngressRule;
use std::collections::BTreeSet;

/// Panics, showing the code's interface, unless `did` (the file `name`) declares the service `code` exports.
pub fn assert_did_matches_code(name: &str, code: &str, did: &str) {
    service_equal(CandidSource::Text(code), CandidSource::Text(did))
        .unwrap_or_else(|e| panic!("{name} differs from the code: {e}\n--- code's interface:\n{code}"));
}

/// The update methods (everything but queries and composite queries) of a `.did` service, by name.
pub fn update_methods_of(did: &str) -> BTreeSet<String> {
    let (env, actor) = CandidSource::Text(did).load().expect("the .did parses");
    let actor = actor.expect("the .did declares a service");
    let service = env.as_service(&actor).expect("a service type");
    service
        .iter()
        .filter(|(_, method)| !env.as_func(method).expect("a method is a function").is_query())
        .map(|(name, _)| name.clone())
        .collect()
}

/// Panics unless `rules` name every update method of `did` exactly once, and nothing else.
pub fn assert_ingress_covers_updates(rules: &[IngressRule], did: &str) {
    let table: BTreeSet<String> = rules.iter().map(|rule| rule.method.to_string()).collect();
    assert_eq!(table.len(), rules.len(), "a method is listed twice in the ingress table");
    assert_eq!(table, update_methods_of(did), "the ingress table and the .did's update methods differ");
}
