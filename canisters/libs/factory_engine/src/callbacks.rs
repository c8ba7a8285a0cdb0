//! Calls from deployed contracts. Each is accepted only when the caller is the contract it speaks for
//! (`contract_id == caller`) and that contract was deployed by this factory; anything else is `Unauthorized` and
//! counted, never applied.
//!
//! **Nothing a callback says is trusted.** The owner of a contract is one of its controllers and can install any
//! code under the contract's id, so a callback is as honest as the owner. What callbacks write is display data only:
//! participant entries (which make a contract appear in a user's `getMyContracts`, never grant anything), a status
//! text, a visibility bit, and the Deploying → Active transition. No payment, refund, upgrade or authorization
//! decision reads any of it. What a dishonest owner can do with them is bounded: participants per contract and per
//! factory are capped (`contracts::MAX_PARTICIPANTS`, `MAX_PARTICIPANT_LINKS`), texts are short
//! (`MAX_STATUS_TEXT`), and every callback but `notifyDeploymentComplete` draws on a per-contract token bucket
//! (`CALLBACK_BURST` calls, refilled at `CALLBACK_REFILL_PER_HOUR`); a refused call is counted
//! (`FactoryStats.callbacks_rate_limited`) and changes nothing.

use candid::Principal;
use fleet_api::FleetError;
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, Storable};
use std::borrow::Cow;

use crate::contracts::VISIBILITY_BATCH;
use crate::factory::Factory;

/// Length limit of a `notifyStatusChanged` text.
pub use crate::contracts::MAX_STATUS_TEXT;

/// Callbacks a contract may make at once after a quiet period. A distribution to 10,000 recipients takes 20
/// `notifyParticipantsAdded` batches of 500, well within it.
pub const CALLBACK_BURST: u64 = 60;
/// Callbacks a contract regains per hour (one a minute).
pub const CALLBACK_REFILL_PER_HOUR: u64 = 60;
/// Most principals in one `notifyParticipantsAdded` (about 15 KB of argument).
pub use fleet_api::contract::callbacks::MAX_PARTICIPANTS_PER_CALL;

const HOUR_NANOS: u128 = 3_600_000_000_000;
/// Fixed point of a bucket: one call costs `TOKEN` units.
const TOKEN: u64 = 1_000_000;

/// A contract's callback allowance: `units` (of `TOKEN` per call) as of `at` (ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub units: u64,
    pub at: u64,
}

impl Bucket {
    fn full(now: u64) -> Self {
        Self { units: CALLBACK_BURST * TOKEN, at: now }
    }

    /// Refills for the time since `at`, then takes one call if there is one.
    fn take(self, now: u64) -> Result<Self, u64> {
        let elapsed = u128::from(now.saturating_sub(self.at));
        let refill = elapsed * u128::from(CALLBACK_REFILL_PER_HOUR * TOKEN) / HOUR_NANOS;
        let units = (u128::from(self.units) + refill).min(u128::from(CALLBACK_BURST * TOKEN)) as u64;
        if units >= TOKEN {
            Ok(Self { units: units - TOKEN, at: now })
        } else {
            // Seconds until the next call is allowed.
            let missing = u128::from(TOKEN - units);
            Err((missing * HOUR_NANOS / u128::from(CALLBACK_REFILL_PER_HOUR * TOKEN) / 1_000_000_000 + 1) as u64)
        }
    }
}

impl Storable for Bucket {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        [self.units.to_le_bytes(), self.at.to_le_bytes()].concat()
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let field = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        Self { units: field(0), at: field(1) }
    }
    const BOUND: Bound = Bound::Bounded { max_size: 16, is_fixed_size: true };
}

impl<M: Memory> Factory<M> {
    fn authorize_contract(&mut self, caller: Principal, contract_id: Principal) -> Result<(), FleetError> {
        let result = if caller != contract_id {
            Err(FleetError::unauthorized("a contract may only report for itself (contract_id must be the caller)"))
        } else if !self.contracts.contains(&caller) {
            Err(FleetError::unauthorized("caller is not a contract deployed by this factory"))
        } else {
            Ok(())
        };
        self.contracts.update_stats(|s| match result {
            Ok(()) => s.callbacks_accepted += 1,
            Err(_) => s.callbacks_rejected += 1,
        });
        result
    }

