//! The `PocketIc` methods that wrap management-canister calls. As in pocket-ic 16.1, each one is an ingress
//! update call to `aaaaa-aa` (sender defaults to the anonymous principal), so the ingress checks, payload limits
//! and `stop_canister`'s wait for the Stopped state behave exactly like a test's own `update_call`.

use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::Principal;
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInstallMode, CanisterSettings, CanisterStatusResult, ChunkHash,
    DeleteCanisterSnapshotArgs, InstallChunkedCodeArgs, InstallCodeArgs, LoadCanisterSnapshotArgs,
    ProvisionalCreateCanisterWithCyclesArgs, Snapshot, TakeCanisterSnapshotArgs, UpdateSettingsArgs, UpgradeFlags,
    UploadChunkArgs, WasmMemoryPersistence,
};

use super::chunks::chunk_hash;
use crate::errors::{ErrorCode, RejectResponse};
use crate::pic::PocketIc;
use crate::state::{CanisterId, DEFAULT_PROVISIONAL_CYCLES, MAX_CHUNK_SIZE};

/// pocket-ic installs through the chunk store when `wasm.len() + arg.len()` reaches this (ingress limit margin).
const INSTALL_CHUNKED_CODE_THRESHOLD: usize = 2_000_000;
/// Chunk size pocket-ic uses for that.
const INSTALL_CODE_CHUNK_SIZE: usize = MAX_CHUNK_SIZE;

/// `pocket_ic::CreateCanisterParams`: cycles (default 100 T), settings and placement.
#[derive(Clone, Debug, Default)]
pub struct CreateCanisterParams {
    pub cycles: Option<u128>,
    pub settings: Option<CanisterSettings>,
    pub placement: Option<CreateCanisterPlacement>,
}

/// Where to create a canister. The emulator has one subnet, so `SubnetId` is accepted and ignored.
#[derive(Clone, Debug)]
pub enum CreateCanisterPlacement {
    SubnetId(Principal),
    CanisterId(CanisterId),
}

fn sender_or_anonymous(sender: Option<Principal>) -> Principal {
    sender.unwrap_or_else(Principal::anonymous)
}

impl PocketIc {
    /// Encodes `args`, submits them to the management canister as `sender` and decodes the reply.
    fn call_management<A: ArgumentEncoder, R: for<'a> ArgumentDecoder<'a>>(
        &self,
        sender: Option<Principal>,
        method: &str,
        args: A,
    ) -> Result<R, RejectResponse> {
        let payload = candid::encode_args(args).map_err(|e| {
            RejectResponse::new(
                ErrorCode::InvalidManagementPayload,
                format!("cannot encode the {method} argument: {e}"),
            )
        })?;
        let reply = self.update_call(Principal::management_canister(), sender_or_anonymous(sender), method, payload)?;
        candid::decode_args(&reply).map_err(|e| {
            RejectResponse::new(
                ErrorCode::InvalidManagementPayload,
                format!("cannot decode the management canister's {method} reply: {e}"),
            )
        })
    }

    // ----- creation -----

    /// Creates a canister with default settings as the anonymous principal, with 100 T cycles.
    pub fn create_canister(&self) -> CanisterId {
        self.create_canister_with_params(None, CreateCanisterParams::default())
            .unwrap_or_else(|e| panic!("create_canister failed: {e}"))
    }

    /// Creates a canister with 100 T cycles; controllers default to `[sender]`. Panics on invalid settings, as
    /// pocket-ic does.
    pub fn create_canister_with_settings(
        &self,
        sender: Option<Principal>,
        settings: Option<CanisterSettings>,
    ) -> CanisterId {
        self.create_canister_with_params(sender, CreateCanisterParams { settings, ..Default::default() })
            .unwrap_or_else(|e| panic!("create_canister_with_settings failed: {e}"))
    }

    /// Creates a canister with the given id; `Err` if the id is taken (or was ever used).
    pub fn create_canister_with_id(
        &self,
        sender: Option<Principal>,
        settings: Option<CanisterSettings>,
        canister_id: CanisterId,
    ) -> Result<CanisterId, String> {
        self.create_canister_with_params(
            sender,
            CreateCanisterParams {
                settings,
                placement: Some(CreateCanisterPlacement::CanisterId(canister_id)),
                ..Default::default()
            },
        )
    }

