//! The per-contract step machine, shared by rollouts and owners' upgrades:
//! preflight → stop → snapshot → install (upgrade mode) → start → verify → (next step of the path | done), and on any
//! failure after the stop: roll back (load the step's snapshot) and start. Every state is written to stable memory
//! before the await it leads to, and every state's action is idempotent (it re-reads `canister_status` before acting),
//! so a task whose future died (a trap, the factory's own upgrade) is resumed by the scheduler from where it was.
//! **A contract is never left stopped**: a start that fails is retried on every scheduler tick until it succeeds.

use ic_stable_structures::Memory;
use serde_bytes::ByteBuf;

use super::api::{SnapshotRef, TaskState};
use super::store::Task;
use crate::events::EventKind;
use crate::factory::Factory;
use crate::runtime::{CallResult, RunStatus, Runtime};
use crate::FactoryCell;

/// How long a started contract may take to report itself healthy (a migration running over timer messages) before
/// the upgrade is rolled back.
pub const VERIFY_GRACE_NS: u64 = 10 * 60 * 1_000_000_000;
/// How long a contract whose `health` says `migrating: …` (a bounded-step migration making progress, e.g. the
/// token's block log) may take: rolling it back would throw away what it accepted since the upgrade.
pub const MIGRATION_GRACE_NS: u64 = 24 * 60 * 60 * 1_000_000_000;
pub use super::meta::{TaskParams, DEFAULT_CYCLES_FLOOR, DEFAULT_STOP_TIMEOUT_S, DEFAULT_TOP_UP_CAP};
/// Longest reason kept in a task (the journal keeps the whole text).
const MAX_TASK_REASON: usize = 96;

pub fn params_of<M: Memory>(f: &Factory<M>, task: &Task) -> TaskParams {
    f.upgrades.task_params(task.rollout)
}

/// What one state's action decided.
enum Next {
    /// Go on with the task in this state (already written).
    Continue,
    /// Stop here; the scheduler runs the task again on a later tick (a start to retry, a health to re-check).
    Wait,
}

/// Runs task `id` until it ends or must wait. Returns the state it is left in. A task already driven by a live
/// future is left alone (`TaskState` as stored is returned).
pub async fn run_task<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, id: u64) -> Option<TaskState> {
    let claimed = cell.with(|f| f.running_tasks.try_claim(id));
    let Some(_guard) = claimed else {
        return cell.with(|f| f.upgrades.task(id).ok().map(|t| t.state));
    };
    // Whether this future entered the task's current state itself (then no earlier attempt at it can have lost a
    // reply, and the facts its own replies proved need no re-reading); false for a resumed task.
    let mut fresh = false;
    loop {
        let task = cell.with(|f| f.upgrades.task(id).ok())?;
        if task.state.is_terminal() {
            return Some(task.state);
        }
        let next = match task.state {
            TaskState::Queued => {
                advance(rt, cell, task, TaskState::Preflight, "started".into());
                Next::Continue
            }
            TaskState::Preflight => preflight(rt, cell, task).await,
            TaskState::Stopping => stop(rt, cell, task).await,
            TaskState::Snapshotting => snapshot(rt, cell, task, fresh).await,
            TaskState::Installing => install(rt, cell, task).await,
            TaskState::Starting => start(rt, cell, task).await,
            TaskState::Verifying => verify(rt, cell, task).await,
            TaskState::RollingBack => roll_back(rt, cell, task).await,
            _ => Next::Wait,
        };
        if let Next::Wait = next {
            return cell.with(|f| f.upgrades.task(id).ok().map(|t| t.state));
        }
        fresh = true;
    }
}

fn advance<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, mut task: Task, to: TaskState, detail: String) {
    let before = task.state;
    task.state = to;
    task.state_since = rt.now();
    if matches!(to, TaskState::Skipped | TaskState::Failed | TaskState::RolledBack) {
        task.reason = Some(shorten(&detail));
    }
    cell.with(|f| f.upgrades.save_task(before, &task, detail));
}

