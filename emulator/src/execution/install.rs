//! install / reinstall / upgrade / uninstall, canister deletion, and memory snapshots.
//!
//! Every install mode is one transaction: on failure the canister keeps its previous code, heap, stable memory,
//! certified data and timer. Upgrade runs `canister_pre_upgrade` on the old instance and `(start)` +
//! `canister_post_upgrade` on a fresh instance of the new module, sharing one instruction budget and one stable
//! memory undo log, so its cost does not depend on the size of untouched stable memory.

use std::sync::Arc;

use candid::Principal;
use ic_management_canister_types::{CanisterInstallMode, UpgradeFlags, WasmMemoryPersistence};
use sha2::{Digest, Sha256};

use super::run::{error_reject, Persist, RunArgs};
use crate::errors::{ErrorCode, RejectResponse};
use crate::scheduler::ContextId;
use crate::stable::StableMemory;
use crate::state::{CallOrigin, CanisterId, InstalledCode, MemorySnapshot, Subnet};
use crate::system_api::EntryKind;
use crate::wasm::{compile, Entry, LiveInstance};

/// What a failed installation must put back.
struct Saved {
    code: Option<InstalledCode>,
    instance: Option<LiveInstance>,
    certified_data: Vec<u8>,
    global_timer: u64,
    version: u64,
}

impl Subnet {
    /// Runs install / reinstall / upgrade of `wasm` (raw or gzip) on the canister, atomically.
    /// `caller` is what `msg_caller` returns in init/pre/post_upgrade. Does not check controllers.
    pub fn install_code(
        &mut self,
        canister_id: CanisterId,
        mode: CanisterInstallMode,
        wasm: &[u8],
        arg: &[u8],
        caller: Principal,
    ) -> Result<(), RejectResponse> {
        let Some(canister) = self.canister(&canister_id) else {
            return Err(RejectResponse::canister_not_found(canister_id));
        };
        let had_code = canister.code.is_some();
        let module = compile(wasm).map_err(|why| RejectResponse::invalid_wasm(canister_id, why))?;
        let code = InstalledCode { module_hash: Sha256::digest(wasm).into(), wasm: Arc::new(wasm.to_vec()), module };
        match mode {
            CanisterInstallMode::Install if had_code => Err(RejectResponse::new(
                ErrorCode::CanisterNonEmpty,
                format!("Canister {canister_id} cannot be installed because the canister is not empty."),
            )),
            CanisterInstallMode::Install | CanisterInstallMode::Reinstall => {
                self.install_fresh(canister_id, code, arg, caller)
            }
            CanisterInstallMode::Upgrade(_) if !had_code => Err(RejectResponse::wasm_module_not_found(canister_id)),
            CanisterInstallMode::Upgrade(flags) => self.upgrade(canister_id, code, arg, caller, flags),
        }
    }

    fn heap_limit(&self, canister_id: &CanisterId) -> u64 {
        self.canister(canister_id).map_or(0, |c| c.settings.wasm_memory_limit)
    }

    /// install and reinstall: fresh instance, empty stable memory, `(start)` then `canister_init(arg)`.
    fn install_fresh(
        &mut self,
        canister_id: CanisterId,
        code: InstalledCode,
        arg: &[u8],
        caller: Principal,
    ) -> Result<(), RejectResponse> {
        let instance = LiveInstance::new(code.module.clone(), self.heap_limit(&canister_id))
            .map_err(|why| RejectResponse::invalid_wasm(canister_id, why))?;
        let has_init = code.module.info.has_init;
        let canister = self.canister_mut(&canister_id).expect("checked by install_code");
        let old_stable = std::mem::take(&mut canister.stable);
        let saved = Saved {
            code: canister.code.replace(code),
            instance: canister.instance.replace(instance),
            certified_data: std::mem::take(&mut canister.certified_data),
            global_timer: std::mem::replace(&mut canister.global_timer, 0),
            version: canister.version,
        };
        canister.version += 1;
        let limit = self.config.install_instruction_limit;
        let mut used = 0;
        let mut steps = vec![(EntryKind::Start, Entry::Start, Vec::new())];
        if has_init {
            steps.push((EntryKind::Init, Entry::Export("canister_init"), arg.to_vec()));
        }
        for (kind, entry, arg) in steps {
            let mut args = RunArgs::new(kind, entry, caller, limit.saturating_sub(used));
            args.arg = arg;
            let outcome = self.run(canister_id, args, Persist::Commit);
            used += outcome.instructions;
            if let Err(error) = outcome.result {
                let canister = self.canister_mut(&canister_id).expect("still exists");
                canister.stable = old_stable;
                restore(canister, saved);
                return Err(error_reject(canister_id, &error, limit));
            }
        }
        Ok(())
    }

