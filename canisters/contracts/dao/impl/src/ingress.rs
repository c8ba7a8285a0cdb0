//! Which ingress messages the DAO accepts, checked by `canister_inspect_message` before a message is charged to the
//! canister or decoded (see `fleet_api::ingress`). No update is the anonymous principal's; every argument is small
//! but a proposal's (a summary and a motion of up to 1,024 and 4,096 characters, 4 bytes each at most in UTF-8).
//! Each endpoint's own checks stay the authorization.

use fleet_api::ingress::{IngressRule, SMALL_ARG};

/// A proposal at its largest: summary and motion text in 4-byte characters, and candid framing.
pub const PROPOSAL_ARG: usize = 4 * (dao_api::MAX_SUMMARY_CHARS + dao_api::MAX_MOTION_CHARS) + SMALL_ARG;

/// Every update method of `dao.did`.
pub const INGRESS: &[IngressRule] = &[
    IngressRule::signed("stake", SMALL_ARG),
    IngressRule::signed("unstake", SMALL_ARG),
    IngressRule::signed("settleStake", SMALL_ARG),
    IngressRule::signed("propose", PROPOSAL_ARG),
    IngressRule::signed("vote", SMALL_ARG),
    IngressRule::signed("execute", SMALL_ARG),
];

fleet_api::ingress_filter!(INGRESS);

#[cfg(test)]
mod tests {
    use super::{INGRESS, PROPOSAL_ARG};
    use candid::Principal;
    use fleet_api::ingress::check_ingress;

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_dao_did() {
        did_check::assert_ingress_covers_updates(INGRESS, include_str!("../../api/dao.did"));
    }

    #[test]
    fn the_anonymous_principal_is_refused_and_arguments_are_bounded() {
        contract_runtime::testing::assert_signed_and_bounded(INGRESS, "getProposals");
        let member = Principal::from_slice(&[1; 29]);
        // The largest proposal the contract accepts passes the filter.
        let summary = "\u{1F600}".repeat(dao_api::MAX_SUMMARY_CHARS);
        let text = "\u{1F600}".repeat(dao_api::MAX_MOTION_CHARS);
        let args = dao_api::ProposeArgs { summary, action: dao_api::ProposalAction::Motion { text } };
        let size = candid::encode_one(args).unwrap().len();
        assert!(size <= PROPOSAL_ARG, "{size}");
        assert_eq!(check_ingress(INGRESS, "propose", member, size), Ok(()));
    }
}
