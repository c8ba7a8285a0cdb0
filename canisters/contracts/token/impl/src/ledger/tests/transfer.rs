use super::*;
use crate::ledger::Operation;
use token_api::error_codes;

#[test]
fn transfer_moves_the_amount_and_burns_the_fee() {
    let mut f = ledger();
    let index = f.transfer(alice(), acc(bob()), 100).unwrap();
    assert_eq!(index, 2, "after the two initial mints");
    assert_eq!(f.balance(acc(alice())), 1_000 - 100 - FEE);
    assert_eq!(f.balance(acc(bob())), 600);
    assert_eq!(f.ledger.total_supply(), 1_500 - FEE);
    let tx = f.ledger.transaction(index).unwrap();
    assert_eq!(
        tx.operation,
        Operation::Transfer { from: acc(alice()), to: acc(bob()), spender: None, amount: 100, fee: FEE }
    );
    assert_eq!(tx.timestamp, START);
}

#[test]
fn insufficient_funds_reports_the_balance_and_changes_nothing() {
    let mut f = ledger();
    // 1000 would need 1010 with the fee.
    assert_eq!(f.transfer(alice(), acc(bob()), 1_000), Err(LedgerError::InsufficientFunds { balance: 1_000 }));
    assert_eq!(f.transfer(carol(), acc(bob()), 0), Err(LedgerError::InsufficientFunds { balance: 0 }));
    assert_eq!(f.balance(acc(alice())), 1_000);
    assert_eq!(f.ledger.transaction_count(), 2);
}

#[test]
fn spending_the_whole_balance_removes_the_account() {
    let mut f = ledger();
    f.transfer(alice(), acc(carol()), 1_000 - FEE).unwrap();
    assert_eq!(f.balance(acc(alice())), 0);
    assert_eq!(f.ledger.accounts(), 2, "bob and carol; alice's empty balance is not stored");
}

#[test]
fn the_fee_must_be_the_ledger_fee_when_given() {
    let mut f = ledger();
    let with_fee = |fee: Nat| TransferArg { to: acc(bob()), amount: Nat::from(1u8), fee: Some(fee), ..transfer_arg() };
    assert_eq!(f.transfer_arg(alice(), with_fee(Nat::from(FEE + 1))), Err(LedgerError::BadFee { expected_fee: FEE }));
    assert_eq!(f.transfer_arg(alice(), with_fee(Nat::from(0u8))), Err(LedgerError::BadFee { expected_fee: FEE }));
    assert_eq!(f.transfer_arg(alice(), with_fee(beyond_u128())), Err(LedgerError::BadFee { expected_fee: FEE }));
    f.transfer_arg(alice(), with_fee(Nat::from(FEE))).unwrap();
}

#[test]
fn a_zero_transfer_costs_the_fee() {
    let mut f = ledger();
    f.transfer(alice(), acc(bob()), 0).unwrap();
    assert_eq!(f.balance(acc(alice())), 1_000 - FEE);
    assert_eq!(f.balance(acc(bob())), 500);
}

#[test]
fn a_self_transfer_costs_only_the_fee() {
    let mut f = ledger();
    f.transfer(alice(), acc(alice()), 400).unwrap();
    assert_eq!(f.balance(acc(alice())), 1_000 - FEE);
}

#[test]
fn subaccounts_are_separate_balances_and_the_default_has_two_spellings() {
    let mut f = ledger();
    f.transfer(alice(), sub(bob(), 7), 100).unwrap();
    f.transfer(alice(), Account { owner: bob(), subaccount: Some([0; 32]) }, 50).unwrap();
    assert_eq!(f.balance(sub(bob(), 7)), 100);
    assert_eq!(f.balance(acc(bob())), 550, "an explicit all-zero subaccount is the default account");
    // Spend from the subaccount.
    let arg =
        TransferArg { from_subaccount: Some([7; 32]), to: acc(carol()), amount: Nat::from(90u8), ..transfer_arg() };
    f.transfer_arg(bob(), arg).unwrap();
    assert_eq!(f.balance(sub(bob(), 7)), 0);
    assert_eq!(f.balance(acc(carol())), 90);
}

#[test]
fn an_amount_beyond_128_bits_is_insufficient_funds_not_a_trap() {
    let mut f = ledger();
    let arg = TransferArg { to: acc(bob()), amount: beyond_u128(), ..transfer_arg() };
    assert_eq!(f.transfer_arg(alice(), arg), Err(LedgerError::InsufficientFunds { balance: 1_000 }));
    // u128::MAX itself overflows once the fee is added.
    assert_eq!(f.transfer(alice(), acc(bob()), u128::MAX), Err(LedgerError::InsufficientFunds { balance: 1_000 }));
}

