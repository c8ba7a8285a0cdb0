//! Stakes: in by `icrc2_transfer_from` into the staking subaccount, out after the lock less one ledger fee, and
//! the voting-power history every change writes (what a proposal's snapshot reads).
//!
//! Each ledger call is recorded before it is sent (`begin_*`: the stake's state, `created_at_time`, fee) and settled
//! by `finish_*`. A refused call is undone (a refused stake is removed, a refused return restores the stake's power);
//! a call of unknown outcome leaves the stake in `Staking`/`Unstaking` until `settleStake` re-sends it identically.
//! The power leaves before the return transfer is sent, so tokens on their way out never vote.

use super::execution::LedgerAnswer;
use super::{to_u128, Dao, InFlight};
use crate::runtime::CallFailure;
use candid::{Nat, Principal};
use contract_runtime::storable::Candid;
use dao_api::{
    stake_memo, staking_subaccount, unstake_memo, Account, LockOption, Member, Stake, StakeArgs, StakeState,
    MAX_OPEN_STAKES_PER_MEMBER,
};
use fleet_api::{FleetError, Page, PageRequest};
use ic_stable_structures::Memory;
use icrc_ledger_types::icrc1::transfer::{Memo, TransferArg};
use icrc_ledger_types::icrc2::transfer_from::TransferFromArgs;
use num_traits::ToPrimitive;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// The `transfer_from` a stake sends (again, identically, on a re-send).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StakeStep {
    pub ledger: Principal,
    pub arg: TransferFromArgs,
}

/// The return transfer of an unstake (again, identically, on a re-send).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnstakeStep {
    pub ledger: Principal,
    pub arg: TransferArg,
}

/// What `begin_settle` re-sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettleStep {
    Stake(StakeStep),
    Unstake(UnstakeStep),
}

impl<M: Memory> Dao<M> {
    fn stake(&self, id: u64) -> Result<Stake, FleetError> {
        self.stakes.get(&id).map(|c| c.0).ok_or_else(|| FleetError::not_found(format!("stake {id}")))
    }

    fn put_stake(&mut self, stake: &Stake) {
        self.stakes.insert(stake.id, Candid(stake.clone()));
    }

    fn put_member(&mut self, member: &Member) {
        self.members.insert(member.principal, Candid(member.clone()));
    }

    /// Checks a stake request as far as it can without the ledger fee: the amount, the lock, the member's room.
    pub fn check_stake(&self, caller: Principal, args: &StakeArgs) -> Result<(u64, LockOption), FleetError> {
        if caller == Principal::anonymous() {
            return Err(FleetError::unauthorized("the anonymous principal cannot stake"));
        }
        let amount = args
            .amount
            .0
            .to_u64()
            .ok_or_else(|| FleetError::invalid(format!("amount: {} does not fit in 64 bits", args.amount)))?;
        if amount == 0 {
            return Err(FleetError::invalid("amount: zero; a stake holds at least one unit more than the fee"));
        }
        let locks = &self.config().parameters.locks;
        let Some(lock) = locks.get(args.lock_index as usize).copied() else {
            return Err(FleetError::invalid(format!(
                "lock_index: {} is not one of the DAO's {} locks",
                args.lock_index,
                locks.len()
            )));
        };
        let open = self.member(&caller).map_or(0, |m| m.open_stakes);
        if open >= MAX_OPEN_STAKES_PER_MEMBER {
            return Err(FleetError::invalid_state(format!(
                "{caller} has {open} open stakes, the most a member holds; unstake one first"
            )));
        }
        Ok((amount, lock))
    }

    /// Records a new stake (state Staking) and returns the `transfer_from` to send. `fee` is the ledger's fee now: a
    /// stake must be worth more than the fee its return will pay.
    pub fn begin_stake(
        &mut self,
        caller: Principal,
        args: &StakeArgs,
        fee: u128,
        self_id: Principal,
        now: u64,
    ) -> Result<(Stake, StakeStep), FleetError> {
        let (amount, lock) = self.check_stake(caller, args)?;
        if u128::from(amount) <= fee {
            return Err(FleetError::invalid(format!(
                "amount: {amount} is not more than the ledger fee {fee}, which its return would cost"
            )));
        }
        let id = self.config().next_stake_id;
        let stake = Stake {
            id,
            member: caller,
            from_subaccount: args.from_subaccount,
            amount: Nat::from(amount),
            lock_seconds: lock.duration_seconds,
            multiplier_basis_points: lock.multiplier_basis_points,
            voting_power: Nat::from(u128::from(amount) * u128::from(lock.multiplier_basis_points)),
            created_at: now,
            lock_ends_at: now.saturating_add(lock.duration_seconds.saturating_mul(NANOS_PER_SECOND)),
            state: StakeState::Staking,
            created_at_time: now,
            stake_block: None,
            unstake_fee: None,
            unstake_block: None,
            last_failure: None,
            outcome_unknown: false,
        };
        let mut member = self.member(&caller).unwrap_or_else(|| Member {
            principal: caller,
            staked: Nat::from(0u8),
            voting_power: Nat::from(0u8),
            open_stakes: 0,
            joined_at: now,
        });
        if !self.members.contains_key(&caller) {
            self.update_config(|c| c.members += 1);
        }
        member.open_stakes += 1;
        self.put_member(&member);
        self.update_config(|c| c.next_stake_id = id + 1);
        self.put_stake(&stake);
        self.stakes_by_member.insert((caller, id), ());
        self.stakes_in_flight.insert(id, InFlight { resend: false, fee });
        let step = self.stake_step(&stake, self_id);
        Ok((stake, step))
    }

