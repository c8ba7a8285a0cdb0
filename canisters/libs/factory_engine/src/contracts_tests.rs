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
