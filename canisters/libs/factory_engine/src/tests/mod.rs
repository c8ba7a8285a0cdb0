//! Native tests of the factory as a whole: deploy flow on the fake runtime (with a failure at every step),
//! idempotency, callbacks, roles, views, and an upgrade that reopens the same stable memory.

mod callbacks_and_views;
mod deploy;
mod reconcile;
mod requests;
mod roles_and_upgrade;

use candid::{CandidType, Principal};
use fleet_api::{ContractKind, DeployOptions, FleetError};
use ic_stable_structures::VectorMemory;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::cell::RefCell;

use crate::api::{BeginUploadArgs, FactoryConfig, FactoryInitArgs, UpgradeMetadata, UploadChunkArgs};
use crate::registry::wasm_meta::test_modules::gzip;
use crate::testing::{block_on, FakeRuntime};
use crate::{Caller, ContractKindSpec, Factory};

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
pub struct TestArgs {
    pub name: String,
    pub signers: Vec<Principal>,
    pub public: bool,
}

pub struct TestKind;

impl ContractKindSpec for TestKind {
    type Args = TestArgs;
    const KIND: ContractKind = ContractKind::Token;
    fn validate(init: &fleet_api::ContractInit<TestArgs>) -> Result<(), FleetError> {
        if init.args.name.is_empty() {
            return Err(FleetError::invalid("name must not be empty"));
        }
        Ok(())
    }
    fn display_name(args: &TestArgs) -> String {
        args.name.clone()
    }
    fn initial_participants(args: &TestArgs) -> Vec<Principal> {
        args.signers.clone()
    }
    fn is_public(args: &TestArgs) -> bool {
        args.public
    }
}

pub fn p(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}
pub fn controller() -> Caller {
    Caller::new(p(200), true)
}
pub fn backend() -> Caller {
    Caller::new(p(201), false)
}
pub fn releaser() -> Caller {
    Caller::new(p(202), false)
}
pub fn nobody() -> Caller {
    Caller::new(p(203), false)
}
pub fn alice() -> Principal {
    p(1)
}
pub fn bob() -> Principal {
    p(2)
}

pub fn args(name: &str) -> TestArgs {
    TestArgs { name: name.into(), signers: vec![], public: true }
}

pub struct Env {
    pub memory: VectorMemory,
    pub factory: RefCell<Factory<VectorMemory>>,
    pub rt: FakeRuntime,
}

impl Env {
    /// A factory with a whitelisted backend and a release principal, and no versions.
    pub fn new() -> Self {
        let memory = VectorMemory::default();
        let mut factory = Factory::open(memory.clone(), ContractKind::Token);
        factory.migrate().unwrap();
        let init = FactoryInitArgs {
            admins: vec![],
            whitelist: vec![backend().principal],
            release_principals: vec![releaser().principal],
            config: Some(FactoryConfig { chunked_install_threshold: 1_000_000, ..FactoryConfig::default() }),
        };
        factory.apply_init_args(init, controller().principal, 1).unwrap();
        Self { memory, factory: RefCell::new(factory), rt: FakeRuntime::default() }
    }

    /// With version `version` published from a module of about `size` bytes.
    pub fn with_version(self, version: &str, size: usize) -> Self {
        self.publish(version, size).unwrap();
        self
    }

    pub fn publish(&self, version: &str, size: usize) -> Result<Vec<u8>, FleetError> {
        // Pseudo-random padding: gzip cannot shrink it, so the module is about `size` bytes.
        let module = gzip(&fleet_wasm_random("token", version, size));
        let mut f = self.factory.borrow_mut();
        let begin = BeginUploadArgs {
            version: version.into(),
            sha256: Sha256::digest(&module).to_vec(),
            size: module.len() as u64,
            chunk_size: Some(256 * 1024),
            release_notes: String::new(),
            upgrade: UpgradeMetadata::default(),
        };
        let progress = f.begin_upload(&releaser(), 2, begin)?;
        for index in 0..progress.chunk_count {
            let start = index as usize * 256 * 1024;
            let bytes = module[start..(start + 256 * 1024).min(module.len())].to_vec();
            f.upload_chunk(&releaser(), UploadChunkArgs { version: version.into(), index, bytes })?;
        }
        f.finalize_upload(&releaser(), 3, version)?;
        Ok(module)
    }

    pub fn deploy(
        &self,
        caller: Caller,
        owner: Principal,
        args: TestArgs,
        options: DeployOptions,
    ) -> Result<Principal, FleetError> {
        block_on(crate::deploy::create_contract::<TestKind, _, _>(
            &self.rt,
            &self.factory,
            caller,
            owner,
            args,
            options,
        ))
    }

    /// Reopens the factory over the same stable memory, as `post_upgrade` does.
    pub fn upgrade(&self) {
        let mut reopened = Factory::open(self.memory.clone(), ContractKind::Token);
        reopened.migrate().unwrap();
        *self.factory.borrow_mut() = reopened;
    }
}

/// A token module padded with pseudo-random bytes (so gzip cannot shrink it) to about `size` bytes.
pub fn fleet_wasm_random(kind: &str, version: &str, size: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    crate::registry::wasm_meta::test_modules::wasm_with_sections(
        &[
            ("icp:public fleet:kind", kind.as_bytes()),
            ("icp:public fleet:version", version.as_bytes()),
            ("noise", &noise),
        ],
        0,
    )
}
