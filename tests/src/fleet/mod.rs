//! The whole fleet on one IC instance, driven the way its operators and users drive it: the ledger (the token wasm,
//! installed by hand), audit and invoice storage, the backend and the token factory, wired up with the setup calls of
//! the integration guide (`setupWhitelist`, `setupMicroservices`), then used through the public endpoints only.
//!
//! `Fleet` is shared by the end-to-end tests and by `release rehearse`; every method returns an error that says which
//! call failed and why, so a rehearsal that goes wrong prints something an operator can act on.

mod backend_ops;
mod calls;
mod publish;

use anyhow::{ensure, Context, Result};
use candid::{Nat, Principal};
use fleet_api::ContractInit;
use token_api::{Account, TokenArgs};

use crate::ic::PocketIc;

pub use calls::CallError;
pub use publish::{publish_version, IcTransport, PublishReport};

/// Every `Fleet` canister starts with this many cycles: plenty for a rehearsal, and the factory pays creation fees
/// out of its own balance.
pub const CANISTER_CYCLES: u128 = 100_000_000_000_000;
/// Cycles each new contract starts with (`token_factory.initial_cycles`).
pub const CONTRACT_CYCLES: u128 = 2_000_000_000_000;
/// Transfer fee of the local payment ledger (0.0001 of a token with 8 decimals, as ICP).
pub const LEDGER_FEE: u64 = 10_000;
/// What each rehearsal user holds on the payment ledger at the start.
pub const USER_FUNDS: u64 = 50_000_000_000;

/// The canister modules the fleet runs, as `release build` writes them.
pub struct FleetWasm {
    pub token: Vec<u8>,
    pub audit_storage: Vec<u8>,
    pub invoice_storage: Vec<u8>,
    pub backend: Vec<u8>,
    pub token_factory: Vec<u8>,
    pub multisig_factory: Vec<u8>,
    pub distribution_factory: Vec<u8>,
    pub dao_factory: Vec<u8>,
    pub launchpad_factory: Vec<u8>,
    /// The contract kinds the rehearsal publishes besides the token.
    pub multisig: Vec<u8>,
    pub distribution: Vec<u8>,
    pub dao: Vec<u8>,
    pub launchpad: Vec<u8>,
    /// The token's next releases for the rehearsal's rollouts (tests/fixtures): 1.2.0, and 1.2.1 whose post_upgrade
    /// refuses ledgers holding allowances.
    pub token_next: Vec<u8>,
    pub token_faulty: Vec<u8>,
}

impl FleetWasm {
    /// Loads every module from `$FLEET_WASM_DIR` or `<target>/canisters` (building what is missing).
    pub fn load() -> Self {
        let load = crate::wasm::canister_wasm;
        Self {
            token: load("token"),
            audit_storage: load("audit_storage"),
            invoice_storage: load("invoice_storage"),
            backend: load("backend"),
            token_factory: load("token_factory"),
            multisig_factory: load("multisig_factory"),
            distribution_factory: load("distribution_factory"),
            dao_factory: load("dao_factory"),
            launchpad_factory: load("launchpad_factory"),
            multisig: load("multisig"),
            distribution: load("distribution"),
            dao: load("dao"),
            launchpad: load("launchpad"),
            token_next: load("token_next"),
            token_faulty: load("token_faulty"),
        }
    }
}

impl FleetWasm {
    /// Reads `<dir>/<name>.wasm.gz` for every fleet canister, as `release build` writes them.
    pub fn from_dir(dir: &std::path::Path) -> Result<Self> {
        let load = |name: &str| {
            let path = dir.join(format!("{name}.wasm.gz"));
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
        };
        Ok(Self {
            token: load("token")?,
            audit_storage: load("audit_storage")?,
            invoice_storage: load("invoice_storage")?,
            backend: load("backend")?,
            token_factory: load("token_factory")?,
            multisig_factory: load("multisig_factory")?,
            distribution_factory: load("distribution_factory")?,
            dao_factory: load("dao_factory")?,
            launchpad_factory: load("launchpad_factory")?,
            multisig: load("multisig")?,
            distribution: load("distribution")?,
            dao: load("dao")?,
            launchpad: load("launchpad")?,
            token_next: load("token_next")?,
            token_faulty: load("token_faulty")?,
        })
    }
}