    fn stake_step(&self, stake: &Stake, self_id: Principal) -> StakeStep {
        StakeStep {
            ledger: self.config().governance_token,
            arg: TransferFromArgs {
                spender_subaccount: None,
                from: Account { owner: stake.member, subaccount: stake.from_subaccount },
                to: Account { owner: self_id, subaccount: Some(staking_subaccount()) },
                amount: stake.amount.clone(),
                fee: None,
                memo: Some(Memo::from(stake_memo(stake.id))),
                created_at_time: Some(stake.created_at_time),
            },
        }
    }

    /// Records the ledger's answer to stake `id`'s `transfer_from`. A refusal removes the stake and answers its
    /// typed error; an unknown outcome keeps it Staking for `settleStake`.
    pub fn finish_stake(&mut self, id: u64, answer: LedgerAnswer) -> Result<Stake, FleetError> {
        let flight = self.stakes_in_flight.remove(&id).unwrap_or(InFlight { resend: true, fee: 0 });
        let mut stake = self.stake(id)?;
        if stake.state != StakeState::Staking {
            return Err(FleetError::Internal(format!("stake {id} is {:?}, not Staking", stake.state)));
        }
        let ledger = self.config().governance_token;
        let unknown = |stake: &mut Stake, reason: String| {
            stake.last_failure = Some(reason);
            stake.outcome_unknown = true;
        };
        match answer {
            LedgerAnswer::Executed(block) => {
                stake.state = StakeState::Active;
                stake.stake_block = Some(block);
                stake.last_failure = None;
                stake.outcome_unknown = false;
                self.put_stake(&stake);
                let member = stake.member;
                let first = self.power_history.range((member, 0)..=(member, u64::MAX)).next().is_none();
                self.add_power(member, to_u128(&stake.amount), to_u128(&stake.voting_power));
                if first {
                    self.reports.queue_participant(member);
                }
                return Ok(stake);
            }
            // A re-send the ledger no longer deduplicates: whether the first call executed must be looked up.
            LedgerAnswer::Refused { reason, too_old: true, .. } if flight.resend => {
                let text = too_old_text(&reason, &stake_memo(id), stake.created_at_time);
                unknown(&mut stake, text)
            }
            // A re-send that did not arrive still repeats a call of unknown outcome.
            LedgerAnswer::Failed(CallFailure::NotExecuted(reason)) if flight.resend => unknown(&mut stake, reason),
            LedgerAnswer::Failed(CallFailure::Unknown(reason)) => unknown(&mut stake, reason),
            // Refused (within the window the ledger would have answered Duplicate had an earlier call executed) or
            // not delivered: no tokens moved; the stake is undone.
            LedgerAnswer::Refused { reason, allowance, .. } => {
                self.remove_stake(&stake);
                return Err(match allowance {
                    Some(approved) if !flight.resend => FleetError::InsufficientAllowance {
                        required: Nat::from(to_u128(&stake.amount).saturating_add(flight.fee)),
                        approved,
                    },
                    _ => FleetError::PaymentFailed(format!("icrc2_transfer_from refused: {reason}")),
                });
            }
            LedgerAnswer::Failed(CallFailure::NotExecuted(reason)) => {
                self.remove_stake(&stake);
                return Err(FleetError::call_failed(ledger, "icrc2_transfer_from", reason));
            }
        }
        self.put_stake(&stake);
        Ok(stake)
    }

