//! `createContract`: prepare (authorize, validate, pick the version, claim the idempotency key, write the pending
//! deployment) → create the canister → install (chunked when large) → record and index. Each await is preceded by a
//! write of what is in flight; any failure after the canister exists deletes it (stop, delete) before the typed error
//! goes back to the backend, which refunds. A canister that cannot be deleted stays listed as an Orphaned pending
//! deployment for an admin.

use candid::Principal;
use fleet_api::{ContractInit, DeployOptions, FleetError};
use ic_stable_structures::Memory;
use sha2::{Digest, Sha256};

use crate::api::{DeployStage, PendingDeployment};
use crate::contracts::NewContract;
use crate::events::EventKind;
use crate::factory::Factory;
use crate::registry::VersionRecord;
use crate::roles::Caller;
use crate::runtime::{mgmt_error, Runtime};
use crate::{ContractKindSpec, FactoryCell};

/// Everything the awaits of one deployment need, fixed before the first one.
struct Plan {
    pending_id: u64,
    caller: Principal,
    request_id: Option<u64>,
    owner: Principal,
    version: VersionRecord,
    init_arg: Vec<u8>,
    cycles: u128,
    chunked: bool,
    name: String,
    is_public: bool,
    participants: Vec<Principal>,
}

/// How the awaited part ended.
enum Outcome {
    Installed(Principal),
    /// Failed; the canister (if one was created) was deleted.
    Failed {
        canister: Option<Principal>,
        error: FleetError,
    },
    /// Failed, and the created canister could not be deleted.
    Orphaned {
        canister: Principal,
        error: FleetError,
        cleanup: String,
    },
}

pub async fn create_contract<K: ContractKindSpec, M: Memory, R: Runtime>(
    runtime: &R,
    state: &impl FactoryCell<M>,
    caller: Caller,
    owner: Principal,
    args: K::Args,
    options: DeployOptions,
) -> Result<Principal, FleetError> {
    let plan = match state.with(|factory| prepare::<K, M, R>(factory, runtime, caller, owner, &args, options)) {
        Ok(plan) => plan,
        Err(Ok(replayed)) => return Ok(replayed),
        Err(Err(error)) => return Err(error),
    };
    let outcome = execute(runtime, state, &plan).await;
    state.with(|factory| finish(factory, runtime, plan, outcome))
}

type Prepared = Result<Plan, Result<Principal, FleetError>>;

fn prepare<K: ContractKindSpec, M: Memory, R: Runtime>(
    factory: &mut Factory<M>,
    runtime: &R,
    caller: Caller,
    owner: Principal,
    args: &K::Args,
    options: DeployOptions,
) -> Prepared {
    factory.roles.require_whitelisted(&caller).map_err(Err)?;
    if let Some(request_id) = options.request_id {
        // A finished request is replayed whatever the registry or config say now.
        match factory.inflight.request(caller.principal, request_id) {
            Some(crate::inflight::RequestState::Succeeded(contract)) => return Err(Ok(contract)),
            Some(crate::inflight::RequestState::Failed(error)) => return Err(Err(error)),
            Some(crate::inflight::RequestState::InProgress { .. }) => return Err(Err(FleetError::AlreadyInProgress)),
            None => {}
        }
    }
    let plan = plan::<K, M, R>(factory, runtime, caller, owner, args, &options).map_err(Err)?;
    if let Some(request_id) = options.request_id {
        factory.inflight.claim(caller.principal, request_id, runtime.now())?;
    }
    let pending = PendingDeployment {
        id: 0,
        caller: caller.principal,
        request_id: options.request_id,
        owner,
        version: plan.version.version.clone(),
        canister: None,
        stage: DeployStage::Creating,
        started_at: runtime.now(),
        confirmed_early: false,
        last_error: None,
    };
    let pending_id = factory.inflight.open(pending);
    Ok(Plan { pending_id, ..plan })
}

