//! What the contract kinds' native tests share: running a fake runtime's futures, the checks every kind's ingress
//! table must pass, the faults a fake ledger injects, typed-error assertions and stored sizes for benchmarks. Plain functions with no IC calls; a canister that does not use them loses them to
//! dead-code elimination.

mod fake_ledger;

pub use fake_ledger::FakeLedger;

use candid::Principal;
use fleet_api::ingress::{check_ingress, IngressRefusal, IngressRule};
use fleet_api::FleetError;
use ic_stable_structures::{Memory, StableBTreeMap, Storable};
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

/// (entries, encoded key + value bytes) of a stable map: the kinds' storage benchmarks report it per structure.
pub fn stored_size<K, V, M>(map: &StableBTreeMap<K, V, M>) -> (u64, u64)
where
    K: Storable + Ord + Clone,
    V: Storable,
    M: Memory,
{
    map.iter().fold((0, 0), |(n, bytes), entry| {
        (n + 1, bytes + (entry.key().to_bytes().len() + entry.value().to_bytes().len()) as u64)
    })
}

/// The ICRC-1 deduplication window (24 hours), which the kinds' fake ledgers apply.
pub const DAY: u64 = 24 * 60 * 60 * 1_000_000_000;

/// What a fake ledger does with the next money move (transfer or `transfer_from`) instead of answering normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The ledger executes it, but the reply is lost (`SysUnknown`).
    ExecutedReplyLost,
    /// The call never reaches the ledger, and the caller cannot know (`SysUnknown`).
    NotExecutedReplyLost,
    /// Rejected before execution (a definite reject: the ledger was stopped).
    Rejected,
    TemporarilyUnavailable,
}

/// `result` is `InvalidInput` whose text starts with `starts`.
pub fn assert_invalid<T: std::fmt::Debug>(result: Result<T, FleetError>, starts: &str) {
    match result {
        Err(FleetError::InvalidInput(text)) => assert!(text.starts_with(starts), "{text}"),
        other => panic!("expected InvalidInput `{starts}`, got {other:?}"),
    }
}

/// `result` is `InvalidState` whose text contains `contains`.
pub fn assert_state_error<T: std::fmt::Debug>(result: Result<T, FleetError>, contains: &str) {
    match result {
        Err(FleetError::InvalidState(text)) => assert!(text.contains(contains), "{text}"),
        other => panic!("expected InvalidState `{contains}`, got {other:?}"),
    }
}

pub fn assert_unauthorized<T: std::fmt::Debug>(result: Result<T, FleetError>) {
    assert!(matches!(result, Err(FleetError::Unauthorized(_))), "expected Unauthorized, got {result:?}");
}

/// One nanosecond-clock second.
pub const SECOND: u64 = 1_000_000_000;

/// The participant numbered `n` (a recipient, a buyer, a member...): 29 bytes, distinct for every `n`.
pub fn user(n: u32) -> Principal {
    let mut bytes = [0x55; 29];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    Principal::from_slice(&bytes)
}

/// The contract's owner in the kinds' tests.
pub fn owner() -> Principal {
    Principal::from_slice(&[0x0A; 29])
}

/// A caller with no role in the contract.
pub fn stranger() -> Principal {
    Principal::from_slice(&[0x5E; 29])
}