    /// Undoes a stake whose `transfer_from` certainly did not execute: as if it had never been asked for.
    fn remove_stake(&mut self, stake: &Stake) {
        self.stakes.remove(&stake.id);
        self.stakes_by_member.remove(&(stake.member, stake.id));
        let Some(mut member) = self.member(&stake.member) else { return };
        member.open_stakes = member.open_stakes.saturating_sub(1);
        let never_staked =
            self.power_history.range((member.principal, 0)..=(member.principal, u64::MAX)).next().is_none();
        if member.open_stakes == 0 && never_staked {
            self.members.remove(&member.principal);
            self.update_config(|c| c.members = c.members.saturating_sub(1));
        } else {
            self.put_member(&member);
        }
        if stake.id + 1 == self.config().next_stake_id {
            self.update_config(|c| c.next_stake_id = stake.id);
        }
    }

    /// Checks an unstake as far as it can without the ledger fee.
    pub fn check_unstake(&self, caller: Principal, id: u64, now: u64) -> Result<Stake, FleetError> {
        let stake = self.stake(id)?;
        if stake.member != caller {
            return Err(FleetError::unauthorized(format!("only the member who staked stake {id} may unstake it")));
        }
        if self.stakes_in_flight.contains_key(&id) {
            return Err(FleetError::AlreadyInProgress);
        }
        if stake.state != StakeState::Active {
            return Err(FleetError::invalid_state(format!("stake {id} is {:?}, not Active", stake.state)));
        }
        if now < stake.lock_ends_at {
            return Err(FleetError::invalid_state(format!(
                "stake {id} is locked until {} (now {now})",
                stake.lock_ends_at
            )));
        }
        Ok(stake)
    }

    /// Takes the stake's voting power away and records the return transfer (amount - fee, paying `fee`): the commit
    /// point before the await.
    pub fn begin_unstake(
        &mut self,
        caller: Principal,
        id: u64,
        fee: u128,
        now: u64,
    ) -> Result<(Stake, UnstakeStep), FleetError> {
        let mut stake = self.check_unstake(caller, id, now)?;
        if to_u128(&stake.amount) <= fee {
            return Err(FleetError::invalid_state(format!(
                "the ledger fee is now {fee}, not less than stake {id}'s {}: nothing would be returned",
                stake.amount
            )));
        }
        stake.state = StakeState::Unstaking;
        stake.unstake_fee = Some(Nat::from(fee));
        stake.created_at_time = now;
        stake.last_failure = None;
        stake.outcome_unknown = false;
        self.put_stake(&stake);
        self.remove_power(stake.member, to_u128(&stake.amount), to_u128(&stake.voting_power));
        self.stakes_in_flight.insert(id, InFlight { resend: false, fee });
        let step = self.unstake_step(&stake);
        Ok((stake, step))
    }

    fn unstake_step(&self, stake: &Stake) -> UnstakeStep {
        let fee = stake.unstake_fee.as_ref().map_or(0, to_u128);
        UnstakeStep {
            ledger: self.config().governance_token,
            arg: TransferArg {
                from_subaccount: Some(staking_subaccount()),
                to: Account { owner: stake.member, subaccount: stake.from_subaccount },
                amount: Nat::from(to_u128(&stake.amount) - fee),
                fee: Some(Nat::from(fee)),
                memo: Some(Memo::from(unstake_memo(stake.id))),
                created_at_time: Some(stake.created_at_time),
            },
        }
    }

    /// Records the ledger's answer to stake `id`'s return transfer. A refusal gives the stake its power back.
    pub fn finish_unstake(&mut self, id: u64, answer: LedgerAnswer) -> Result<Stake, FleetError> {
        let flight = self.stakes_in_flight.remove(&id).unwrap_or(InFlight { resend: true, fee: 0 });
        let mut stake = self.stake(id)?;
        if stake.state != StakeState::Unstaking {
            return Err(FleetError::Internal(format!("stake {id} is {:?}, not Unstaking", stake.state)));
        }
        let ledger = self.config().governance_token;
        let unknown = |stake: &mut Stake, reason: String| {
            stake.last_failure = Some(reason);
            stake.outcome_unknown = true;
        };
        let refusal = match answer {
            LedgerAnswer::Executed(block) => {
                stake.state = StakeState::Unstaked;
                stake.unstake_block = Some(block);
                stake.last_failure = None;
                stake.outcome_unknown = false;
                self.put_stake(&stake);
                if let Some(mut member) = self.member(&stake.member) {
                    member.open_stakes = member.open_stakes.saturating_sub(1);
                    self.put_member(&member);
                }
                return Ok(stake);
            }
            LedgerAnswer::Refused { reason, too_old: true, .. } if flight.resend => {
                let text = too_old_text(&reason, &unstake_memo(id), stake.created_at_time);
                unknown(&mut stake, text);
                None
            }
            LedgerAnswer::Failed(CallFailure::NotExecuted(reason)) if flight.resend => {
                unknown(&mut stake, reason);
                None
            }
            LedgerAnswer::Failed(CallFailure::Unknown(reason)) => {
                unknown(&mut stake, reason);
                None
            }
            LedgerAnswer::Refused { reason, .. } => Some(format!("icrc1_transfer refused: {reason}")),
            LedgerAnswer::Failed(CallFailure::NotExecuted(reason)) => Some(reason),
        };
        match refusal {
            None => {
                self.put_stake(&stake);
                Ok(stake)
            }
            Some(reason) => {
                // Nothing left the staking account: the stake is Active again, with its power.
                stake.state = StakeState::Active;
                stake.unstake_fee = None;
                stake.last_failure = Some(reason.clone());
                stake.outcome_unknown = false;
                self.put_stake(&stake);
                self.add_power(stake.member, to_u128(&stake.amount), to_u128(&stake.voting_power));
                Err(FleetError::call_failed(ledger, "icrc1_transfer", reason))
            }
        }
    }

