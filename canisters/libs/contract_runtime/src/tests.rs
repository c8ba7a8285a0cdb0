//! Install and upgrade bookkeeping of the runtime store, over a `VectorMemory`. "Upgrading" reopens the store on the
//! same memory, exactly as a new wasm instance does after `install_code` in upgrade mode.

use crate::migration::MigrationStep;
use crate::store::{DeploymentNotice, InstallMode, RuntimeStore};
use crate::{parse_upgrade_arg, ContractSpec};
use candid::{Encode, Principal};
use fleet_api::{ContractInit, ContractKind, ContractUpgrade, FleetError};
use ic_stable_structures::memory_manager::{MemoryManager, VirtualMemory};
use ic_stable_structures::VectorMemory;

type Mem = VirtualMemory<VectorMemory>;

fn spec(version: &'static str, schema_version: u32) -> ContractSpec {
    ContractSpec { kind: ContractKind::Token, version, schema_version }
}

fn owner() -> Principal {
    Principal::from_slice(&[1; 29])
}

fn factory() -> Principal {
    Principal::from_slice(&[2; 10])
}

fn init(version: &str, factory: Option<Principal>) -> ContractInit<()> {
    ContractInit { factory, owner: owner(), version: version.into(), args: () }
}

/// A canister's stable memory: the store can be (re)opened on it any number of times.
struct StableMemory(VectorMemory);

impl StableMemory {
    fn new() -> Self {
        Self(VectorMemory::default())
    }

    fn open(&self) -> RuntimeStore<Mem> {
        let manager = MemoryManager::init(self.0.clone());
        RuntimeStore::open(|id| manager.get(id))
    }
}

fn upgrade_arg(version: &str) -> ContractUpgrade {
    ContractUpgrade { version: version.into(), migration_arg: None }
}

/// Migration steps that record their order in a `Vec<u32>`.
fn recording_steps() -> Vec<MigrationStep<Vec<u32>>> {
    fn one_to_two(seen: &mut Vec<u32>, _: Option<&[u8]>) -> Result<(), String> {
        seen.push(1);
        Ok(())
    }
    fn two_to_three(seen: &mut Vec<u32>, _: Option<&[u8]>) -> Result<(), String> {
        seen.push(2);
        Ok(())
    }
    vec![
        MigrationStep { from: 1, description: "split balances", apply: one_to_two },
        MigrationStep { from: 2, description: "index by owner", apply: two_to_three },
    ]
}

#[test]
fn install_records_owner_factory_version_and_schema() {
    let memory = StableMemory::new();
    let mut store = memory.open();
    store.install(&spec("1.2.0", 3), &init("1.2.0", Some(factory())), 100).unwrap();

    let reopened = memory.open();
    assert_eq!(reopened.owner(), owner());
    assert_eq!(reopened.factory(), Some(factory()));
    assert_eq!(reopened.installed_version(), "1.2.0");
    assert_eq!(reopened.schema_version(), 3, "a fresh install starts at the code's schema");
    assert_eq!(
        reopened.deployment_notice(),
        DeploymentNotice::Pending { attempts: 0, last_error: None, next_attempt_at: Some(100) },
        "the first attempt is due right after the install"
    );
    let history = reopened.history();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].mode, history[0].at), (InstallMode::Install, 100));
}

#[test]
fn install_without_factory_needs_no_notice() {
    let memory = StableMemory::new();
    memory.open().install(&spec("1.0.0", 1), &init("1.0.0", None), 0).unwrap();
    assert_eq!(memory.open().deployment_notice(), DeploymentNotice::NotRequired);
    assert_eq!(memory.open().factory(), None);
}

#[test]
fn install_refuses_a_version_other_than_the_compiled_one() {
    let memory = StableMemory::new();
    let err = memory.open().install(&spec("1.0.0", 1), &init("1.0.1", None), 0).unwrap_err();
    let FleetError::InvalidInput(text) = err else { panic!("expected InvalidInput, got {err:?}") };
    assert!(text.contains("1.0.1") && text.contains("1.0.0"), "{text}");
    assert!(matches!(
        memory.open().install(&spec("1.0.0", 1), &init("one", None), 0),
        Err(FleetError::InvalidInput(_))
    ));
}

#[test]
fn install_accepts_the_same_version_spelled_with_spaces() {
    let memory = StableMemory::new();
    memory.open().install(&spec("1.0.0", 1), &init(" 1.0.0 ", None), 0).unwrap();
}

#[test]
fn install_refuses_an_anonymous_owner_or_factory() {
    let memory = StableMemory::new();
    let mut anonymous_owner = init("1.0.0", None);
    anonymous_owner.owner = Principal::anonymous();
    assert!(matches!(memory.open().install(&spec("1.0.0", 1), &anonymous_owner, 0), Err(FleetError::InvalidInput(_))));
    let anonymous_factory = init("1.0.0", Some(Principal::anonymous()));
    assert!(matches!(
        memory.open().install(&spec("1.0.0", 1), &anonymous_factory, 0),
        Err(FleetError::InvalidInput(_))
    ));
}

