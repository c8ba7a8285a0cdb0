use super::*;
use crate::memory;
use ic_stable_structures::memory_manager::MemoryManager;
use ic_stable_structures::VectorMemory;

fn store() -> (ContractStore<VectorMemory>, MemoryManager<VectorMemory>) {
    let manager = MemoryManager::init(VectorMemory::default());
    let store = ContractStore::init(
        manager.get(memory::CONTRACTS),
        manager.get(memory::MEMBERSHIPS),
        manager.get(memory::USER_COUNTS),
        manager.get(memory::CONTRACT_PARTICIPANTS),
        manager.get(memory::STATS),
        manager.get(memory::VISIBILITY_WORK),
        manager.get(memory::CALLBACK_BUCKETS),
    );
    (store, manager)
}

fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

fn contract(n: u64) -> Principal {
    let b = n.to_be_bytes();
    Principal::from_slice(&[0, 0, 0, 0, 0, b[4], b[5], b[6], b[7], 1])
}

fn new(id: Principal, owner: Principal, is_public: bool, participants: Vec<Principal>) -> NewContract {
    NewContract {
        id,
        owner,
        version: "1.0.0".into(),
        module_hash: vec![7; 32],
        created_at: 5,
        confirmed_at: None,
        is_public,
        name: "TOKEN".into(),
        participants,
    }
}

fn ids(page: &Page<ContractInfo>) -> Vec<Principal> {
    page.items.iter().map(|c| c.id).collect()
}

#[test]
fn creator_and_participants_see_each_contract_once_newest_first() {
    let (mut store, _) = store();
    let (alice, bob, carol) = (user(1), user(2), user(3));
    store.insert(new(contract(1), alice, true, vec![bob, alice, bob])).unwrap();
    store.insert(new(contract(2), bob, true, vec![])).unwrap();
    store.insert(new(contract(3), alice, true, vec![])).unwrap();
    assert!(store.add_participant(&contract(3), bob).unwrap());
    assert!(!store.add_participant(&contract(3), bob).unwrap(), "a second add is a no-op");
    assert!(!store.add_participant(&contract(3), alice).unwrap(), "the creator is not also a participant");

    let all = PageRequest::new(0, 10);
    assert_eq!(ids(&store.list_for_user(alice, true, all, ContractKind::Token)), vec![contract(3), contract(1)]);
    let bobs = store.list_for_user(bob, true, all, ContractKind::Token);
    assert_eq!(ids(&bobs), vec![contract(3), contract(2), contract(1)]);
    assert_eq!(bobs.total, 3);
    assert_eq!(store.list_for_user(carol, true, all, ContractKind::Token).total, 0);
    assert_eq!(store.get(&contract(1)).unwrap().participants, 1);
    assert_eq!(store.stats().participant_links, 2);
    assert!(matches!(store.add_participant(&contract(9), bob), Err(FleetError::NotFound(_))));
}

#[test]
fn private_contracts_are_hidden_unless_asked_for() {
    let (mut store, _) = store();
    let alice = user(1);
    for n in 1..=5 {
        store.insert(new(contract(n), alice, n % 2 == 1, vec![])).unwrap();
    }
    let page = PageRequest::new(0, 2);
    let public = store.list_for_user(alice, false, page, ContractKind::Token);
    assert_eq!((ids(&public), public.total, public.next_offset), (vec![contract(5), contract(3)], 3, Some(2)));
    let rest = store.list_for_user(alice, false, PageRequest::new(2, 2), ContractKind::Token);
    assert_eq!((ids(&rest), rest.next_offset), (vec![contract(1)], None));
    assert_eq!(store.list_for_user(alice, true, page, ContractKind::Token).total, 5);

    store.set_visibility(&contract(2), true).unwrap();
    store.set_visibility(&contract(5), false).unwrap();
    let after = store.list_for_user(alice, false, PageRequest::new(0, 10), ContractKind::Token);
    assert_eq!(ids(&after), vec![contract(3), contract(2), contract(1)]);
    assert_eq!(after.total, 3);
    assert_eq!(store.stats().private_contracts, 2);

    // A participant's view follows the contract's visibility too.
    let bob = user(2);
    store.add_participant(&contract(5), bob).unwrap();
    store.add_participant(&contract(3), bob).unwrap();
    let seen = |store: &ContractStore<VectorMemory>| {
        store.list_for_user(bob, false, PageRequest::new(0, 10), ContractKind::Token)
    };
    assert_eq!((ids(&seen(&store)), seen(&store).total), (vec![contract(3)], 1));
    store.set_visibility(&contract(5), true).unwrap();
    store.set_visibility(&contract(3), false).unwrap();
    assert_eq!((ids(&seen(&store)), seen(&store).total), (vec![contract(5)], 1));
    assert_eq!(store.list_for_user(bob, true, PageRequest::new(0, 10), ContractKind::Token).total, 2);
}

#[test]
fn confirm_moves_deploying_to_active_once() {
    let (mut store, _) = store();
    store.insert(new(contract(1), user(1), true, vec![])).unwrap();
    assert_eq!(store.get(&contract(1)).unwrap().status, ContractStatus::Deploying);
    store.confirm(&contract(1), 9).unwrap();
    store.confirm(&contract(1), 10).unwrap();
    let record = store.get(&contract(1)).unwrap();
    assert_eq!((record.status, record.confirmed_at), (ContractStatus::Active, Some(9)));
    let stats = store.stats();
    assert_eq!((stats.deploying, stats.active), (0, 1));
    assert!(matches!(store.set_reported_status(&contract(1), "x".repeat(65)), Err(FleetError::InvalidInput(_))));
    assert!(matches!(store.insert(new(contract(1), user(1), true, vec![])), Err(FleetError::AlreadyExists(_))));
}

