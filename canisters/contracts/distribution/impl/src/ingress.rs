//! Which ingress messages the distribution accepts, checked by `canister_inspect_message` before a message is
//! charged to the canister or decoded (see `fleet_api::ingress`). Every update is the owner's or a recipient's, and
//! the anonymous principal is neither. Each endpoint's own checks stay the authorization.

use fleet_api::ingress::{IngressRule, SMALL_ARG};

/// A batch of `addRecipients`: 1,000 principals (up to 29 bytes) with amounts, plus candid framing.
pub const RECIPIENT_BATCH_ARG: usize = 64 * 1024;

/// Every update method of `distribution.did`.
pub const INGRESS: &[IngressRule] = &[
    IngressRule::signed("addRecipients", RECIPIENT_BATCH_ARG),
    IngressRule::signed("checkFunding", SMALL_ARG),
    IngressRule::signed("claim", SMALL_ARG),
    IngressRule::signed("cancel", SMALL_ARG),
    IngressRule::signed("withdrawSurplus", SMALL_ARG),
];

fleet_api::ingress_filter!(INGRESS);

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{Encode, Nat, Principal};
    use fleet_api::ingress::check_ingress;

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_distribution_did() {
        did_check::assert_ingress_covers_updates(INGRESS, distribution_api::DID);
    }

    #[test]
    fn the_anonymous_principal_is_refused_and_a_full_batch_fits() {
        contract_runtime::testing::assert_signed_and_bounded(INGRESS, "health");
        let user = Principal::from_slice(&[1; 29]);
        let batch: Vec<(Principal, Nat)> = (0..distribution_api::MAX_RECIPIENTS_PER_BATCH as u32)
            .map(|i| {
                let mut bytes = [0xAB; 29];
                bytes[..4].copy_from_slice(&i.to_be_bytes());
                (Principal::from_slice(&bytes), Nat::from(u128::MAX))
            })
            .collect();
        let size = Encode!(&batch).expect("encodes").len();
        assert_eq!(check_ingress(INGRESS, "addRecipients", user, size), Ok(()), "{size} bytes");
    }
}