/// Named principals of the rehearsal: self-authenticating ids derived from a fixed name, so runs are reproducible.
pub fn user(name: &str) -> Principal {
    Principal::self_authenticating(format!("fleet-rehearsal/{name}").as_bytes())
}

pub struct Fleet {
    pub ic: PocketIc,
    /// Controller of every fleet canister, and so admin of each.
    pub operator: Principal,
    /// Allowed to upload and publish contract versions to the factories.
    pub release: Principal,
    pub ledger: Principal,
    pub audit_storage: Principal,
    pub invoice_storage: Principal,
    pub backend: Principal,
    pub token_factory: Principal,
    pub multisig_factory: Principal,
    pub distribution_factory: Principal,
    pub dao_factory: Principal,
    pub launchpad_factory: Principal,
    /// Users holding `USER_FUNDS` on the payment ledger from its init.
    pub users: Vec<Principal>,
}

impl Fleet {
    /// Creates and installs every canister, then runs the integration guide's setup: whitelist the backend in the
    /// factory and in both storages, and tell the backend where everything is.
    pub fn deploy(ic: PocketIc, wasm: &FleetWasm, users: &[&str], mut progress: impl FnMut(&str)) -> Result<Self> {
        let operator = user("operator");
        let release = user("release-pipeline");
        let users: Vec<Principal> = users.iter().map(|name| user(name)).collect();
        let create = || {
            let id = ic.create_canister_with_settings(Some(operator), None);
            ic.add_cycles(id, CANISTER_CYCLES);
            id
        };
        let [ledger, audit_storage, invoice_storage, backend, token_factory] = [(); 5].map(|_| create());
        let [multisig_factory, distribution_factory] = [(); 2].map(|_| create());
        let dao_factory = create();
        let launchpad_factory = create();
        progress(&format!(
            "created ledger {ledger}, audit_storage {audit_storage}, invoice_storage {invoice_storage}, backend {backend}, token_factory {token_factory}"
        ));

        let ledger_init = ContractInit {
            factory: None,
            owner: operator,
            version: token_version(&wasm.token)?,
            args: ledger_args(&users),
        };
        install(&ic, ledger, &wasm.token, candid::encode_one(&ledger_init)?, operator, "ledger")?;
        install(&ic, audit_storage, &wasm.audit_storage, candid::encode_one(None::<()>)?, operator, "audit_storage")?;
        install(
            &ic,
            invoice_storage,
            &wasm.invoice_storage,
            candid::encode_one(None::<()>)?,
            operator,
            "invoice_storage",
        )?;
        let backend_init = backend_api::BackendInitArgs { admins: vec![], payment_ledger: ledger };
        install(&ic, backend, &wasm.backend, candid::encode_one(&backend_init)?, operator, "backend")?;
        let factory_init = token_factory_api::FactoryInitArgs {
            whitelist: vec![],
            release_principals: vec![release],
            admins: vec![],
            config: None,
        };
        let factory_arg = candid::encode_one(Some(&factory_init))?;
        for (id, module, name) in [
            (token_factory, &wasm.token_factory, "token_factory"),
            (multisig_factory, &wasm.multisig_factory, "multisig_factory"),
            (distribution_factory, &wasm.distribution_factory, "distribution_factory"),
            (dao_factory, &wasm.dao_factory, "dao_factory"),
            (launchpad_factory, &wasm.launchpad_factory, "launchpad_factory"),
        ] {
            install(&ic, id, module, factory_arg.clone(), operator, name)?;
        }
        progress("installed the ledger (token wasm, no factory), both storages, the backend and the five factories (token, multisig, distribution, DAO, launchpad)");

        let fleet = Self {
            ic,
            operator,
            release,
            ledger,
            audit_storage,
            invoice_storage,
            backend,
            token_factory,
            multisig_factory,
            distribution_factory,
            dao_factory,
            launchpad_factory,
            users,
        };
        let factories = [
            fleet.token_factory,
            fleet.multisig_factory,
            fleet.distribution_factory,
            fleet.dao_factory,
            fleet.launchpad_factory,
        ];
        for service in factories.into_iter().chain([fleet.audit_storage, fleet.invoice_storage]) {
            fleet.admin_call(service, "setupWhitelist", (fleet.backend,))?;
        }
        let (dao, launchpad) = (fleet.dao_factory, fleet.launchpad_factory);
        fleet.admin_call(
            fleet.backend,
            "setupMicroservices",
            (
                fleet.audit_storage,
                fleet.invoice_storage,
                fleet.token_factory,
                fleet.distribution_factory,
                fleet.multisig_factory,
                dao,
                launchpad,
            ),
        )?;
        // The integration guide's default (200 M cycles) leaves a new contract below its freezing threshold on a real
        // subnet, so it could never run its deployment notice; 2 T is what an operator would configure.
        for service in ["token_factory", "multisig_factory", "distribution_factory", "dao_factory", "launchpad_factory"]
        {
            fleet.admin_call(
                fleet.backend,
                "adminSetConfigValue",
                (format!("{service}.initial_cycles"), CONTRACT_CYCLES.to_string()),
            )?;
        }
        progress("setupWhitelist(backend) on the three factories and both storages; setupMicroservices and initial_cycles on backend");
        Ok(fleet)
    }