/// Enters `RollingBack` with `reason` (kept in the task: the rollback's outcome carries it).
fn fail_over<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, mut task: Task, reason: String) -> Next {
    task.reason = Some(shorten(&reason));
    advance(rt, cell, task, TaskState::RollingBack, reason);
    Next::Continue
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_TASK_REASON) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Whether a management-canister error says the factory is not (or no longer) a controller.
pub(crate) fn is_not_controller(error: &str) -> bool {
    error.contains("controller")
}

/// The registry's sha256 of `version`, from the heap cache once the version is past uploading.
fn sha_of<M: Memory>(f: &mut Factory<M>, version: &str) -> Option<Vec<u8>> {
    if let Some(sha) = f.upgrades.cached_sha(version) {
        return Some(sha);
    }
    let record = f.registry.record(version).ok()?;
    let sha = record.sha256.to_vec();
    if record.status != crate::api::VersionStatus::Uploading {
        f.upgrades.cache_sha(version, sha.clone());
    }
    Some(sha)
}

async fn preflight<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, mut task: Task) -> Next {
    let params = cell.with(|f| params_of(f, &task));
    let facts = match rt.canister_status(task.contract).await {
        Ok(facts) if facts.controllers.contains(&rt.self_id()) => facts,
        Ok(_) => return detach(rt, cell, task, "the factory is no longer among the controllers".into()),
        Err(e) if is_not_controller(&e) => return detach(rt, cell, task, e),
        Err(e) => {
            advance(rt, cell, task, TaskState::Failed, format!("canister_status: {e}"));
            return Next::Continue;
        }
    };
    let final_target = task.path.last().cloned().unwrap_or_default();
    let final_sha = cell.with(|f| sha_of(f, &final_target));
    if task.step == 0 && facts.module_hash.is_some() && facts.module_hash == final_sha {
        let sha = final_sha.unwrap_or_default();
        cell.with(|f| f.contracts.set_installed(&task.contract, &final_target, &sha));
        advance(
            rt,
            cell,
            task,
            TaskState::Skipped,
            format!("AlreadyAtTarget: the contract already runs {final_target}"),
        );
        return Next::Continue;
    }
    if let Some(sent) = task.top_up_in_flight.take() {
        // Resumed after a lost deposit reply: below the floor still means it never arrived.
        if facts.cycles < params.cycles_floor {
            task.cycles_topped_up = task.cycles_topped_up.saturating_sub(sent);
        }
        cell.with(|f| f.upgrades.save_task(task.state, &task, String::new()));
    }
    if facts.cycles < params.cycles_floor {
        let wanted = params.cycles_floor + params.cycles_floor / 2 - facts.cycles;
        let allowed = params.top_up_cap.saturating_sub(task.cycles_topped_up);
        let reserve = cell.with(|f| f.config().min_cycles_reserve);
        let affordable = rt.cycle_balance().saturating_sub(reserve);
        if wanted > allowed || wanted > affordable {
            let detail = format!(
                "InsufficientCycles: the contract holds {} cycles, below the floor of {}; topping it up needs {wanted} \
                 (cap left {allowed}, factory can spare {affordable})",
                facts.cycles, params.cycles_floor
            );
            advance(rt, cell, task, TaskState::Skipped, detail);
            return Next::Continue;
        }
        // Counted before the await: a lost reply must not make a resumed task give the contract the cycles twice.
        task.cycles_topped_up += wanted;
        task.top_up_in_flight = Some(wanted);
        cell.with(|f| f.upgrades.save_task(task.state, &task, String::new()));
        if let Err(e) = rt.deposit_cycles(task.contract, wanted).await {
            task.cycles_topped_up -= wanted;
            task.top_up_in_flight = None;
            advance(rt, cell, task, TaskState::Failed, format!("deposit_cycles: {e}"));
            return Next::Continue;
        }
        task.top_up_in_flight = None;
    }
    advance(rt, cell, task, TaskState::Stopping, "preflight passed".into());
    Next::Continue
}

/// The owner took the factory out of the controllers: the contract is Detached and never touched again.
fn detach<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, task: Task, why: String) -> Next {
    let now = rt.now();
    cell.with(|f| {
        f.contracts.detach(&task.contract);
        f.events.record(
            now,
            rt.self_id(),
            EventKind::ContractDetached { contract: task.contract, reason: shorten(&why) },
        );
    });
    advance(rt, cell, task, TaskState::Skipped, format!("Detached: {why}"));
    Next::Continue
}

