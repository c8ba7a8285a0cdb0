//! The rehearsal's upgrade story (step "rollout"): owners opt in (alice's tokens: one `Auto`, one `Manual`, one
//! `Pinned`), the token's next releases are published (1.2.0, and a bad 1.2.1 whose post_upgrade refuses ledgers
//! holding allowances), a canary rollout then widening upgrades only the `Auto` contract, the bad release is rolled
//! back to the contract's exact state, and the `Manual` owner upgrades by hand. Ends with a table of contracts per
//! version and per outcome.

use anyhow::{ensure, Result};
use candid::{Nat, Principal};
use factory_engine::upgrade::api::{RolloutPlan, RolloutSelector, RolloutState, RolloutView, TaskState, TaskView};
use fleet_api::{FleetError, UpgradePolicy};
use icrc_ledger_types::icrc1::account::Account;

use crate::fleet::{publish_version, Fleet, FleetWasm};

const NEXT: &str = "1.2.0";
const BAD: &str = "1.2.1";

fn plan(target: &str, selector: RolloutSelector) -> RolloutPlan {
    RolloutPlan {
        target_version: target.into(),
        selector,
        batch_size: 50,
        max_concurrency: 10,
        failure_budget: 5,
        snapshot: None,
        stop_timeout_seconds: None,
        cycles_floor: None,
        top_up_cap: None,
    }
}

fn rollout(fleet: &Fleet, id: u64) -> Result<RolloutView> {
    let (view,): (Result<RolloutView, FleetError>,) =
        fleet.query(fleet.token_factory, fleet.release, "getRollout", (id,))?;
    Ok(view?)
}

/// Lets the factory's scheduler run until the rollout stops moving.
fn drive(fleet: &Fleet, id: u64) -> Result<RolloutView> {
    for _ in 0..500 {
        fleet.ic.advance_time(std::time::Duration::from_secs(2));
        fleet.ic.tick();
        let view = rollout(fleet, id)?;
        if !matches!(view.state, RolloutState::Running | RolloutState::Aborting) && view.counts.in_flight == 0 {
            return Ok(view);
        }
    }
    anyhow::bail!("rollout {id} never settled: {:?}", rollout(fleet, id)?)
}

fn version_of(fleet: &Fleet, contract: Principal) -> Result<String> {
    Ok(fleet.query::<_, (String,)>(contract, fleet.operator, "version", ())?.0)
}

/// Where the rehearsal's tokens put their supply (`rehearsal::token_args`).
const TREASURY: [u8; 32] = [1; 32];

fn balance_on(fleet: &Fleet, contract: Principal, owner: Principal) -> Result<Nat> {
    let account = Account { owner, subaccount: Some(TREASURY) };
    Ok(fleet.query::<_, (Nat,)>(contract, fleet.operator, "icrc1_balance_of", (account,))?.0)
}

/// `auto`, `manual`, `pinned`: three of alice's tokens, all on the current token version.
pub fn rollouts(
    fleet: &Fleet,
    wasm: &FleetWasm,
    alice: Principal,
    [auto, manual, pinned]: [Principal; 3],
) -> Result<String> {
    let current = version_of(fleet, auto)?;
    let policies = [
        (auto, UpgradePolicy::Auto),
        (manual, UpgradePolicy::Manual),
        (pinned, UpgradePolicy::Pinned(current.clone())),
    ];
    for (contract, policy) in policies {
        fleet.call::<_, ()>(fleet.token_factory, alice, "setUpgradePolicy", (contract, policy))?;
    }
    publish_version(fleet, fleet.token_factory, fleet.release, NEXT, &wasm.token_next, "rehearsal: next release")?;
    publish_version(fleet, fleet.token_factory, fleet.release, BAD, &wasm.token_faulty, "rehearsal: a bad release")?;

    let start = |p: RolloutPlan| fleet.call::<_, RolloutView>(fleet.token_factory, fleet.release, "startRollout", (p,));
    let canary = start(plan(NEXT, RolloutSelector::Canary(1)))?;
    let after_canary = drive(fleet, canary.id)?;
    ensure!(after_canary.state == RolloutState::CanaryDone, "the canary ended {:?}", after_canary.state);
    fleet.call::<_, RolloutView>(fleet.token_factory, fleet.release, "resumeRollout", (canary.id,))?;
    let widened = drive(fleet, canary.id)?;
    ensure!(
        widened.state == RolloutState::Finished && widened.counts.failures() == 0,
        "rollout to {NEXT}: {widened:?}"
    );
    ensure!(version_of(fleet, auto)? == NEXT, "the Auto contract is not on {NEXT}");
    ensure!(
        version_of(fleet, manual)? == current && version_of(fleet, pinned)? == current,
        "a rollout touched a Manual or Pinned contract"
    );

    // An allowance on the Auto contract: the bad release refuses its state, and the rollback must keep it exactly.
    // From alice's treasury subaccount (her default account is the token's minting account).
    let approve = token_api::ApproveArgs {
        from_subaccount: Some(TREASURY),
        spender: Account { owner: fleet.operator, subaccount: None },
        amount: Nat::from(1_000u64),
        expected_allowance: None,
        expires_at: None,
        fee: None,
        memo: None,
        created_at_time: None,
    };
    let (approved,): (Result<Nat, token_api::ApproveError>,) =
        fleet.update(auto, alice, "icrc2_approve", (approve,))?;
    approved.map_err(|e| anyhow::anyhow!("approve on {auto}: {e:?}"))?;
    let held = balance_on(fleet, auto, alice)?;
    let bad = start(plan(BAD, RolloutSelector::AllEligible))?;
    let after_bad = drive(fleet, bad.id)?;
    ensure!(after_bad.counts.rolled_back == 1, "the bad release: {after_bad:?}");
    ensure!(version_of(fleet, auto)? == NEXT, "the rolled-back contract is not on {NEXT} again");
    ensure!(balance_on(fleet, auto, alice)? == held, "the rollback changed alice's balance");

    let by_hand =
        fleet.call::<_, TaskView>(fleet.token_factory, alice, "upgradeMyContract", (manual, Some(NEXT.to_string())))?;
    ensure!(by_hand.state == TaskState::Done, "alice's own upgrade ended {:?}", by_hand.state);

    let mut table = String::from("contract → version: ");
    for (name, contract) in [("Auto", auto), ("Manual", manual), ("Pinned", pinned)] {
        table.push_str(&format!("{name} {}, ", version_of(fleet, contract)?));
    }
    Ok(format!(
        "{table}rollout {NEXT}: canary 1 then widened, done {} skipped {}; rollout {BAD}: rolled back {} (balance and \
         allowance kept), done {}; Manual owner upgraded by hand to {NEXT}",
        widened.counts.done, widened.counts.skipped, after_bad.counts.rolled_back, after_bad.counts.done
    ))
}