#[test]
fn upgrade_migrates_step_by_step_and_keeps_owner_and_factory() {
    let memory = StableMemory::new();
    memory.open().install(&spec("1.0.0", 1), &init("1.0.0", Some(factory())), 0).unwrap();

    let mut seen = vec![];
    let report = memory
        .open()
        .upgrade(&spec("2.0.0", 3), Some(&upgrade_arg("2.0.0")), &recording_steps(), &mut seen, 50)
        .unwrap();
    assert_eq!(seen, vec![1, 2], "steps run in order");
    assert_eq!(report.applied, vec!["split balances", "index by owner"]);

    let store = memory.open();
    assert_eq!(store.schema_version(), 3);
    assert_eq!(store.installed_version(), "2.0.0");
    assert_eq!((store.owner(), store.factory()), (owner(), Some(factory())));
    let last = store.history().pop().unwrap();
    assert_eq!(last.mode, InstallMode::Upgrade);
    assert_eq!(last.migrations, vec!["split balances", "index by owner"]);
}

#[test]
fn upgrade_without_argument_is_accepted() {
    let memory = StableMemory::new();
    memory.open().install(&spec("1.0.0", 1), &init("1.0.0", None), 0).unwrap();
    memory.open().upgrade(&spec("1.0.1", 1), None, &[] as &[MigrationStep<()>], &mut (), 1).unwrap();
    assert_eq!(memory.open().installed_version(), "1.0.1");
}

#[test]
fn upgrade_refuses_a_version_mismatch_and_changes_nothing() {
    let memory = StableMemory::new();
    memory.open().install(&spec("1.0.0", 1), &init("1.0.0", None), 0).unwrap();
    let mut seen = vec![];
    let err = memory
        .open()
        .upgrade(&spec("2.0.0", 3), Some(&upgrade_arg("2.1.0")), &recording_steps(), &mut seen, 1)
        .unwrap_err();
    assert!(matches!(err, FleetError::InvalidInput(_)), "{err:?}");
    assert!(seen.is_empty(), "no migration may run for a refused upgrade");
    assert_eq!(memory.open().schema_version(), 1);
}

#[test]
fn upgrade_refuses_a_schema_downgrade() {
    let memory = StableMemory::new();
    memory.open().install(&spec("2.0.0", 3), &init("2.0.0", None), 0).unwrap();
    let err = memory
        .open()
        .upgrade(&spec("1.0.0", 1), Some(&upgrade_arg("1.0.0")), &[] as &[MigrationStep<()>], &mut (), 1)
        .unwrap_err();
    let FleetError::InvalidState(text) = err else { panic!("expected InvalidState, got {err:?}") };
    assert!(text.contains("refusing to downgrade") && text.contains("schema 3"), "{text}");
}

#[test]
fn upgrade_refuses_memory_without_runtime_state() {
    let memory = StableMemory::new();
    let err = memory.open().upgrade(&spec("1.0.0", 1), None, &[] as &[MigrationStep<()>], &mut (), 1).unwrap_err();
    assert!(matches!(err, FleetError::InvalidState(_)), "{err:?}");
}

#[test]
fn health_is_ok_when_bookkeeping_matches_the_code_and_the_kind_is_ok() {
    let memory = StableMemory::new();
    memory.open().install(&spec("1.0.0", 1), &init("1.0.0", None), 0).unwrap();
    let store = memory.open();
    let health = store.health(&spec("1.0.0", 1), Ok("3 accounts".into()));
    assert!(health.ok, "{health:?}");
    assert_eq!(health.message, "3 accounts");
    assert_eq!((health.version.as_str(), health.schema_version, health.owner), ("1.0.0", 1, owner()));

    let sick = store.health(&spec("1.0.0", 1), Err("supply mismatch".into()));
    assert!(!sick.ok);
    assert!(sick.message.contains("supply mismatch"));

    let stale = store.health(&spec("1.1.0", 2), Ok(String::new()));
    assert!(!stale.ok, "schema and version lag the code: {stale:?}");
}

#[test]
fn upgrade_arg_decoding_accepts_nothing_null_and_the_record() {
    assert_eq!(parse_upgrade_arg(&[]).unwrap(), None);
    assert_eq!(parse_upgrade_arg(&Encode!().unwrap()).unwrap(), None);
    assert_eq!(parse_upgrade_arg(&Encode!(&None::<ContractUpgrade>).unwrap()).unwrap(), None);
    let arg = ContractUpgrade { version: "1.2.3".into(), migration_arg: Some(vec![1, 2]) };
    assert_eq!(parse_upgrade_arg(&Encode!(&Some(arg.clone())).unwrap()).unwrap(), Some(arg.clone()));
    assert_eq!(parse_upgrade_arg(&Encode!(&arg).unwrap()).unwrap(), Some(arg));
}