async fn stop<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, task: Task) -> Next {
    let params = cell.with(|f| params_of(f, &task));
    match rt.stop_canister(task.contract).await {
        Ok(()) => {
            let next = if params.snapshot { TaskState::Snapshotting } else { TaskState::Installing };
            advance(rt, cell, task, next, "stopped".into());
        }
        Err(e) => {
            let waited = rt.now().saturating_sub(task.state_since);
            let reason = if waited >= params.stop_timeout_ns {
                format!(
                    "StopTimeout: the contract did not stop within {} s ({e})",
                    params.stop_timeout_ns / 1_000_000_000
                )
            } else {
                format!("stop_canister: {e}")
            };
            return fail_over(rt, cell, task, reason);
        }
    }
    Next::Continue
}

/// `fresh`: this future stopped the contract itself, so no snapshot of this step can exist yet: it replaces the
/// factory's previous one at once, and lists the contract's snapshots only if that fails (the owner deleted it).
/// A resumed task lists them first: one taken since this state began is this step's own, whose reply was lost.
async fn snapshot<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, mut task: Task, fresh: bool) -> Next {
    let known = cell.with(|f| f.upgrades.contract_info(&task.contract).last_snapshot);
    let known_id = known.as_ref().map(|k| k.id.to_vec());
    let direct = match fresh {
        true => rt.take_snapshot(task.contract, known_id.clone()).await.ok(),
        false => None,
    };
    let taken = match direct {
        Some(s) => s,
        None => {
            let existing = match rt.list_snapshots(task.contract).await {
                Ok(list) => list,
                Err(e) => return fail_over(rt, cell, task, format!("list_canister_snapshots: {e}")),
            };
            let adopted = existing.iter().find(|s| s.taken_at >= task.state_since && Some(&s.id) != known_id.as_ref());
            match adopted {
                Some(s) => s.clone(),
                None => {
                    let replace = known_id.filter(|id| existing.iter().any(|s| &s.id == id));
                    match rt.take_snapshot(task.contract, replace).await {
                        Ok(s) => s,
                        Err(e) => return fail_over(rt, cell, task, format!("take_canister_snapshot: {e}")),
                    }
                }
            }
        }
    };
    let source = task.step_source().to_string();
    let source_sha = cell.with(|f| sha_of(f, &source)).unwrap_or_default();
    task.snapshot = Some(ByteBuf::from(taken.id.clone()));
    let snapshot = SnapshotRef {
        id: ByteBuf::from(taken.id),
        version: source,
        module_hash: ByteBuf::from(source_sha),
        taken_at: taken.taken_at,
    };
    cell.with(|f| {
        let mut info = f.upgrades.contract_info(&task.contract);
        info.last_snapshot = Some(snapshot);
        f.upgrades.put_contract_info(task.contract, info);
    });
    advance(rt, cell, task, TaskState::Installing, "snapshot taken".into());
    Next::Continue
}

