use super::*;
use crate::{TransferArg, MAX_INITIAL_BALANCES, MAX_NAME_CHARS};
use candid::{CandidType, Decode, Encode};
use fleet_api::ContractInit;

fn alice() -> Account {
    Account { owner: Principal::from_slice(&[1; 29]), subaccount: None }
}

fn bob() -> Account {
    Account { owner: Principal::from_slice(&[2; 29]), subaccount: None }
}

fn owner() -> Principal {
    Principal::from_slice(&[9; 29])
}

fn args() -> TokenArgs {
    TokenArgs {
        name: "Fleet Token".into(),
        symbol: "FLT".into(),
        decimals: 8,
        transfer_fee: Nat::from(10_000u64),
        initial_balances: vec![(alice(), Nat::from(1_000_000u64)), (bob(), Nat::from(5u64))],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}

fn init(args: TokenArgs) -> TokenInit {
    ContractInit { factory: None, owner: owner(), version: "1.0.0".into(), args }
}

/// Asserts that validation fails with an `InvalidInput` whose text starts with `field`.
fn assert_rejected(args: TokenArgs, field: &str) {
    match validate_init(&init(args)) {
        Err(FleetError::InvalidInput(text)) => {
            assert!(text.starts_with(field), "expected a `{field}` error, got: {text}")
        }
        other => panic!("expected a `{field}` error, got {other:?}"),
    }
}

#[test]
fn good_args_pass() {
    validate(&args()).unwrap();
    validate_init(&init(args())).unwrap();
}

#[test]
fn name_must_be_present_trimmed_short_and_printable() {
    for bad in ["", "   ", " Fleet", "Fleet\n", &"x".repeat(MAX_NAME_CHARS + 1), "a\u{7}b"] {
        assert_rejected(TokenArgs { name: bad.to_string(), ..args() }, "name");
    }
    validate(&TokenArgs { name: "Ünïcode Token".into(), ..args() }).unwrap();
    validate(&TokenArgs { name: "x".repeat(MAX_NAME_CHARS), ..args() }).unwrap();
}

#[test]
fn symbol_must_be_short_ascii_without_spaces() {
    for bad in ["", "F L T", "TOOLONGSYMBOL", "FLT$", "ÉTH", "--"] {
        assert_rejected(TokenArgs { symbol: bad.to_string(), ..args() }, "symbol");
    }
    for good in ["ICP", "ckBTC", "SNS-1", "a", "ABCDEFGHIJKL"] {
        validate(&TokenArgs { symbol: good.to_string(), ..args() }).unwrap();
    }
}

#[test]
fn decimals_at_most_18() {
    validate(&TokenArgs { decimals: 18, ..args() }).unwrap();
    validate(&TokenArgs { decimals: 0, ..args() }).unwrap();
    assert_rejected(TokenArgs { decimals: 19, ..args() }, "decimals");
}

#[test]
fn amounts_beyond_128_bits_are_rejected() {
    let huge = Nat::from(u128::MAX) + Nat::from(1u8);
    assert_rejected(TokenArgs { transfer_fee: huge.clone(), ..args() }, "transfer_fee");
    assert_rejected(TokenArgs { initial_balances: vec![(alice(), huge)], ..args() }, "initial_balances[0]");
    validate(&TokenArgs { transfer_fee: Nat::from(u128::MAX), initial_balances: vec![], ..args() }).unwrap();
}

#[test]
fn total_supply_must_fit_in_128_bits() {
    let balances = vec![(alice(), Nat::from(u128::MAX)), (bob(), Nat::from(1u8))];
    assert_rejected(TokenArgs { initial_balances: balances, ..args() }, "initial_balances");
    let exact = vec![(alice(), Nat::from(u128::MAX - 1)), (bob(), Nat::from(1u8))];
    validate(&TokenArgs { initial_balances: exact, ..args() }).unwrap();
}

#[test]
fn duplicate_accounts_are_rejected_even_with_an_explicit_default_subaccount() {
    let alice_explicit = Account { subaccount: Some([0; 32]), ..alice() };
    let balances = vec![(alice(), Nat::from(1u8)), (alice_explicit, Nat::from(2u8))];
    assert_rejected(TokenArgs { initial_balances: balances, ..args() }, "initial_balances[1]");
    let alice_sub = Account { subaccount: Some([1; 32]), ..alice() };
    validate(&TokenArgs { initial_balances: vec![(alice(), Nat::from(1u8)), (alice_sub, Nat::from(1u8))], ..args() })
        .unwrap();
}

#[test]
fn zero_initial_balances_are_rejected() {
    assert_rejected(TokenArgs { initial_balances: vec![(alice(), Nat::from(0u8))], ..args() }, "initial_balances[0]");
}

#[test]
fn too_many_initial_balances_are_rejected() {
    let balances = (0..=MAX_INITIAL_BALANCES as u32)
        .map(|i| (Account { owner: alice().owner, subaccount: Some(sub(i)) }, Nat::from(1u8)))
        .collect();
    assert_rejected(TokenArgs { initial_balances: balances, ..args() }, "initial_balances");
}

fn sub(i: u32) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[28..].copy_from_slice(&i.to_be_bytes());
    s
}