    /// Upgrades fleet canister `id` the way an operator must: stop it (so no call of the old code is still open and
    /// no reply reaches the new code's callbacks), upgrade, and start it again whatever the upgrade did, so it is
    /// never left stopped. `tests/tests/backend_interruptions.rs` shows what happens without the stop.
    pub fn upgrade_stopped(&self, id: Principal, module: &[u8], arg: Vec<u8>, name: &str) -> Result<()> {
        let stop = self.ic.stop_canister(id, Some(self.operator));
        let upgraded = stop.map_err(|e| anyhow::anyhow!("stopping {name} before its upgrade: {e}")).and_then(|()| {
            self.ic
                .upgrade_canister(id, module.to_vec(), arg, Some(self.operator))
                .map_err(|e| anyhow::anyhow!("upgrade of {name}: {e}"))
        });
        let started = self.ic.start_canister(id, Some(self.operator));
        upgraded?;
        started.map_err(|e| anyhow::anyhow!("starting {name} after its upgrade: {e}"))
    }

    /// ICRC-1 balance of a principal's default account on the payment ledger.
    pub fn balance(&self, owner: Principal) -> Result<u128> {
        let account = Account { owner, subaccount: None };
        let (balance,): (Nat,) = self.query(self.ledger, owner, "icrc1_balance_of", (account,))?;
        nat_to_u128(&balance)
    }

    pub fn total_supply(&self) -> Result<u128> {
        let (supply,): (Nat,) = self.query(self.ledger, self.operator, "icrc1_total_supply", ())?;
        nat_to_u128(&supply)
    }

    /// The fee the backend charges for `service` (`token_factory`, ...), as `getServiceFee` answers.
    pub fn service_fee(&self, service: &str) -> Result<u128> {
        let (fee,): (Option<Nat>,) =
            self.query(self.backend, self.operator, "getServiceFee", (service.to_string(),))?;
        nat_to_u128(&fee.with_context(|| format!("no fee configured for {service}"))?)
    }
}

fn install(ic: &PocketIc, id: Principal, wasm: &[u8], arg: Vec<u8>, operator: Principal, name: &str) -> Result<()> {
    ic.install_canister(id, wasm.to_vec(), arg, Some(operator));
    ensure!(
        ic.canister_status(id, Some(operator)).map(|s| s.module_hash.is_some()).unwrap_or(false),
        "{name}: install left no module"
    );
    Ok(())
}

/// The version compiled into the token wasm, read from the `fleet:version` metadata `release build` embeds.
pub fn token_version(wasm: &[u8]) -> Result<String> {
    let meta =
        factory_engine::registry::wasm_meta::read_metadata(wasm).map_err(|e| anyhow::anyhow!("token wasm: {e}"))?;
    meta.version.context("token wasm has no fleet:version metadata: build it with `cargo run -p release -- build`")
}

fn ledger_args(users: &[Principal]) -> TokenArgs {
    TokenArgs {
        name: "Local payment token".into(),
        symbol: "LICP".into(),
        decimals: 8,
        transfer_fee: Nat::from(LEDGER_FEE),
        initial_balances: users
            .iter()
            .map(|&owner| (Account { owner, subaccount: None }, Nat::from(USER_FUNDS)))
            .collect(),
        minting_account: None,
        logo: None,
        max_memo_length: None,
    }
}

pub fn nat_to_u128(n: &Nat) -> Result<u128> {
    u128::try_from(n.0.clone()).map_err(|_| anyhow::anyhow!("amount {n} does not fit in 128 bits"))
}
