use crate::state;
use candid::Nat;
use ic_cdk::query;
use token_api::{Account, MetadataValue, StandardRecord};

#[query]
fn icrc1_name() -> String {
    state::read(|l| l.config().name.clone())
}

#[query]
fn icrc1_symbol() -> String {
    state::read(|l| l.config().symbol.clone())
}

#[query]
fn icrc1_decimals() -> u8 {
    state::read(|l| l.config().decimals)
}

#[query]
fn icrc1_fee() -> Nat {
    state::read(|l| Nat::from(l.config().transfer_fee))
}

#[query]
fn icrc1_metadata() -> Vec<(String, MetadataValue)> {
    state::read(|l| l.metadata())
}

#[query]
fn icrc1_total_supply() -> Nat {
    state::read(|l| Nat::from(l.total_supply()))
}

#[query]
fn icrc1_minting_account() -> Option<Account> {
    state::read(|l| Some(l.config().minting_account))
}

#[query]
fn icrc1_balance_of(account: Account) -> Nat {
    state::read(|l| Nat::from(l.balance_of(&account)))
}

#[query]
fn icrc1_supported_standards() -> Vec<StandardRecord> {
    token_api::supported_standards()
}

#[query]
fn icrc10_supported_standards() -> Vec<StandardRecord> {
    token_api::supported_standards()
}
