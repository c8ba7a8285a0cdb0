//! `resolveDeployment`: an admin settles a deployment that no retry can settle (flagged for an operator). Each
//! resolution applies only in the stage where the facts it stands for can be true, and is journaled in the audit log
//! with the admin and the note; then the deployment advances as usual.

use super::flow::advance_guarded;
use super::guard::DeploymentGuard;
use super::outbox;
use super::runtime::Runtime;
use crate::state::{BackendState, Shared};
use audit_storage_api::{AuditAction, AuditOutcome, LogEventArgs};
use backend_api::{Deployment, DeploymentResolution, DeploymentStage, ResolveDeploymentArgs};
use fleet_api::{FleetError, FleetResult};
use ic_stable_structures::Memory;
use service_base::Caller;

/// Longest note an admin attaches to a resolution, in bytes.
pub const MAX_NOTE_BYTES: usize = 1024;

impl<M: Memory> BackendState<M> {
    /// Checks and applies `args` to the deployment's record (the sync half of `resolveDeployment`).
    fn apply_resolution(&mut self, caller: &Caller, args: &ResolveDeploymentArgs, now: u64) -> FleetResult<()> {
        self.access.require_admin(caller)?;
        if args.note.len() > MAX_NOTE_BYTES {
            return Err(FleetError::invalid(format!("note: at most {MAX_NOTE_BYTES} bytes")));
        }
        let id = args.id;
        let record = self.deployment_record(id).ok_or_else(|| FleetError::not_found(format!("deployment {id}")))?;
        if record.needs_operator.is_none() {
            return Err(FleetError::invalid_state(format!("deployment {id} is not waiting for an operator")));
        }
        let stage = record.stage();
        let refunding = matches!(stage, DeploymentStage::Refunding | DeploymentStage::RefundFailed);
        match (&args.resolution, stage) {
            (DeploymentResolution::Retry, _) => self.unflag(id, now),
            (DeploymentResolution::SettleWithFactory, DeploymentStage::Deploying) => {
                self.unflag(id, now);
                self.settle_with_factory(id, now);
            }
            (DeploymentResolution::TransferExecuted { block_index }, DeploymentStage::Charging) => {
                self.unflag(id, now);
                self.mark_paid(id, block_index.clone(), now);
            }
            (DeploymentResolution::TransferExecuted { block_index }, _) if refunding && record.refund.is_some() => {
                self.refunded(id, block_index.clone(), now);
            }
            (DeploymentResolution::TransferNotExecuted, DeploymentStage::Charging) => {
                self.charge_not_executed(id, format!("the payment did not execute (operator: {})", args.note), now);
            }
            (DeploymentResolution::TransferNotExecuted, _) if refunding => {
                self.unflag(id, now);
                self.refund_not_executed(id, format!("the refund did not execute (operator: {})", args.note), now);
            }
            (resolution, stage) => {
                return Err(FleetError::invalid_state(format!(
                    "{resolution:?} does not apply to deployment {id} in stage {stage:?}"
                )));
            }
        }
        let record = self.deployment_record(id).unwrap_or(record);
        self.audit(LogEventArgs {
            user: caller.principal,
            action: AuditAction::Other("DeploymentResolved".into()),
            service: record.view.kind.factory_service().into(),
            contract: record.view.contract,
            invoice_id: record.invoice_id(),
            outcome: AuditOutcome::Success,
            metadata: format!("deployment {id}: {:?}; {}", args.resolution, args.note),
            request_id: None,
        });
        Ok(())
    }
}

/// `resolveDeployment`, admins only: applies the resolution, then advances the deployment as far as it goes now.
pub async fn resolve_deployment<M: Memory, R: Runtime>(
    state: &Shared<M>,
    runtime: &R,
    caller: &Caller,
    args: ResolveDeploymentArgs,
) -> FleetResult<Deployment> {
    state.borrow().access.require_admin(caller)?;
    let guard = DeploymentGuard::try_acquire(state, args.id).ok_or(FleetError::AlreadyInProgress)?;
    state.borrow_mut().apply_resolution(caller, &args, runtime.now())?;
    advance_guarded(state, runtime, args.id, &guard).await;
    drop(guard);
    outbox::flush(state, runtime).await;
    state
        .borrow()
        .deployment_record(args.id)
        .map(|record| record.view)
        .ok_or_else(|| FleetError::not_found(format!("deployment {}", args.id)))
}
