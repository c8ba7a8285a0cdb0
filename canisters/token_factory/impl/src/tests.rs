use super::*;
use candid_parser::utils::{service_equal, CandidSource};

#[test]
fn candid_interface_matches_the_did_file() {
    let code = __export_service();
    let did = token_factory_api::DID;
    if let Err(e) = service_equal(CandidSource::Text(did), CandidSource::Text(&code)) {
        panic!("token_factory.did does not match the code ({e}); the code's interface is:\n{code}");
    }
}
