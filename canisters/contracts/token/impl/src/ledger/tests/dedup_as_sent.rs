//! ICRC-1 deduplication compares requests as sent: two requests are the same only when every argument field (option
//! tags included) and the caller are equal. `null` and `opt [0; 32]` name the same account but are different
//! requests; so are a `null` fee and the fee spelled out, and a `null` memo and an empty one.

use super::*;

const ZERO: Option<[u8; 32]> = Some([0; 32]);

/// Sends `first`, then `second` (same `created_at_time`): both must be applied as two transactions, and re-sending
/// each must answer `Duplicate` of its own original.
fn both_apply_and_each_resend_is_its_own_duplicate(
    f: &mut Fixture,
    send: impl Fn(&mut Fixture, bool) -> Result<u64, LedgerError>,
) {
    let before = f.ledger.transaction_count();
    let first = send(f, false).expect("the first spelling is applied");
    let second = send(f, true).expect("the second spelling is another request, applied too");
    assert_ne!(first, second);
    assert_eq!(f.ledger.transaction_count(), before + 2, "two transactions");
    f.advance(SECOND);
    assert_eq!(send(f, false), Err(LedgerError::Duplicate { duplicate_of: first }));
    assert_eq!(send(f, true), Err(LedgerError::Duplicate { duplicate_of: second }));
    assert_eq!(f.ledger.transaction_count(), before + 2, "re-sends apply nothing");
}

fn timed_transfer() -> TransferArg {
    TransferArg { to: acc(bob()), amount: Nat::from(100u8), created_at_time: Some(START), ..transfer_arg() }
}

#[test]
fn transfer_from_subaccount_null_and_explicit_zeros_are_two_requests() {
    let mut f = ledger();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        f.transfer_arg(alice(), TransferArg { from_subaccount: explicit.then_some([0; 32]), ..timed_transfer() })
    });
    assert_eq!(f.balance(acc(bob())), 500 + 200, "both transfers reached the same default account");
}

#[test]
fn transfer_to_subaccount_null_and_explicit_zeros_are_two_requests() {
    let mut f = ledger();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        let to = Account { owner: bob(), subaccount: if explicit { ZERO } else { None } };
        f.transfer_arg(alice(), TransferArg { to, ..timed_transfer() })
    });
}

#[test]
fn transfer_fee_null_and_the_fee_spelled_out_are_two_requests() {
    let mut f = ledger();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        f.transfer_arg(alice(), TransferArg { fee: explicit.then(|| Nat::from(FEE)), ..timed_transfer() })
    });
}

#[test]
fn transfer_memo_null_and_an_empty_memo_are_two_requests() {
    let mut f = ledger();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        f.transfer_arg(alice(), TransferArg { memo: explicit.then(|| Memo::from(vec![])), ..timed_transfer() })
    });
}

fn timed_approve() -> ApproveArgs {
    ApproveArgs { spender: acc(carol()), amount: Nat::from(500u64), created_at_time: Some(START), ..approve_args() }
}

#[test]
fn approve_from_subaccount_null_and_explicit_zeros_are_two_requests() {
    let mut f = ledger();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        f.approve_args(alice(), ApproveArgs { from_subaccount: explicit.then_some([0; 32]), ..timed_approve() })
    });
    assert_eq!(f.balance(acc(alice())), 1_000 - 2 * FEE, "two approvals, two fees");
}

#[test]
fn approve_spender_subaccount_null_and_explicit_zeros_are_two_requests() {
    let mut f = ledger();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        let spender = Account { owner: carol(), subaccount: if explicit { ZERO } else { None } };
        f.approve_args(alice(), ApproveArgs { spender, ..timed_approve() })
    });
}

#[test]
fn approve_expected_allowance_null_and_spelled_out_are_two_requests() {
    let mut f = ledger();
    // The second approval names the allowance the first one set.
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        f.approve_args(
            alice(),
            ApproveArgs { expected_allowance: explicit.then(|| Nat::from(500u64)), ..timed_approve() },
        )
    });
}

/// Carol may spend from alice's default account (approved with a `null` and an explicit-zeros spender, which is the
/// same allowance).
fn approved() -> Fixture {
    let mut f = ledger();
    f.approve(alice(), acc(carol()), 500).unwrap();
    f
}

fn timed_pull() -> TransferFromArgs {
    TransferFromArgs { to: acc(bob()), amount: Nat::from(100u8), created_at_time: Some(START), ..transfer_from_args() }
}

#[test]
fn transfer_from_spender_subaccount_null_and_explicit_zeros_are_two_requests() {
    let mut f = approved();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        f.transfer_from_args(
            carol(),
            TransferFromArgs { spender_subaccount: explicit.then_some([0; 32]), ..timed_pull() },
        )
    });
    assert_eq!(f.allowance(acc(alice()), acc(carol())).0, 500 - 2 * (100 + FEE), "both spent the one allowance");
}

#[test]
fn transfer_from_source_subaccount_null_and_explicit_zeros_are_two_requests() {
    let mut f = approved();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        let from = Account { owner: alice(), subaccount: if explicit { ZERO } else { None } };
        f.transfer_from_args(carol(), TransferFromArgs { from, ..timed_pull() })
    });
}

#[test]
fn transfer_from_target_subaccount_null_and_explicit_zeros_are_two_requests() {
    let mut f = approved();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, explicit| {
        let to = Account { owner: bob(), subaccount: if explicit { ZERO } else { None } };
        f.transfer_from_args(carol(), TransferFromArgs { to, ..timed_pull() })
    });
}

#[test]
fn the_caller_is_part_of_the_request() {
    let mut f = ledger();
    f.transfer(owner(), acc(carol()), 1_000).unwrap();
    both_apply_and_each_resend_is_its_own_duplicate(&mut f, |f, other_caller| {
        f.transfer_arg(if other_caller { carol() } else { alice() }, timed_transfer())
    });
}
