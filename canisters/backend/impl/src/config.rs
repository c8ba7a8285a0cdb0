//! The config service: per-factory settings `<service>.fee`, `<service>.enabled`, `<service>.initial_cycles`, where
//! `<service>` is one of the five factory services (`token_factory`, ...). Any other key is refused, and values are
//! checked on write: `fee` and `initial_cycles` are decimal naturals (digits only, at most 2^128 - 1, stored without
//! leading zeros), `enabled` is `true` or `false`. A fresh install starts from the seed's defaults ([`DEFAULTS`]).

use backend_api::ConfigEntry;
use candid::{CandidType, Deserialize, Nat, Principal};
use fleet_api::{ContractKind, FleetError, FleetResult};
use ic_stable_structures::{Memory, StableBTreeMap};
use service_base::Candid;

/// The defaults: (service, enabled, fee in e8s, initial cycles). Fees are the seed's ConfigService's. Its initial
/// cycles (0.2 B to 2 B) are not: a canister created with so few falls below its freezing threshold at once on a
/// real subnet (install alone reserves cycles for its instruction limit), so every paid deployment would fail and be
/// refunded. 1 T (2 T for the launchpad, which runs timers over many buyers) keeps a new contract running for months
/// and is above every factory's floor.
pub const DEFAULTS: [(&str, &str, &str, &str); 5] = [
    ("token_factory", "true", "100000000", "1000000000000"),
    ("multisig_factory", "true", "50000000", "1000000000000"),
    ("distribution_factory", "true", "100000000", "1000000000000"),
    ("dao_factory", "true", "500000000", "1000000000000"),
    ("launchpad_factory", "true", "1000000000", "2000000000000"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    Fee,
    Enabled,
    InitialCycles,
}

impl Setting {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "fee" => Some(Self::Fee),
            "enabled" => Some(Self::Enabled),
            "initial_cycles" => Some(Self::InitialCycles),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Fee => "fee",
            Self::Enabled => "enabled",
            Self::InitialCycles => "initial_cycles",
        }
    }
}

pub fn key(kind: ContractKind, setting: Setting) -> String {
    format!("{}.{}", kind.factory_service(), setting.as_str())
}

/// Splits `<service>.<setting>` and checks both parts.
pub fn parse_key(key: &str) -> FleetResult<(ContractKind, Setting)> {
    let services = || ContractKind::ALL.map(|k| k.factory_service()).join(", ");
    let (service, setting) = key
        .split_once('.')
        .ok_or_else(|| FleetError::invalid(format!("config key `{}` is not `<service>.<setting>`", truncated(key))))?;
    let kind = ContractKind::ALL.into_iter().find(|k| k.factory_service() == service).ok_or_else(|| {
        FleetError::invalid(format!("config key `{}`: unknown service; expected one of {}", truncated(key), services()))
    })?;
    let setting = Setting::parse(setting).ok_or_else(|| {
        FleetError::invalid(format!(
            "config key `{}`: unknown setting; expected fee, enabled or initial_cycles",
            truncated(key)
        ))
    })?;
    Ok((kind, setting))
}

/// Checks `value` for `setting` and returns the form that is stored.
pub fn normalize_value(setting: Setting, value: &str) -> FleetResult<String> {
    match setting {
        Setting::Enabled => match value {
            "true" | "false" => Ok(value.to_string()),
            _ => Err(FleetError::invalid(format!("{}: expected `true` or `false`", setting.as_str()))),
        },
        Setting::Fee | Setting::InitialCycles => {
            let digits_only = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
            match value.parse::<u128>() {
                Ok(number) if digits_only => Ok(number.to_string()),
                _ => Err(FleetError::invalid(format!(
                    "{}: `{}` is not a decimal natural number below 2^128 (digits only)",
                    setting.as_str(),
                    truncated(value)
                ))),
            }
        }
    }
}

