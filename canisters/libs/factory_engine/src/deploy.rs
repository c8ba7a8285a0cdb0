//! `createContract`: prepare (replay a known request, authorize, validate, pick the version, claim the idempotency
//! key, write the pending deployment) → get a canister whose only controller is the factory (a spare from an earlier
//! failure, checked and topped up, or a new one) → install (chunked when large) → hand over (add the owner to the
//! controllers) → record and index. The contract is recorded only once the owner controls it, and the owner controls
//! nothing before the factory's code is in it. Each await is preceded by a write of what is in flight; any failure
//! after the canister exists empties it (`uninstall_code`) and keeps it as a spare for the next deployment, before
//! the typed error goes back to the backend, which refunds. A canister that cannot be emptied stays listed as an
//! Orphaned pending deployment, which the reconciliation timer (`reconcile`) retries.

use candid::Principal;
use fleet_api::{ContractInit, DeployOptions, FleetError};
use ic_stable_structures::Memory;
use sha2::{Digest, Sha256};

use crate::api::{DeployStage, PendingDeployment, PendingPlan};
use crate::contracts::NewContract;
use crate::events::EventKind;
use crate::factory::Factory;
use crate::inflight::{Claim, RequestKey};
use crate::reconcile::RunningGuard;
use crate::registry::VersionRecord;
use crate::roles::Caller;
use crate::runtime::{mgmt_error, RunStatus, Runtime};
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
    /// Marks the pending deployment as owned by this running call, so the reconciliation timer leaves it alone.
    _running: RunningGuard,
}

