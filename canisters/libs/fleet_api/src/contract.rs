//! What a factory knows about a contract, and the init argument every contract kind receives.

use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};

/// The five contract kinds of the fleet. The kind is also embedded in each contract wasm as `fleet:kind` metadata,
/// which a factory checks before it publishes a version.
#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContractKind {
    Token,
    Multisig,
    Distribution,
    Dao,
    Launchpad,
}

impl ContractKind {
    pub const ALL: [ContractKind; 5] = [Self::Token, Self::Multisig, Self::Distribution, Self::Dao, Self::Launchpad];

    /// The name used in `fleet:kind` metadata and in file paths (`wasm-registry/<kind>/`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Multisig => "multisig",
            Self::Distribution => "distribution",
            Self::Dao => "dao",
            Self::Launchpad => "launchpad",
        }
    }

    /// The service name of the factory that deploys this kind; config keys are `<service>.fee` etc.
    pub fn factory_service(self) -> &'static str {
        match self {
            Self::Token => "token_factory",
            Self::Multisig => "multisig_factory",
            Self::Distribution => "distribution_factory",
            Self::Dao => "dao_factory",
            Self::Launchpad => "launchpad_factory",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Init argument of every contract kind: `A` is the kind's own arguments (e.g. the token's name, symbol, balances).
/// `factory` is `None` for a contract installed by hand (for instance the local payment ledger): it then makes no
/// callbacks.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ContractInit<A> {
    pub factory: Option<Principal>,
    pub owner: Principal,
    /// The version being installed, as the factory's registry names it. The contract checks it against the version
    /// compiled into it and refuses to install on a mismatch.
    pub version: String,
    pub args: A,
}

#[derive(CandidType, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractStatus {
    /// Created and installed; waiting for the contract's `notifyDeploymentComplete`.
    Deploying,
    Active,
    /// The owner removed the factory from the controllers: the factory never touches it again.
    Detached,
}

/// How a contract follows new versions published in its factory's registry. Only the owner sets it.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Default)]
pub enum UpgradePolicy {
    /// Upgraded only when the owner asks.
    #[default]
    Manual,
    /// Included in every rollout.
    Auto,
    /// Included in rollouts whose target has the same major version as the installed one.
    AutoWithinMajor,
    /// Stays at this version; rollouts skip it.
    Pinned(String),
}

#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ContractInfo {
    pub id: Principal,
    pub kind: ContractKind,
    pub owner: Principal,
    pub version: String,
    /// sha256 of the installed wasm module, as the management canister reports it.
    pub module_hash: Vec<u8>,
    pub created_at: u64,
    pub status: ContractStatus,
    pub is_public: bool,
    pub upgrade_policy: UpgradePolicy,
    /// A human label given by the owner at creation (token symbol, DAO name...).
    pub name: String,
}

/// Post-upgrade argument of every contract kind, candid `(opt ContractUpgrade)`. An upgrade without an argument (e.g.
/// `dfx deploy` by the owner) is accepted and keeps the compiled-in version.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ContractUpgrade {
    /// The version being installed; the contract refuses an upgrade whose version differs from its compiled-in one.
    pub version: String,
    /// Kind-specific migration argument, candid-encoded, taken from the registry entry of the target version.
    pub migration_arg: Option<Vec<u8>>,
}

/// Third argument of every factory's `createContract(owner, args, options)`.
#[derive(CandidType, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct DeployOptions {
    /// Cycles the new contract starts with (on top of the creation fee). `None`: the factory's own default.
    pub initial_cycles: Option<candid::Nat>,
    /// Idempotency key (the backend passes its invoice id): a second `createContract` with the same caller and key
    /// returns the contract of the first instead of creating another.
    pub request_id: Option<u64>,
}

/// Candid method names of the factory callbacks a contract makes, shared by the contract runtime and the factories.
/// Each takes the contract's own id first (`contractId == caller` is checked) and returns `variant { Ok; Err : FleetError }`.
pub mod callbacks {
    /// `(contract_id : principal)`
    pub const DEPLOYMENT_COMPLETE: &str = "notifyDeploymentComplete";
    /// `(contract_id : principal, user : principal)`
    pub const PARTICIPANT_ADDED: &str = "notifyParticipantAdded";
    /// Up to [`MAX_PARTICIPANTS_PER_CALL`] participants in one call.
    pub const PARTICIPANTS_ADDED: &str = "notifyParticipantsAdded";
    /// The most participants one `notifyParticipantsAdded` may carry (the factory refuses more, all or nothing).
    pub const MAX_PARTICIPANTS_PER_CALL: usize = 500;
    /// `(contract_id : principal, status : text)`
    pub const STATUS_CHANGED: &str = "notifyStatusChanged";
    /// `(contract_id : principal, is_public : bool)`
    pub const VISIBILITY_CHANGED: &str = "notifyVisibilityChanged";
}
