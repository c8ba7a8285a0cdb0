//! `release serve`'s library side: the Ed25519 identity it makes the operator of the served fleet, the JSON file that
//! tells clients where everything is, and (feature `rehearse`, which links the emulator) the grants that make that
//! identity controller of every fleet canister and admin / release principal of the backend, the storages and the
//! factories.
//!
//! The command itself (`src/commands/serve.rs`) deploys the fleet with the rehearsal's own deploy step
//! (`fleet_tests::fleet::Fleet::deploy`), applies [`grant_operator`], makes the emulator live and writes
//! [`ServedFleet`] last, so that a script that waits for the file knows the network answers.

use anyhow::Context;
use candid::Principal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Tokens (e8s) the served identity receives on the payment ledger from the rehearsal's user `alice`, so that a
/// developer can pay for a deployment or send a transfer with it right away.
pub const IDENTITY_FUNDS: u64 = 10_000_000_000;

/// A fresh Ed25519 key as a PKCS#8 v1 PEM (`-----BEGIN PRIVATE KEY-----`, what `dfx identity export`, icp-cli,
/// OpenSSL and ic-agent's `BasicIdentity::from_pem_file` read), and its self-authenticating principal.
pub struct ServeIdentity {
    pub pem: String,
    pub principal: Principal,
}

impl ServeIdentity {
    pub fn generate() -> Self {
        let key = ic_ed25519::PrivateKey::generate();
        let pem = key.serialize_pkcs8_pem(ic_ed25519::PrivateKeyFormat::Pkcs8v1);
        let principal = Principal::self_authenticating(key.public_key().serialize_rfc8410_der());
        Self { pem, principal }
    }

    /// Writes the PEM to `path` (readable by its owner only on Unix), through a temporary file and a rename.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        write_atomically(path, self.pem.as_bytes(), true)
    }
}

/// What `release serve` writes to its ids file (`--ids-file`, default `fleet-ids.json`) once the network answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedFleet {
    /// The network's URL, for `--network` of release, dfx and icp-cli, and for agents' `host`.
    pub url: String,
    /// Principal of the identity in `identity_pem`.
    pub principal: String,
    /// Path of the identity PEM (`--identity-out`), as given.
    pub identity_pem: String,
    /// Canister ids by fleet name: `ledger`, `audit_storage`, `invoice_storage`, `backend`, and the five factories.
    pub canisters: BTreeMap<String, String>,
}

impl ServedFleet {
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(self).context("encoding the ids file")?;
        text.push('\n');
        write_atomically(path, text.as_bytes(), false)
    }

    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not a `release serve` ids file", path.display()))
    }

    /// The id of canister `name`.
    pub fn canister(&self, name: &str) -> anyhow::Result<Principal> {
        let text = self.canisters.get(name).with_context(|| format!("the ids file names no canister `{name}`"))?;
        Principal::from_text(text).map_err(|e| anyhow::anyhow!("canister `{name}`: {text:?} is not a principal: {e}"))
    }
}

fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    let name = path.file_name().with_context(|| format!("{} names no file", path.display()))?;
    let temporary = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let written = options.open(&temporary).and_then(|mut file| {
        use std::io::Write;
        file.write_all(bytes)?;
        file.sync_all()
    });
    written
        .and_then(|()| std::fs::rename(&temporary, path))
        .with_context(|| format!("writing {}", path.display()))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&temporary);
        })
}

#[cfg(feature = "rehearse")]
mod grants {
    use super::IDENTITY_FUNDS;
    use anyhow::Context;
    use candid::{Nat, Principal};
    use fleet_tests::fleet::{user, Fleet};
    use std::collections::BTreeMap;

    /// Every canister of a deployed fleet by its name in the ids file.
    pub fn canister_ids(fleet: &Fleet) -> BTreeMap<String, Principal> {
        [
            ("ledger", fleet.ledger),
            ("audit_storage", fleet.audit_storage),
            ("invoice_storage", fleet.invoice_storage),
            ("backend", fleet.backend),
            ("token_factory", fleet.token_factory),
            ("multisig_factory", fleet.multisig_factory),
            ("distribution_factory", fleet.distribution_factory),
            ("dao_factory", fleet.dao_factory),
            ("launchpad_factory", fleet.launchpad_factory),
        ]
        .into_iter()
        .map(|(name, id)| (name.to_string(), id))
        .collect()
    }

