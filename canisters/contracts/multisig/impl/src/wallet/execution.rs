//! Executing approved proposals, at most once each.
//!
//! [`Wallet::begin_execution`] decides whether the proposal may be executed now, records the attempt (Executing,
//! attempts + 1, the exact `created_at_time` and memo of a ledger call) and returns the call to make; the executor
//! makes it, and `finish_ledger` / `finish_call` record the answer. Signer and threshold changes need no call and are
//! applied inside `begin_execution`.
//!
//! Retry rules: a ledger call whose outcome is unknown is re-sent identically (same `created_at_time` and memo), so
//! the ledger answers `Duplicate` with the block of the first one if it went through; only a call the ledger refused
//! (it certainly did not execute) is retried as a new call with a fresh `created_at_time`. A canister call of unknown
//! outcome is never re-sent: nothing would deduplicate it.

use super::Wallet;
use candid::{Nat, Principal};
use fleet_api::FleetError;
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::transfer::{Memo, TransferArg, TransferError};
use icrc_ledger_types::icrc2::approve::{ApproveArgs, ApproveError};
use multisig_api::{
    proposal_memo, Execution, ExecutionFailure, ExecutionOutcome, Proposal, ProposalAction, ProposalState,
    MAX_RECORDED_REPLY_BYTES, MAX_SIGNERS,
};
use num_traits::ToPrimitive;

use crate::runtime::{CallFailure, CallResult};

/// The call an execution attempt makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    Transfer { ledger: Principal, arg: TransferArg },
    Approve { ledger: Principal, arg: ApproveArgs },
    Call { canister: Principal, method: String, arg: Vec<u8>, cycles: u128 },
}

/// What `begin_execution` decided.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // One short-lived value per execution attempt.
pub enum Step {
    /// Make this call, then record its answer.
    Send(Box<Outgoing>),
    /// Nothing to send: the proposal was executed without a call, or its outcome was recorded.
    Finished(Proposal),
}

/// A ledger's answer to a transfer or approve, as far as the wallet cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerAnswer {
    /// Executed in this block (also a `Duplicate`: an identical earlier call executed there).
    Executed(Nat),
    /// The ledger refused; nothing was executed by this call. `too_old`: the ledger no longer deduplicates it.
    Refused { reason: String, too_old: bool },
    /// No answer the wallet can read.
    Failed(CallFailure),
}

impl LedgerAnswer {
    pub fn from_transfer(reply: CallResult<Result<Nat, TransferError>>) -> Self {
        match reply {
            Ok(Ok(block)) | Ok(Err(TransferError::Duplicate { duplicate_of: block })) => Self::Executed(block),
            Ok(Err(error)) => Self::Refused { too_old: error == TransferError::TooOld, reason: format!("{error:?}") },
            Err(failure) => Self::Failed(failure),
        }
    }

    pub fn from_approve(reply: CallResult<Result<Nat, ApproveError>>) -> Self {
        match reply {
            Ok(Ok(block)) | Ok(Err(ApproveError::Duplicate { duplicate_of: block })) => Self::Executed(block),
            Ok(Err(error)) => Self::Refused { too_old: error == ApproveError::TooOld, reason: format!("{error:?}") },
            Err(failure) => Self::Failed(failure),
        }
    }
}