    /// `settleStake`: the ledger call of a stake left Staking or Unstaking (unknown outcome, or an upgrade while it
    /// was open), re-sent identically.
    pub fn begin_settle(&mut self, caller: Principal, id: u64, self_id: Principal) -> Result<SettleStep, FleetError> {
        let stake = self.stake(id)?;
        if stake.member != caller {
            return Err(FleetError::unauthorized(format!("only the member who staked stake {id} may settle it")));
        }
        if self.stakes_in_flight.contains_key(&id) {
            return Err(FleetError::AlreadyInProgress);
        }
        let step = match stake.state {
            StakeState::Staking => SettleStep::Stake(self.stake_step(&stake, self_id)),
            StakeState::Unstaking => SettleStep::Unstake(self.unstake_step(&stake)),
            state => {
                return Err(FleetError::invalid_state(format!("stake {id} is {state:?}; it has no call to settle")))
            }
        };
        self.stakes_in_flight.insert(id, InFlight { resend: true, fee: 0 });
        Ok(step)
    }

    fn add_power(&mut self, member: Principal, amount: u128, power: u128) {
        self.change_power(member, |m| {
            m.staked = Nat::from(to_u128(&m.staked) + amount);
            m.voting_power = Nat::from(to_u128(&m.voting_power) + power);
        });
        self.update_config(|c| {
            c.total_staked += amount;
            c.total_voting_power += power;
        });
    }

    fn remove_power(&mut self, member: Principal, amount: u128, power: u128) {
        self.change_power(member, |m| {
            m.staked = Nat::from(to_u128(&m.staked).saturating_sub(amount));
            m.voting_power = Nat::from(to_u128(&m.voting_power).saturating_sub(power));
        });
        self.update_config(|c| {
            c.total_staked = c.total_staked.saturating_sub(amount);
            c.total_voting_power = c.total_voting_power.saturating_sub(power);
        });
    }

    /// Changes a member's totals and writes their new power at the next point of the stake history.
    fn change_power(&mut self, principal: Principal, f: impl FnOnce(&mut Member)) {
        let Some(mut member) = self.member(&principal) else { return };
        f(&mut member);
        let point = self.config().history_point + 1;
        self.update_config(|c| c.history_point = point);
        self.power_history.insert((principal, point), to_u128(&member.voting_power));
        self.put_member(&member);
    }

    /// The member's voting power at history point `snapshot` (what they had when a proposal snapshotted it): one
    /// B-tree lookup, whatever the number of members.
    pub fn power_at(&self, member: Principal, snapshot: u64) -> u128 {
        self.power_history.range((member, 0)..=(member, snapshot)).next_back().map_or(0, |entry| entry.value())
    }

    /// A member's stakes, oldest first.
    pub fn stakes_page(&self, member: Principal, request: PageRequest) -> Page<Stake> {
        let total = self.stakes_by_member.range((member, 0)..=(member, u64::MAX)).count() as u64;
        let items = self
            .stakes_by_member
            .range((member, 0)..=(member, u64::MAX))
            .filter_map(|entry| self.stakes.get(&entry.key().1).map(|c| c.0));
        Page::from_iter(request, total, items)
    }

    pub fn stake_of(&self, id: u64) -> Result<Stake, FleetError> {
        self.stake(id)
    }
}

pub(super) fn too_old_text(reason: &str, memo: &[u8], created_at_time: u64) -> String {
    let hex: String = memo.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "the ledger no longer deduplicates the call ({reason}): whether the first one executed must be checked on \
         the ledger (memo {hex}, created_at_time {created_at_time})"
    )
}
