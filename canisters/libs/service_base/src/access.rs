//! Who may do what in a service canister.
//!
//! - **Admins** are the canister's controllers plus the principals an admin adds. Admins manage admins and the
//!   writer whitelist, and may read everything.
//! - **Writers** are the whitelisted canisters (the backend) that may call the write endpoints. Being an admin does
//!   not make a principal a writer: writes come only from the canisters set up for it, so a mistyped admin command
//!   cannot forge records.
//!
//! The seed's `setupWhitelist` was open to anyone; here every change is admin-only.

use candid::Principal;
use fleet_api::{FleetError, FleetResult};
use ic_stable_structures::{Memory, StableBTreeMap};

/// More admins or writers than this is a misconfiguration, and the lists are returned whole by queries.
pub const MAX_ADMINS: u64 = 32;
pub const MAX_WRITERS: u64 = 16;

/// The caller of an endpoint as the logic needs it. Only the IC can tell whether a principal is a controller, so the
/// endpoint asks it (see `ic_env::caller`) and the logic stays testable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub is_controller: bool,
}

impl Caller {
    pub fn user(principal: Principal) -> Self {
        Self { principal, is_controller: false }
    }

    pub fn controller(principal: Principal) -> Self {
        Self { principal, is_controller: true }
    }
}

pub struct AccessControl<M: Memory> {
    /// Admin added by an admin (controllers are not listed: they are admins by being controllers) -> added at (ns).
    admins: StableBTreeMap<Principal, u64, M>,
    /// Whitelisted writer -> added at (ns).
    writers: StableBTreeMap<Principal, u64, M>,
}

impl<M: Memory> AccessControl<M> {
    pub fn init(admins_memory: M, writers_memory: M) -> Self {
        Self { admins: StableBTreeMap::init(admins_memory), writers: StableBTreeMap::init(writers_memory) }
    }

    pub fn is_admin(&self, caller: &Caller) -> bool {
        caller.is_controller || self.admins.contains_key(&caller.principal)
    }

    pub fn is_writer(&self, principal: &Principal) -> bool {
        self.writers.contains_key(principal)
    }

    pub fn require_admin(&self, caller: &Caller) -> FleetResult<()> {
        if self.is_admin(caller) {
            Ok(())
        } else {
            Err(FleetError::unauthorized(format!("{} is not an admin or controller", caller.principal)))
        }
    }

    pub fn require_writer(&self, caller: &Caller) -> FleetResult<()> {
        if self.is_writer(&caller.principal) {
            Ok(())
        } else {
            Err(FleetError::unauthorized(format!("{} is not a whitelisted writer", caller.principal)))
        }
    }

    /// Readers of the whole data set: admins and writers (the backend reads back what it wrote).
    pub fn require_reader(&self, caller: &Caller) -> FleetResult<()> {
        if self.is_admin(caller) || self.is_writer(&caller.principal) {
            Ok(())
        } else {
            Err(FleetError::unauthorized(format!("{} is not an admin or a whitelisted writer", caller.principal)))
        }
    }

    /// Adds an admin; adding one twice is not an error (the call is safe to retry).
    pub fn add_admin(&mut self, caller: &Caller, admin: Principal, now: u64) -> FleetResult<()> {
        self.require_admin(caller)?;
        check_assignable("admin", &admin)?;
        if self.admins.contains_key(&admin) {
            return Ok(());
        }
        if self.admins.len() >= MAX_ADMINS {
            return Err(FleetError::invalid(format!("at most {MAX_ADMINS} admins; remove one first")));
        }
        self.admins.insert(admin, now);
        Ok(())
    }

    pub fn remove_admin(&mut self, caller: &Caller, admin: Principal) -> FleetResult<()> {
        self.require_admin(caller)?;
        match self.admins.remove(&admin) {
            Some(_) => Ok(()),
            None => Err(FleetError::not_found(format!(
                "{admin} is not an added admin (controllers cannot be removed here)"
            ))),
        }
    }

    pub fn admins(&self) -> Vec<Principal> {
        self.admins.keys().collect()
    }

    /// Whitelists a writer; whitelisting one twice is not an error.
    pub fn add_writer(&mut self, caller: &Caller, writer: Principal, now: u64) -> FleetResult<()> {
        self.require_admin(caller)?;
        check_assignable("writer", &writer)?;
        if self.writers.contains_key(&writer) {
            return Ok(());
        }
        if self.writers.len() >= MAX_WRITERS {
            return Err(FleetError::invalid(format!("at most {MAX_WRITERS} whitelisted writers; remove one first")));
        }
        self.writers.insert(writer, now);
        Ok(())
    }

    pub fn remove_writer(&mut self, caller: &Caller, writer: Principal) -> FleetResult<()> {
        self.require_admin(caller)?;
        match self.writers.remove(&writer) {
            Some(_) => Ok(()),
            None => Err(FleetError::not_found(format!("{writer} is not whitelisted"))),
        }
    }

    pub fn writers(&self) -> Vec<Principal> {
        self.writers.keys().collect()
    }

