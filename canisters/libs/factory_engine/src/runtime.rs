//! Everything a factory needs from the IC, behind one trait: the clock, its own id and balance, and the management
//! canister calls of a deployment. `IcRuntime` is the real one; tests use a fake that records calls and fails on
//! demand, so the deploy flow is tested natively step by step.

use candid::Principal;
use fleet_api::FleetError;

/// A management-canister call that failed, in words (reject code and message).
pub type CallResult<T> = Result<T, String>;

#[allow(async_fn_in_trait)]
pub trait Runtime {
    fn now(&self) -> u64;
    fn self_id(&self) -> Principal;
    /// Cycles the factory can spend.
    fn cycle_balance(&self) -> u128;
    /// Fee the IC charges for creating a canister (paid on top of the new canister's initial cycles).
    fn creation_fee(&self) -> u128;
    /// Instructions executed so far by the current call context, all its executions included (what a whole
    /// `createContract` costs the factory).
    fn call_context_instructions(&self) -> u64;

    async fn create_canister(&self, controllers: Vec<Principal>, cycles: u128) -> CallResult<Principal>;
    async fn install_code(&self, canister: Principal, wasm: Vec<u8>, arg: Vec<u8>) -> CallResult<()>;
    /// Uploads one chunk to `canister`'s chunk store and returns its hash.
    async fn upload_chunk(&self, canister: Principal, chunk: Vec<u8>) -> CallResult<Vec<u8>>;
    async fn install_chunked_code(
        &self,
        canister: Principal,
        chunk_hashes: Vec<Vec<u8>>,
        module_hash: Vec<u8>,
        arg: Vec<u8>,
    ) -> CallResult<()>;
    async fn clear_chunk_store(&self, canister: Principal) -> CallResult<()>;
    /// Replaces the controllers of `canister` (the other settings stay).
    async fn update_settings(&self, canister: Principal, controllers: Vec<Principal>) -> CallResult<()>;
    /// Empties `canister`: code, memory and chunk store; cycles and controllers stay.
    async fn uninstall_code(&self, canister: Principal) -> CallResult<()>;
    async fn canister_status(&self, canister: Principal) -> CallResult<CanisterFacts>;
    /// Moves `cycles` of the factory's balance to `canister`.
    async fn deposit_cycles(&self, canister: Principal, cycles: u128) -> CallResult<()>;

    // --- upgrades (`upgrade::machine`) ---
    async fn stop_canister(&self, canister: Principal) -> CallResult<()>;
    async fn start_canister(&self, canister: Principal) -> CallResult<()>;
    /// `install_code` in upgrade mode (the contract's `post_upgrade` gets `arg`).
    async fn upgrade_code(&self, canister: Principal, wasm: Vec<u8>, arg: Vec<u8>) -> CallResult<()>;
    /// `install_chunked_code` in upgrade mode, from chunks already in `canister`'s own chunk store.
    async fn upgrade_chunked_code(
        &self,
        canister: Principal,
        chunk_hashes: Vec<Vec<u8>>,
        module_hash: Vec<u8>,
        arg: Vec<u8>,
    ) -> CallResult<()>;
    /// Takes a snapshot of a stopped canister, deleting `replace` once the new one exists.
    async fn take_snapshot(&self, canister: Principal, replace: Option<Vec<u8>>) -> CallResult<SnapshotFacts>;
    async fn list_snapshots(&self, canister: Principal) -> CallResult<Vec<SnapshotFacts>>;
    async fn load_snapshot(&self, canister: Principal, snapshot: Vec<u8>) -> CallResult<()>;
    /// The contract's own `version` query (every kind has it, through the contract runtime).
    async fn contract_version(&self, canister: Principal) -> CallResult<String>;
    /// The contract's own `health` query.
    async fn contract_health(&self, canister: Principal) -> CallResult<fleet_api::ContractHealth>;
}

/// A canister snapshot as the management canister lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotFacts {
    pub id: Vec<u8>,
    pub taken_at: u64,
}

/// What `canister_status` tells a deployment about a canister it controls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanisterFacts {
    /// sha256 of the installed module; `None` for an empty canister.
    pub module_hash: Option<Vec<u8>>,
    pub controllers: Vec<Principal>,
    pub status: RunStatus,
    pub cycles: u128,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Stopping,
    Stopped,
}

pub(crate) fn mgmt_error(method: &str, reason: String) -> FleetError {
    FleetError::call_failed(Principal::management_canister(), method, reason)
}

/// The IC itself, through ic-cdk's management canister API.
pub struct IcRuntime;

