//! Install and upgrade. No `pre_upgrade`: all state already lives in stable memory.

use crate::STATE;
use invoice_storage_api::InvoiceStorageInitArgs;
use service_base::ic_env;

#[ic_cdk::init]
fn init(args: Option<InvoiceStorageInitArgs>) {
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
            ic_cdk::println!("invoice_storage: migrated schema {} -> {}", report.from, report.to);
        }
        Ok(_) => {}
        // Trapping rolls the upgrade back: the old code keeps running on its untouched memory.
        Err(e) => ic_cdk::trap(format!("schema migration failed: {e}")),
    });
}
