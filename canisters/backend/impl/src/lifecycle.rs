//! Install and upgrade. No `pre_upgrade`: all state is in stable memory. Both arm the reconciliation timer (timers do
//! not survive an upgrade).

use crate::deployment::reconcile::reconcile;
use crate::ic_runtime::IcRuntime;
use crate::state;
use backend_api::BackendInitArgs;
use service_base::ic_env;
use std::time::Duration;

/// How often the reconciliation job runs: retries refunds, re-sends calls of unknown outcome, flushes records.
const RECONCILE_EVERY: Duration = Duration::from_secs(60);

fn arm_reconciliation_timer() {
    ic_cdk_timers::set_timer_interval_serial(RECONCILE_EVERY, async || {
        reconcile(&state(), &IcRuntime).await;
    });
}

#[ic_cdk::init]
fn init(args: BackendInitArgs) {
    let installer = ic_env::caller().principal;
    let installed = state().borrow_mut().install(
        args.payment_ledger,
        &args.admins,
        installer,
        ic_env::canister_id(),
        ic_env::now(),
    );
    if let Err(e) = installed {
        ic_cdk::trap(format!("invalid install argument: {e}"));
    }
    arm_reconciliation_timer();
}

#[ic_cdk::post_upgrade]
fn post_upgrade() {
    match state().borrow_mut().migrate(ic_env::now(), ic_env::canister_id()) {
        Ok(report) if !report.applied.is_empty() => {
            ic_cdk::println!("backend: migrated schema {} -> {}", report.from, report.to);
        }
        Ok(_) => {}
        // Trapping rolls the upgrade back: the old code keeps running on its untouched memory.
        Err(e) => ic_cdk::trap(format!("schema migration failed: {e}")),
    }
    arm_reconciliation_timer();
}