async fn install<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, mut task: Task) -> Next {
    let Some(target) = task.step_target().map(str::to_string) else {
        return fail_over(rt, cell, task, "the task has no step left to install".into());
    };
    let prepared = cell.with(|f| -> Result<_, String> {
        let record = f.registry.record(&target).map_err(|e| e.to_string())?;
        if !record.is_installable() {
            return Err(format!("version {target} became {:?}", record.status));
        }
        let arg = f.registry.upgrade_arg_bytes_of(&record).map_err(|e| e.to_string())?;
        let chunked = record.size + arg.len() as u64 > f.config().chunked_install_threshold;
        Ok((record, arg, chunked))
    });
    let (record, arg, chunked) = match prepared {
        Ok(p) => p,
        Err(e) => return fail_over(rt, cell, task, e),
    };
    // Resumed after an install whose reply was lost: the facts say whether it happened. (Never sent: nothing to ask.)
    if task.install_tried {
        match rt.canister_status(task.contract).await {
            Ok(facts) if facts.module_hash.as_deref() == Some(&record.sha256[..]) => {
                return installed(rt, cell, task, &target, record.sha256.to_vec());
            }
            Ok(_) => {}
            Err(e) => return fail_over(rt, cell, task, format!("canister_status before install: {e}")),
        }
    }
    task.install_tried = true;
    cell.with(|f| f.upgrades.save_task(task.state, &task, String::new()));
    let result = if chunked {
        upgrade_chunked(rt, cell, &task, &record, arg).await
    } else {
        let module = match cell.with(|f| f.registry.module_bytes(&record)) {
            Ok(m) => m,
            Err(e) => return fail_over(rt, cell, task, e.to_string()),
        };
        rt.upgrade_code(task.contract, module, arg).await
    };
    match result {
        Ok(()) => installed(rt, cell, task, &target, record.sha256.to_vec()),
        Err(e) => fail_over(rt, cell, task, format!("install_code (upgrade to {target}): {e}")),
    }
}

fn installed<R: Runtime, M: Memory, C: FactoryCell<M>>(
    rt: &R,
    cell: &C,
    task: Task,
    target: &str,
    sha: Vec<u8>,
) -> Next {
    cell.with(|f| {
        f.contracts.set_installed(&task.contract, target, &sha);
        f.upgrades.prove_install(task.id, task.step);
    });
    advance(rt, cell, task, TaskState::Starting, format!("installed {target}"));
    Next::Continue
}

async fn upgrade_chunked<R: Runtime, M: Memory, C: FactoryCell<M>>(
    rt: &R,
    cell: &C,
    task: &Task,
    record: &crate::registry::VersionRecord,
    arg: Vec<u8>,
) -> CallResult<()> {
    let mut hashes = Vec::with_capacity(record.chunk_count() as usize);
    for index in 0..record.chunk_count() {
        let chunk = cell.with(|f| f.registry.chunk(record, index)).map_err(|e| e.to_string())?;
        hashes.push(rt.upload_chunk(task.contract, chunk).await?);
    }
    let result = rt.upgrade_chunked_code(task.contract, hashes, record.sha256.to_vec(), arg).await;
    // The chunks cost the contract memory; a failed clear is harmless (the next upgrade clears too).
    let _ = rt.clear_chunk_store(task.contract).await;
    result
}

async fn start<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, task: Task) -> Next {
    match rt.start_canister(task.contract).await {
        Ok(()) => {
            advance(rt, cell, task, TaskState::Verifying, "started".into());
            Next::Continue
        }
        // Never left stopped: the scheduler retries.
        Err(_) => Next::Wait,
    }
}