    /// `authorize_contract`, then one call from the contract's bucket; also moves pending visibility work on by a
    /// batch, so that work left by an interrupted change finishes with the next callbacks.
    fn admit_callback(&mut self, caller: Principal, contract_id: Principal, now: u64) -> Result<(), FleetError> {
        if caller != contract_id || !self.contracts.contains(&caller) {
            return self.authorize_contract(caller, contract_id);
        }
        let bucket = self.contracts.callback_buckets.get(&contract_id).unwrap_or_else(|| Bucket::full(now));
        match bucket.take(now) {
            Ok(bucket) => {
                self.contracts.callback_buckets.insert(contract_id, bucket);
                self.authorize_contract(caller, contract_id)?;
                self.contracts.propagate_visibility(VISIBILITY_BATCH);
                Ok(())
            }
            Err(retry_in) => {
                self.contracts
                    .update_stats(|s| s.callbacks_rate_limited = Some(s.callbacks_rate_limited.unwrap_or(0) + 1));
                Err(FleetError::invalid_state(format!(
                    "callback rate limit: a contract may make {CALLBACK_BURST} callbacks at once and \
                     {CALLBACK_REFILL_PER_HOUR} an hour; retry in {retry_in} s"
                )))
            }
        }
    }

    /// `notifyDeploymentComplete`: Deploying → Active. A contract whose install call has not yet returned to the
    /// factory (its timer can fire first) is remembered on its pending deployment and recorded Active directly.
    /// Not rate-limited: it changes a contract's state once, and a contract retries it until it is answered.
    pub fn notify_deployment_complete(
        &mut self,
        caller: Principal,
        contract_id: Principal,
        now: u64,
    ) -> Result<(), FleetError> {
        if caller == contract_id && !self.contracts.contains(&caller) {
            if let Some(pending) = self.inflight.by_canister(&caller) {
                self.inflight.update(pending.id, |d| d.confirmed_early = true);
                self.contracts.update_stats(|s| s.callbacks_accepted += 1);
                return Ok(());
            }
        }
        self.authorize_contract(caller, contract_id)?;
        self.contracts.confirm(&contract_id, now)
    }

    pub fn notify_participant_added(
        &mut self,
        caller: Principal,
        contract_id: Principal,
        user: Principal,
        now: u64,
    ) -> Result<(), FleetError> {
        self.admit_callback(caller, contract_id, now)?;
        self.contracts.add_participant(&contract_id, user).map(|_| ())
    }

    /// `notifyParticipantsAdded`: up to `MAX_PARTICIPANTS_PER_CALL` participants in one call (one token), all or
    /// none.
    pub fn notify_participants_added(
        &mut self,
        caller: Principal,
        contract_id: Principal,
        users: Vec<Principal>,
        now: u64,
    ) -> Result<(), FleetError> {
        self.admit_callback(caller, contract_id, now)?;
        if users.len() > MAX_PARTICIPANTS_PER_CALL {
            return Err(FleetError::invalid(format!(
                "{} participants in one call; at most {MAX_PARTICIPANTS_PER_CALL}",
                users.len()
            )));
        }
        self.contracts.add_participants(&contract_id, &users).map(|_| ())
    }

    pub fn notify_status_changed(
        &mut self,
        caller: Principal,
        contract_id: Principal,
        status: String,
        now: u64,
    ) -> Result<(), FleetError> {
        self.admit_callback(caller, contract_id, now)?;
        self.contracts.set_reported_status(&contract_id, status)
    }

    /// Changes the record and the creator's entry at once, the participants' entries in batches (see
    /// `contracts::visibility`). Returns whether participants' entries remain to be updated: the endpoint then goes
    /// on with `propagate_visibility` a batch per message execution.
    pub fn notify_visibility_changed(
        &mut self,
        caller: Principal,
        contract_id: Principal,
        is_public: bool,
        now: u64,
    ) -> Result<bool, FleetError> {
        self.admit_callback(caller, contract_id, now)?;
        self.contracts.set_visibility(&contract_id, is_public)
    }
}
