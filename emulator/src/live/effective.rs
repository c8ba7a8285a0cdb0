//! The effective canister id of a call or query (interface specification, "Effective canister id"), checked
//! against the id in the URL.

use candid::types::value::{IDLField, IDLValue};
use candid::types::Label;
use candid::{IDLArgs, Principal};

use super::reply::HttpError;

/// The id a request must be sent to, if the request determines one: the callee itself, or for the management
/// canister the `canister_id` (`target_canister` for `install_chunked_code`) of its candid argument. `None` when
/// any id will do (`provisional_create_canister_with_cycles`) or the argument names no canister (the emulated IC
/// then rejects the call on its own terms).
pub fn effective_canister_id(canister_id: Principal, method: &str, arg: &[u8]) -> Option<Principal> {
    if canister_id != Principal::management_canister() {
        return Some(canister_id);
    }
    match method {
        "provisional_create_canister_with_cycles" => None,
        "install_chunked_code" => principal_field(arg, "target_canister"),
        _ => principal_field(arg, "canister_id"),
    }
}

/// Refuses a request whose effective canister id is not the one in the URL (400, the replica's wording).
pub fn check_effective_canister_id(
    canister_id: Principal,
    method: &str,
    arg: &[u8],
    url_id: Principal,
) -> Result<(), HttpError> {
    match effective_canister_id(canister_id, method, arg) {
        Some(effective) if effective != url_id => Err(HttpError::bad_request(format!(
            "Specified CanisterId {effective} does not match effective canister id in URL {url_id}"
        ))),
        _ => Ok(()),
    }
}

/// The principal in field `name` of the first argument, when that argument is a record.
fn principal_field(arg: &[u8], name: &str) -> Option<Principal> {
    let args = IDLArgs::from_bytes(arg).ok()?;
    let IDLValue::Record(fields) = args.args.into_iter().next()? else { return None };
    let wanted = candid::idl_hash(name);
    fields.into_iter().find_map(|IDLField { id, val }| {
        let matches = match &id {
            Label::Named(n) => n == name,
            Label::Id(hash) | Label::Unnamed(hash) => hash == &wanted,
        };
        match (matches, val) {
            (true, IDLValue::Principal(p)) => Some(p),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{CandidType, Encode};

    #[derive(CandidType)]
    struct Arg {
        canister_id: Principal,
        other: u8,
    }

    #[derive(CandidType)]
    struct Chunked {
        target_canister: Principal,
        store_canister: Option<Principal>,
    }

    #[test]
    fn the_effective_id_is_the_callee_or_the_management_argument() {
        let a = Principal::from_slice(&[1, 1]);
        let b = Principal::from_slice(&[2, 1]);
        let mgmt = Principal::management_canister();
        assert_eq!(effective_canister_id(a, "anything", b"garbage"), Some(a));
        let arg = Encode!(&Arg { canister_id: b, other: 3 }).unwrap();
        assert_eq!(effective_canister_id(mgmt, "canister_status", &arg), Some(b));
        let chunked = Encode!(&Chunked { target_canister: a, store_canister: Some(b) }).unwrap();
        assert_eq!(effective_canister_id(mgmt, "install_chunked_code", &chunked), Some(a));
        assert_eq!(effective_canister_id(mgmt, "provisional_create_canister_with_cycles", &arg), None);
        assert_eq!(effective_canister_id(mgmt, "raw_rand", &Encode!().unwrap()), None);
        assert_eq!(effective_canister_id(mgmt, "canister_status", b"not candid"), None);
        assert!(check_effective_canister_id(mgmt, "canister_status", &arg, b).is_ok());
        let refused = check_effective_canister_id(mgmt, "canister_status", &arg, a).unwrap_err();
        assert_eq!(refused.status, 400);
        assert!(refused.message.contains(&b.to_text()) && refused.message.contains(&a.to_text()));
    }
}
