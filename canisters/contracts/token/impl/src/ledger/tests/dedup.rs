use super::*;
use token_api::{PERMITTED_DRIFT_NANOS, TRANSACTION_WINDOW_NANOS};

fn timed(created_at_time: u64, amount: u128) -> TransferArg {
    TransferArg { to: acc(bob()), amount: Nat::from(amount), created_at_time: Some(created_at_time), ..transfer_arg() }
}

#[test]
fn the_same_request_twice_is_a_duplicate_of_the_first() {
    let mut f = ledger();
    let first = f.transfer_arg(alice(), timed(START, 100)).unwrap();
    f.advance(SECOND);
    assert_eq!(f.transfer_arg(alice(), timed(START, 100)), Err(LedgerError::Duplicate { duplicate_of: first }));
    assert_eq!(f.balance(acc(bob())), 600, "applied once");
}

#[test]
fn any_difference_makes_a_new_request() {
    let mut f = ledger();
    f.transfer_arg(alice(), timed(START, 100)).unwrap();
    f.transfer_arg(alice(), timed(START, 101)).unwrap();
    f.transfer_arg(alice(), timed(START + 1, 100)).unwrap();
    f.transfer_arg(alice(), TransferArg { memo: memo(b"x"), ..timed(START, 100) }).unwrap();
    f.transfer_arg(alice(), TransferArg { fee: Some(Nat::from(FEE)), ..timed(START, 100) }).unwrap();
    f.transfer_arg(alice(), TransferArg { from_subaccount: Some([0; 32]), ..timed(START, 100) })
        .expect("an explicit default subaccount is another request as sent, although the same debited account");
    f.transfer_arg(bob(), timed(START, 100)).unwrap();
    assert_eq!(f.ledger.dedup_entries(), 7);
}

#[test]
fn requests_without_created_at_time_are_never_deduplicated() {
    let mut f = ledger();
    f.transfer(alice(), acc(bob()), 100).unwrap();
    f.transfer(alice(), acc(bob()), 100).unwrap();
    assert_eq!(f.balance(acc(bob())), 700);
    assert_eq!(f.ledger.dedup_entries(), 0);
}

#[test]
fn too_old_and_future_requests_are_refused() {
    let mut f = ledger();
    let oldest_accepted = START - TRANSACTION_WINDOW_NANOS - PERMITTED_DRIFT_NANOS;
    assert_eq!(f.transfer_arg(alice(), timed(oldest_accepted - 1, 1)), Err(LedgerError::TooOld));
    f.transfer_arg(alice(), timed(oldest_accepted, 1)).unwrap();
    let newest_accepted = START + PERMITTED_DRIFT_NANOS;
    assert_eq!(
        f.transfer_arg(alice(), timed(newest_accepted + 1, 1)),
        Err(LedgerError::CreatedInFuture { ledger_time: START })
    );
    f.transfer_arg(alice(), timed(newest_accepted, 1)).unwrap();
}

#[test]
fn a_duplicate_stays_refused_until_it_is_too_old_and_then_is_forgotten() {
    let mut f = ledger();
    let first = f.transfer_arg(alice(), timed(START, 100)).unwrap();
    f.advance(TRANSACTION_WINDOW_NANOS + PERMITTED_DRIFT_NANOS);
    assert_eq!(f.transfer_arg(alice(), timed(START, 100)), Err(LedgerError::Duplicate { duplicate_of: first }));
    f.advance(1);
    assert_eq!(f.transfer_arg(alice(), timed(START, 100)), Err(LedgerError::TooOld));
    assert_eq!(f.ledger.dedup_entries(), 0, "the expired entry was pruned by that call");
}

#[test]
fn deduplication_survives_an_upgrade() {
    let mut f = ledger();
    let first = f.transfer_arg(alice(), timed(START, 100)).unwrap();
    f.upgrade();
    assert_eq!(f.transfer_arg(alice(), timed(START, 100)), Err(LedgerError::Duplicate { duplicate_of: first }));
}

#[test]
fn a_failed_request_is_not_remembered() {
    let mut f = ledger();
    assert!(matches!(f.transfer_arg(alice(), timed(START, 5_000)), Err(LedgerError::InsufficientFunds { .. })));
    f.transfer(owner(), acc(alice()), 10_000).unwrap();
    f.transfer_arg(alice(), timed(START, 5_000)).expect("the retry after funding is a new attempt, not a duplicate");
}

#[test]
fn approve_and_transfer_from_are_deduplicated_too() {
    let mut f = ledger();
    let approve = ApproveArgs {
        spender: acc(carol()),
        amount: Nat::from(500u64),
        created_at_time: Some(START),
        ..approve_args()
    };
    let first = f.approve_args(alice(), approve.clone()).unwrap();
    assert_eq!(f.approve_args(alice(), approve), Err(LedgerError::Duplicate { duplicate_of: first }));
    let spend = TransferFromArgs { amount: Nat::from(10u8), created_at_time: Some(START), ..transfer_from_args() };
    let spent = f.transfer_from_args(carol(), spend.clone()).unwrap();
    assert_eq!(f.transfer_from_args(carol(), spend), Err(LedgerError::Duplicate { duplicate_of: spent }));
    assert_eq!(f.allowance(acc(alice()), acc(carol())).0, 500 - 10 - FEE);
}
