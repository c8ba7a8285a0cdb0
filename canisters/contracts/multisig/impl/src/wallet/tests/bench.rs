//! Stable bytes per signer and per proposal: the encoded keys and values the wallet stores (B-tree node overhead
//! not included). Printed as a table (`cargo test -p multisig stable_bytes -- --nocapture`); the instruction counts
//! are measured on the real wasm in `tests/tests/multisig.rs`.

use super::*;

fn total(fx: &Fixture) -> u64 {
    fx.wallet(|w| w.stored_bytes()).values().map(|(_, bytes)| bytes).sum()
}

#[test]
fn stable_bytes_per_signer_and_per_proposal() {
    let one = Fixture::with(args(vec![signer(1)], 1), 0);
    let fifty = Fixture::with(args((1..=50).map(signer).collect(), 1), 0);
    let per_signer = (total(&fifty) - total(&one)) / 49;

    let fx = Fixture::with(args((1..=3).map(signer).collect(), 3), 1_000_000);
    block_on(executor::send_reports(&fx.rt, &fx.cell));
    let empty = total(&fx);
    fx.propose(alice(), transfer(outsider(), 100)).unwrap();
    let proposed = total(&fx);
    fx.approve(bob(), 0).unwrap();
    let voted = total(&fx);
    fx.approve(carol(), 0).unwrap();
    let executed = total(&fx);

    let big = Fixture::with(args((1..=50).map(signer).collect(), 50), 0);
    block_on(executor::send_reports(&big.rt, &big.cell));
    let big_empty = total(&big);
    big.propose(signer(1), transfer(outsider(), 100)).unwrap();
    let big_proposal = total(&big) - big_empty;

    println!("| what | stable bytes |");
    println!("|---|---|");
    println!("| per signer (config + factory report queue) | {per_signer} |");
    println!("| transfer proposal, 3 signers, with its first vote | {} |", proposed - empty);
    println!("| one more vote | {} |", voted - proposed);
    println!("| execution record (transfer) | {} |", executed - voted - (voted - proposed));
    println!("| transfer proposal, 50 signers, with its first vote | {big_proposal} |");
    assert!(per_signer > 29 && per_signer < 100, "{per_signer}");
    assert!(big_proposal < 3_000, "{big_proposal}");
}