fn truncated(text: &str) -> String {
    text.chars().take(64).collect()
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
struct StoredValue {
    value: String,
    updated_at: u64,
    updated_by: Principal,
}

pub struct Config<M: Memory> {
    entries: StableBTreeMap<String, Candid<StoredValue>, M>,
}

impl<M: Memory> Config<M> {
    pub fn init(memory: M) -> Self {
        Self { entries: StableBTreeMap::init(memory) }
    }

    /// Writes the defaults; called once, at install.
    pub fn seed_defaults(&mut self, now: u64, by: Principal) {
        for (service, enabled, fee, cycles) in DEFAULTS {
            for (setting, value) in [("enabled", enabled), ("fee", fee), ("initial_cycles", cycles)] {
                let stored = StoredValue { value: value.to_string(), updated_at: now, updated_by: by };
                self.entries.insert(format!("{service}.{setting}"), Candid(stored));
            }
        }
    }

    /// Validates and stores; returns the stored (normalized) value. Authorization is the caller's job.
    pub fn set(&mut self, key: &str, value: &str, now: u64, by: Principal) -> FleetResult<String> {
        let (_, setting) = parse_key(key)?;
        let value = normalize_value(setting, value)?;
        self.entries
            .insert(key.to_string(), Candid(StoredValue { value: value.clone(), updated_at: now, updated_by: by }));
        Ok(value)
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.entries.get(&key.to_string()).map(|stored| stored.0.value)
    }

    pub fn all(&self) -> Vec<ConfigEntry> {
        self.entries
            .iter()
            .map(|entry| {
                let (key, stored) = entry.into_pair();
                ConfigEntry {
                    key,
                    value: stored.0.value,
                    updated_at: stored.0.updated_at,
                    updated_by: stored.0.updated_by,
                }
            })
            .collect()
    }

    /// `getServiceFee(service)`: the `<service>.fee` value, `None` when the key is missing (or the service unknown).
    pub fn service_fee(&self, service: &str) -> Option<Nat> {
        self.get(&format!("{service}.fee")).and_then(|value| value.parse::<u128>().ok()).map(Nat::from)
    }

    pub fn fee(&self, kind: ContractKind) -> Option<Nat> {
        self.service_fee(kind.factory_service())
    }

    /// A service without an `enabled` value is disabled: nothing is sold that nobody switched on.
    pub fn enabled(&self, kind: ContractKind) -> bool {
        self.get(&key(kind, Setting::Enabled)).as_deref() == Some("true")
    }

    pub fn initial_cycles(&self, kind: ContractKind) -> Option<Nat> {
        self.get(&key(kind, Setting::InitialCycles)).and_then(|value| value.parse::<u128>().ok()).map(Nat::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;

    fn config() -> Config<VectorMemory> {
        let mut config = Config::init(VectorMemory::default());
        config.seed_defaults(1, Principal::anonymous());
        config
    }

    #[test]
    fn defaults_are_the_seeds() {
        let config = config();
        assert_eq!(config.all().len(), 15);
        assert_eq!(config.service_fee("token_factory"), Some(Nat::from(100_000_000u64)));
        assert_eq!(config.service_fee("multisig_factory"), Some(Nat::from(50_000_000u64)));
        assert_eq!(config.service_fee("distribution_factory"), Some(Nat::from(100_000_000u64)));
        assert_eq!(config.service_fee("dao_factory"), Some(Nat::from(500_000_000u64)));
        assert_eq!(config.service_fee("launchpad_factory"), Some(Nat::from(1_000_000_000u64)));
        assert_eq!(config.initial_cycles(ContractKind::Launchpad), Some(Nat::from(2_000_000_000_000u64)));
        assert_eq!(config.initial_cycles(ContractKind::Dao), Some(Nat::from(1_000_000_000_000u64)));
        assert_eq!(config.initial_cycles(ContractKind::Token), Some(Nat::from(1_000_000_000_000u64)));
        assert!(ContractKind::ALL.iter().all(|kind| config.enabled(*kind)));
        assert_eq!(config.service_fee("nope"), None);
    }

    #[test]
    fn writes_are_validated_and_normalized() {
        let mut config = config();
        let admin = Principal::from_slice(&[1]);
        assert_eq!(config.set("token_factory.fee", "000250", 5, admin).unwrap(), "250");
        assert_eq!(config.fee(ContractKind::Token), Some(Nat::from(250u32)));
        config.set("dao_factory.enabled", "false", 5, admin).unwrap();
        assert!(!config.enabled(ContractKind::Dao));
        let entry = config.all().into_iter().find(|e| e.key == "dao_factory.enabled").unwrap();
        assert_eq!((entry.updated_at, entry.updated_by), (5, admin));
        config.set("launchpad_factory.initial_cycles", &u128::MAX.to_string(), 5, admin).unwrap();
    }

    #[test]
    fn bad_keys_and_values_are_refused_and_change_nothing() {
        let mut config = config();
        let before = config.all();
        let admin = Principal::from_slice(&[1]);
        for (key, value) in [
            ("token_factory", "1"),
            ("token_factory.price", "1"),
            ("backend.fee", "1"),
            ("system.maintenance", "true"),
            ("", ""),
            ("token_factory.fee", ""),
            ("token_factory.fee", "-1"),
            ("token_factory.fee", "+1"),
            ("token_factory.fee", "1.5"),
            ("token_factory.fee", "1_000"),
            ("token_factory.fee", " 1"),
            ("token_factory.fee", "340282366920938463463374607431768211456"),
            ("token_factory.initial_cycles", "lots"),
            ("token_factory.enabled", "yes"),
            ("token_factory.enabled", "TRUE"),
            ("token_factory.enabled", "1"),
        ] {
            assert!(matches!(config.set(key, value, 9, admin), Err(FleetError::InvalidInput(_))), "{key}={value}");
        }
        assert_eq!(config.all(), before);
    }

    #[test]
    fn a_missing_enabled_key_means_disabled() {
        let config = Config::init(VectorMemory::default());
        assert!(!config.enabled(ContractKind::Token));
        assert_eq!(config.fee(ContractKind::Token), None);
    }
}
