//! Released versions' state: the scripted scenario a fixture is captured from, and the view its invariants are
//! checked on, per contract kind.
//!
//! `release cut` (and `release fixture`) run [`capture`] on a version's exact wasm and write the stable memory it
//! leaves to `migrations/<kind>/<version>/stable_memory.bin`, with the view ([`ReleasedKind::observe`]) beside it as
//! `state.json`. The upgrade rehearsal tests (`tests/tests/released_versions.rs`) [`load`] a fixture into its own
//! version's wasm, observe, upgrade to the current build and check that the view is unchanged and the kind's live
//! invariants hold ([`ReleasedKind::check_live`]).
//!
//! Everything runs at [`FIXTURE_TIME_NANOS`] on a fresh instance, so capturing twice gives the same bytes.

mod dao;
mod distribution;
mod launchpad;
mod multisig;
mod token;

pub use launchpad::FailedSale as LaunchpadFailedSale;

use anyhow::{ensure, Context, Result};
use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::Principal;
use fleet_api::ContractUpgrade;
use fleet_client::CanisterClient;
use serde_json::Value;

use crate::fleet::IcTransport;
use crate::ic::{PocketIc, PocketIcBuilder, Time};

/// 2026-01-01T00:00:00Z: the clock of every fixture capture and load (the token's dedup window is 24 hours).
pub const FIXTURE_TIME_NANOS: u64 = 1_767_225_600_000_000_000;
/// Cycles of the fixture's canister.
const CYCLES: u128 = 10_000_000_000_000;

/// One contract kind's scenario and invariants.
pub trait ReleasedKind: Sync {
    fn kind(&self) -> &'static str;
    /// Install argument of a contract owned by `owner` at `version`, with no factory; may first create what the
    /// contract's init names (a ledger) on `ic`.
    fn init_arg(&self, ic: &PocketIc, owner: Principal, version: &str) -> Result<Vec<u8>>;
    /// The scripted, representative scenario; returns one line per kind of call made (for the fixture's README).
    fn scenario(&self, contract: &Contract<'_>) -> Result<Vec<String>>;
    /// Everything the contract's users can observe, as JSON (compared before and after an upgrade).
    fn observe(&self, contract: &Contract<'_>) -> Result<Value>;
    /// Invariants checked on the live contract after an upgrade, given the view before it (may call updates that
    /// must change nothing, e.g. re-sending a deduplicated transfer).
    fn check_live(&self, contract: &Contract<'_>, before: &Value) -> Result<()>;
}

/// The kinds with released-state support.
pub fn kinds() -> [&'static dyn ReleasedKind; 5] {
    [&token::Token, &multisig::Multisig, &distribution::Distribution, &dao::Dao, &launchpad::Launchpad]
}

pub fn kind(name: &str) -> Result<&'static dyn ReleasedKind> {
    kinds().into_iter().find(|k| k.kind() == name).with_context(|| {
        let known: Vec<&str> = kinds().iter().map(|k| k.kind()).collect();
        format!("no released-state scenario for kind `{name}` (known: {})", known.join(", "))
    })
}

/// A contract on an instance, with typed calls as any caller.
pub struct Contract<'a> {
    pub ic: &'a PocketIc,
    pub id: Principal,
    pub owner: Principal,
}

impl Contract<'_> {
    pub fn update<I: ArgumentEncoder, O: for<'b> ArgumentDecoder<'b>>(
        &self,
        sender: Principal,
        method: &'static str,
        args: I,
    ) -> Result<O> {
        let transport = IcTransport::new(self.ic, sender);
        Ok(CanisterClient::new(&transport, self.id).update(method, args)?)
    }

    pub fn query<I: ArgumentEncoder, O: for<'b> ArgumentDecoder<'b>>(
        &self,
        method: &'static str,
        args: I,
    ) -> Result<O> {
        let transport = IcTransport::new(self.ic, self.owner);
        Ok(CanisterClient::new(&transport, self.id).query(method, args)?)
    }

    /// `health().schema_version`: the schema the running code reports.
    pub fn schema_version(&self) -> Result<u32> {
        let (health,): (fleet_api::ContractHealth,) = self.query("health", ())?;
        Ok(health.schema_version)
    }
}

/// What a capture produced.
pub struct Fixture {
    pub stable_memory: Vec<u8>,
    /// The scenario's calls, one line each.
    pub calls: Vec<String>,
    /// The view after the scenario (`state.json`).
    pub state: Value,
    /// The schema the contract reported (`health().schema_version`).
    pub schema_version: u32,
}

/// The owner of every fixture contract.
pub fn fixture_owner() -> Principal {
    crate::fleet::user("fixture/owner")
}

