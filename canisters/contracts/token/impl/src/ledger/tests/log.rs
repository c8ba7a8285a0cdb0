use super::*;
use token_api::{GetTransactionsRequest, MAX_TRANSACTIONS_PER_REQUEST};

fn page(f: &Fixture, start: impl Into<Nat>, length: impl Into<Nat>) -> token_api::GetTransactionsResponse {
    f.ledger.transactions(&GetTransactionsRequest { start: start.into(), length: length.into() })
}

#[test]
fn transactions_are_shown_in_icrc3_form() {
    let mut f = ledger();
    let arg = TransferArg {
        to: acc(bob()),
        amount: Nat::from(7u8),
        memo: memo(b"invoice-1"),
        created_at_time: Some(START),
        ..transfer_arg()
    };
    f.transfer_arg(alice(), arg).unwrap();
    let response = page(&f, 0u8, 10u8);
    assert_eq!(response.log_length, Nat::from(3u8));
    assert_eq!(response.first_index, Nat::from(0u8));
    let kinds: Vec<&str> = response.transactions.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, vec!["mint", "mint", "transfer"]);
    let transfer = response.transactions[2].transfer.as_ref().unwrap();
    assert_eq!(transfer.amount, Nat::from(7u8));
    assert_eq!(transfer.fee, Some(Nat::from(FEE)));
    assert_eq!(transfer.memo, memo(b"invoice-1"));
    assert_eq!(transfer.created_at_time, Some(START));
    assert_eq!((transfer.from, transfer.to), (acc(alice()), acc(bob())));
    assert!(response.archived_transactions.is_empty());
}

#[test]
fn pages_walk_the_log_and_are_capped() {
    let mut f = ledger();
    for _ in 0..20 {
        f.transfer(owner(), acc(carol()), 1).unwrap();
    }
    let middle = page(&f, 5u8, 10u8);
    assert_eq!(middle.first_index, Nat::from(5u8));
    assert_eq!(middle.transactions.len(), 10);
    let tail = page(&f, 20u8, 10u8);
    assert_eq!(tail.transactions.len(), 2, "22 transactions in all");
    let past_end = page(&f, 100u8, 10u8);
    assert_eq!((past_end.first_index, past_end.transactions.len()), (Nat::from(22u8), 0));
    let huge = page(&f, beyond_u128(), beyond_u128());
    assert_eq!(huge.transactions.len(), 0);
    let everything = page(&f, 0u8, beyond_u128());
    assert_eq!(everything.transactions.len(), 22);
}

#[test]
fn a_page_never_exceeds_the_cap() {
    let mut f = ledger_with(TokenArgs { transfer_fee: Nat::from(0u8), ..token_args() });
    for _ in 0..MAX_TRANSACTIONS_PER_REQUEST + 5 {
        f.transfer(alice(), acc(bob()), 0).unwrap();
    }
    let response = page(&f, 0u8, MAX_TRANSACTIONS_PER_REQUEST * 2);
    assert_eq!(response.transactions.len() as u64, MAX_TRANSACTIONS_PER_REQUEST);
    assert_eq!(response.log_length, Nat::from(MAX_TRANSACTIONS_PER_REQUEST + 7));
}

#[test]
fn refused_requests_leave_no_trace_in_the_log() {
    let mut f = ledger();
    let _ = f.transfer(carol(), acc(bob()), 1);
    let _ = f.approve(carol(), acc(bob()), 1);
    let _ = f.transfer_from(carol(), acc(alice()), acc(bob()), 1);
    assert_eq!(f.ledger.transaction_count(), 2);
}
