//! The end-to-end rehearsal (`cargo run -p release -- rehearse`, and the `rehearsal` test): the whole fleet on the
//! emulator, every step checked against what a user or operator relies on. A step that does not hold stops the
//! rehearsal with an error that says which promise broke.
//!
//! Steps: deploy and wire the fleet → publish the token contract by chunked upload → a paid deployment (exact charge,
//! controllers [factory, owner], version, deployment confirmed) → the multisig, distribution, DAO and launchpad kinds
//! published and paid for the same way → refusals that charge nothing (no allowance,
//! maintenance, disabled service) → a factory failure refunded (fee less one ledger fee) →
//! an upgrade of every fleet canister keeping every record → owners opt in and the token's next releases roll out
//! (canary, widening, a bad release rolled back, a manual owner upgrade) → the ledger's books balance throughout.

use anyhow::{bail, ensure, Result};
use candid::{Nat, Principal};
use fleet_api::{ContractStatus, FleetError, Page, PageRequest};
use icrc_ledger_types::icrc1::account::Account;

use crate::fleet::{publish_version, token_version, user, Fleet, FleetWasm, LEDGER_FEE};

/// One finished step: what was checked, and the numbers worth printing.
pub struct StepReport {
    pub name: &'static str,
    pub detail: String,
}

pub struct Rehearsal {
    pub steps: Vec<StepReport>,
    /// The closing tables (`rehearsal_tables`): contracts per version and policy, rollouts, failures, books.
    pub tables: Vec<crate::rehearsal_tables::Table>,
}

