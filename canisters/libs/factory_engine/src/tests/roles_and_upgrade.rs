use super::*;
use crate::api::VersionStatus;
use crate::Role;
use fleet_api::{ContractStatus, PageRequest};

#[test]
fn only_admins_manage_roles_and_config() {
    let env = Env::new();
    let mut f = env.factory.borrow_mut();
    let new_backend = p(50);
    for who in [nobody(), backend(), releaser()] {
        assert!(matches!(f.setup_whitelist(&who, 1, new_backend), Err(FleetError::Unauthorized(_))));
        assert!(matches!(f.grant(&who, 1, Role::Admin, who.principal), Err(FleetError::Unauthorized(_))));
        assert!(matches!(f.set_config(&who, 1, FactoryConfig::default()), Err(FleetError::Unauthorized(_))));
        assert!(matches!(f.set_default_version(&who, 1, None), Err(FleetError::Unauthorized(_))));
    }
    // A controller adds an admin; that admin may add admins and replace the whitelist.
    f.grant(&controller(), 1, Role::Admin, p(60)).unwrap();
    let admin = Caller::new(p(60), false);
    f.grant(&admin, 1, Role::Admin, p(61)).unwrap();
    f.setup_whitelist(&admin, 1, new_backend).unwrap();
    assert_eq!(f.roles.list(Role::Whitelisted), vec![new_backend]);
    f.grant(&admin, 1, Role::Whitelisted, backend().principal).unwrap();
    assert_eq!(f.roles.list(Role::Whitelisted).len(), 2);
    assert!(matches!(f.revoke(&admin, 1, Role::Admin, p(60)), Err(FleetError::InvalidInput(_))));
    f.revoke(&admin, 1, Role::Admin, p(61)).unwrap();
    assert!(matches!(f.grant(&admin, 1, Role::Release, Principal::anonymous()), Err(FleetError::InvalidInput(_))));
    let bad = FactoryConfig { max_concurrent_uploads: 0, ..FactoryConfig::default() };
    assert!(matches!(f.set_config(&admin, 1, bad), Err(FleetError::InvalidInput(_))));
}

#[test]
fn only_release_principals_and_admins_upload() {
    let env = Env::new();
    let begin = BeginUploadArgs {
        version: "1.0.0".into(),
        sha256: vec![0; 32],
        size: 10,
        chunk_size: None,
        release_notes: String::new(),
        upgrade: UpgradeMetadata::default(),
    };
    let mut f = env.factory.borrow_mut();
    assert!(matches!(f.begin_upload(&backend(), 1, begin.clone()), Err(FleetError::Unauthorized(_))));
    assert!(matches!(f.begin_upload(&nobody(), 1, begin.clone()), Err(FleetError::Unauthorized(_))));
    let chunk = UploadChunkArgs { version: "1.0.0".into(), index: 0, bytes: vec![0; 10] };
    assert!(matches!(f.upload_chunk(&nobody(), chunk.clone()), Err(FleetError::Unauthorized(_))));
    assert!(matches!(f.finalize_upload(&nobody(), 1, "1.0.0"), Err(FleetError::Unauthorized(_))));
    assert_eq!(f.registry.summary().uploading, 0);
    f.begin_upload(&controller(), 1, begin).unwrap();
    f.upload_chunk(&releaser(), chunk).unwrap();
    assert!(matches!(f.yank_version(&nobody(), 1, "1.0.0", "x".into()), Err(FleetError::Unauthorized(_))));
    assert!(matches!(f.abort_upload(&nobody(), 1, "1.0.0"), Err(FleetError::Unauthorized(_))));
    f.abort_upload(&releaser(), 1, "1.0.0").unwrap();
}

#[test]
fn an_upgrade_keeps_registry_contracts_indexes_and_requests() {
    let env = Env::new().with_version("1.0.0", 100).with_version("1.1.0", 1_200_000);
    let options = DeployOptions { request_id: Some(5), initial_cycles: None };
    let first = env.deploy(backend(), alice(), args("A"), options.clone()).unwrap();
    let second = env.deploy(backend(), bob(), args("B"), DeployOptions::default()).unwrap();
    {
        let mut f = env.factory.borrow_mut();
        f.notify_participant_added(second, second, alice(), 9).unwrap();
        f.notify_deployment_complete(first, first, 9).unwrap();
        f.yank_version(&releaser(), 1, "1.0.0", "bug".into()).unwrap();
    }
    let before_list = env.factory.borrow().contracts_of(&controller(), alice(), PageRequest::default());
    let before_versions = env.factory.borrow().registry.list(PageRequest::default());
    let before_stats = env.factory.borrow().stats();
    let before_events = env.factory.borrow().events.len();

    env.upgrade();

    let f = env.factory.borrow();
    assert_eq!(f.schema_version(), crate::factory::SCHEMA_VERSION);
    assert_eq!(f.contracts_of(&controller(), alice(), PageRequest::default()), before_list);
    assert_eq!(before_list.items.len(), 2);
    assert_eq!(f.registry.list(PageRequest::default()), before_versions);
    assert_eq!(f.registry.get("1.0.0").unwrap().status, VersionStatus::Yanked);
    assert_eq!(f.registry.default_version().unwrap().version, "1.1.0");
    assert_eq!(f.stats(), before_stats);
    assert_eq!(f.events.len(), before_events);
    assert_eq!(f.contracts.get(&first).unwrap().status, ContractStatus::Active);
    assert!(f.roles.has(Role::Whitelisted, &backend().principal));
    let record = f.registry.record("1.1.0").unwrap();
    assert_eq!(f.registry.module_bytes(&record).unwrap().len() as u64, record.size);
    drop(f);
    // The idempotency key survives too.
    assert_eq!(env.deploy(backend(), alice(), args("A"), options), Ok(first));
}

#[test]
fn a_newer_schema_is_refused() {
    let env = Env::new();
    {
        let f = env.factory.borrow_mut();
        drop(f);
    }
    let mut newer = Factory::open(env.memory.clone(), ContractKind::Token);
    newer.migrate().unwrap();
    // Simulate memory written by a future layout.
    let manager = ic_stable_structures::memory_manager::MemoryManager::init(env.memory.clone());
    let mut cell = ic_stable_structures::StableCell::init(manager.get(crate::memory::SCHEMA_VERSION), 0u32);
    cell.set(crate::factory::SCHEMA_VERSION + 1);
    let mut reopened = Factory::open(env.memory.clone(), ContractKind::Token);
    assert!(matches!(reopened.migrate(), Err(FleetError::InvalidState(_))));
}
