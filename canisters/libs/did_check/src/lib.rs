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

/// For a `.did` generated from the code: with `FLEET_BLESS_DID=1` in the environment, (re)writes `path` (relative to
/// the calling crate's manifest dir, `manifest_dir`) with `header` and the code's interface; otherwise panics, naming
/// the command that rewrites it, unless the file declares the service `code` exports.
///
/// `FLEET_BLESS_DID=1 cargo test -p <factory> candid` is the one command that refreshes such a file.
pub fn bless_or_check(manifest_dir: &str, path: &str, header: &str, code: &str) {
    let file = std::path::Path::new(manifest_dir).join(path);
    if std::env::var("FLEET_BLESS_DID").is_ok_and(|v| v == "1") {
        std::fs::write(&file, format!("{header}{code}")).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
        return;
    }
    let did = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    if let Err(e) = service_equal(CandidSource::Text(code), CandidSource::Text(&did)) {
        panic!(
            "{} is stale ({e}): it is generated from the code; run `FLEET_BLESS_DID=1 cargo test -p <crate> candid` and \
             commit the result",
            file.display()
        );
    }
}
