//! The admin, whitelist and status endpoints a storage canister exposes, generated once for every storage.
//!
//! `storage_service_endpoints!(STATE, INGRESS)` expects `STATE` to be a `thread_local!` `RefCell` whose value is a
//! [`StorageState`](crate::StorageState) (roles and setup status) with a `health(&RuntimeFacts)` method, and
//! `INGRESS` to be the storage's `&[fleet_api::ingress::IngressRule]` table: every
//! update method of its `.did`, the ones generated here included. It also generates the canister's
//! `inspect_message` hook, which accepts an ingress message only when that table allows it. The calling crate
//! depends on `ic-cdk`, `candid` and `fleet_api` and calls `ic_cdk::export_candid!()` after its modules, as for
//! hand-written endpoints.

#[macro_export]
macro_rules! storage_service_endpoints {
    ($state:ident, $ingress:expr) => {
        // Ingress filter: anonymous callers and oversized arguments never reach (or cost) an update.
        ::fleet_api::ingress_filter!($ingress);

        // The roles and the setup status are the storage skeleton's (`StorageState`'s provided methods).
        #[allow(unused_imports)]
        use $crate::storage::StorageState as _;

        /// Admins only: adds a writer canister (the backend) to the whitelist.
        #[::ic_cdk::update(name = "setupWhitelist")]
        fn setup_whitelist(writer: ::candid::Principal) -> ::fleet_api::FleetResult<()> {
            let caller = $crate::ic_env::caller();
            $state.with_borrow_mut(|state| state.access_mut().add_writer(&caller, writer, $crate::ic_env::now()))
        }

        #[::ic_cdk::update(name = "removeFromWhitelist")]
        fn remove_from_whitelist(writer: ::candid::Principal) -> ::fleet_api::FleetResult<()> {
            let caller = $crate::ic_env::caller();
            $state.with_borrow_mut(|state| state.access_mut().remove_writer(&caller, writer))
        }

        #[::ic_cdk::query(name = "getWhitelist")]
        fn get_whitelist() -> Vec<::candid::Principal> {
            $state.with_borrow(|state| state.access().writers())
        }

        #[::ic_cdk::update(name = "addAdmin")]
        fn add_admin(admin: ::candid::Principal) -> ::fleet_api::FleetResult<()> {
            let caller = $crate::ic_env::caller();
            $state.with_borrow_mut(|state| state.access_mut().add_admin(&caller, admin, $crate::ic_env::now()))
        }

        #[::ic_cdk::update(name = "removeAdmin")]
        fn remove_admin(admin: ::candid::Principal) -> ::fleet_api::FleetResult<()> {
            let caller = $crate::ic_env::caller();
            $state.with_borrow_mut(|state| state.access_mut().remove_admin(&caller, admin))
        }

        #[::ic_cdk::query(name = "getAdmins")]
        fn get_admins() -> Vec<::candid::Principal> {
            $state.with_borrow(|state| state.access().admins())
        }

        #[::ic_cdk::query(name = "getHealth")]
        fn get_health() -> ::fleet_api::ServiceHealth {
            $state.with_borrow(|state| state.health(&$crate::ic_env::runtime_facts()))
        }

        #[::ic_cdk::query(name = "getSetupStatus")]
        fn get_setup_status() -> ::fleet_api::SetupStatus {
            $state.with_borrow(|state| state.setup_status($crate::ic_env::canister_id()))
        }
    };
}