    fn factories(fleet: &Fleet) -> [Principal; 5] {
        [
            fleet.token_factory,
            fleet.multisig_factory,
            fleet.distribution_factory,
            fleet.dao_factory,
            fleet.launchpad_factory,
        ]
    }

    /// Makes `operator` a controller of every fleet canister (beside the fleet's own operator), an admin of the
    /// backend, both storages and every factory, a release principal of every factory, and gives it
    /// [`IDENTITY_FUNDS`] on the payment ledger. Runs as the fleet's operator, before the network goes live.
    pub fn grant_operator(fleet: &Fleet, operator: Principal, mut progress: impl FnMut(&str)) -> anyhow::Result<()> {
        for (name, id) in canister_ids(fleet) {
            let mut controllers = fleet.ic.get_controllers(id);
            if !controllers.contains(&operator) {
                controllers.push(operator);
            }
            fleet
                .ic
                .set_controllers(id, Some(fleet.operator), controllers)
                .map_err(|e| anyhow::anyhow!("adding {operator} to the controllers of {name}: {e}"))?;
        }
        progress("controller of every fleet canister");
        for id in [fleet.backend, fleet.audit_storage, fleet.invoice_storage].into_iter().chain(factories(fleet)) {
            fleet.admin_call(id, "addAdmin", (operator,))?;
        }
        for factory in factories(fleet) {
            fleet.admin_call(factory, "addReleasePrincipal", (operator,))?;
        }
        progress("admin of the backend, both storages and every factory; release principal of every factory");
        let transfer = token_api::TransferArg {
            from_subaccount: None,
            to: token_api::Account { owner: operator, subaccount: None },
            fee: None,
            created_at_time: None,
            memo: None,
            amount: Nat::from(IDENTITY_FUNDS),
        };
        let (sent,): (Result<Nat, token_api::TransferError>,) =
            fleet.update(fleet.ledger, user("alice"), "icrc1_transfer", (transfer,))?;
        let block = sent.map_err(|e| anyhow::anyhow!("funding {operator} from alice: {e:?}"))?;
        progress(&format!("{IDENTITY_FUNDS} e8s of the payment ledger sent to it from alice (block {block})"));
        let held = fleet.balance(operator).context("the identity's balance")?;
        anyhow::ensure!(held == IDENTITY_FUNDS as u128, "the identity holds {held}, expected {IDENTITY_FUNDS}");
        Ok(())
    }
}

#[cfg(feature = "rehearse")]
pub use grants::{canister_ids, grant_operator};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_pem_is_what_ic_agent_reads_and_names_the_same_principal() {
        let identity = ServeIdentity::generate();
        assert!(identity.pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{}", identity.pem);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serve-identity.pem");
        identity.write(&path).unwrap();
        let loaded = fleet_client::agent::identity_from_pem_file(&path).unwrap();
        assert_eq!(loaded.sender().unwrap(), identity.principal);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let other = ServeIdentity::generate();
        assert_ne!(other.principal, identity.principal, "every serve makes a new key");
    }

    #[test]
    fn the_ids_file_round_trips_and_names_what_it_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fleet-ids.json");
        let ledger = Principal::from_slice(&[1, 2, 3]);
        let served = ServedFleet {
            url: "http://127.0.0.1:4943/".into(),
            principal: Principal::anonymous().to_text(),
            identity_pem: "serve-identity.pem".into(),
            canisters: [("ledger".to_string(), ledger.to_text())].into(),
        };
        served.write(&path).unwrap();
        let read = ServedFleet::read(&path).unwrap();
        assert_eq!(read, served);
        assert_eq!(read.canister("ledger").unwrap(), ledger);
        let missing = read.canister("backend").unwrap_err().to_string();
        assert!(missing.contains("`backend`"), "{missing}");
        assert!(!dir.path().join(".fleet-ids.json.partial").exists(), "no temporary file left behind");
        std::fs::write(&path, "{").unwrap();
        assert!(ServedFleet::read(&path).unwrap_err().to_string().contains("not a `release serve` ids file"));
    }
}