/// Runs the rehearsal on `ic`, calling `on_step` after each step (the CLI prints progress from it).
pub fn run(ic: crate::ic::PocketIc, wasm: &FleetWasm, mut on_step: impl FnMut(&StepReport)) -> Result<Rehearsal> {
    let mut steps = vec![];
    let mut done = |name: &'static str, detail: String| {
        let step = StepReport { name, detail };
        on_step(&step);
        steps.push(step);
    };

    let fleet = Fleet::deploy(ic, wasm, &["alice", "bob", "carol"], |_| {})?;
    let supply_at_start = fleet.total_supply()?;
    done(
        "deploy",
        format!("9 canisters created, 7 installed, whitelists and microservices set; ledger supply {supply_at_start}"),
    );

    let published = publish_version(
        &fleet,
        fleet.token_factory,
        fleet.release,
        &token_version(&wasm.token)?,
        &wasm.token,
        "rehearsal",
    )?;
    done(
        "publish",
        format!(
            "token {} ({} bytes, {} chunks out of order, one re-sent) sha256 {}",
            published.version,
            published.bytes,
            published.chunks,
            &published.sha256[..16]
        ),
    );

    let [alice, bob, carol] = [user("alice"), user("bob"), user("carol")];
    let fee = fleet.service_fee("token_factory")?;
    let before = fleet.balance(alice)?;
    fleet.approve_backend(alice, fee + LEDGER_FEE as u128)?;
    let token: Principal = fleet.call(fleet.backend, alice, "createToken", (token_args("ALC", alice),))?;
    let paid = before - fleet.balance(alice)?;
    ensure!(paid == fee + 2 * LEDGER_FEE as u128, "alice paid {paid}, expected fee {fee} + approve fee + transfer fee");
    let mut controllers = fleet.ic.get_controllers(token);
    controllers.sort();
    let mut expected = vec![fleet.token_factory, alice];
    expected.sort();
    ensure!(controllers == expected, "controllers of {token} are {controllers:?}, expected [factory, alice]");
    let (version,): (String,) = fleet.query(token, alice, "version", ())?;
    ensure!(version == published.version, "the new token reports version {version}");
    settle(&fleet);
    let status = contract_status(&fleet, token)?;
    if status != ContractStatus::Active {
        let (health,): (fleet_api::ContractHealth,) = fleet.query(token, alice, "health", ())?;
        bail!("the factory still sees {token} as {status:?}; the contract says: {}", health.message);
    }
    let mine: Page<fleet_api::ContractInfo> =
        fleet.query::<_, (Page<_>,)>(fleet.token_factory, alice, "getMyContracts", (alice, PageRequest::new(0, 10)))?.0;
    ensure!(mine.items.iter().any(|c| c.id == token), "getMyContracts(alice) does not list {token}");
    done("paid deployment", format!("alice paid {paid} (fee {fee} + 2 ledger fees) for token {token}: controllers [factory, alice], version {version}, Active"));

    done("other kinds", other_kinds(&fleet, wasm, token)?);

    refusals(&fleet, bob, fee)?;
    done(
        "refusals",
        "no allowance, maintenance mode, disabled service: typed errors, nothing charged but the approve fee".into(),
    );

    let before = fleet.balance(carol)?;
    fleet.approve_backend(carol, fee + LEDGER_FEE as u128)?;
    fleet.admin_call(fleet.token_factory, "removeFromWhitelist", (fleet.backend,))?;
    let refused = fleet.call::<_, Principal>(fleet.backend, carol, "createToken", (token_args("CRL", carol),));
    ensure!(
        matches!(refused.as_ref().map_err(|e| e.fleet_error()), Err(Some(_))),
        "createToken with a factory that refuses the backend returned {refused:?}"
    );
    settle(&fleet);
    let lost = before - fleet.balance(carol)?;
    ensure!(
        lost == 3 * LEDGER_FEE as u128,
        "carol lost {lost} on a refunded deployment, expected 3 ledger fees (approve, charge, refund)"
    );
    fleet.admin_call(fleet.token_factory, "setupWhitelist", (fleet.backend,))?;
    done(
        "refund",
        format!(
            "factory refused the backend: carol refunded, lost only {lost} in ledger fees; {}",
            refused.err().map(|e| e.to_string()).unwrap_or_default()
        ),
    );

    let audit_before: u64 = fleet.query::<_, (u64,)>(fleet.audit_storage, fleet.operator, "getEventCount", ())?.0;
    let invoices_before: u64 =
        fleet.query::<_, (u64,)>(fleet.invoice_storage, fleet.operator, "getInvoiceCount", ())?.0;
    upgrade_everything(&fleet, wasm)?;
    let audit_after: u64 = fleet.query::<_, (u64,)>(fleet.audit_storage, fleet.operator, "getEventCount", ())?.0;
    let invoices_after: u64 = fleet.query::<_, (u64,)>(fleet.invoice_storage, fleet.operator, "getInvoiceCount", ())?.0;
    ensure!(
        audit_after == audit_before && invoices_after == invoices_before,
        "upgrade lost records: audit {audit_before}->{audit_after}, invoices {invoices_before}->{invoices_after}"
    );
    ensure!(contract_status(&fleet, token)? == ContractStatus::Active, "the factory forgot {token} across its upgrade");
    let again: Principal = {
        fleet.approve_backend(alice, fee + LEDGER_FEE as u128)?;
        fleet.call(fleet.backend, alice, "createToken", (token_args("AL2", alice),))?
    };
    done("upgrade", format!("every fleet canister (ledger, storages, backend, 5 factories) upgraded in place: {audit_after} audit events, {invoices_after} invoices kept; a new deployment ({again}) works after"));

    let pinned: Principal = {
        fleet.approve_backend(alice, fee + LEDGER_FEE as u128)?;
        fleet.call(fleet.backend, alice, "createToken", (token_args("AL3", alice),))?
    };
    settle(&fleet);
    done("rollout", crate::rehearsal_rollout::rollouts(&fleet, wasm, alice, [token, again, pinned])?);

    let holders = [alice, bob, carol, fleet.backend, fleet.operator];
    let held: u128 = holders.iter().map(|&p| fleet.balance(p)).sum::<Result<u128>>()?;
    let supply = fleet.total_supply()?;
    ensure!(held == supply, "balances add up to {held} but the ledger's supply is {supply}");
    done(
        "books",
        format!("balances add up to the supply ({supply}); {} burned as ledger fees", supply_at_start - supply),
    );
    let named =
        [("alice", alice), ("bob", bob), ("carol", carol), ("backend", fleet.backend), ("operator", fleet.operator)];
    let tables = crate::rehearsal_tables::final_tables(&fleet, &named, supply_at_start)?;
    Ok(Rehearsal { steps, tables })
}