    /// The emulator runs a single subnet; the subnet id is ignored.
    pub fn create_canister_on_subnet(
        &self,
        sender: Option<Principal>,
        settings: Option<CanisterSettings>,
        _subnet_id: Principal,
    ) -> CanisterId {
        self.create_canister_with_settings(sender, settings)
    }

    pub fn create_canister_with_params(
        &self,
        sender: Option<Principal>,
        params: CreateCanisterParams,
    ) -> Result<CanisterId, String> {
        let specified_id = match params.placement {
            Some(CreateCanisterPlacement::CanisterId(id)) => Some(id),
            Some(CreateCanisterPlacement::SubnetId(_)) | None => None,
        };
        let args = ProvisionalCreateCanisterWithCyclesArgs {
            amount: Some(params.cycles.unwrap_or(DEFAULT_PROVISIONAL_CYCLES).into()),
            settings: params.settings,
            specified_id,
            sender_canister_version: None,
        };
        self.call_management::<_, (CanisterIdRecord,)>(sender, "provisional_create_canister_with_cycles", (args,))
            .map(|(record,)| record.canister_id)
            .map_err(|e| format!("{e:?}"))
    }

    // ----- code -----

    /// Installs the module, through the chunk store when it is too large for one message. Panics on failure,
    /// as pocket-ic does.
    pub fn install_canister(
        &self,
        canister_id: CanisterId,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) {
        if let Err(e) = self.install_code_helper(CanisterInstallMode::Install, canister_id, wasm_module, arg, sender) {
            panic!("install_canister failed: {e}");
        }
    }

    pub fn upgrade_canister(
        &self,
        canister_id: CanisterId,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        self.install_code_helper(CanisterInstallMode::Upgrade(None), canister_id, wasm_module, arg, sender)
    }

    /// Upgrade keeping the wasm memory (Motoko enhanced orthogonal persistence).
    pub fn upgrade_eop_canister(
        &self,
        canister_id: CanisterId,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        let mode = CanisterInstallMode::Upgrade(Some(UpgradeFlags {
            skip_pre_upgrade: None,
            wasm_memory_persistence: Some(WasmMemoryPersistence::Keep),
        }));
        self.install_code_helper(mode, canister_id, wasm_module, arg, sender)
    }

    pub fn reinstall_canister(
        &self,
        canister_id: CanisterId,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        self.install_code_helper(CanisterInstallMode::Reinstall, canister_id, wasm_module, arg, sender)
    }

    pub fn uninstall_canister(&self, canister_id: CanisterId, sender: Option<Principal>) -> Result<(), RejectResponse> {
        self.call_management(sender, "uninstall_code", (CanisterIdRecord { canister_id },))
    }

    fn install_code_helper(
        &self,
        mode: CanisterInstallMode,
        canister_id: CanisterId,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        if wasm_module.len() + arg.len() < INSTALL_CHUNKED_CODE_THRESHOLD {
            let args = InstallCodeArgs { mode, canister_id, wasm_module, arg, sender_canister_version: None };
            return self.call_management(sender, "install_code", (args,));
        }
        self.clear_chunk_store(canister_id, sender)?;
        let mut hashes = Vec::new();
        for chunk in wasm_module.chunks(INSTALL_CODE_CHUNK_SIZE) {
            hashes.push(self.upload_chunk(canister_id, sender, chunk.to_vec())?);
        }
        let wasm_module_hash = chunk_hash(&wasm_module).to_vec();
        self.install_chunked_canister(canister_id, sender, mode, canister_id, hashes, wasm_module_hash, arg)
    }

    // ----- chunk store -----

    /// Uploads a chunk (≤ 1 MiB) to the canister's chunk store and returns its sha256.
    pub fn upload_chunk(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
        chunk: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        self.call_management::<_, (ChunkHash,)>(sender, "upload_chunk", (UploadChunkArgs { canister_id, chunk },))
            .map(|(hash,)| hash.hash)
    }

    pub fn stored_chunks(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
    ) -> Result<Vec<Vec<u8>>, RejectResponse> {
        self.call_management::<_, (Vec<ChunkHash>,)>(sender, "stored_chunks", (CanisterIdRecord { canister_id },))
            .map(|(hashes,)| hashes.into_iter().map(|h| h.hash).collect())
    }

