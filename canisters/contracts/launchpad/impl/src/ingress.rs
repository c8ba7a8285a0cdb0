//! Which ingress messages the launchpad accepts, checked by `canister_inspect_message` before a message is charged to
//! the canister or decoded (see `fleet_api::ingress`). Every update is the owner's or a buyer's, and the anonymous
//! principal is neither. Each endpoint's own checks stay the authorization.

use fleet_api::ingress::{IngressRule, SMALL_ARG};

/// A batch of `addToAllowList`: 1,000 principals (up to 29 bytes each) plus candid framing.
pub const ALLOW_LIST_BATCH_ARG: usize = 48 * 1024;

/// Every update method of `launchpad.did`.
pub const INGRESS: &[IngressRule] = &[
    IngressRule::signed("checkFunding", SMALL_ARG),
    IngressRule::signed("addToAllowList", ALLOW_LIST_BATCH_ARG),
    IngressRule::signed("contribute", SMALL_ARG),
    IngressRule::signed("claim", SMALL_ARG),
];

fleet_api::ingress_filter!(INGRESS);

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{Encode, Principal};
    use fleet_api::ingress::check_ingress;

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_launchpad_did() {
        did_check::assert_ingress_covers_updates(INGRESS, launchpad_api::DID);
    }

    #[test]
    fn the_anonymous_principal_is_refused_and_a_full_batch_fits() {
        contract_runtime::testing::assert_signed_and_bounded(INGRESS, "health");
        let user = Principal::from_slice(&[1; 29]);
        let batch: Vec<Principal> = (0..launchpad_api::MAX_PRINCIPALS_PER_BATCH as u32)
            .map(|i| {
                let mut bytes = [0xAB; 29];
                bytes[..4].copy_from_slice(&i.to_be_bytes());
                Principal::from_slice(&bytes)
            })
            .collect();
        let size = Encode!(&batch).expect("encodes").len();
        assert_eq!(check_ingress(INGRESS, "addToAllowList", user, size), Ok(()), "{size} bytes");
    }
}
