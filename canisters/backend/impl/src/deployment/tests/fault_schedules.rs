//! Random fault schedules over the whole paid flow: at every await a reject, a lost reply, a timeout, a typed
//! refusal or an interruption (the reply never reaches the backend: a trap in its callback, or an upgrade of the
//! backend while the call is open), plus ledger fee changes, a reinstalled invoice storage, a factory that refuses
//! or stays busy, days passing. After the timer and, where it flags one, an operator telling the truth, every
//! schedule must end with the user charged at most once and refunded at most once, holding either their own contract
//! or their money back less ledger fees, and the ledger's supply conserved.
//!
//! CI runs [`DEFAULT_SCHEDULES`]; a soak run sets `FLEET_FAULT_SCHEDULES` (e.g. 1000) and prints the figure:
//! `FLEET_FAULT_SCHEDULES=1000 cargo test -p backend --release fault_schedules -- --nocapture`.

use super::super::fake_runtime::{Fault, LedgerTx, BACKEND};
use super::super::reconcile::reconcile;
use super::super::resolve;
use super::*;
use backend_api::{DeploymentResolution, ResolveDeploymentArgs};

const DEFAULT_SCHEDULES: u64 = 64;

/// The awaits of the flow and its timer, by the fake's method names.
const AWAITS: [&str; 10] = [
    "icrc1_fee",
    "icrc2_allowance",
    "recordPayment",
    "icrc2_transfer_from",
    "createContract",
    "abandonDeploymentRequest",
    "icrc1_transfer",
    "updateInvoiceStatus",
    "logEvent",
    "icrc1_balance_of",
];

/// xorshift64*: deterministic per seed, so a failing schedule can be replayed by its number.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn fault(&mut self) -> Fault {
        match self.below(6) {
            0 => Fault::Reject,
            1 => Fault::LostReply,
            2 => Fault::Timeout,
            3 => Fault::Refuse,
            4 => Fault::Interrupted { executed: true },
            _ => Fault::Interrupted { executed: false },
        }
    }
}

/// What the schedule did, for the report of a violation.
#[derive(Debug, Default)]
struct Story {
    events: Vec<String>,
}

impl Fleet {
    /// The block of the ledger that executed `tx`, as an operator would look it up.
    fn find_block(&self, tx: &LedgerTx) -> Option<Nat> {
        self.world.ledger.borrow().blocks.iter().position(|block| block == tx).map(Nat::from)
    }

    /// An operator settles a flagged deployment with what the ledger and the factory really say.
    fn resolve_truthfully(&self, story: &mut Story) {
        let Some(record) = self.state.borrow().deployment_record(0) else { return };
        if record.needs_operator.is_none() {
            return;
        }
        let sent = match record.stage() {
            DeploymentStage::Charging => record.charge.as_ref().map(|c| LedgerTx {
                from: c.args.from.owner,
                to: c.args.to.owner,
                amount: u128::try_from(c.args.amount.0.clone()).unwrap(),
                memo: c.args.memo.clone(),
                created_at: c.args.created_at_time,
            }),
            DeploymentStage::Refunding | DeploymentStage::RefundFailed => record.refund.as_ref().map(|r| LedgerTx {
                from: BACKEND,
                to: r.args.to.owner,
                amount: u128::try_from(r.args.amount.0.clone()).unwrap(),
                memo: r.args.memo.clone(),
                created_at: r.args.created_at_time,
            }),
            _ => None,
        };
        let resolution = match (record.stage(), sent) {
            (DeploymentStage::Deploying, _) => {
                // The factory's own reconciliation has settled the request by the time an operator looks.
                self.world.factory.borrow_mut().busy_answers = 0;
                DeploymentResolution::SettleWithFactory
            }
            (_, Some(tx)) => match self.find_block(&tx) {
                Some(block_index) => DeploymentResolution::TransferExecuted { block_index },
                None => DeploymentResolution::TransferNotExecuted,
            },
            _ => DeploymentResolution::Retry,
        };
        story.events.push(format!("operator: {resolution:?} ({:?})", record.needs_operator));
        let args = ResolveDeploymentArgs { id: 0, resolution, note: "checked".into() };
        let outcome = run_until_interrupted(resolve::resolve_deployment(&self.state, &self.world, &controller(), args));
        story.events.push(format!("  -> {outcome:?}"));
    }
}

