//! Everything the launchpad needs from the outside world, as one trait: the real one makes inter-canister calls, the
//! tests' fake one is two in-memory ledgers with scripted failures.

use crate::books::{LedgerReply, SendFailure, SendOutcome};
use candid::{Nat, Principal};
use contract_runtime::FactoryNotifier;
use fleet_api::FleetError;
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::TransferArg;
use icrc_ledger_types::icrc2::transfer_from::TransferFromArgs;

/// The factory callbacks are the contract runtime's [`FactoryNotifier`].
#[allow(async_fn_in_trait)] // Futures run on the canister's single thread; no Send bound wanted.
pub trait Runtime: FactoryNotifier {
    fn now(&self) -> u64;
    /// The launchpad's own principal: its default accounts hold both tokens.
    fn self_id(&self) -> Principal;
    /// The contract's owner (the contract runtime keeps it).
    fn owner(&self) -> Principal;
    async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError>;
    async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> Result<Nat, FleetError>;
    async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> SendOutcome;
    async fn icrc2_transfer_from(&self, ledger: Principal, arg: TransferFromArgs) -> SendOutcome;
}

/// The real runtime: ic-cdk calls. Reads are bounded-wait; ledger moves are unbounded-wait, so a reject means the
/// ledger did not execute them unless it is `SysUnknown`, and an undecodable reply is an unknown outcome.
pub struct IcRuntime;

mod ic {
    use super::*;
    use candid::CandidType;
    use ic_cdk::call::{Call, CallFailed, RejectCode};
    use icrc_ledger_types::icrc1::transfer::TransferError;
    use icrc_ledger_types::icrc2::transfer_from::TransferFromError;

    async fn send<E>(ledger: Principal, method: &str, arg: impl CandidType) -> SendOutcome
    where
        E: for<'de> candid::Deserialize<'de> + CandidType,
        LedgerReply: From<Result<Nat, E>>,
    {
        match Call::unbounded_wait(ledger, method).with_arg(arg).await {
            Ok(reply) => reply.candid::<Result<Nat, E>>().map(LedgerReply::from).map_err(|e| SendFailure {
                reason: format!("undecodable reply from {method}: {e}"),
                may_have_executed: true,
            }),
            Err(CallFailed::CallRejected(rejected)) => {
                let code = rejected.reject_code();
                Err(SendFailure {
                    reason: format!("{method} rejected ({code:?}): {}", rejected.reject_message()),
                    may_have_executed: matches!(code, Ok(RejectCode::SysUnknown)),
                })
            }
            Err(other) => Err(SendFailure { reason: other.to_string(), may_have_executed: false }),
        }
    }

    impl Runtime for IcRuntime {
        fn now(&self) -> u64 {
            ic_cdk::api::time()
        }

        fn self_id(&self) -> Principal {
            ic_cdk::api::canister_self()
        }

        fn owner(&self) -> Principal {
            contract_runtime::runtime::owner()
        }

        async fn icrc1_fee(&self, ledger: Principal) -> Result<Nat, FleetError> {
            let failed = |e: &dyn std::fmt::Display| FleetError::call_failed(ledger, "icrc1_fee", e);
            let reply = Call::bounded_wait(ledger, "icrc1_fee").await.map_err(|e| failed(&e))?;
            reply.candid().map_err(|e| failed(&e))
        }

        async fn icrc1_balance_of(&self, ledger: Principal, account: Account) -> Result<Nat, FleetError> {
            let failed = |e: &dyn std::fmt::Display| FleetError::call_failed(ledger, "icrc1_balance_of", e);
            let call = Call::bounded_wait(ledger, "icrc1_balance_of").with_arg(account);
            let reply = call.await.map_err(|e| failed(&e))?;
            reply.candid().map_err(|e| failed(&e))
        }

        async fn icrc1_transfer(&self, ledger: Principal, arg: TransferArg) -> SendOutcome {
            send::<TransferError>(ledger, "icrc1_transfer", arg).await
        }

        async fn icrc2_transfer_from(&self, ledger: Principal, arg: TransferFromArgs) -> SendOutcome {
            send::<TransferFromError>(ledger, "icrc2_transfer_from", arg).await
        }
    }

    /// The factory callbacks of `contract_runtime` (bounded-wait).
    impl contract_runtime::FactoryNotifier for IcRuntime {}
}