async fn verify<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, mut task: Task) -> Next {
    let Some(target) = task.step_target().map(str::to_string) else {
        return fail_over(rt, cell, task, "the task has no step to verify".into());
    };
    // Health first: while a migration runs, each poll costs one call, not three.
    let health = rt.contract_health(task.contract).await;
    // This heap saw the step's install succeed (its reply names the module: the bytes whose sha256 the registry
    // checked) and the task is past its start: the module and the run status are proven, not read again. After the
    // factory's own upgrade the proof is gone and the facts are read.
    let proven = matches!(&health, Ok(h) if h.ok) && cell.with(|f| f.upgrades.take_install_proof(task.id, task.step));
    let problem = match health {
        Err(e) => Some((false, format!("health(): {e}"))),
        // The contract's own words (`migrating: …`) select the longer grace below.
        Ok(h) if !h.ok && h.message.starts_with("migrating") => Some((false, h.message)),
        Ok(h) if !h.ok => Some((false, format!("health(): {}", h.message))),
        Ok(_) => {
            let facts = match proven {
                true => None,
                false => Some(rt.canister_status(task.contract).await),
            };
            let sha = cell.with(|f| sha_of(f, &target)).unwrap_or_default();
            match facts {
                Some(Err(e)) => Some((false, format!("canister_status: {e}"))),
                Some(Ok(facts)) if facts.module_hash.as_deref() != Some(&sha[..]) => Some((
                    true,
                    format!("module hash {} is not {target}'s", hex::encode(facts.module_hash.unwrap_or_default())),
                )),
                Some(Ok(facts)) if facts.status != RunStatus::Running => Some((false, "not running yet".to_string())),
                _ => match rt.contract_version(task.contract).await {
                    Err(e) => Some((false, format!("version(): {e}"))),
                    Ok(v) if v != target => Some((true, format!("version() answers {v}, not {target}"))),
                    Ok(_) => None,
                },
            }
        }
    };
    match problem {
        None => {
            let now = rt.now();
            task.step += 1;
            task.install_tried = false;
            task.snapshot = None;
            cell.with(|f| {
                let mut info = f.upgrades.contract_info(&task.contract);
                info.last_upgraded_at = Some(now);
                f.upgrades.put_contract_info(task.contract, info);
            });
            let next = if (task.step as usize) < task.path.len() { TaskState::Stopping } else { TaskState::Done };
            advance(rt, cell, task, next, format!("verified {target}"));
            Next::Continue
        }
        // A wrong module or version is final; a health not yet ok (a migration still running) gets a grace period.
        Some((true, why)) => fail_over(rt, cell, task, format!("verification failed: {why}")),
        Some((false, why))
            if rt.now().saturating_sub(task.state_since)
                >= if why.starts_with("migrating") { MIGRATION_GRACE_NS } else { VERIFY_GRACE_NS } =>
        {
            fail_over(rt, cell, task, format!("verification failed after the grace period: {why}"))
        }
        Some((false, _)) => Next::Wait,
    }
}

async fn roll_back<R: Runtime, M: Memory, C: FactoryCell<M>>(rt: &R, cell: &C, task: Task) -> Next {
    let reason = task.reason.clone().unwrap_or_else(|| "rolled back".into());
    let snapshot = cell.with(|f| f.upgrades.contract_info(&task.contract).last_snapshot);
    let snapshot = snapshot.filter(|s| Some(&s.id) == task.snapshot.as_ref());
    let mut load_error = None;
    if let (true, Some(snapshot)) = (task.install_tried, &snapshot) {
        let facts = rt.canister_status(task.contract).await;
        let running = matches!(&facts, Ok(f) if f.status != RunStatus::Stopped);
        let stopped = if running { rt.stop_canister(task.contract).await } else { Ok(()) };
        let loaded = match stopped {
            Ok(()) => rt.load_snapshot(task.contract, snapshot.id.to_vec()).await,
            Err(e) => Err(format!("stop before load: {e}")),
        };
        if let Err(e) = loaded {
            load_error = Some(e);
        }
    }
    if rt.start_canister(task.contract).await.is_err() {
        // Never left stopped: the scheduler retries the whole rollback (loading again is harmless).
        return Next::Wait;
    }
    // The record follows the facts: the module the contract runs now.
    let facts = rt.canister_status(task.contract).await.ok();
    let module = facts.and_then(|f| f.module_hash);
    let source = task.step_source().to_string();
    let source_sha = cell.with(|f| sha_of(f, &source));
    let on_source = module.is_some() && module == source_sha;
    if on_source {
        cell.with(|f| f.contracts.set_installed(&task.contract, &source, &source_sha.clone().unwrap_or_default()));
    } else if let Some(module) = &module {
        let current = task.step_target().unwrap_or_default().to_string();
        cell.with(|f| {
            if sha_of(f, &current).as_deref() == Some(&module[..]) {
                f.contracts.set_installed(&task.contract, &current, module);
            }
        });
    }
    let (to, detail) = match (load_error, on_source) {
        (None, true) => (TaskState::RolledBack, reason),
        (Some(e), _) => (TaskState::Failed, format!("{reason}; loading the snapshot failed too: {e}")),
        (None, false) if snapshot.is_none() && task.install_tried => {
            (TaskState::Failed, format!("{reason}; no snapshot to roll back to"))
        }
        (None, false) => (TaskState::Failed, reason),
    };
    // Without an install, nothing changed: the task failed, it did not roll anything back.
    let to = if !task.install_tried { TaskState::Failed } else { to };
    advance(rt, cell, task, to, detail);
    Next::Continue
}
