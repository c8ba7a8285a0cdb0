//! Who may do what: admins (controllers are admins too), the whitelisted backends that may deploy, and the release
//! principals that may upload and publish versions. Unlike the seed's open `setupWhitelist`, every change here is
//! admin-only.

use candid::Principal;
use fleet_api::FleetError;
use ic_stable_structures::{Memory, StableBTreeMap};

use crate::memory::Mem;

#[derive(Clone, Copy, Debug, PartialEq, Eq, candid::CandidType, serde::Deserialize, serde::Serialize)]
pub enum Role {
    Admin,
    Whitelisted,
    Release,
}

pub struct Roles<M: Memory> {
    admins: StableBTreeMap<Principal, (), Mem<M>>,
    whitelist: StableBTreeMap<Principal, (), Mem<M>>,
    release: StableBTreeMap<Principal, (), Mem<M>>,
}

impl<M: Memory> Roles<M> {
    pub fn init(admins: Mem<M>, whitelist: Mem<M>, release: Mem<M>) -> Self {
        Self {
            admins: StableBTreeMap::init(admins),
            whitelist: StableBTreeMap::init(whitelist),
            release: StableBTreeMap::init(release),
        }
    }

    fn set(&self, role: Role) -> &StableBTreeMap<Principal, (), Mem<M>> {
        match role {
            Role::Admin => &self.admins,
            Role::Whitelisted => &self.whitelist,
            Role::Release => &self.release,
        }
    }

    fn set_mut(&mut self, role: Role) -> &mut StableBTreeMap<Principal, (), Mem<M>> {
        match role {
            Role::Admin => &mut self.admins,
            Role::Whitelisted => &mut self.whitelist,
            Role::Release => &mut self.release,
        }
    }

    pub fn has(&self, role: Role, principal: &Principal) -> bool {
        self.set(role).contains_key(principal)
    }

    pub fn list(&self, role: Role) -> Vec<Principal> {
        self.set(role).keys().collect()
    }

    /// Adds `principal` to `role`; returns whether it was new. The anonymous principal is refused: anyone can call as
    /// anonymous, so granting it a role would grant the role to everyone.
    pub fn add(&mut self, role: Role, principal: Principal) -> Result<bool, FleetError> {
        if principal == Principal::anonymous() {
            return Err(FleetError::invalid("the anonymous principal cannot hold a role"));
        }
        Ok(self.set_mut(role).insert(principal, ()).is_none())
    }

    pub fn remove(&mut self, role: Role, principal: &Principal) -> bool {
        self.set_mut(role).remove(principal).is_some()
    }

    /// `setupWhitelist`: the whitelist becomes exactly `[backend]`, as in the seed, but only an admin may call it.
    pub fn replace_whitelist(&mut self, backend: Principal) -> Result<(), FleetError> {
        if backend == Principal::anonymous() {
            return Err(FleetError::invalid("the anonymous principal cannot be whitelisted"));
        }
        let old: Vec<Principal> = self.whitelist.keys().collect();
        for p in old {
            self.whitelist.remove(&p);
        }
        self.whitelist.insert(backend, ());
        Ok(())
    }
}

/// Who is calling, as the endpoint layer establishes it: the principal and whether it controls the factory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub is_controller: bool,
}

impl Caller {
    pub fn new(principal: Principal, is_controller: bool) -> Self {
        Self { principal, is_controller }
    }
}

impl<M: Memory> Roles<M> {
    pub fn is_admin(&self, caller: &Caller) -> bool {
        caller.is_controller || self.has(Role::Admin, &caller.principal)
    }

    pub fn require_admin(&self, caller: &Caller) -> Result<(), FleetError> {
        if self.is_admin(caller) {
            Ok(())
        } else {
            Err(FleetError::unauthorized("admin (a controller or a principal added with addAdmin)"))
        }
    }

    pub fn require_release(&self, caller: &Caller) -> Result<(), FleetError> {
        if self.is_admin(caller) || self.has(Role::Release, &caller.principal) {
            Ok(())
        } else {
            Err(FleetError::unauthorized("release principal or admin"))
        }
    }

    pub fn require_whitelisted(&self, caller: &Caller) -> Result<(), FleetError> {
        if self.has(Role::Whitelisted, &caller.principal) {
            Ok(())
        } else {
            Err(FleetError::unauthorized("whitelisted backend: deployments go through the backend"))
        }
    }
}