#[test]
fn the_minting_account_mints_for_free() {
    let mut f = ledger();
    f.transfer(owner(), acc(carol()), 5_000).unwrap();
    assert_eq!(f.balance(acc(carol())), 5_000);
    assert_eq!(f.ledger.total_supply(), 6_500);
    let mint_with_fee =
        TransferArg { to: acc(carol()), amount: Nat::from(1u8), fee: Some(Nat::from(FEE)), ..transfer_arg() };
    assert_eq!(f.transfer_arg(owner(), mint_with_fee), Err(LedgerError::BadFee { expected_fee: 0 }));
    let explicit_zero =
        TransferArg { to: acc(carol()), amount: Nat::from(1u8), fee: Some(Nat::from(0u8)), ..transfer_arg() };
    f.transfer_arg(owner(), explicit_zero).unwrap();
    assert!(matches!(
        f.ledger.transaction(f.ledger.transaction_count() - 1).unwrap().operation,
        Operation::Mint { .. }
    ));
}

#[test]
fn minting_cannot_overflow_the_supply() {
    let mut f = ledger();
    let overflow = f.transfer(owner(), acc(carol()), u128::MAX - 1_500 + 1);
    assert!(
        matches!(overflow, Err(LedgerError::Generic { error_code: error_codes::SUPPLY_OVERFLOW, .. })),
        "{overflow:?}"
    );
    let beyond = f.transfer_arg(owner(), TransferArg { to: acc(carol()), amount: beyond_u128(), ..transfer_arg() });
    assert!(matches!(beyond, Err(LedgerError::Generic { error_code: error_codes::SUPPLY_OVERFLOW, .. })), "{beyond:?}");
    // Up to the limit is fine.
    f.transfer(owner(), acc(carol()), u128::MAX - 1_500).unwrap();
    assert_eq!(f.ledger.total_supply(), u128::MAX);
    assert_eq!(f.balance(acc(carol())), u128::MAX - 1_500);
}

#[test]
fn a_transfer_to_the_minting_account_burns() {
    let mut f = ledger();
    f.transfer(alice(), minter(), 300).unwrap();
    assert_eq!(f.balance(acc(alice())), 700, "burns are free");
    assert_eq!(f.ledger.total_supply(), 1_200);
    assert_eq!(f.balance(minter()), 0, "the minting account holds nothing");
    let last = f.ledger.transaction(f.ledger.transaction_count() - 1).unwrap();
    assert_eq!(last.operation, Operation::Burn { from: acc(alice()), spender: None, amount: 300 });
}

#[test]
fn a_burn_below_the_fee_or_with_a_fee_is_refused() {
    let mut f = ledger();
    assert_eq!(f.transfer(alice(), minter(), FEE - 1), Err(LedgerError::BadBurn { min_burn_amount: FEE }));
    let with_fee = TransferArg { to: minter(), amount: Nat::from(100u8), fee: Some(Nat::from(FEE)), ..transfer_arg() };
    assert_eq!(f.transfer_arg(alice(), with_fee), Err(LedgerError::BadFee { expected_fee: 0 }));
    assert_eq!(f.transfer(alice(), minter(), 1_001), Err(LedgerError::InsufficientFunds { balance: 1_000 }));
    let huge = TransferArg { to: minter(), amount: beyond_u128(), ..transfer_arg() };
    assert_eq!(f.transfer_arg(alice(), huge), Err(LedgerError::InsufficientFunds { balance: 1_000 }));
    f.transfer(alice(), minter(), FEE).unwrap();
}

#[test]
fn the_minting_account_cannot_send_to_itself() {
    let mut f = ledger();
    let err = f.transfer(owner(), minter(), 5).unwrap_err();
    assert!(matches!(err, LedgerError::Generic { error_code: error_codes::INVALID_ACCOUNTS, .. }), "{err:?}");
}

#[test]
fn another_subaccount_of_the_minting_owner_is_an_ordinary_account() {
    let mut f = ledger();
    f.transfer(alice(), sub(owner(), 1), 100).unwrap();
    assert_eq!(f.balance(sub(owner(), 1)), 100);
    assert_eq!(f.ledger.total_supply(), 1_500 - FEE);
}

#[test]
fn memos_longer_than_the_limit_are_refused() {
    let mut f = ledger();
    let long = TransferArg { to: acc(bob()), memo: memo(&[1; 33]), ..transfer_arg() };
    let err = f.transfer_arg(alice(), long).unwrap_err();
    assert!(matches!(err, LedgerError::Generic { error_code: error_codes::MEMO_TOO_LONG, .. }), "{err:?}");
    let exact = TransferArg { to: acc(bob()), memo: memo(&[1; 32]), ..transfer_arg() };
    f.transfer_arg(alice(), exact).unwrap();

    let mut roomy = ledger_with(TokenArgs { max_memo_length: Some(64), ..token_args() });
    let longer = TransferArg { to: acc(bob()), memo: memo(&[1; 64]), ..transfer_arg() };
    roomy.transfer_arg(alice(), longer).unwrap();
}

#[test]
fn a_ledger_without_fee_transfers_for_free() {
    let mut f = ledger_with(TokenArgs { transfer_fee: Nat::from(0u8), ..token_args() });
    f.transfer(alice(), acc(bob()), 1_000).unwrap();
    assert_eq!(f.balance(acc(alice())), 0);
    assert_eq!(f.balance(acc(bob())), 1_500);
    assert_eq!(f.ledger.total_supply(), 1_500);
}