    fn upgrade(
        &mut self,
        canister_id: CanisterId,
        code: InstalledCode,
        arg: &[u8],
        caller: Principal,
        flags: Option<UpgradeFlags>,
    ) -> Result<(), RejectResponse> {
        let skip_pre_upgrade = flags.as_ref().and_then(|f| f.skip_pre_upgrade).unwrap_or(false);
        let persistence = flags.as_ref().and_then(|f| f.wasm_memory_persistence);
        let limit = self.config.install_instruction_limit;
        let heap_limit = self.heap_limit(&canister_id);
        let canister = self.canister_mut(&canister_id).expect("checked by install_code");
        let old_info = &canister.code.as_ref().expect("checked by install_code").module.info;
        let keep_heap = matches!(persistence, Some(WasmMemoryPersistence::Keep));
        if old_info.has_enhanced_orthogonal_persistence() && persistence.is_none() {
            return Err(RejectResponse::new(
                ErrorCode::CanisterContractViolation,
                format!(
                    "Error from Canister {canister_id}: Missing upgrade option: Enhanced orthogonal persistence \
                     requires the `wasm_memory_persistence` upgrade option."
                ),
            ));
        }
        if keep_heap && !code.module.info.has_enhanced_orthogonal_persistence() {
            return Err(RejectResponse::new(
                ErrorCode::CanisterContractViolation,
                format!(
                    "Error from Canister {canister_id}: Invalid upgrade option: The `wasm_memory_persistence: opt \
                     Keep` upgrade option requires that the new canister module supports enhanced orthogonal \
                     persistence."
                ),
            ));
        }
        let has_pre_upgrade = old_info.has_pre_upgrade && !skip_pre_upgrade;
        canister.stable.begin();
        let saved_timer = canister.global_timer;
        let saved_certified = canister.certified_data.clone();
        let saved_cycles = canister.cycles;

        let mut used = 0;
        if has_pre_upgrade {
            let args = RunArgs::new(EntryKind::PreUpgrade, Entry::Export("canister_pre_upgrade"), caller, limit);
            let outcome = self.run(canister_id, args, Persist::Defer);
            used += outcome.instructions;
            if let Err(error) = outcome.result {
                let canister = self.canister_mut(&canister_id).expect("still exists");
                canister.stable.rollback();
                if let Some(instance) = canister.instance.as_mut() {
                    let _ = instance.rollback();
                }
                return Err(error_reject(canister_id, &error, limit));
            }
        }

        let canister = self.canister_mut(&canister_id).expect("still exists");
        let new_instance = if keep_heap {
            // Enhanced orthogonal persistence: the new module starts on the old heap, with its own globals.
            let old = canister.instance.as_ref().map(|i| i.heap_copy()).unwrap_or_default();
            LiveInstance::restore(code.module.clone(), heap_limit, &old, &[])
        } else {
            LiveInstance::new(code.module.clone(), heap_limit)
        };
        let new_instance = match new_instance {
            Ok(instance) => instance,
            Err(why) => {
                canister.stable.rollback();
                if let Some(instance) = canister.instance.as_mut() {
                    let _ = instance.rollback();
                }
                canister.global_timer = saved_timer;
                canister.certified_data = saved_certified;
                return Err(RejectResponse::invalid_wasm(canister_id, why));
            }
        };
        let has_post_upgrade = code.module.info.has_post_upgrade;
        let saved = Saved {
            code: canister.code.replace(code),
            instance: canister.instance.replace(new_instance),
            certified_data: saved_certified,
            global_timer: saved_timer,
            version: canister.version,
        };
        // post_upgrade sees the new version; the timer is deactivated for every install mode.
        canister.version += 1;
        canister.global_timer = 0;

        let mut steps = Vec::new();
        if !keep_heap {
            steps.push((EntryKind::Start, Entry::Start, Vec::new()));
        }
        if has_post_upgrade {
            steps.push((EntryKind::PostUpgrade, Entry::Export("canister_post_upgrade"), arg.to_vec()));
        }
        for (kind, entry, arg) in steps {
            let mut args = RunArgs::new(kind, entry, caller, limit.saturating_sub(used));
            args.arg = arg;
            let outcome = self.run(canister_id, args, Persist::Defer);
            used += outcome.instructions;
            if let Err(error) = outcome.result {
                let canister = self.canister_mut(&canister_id).expect("still exists");
                canister.stable.rollback();
                canister.cycles = canister.cycles.min(saved_cycles);
                restore(canister, saved);
                if let Some(instance) = canister.instance.as_mut() {
                    let _ = instance.rollback();
                }
                return Err(error_reject(canister_id, &error, limit));
            }
        }
        let canister = self.canister_mut(&canister_id).expect("still exists");
        canister.stable.commit();
        if let Some(instance) = canister.instance.as_mut() {
            instance.commit();
        }
        Ok(())
    }