/// Runs schedule `seed`: how it ended, or `Err` describing the broken promise.
fn run_schedule(seed: u64) -> Result<&'static str, String> {
    let mut rng = Rng::new(seed);
    let mut story = Story::default();
    let fleet = fleet();
    let supply = fleet.balance(alice()) + fleet.balance(BACKEND);
    if rng.one_in(4) {
        fleet.world.factory.borrow_mut().refuse_with = Some(FleetError::Internal("out of cycles".into()));
        story.events.push("factory refuses".into());
    }
    if rng.one_in(6) {
        let busy = rng.below(30) as u32;
        fleet.world.factory.borrow_mut().busy_answers = busy;
        story.events.push(format!("factory busy {busy}x"));
    }
    for method in AWAITS {
        // Faults before the payment only end the request early: rarer there, so most schedules reach the money.
        let odds = if matches!(method, "icrc1_fee" | "icrc2_allowance" | "recordPayment") { 8 } else { 2 };
        let faults = if rng.one_in(odds) { 1 + rng.below(3) } else { 0 };
        for _ in 0..faults {
            let fault = rng.fault();
            fleet.world.inject(method, fault);
            story.events.push(format!("{fault:?} at {method}"));
        }
    }
    let mut storage_reinstalled = false;
    let answer = fleet.create_interruptible();
    story.events.push(format!("create: {answer:?}"));
    for round in 0..120 {
        if rng.one_in(6) {
            fleet.upgrade_backend();
            story.events.push(format!("round {round}: backend upgraded"));
        }
        if rng.one_in(10) {
            let fee = LEDGER_FEE * (1 + rng.below(3) as u128);
            fleet.world.ledger.borrow_mut().fee = fee;
            story.events.push(format!("round {round}: ledger fee {fee}"));
        }
        if rng.one_in(40) {
            fleet.world.reinstall_invoice_storage();
            storage_reinstalled = true;
            story.events.push(format!("round {round}: invoice storage reinstalled"));
        }
        let hours = if rng.one_in(15) { 26 } else { 2 };
        fleet.world.advance_time(hours * HOUR);
        if run_until_interrupted(reconcile(&fleet.state, &fleet.world)).is_none() {
            story.events.push(format!("round {round}: reconcile interrupted"));
        }
        fleet.resolve_truthfully(&mut story);
        let done = fleet.state.borrow().deployment_record(0).is_none_or(|r| r.stage().is_final());
        if done && fleet.state.borrow().outbox_len() == 0 && round > 3 {
            break;
        }
    }
    let fail = |what: String| Err(format!("schedule {seed}: {what}\n  {}", story.events.join("\n  ")));
    // Money first: whatever else happened, the supply is conserved and nobody is paid twice.
    let burned = fleet.world.ledger.borrow().burned;
    if fleet.balance(alice()) + fleet.balance(BACKEND) + burned != supply {
        return fail("ledger supply not conserved".into());
    }
    let (charges, refunds) = (fleet.charges(), fleet.refunds());
    if charges > 1 || refunds > 1 {
        return fail(format!("{charges} charges, {refunds} refunds"));
    }
    let created = fleet.world.factory.borrow().created.clone();
    if created.len() > 1 || fleet.world.factory.borrow().owners.iter().any(|owner| *owner != alice()) {
        return fail(format!("contracts created: {created:?}"));
    }
    let Some(record) = fleet.state.borrow().deployment_record(0) else {
        // Refused before anything was recorded: nothing may have moved.
        return if charges == 0 && created.is_empty() {
            Ok("refused before payment")
        } else {
            fail("moved money without a record".into())
        };
    };
    let ended = match record.stage() {
        DeploymentStage::Completed
            if charges == 1 && refunds == 0 && record.view.contract == created.first().copied() =>
        {
            "completed"
        }
        DeploymentStage::Refunded if charges == 1 && refunds == 1 && created.is_empty() => "refunded",
        DeploymentStage::Failed if charges == 0 && refunds == 0 && created.is_empty() => "failed unpaid",
        stage => {
            return fail(format!("{stage:?} with {charges} charges, {refunds} refunds, {} contracts", created.len()))
        }
    };
    if !storage_reinstalled && !fleet.world.invoices.borrow().refused.is_empty() {
        return fail("an invalid invoice transition was sent".into());
    }
    Ok(ended)
}

#[test]
fn random_fault_schedules_never_lose_or_double_money() {
    let schedules =
        std::env::var("FLEET_FAULT_SCHEDULES").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_SCHEDULES);
    let first = std::env::var("FLEET_FAULT_SCHEDULE_FIRST").ok().and_then(|n| n.parse().ok()).unwrap_or(0u64);
    let mut endings = std::collections::BTreeMap::<&str, u64>::new();
    let mut violations = vec![];
    for seed in first..first + schedules {
        match run_schedule(seed) {
            Ok(ended) => *endings.entry(ended).or_default() += 1,
            Err(violation) => violations.push(violation),
        }
    }
    println!("fault schedules run: {schedules}, violations found: {}, endings: {endings:?}", violations.len());
    // Each ending must be reached, or the schedules do not exercise what they claim to.
    if schedules >= DEFAULT_SCHEDULES {
        for ending in ["completed", "refunded", "failed unpaid"] {
            assert!(endings.get(ending).copied().unwrap_or(0) > 0, "no schedule ended {ending}: {endings:?}");
        }
    }
    assert!(violations.is_empty(), "{} of {schedules} schedules broke a promise:\n{}", violations.len(), {
        violations.iter().take(3).cloned().collect::<Vec<_>>().join("\n\n")
    });
}
