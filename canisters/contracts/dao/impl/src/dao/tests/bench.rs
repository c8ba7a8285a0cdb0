//! Stable bytes per member and per proposal: the encoded keys and values the DAO stores (B-tree node overhead not
//! included). Printed as a table (`cargo test -p dao stable_bytes -- --nocapture`); the instruction counts are
//! measured on the real wasm in `tests/tests/dao.rs`.

use super::*;

fn total(fx: &Fixture) -> u64 {
    fx.dao(|d| d.stored_bytes()).values().map(|(_, bytes)| bytes).sum()
}

#[test]
fn stable_bytes_per_member_and_per_proposal() {
    let fx = Fixture::new(1_000_000);
    block_on(executor::send_reports(&fx.rt, &fx.cell));
    let empty = total(&fx);
    fx.stake(alice(), 10_000, 1).unwrap();
    block_on(executor::send_reports(&fx.rt, &fx.cell));
    let one_member = total(&fx);
    fx.stake(alice(), 10_000, 0).unwrap();
    let second_stake = total(&fx);
    fx.stake(bob(), 10_000, 0).unwrap();
    block_on(executor::send_reports(&fx.rt, &fx.cell));
    let two_members = total(&fx);
    fx.propose(alice(), treasury_transfer(outsider(), 100)).unwrap();
    let proposed = total(&fx);
    fx.vote(alice(), 0, Vote::Yes).unwrap();
    let voted = total(&fx);
    fx.rt.advance(PERIOD);
    fx.tick();
    let executed = total(&fx);

    println!("| what | stable bytes |");
    println!("|---|---|");
    println!("| member with one stake (member, stake, index, power history) | {} |", one_member - empty);
    println!("| each further stake of a member | {} |", second_stake - one_member);
    println!("| second member, one stake | {} |", two_members - second_stake);
    println!("| treasury-transfer proposal | {} |", proposed - two_members);
    println!("| ballot | {} |", voted - proposed);
    println!("| execution record | {} |", executed - voted);
    assert!(one_member - empty < 1_000, "{}", one_member - empty);
    assert!(proposed - two_members < 1_500, "{}", proposed - two_members);
}