/// The multisig, distribution, DAO and launchpad kinds: each published into its factory, then one paid deployment of
/// each (bob buys a 2-of-3 wallet and a DAO, carol a vesting distribution and a sale of alice's `token` for the
/// payment token), each charged exactly its fee and owned by [factory, buyer].
fn other_kinds(fleet: &Fleet, wasm: &FleetWasm, token: Principal) -> Result<String> {
    let (bob, carol) = (user("bob"), user("carol"));
    let wallet_args = multisig_api::MultisigArgs {
        name: "Rehearsal wallet".into(),
        signers: vec![bob, carol, user("dave")],
        threshold: 2,
        default_expiry_seconds: None,
    };
    let now = fleet.ic.get_time().as_nanos_since_unix_epoch();
    let day = 86_400_000_000_000u64;
    let distribution_args = distribution_api::DistributionArgs {
        name: "Rehearsal vesting".into(),
        ledger: fleet.ledger,
        schedule: distribution_api::Schedule::Vesting(distribution_api::VestingSchedule {
            start_time: now + day,
            cliff: 30 * day,
            duration: 360 * day,
            periods: 12,
        }),
        recipients: vec![(bob, Nat::from(1_000_000u32)), (carol, Nat::from(2_000_000u32))],
    };
    let dao_args = dao_api::DaoArgs {
        name: "Rehearsal DAO".into(),
        governance_token: fleet.ledger,
        parameters: dao_api::DaoParameters {
            voting_period_seconds: 3 * 86_400,
            quorum_basis_points: 2_000,
            approval_threshold_basis_points: 5_000,
            min_stake_to_propose: Nat::from(100_000_000u64),
            locks: vec![
                dao_api::LockOption { duration_seconds: 0, multiplier_basis_points: 10_000 },
                dao_api::LockOption { duration_seconds: 365 * 86_400, multiplier_basis_points: 20_000 },
            ],
        },
    };
    let hour = 3_600_000_000_000u64;
    let launchpad_args = launchpad_api::LaunchpadArgs {
        name: "Rehearsal sale".into(),
        sale_ledger: token,
        payment_ledger: fleet.ledger,
        price: launchpad_api::Price { payment: Nat::from(1u8), tokens: Nat::from(10u8) },
        soft_cap: Nat::from(100_000_000u64),
        hard_cap: Nat::from(1_000_000_000u64),
        start_time: now + day,
        end_time: now + day + 24 * hour,
        min_per_buyer: Nat::from(1_000_000u64),
        max_per_buyer: Nat::from(100_000_000u64),
        allow_list: None,
        vesting: None,
    };
    let mut lines = vec![];
    for (service, factory, module, buyer) in [
        ("multisig_factory", fleet.multisig_factory, &wasm.multisig, bob),
        ("distribution_factory", fleet.distribution_factory, &wasm.distribution, carol),
        ("dao_factory", fleet.dao_factory, &wasm.dao, bob),
        ("launchpad_factory", fleet.launchpad_factory, &wasm.launchpad, carol),
    ] {
        let published = publish_version(fleet, factory, fleet.release, &token_version(module)?, module, "rehearsal")?;
        let fee = fleet.service_fee(service)?;
        fleet.approve_backend(buyer, fee + LEDGER_FEE as u128)?;
        let before = fleet.balance(buyer)?;
        let contract: Principal = match service {
            "multisig_factory" => fleet.call(fleet.backend, buyer, "createMultisig", (wallet_args.clone(),))?,
            "dao_factory" => fleet.call(fleet.backend, buyer, "createDao", (dao_args.clone(),))?,
            "launchpad_factory" => fleet.call(fleet.backend, buyer, "createLaunchpad", (launchpad_args.clone(),))?,
            _ => fleet.call(fleet.backend, buyer, "createDistribution", (distribution_args.clone(),))?,
        };
        let paid = before - fleet.balance(buyer)?;
        ensure!(
            paid == fee + LEDGER_FEE as u128,
            "{buyer} paid {paid} for a {service} contract, expected {fee} + 1 fee"
        );
        let mut controllers = fleet.ic.get_controllers(contract);
        controllers.sort();
        let mut expected = vec![factory, buyer];
        expected.sort();
        ensure!(controllers == expected, "controllers of {contract} are {controllers:?}, expected [factory, buyer]");
        lines.push(format!("{service}: {} published, {contract} paid {paid}", published.version));
    }
    Ok(lines.join("; "))
}