impl<M: Memory> Wallet<M> {
    /// Starts an execution attempt of proposal `id`: automatically (`caller = None`, right after the approval that
    /// reached the threshold) or by `execute` of `caller`, a signer of the proposal's snapshot.
    pub fn begin_execution(&mut self, caller: Option<Principal>, id: u64, now: u64) -> Result<Step, FleetError> {
        self.expire_due(now);
        let mut proposal = self.proposal(id)?;
        if let Some(caller) = caller {
            if !proposal.signers.contains(&caller) {
                return Err(FleetError::unauthorized(format!(
                    "only the signers proposal {id} was created with may execute it"
                )));
            }
        }
        if self.in_flight.contains_key(&id) {
            return Err(FleetError::AlreadyInProgress);
        }
        let before = proposal.state;
        let resend = match before {
            ProposalState::Open if proposal.approvals >= proposal.threshold => false,
            ProposalState::Open => {
                return Err(FleetError::invalid_state(format!(
                    "proposal {id} has {} of the {} approvals it needs",
                    proposal.approvals, proposal.threshold
                )))
            }
            // Executing with no call awaiting in this heap: the reply was lost (an upgrade while it was open).
            ProposalState::Executing => match proposal.action {
                ProposalAction::CanisterCall(_) => {
                    let reason = "the call's reply was lost (the wallet was upgraded while it was open); a canister \
                                  call is not deduplicated, so it is not sent again";
                    fail(&mut proposal, reason.to_string(), true, false, now);
                    self.save(before, &proposal);
                    return Ok(Step::Finished(proposal));
                }
                _ => true,
            },
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
                if !failure.outcome_unknown && now >= proposal.expires_at {
                    return Err(FleetError::invalid_state(format!(
                        "proposal {id} expired at {}; a failed proposal may be retried until then",
                        proposal.expires_at
                    )));
                }
                failure.outcome_unknown
            }
            ProposalState::Executed => {
                return Err(FleetError::invalid_state(format!("proposal {id} was executed; it never runs again")))
            }
            state => return Err(FleetError::invalid_state(format!("proposal {id} is {state:?}, not approved"))),
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
        // A re-send keeps the created_at_time of the call it repeats; a new call is created now.
        let created_at_time = match (resend, execution.created_at_time) {
            (true, Some(at)) => at,
            _ => now,
        };
        let memo = Memo::from(proposal_memo(id));
        let outgoing = match &proposal.action {
            ProposalAction::Transfer(t) => Outgoing::Transfer {
                ledger: t.ledger,
                arg: TransferArg {
                    from_subaccount: t.from_subaccount,
                    to: t.to,
                    amount: t.amount.clone(),
                    fee: t.fee.clone(),
                    memo: Some(memo.clone()),
                    created_at_time: Some(created_at_time),
                },
            },
            ProposalAction::Approve(a) => Outgoing::Approve {
                ledger: a.ledger,
                arg: ApproveArgs {
                    from_subaccount: a.from_subaccount,
                    spender: a.spender,
                    amount: a.amount.clone(),
                    expected_allowance: a.expected_allowance.clone(),
                    expires_at: a.expires_at,
                    fee: a.fee.clone(),
                    memo: Some(memo.clone()),
                    created_at_time: Some(created_at_time),
                },
            },
            ProposalAction::CanisterCall(call) => Outgoing::Call {
                canister: call.canister,
                method: call.method.clone(),
                arg: call.arg.clone(),
                cycles: call.cycles.0.to_u128().unwrap_or(u128::MAX),
            },
            config_change => {
                let change = config_change.clone();
                proposal.execution = Some(execution);
                match self.apply_config_change(&change) {
                    Ok(outcome) => succeed(&mut proposal, outcome),
                    Err(reason) => fail(&mut proposal, reason, false, true, now),
                }
                self.save(before, &proposal);
                return Ok(Step::Finished(proposal));
            }
        };
        if matches!(outgoing, Outgoing::Transfer { .. } | Outgoing::Approve { .. }) {
            execution.created_at_time = Some(created_at_time);
            execution.memo = Some(serde_bytes::ByteBuf::from(memo.0.to_vec()));
        }
        proposal.execution = Some(execution);
        proposal.state = ProposalState::Executing;
        self.save(before, &proposal);
        self.in_flight.insert(id, resend);
        Ok(Step::Send(Box::new(outgoing)))
    }

    /// Records the ledger's answer to proposal `id`'s transfer or approve.
    pub fn finish_ledger(&mut self, id: u64, answer: LedgerAnswer, now: u64) -> Result<Proposal, FleetError> {
        let resend = self.in_flight.remove(&id).unwrap_or(true);
        let mut proposal = self.executing(id)?;
        let is_transfer = matches!(proposal.action, ProposalAction::Transfer(_));
        match answer {
            LedgerAnswer::Executed(block_index) => succeed(
                &mut proposal,
                if is_transfer {
                    ExecutionOutcome::Transferred { block_index }
                } else {
                    ExecutionOutcome::Approved { block_index }
                },
            ),
            LedgerAnswer::Refused { reason, too_old: true } if resend => {
                let reason = format!(
                    "the ledger no longer deduplicates the call ({reason}): whether the first one executed must be \
                     checked on the ledger (memo {}, created_at_time {})",
                    hex_of(&multisig_api::proposal_memo(id)),
                    proposal.execution.as_ref().and_then(|e| e.created_at_time).unwrap_or_default()
                );
                fail(&mut proposal, reason, true, false, now);
            }
            // Within the window the ledger would have answered Duplicate: neither call executed.
            LedgerAnswer::Refused { reason, .. } => fail(&mut proposal, format!("ledger: {reason}"), false, true, now),
            // Not delivered: this call did nothing, but a re-sent call still repeats one of unknown outcome.
            LedgerAnswer::Failed(CallFailure::NotDelivered(reason)) => fail(&mut proposal, reason, resend, true, now),
            LedgerAnswer::Failed(failure) => fail(&mut proposal, failure.reason().to_string(), true, true, now),
        }
        self.save(ProposalState::Executing, &proposal);
        Ok(proposal)
    }

