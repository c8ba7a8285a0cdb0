use super::*;
use crate::ledger::Operation;
use token_api::error_codes;

#[test]
fn approve_sets_the_allowance_and_charges_the_fee() {
    let mut f = ledger();
    let index = f.approve(alice(), acc(carol()), 300).unwrap();
    assert_eq!(f.allowance(acc(alice()), acc(carol())), (300, None));
    assert_eq!(f.balance(acc(alice())), 1_000 - FEE);
    assert_eq!(f.ledger.total_supply(), 1_500 - FEE);
    assert!(matches!(f.ledger.transaction(index).unwrap().operation, Operation::Approve { amount: 300, fee: FEE, .. }));
}

#[test]
fn a_new_approval_replaces_the_old_one() {
    let mut f = ledger();
    f.approve(alice(), acc(carol()), 300).unwrap();
    f.approve(alice(), acc(carol()), 100).unwrap();
    assert_eq!(f.allowance(acc(alice()), acc(carol())), (100, None));
    f.approve(alice(), acc(carol()), 0).unwrap();
    assert_eq!(f.allowance(acc(alice()), acc(carol())), (0, None));
    assert_eq!(f.ledger.allowance_entries(), 0, "a zero allowance is not stored");
}

#[test]
fn allowances_are_per_spender_account() {
    let mut f = ledger();
    f.approve(alice(), sub(carol(), 1), 300).unwrap();
    assert_eq!(f.allowance(acc(alice()), sub(carol(), 1)).0, 300);
    assert_eq!(f.allowance(acc(alice()), acc(carol())).0, 0);
    assert_eq!(f.allowance(acc(bob()), sub(carol(), 1)).0, 0);
}

#[test]
fn expected_allowance_must_match_the_current_one() {
    let mut f = ledger();
    f.approve(alice(), acc(carol()), 300).unwrap();
    let guarded = |expected: u128, amount: u128| ApproveArgs {
        spender: acc(carol()),
        amount: Nat::from(amount),
        expected_allowance: Some(Nat::from(expected)),
        ..approve_args()
    };
    assert_eq!(
        f.approve_args(alice(), guarded(200, 50)),
        Err(LedgerError::AllowanceChanged { current_allowance: 300 })
    );
    f.approve_args(alice(), guarded(300, 50)).unwrap();
    assert_eq!(f.allowance(acc(alice()), acc(carol())).0, 50);
    let huge = ApproveArgs { expected_allowance: Some(beyond_u128()), ..guarded(0, 1) };
    assert_eq!(f.approve_args(alice(), huge), Err(LedgerError::AllowanceChanged { current_allowance: 50 }));
}

#[test]
fn an_expiry_in_the_past_is_refused() {
    let mut f = ledger();
    let past = ApproveArgs { spender: acc(carol()), amount: Nat::from(1u8), expires_at: Some(START), ..approve_args() };
    assert_eq!(f.approve_args(alice(), past), Err(LedgerError::Expired { ledger_time: START }));
    assert_eq!(f.balance(acc(alice())), 1_000, "no fee for a refused approval");
}

#[test]
fn an_allowance_counts_as_zero_once_expired_and_is_then_deleted() {
    let mut f = ledger();
    let expires_at = START + 10 * SECOND;
    let args = ApproveArgs {
        spender: acc(carol()),
        amount: Nat::from(300u64),
        expires_at: Some(expires_at),
        ..approve_args()
    };
    f.approve_args(alice(), args).unwrap();
    assert_eq!(f.allowance(acc(alice()), acc(carol())), (300, Some(expires_at)));
    f.advance(10 * SECOND);
    assert_eq!(f.allowance(acc(alice()), acc(carol())), (0, None));
    assert_eq!(
        f.transfer_from(carol(), acc(alice()), acc(carol()), 10),
        Err(LedgerError::InsufficientAllowance { allowance: 0 })
    );
    assert_eq!(f.ledger.allowance_entries(), 0, "the expired entry was deleted by the update call");
    // An expired allowance is also the zero a guarded approval must expect.
    let guarded = ApproveArgs {
        spender: acc(carol()),
        amount: Nat::from(5u8),
        expected_allowance: Some(Nat::from(0u8)),
        ..approve_args()
    };
    f.approve_args(alice(), guarded).unwrap();
}

#[test]
fn replacing_an_expiring_allowance_drops_its_old_expiry() {
    let mut f = ledger();
    let expiring = ApproveArgs {
        spender: acc(carol()),
        amount: Nat::from(300u64),
        expires_at: Some(START + SECOND),
        ..approve_args()
    };
    f.approve_args(alice(), expiring).unwrap();
    f.approve(alice(), acc(carol()), 200).unwrap();
    f.advance(2 * SECOND);
    f.transfer(bob(), acc(carol()), 1).unwrap(); // any update runs the clean-up
    assert_eq!(f.allowance(acc(alice()), acc(carol())), (200, None), "the new allowance does not expire");
}

#[test]
fn approving_oneself_or_from_the_minting_account_is_refused() {
    let mut f = ledger();
    let own = f.approve(alice(), sub(alice(), 1), 10).unwrap_err();
    assert!(matches!(own, LedgerError::Generic { error_code: error_codes::INVALID_ACCOUNTS, .. }), "{own:?}");
    let minting = f.approve(owner(), acc(carol()), 10).unwrap_err();
    assert!(matches!(minting, LedgerError::Generic { error_code: error_codes::INVALID_ACCOUNTS, .. }), "{minting:?}");
}

#[test]
fn the_fee_must_be_affordable_and_correct() {
    let mut f = ledger();
    assert_eq!(f.approve(carol(), acc(bob()), 10), Err(LedgerError::InsufficientFunds { balance: 0 }));
    let bad_fee =
        ApproveArgs { spender: acc(bob()), amount: Nat::from(1u8), fee: Some(Nat::from(1u8)), ..approve_args() };
    assert_eq!(f.approve_args(alice(), bad_fee), Err(LedgerError::BadFee { expected_fee: FEE }));
    // The allowance may exceed the balance: it is a limit, not a reservation.
    f.approve(alice(), acc(bob()), 1_000_000).unwrap();
}

#[test]
fn an_allowance_beyond_128_bits_is_stored_as_the_maximum() {
    let mut f = ledger();
    let unlimited = ApproveArgs { spender: acc(carol()), amount: beyond_u128(), ..approve_args() };
    f.approve_args(alice(), unlimited).unwrap();
    assert_eq!(f.allowance(acc(alice()), acc(carol())).0, u128::MAX);
}