mod ic {
    use super::*;
    use ic_cdk_management_canister as mgmt;

    fn describe(e: impl std::fmt::Display) -> String {
        e.to_string()
    }

    /// `install_code`'s argument with the module as a candid blob: ic-cdk's own type encodes it byte by byte as a
    /// `vec nat8` (same bytes on the wire), which cost the factory ~50 instructions per module byte.
    #[derive(candid::CandidType, serde::Serialize)]
    struct InstallCodeArgs {
        mode: mgmt::CanisterInstallMode,
        canister_id: Principal,
        #[serde(with = "serde_bytes")]
        wasm_module: Vec<u8>,
        #[serde(with = "serde_bytes")]
        arg: Vec<u8>,
        sender_canister_version: Option<u64>,
    }

    /// The part of `canister_status`'s reply the engine uses.
    #[derive(candid::CandidType, candid::Deserialize)]
    struct StatusReply {
        status: mgmt::CanisterStatusType,
        settings: StatusSettings,
        module_hash: Option<serde_bytes::ByteBuf>,
        cycles: candid::Nat,
    }

    #[derive(candid::CandidType, candid::Deserialize)]
    struct StatusSettings {
        controllers: Vec<Principal>,
    }

    async fn install(
        mode: mgmt::CanisterInstallMode,
        canister: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
    ) -> CallResult<()> {
        let args = InstallCodeArgs {
            mode,
            canister_id: canister,
            wasm_module: wasm,
            arg,
            sender_canister_version: Some(ic_cdk::api::canister_version()),
        };
        ic_cdk::call::Call::unbounded_wait(Principal::management_canister(), "install_code")
            .with_arg(&args)
            .await
            .map(|_| ())
            .map_err(describe)
    }

    impl Runtime for IcRuntime {
        fn now(&self) -> u64 {
            ic_cdk::api::time()
        }

        fn self_id(&self) -> Principal {
            ic_cdk::api::canister_self()
        }

        fn cycle_balance(&self) -> u128 {
            ic_cdk::api::canister_liquid_cycle_balance()
        }

        fn creation_fee(&self) -> u128 {
            ic_cdk::api::cost_create_canister()
        }

        fn call_context_instructions(&self) -> u64 {
            ic_cdk::api::performance_counter(1)
        }

        async fn create_canister(&self, controllers: Vec<Principal>, cycles: u128) -> CallResult<Principal> {
            let settings = mgmt::CanisterSettings { controllers: Some(controllers), ..Default::default() };
            let arg = mgmt::CreateCanisterArgs { settings: Some(settings) };
            mgmt::create_canister_with_extra_cycles(&arg, cycles).await.map(|r| r.canister_id).map_err(describe)
        }

        async fn install_code(&self, canister: Principal, wasm: Vec<u8>, arg: Vec<u8>) -> CallResult<()> {
            install(mgmt::CanisterInstallMode::Install, canister, wasm, arg).await
        }

        async fn upload_chunk(&self, canister: Principal, chunk: Vec<u8>) -> CallResult<Vec<u8>> {
            let args = mgmt::UploadChunkArgs { canister_id: canister, chunk };
            mgmt::upload_chunk(&args).await.map(|r| r.hash).map_err(describe)
        }

        async fn install_chunked_code(
            &self,
            canister: Principal,
            chunk_hashes: Vec<Vec<u8>>,
            module_hash: Vec<u8>,
            arg: Vec<u8>,
        ) -> CallResult<()> {
            let args = mgmt::InstallChunkedCodeArgs {
                mode: mgmt::CanisterInstallMode::Install,
                target_canister: canister,
                store_canister: None,
                chunk_hashes_list: chunk_hashes.into_iter().map(|hash| mgmt::ChunkHash { hash }).collect(),
                wasm_module_hash: module_hash,
                arg,
            };
            mgmt::install_chunked_code(&args).await.map_err(describe)
        }

        async fn clear_chunk_store(&self, canister: Principal) -> CallResult<()> {
            mgmt::clear_chunk_store(&mgmt::ClearChunkStoreArgs { canister_id: canister }).await.map_err(describe)
        }

        async fn update_settings(&self, canister: Principal, controllers: Vec<Principal>) -> CallResult<()> {
            let settings = mgmt::CanisterSettings { controllers: Some(controllers), ..Default::default() };
            let args = mgmt::UpdateSettingsArgs { canister_id: canister, settings };
            mgmt::update_settings(&args).await.map_err(describe)
        }

        async fn uninstall_code(&self, canister: Principal) -> CallResult<()> {
            mgmt::uninstall_code(&mgmt::UninstallCodeArgs { canister_id: canister }).await.map_err(describe)
        }

