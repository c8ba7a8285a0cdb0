use crate::state;
use ic_cdk::query;
use token_api::{GetTransactionsRequest, GetTransactionsResponse};

/// The transaction log, oldest first, at most `token_api::MAX_TRANSACTIONS_PER_REQUEST` per call.
#[query]
fn get_transactions(request: GetTransactionsRequest) -> GetTransactionsResponse {
    state::read(|l| l.transactions(&request))
}
