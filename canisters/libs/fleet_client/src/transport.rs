//! The one transport trait every client talks through.

use crate::error::TransportError;
use candid::Principal;

/// Sends candid-encoded arguments to a canister method and returns the candid-encoded reply, as one caller.
///
/// Implementations are synchronous: the emulator is, and the `ic-agent` transport drives its own runtime, so a CLI
/// or a test never needs an executor of its own.
pub trait Transport {
    /// An update call (goes through consensus; may change state).
    fn update(&self, canister: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, TransportError>;
    /// A query call (answered by one replica; changes nothing).
    fn query(&self, canister: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, TransportError>;
    /// The principal the calls are made as.
    fn caller(&self) -> Principal;
}

impl<T: Transport + ?Sized> Transport for &T {
    fn update(&self, canister: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        (**self).update(canister, method, arg)
    }
    fn query(&self, canister: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        (**self).query(canister, method, arg)
    }
    fn caller(&self) -> Principal {
        (**self).caller()
    }
}