fn refusals(fleet: &Fleet, bob: Principal, fee: u128) -> Result<()> {
    let before = fleet.balance(bob)?;
    let expect_refusal = |what: &str, check: fn(&FleetError) -> bool| -> Result<()> {
        match fleet.call::<_, Principal>(fleet.backend, bob, "createToken", (token_args("BOB", bob),)) {
            Err(e) if e.fleet_error().is_some_and(check) => Ok(()),
            other => bail!("{what}: createToken answered {other:?}"),
        }
    };
    expect_refusal("no allowance", |e| matches!(e, FleetError::InsufficientAllowance { .. }))?;
    fleet.approve_backend(bob, fee + LEDGER_FEE as u128)?;
    fleet.admin_call(fleet.backend, "adminSetMaintenanceMode", (true,))?;
    expect_refusal("maintenance mode", |e| matches!(e, FleetError::MaintenanceMode))?;
    fleet.admin_call(fleet.backend, "adminSetMaintenanceMode", (false,))?;
    fleet.admin_call(
        fleet.backend,
        "adminSetConfigValue",
        ("token_factory.enabled".to_string(), "false".to_string()),
    )?;
    expect_refusal("disabled service", |e| matches!(e, FleetError::ServiceDisabled(_)))?;
    fleet.admin_call(
        fleet.backend,
        "adminSetConfigValue",
        ("token_factory.enabled".to_string(), "true".to_string()),
    )?;
    let charged = before - fleet.balance(bob)?;
    ensure!(
        charged == LEDGER_FEE as u128,
        "refused requests cost bob {charged}; only his approve's ledger fee was expected"
    );
    Ok(())
}

fn contract_status(fleet: &Fleet, contract: Principal) -> Result<ContractStatus> {
    let details: token_factory_api::ContractDetails = fleet
        .query::<_, (Result<_, FleetError>,)>(fleet.token_factory, fleet.operator, "getContract", (contract,))?
        .0?;
    Ok(details.info.status)
}

/// Lets timers and queued callbacks (deployment notices, refunds) run.
fn settle(fleet: &Fleet) {
    for _ in 0..20 {
        fleet.ic.advance_time(std::time::Duration::from_secs(5));
        fleet.ic.tick();
    }
}

fn upgrade_everything(fleet: &Fleet, wasm: &FleetWasm) -> Result<()> {
    let empty = candid::encode_args(())?;
    let factory_arg = candid::encode_one(None::<token_factory_api::FactoryInitArgs>)?;
    let factories = [
        (fleet.token_factory, &wasm.token_factory, "token_factory"),
        (fleet.multisig_factory, &wasm.multisig_factory, "multisig_factory"),
        (fleet.distribution_factory, &wasm.distribution_factory, "distribution_factory"),
        (fleet.dao_factory, &wasm.dao_factory, "dao_factory"),
        (fleet.launchpad_factory, &wasm.launchpad_factory, "launchpad_factory"),
    ];
    for (id, module, arg, name) in [
        (fleet.ledger, &wasm.token, &empty, "ledger"),
        (fleet.audit_storage, &wasm.audit_storage, &empty, "audit_storage"),
        (fleet.invoice_storage, &wasm.invoice_storage, &empty, "invoice_storage"),
        (fleet.backend, &wasm.backend, &empty, "backend"),
    ] {
        fleet.upgrade_stopped(id, module, arg.clone(), name)?;
    }
    for (id, module, name) in factories {
        fleet.upgrade_stopped(id, module, factory_arg.clone(), name)?;
    }
    Ok(())
}

fn token_args(symbol: &str, owner: Principal) -> token_api::TokenArgs {
    token_api::TokenArgs {
        name: format!("{symbol} rehearsal token"),
        symbol: symbol.into(),
        decimals: 8,
        transfer_fee: Nat::from(10_000u64),
        // The owner's default account is the minting account: the supply starts in a treasury subaccount.
        initial_balances: vec![(Account { owner, subaccount: Some([1; 32]) }, Nat::from(1_000_000_000u64))],
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}
