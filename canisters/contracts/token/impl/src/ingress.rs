//! Which ingress messages the token accepts, checked by `canister_inspect_message` before a message is charged to
//! the canister or decoded (see `fleet_api::ingress`). Every update moves or commits the caller's own funds, so each
//! needs a signed caller: the anonymous principal holds nothing it could sign for. Inter-canister calls (a backend's
//! `icrc2_transfer_from`) never pass through this filter, and each endpoint's own checks stay the authorization.

use fleet_api::ingress::{IngressRule, SMALL_ARG};

/// Every update method of `token.did`. Arguments are a few accounts, amounts and a memo of at most 256 bytes.
pub const INGRESS: &[IngressRule] = &[
    IngressRule::signed("icrc1_transfer", SMALL_ARG),
    IngressRule::signed("icrc2_approve", SMALL_ARG),
    IngressRule::signed("icrc2_transfer_from", SMALL_ARG),
];

fleet_api::ingress_filter!(INGRESS);

#[cfg(test)]
mod tests {
    use super::INGRESS;
    use candid::Principal;
    use fleet_api::ingress::{check_ingress, IngressRefusal, SMALL_ARG};

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_token_did() {
        did_check::assert_ingress_covers_updates(INGRESS, include_str!("../../api/token.did"));
    }

    #[test]
    fn the_anonymous_principal_cannot_move_funds_and_arguments_stay_small() {
        let user = Principal::from_slice(&[1; 29]);
        for rule in INGRESS {
            assert_eq!(
                check_ingress(INGRESS, rule.method, Principal::anonymous(), 100),
                Err(IngressRefusal::Anonymous(rule.method.into()))
            );
            assert_eq!(check_ingress(INGRESS, rule.method, user, SMALL_ARG), Ok(()));
            assert!(matches!(
                check_ingress(INGRESS, rule.method, user, SMALL_ARG + 1),
                Err(IngressRefusal::ArgumentTooLarge { .. })
            ));
        }
        assert!(matches!(check_ingress(INGRESS, "icrc1_balance_of", user, 10), Err(IngressRefusal::UnknownMethod(_))));
    }
}
