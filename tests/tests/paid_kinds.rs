//! The multisig and distribution kinds sold through the backend on the whole fleet: the contract published into its
//! factory's registry, paid for with ICRC-2, deployed with controllers [factory, owner], its participants indexed
//! for them at the factory; a request the contract would refuse charges nothing; a factory that refuses after the
//! payment refunds the fee less one ledger fee.

use candid::{Nat, Principal};
use distribution_api::{DistributionArgs, DistributionInfo, DistributionStatus, Schedule};
use fleet_api::{ContractInfo, FleetError, Page, PageRequest};
use fleet_tests::fleet::{publish_version, token_version, user, CallError, Fleet, FleetWasm, LEDGER_FEE};
use fleet_tests::ic;
use fleet_tests::wasm::canister_wasm;
use multisig_api::{MultisigArgs, SignerSet};
use std::time::Duration;

fn fleet_with(kind: &str, factory: fn(&Fleet) -> Principal) -> (Fleet, Principal) {
    let fleet = Fleet::deploy(ic::new_instance(), &FleetWasm::load(), &["alice", "bob"], |_| {}).expect("deploy");
    let wasm = canister_wasm(kind);
    let version = token_version(&wasm).expect("version metadata");
    publish_version(&fleet, factory(&fleet), fleet.release, &version, &wasm, "paid kinds").expect("publish");
    let factory = factory(&fleet);
    (fleet, factory)
}

fn contracts_of(fleet: &Fleet, factory: Principal, who: Principal) -> Vec<ContractInfo> {
    let (page,): (Page<ContractInfo>,) =
        fleet.query(factory, who, "getMyContracts", (who, PageRequest::new(0, 10))).expect("getMyContracts");
    page.items
}

fn settle(fleet: &Fleet) {
    for _ in 0..30 {
        fleet.ic.advance_time(Duration::from_secs(5));
        fleet.ic.tick();
    }
}

fn wallet_args() -> MultisigArgs {
    MultisigArgs {
        name: "Team wallet".into(),
        signers: vec![user("signer-1"), user("signer-2"), user("signer-3")],
        threshold: 2,
        default_expiry_seconds: None,
    }
}

#[test]
fn a_paid_multisig_is_deployed_for_its_owner_and_found_by_its_signers() {
    let (fleet, factory) = fleet_with("multisig", |f| f.multisig_factory);
    let alice = user("alice");
    let fee = fleet.service_fee("multisig_factory").unwrap();
    fleet.approve_backend(alice, fee + LEDGER_FEE as u128).unwrap();
    let before = fleet.balance(alice).unwrap();

    // A wallet the contract would refuse (threshold above the signers) is refused before any charge.
    let mut bad = wallet_args();
    bad.threshold = 4;
    let refused: Result<Principal, CallError> = fleet.call(fleet.backend, alice, "createMultisig", (bad,));
    assert!(matches!(refused, Err(CallError::Fleet { error: FleetError::InvalidInput(_), .. })), "{refused:?}");
    assert_eq!(fleet.balance(alice).unwrap(), before);

    let wallet: Principal =
        fleet.call(fleet.backend, alice, "createMultisig", (wallet_args(),)).expect("createMultisig");
    assert_eq!(before - fleet.balance(alice).unwrap(), fee + LEDGER_FEE as u128, "charged the fee once");
    let mut controllers = fleet.ic.get_controllers(wallet);
    controllers.sort();
    let mut expected = vec![factory, alice];
    expected.sort();
    assert_eq!(controllers, expected);
    let (signers,): (SignerSet,) = fleet.query(wallet, alice, "getSigners", ()).unwrap();
    assert_eq!((signers.signers, signers.threshold), (wallet_args().signers, 2));
    settle(&fleet);
    // The signers (not the owner alone) find the wallet, although it is private.
    for signer in wallet_args().signers {
        assert_eq!(contracts_of(&fleet, factory, signer).iter().map(|c| c.id).collect::<Vec<_>>(), vec![wallet]);
    }
    assert_eq!(contracts_of(&fleet, factory, alice).len(), 1);
    assert!(contracts_of(&fleet, factory, user("bob")).is_empty(), "a private wallet is not listed to strangers");
}

#[test]
fn a_factory_that_refuses_after_the_payment_refunds_it_for_either_kind() {
    for kind in ["multisig", "distribution"] {
        let factory_of: fn(&Fleet) -> Principal =
            if kind == "multisig" { |f| f.multisig_factory } else { |f| f.distribution_factory };
        let (fleet, factory) = fleet_with(kind, factory_of);
        let alice = user("alice");
        let fee = fleet.service_fee(&format!("{kind}_factory")).unwrap();
        fleet.admin_call(factory, "removeFromWhitelist", (fleet.backend,)).unwrap();
        fleet.approve_backend(alice, fee + LEDGER_FEE as u128).unwrap();
        let before = fleet.balance(alice).unwrap();
        let refused: Result<Principal, CallError> = if kind == "multisig" {
            fleet.call(fleet.backend, alice, "createMultisig", (wallet_args(),))
        } else {
            let args = DistributionArgs {
                name: "Refused".into(),
                ledger: fleet.ledger,
                schedule: Schedule::Airdrop,
                recipients: vec![(user("r1"), Nat::from(5u8))],
            };
            fleet.call(fleet.backend, alice, "createDistribution", (args,))
        };
        assert!(
            matches!(refused, Err(CallError::Fleet { error: FleetError::Unauthorized(_), .. })),
            "{kind}: {refused:?}"
        );
        settle(&fleet);
        // Charged fee + ledger fee, refunded fee - ledger fee: two ledger fees lost, nothing else.
        assert_eq!(before - fleet.balance(alice).unwrap(), 2 * LEDGER_FEE as u128, "{kind}");
    }
}

#[test]
fn a_paid_distribution_is_deployed_and_its_recipients_find_it() {
    let (fleet, factory) = fleet_with("distribution", |f| f.distribution_factory);
    let alice = user("alice");
    let fee = fleet.service_fee("distribution_factory").unwrap();
    fleet.approve_backend(alice, fee + LEDGER_FEE as u128).unwrap();
    let before = fleet.balance(alice).unwrap();
    let args = |recipients| DistributionArgs {
        name: "Community airdrop".into(),
        ledger: fleet.ledger,
        schedule: Schedule::Airdrop,
        recipients,
    };
    let twice = vec![(user("r1"), Nat::from(5u8)), (user("r1"), Nat::from(6u8))];
    let refused: Result<Principal, CallError> = fleet.call(fleet.backend, alice, "createDistribution", (args(twice),));
    assert!(matches!(refused, Err(CallError::Fleet { error: FleetError::InvalidInput(_), .. })), "{refused:?}");
    assert_eq!(fleet.balance(alice).unwrap(), before, "a refused request charges nothing");

    let recipients = vec![(user("r1"), Nat::from(1_000u32)), (user("r2"), Nat::from(2_000u32))];
    let distribution: Principal =
        fleet.call(fleet.backend, alice, "createDistribution", (args(recipients),)).expect("createDistribution");
    assert_eq!(before - fleet.balance(alice).unwrap(), fee + LEDGER_FEE as u128);
    let (info,): (DistributionInfo,) = fleet.query(distribution, alice, "getDistribution", ()).unwrap();
    assert_eq!((info.status, info.recipients), (DistributionStatus::Created, 2));
    settle(&fleet);
    for recipient in [user("r1"), user("r2")] {
        let found = contracts_of(&fleet, factory, recipient);
        assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![distribution], "{recipient}");
    }
}