    /// Records the answer to proposal `id`'s canister call.
    pub fn finish_call(&mut self, id: u64, reply: CallResult<Vec<u8>>, now: u64) -> Result<Proposal, FleetError> {
        self.in_flight.remove(&id);
        let mut proposal = self.executing(id)?;
        match reply {
            Ok(mut reply) => {
                let truncated = reply.len() > MAX_RECORDED_REPLY_BYTES;
                reply.truncate(MAX_RECORDED_REPLY_BYTES);
                succeed(&mut proposal, ExecutionOutcome::Called { reply, truncated });
            }
            Err(CallFailure::Unknown(reason)) => fail(&mut proposal, reason, true, false, now),
            Err(failure) => fail(&mut proposal, failure.reason().to_string(), false, true, now),
        }
        self.save(ProposalState::Executing, &proposal);
        Ok(proposal)
    }

    fn executing(&self, id: u64) -> Result<Proposal, FleetError> {
        let proposal = self.proposal(id)?;
        if proposal.state != ProposalState::Executing {
            return Err(FleetError::Internal(format!("proposal {id} is {:?}, not Executing", proposal.state)));
        }
        Ok(proposal)
    }

    /// Applies a signer or threshold change, re-checked against the signer set as it is now (other changes may have
    /// executed since the proposal was made). A new signer is queued for the factory; the new status too.
    fn apply_config_change(&mut self, action: &ProposalAction) -> Result<ExecutionOutcome, String> {
        let config = self.config().clone();
        let n = config.signers.len();
        let outcome = match action {
            ProposalAction::AddSigner { signer } => {
                if config.signers.contains(signer) {
                    return Err(format!("{signer} is already a signer"));
                }
                if n >= MAX_SIGNERS {
                    return Err(format!("the wallet has {MAX_SIGNERS} signers, the most"));
                }
                self.update_config(|c| c.signers.push(*signer));
                self.reports.queue_participant(*signer);
                ExecutionOutcome::SignerAdded
            }
            ProposalAction::RemoveSigner { signer } => {
                if !config.signers.contains(signer) {
                    return Err(format!("{signer} is not a signer"));
                }
                if n - 1 < config.threshold as usize {
                    return Err(format!(
                        "removing one of {n} signers would leave fewer than the threshold of {}",
                        config.threshold
                    ));
                }
                self.update_config(|c| c.signers.retain(|s| s != signer));
                self.reports.unqueue_participant(signer);
                ExecutionOutcome::SignerRemoved
            }
            ProposalAction::ChangeThreshold { threshold } => {
                if *threshold == 0 || *threshold as usize > n {
                    return Err(format!("threshold {threshold} is outside 1..={n}"));
                }
                self.update_config(|c| c.threshold = *threshold);
                ExecutionOutcome::ThresholdChanged
            }
            other => return Err(format!("{other:?} is not a signer or threshold change")),
        };
        let status = self.status_text();
        self.reports.queue_status(status);
        Ok(outcome)
    }
}

fn succeed(proposal: &mut Proposal, outcome: ExecutionOutcome) {
    proposal.state = ProposalState::Executed;
    if let Some(execution) = proposal.execution.as_mut() {
        execution.outcome = Some(outcome);
    }
}

fn fail(proposal: &mut Proposal, reason: String, outcome_unknown: bool, retryable: bool, now: u64) {
    proposal.state = ProposalState::Failed;
    if let Some(execution) = proposal.execution.as_mut() {
        execution.last_failure = Some(ExecutionFailure { reason, at: now, outcome_unknown, retryable });
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