fn plan<K: ContractKindSpec, M: Memory, R: Runtime>(
    factory: &Factory<M>,
    runtime: &R,
    caller: Caller,
    owner: Principal,
    args: &K::Args,
    options: &DeployOptions,
) -> Result<Plan, FleetError> {
    if owner == Principal::anonymous() || owner == Principal::management_canister() {
        return Err(FleetError::invalid("owner must be a real principal, not anonymous or the management canister"));
    }
    let version = factory.registry.default_version().ok_or_else(|| {
        FleetError::ServiceNotConfigured(format!("no Published {} version in the registry", K::KIND.as_str()))
    })?;
    let init =
        ContractInit { factory: Some(runtime.self_id()), owner, version: version.version.clone(), args: args.clone() };
    K::validate(&init)?;
    let init_arg =
        candid::encode_one(&init).map_err(|e| FleetError::Internal(format!("encoding the init argument: {e}")))?;
    let config = factory.config();
    let cycles = match &options.initial_cycles {
        None => config.default_initial_cycles,
        Some(nat) => {
            let cycles = u128::try_from(nat.0.clone())
                .map_err(|_| FleetError::invalid("initial_cycles does not fit in 128 bits"))?;
            if cycles > config.max_initial_cycles {
                return Err(FleetError::invalid(format!(
                    "initial_cycles {cycles} exceeds this factory's limit of {}",
                    config.max_initial_cycles
                )));
            }
            cycles
        }
    };
    let needed = runtime.creation_fee().saturating_add(cycles).saturating_add(config.min_cycles_reserve);
    let balance = runtime.cycle_balance();
    if balance < needed {
        return Err(FleetError::invalid_state(format!(
            "the factory has {balance} cycles; this deployment needs {needed} (fee + initial cycles + reserve)"
        )));
    }
    let chunked = version.size + init_arg.len() as u64 > config.chunked_install_threshold;
    Ok(Plan {
        pending_id: 0,
        caller: caller.principal,
        request_id: options.request_id,
        owner,
        version,
        init_arg,
        cycles,
        chunked,
        name: label(K::display_name(args)),
        is_public: K::is_public(args),
        participants: K::initial_participants(args),
    })
}

