use super::*;
use crate::ledger::Operation;
use token_api::error_codes;

#[test]
fn a_spender_moves_funds_within_its_allowance() {
    let mut f = ledger();
    f.approve(alice(), acc(carol()), 300).unwrap();
    let index = f.transfer_from(carol(), acc(alice()), acc(bob()), 100).unwrap();
    assert_eq!(f.balance(acc(alice())), 1_000 - FEE - 100 - FEE);
    assert_eq!(f.balance(acc(bob())), 600);
    assert_eq!(f.allowance(acc(alice()), acc(carol())).0, 300 - 100 - FEE, "the fee is taken from the allowance too");
    assert_eq!(
        f.ledger.transaction(index).unwrap().operation,
        Operation::Transfer { from: acc(alice()), to: acc(bob()), spender: Some(acc(carol())), amount: 100, fee: FEE }
    );
}

#[test]
fn spending_more_than_the_allowance_is_refused() {
    let mut f = ledger();
    f.approve(alice(), acc(carol()), 100).unwrap();
    // 95 + fee 10 > 100.
    assert_eq!(
        f.transfer_from(carol(), acc(alice()), acc(bob()), 95),
        Err(LedgerError::InsufficientAllowance { allowance: 100 })
    );
    assert_eq!(
        f.transfer_from(bob(), acc(alice()), acc(bob()), 1),
        Err(LedgerError::InsufficientAllowance { allowance: 0 })
    );
    let huge = TransferFromArgs { amount: beyond_u128(), ..transfer_from_args() };
    assert_eq!(f.transfer_from_args(carol(), huge), Err(LedgerError::InsufficientAllowance { allowance: 100 }));
    f.transfer_from(carol(), acc(alice()), acc(bob()), 90).unwrap();
    assert_eq!(f.ledger.allowance_entries(), 0, "an exhausted allowance is deleted");
}

#[test]
fn an_allowance_does_not_create_funds() {
    let mut f = ledger();
    f.approve(bob(), acc(carol()), 10_000).unwrap();
    assert_eq!(
        f.transfer_from(carol(), acc(bob()), acc(carol()), 1_000),
        Err(LedgerError::InsufficientFunds { balance: 500 - FEE })
    );
    assert_eq!(f.allowance(acc(bob()), acc(carol())).0, 10_000, "a refused spend keeps the allowance");
}

#[test]
fn a_partial_spend_keeps_the_expiry() {
    let mut f = ledger();
    let expires_at = START + 60 * SECOND;
    let args = ApproveArgs {
        spender: acc(carol()),
        amount: Nat::from(300u64),
        expires_at: Some(expires_at),
        ..approve_args()
    };
    f.approve_args(alice(), args).unwrap();
    f.transfer_from(carol(), acc(alice()), acc(carol()), 50).unwrap();
    assert_eq!(f.allowance(acc(alice()), acc(carol())), (300 - 50 - FEE, Some(expires_at)));
    f.advance(60 * SECOND);
    assert_eq!(f.allowance(acc(alice()), acc(carol())), (0, None));
}

#[test]
fn the_spender_subaccount_selects_the_allowance() {
    let mut f = ledger();
    f.approve(alice(), sub(carol(), 4), 300).unwrap();
    assert_eq!(
        f.transfer_from(carol(), acc(alice()), acc(carol()), 10),
        Err(LedgerError::InsufficientAllowance { allowance: 0 })
    );
    let from_sub =
        TransferFromArgs { spender_subaccount: Some([4; 32]), amount: Nat::from(10u8), ..transfer_from_args() };
    f.transfer_from_args(carol(), from_sub).unwrap();
}

#[test]
fn spending_from_ones_own_account_needs_no_allowance() {
    let mut f = ledger();
    f.transfer_from(alice(), acc(alice()), acc(bob()), 100).unwrap();
    assert_eq!(f.balance(acc(bob())), 600);
    let last = f.ledger.transaction(f.ledger.transaction_count() - 1).unwrap();
    assert!(matches!(last.operation, Operation::Transfer { spender: None, .. }));
}

#[test]
fn burning_through_transfer_from_uses_the_amount_only() {
    let mut f = ledger();
    f.approve(alice(), acc(carol()), 300).unwrap();
    f.transfer_from(carol(), acc(alice()), minter(), 200).unwrap();
    assert_eq!(f.allowance(acc(alice()), acc(carol())).0, 100);
    assert_eq!(f.balance(acc(alice())), 1_000 - FEE - 200);
    assert_eq!(f.ledger.total_supply(), 1_500 - FEE - 200);
    let last = f.ledger.transaction(f.ledger.transaction_count() - 1).unwrap();
    assert_eq!(last.operation, Operation::Burn { from: acc(alice()), spender: Some(acc(carol())), amount: 200 });
    assert_eq!(f.transfer_from(carol(), acc(alice()), minter(), 5), Err(LedgerError::BadBurn { min_burn_amount: FEE }));
}

#[test]
fn the_minting_account_cannot_be_the_source() {
    let mut f = ledger();
    let err = f.transfer_from(carol(), minter(), acc(carol()), 10).unwrap_err();
    assert!(matches!(err, LedgerError::Generic { error_code: error_codes::INVALID_ACCOUNTS, .. }), "{err:?}");
}

#[test]
fn the_fee_must_be_correct() {
    let mut f = ledger();
    f.approve(alice(), acc(carol()), 300).unwrap();
    let bad = TransferFromArgs { amount: Nat::from(1u8), fee: Some(Nat::from(FEE - 1)), ..transfer_from_args() };
    assert_eq!(f.transfer_from_args(carol(), bad), Err(LedgerError::BadFee { expected_fee: FEE }));
}