#[test]
fn the_minting_account_cannot_hold_an_initial_balance() {
    let explicit = TokenArgs { minting_account: Some(alice()), ..args() };
    assert_rejected(explicit.clone(), "initial_balances[0]");
    assert!(validate(&explicit).is_err(), "the factory's check catches an explicit minting account");
    // With no minting account given, the owner's default account mints: only the full init check knows the owner.
    let implicit = TokenArgs { initial_balances: vec![(Account::from(owner()), Nat::from(1u8))], ..args() };
    validate(&implicit).unwrap();
    assert_rejected(implicit, "initial_balances[0]");
}

#[test]
fn anonymous_owner_and_minting_account_are_rejected() {
    let mut anonymous_owner = init(args());
    anonymous_owner.owner = Principal::anonymous();
    assert!(matches!(validate_init(&anonymous_owner), Err(FleetError::InvalidInput(t)) if t.starts_with("owner")));
    assert_rejected(TokenArgs { minting_account: Some(Principal::anonymous().into()), ..args() }, "minting_account");
}

#[test]
fn logo_and_memo_length_limits() {
    assert_rejected(TokenArgs { logo: Some(" ".into()), ..args() }, "logo");
    assert_rejected(TokenArgs { logo: Some("x".repeat(MAX_LOGO_BYTES + 1)), ..args() }, "logo");
    validate(&TokenArgs { logo: Some("data:image/png;base64,AAAA".into()), ..args() }).unwrap();
    assert_rejected(TokenArgs { max_memo_length: Some(31), ..args() }, "max_memo_length");
    assert_rejected(TokenArgs { max_memo_length: Some(MAX_MEMO_LENGTH + 1), ..args() }, "max_memo_length");
    validate(&TokenArgs { max_memo_length: Some(64), ..args() }).unwrap();
}

/// A subaccount must be exactly 32 bytes: anything else is refused when the argument is decoded, before any ledger
/// logic runs (the canister rejects the call).
#[test]
fn subaccounts_of_the_wrong_length_do_not_decode() {
    #[derive(CandidType)]
    struct RawAccount {
        owner: Principal,
        subaccount: Option<serde_bytes::ByteBuf>,
    }
    #[derive(CandidType)]
    struct RawTransferArg {
        to: RawAccount,
        amount: Nat,
    }
    for len in [0usize, 31, 33] {
        let raw = RawTransferArg {
            to: RawAccount { owner: alice().owner, subaccount: Some(serde_bytes::ByteBuf::from(vec![1u8; len])) },
            amount: Nat::from(1u8),
        };
        let bytes = Encode!(&raw).unwrap();
        assert!(Decode!(&bytes, TransferArg).is_err(), "a {len}-byte subaccount was accepted");
    }
    let good = RawTransferArg {
        to: RawAccount { owner: alice().owner, subaccount: Some(serde_bytes::ByteBuf::from(vec![1u8; 32])) },
        amount: Nat::from(1u8),
    };
    let decoded = Decode!(&Encode!(&good).unwrap(), TransferArg).unwrap();
    assert_eq!(decoded.to.subaccount, Some([1u8; 32]));
}
