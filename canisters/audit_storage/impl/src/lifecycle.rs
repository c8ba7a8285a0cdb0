//! Install and upgrade. There is no `pre_upgrade`: all state already lives in stable memory, so an upgrade costs the
//! same whatever the log's size, and nothing can trap on the way out.

use crate::STATE;
use audit_storage_api::AuditStorageInitArgs;
use service_base::ic_env;

#[ic_cdk::init]
fn init(args: Option<AuditStorageInitArgs>) {
    let args = args.unwrap_or_default();
    STATE.with_borrow_mut(|state| {
        state.mark_fresh_install();
        // A bad install argument fails the install rather than leaving a half-configured canister.
        if let Err(e) = state.access_mut().seed(&args.admins, &args.writers, ic_env::now()) {
            ic_cdk::trap(format!("invalid install argument: {e}"));
        }
    });
}

#[ic_cdk::post_upgrade]
fn post_upgrade() {
    STATE.with_borrow_mut(|state| match state.migrate() {
        Ok(report) if !report.applied.is_empty() => {
            ic_cdk::println!("audit_storage: migrated schema {} -> {}", report.from, report.to);
        }
        Ok(_) => {}
        // Trapping rolls the upgrade back: the old code keeps running on its untouched memory.
        Err(e) => ic_cdk::trap(format!("schema migration failed: {e}")),
    });
}