/// Benchmark (native): stable-memory bytes per contract record, index entries included. Printed with
/// `cargo test -p factory_engine stable_bytes_per_contract -- --nocapture`.
#[test]
fn stable_bytes_per_contract() {
    use ic_stable_structures::Memory;
    let (mut store, manager) = store();
    let regions =
        [memory::CONTRACTS, memory::MEMBERSHIPS, memory::USER_COUNTS, memory::CONTRACT_PARTICIPANTS, memory::STATS];
    let pages = || regions.iter().map(|id| manager.get(*id).size()).sum::<u64>();
    let owners: Vec<Principal> = (0..100u8).map(user).collect();
    let before = pages();
    let n = 10_000u64;
    for i in 0..n {
        store.insert(new(contract(i), owners[(i % 100) as usize], i % 10 != 0, vec![])).unwrap();
    }
    let pages = pages() - before;
    let record_bytes = store.get(&contract(1)).unwrap().to_bytes().len();
    let per_contract = pages * 65536 / n;
    println!("{n} contracts: {pages} wasm pages of stable memory, {per_contract} bytes per contract (record encodes to {record_bytes} bytes)");
    // Regions grow by whole 64 KiB pages, so this slightly over-counts.
    assert!(per_contract < 4096, "{per_contract} bytes per contract");
}

fn many(from: u32, n: u32) -> Vec<Principal> {
    (from..from + n).map(|i| Principal::from_slice(&[&i.to_be_bytes()[..], &[9u8; 6]].concat())).collect()
}

#[test]
fn participants_are_capped_per_contract_all_or_nothing() {
    let (mut store, _) = store();
    let alice = user(1);
    store.insert(new(contract(1), alice, true, vec![])).unwrap();
    assert_eq!(store.add_participants(&contract(1), &many(0, 500)).unwrap(), 500);
    // Duplicates, already-indexed users and the creator are not counted twice.
    let mut again = many(0, 10);
    again.push(alice);
    again.extend(many(500, 1));
    again.extend(many(500, 1));
    assert_eq!(store.add_participants(&contract(1), &again).unwrap(), 1);
    for batch in 0..18 {
        store.add_participants(&contract(1), &many(1_000 + batch * 500, 500)).unwrap();
    }
    let record = store.get(&contract(1)).unwrap();
    assert_eq!(record.participants, 9_501);
    // 499 fit, 500 do not: the whole batch is refused, nothing stored.
    let over = store.add_participants(&contract(1), &many(100_000, 500));
    assert!(matches!(&over, Err(FleetError::InvalidState(m)) if m.contains("10000")), "{over:?}");
    assert_eq!(store.get(&contract(1)).unwrap(), record);
    assert_eq!(store.list_for_user(many(100_000, 1)[0], true, PageRequest::new(0, 1), ContractKind::Token).total, 0);
    assert_eq!(store.stats().participant_links, 9_501);
    assert_eq!(store.add_participants(&contract(1), &many(100_000, 499)).unwrap(), 499);
    assert!(matches!(store.add_participant(&contract(1), user(77)), Err(FleetError::InvalidState(_))));
    assert!(matches!(
        store.add_participants(&contract(1), &[Principal::anonymous()]),
        Err(FleetError::InvalidInput(_))
    ));
    // A contract cannot start beyond the cap either.
    let too_many = many(200_000, MAX_PARTICIPANTS as u32 + 1);
    assert!(matches!(store.insert(new(contract(2), alice, true, too_many)), Err(FleetError::InvalidInput(_))));
    assert!(store.get(&contract(2)).is_none());
}

#[test]
fn a_visibility_change_walks_participants_in_bounded_batches() {
    let (mut store, _) = store();
    let (alice, stranger_view) = (user(1), false);
    store.insert(new(contract(1), alice, true, vec![])).unwrap();
    let members = many(0, 1_200);
    for chunk in members.chunks(500) {
        store.add_participants(&contract(1), chunk).unwrap();
    }
    let visible_to_stranger = |store: &ContractStore<VectorMemory>, user: Principal| {
        store.list_for_user(user, stranger_view, PageRequest::new(0, 10), ContractKind::Token).total
    };
    // The first batch (and the creator) at once; the rest is left as work.
    assert!(store.set_visibility(&contract(1), false).unwrap(), "1,200 participants take more than one batch");
    assert_eq!(store.visibility_pending(), 1);
    assert!(!store.get(&contract(1)).unwrap().is_public);
    assert_eq!(visible_to_stranger(&store, alice), 0);
    let done = members.iter().filter(|m| visible_to_stranger(&store, **m) == 0).count();
    assert_eq!(done, VISIBILITY_BATCH);
    assert!(store.propagate_visibility(VISIBILITY_BATCH));
    // Turned back before the first change is done: the walk restarts with the new target.
    assert!(store.set_visibility(&contract(1), true).unwrap());
    while store.propagate_visibility(VISIBILITY_BATCH) {}
    assert_eq!(store.visibility_pending(), 0);
    assert!(members.iter().all(|m| visible_to_stranger(&store, *m) == 1));
    assert_eq!(store.stats().private_contracts, 0);
    // And private again, to the end: every count exact.
    store.set_visibility(&contract(1), false).unwrap();
    while store.propagate_visibility(7) {}
    assert!(members.iter().all(|m| visible_to_stranger(&store, *m) == 0));
    assert!(members
        .iter()
        .all(|m| store.list_for_user(*m, true, PageRequest::new(0, 10), ContractKind::Token).total == 1));
    assert_eq!(store.stats().private_contracts, 1);
}