/// The contract's label, cut to `MAX_NAME_TEXT` bytes (on a character boundary) so a record stays small.
fn label(mut name: String) -> String {
    if name.len() > crate::contracts::MAX_NAME_TEXT {
        let mut end = crate::contracts::MAX_NAME_TEXT;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

async fn execute<M: Memory, R: Runtime>(runtime: &R, state: &impl FactoryCell<M>, plan: &Plan) -> Outcome {
    let controllers = vec![runtime.self_id(), plan.owner];
    let canister = match runtime.create_canister(controllers, plan.cycles).await {
        Ok(canister) => canister,
        Err(reason) => return Outcome::Failed { canister: None, error: mgmt_error("create_canister", reason) },
    };
    state.with(|f| {
        f.inflight.update(plan.pending_id, |d| {
            d.canister = Some(canister);
            d.stage = DeployStage::Installing;
        })
    });
    let installed = if plan.chunked {
        install_chunked(runtime, state, plan, canister).await
    } else {
        install(runtime, state, plan, canister).await
    };
    match installed {
        Ok(()) => Outcome::Installed(canister),
        Err(error) => match delete(runtime, canister).await {
            Ok(()) => Outcome::Failed { canister: Some(canister), error },
            Err(cleanup) => Outcome::Orphaned { canister, error, cleanup },
        },
    }
}

async fn install<M: Memory, R: Runtime>(
    runtime: &R,
    state: &impl FactoryCell<M>,
    plan: &Plan,
    canister: Principal,
) -> Result<(), FleetError> {
    let module = state.with(|f| f.registry.module_bytes(&plan.version))?;
    runtime.install_code(canister, module, plan.init_arg.clone()).await.map_err(|r| mgmt_error("install_code", r))
}

/// Uploads the registry's chunks into the new canister's own chunk store, installs from them, and clears the store
/// (the chunks would otherwise cost the contract storage forever).
async fn install_chunked<M: Memory, R: Runtime>(
    runtime: &R,
    state: &impl FactoryCell<M>,
    plan: &Plan,
    canister: Principal,
) -> Result<(), FleetError> {
    let mut hashes = Vec::with_capacity(plan.version.chunk_count() as usize);
    for index in 0..plan.version.chunk_count() {
        let chunk = state.with(|f| f.registry.chunk(&plan.version, index))?;
        let expected = Sha256::digest(&chunk).to_vec();
        let hash = runtime.upload_chunk(canister, chunk).await.map_err(|r| mgmt_error("upload_chunk", r))?;
        if hash != expected {
            return Err(FleetError::Internal(format!("upload_chunk returned a different hash for chunk {index}")));
        }
        hashes.push(hash);
    }
    let module_hash = plan.version.sha256.to_vec();
    runtime
        .install_chunked_code(canister, hashes, module_hash, plan.init_arg.clone())
        .await
        .map_err(|r| mgmt_error("install_chunked_code", r))?;
    if let Err(reason) = runtime.clear_chunk_store(canister).await {
        // The contract is installed and works; the leftover chunks only cost it storage. Not worth failing (and
        // refunding) a good deployment for: counted in the journal instead.
        state.with(|f| {
            f.events.record(runtime.now(), plan.caller, EventKind::ChunkStoreNotCleared { canister, reason })
        });
    }
    Ok(())
}

/// Removes a canister whose install failed: stop, then delete (deleting needs a stopped canister). Its chunk store
/// goes with it.
async fn delete<R: Runtime>(runtime: &R, canister: Principal) -> Result<(), String> {
    runtime.stop_canister(canister).await.map_err(|r| format!("stop_canister: {r}"))?;
    runtime.delete_canister(canister).await.map_err(|r| format!("delete_canister: {r}"))
}

fn finish<M: Memory, R: Runtime>(
    factory: &mut Factory<M>,
    runtime: &R,
    plan: Plan,
    outcome: Outcome,
) -> Result<Principal, FleetError> {
    let now = runtime.now();
    let result = match outcome {
        Outcome::Installed(canister) => record(factory, runtime, &plan, canister),
        Outcome::Failed { canister, error } => {
            factory.inflight.close(plan.pending_id);
            let kind = EventKind::DeploymentFailed { owner: plan.owner, canister, reason: error.to_string() };
            factory.events.record(now, plan.caller, kind);
            factory.contracts.update_stats(|s| s.deployments_failed += 1);
            Err(error)
        }
        Outcome::Orphaned { canister, error, cleanup } => {
            let reason = format!("{error}; clean-up failed: {cleanup}");
            factory.inflight.update(plan.pending_id, |d| {
                d.stage = DeployStage::Orphaned;
                d.last_error = Some(reason.clone());
            });
            factory.events.record(now, plan.caller, EventKind::DeploymentOrphaned { canister, reason });
            factory.contracts.update_stats(|s| {
                s.deployments_failed += 1;
                s.orphaned_canisters += 1;
            });
            Err(error)
        }
    };
    if let Some(request_id) = plan.request_id {
        factory.inflight.settle(plan.caller, request_id, &result);
    }
    result
}

fn record<M: Memory, R: Runtime>(
    factory: &mut Factory<M>,
    runtime: &R,
    plan: &Plan,
    canister: Principal,
) -> Result<Principal, FleetError> {
    let now = runtime.now();
    let pending = factory.inflight.close(plan.pending_id);
    let confirmed_early = pending.map(|p| p.confirmed_early).unwrap_or(false);
    factory.contracts.insert(NewContract {
        id: canister,
        owner: plan.owner,
        version: plan.version.version.clone(),
        module_hash: plan.version.sha256.to_vec(),
        created_at: now,
        confirmed_at: confirmed_early.then_some(now),
        is_public: plan.is_public,
        name: plan.name.clone(),
        participants: plan.participants.clone(),
    })?;
    factory.registry.record_deployment(&plan.version.version);
    let spent = plan.cycles.saturating_add(runtime.creation_fee());
    factory.contracts.update_stats(|s| {
        s.deployments_succeeded += 1;
        s.cycles_spent_on_deployments = s.cycles_spent_on_deployments.saturating_add(spent);
        s.last_deploy_instructions = runtime.call_context_instructions();
    });
    let kind =
        EventKind::ContractDeployed { contract: canister, owner: plan.owner, version: plan.version.version.clone() };
    factory.events.record(now, plan.caller, kind);
    Ok(canister)
}
