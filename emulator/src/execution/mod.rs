//! Executing entry points atomically, and the install/upgrade/reinstall/uninstall semantics.
//!
//! The functions the management canister uses are methods on `Subnet`:
//! `install_code`, `uninstall_code`, `take_memory_snapshot`, `load_memory_snapshot`, `create_canister_entry`,
//! `delete_canister_entry`, `reject_stop_waiters`.

mod install;
mod run;

use candid::Principal;
use rand::SeedableRng;

use crate::errors::RejectResponse;
use crate::state::{Canister, CanisterId, Subnet, SubnetConfig};

pub use run::{cleanup_failed_reject, error_reject, Persist, RunArgs, RunResult};

impl Subnet {
    pub fn new(time_nanos: u64, seed: u64, config: SubnetConfig) -> Self {
        let keys = std::sync::Arc::new(crate::certification::SubnetKeys::from_seed(seed));
        Subnet {
            // The root subnet's id: the self-authenticating principal of its public key.
            subnet_id: keys.subnet_id(),
            time_nanos,
            // The instance starts as if a round had just run at the initial time.
            last_round_nanos: Some(time_nanos),
            canisters: Default::default(),
            used_ids: Default::default(),
            next_canister_index: 0,
            rng: rand_chacha::ChaCha20Rng::seed_from_u64(seed),
            config,
            scheduler: Default::default(),
            keys,
        }
    }

    /// Adds a new empty canister (Running, given controllers and cycles). `specified_id` must be unused.
    pub fn create_canister_entry(
        &mut self,
        specified_id: Option<CanisterId>,
        controllers: Vec<Principal>,
        cycles: u128,
    ) -> Result<CanisterId, RejectResponse> {
        let id = match specified_id {
            Some(id) if self.used_ids.contains(&id) => {
                return Err(RejectResponse::new(
                    crate::errors::ErrorCode::CanisterIdAlreadyExists,
                    format!("Canister {id} is already installed."),
                ))
            }
            Some(id) => id,
            None => self.allocate_canister_id(),
        };
        self.used_ids.insert(id);
        self.canisters.insert(id, Canister::new(id, controllers, cycles));
        Ok(id)
    }
}
