//! Which ingress messages the token accepts, checked by `canister_inspect_message` before a message is charged to
//! the canister or decoded (see `fleet_api::ingress`). Every update moves or commits the caller's own funds, so each
//! needs a signed caller: the anonymous principal holds nothing it could sign for. Inter-canister calls (a backend's
//! `icrc2_transfer_from`) never pass through this filter, and each endpoint's own checks stay the authorization.

use fleet_api::ingress::{check_ingress, IngressRule, SMALL_ARG};

/// Every update method of `token.did`. Arguments are a few accounts, amounts and a memo of at most 256 bytes.
pub const INGRESS: &[IngressRule] = &[
    IngressRule::signed("icrc1_transfer", SMALL_ARG),
    IngressRule::signed("icrc2_approve", SMALL_ARG),
    IngressRule::signed("icrc2_transfer_from", SMALL_ARG),
];

/// Accepts the message only when [`INGRESS`] allows its method, caller and argument size; otherwise traps with the
/// reason, which the IC hands back to the sender (nothing is executed or charged).
#[ic_cdk::inspect_message]
fn inspect_message() {
    let method = ic_cdk::api::msg_method_name();
    match check_ingress(INGRESS, &method, ic_cdk::api::msg_caller(), ic_cdk::api::msg_arg_data().len()) {
        Ok(()) => ic_cdk::api::accept_message(),
        Err(refusal) => ic_cdk::trap(format!("ingress refused: {refusal}")),
    }
}

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
