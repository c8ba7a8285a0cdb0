//! What the contract kinds' native tests share: running a fake runtime's futures, and the checks every kind's
//! ingress table must pass. Plain functions with no IC calls; a canister that does not use them loses them to
//! dead-code elimination.

use candid::Principal;
use fleet_api::ingress::{check_ingress, IngressRefusal, IngressRule};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future of a fake runtime to completion (a fake's futures never wait).
///
/// # Panics
/// When the future waits: a fake runtime that suspends is a bug in the test.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a fake runtime future waited"),
    }
}

/// Every update of a contract is a signed caller's (owner, signer, member, buyer...) and its argument is bounded:
/// for each rule of `table`, the anonymous principal is refused, an argument of exactly the rule's bound passes and
/// one byte more is refused; a method outside the table (`query_method`, a query of the kind) is refused as unknown.
///
/// # Panics
/// On the first rule that does not hold, naming it.
pub fn assert_signed_and_bounded(table: &[IngressRule], query_method: &str) {
    let caller = Principal::from_slice(&[1; 29]);
    for rule in table {
        assert_eq!(
            check_ingress(table, rule.method, Principal::anonymous(), 10),
            Err(IngressRefusal::Anonymous(rule.method.into())),
            "{} must refuse the anonymous principal",
            rule.method
        );
        assert_eq!(check_ingress(table, rule.method, caller, rule.max_arg_bytes), Ok(()), "{}", rule.method);
        assert!(
            matches!(
                check_ingress(table, rule.method, caller, rule.max_arg_bytes + 1),
                Err(IngressRefusal::ArgumentTooLarge { .. })
            ),
            "{} must refuse an argument over {} bytes",
            rule.method,
            rule.max_arg_bytes
        );
    }
    assert!(
        matches!(check_ingress(table, query_method, caller, 10), Err(IngressRefusal::UnknownMethod(_))),
        "{query_method} is not an update and must not pass the filter"
    );
}