#[test]
fn upgrade_arg_decoding_rejects_garbage() {
    assert!(matches!(parse_upgrade_arg(b"not candid"), Err(FleetError::InvalidInput(_))));
    assert!(matches!(parse_upgrade_arg(&Encode!(&42u32).unwrap()), Err(FleetError::InvalidInput(_))));
    #[derive(candid::CandidType)]
    struct WrongShape {
        version: u64,
    }
    let wrong = Encode!(&Some(WrongShape { version: 1 })).unwrap();
    assert!(matches!(parse_upgrade_arg(&wrong), Err(FleetError::InvalidInput(_))), "a mistyped record is refused");
}

/// What `post_upgrade` re-arms: the next notice attempt, read from stable memory alone (timers do not survive an
/// upgrade, stable memory does).
mod notice_after_upgrade {
    use super::*;
    use crate::deployment::{after_attempt, MAX_ATTEMPTS};
    use std::time::Duration;

    const SEC: u64 = 1_000_000_000;

    fn installed_with_factory(now: u64) -> StableMemory {
        let memory = StableMemory::new();
        memory.open().install(&spec("1.0.0", 1), &init("1.0.0", Some(factory())), now).unwrap();
        memory
    }

    fn upgraded(memory: &StableMemory, now: u64) -> RuntimeStore<Mem> {
        let mut store = memory.open();
        store
            .upgrade(&spec("1.0.1", 1), Some(&upgrade_arg("1.0.1")), &[] as &[MigrationStep<()>], &mut (), now)
            .unwrap();
        store
    }

    #[test]
    fn an_upgrade_before_the_first_attempt_makes_it_at_once() {
        let memory = installed_with_factory(100);
        let store = upgraded(&memory, 150);
        assert_eq!(store.notice_to_resume(150), Some((factory(), 1, Duration::ZERO)));
    }

    #[test]
    fn an_upgrade_between_retries_keeps_the_attempt_count_and_the_remaining_delay() {
        let memory = installed_with_factory(0);
        // Attempt 3 failed at t = 10 s: attempt 4 is due 8 s later.
        let (notice, delay) = after_attempt(3, Err("factory stopped".into()), 10 * SEC);
        assert_eq!(delay, Some(Duration::from_secs(8)));
        memory.open().set_deployment_notice(notice);

        let store = upgraded(&memory, 13 * SEC);
        assert_eq!(store.notice_to_resume(13 * SEC), Some((factory(), 4, Duration::from_secs(5))));
        assert_eq!(
            store.notice_to_resume(30 * SEC),
            Some((factory(), 4, Duration::ZERO)),
            "an attempt already overdue is made at once"
        );
    }

    #[test]
    fn a_delivered_or_abandoned_notice_or_no_factory_arms_nothing() {
        let memory = installed_with_factory(0);
        memory.open().set_deployment_notice(after_attempt(2, Ok(()), 5).0);
        assert_eq!(upgraded(&memory, 10).notice_to_resume(10), None);

        memory.open().set_deployment_notice(after_attempt(MAX_ATTEMPTS, Err("gone".into()), 5).0);
        assert_eq!(upgraded(&memory, 10).notice_to_resume(10), None);

        let without_factory = StableMemory::new();
        without_factory.open().install(&spec("1.0.0", 1), &init("1.0.0", None), 0).unwrap();
        assert_eq!(upgraded(&without_factory, 10).notice_to_resume(10), None);
    }

    #[test]
    fn a_notice_stored_before_next_attempt_at_existed_is_resumed_at_once() {
        // What 1.0.0 of the runtime wrote: `Pending` without `next_attempt_at`.
        #[derive(candid::CandidType)]
        enum OldNotice {
            Pending { attempts: u32, last_error: Option<String> },
        }
        use ic_stable_structures::Storable;
        let old = candid::Encode!(&OldNotice::Pending { attempts: 2, last_error: Some("busy".into()) }).unwrap();
        let read = crate::storable::Candid::<DeploymentNotice>::from_bytes(std::borrow::Cow::Owned(old)).0;
        assert_eq!(
            read,
            DeploymentNotice::Pending { attempts: 2, last_error: Some("busy".into()), next_attempt_at: None }
        );

        let memory = installed_with_factory(0);
        memory.open().set_deployment_notice(read);
        assert_eq!(upgraded(&memory, 10).notice_to_resume(10), Some((factory(), 3, Duration::ZERO)));
    }
}