    pub fn clear_chunk_store(&self, canister_id: CanisterId, sender: Option<Principal>) -> Result<(), RejectResponse> {
        self.call_management(sender, "clear_chunk_store", (CanisterIdRecord { canister_id },))
    }

    /// Installs the concatenation of the listed chunks of `store_canister_id`'s chunk store.
    #[allow(clippy::too_many_arguments)]
    pub fn install_chunked_canister(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
        mode: CanisterInstallMode,
        store_canister_id: CanisterId,
        chunk_hashes_list: Vec<Vec<u8>>,
        wasm_module_hash: Vec<u8>,
        arg: Vec<u8>,
    ) -> Result<(), RejectResponse> {
        let args = InstallChunkedCodeArgs {
            mode,
            target_canister: canister_id,
            store_canister: Some(store_canister_id),
            chunk_hashes_list: chunk_hashes_list.into_iter().map(|hash| ChunkHash { hash }).collect(),
            wasm_module_hash,
            arg,
            sender_canister_version: None,
        };
        self.call_management(sender, "install_chunked_code", (args,))
    }

    // ----- status, settings, run state -----

    pub fn canister_status(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
    ) -> Result<CanisterStatusResult, RejectResponse> {
        self.call_management::<_, (CanisterStatusResult,)>(
            sender,
            "canister_status",
            (CanisterIdRecord { canister_id },),
        )
        .map(|(status,)| status)
    }

    pub fn update_canister_settings(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
        settings: CanisterSettings,
    ) -> Result<(), RejectResponse> {
        let args = UpdateSettingsArgs { canister_id, settings, sender_canister_version: None };
        self.call_management(sender, "update_settings", (args,))
    }

    /// Replaces the controllers (an `update_settings` call, as in pocket-ic).
    pub fn set_controllers(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
        new_controllers: Vec<Principal>,
    ) -> Result<(), RejectResponse> {
        let settings = CanisterSettings { controllers: Some(new_controllers), ..Default::default() };
        self.update_canister_settings(canister_id, sender, settings)
    }

    pub fn start_canister(&self, canister_id: CanisterId, sender: Option<Principal>) -> Result<(), RejectResponse> {
        self.call_management(sender, "start_canister", (CanisterIdRecord { canister_id },))
    }

    /// Returns once the canister is Stopped (rounds run until its open call contexts are closed).
    pub fn stop_canister(&self, canister_id: CanisterId, sender: Option<Principal>) -> Result<(), RejectResponse> {
        self.call_management(sender, "stop_canister", (CanisterIdRecord { canister_id },))
    }

    pub fn delete_canister(&self, canister_id: CanisterId, sender: Option<Principal>) -> Result<(), RejectResponse> {
        self.call_management(sender, "delete_canister", (CanisterIdRecord { canister_id },))
    }

    // ----- snapshots -----

    pub fn take_canister_snapshot(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
        replace_snapshot: Option<Vec<u8>>,
    ) -> Result<Snapshot, RejectResponse> {
        let args = TakeCanisterSnapshotArgs {
            canister_id,
            replace_snapshot,
            uninstall_code: None,
            sender_canister_version: None,
        };
        self.call_management::<_, (Snapshot,)>(sender, "take_canister_snapshot", (args,)).map(|(s,)| s)
    }

    pub fn load_canister_snapshot(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
        snapshot_id: Vec<u8>,
    ) -> Result<(), RejectResponse> {
        let args = LoadCanisterSnapshotArgs { canister_id, snapshot_id, sender_canister_version: None };
        self.call_management(sender, "load_canister_snapshot", (args,))
    }

    pub fn list_canister_snapshots(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
    ) -> Result<Vec<Snapshot>, RejectResponse> {
        self.call_management::<_, (Vec<Snapshot>,)>(
            sender,
            "list_canister_snapshots",
            (CanisterIdRecord { canister_id },),
        )
        .map(|(list,)| list)
    }

    pub fn delete_canister_snapshot(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
        snapshot_id: Vec<u8>,
    ) -> Result<(), RejectResponse> {
        let args = DeleteCanisterSnapshotArgs { canister_id, snapshot_id };
        self.call_management(sender, "delete_canister_snapshot", (args,))
    }
}