pub fn fixture_instance() -> PocketIc {
    PocketIcBuilder::new()
        .with_application_subnet()
        .with_initial_time(Time::from_nanos_since_unix_epoch(FIXTURE_TIME_NANOS))
        .build()
}

fn install(ic: &PocketIc, kind: &dyn ReleasedKind, wasm: &[u8], version: &str) -> Result<Principal> {
    let owner = fixture_owner();
    let arg = kind.init_arg(ic, owner, version)?;
    let id = ic.create_canister_with_settings(Some(owner), None);
    ic.add_cycles(id, CYCLES);
    ic.install_canister(id, wasm.to_vec(), arg, Some(owner));
    Ok(id)
}

/// The current token build as a ledger on `ic` (controlled by `owner`, minting to a principal of its own), with
/// `initial_balances`.
pub fn install_token_ledger(
    ic: &PocketIc,
    owner: Principal,
    initial_balances: Vec<(icrc_ledger_types::icrc1::account::Account, candid::Nat)>,
) -> Result<Principal> {
    let id = ic.create_canister_with_settings(Some(owner), None);
    ic.add_cycles(id, CYCLES);
    let wasm = crate::wasm::canister_wasm("token");
    let version = crate::fleet::token_version(&wasm)?;
    let args = token_api::TokenArgs {
        name: "Fixture ledger".into(),
        symbol: "FXL".into(),
        decimals: 8,
        transfer_fee: candid::Nat::from(10_000u64),
        initial_balances,
        minting_account: None,
        logo: None,
        max_memo_length: None,
    };
    let init =
        fleet_api::ContractInit { factory: None, owner: crate::fleet::user("fixture/ledger-minter"), version, args };
    ic.install_canister(id, wasm, candid::encode_one(&init)?, Some(owner));
    Ok(id)
}

/// Runs `kind`'s scenario on `wasm` (version `version`) and takes its stable memory.
pub fn capture(kind: &dyn ReleasedKind, version: &str, wasm: &[u8]) -> Result<Fixture> {
    let ic = fixture_instance();
    let contract = Contract { id: install(&ic, kind, wasm, version)?, ic: &ic, owner: fixture_owner() };
    let calls = kind.scenario(&contract).with_context(|| format!("{} {version}: scenario", kind.kind()))?;
    let state = kind.observe(&contract)?;
    let schema_version = contract.schema_version()?;
    Ok(Fixture { stable_memory: ic.get_stable_memory(contract.id), calls, state, schema_version })
}

/// Installs `wasm` (version `version`), stops it (so no timer of the install's heap writes over the fixture),
/// replaces its stable memory with `stable_memory`, upgrades it to itself (its heap is rebuilt from the fixture
/// exactly as after a real upgrade) and starts it again. Returns the contract's id.
pub fn load(
    ic: &PocketIc,
    kind: &dyn ReleasedKind,
    version: &str,
    wasm: &[u8],
    stable_memory: &[u8],
) -> Result<Principal> {
    let id = install(ic, kind, wasm, version)?;
    let owner = Some(fixture_owner());
    ic.stop_canister(id, owner).map_err(|e| anyhow::anyhow!("stopping the fixture's canister: {e}"))?;
    ic.set_stable_memory(id, stable_memory.to_vec(), crate::ic::BlobCompression::NoCompression);
    upgrade(ic, id, wasm, version).with_context(|| format!("{} {version}: reloading its own fixture", kind.kind()))?;
    ic.start_canister(id, owner).map_err(|e| anyhow::anyhow!("starting the fixture's canister: {e}"))?;
    Ok(id)
}

/// `install_code` in upgrade mode to `wasm` at `version`, as the owner.
pub fn upgrade(ic: &PocketIc, id: Principal, wasm: &[u8], version: &str) -> Result<()> {
    let arg = candid::encode_one(Some(ContractUpgrade { version: version.into(), migration_arg: None }))?;
    ic.upgrade_canister(id, wasm.to_vec(), arg, Some(fixture_owner()))
        .map_err(|e| anyhow::anyhow!("upgrade to {version}: {e}"))
}

/// Checks `after` equals `before`, naming the first differing field.
pub fn same_view(before: &Value, after: &Value) -> Result<()> {
    if before == after {
        return Ok(());
    }
    if let (Value::Object(b), Value::Object(a)) = (before, after) {
        for (key, value) in b {
            ensure!(
                a.get(key) == Some(value),
                "`{key}` changed: before {value}, after {}",
                a.get(key).unwrap_or(&Value::Null)
            );
        }
    }
    anyhow::bail!("the view changed: before {before}, after {after}")
}