        async fn canister_status(&self, canister: Principal) -> CallResult<CanisterFacts> {
            // Only the fields the engine reads: candid skips the rest of the reply (memory metrics, query
            // stats, the other settings) without building them.
            let status: StatusReply =
                ic_cdk::call::Call::bounded_wait(Principal::management_canister(), "canister_status")
                    .with_arg(mgmt::CanisterStatusArgs { canister_id: canister })
                    .await
                    .map_err(describe)?
                    .candid()
                    .map_err(describe)?;
            let cycles = u128::try_from(status.cycles.0).map_err(|_| "cycle balance beyond 128 bits".to_string())?;
            Ok(CanisterFacts {
                module_hash: status.module_hash.map(|h| h.into_vec()),
                controllers: status.settings.controllers,
                status: match status.status {
                    mgmt::CanisterStatusType::Running => RunStatus::Running,
                    mgmt::CanisterStatusType::Stopping => RunStatus::Stopping,
                    mgmt::CanisterStatusType::Stopped => RunStatus::Stopped,
                },
                cycles,
            })
        }

        async fn deposit_cycles(&self, canister: Principal, cycles: u128) -> CallResult<()> {
            mgmt::deposit_cycles(&mgmt::DepositCyclesArgs { canister_id: canister }, cycles).await.map_err(describe)
        }

        async fn stop_canister(&self, canister: Principal) -> CallResult<()> {
            mgmt::stop_canister(&mgmt::StopCanisterArgs { canister_id: canister }).await.map_err(describe)
        }

        async fn start_canister(&self, canister: Principal) -> CallResult<()> {
            mgmt::start_canister(&mgmt::StartCanisterArgs { canister_id: canister }).await.map_err(describe)
        }

        async fn upgrade_code(&self, canister: Principal, wasm: Vec<u8>, arg: Vec<u8>) -> CallResult<()> {
            install(mgmt::CanisterInstallMode::Upgrade(None), canister, wasm, arg).await
        }

        async fn upgrade_chunked_code(
            &self,
            canister: Principal,
            chunk_hashes: Vec<Vec<u8>>,
            module_hash: Vec<u8>,
            arg: Vec<u8>,
        ) -> CallResult<()> {
            let args = mgmt::InstallChunkedCodeArgs {
                mode: mgmt::CanisterInstallMode::Upgrade(None),
                target_canister: canister,
                store_canister: None,
                chunk_hashes_list: chunk_hashes.into_iter().map(|hash| mgmt::ChunkHash { hash }).collect(),
                wasm_module_hash: module_hash,
                arg,
            };
            mgmt::install_chunked_code(&args).await.map_err(describe)
        }

        async fn take_snapshot(&self, canister: Principal, replace: Option<Vec<u8>>) -> CallResult<SnapshotFacts> {
            let args = mgmt::TakeCanisterSnapshotArgs {
                canister_id: canister,
                replace_snapshot: replace,
                uninstall_code: None,
                sender_canister_version: None,
            };
            let snapshot = mgmt::take_canister_snapshot(&args).await.map_err(describe)?;
            Ok(SnapshotFacts { id: snapshot.id, taken_at: snapshot.taken_at_timestamp })
        }

        async fn list_snapshots(&self, canister: Principal) -> CallResult<Vec<SnapshotFacts>> {
            let args = mgmt::ListCanisterSnapshotsArgs { canister_id: canister };
            let list = mgmt::list_canister_snapshots(&args).await.map_err(describe)?;
            Ok(list.into_iter().map(|s| SnapshotFacts { id: s.id, taken_at: s.taken_at_timestamp }).collect())
        }

        async fn load_snapshot(&self, canister: Principal, snapshot: Vec<u8>) -> CallResult<()> {
            let args = mgmt::LoadCanisterSnapshotArgs { canister_id: canister, snapshot_id: snapshot };
            mgmt::load_canister_snapshot(&args).await.map_err(describe)
        }

        async fn contract_version(&self, canister: Principal) -> CallResult<String> {
            let reply = ic_cdk::call::Call::bounded_wait(canister, "version").await.map_err(describe)?;
            reply.candid::<String>().map_err(describe)
        }

        async fn contract_health(&self, canister: Principal) -> CallResult<fleet_api::ContractHealth> {
            let reply = ic_cdk::call::Call::bounded_wait(canister, "health").await.map_err(describe)?;
            reply.candid::<fleet_api::ContractHealth>().map_err(describe)
        }
    }
}