/// How the awaited part ended.
enum Outcome {
    /// Installed, and the owner is a controller.
    Installed(Principal),
    /// Failed before any canister was used.
    Failed(FleetError),
    /// Failed; the canister was emptied and goes back to the spare pool with about `cycles`.
    Recycled { canister: Principal, cycles: u128, error: FleetError },
    /// Failed, and the canister could not be emptied.
    Orphaned { canister: Principal, error: FleetError, cleanup: String },
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

/// The idempotency key's request: the owner and the sha256 of the candid-encoded `(owner, args, initial_cycles)`.
fn request_key<A: candid::CandidType>(
    owner: Principal,
    args: &A,
    options: &DeployOptions,
) -> Result<RequestKey, FleetError> {
    let bytes = candid::encode_args((owner, args, &options.initial_cycles))
        .map_err(|e| FleetError::Internal(format!("encoding the request for its hash: {e}")))?;
    Ok(RequestKey { owner, args_hash: Sha256::digest(&bytes).into() })
}

fn prepare<K: ContractKindSpec, M: Memory, R: Runtime>(
    factory: &mut Factory<M>,
    runtime: &R,
    caller: Caller,
    owner: Principal,
    args: &K::Args,
    options: DeployOptions,
) -> Prepared {
    let key = request_key(owner, args, &options).map_err(Err)?;
    if let Some(request_id) = options.request_id {
        // A known request is answered whatever the whitelist, registry or config say now: a caller that was
        // whitelisted when it sent the request can always learn its outcome. Only the same request replays.
        if let Some(replayed) = factory.inflight.replay(caller.principal, request_id, &key).map_err(Err)? {
            return Err(replayed);
        }
    }
    factory.roles.require_whitelisted(&caller).map_err(Err)?;
    let checked = check::<K, M, R>(factory, runtime, owner, args, &options).map_err(Err)?;
    // Refused before a canister exists, rather than after the install when the contract is recorded.
    factory.contracts.check_initial_participants(&K::initial_participants(args)).map_err(Err)?;
    if let Some(request_id) = options.request_id {
        if let Claim::Replay(replayed) =
            factory.inflight.claim(caller.principal, request_id, key, runtime.now()).map_err(Err)?
        {
            return Err(replayed);
        }
    }
    let pending = PendingDeployment {
        id: 0,
        caller: caller.principal,
        request_id: options.request_id,
        owner,
        version: checked.version.version.clone(),
        canister: None,
        stage: DeployStage::Creating,
        started_at: runtime.now(),
        confirmed_early: false,
        last_error: None,
        plan: Some(PendingPlan {
            name: label(K::display_name(args)),
            is_public: K::is_public(args),
            participants: K::initial_participants(args),
            cycles: checked.cycles,
        }),
    };
    let pending_id = factory.inflight.open(pending);
    Ok(Plan {
        pending_id,
        caller: caller.principal,
        request_id: options.request_id,
        owner,
        version: checked.version,
        init_arg: checked.init_arg,
        cycles: checked.cycles,
        chunked: checked.chunked,
        _running: factory.running.claim(pending_id),
    })
}

/// What `check` fixes for a deployment.
struct Checked {
    version: VersionRecord,
    init_arg: Vec<u8>,
    cycles: u128,
    chunked: bool,
}

fn check<K: ContractKindSpec, M: Memory, R: Runtime>(
    factory: &Factory<M>,
    runtime: &R,
    owner: Principal,
    args: &K::Args,
    options: &DeployOptions,
) -> Result<Checked, FleetError> {
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
            let floor = crate::cycles_floor::min_initial_cycles(version.size);
            if cycles < floor {
                return Err(FleetError::invalid(format!(
                    "initial_cycles {cycles} is below this factory's floor of {floor}: a contract needs that much to \
                     stay above its freezing threshold for its first 30 days"
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
    Ok(Checked { version, init_arg, cycles, chunked })
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
    let canister = match acquire(runtime, state, plan).await {
        Ok(canister) => canister,
        Err(error) => return Outcome::Failed(error),
    };
    let installed = if plan.chunked {
        install_chunked(runtime, state, plan, canister).await
    } else {
        install(runtime, state, plan, canister).await
    };
    let handed_over = match installed {
        Ok(()) => {
            state.with(|f| f.inflight.update(plan.pending_id, |d| d.stage = DeployStage::HandingOver));
            hand_over(runtime, canister, plan.owner).await
        }
        Err(error) => Err(error),
    };
    match handed_over {
        Ok(()) => Outcome::Installed(canister),
        Err(error) => match runtime.uninstall_code(canister).await {
            Ok(()) => Outcome::Recycled { canister, cycles: plan.cycles, error },
            Err(reason) => Outcome::Orphaned { canister, error, cleanup: format!("uninstall_code: {reason}") },
        },
    }
}

/// A canister for the deployment, the factory its only controller: a spare if one is usable, else a new one. The
/// canister is written on the pending deployment before any await that involves it.
async fn acquire<M: Memory, R: Runtime>(
    runtime: &R,
    state: &impl FactoryCell<M>,
    plan: &Plan,
) -> Result<Principal, FleetError> {
    while let Some(spare) = state.with(|f| {
        let spare = f.spares.take()?;
        f.inflight.update(plan.pending_id, |d| d.canister = Some(spare.canister));
        Some(spare)
    }) {
        match ready_spare(runtime, spare.canister, plan.cycles).await {
            SpareCheck::Ready => {
                state.with(|f| f.inflight.update(plan.pending_id, |d| d.stage = DeployStage::Installing));
                return Ok(spare.canister);
            }
            SpareCheck::KeepForLater(reason) => {
                state.with(|f| {
                    f.spares.keep(spare.canister, spare.cycles, runtime.now());
                    f.inflight.update(plan.pending_id, |d| {
                        d.canister = None;
                        d.last_error = Some(reason);
                    });
                });
                break;
            }
            SpareCheck::Unusable(reason) => state.with(|f| {
                f.inflight.update(plan.pending_id, |d| d.canister = None);
                let kind = EventKind::SpareDiscarded { canister: spare.canister, reason };
                f.events.record(runtime.now(), plan.caller, kind);
            }),
        }
    }
    let canister = runtime
        .create_canister(vec![runtime.self_id()], plan.cycles)
        .await
        .map_err(|reason| mgmt_error("create_canister", reason))?;
    state.with(|f| {
        f.inflight.update(plan.pending_id, |d| {
            d.canister = Some(canister);
            d.stage = DeployStage::Installing;
        })
    });
    Ok(canister)
}

enum SpareCheck {
    Ready,
    /// Fine, but it could not be topped up now: back to the pool.
    KeepForLater(String),
    /// Not empty, not the factory's alone, not running, or unreadable: dropped from the pool.
    Unusable(String),
}

/// Checks that a spare is still empty, the factory's alone and running, and tops it up to `cycles`.
async fn ready_spare<R: Runtime>(runtime: &R, canister: Principal, cycles: u128) -> SpareCheck {
    let facts = match runtime.canister_status(canister).await {
        Ok(facts) => facts,
        Err(reason) => return SpareCheck::Unusable(format!("canister_status: {reason}")),
    };
    if facts.module_hash.is_some() {
        return SpareCheck::Unusable("it has a module installed".into());
    }
    if facts.controllers != [runtime.self_id()] {
        return SpareCheck::Unusable(format!("its controllers are {:?}, not the factory alone", facts.controllers));
    }
    if facts.status != RunStatus::Running {
        return SpareCheck::Unusable(format!("it is {:?}", facts.status));
    }
    if facts.cycles < cycles {
        if let Err(reason) = runtime.deposit_cycles(canister, cycles - facts.cycles).await {
            return SpareCheck::KeepForLater(format!("deposit_cycles: {reason}"));
        }
    }
    SpareCheck::Ready
}

/// Adds the owner to the controllers: from here on the owner controls a canister running the factory's code.
pub(crate) async fn hand_over<R: Runtime>(
    runtime: &R,
    canister: Principal,
    owner: Principal,
) -> Result<(), FleetError> {
    runtime
        .update_settings(canister, vec![runtime.self_id(), owner])
        .await
        .map_err(|reason| mgmt_error("update_settings", reason))
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

fn finish<M: Memory, R: Runtime>(
    factory: &mut Factory<M>,
    runtime: &R,
    plan: Plan,
    outcome: Outcome,
) -> Result<Principal, FleetError> {
    let now = runtime.now();
    let Some(pending) = factory.inflight.get(plan.pending_id) else {
        // Settled meanwhile by the reconciliation timer (only possible if this call outlived the factory's heap):
        // its settlement stands.
        return Err(FleetError::invalid_state(format!("deployment {} was settled by reconciliation", plan.pending_id)));
    };
    let result = match outcome {
        Outcome::Installed(canister) => record(factory, runtime, pending, plan.version.sha256.to_vec(), canister),
        Outcome::Failed(error) => {
            fail(factory, now, &pending, None, &error);
            Err(error)
        }
        Outcome::Recycled { canister, cycles, error } => {
            factory.spares.keep(canister, cycles, now);
            fail(factory, now, &pending, Some(canister), &error);
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

/// Closes a failed pending deployment (its canister, if any, already back in the spare pool) and journals it. The
/// request, if any, is settled by the caller.
pub(crate) fn fail<M: Memory>(
    factory: &mut Factory<M>,
    now: u64,
    pending: &PendingDeployment,
    canister: Option<Principal>,
    error: &FleetError,
) {
    factory.inflight.close(pending.id);
    let kind = EventKind::DeploymentFailed { owner: pending.owner, canister, reason: error.to_string() };
    factory.events.record(now, pending.caller, kind);
    factory.contracts.update_stats(|s| s.deployments_failed += 1);
}

/// Records the contract of a pending deployment whose canister runs `module_hash` and is controlled by its owner,
/// and closes the pending deployment. The request, if any, is settled by the caller.
pub(crate) fn record<M: Memory, R: Runtime>(
    factory: &mut Factory<M>,
    runtime: &R,
    pending: PendingDeployment,
    module_hash: Vec<u8>,
    canister: Principal,
) -> Result<Principal, FleetError> {
    let now = runtime.now();
    factory.inflight.close(pending.id);
    // An entry of the first layout carries no plan: recorded private and unnamed rather than lost.
    let plan =
        pending.plan.unwrap_or(PendingPlan { name: String::new(), is_public: false, participants: vec![], cycles: 0 });
    factory.contracts.insert(NewContract {
        id: canister,
        owner: pending.owner,
        version: pending.version.clone(),
        module_hash,
        created_at: now,
        confirmed_at: pending.confirmed_early.then_some(now),
        is_public: plan.is_public,
        name: plan.name,
        participants: plan.participants,
    })?;
    factory.registry.record_deployment(&pending.version);
    let spent = plan.cycles.saturating_add(runtime.creation_fee());
    factory.contracts.update_stats(|s| {
        s.deployments_succeeded += 1;
        s.cycles_spent_on_deployments = s.cycles_spent_on_deployments.saturating_add(spent);
        s.last_deploy_instructions = runtime.call_context_instructions();
    });
    let kind = EventKind::ContractDeployed { contract: canister, owner: pending.owner, version: pending.version };
    factory.events.record(now, pending.caller, kind);
    Ok(canister)
}