    /// Empties the canister: code, heap, stable memory, chunk store, certified data, timer; rejects open call
    /// contexts with CANISTER_REJECT; bumps the version. Does not check controllers.
    pub fn uninstall_code(&mut self, canister_id: CanisterId) -> Result<(), RejectResponse> {
        let Some(canister) = self.canister_mut(&canister_id) else {
            return Err(RejectResponse::canister_not_found(canister_id));
        };
        canister.code = None;
        canister.instance = None;
        canister.stable = StableMemory::default();
        canister.chunk_store.clear();
        canister.certified_data.clear();
        canister.global_timer = 0;
        canister.version += 1;
        self.reject_open_contexts(canister_id, "Canister has been uninstalled.");
        Ok(())
    }

    /// Rejects every call context of the canister that still owes a response and marks them deleted, so their
    /// callbacks never run (responses still refund cycles).
    fn reject_open_contexts(&mut self, canister_id: CanisterId, message: &str) {
        let ids: Vec<ContextId> =
            self.scheduler.contexts.iter().filter(|(_, c)| c.canister == canister_id).map(|(id, _)| *id).collect();
        for id in ids {
            let Some(context) = self.scheduler.contexts.get_mut(&id) else { continue };
            context.deleted = true;
            if !context.responded && !matches!(context.origin, CallOrigin::System) {
                context.responded = true;
                let refund = std::mem::take(&mut context.cycles_available);
                let origin = context.origin.clone();
                let reject = RejectResponse::new(ErrorCode::CanisterRejectedMessage, message.to_string());
                self.respond(&origin, Err(reject), refund);
            }
            self.after_execution(id, crate::execution::RunResult::empty(0), None);
        }
    }

    /// Removes a (stopped) canister; its id is never reused, messages still queued to it are rejected when they
    /// are delivered, responses to it are dropped.
    pub fn delete_canister_entry(&mut self, canister_id: CanisterId) -> Result<(), RejectResponse> {
        if self.canisters.remove(&canister_id).is_none() {
            return Err(RejectResponse::canister_not_found(canister_id));
        }
        self.reject_open_contexts_of_deleted(canister_id);
        Ok(())
    }

    fn reject_open_contexts_of_deleted(&mut self, canister_id: CanisterId) {
        let ids: Vec<ContextId> =
            self.scheduler.contexts.iter().filter(|(_, c)| c.canister == canister_id).map(|(id, _)| *id).collect();
        for id in ids {
            if let Some(context) = self.scheduler.contexts.get(&id) {
                if !context.responded && !matches!(context.origin, CallOrigin::System) {
                    let origin = context.origin.clone();
                    self.respond(&origin, Err(RejectResponse::canister_not_found(canister_id)), 0);
                }
            }
            self.scheduler.close_context(id);
        }
    }

    /// Copies the canister's code and memories (heap copied, stable memory shared copy-on-write).
    pub fn take_memory_snapshot(&mut self, canister_id: CanisterId) -> Result<MemorySnapshot, RejectResponse> {
        let Some(canister) = self.canister_mut(&canister_id) else {
            return Err(RejectResponse::canister_not_found(canister_id));
        };
        let (heap, globals) = match canister.instance.as_mut() {
            Some(instance) => (instance.heap_copy(), instance.global_values()),
            None => (Vec::new(), Vec::new()),
        };
        Ok(MemorySnapshot {
            code: canister.code.clone(),
            heap,
            globals,
            stable: canister.stable.committed_clone(),
            certified_data: canister.certified_data.clone(),
            global_timer: canister.global_timer,
        })
    }

    /// Restores code and memories from a snapshot (fresh instance from the cached module); bumps the version.
    pub fn load_memory_snapshot(
        &mut self,
        canister_id: CanisterId,
        snapshot: &MemorySnapshot,
    ) -> Result<(), RejectResponse> {
        let heap_limit = self.heap_limit(&canister_id);
        let Some(canister) = self.canister_mut(&canister_id) else {
            return Err(RejectResponse::canister_not_found(canister_id));
        };
        let instance = match &snapshot.code {
            Some(code) => Some(
                LiveInstance::restore(code.module.clone(), heap_limit, &snapshot.heap, &snapshot.globals)
                    .map_err(|why| RejectResponse::invalid_wasm(canister_id, why))?,
            ),
            None => None,
        };
        canister.code = snapshot.code.clone();
        canister.instance = instance;
        canister.stable = snapshot.stable.committed_clone();
        canister.certified_data = snapshot.certified_data.clone();
        canister.global_timer = snapshot.global_timer;
        canister.version += 1;
        Ok(())
    }

    /// Rejects every pending `stop_canister` call of the canister (start_canister on a Stopping canister).
    pub fn reject_stop_waiters(&mut self, canister_id: CanisterId, reject: RejectResponse) {
        let Some(canister) = self.canister_mut(&canister_id) else { return };
        let waiters = std::mem::take(&mut canister.stop_waiters);
        for origin in waiters {
            self.respond(&origin, Err(reject.clone()), 0);
        }
    }
}

fn restore(canister: &mut crate::state::Canister, saved: Saved) {
    canister.code = saved.code;
    canister.instance = saved.instance;
    canister.certified_data = saved.certified_data;
    canister.global_timer = saved.global_timer;
    canister.version = saved.version;
}
