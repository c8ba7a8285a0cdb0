//! Which ingress messages the wallet accepts, checked by `canister_inspect_message` before a message is charged to
//! the canister or decoded (see `fleet_api::ingress`). Every update is a signer's: the anonymous principal is never a
//! signer. Arguments are small except a proposal's canister call (up to 64 KiB of candid argument). Each endpoint's
//! own checks stay the authorization.

use fleet_api::ingress::{IngressRule, SMALL_ARG};

/// A proposal: its action (at most `MAX_CALL_ARG_BYTES` of call argument), summary and candid framing.
pub const PROPOSAL_ARG: usize = multisig_api::MAX_CALL_ARG_BYTES + SMALL_ARG;

/// Every update method of `multisig.did`.
pub const INGRESS: &[IngressRule] = &[
    IngressRule::signed("propose", PROPOSAL_ARG),
    IngressRule::signed("approve", SMALL_ARG),
    IngressRule::signed("reject", SMALL_ARG),
    IngressRule::signed("execute", SMALL_ARG),
    IngressRule::signed("refreshBalance", SMALL_ARG),
];

fleet_api::ingress_filter!(INGRESS);

#[cfg(test)]
mod tests {
    use super::{INGRESS, PROPOSAL_ARG};

    #[test]
    fn the_ingress_table_lists_exactly_the_update_methods_of_multisig_did() {
        did_check::assert_ingress_covers_updates(INGRESS, include_str!("../../api/multisig.did"));
    }

    #[test]
    fn the_anonymous_principal_is_refused_and_arguments_are_bounded() {
        contract_runtime::testing::assert_signed_and_bounded(INGRESS, "getProposals");
        assert!(INGRESS.iter().all(|rule| rule.max_arg_bytes <= PROPOSAL_ARG));
    }
}
