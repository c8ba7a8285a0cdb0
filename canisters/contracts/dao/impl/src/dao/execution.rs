//! Executing adopted proposals, at most once each.
//!
//! [`Dao::begin_execution`] decides whether the proposal may be executed now and records the attempt (Executing,
//! attempts + 1, the exact `created_at_time` and memo of its transfer) — the commit point before the await; the
//! executor sends the transfer and [`Dao::finish_execution`] records the answer. Motions and parameter changes need
//! no call and finish inside `begin_execution`.
//!
//! Retry rules: a transfer whose outcome is unknown (a lost or undecodable reply, an upgrade while it was open) is
//! re-sent identically, so the ledger answers `Duplicate` with the first block if it went through; only a transfer
//! the ledger refused is retried with a fresh `created_at_time`.

use super::staking::too_old_text;
use super::Dao;
use crate::runtime::{CallFailure, CallResult};
use candid::{Nat, Principal};
use dao_api::{proposal_memo, Execution, ExecutionFailure, ExecutionOutcome, Proposal, ProposalAction, ProposalState};
use fleet_api::FleetError;
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::transfer::{Memo, TransferArg, TransferError};
use icrc_ledger_types::icrc2::transfer_from::TransferFromError;

/// What `begin_execution` decided.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // One short-lived value per execution attempt.
pub enum ExecutionStep {
    /// Send this treasury transfer, then record its answer.
    Send { ledger: Principal, arg: TransferArg },
    /// Nothing to send: executed without a call (motion, parameters), or its outcome recorded.
    Finished(Proposal),
}

/// A ledger's answer to a transfer, as far as the DAO cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerAnswer {
    /// Executed in this block (also a `Duplicate`: an identical earlier call executed there).
    Executed(Nat),
    /// The ledger refused; this call executed nothing. `too_old`: the ledger no longer deduplicates it.
    /// `allowance`: it refused for want of allowance, which was this.
    Refused { reason: String, too_old: bool, allowance: Option<Nat> },
    /// No answer the DAO can read.
    Failed(CallFailure),
}

impl LedgerAnswer {
    pub fn from_transfer(reply: CallResult<Result<Nat, TransferError>>) -> Self {
        match reply {
            Ok(Ok(block)) | Ok(Err(TransferError::Duplicate { duplicate_of: block })) => Self::Executed(block),
            Ok(Err(error)) => {
                Self::Refused { too_old: error == TransferError::TooOld, reason: error.to_string(), allowance: None }
            }
            Err(failure) => Self::Failed(failure),
        }
    }

    pub fn from_transfer_from(reply: CallResult<Result<Nat, TransferFromError>>) -> Self {
        match reply {
            Ok(Ok(block)) | Ok(Err(TransferFromError::Duplicate { duplicate_of: block })) => Self::Executed(block),
            Ok(Err(error)) => Self::Refused {
                too_old: error == TransferFromError::TooOld,
                allowance: match &error {
                    TransferFromError::InsufficientAllowance { allowance } => Some(allowance.clone()),
                    _ => None,
                },
                reason: error.to_string(),
            },
            Err(failure) => Self::Failed(failure),
        }
    }
}

impl<M: Memory> Dao<M> {
    /// Proposals the execution timer should run: adopted ones not yet attempted, and executing ones with no call
    /// awaiting in this heap (their reply was lost to an upgrade: re-sent identically).
    pub fn executions_due(&self, limit: usize) -> Vec<u64> {
        let tag = |state| super::state_tag(state);
        let adopted = tag(ProposalState::Adopted);
        let executing = tag(ProposalState::Executing);
        self.by_state
            .range((adopted, 0)..=(adopted, u64::MAX))
            .chain(self.by_state.range((executing, 0)..=(executing, u64::MAX)))
            .map(|entry| entry.key().1)
            .filter(|id| !self.proposals_in_flight.contains_key(id))
            .take(limit)
            .collect()
    }

