//! Which ingress messages the DAO accepts, checked by `canister_inspect_message` before a message is charged to the
//! canister or decoded (see `fleet_api::ingress`). No update is the anonymous principal's; every argument is small
//! (a proposal carries at most a 4,096-character motion or a parameter set). Each endpoint's own checks stay the
//! authorization.

use fleet_api::ingress::{IngressRule, SMALL_ARG};

/// Every update method of `dao.did`.
pub const INGRESS: &[IngressRule] = &[
    IngressRule::signed("stake", SMALL_ARG),
    IngressRule::signed("unstake", SMALL_ARG),
    IngressRule::signed("settleStake", SMALL_ARG),
    IngressRule::signed("propose", SMALL_ARG),
    IngressRule::signed("vote", SMALL_ARG),
    IngressRule::signed("execute", SMALL_ARG),
];

fleet_api::ingress_filter!(INGRESS);

#[cfg(test)]
mod tests {
    use super::INGRESS;
    use candid::Principal;
    use fleet_api::ingress::{check_ingress, IngressRefusal};

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_dao_did() {
        did_check::assert_ingress_covers_updates(INGRESS, include_str!("../../api/dao.did"));
    }

    #[test]
    fn the_anonymous_principal_is_refused_and_arguments_are_bounded() {
        let member = Principal::from_slice(&[1; 29]);
        for rule in INGRESS {
            assert_eq!(
                check_ingress(INGRESS, rule.method, Principal::anonymous(), 100),
                Err(IngressRefusal::Anonymous(rule.method.into()))
            );
            assert_eq!(check_ingress(INGRESS, rule.method, member, rule.max_arg_bytes), Ok(()));
            assert!(matches!(
                check_ingress(INGRESS, rule.method, member, rule.max_arg_bytes + 1),
                Err(IngressRefusal::ArgumentTooLarge { .. })
            ));
        }
        assert!(matches!(check_ingress(INGRESS, "getProposals", member, 10), Err(IngressRefusal::UnknownMethod(_))));
    }
}