    /// Setup status of a service whose only setup is its writer whitelist (the storages).
    pub fn writer_setup_status(&self, service: &str, canister_id: Principal) -> fleet_api::SetupStatus {
        let whitelisted = self.writers();
        let mut missing = vec![];
        if whitelisted.is_empty() {
            missing.push("no whitelisted writer: an admin must call setupWhitelist(backend)".to_string());
        }
        fleet_api::SetupStatus { service: service.into(), canister_id, whitelisted, ready: missing.is_empty(), missing }
    }

    /// Applies the admins and writers of an install argument. The installer is a controller, so no caller check.
    pub fn seed(&mut self, admins: &[Principal], writers: &[Principal], now: u64) -> FleetResult<()> {
        let installer = Caller::controller(Principal::management_canister());
        for admin in admins {
            self.add_admin(&installer, *admin, now)?;
        }
        for writer in writers {
            self.add_writer(&installer, *writer, now)?;
        }
        Ok(())
    }
}

/// The anonymous principal and the management canister can never act as an admin or a writer: granting them a role
/// is always a mistake (anyone can call as anonymous).
fn check_assignable(role: &str, principal: &Principal) -> FleetResult<()> {
    if *principal == Principal::anonymous() {
        return Err(FleetError::invalid(format!("the anonymous principal cannot be a {role}")));
    }
    if *principal == Principal::management_canister() {
        return Err(FleetError::invalid(format!("the management canister cannot be a {role}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n; 10])
    }

    fn access() -> AccessControl<VectorMemory> {
        AccessControl::init(VectorMemory::default(), VectorMemory::default())
    }

    #[test]
    fn controllers_are_admins_and_can_add_admins_who_then_manage_writers() {
        let mut acl = access();
        let controller = Caller::controller(p(1));
        assert!(acl.is_admin(&controller));
        assert!(!acl.is_admin(&Caller::user(p(2))));
        acl.add_admin(&controller, p(2), 5).unwrap();
        let admin = Caller::user(p(2));
        acl.add_writer(&admin, p(3), 6).unwrap();
        assert!(acl.is_writer(&p(3)));
        assert_eq!(acl.writers(), vec![p(3)]);
        assert_eq!(acl.admins(), vec![p(2)]);
    }

    #[test]
    fn non_admins_change_nothing() {
        let mut acl = access();
        let stranger = Caller::user(p(9));
        assert!(matches!(acl.add_admin(&stranger, p(9), 0), Err(FleetError::Unauthorized(_))));
        assert!(matches!(acl.add_writer(&stranger, p(9), 0), Err(FleetError::Unauthorized(_))));
        acl.add_writer(&Caller::controller(p(1)), p(3), 0).unwrap();
        // A writer is not an admin either.
        assert!(matches!(acl.remove_writer(&Caller::user(p(3)), p(3)), Err(FleetError::Unauthorized(_))));
        assert!(acl.admins().is_empty());
        assert_eq!(acl.writers(), vec![p(3)]);
    }

    #[test]
    fn anonymous_and_management_canister_cannot_get_a_role() {
        let mut acl = access();
        let controller = Caller::controller(p(1));
        for bad in [Principal::anonymous(), Principal::management_canister()] {
            assert!(matches!(acl.add_admin(&controller, bad, 0), Err(FleetError::InvalidInput(_))));
            assert!(matches!(acl.add_writer(&controller, bad, 0), Err(FleetError::InvalidInput(_))));
        }
    }

    #[test]
    fn adding_twice_is_idempotent_and_removing_unknown_is_not_found() {
        let mut acl = access();
        let controller = Caller::controller(p(1));
        acl.add_writer(&controller, p(3), 0).unwrap();
        acl.add_writer(&controller, p(3), 1).unwrap();
        assert_eq!(acl.writers().len(), 1);
        acl.remove_writer(&controller, p(3)).unwrap();
        assert!(matches!(acl.remove_writer(&controller, p(3)), Err(FleetError::NotFound(_))));
        assert!(matches!(acl.remove_admin(&controller, p(4)), Err(FleetError::NotFound(_))));
    }

    #[test]
    fn lists_are_capped() {
        let mut acl = access();
        let controller = Caller::controller(p(1));
        for n in 0..MAX_WRITERS as u8 {
            acl.add_writer(&controller, p(100 + n), 0).unwrap();
        }
        assert!(matches!(acl.add_writer(&controller, p(200), 0), Err(FleetError::InvalidInput(_))));
        assert_eq!(acl.writers().len() as u64, MAX_WRITERS);
    }

    #[test]
    fn readers_are_admins_and_writers() {
        let mut acl = access();
        acl.seed(&[p(2)], &[p(3)], 0).unwrap();
        assert!(acl.require_reader(&Caller::user(p(2))).is_ok());
        assert!(acl.require_reader(&Caller::user(p(3))).is_ok());
        assert!(matches!(acl.require_reader(&Caller::user(p(4))), Err(FleetError::Unauthorized(_))));
    }
}