    /// Starts an execution attempt of proposal `id` (its first, or a retry of a failed or interrupted one).
    /// The caller's right to ask is the executor's to check.
    pub fn begin_execution(&mut self, id: u64, now: u64) -> Result<ExecutionStep, FleetError> {
        self.decide_due(now);
        let mut proposal = self.proposal(id)?;
        if self.proposals_in_flight.contains_key(&id) {
            return Err(FleetError::AlreadyInProgress);
        }
        let before = proposal.state;
        let resend = match before {
            ProposalState::Adopted => false,
            // Executing with no call awaiting in this heap: the reply was lost (an upgrade while it was open).
            ProposalState::Executing => true,
            ProposalState::Failed => {
                let failure = proposal.execution.as_ref().and_then(|e| e.last_failure.clone());
                let Some(failure) = failure else {
                    return Err(FleetError::Internal(format!("proposal {id} is Failed without a failure record")));
                };
                if !failure.retryable {
                    return Err(FleetError::invalid_state(format!(
                        "proposal {id} failed and cannot be retried: {}",
                        failure.reason
                    )));
                }
                failure.outcome_unknown
            }
            ProposalState::Executed => {
                return Err(FleetError::invalid_state(format!("proposal {id} was executed; it never runs again")))
            }
            ProposalState::Open => {
                return Err(FleetError::invalid_state(format!(
                    "proposal {id} is open for votes until {}",
                    proposal.voting_ends_at
                )))
            }
            state => return Err(FleetError::invalid_state(format!("proposal {id} is {state:?}, not adopted"))),
        };
        let mut execution = proposal.execution.clone().unwrap_or(Execution {
            attempts: 0,
            last_attempt_at: now,
            created_at_time: None,
            memo: None,
            outcome: None,
            last_failure: None,
        });
        execution.attempts += 1;
        execution.last_attempt_at = now;
        let transfer = match &proposal.action {
            ProposalAction::TreasuryTransfer(t) => t.clone(),
            ProposalAction::Motion { .. } => {
                proposal.execution = Some(execution);
                succeed(&mut proposal, ExecutionOutcome::MotionAdopted);
                self.save(Some(before), &proposal);
                self.queue_current_status();
                return Ok(ExecutionStep::Finished(proposal));
            }
            ProposalAction::ChangeParameters(parameters) => {
                proposal.execution = Some(execution);
                match dao_api::validate_parameters(parameters) {
                    Ok(()) => {
                        let parameters = parameters.clone();
                        self.update_config(|c| c.parameters = parameters);
                        succeed(&mut proposal, ExecutionOutcome::ParametersChanged);
                    }
                    Err(e) => fail(&mut proposal, e.to_string(), false, false, now),
                }
                self.save(Some(before), &proposal);
                self.queue_current_status();
                return Ok(ExecutionStep::Finished(proposal));
            }
            ProposalAction::SetUpgradePolicy(_) => {
                proposal.execution = Some(execution);
                fail(&mut proposal, super::proposals::UPGRADE_POLICY_REFUSAL.into(), false, false, now);
                self.save(Some(before), &proposal);
                return Ok(ExecutionStep::Finished(proposal));
            }
        };
        // A re-send keeps the created_at_time of the call it repeats; a new call is created now.
        let created_at_time = match (resend, execution.created_at_time) {
            (true, Some(at)) => at,
            _ => now,
        };
        let memo = proposal_memo(id);
        execution.created_at_time = Some(created_at_time);
        execution.memo = Some(serde_bytes::ByteBuf::from(memo.clone()));
        proposal.execution = Some(execution);
        proposal.state = ProposalState::Executing;
        self.save(Some(before), &proposal);
        self.proposals_in_flight.insert(id, resend);
        let arg = TransferArg {
            from_subaccount: None,
            to: transfer.to,
            amount: transfer.amount,
            fee: transfer.fee,
            memo: Some(Memo::from(memo)),
            created_at_time: Some(created_at_time),
        };
        Ok(ExecutionStep::Send { ledger: transfer.ledger, arg })
    }

    /// Records the ledger's answer to proposal `id`'s treasury transfer.
    pub fn finish_execution(&mut self, id: u64, answer: LedgerAnswer, now: u64) -> Result<Proposal, FleetError> {
        let resend = self.proposals_in_flight.remove(&id).unwrap_or(true);
        let mut proposal = self.proposal(id)?;
        if proposal.state != ProposalState::Executing {
            return Err(FleetError::Internal(format!("proposal {id} is {:?}, not Executing", proposal.state)));
        }
        match answer {
            LedgerAnswer::Executed(block_index) => {
                succeed(&mut proposal, ExecutionOutcome::Transferred { block_index });
            }
            LedgerAnswer::Refused { reason, too_old: true, .. } if resend => {
                let at = proposal.execution.as_ref().and_then(|e| e.created_at_time).unwrap_or_default();
                fail(&mut proposal, too_old_text(&reason, &proposal_memo(id), at), true, false, now);
            }
            // Within the window the ledger would have answered Duplicate: neither call executed.
            LedgerAnswer::Refused { reason, .. } => fail(&mut proposal, format!("ledger: {reason}"), false, true, now),
            // Not delivered: this call did nothing, but a re-sent call still repeats one of unknown outcome.
            LedgerAnswer::Failed(CallFailure::NotExecuted(reason)) => fail(&mut proposal, reason, resend, true, now),
            LedgerAnswer::Failed(CallFailure::Unknown(reason)) => fail(&mut proposal, reason, true, true, now),
        }
        self.save(Some(ProposalState::Executing), &proposal);
        if proposal.state == ProposalState::Executed {
            self.queue_current_status();
        }
        Ok(proposal)
    }

    fn queue_current_status(&mut self) {
        let status = self.status_text();
        self.reports.queue_status(status);
    }
}

fn succeed(proposal: &mut Proposal, outcome: ExecutionOutcome) {
    proposal.state = ProposalState::Executed;
    if let Some(execution) = proposal.execution.as_mut() {
        execution.outcome = Some(outcome);
        execution.last_failure = None;
    }
}

fn fail(proposal: &mut Proposal, reason: String, outcome_unknown: bool, retryable: bool, now: u64) {
    proposal.state = ProposalState::Failed;
    if let Some(execution) = proposal.execution.as_mut() {
        execution.last_failure = Some(ExecutionFailure { reason, at: now, outcome_unknown, retryable });
    }
}
