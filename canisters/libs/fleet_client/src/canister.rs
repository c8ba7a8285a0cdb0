//! The one place candid is encoded and decoded: a canister id over a transport, with typed calls that turn every
//! failure into a [`ClientError`] naming the method.

use crate::error::ClientError;
use crate::transport::Transport;
use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::{decode_args, encode_args, CandidType, Principal};
use fleet_api::FleetError;
use serde::de::DeserializeOwned;

/// One canister reached through one transport. The typed clients (`FactoryClient`, ...) are thin wrappers over it.
#[derive(Clone, Copy)]
pub struct CanisterClient<'t> {
    transport: &'t dyn Transport,
    canister: Principal,
}

impl<'t> CanisterClient<'t> {
    pub fn new(transport: &'t dyn Transport, canister: Principal) -> Self {
        Self { transport, canister }
    }

    pub fn id(&self) -> Principal {
        self.canister
    }

    pub fn transport(&self) -> &'t dyn Transport {
        self.transport
    }

    pub fn update<I: ArgumentEncoder, O: for<'a> ArgumentDecoder<'a>>(
        &self,
        method: &'static str,
        args: I,
    ) -> Result<O, ClientError> {
        self.round_trip(method, args, |bytes| self.transport.update(self.canister, method, bytes))
    }

    pub fn query<I: ArgumentEncoder, O: for<'a> ArgumentDecoder<'a>>(
        &self,
        method: &'static str,
        args: I,
    ) -> Result<O, ClientError> {
        self.round_trip(method, args, |bytes| self.transport.query(self.canister, method, bytes))
    }

    /// An update whose reply is `variant { Ok : T; Err : FleetError }`, flattened into one `Result`.
    pub fn update_result<I: ArgumentEncoder, T: CandidType + DeserializeOwned>(
        &self,
        method: &'static str,
        args: I,
    ) -> Result<T, ClientError> {
        let (reply,): (Result<T, FleetError>,) = self.update(method, args)?;
        reply.map_err(|error| ClientError::Fleet { canister: self.canister, method, error: Box::new(error) })
    }

    /// A query whose reply is `variant { Ok : T; Err : FleetError }`.
    pub fn query_result<I: ArgumentEncoder, T: CandidType + DeserializeOwned>(
        &self,
        method: &'static str,
        args: I,
    ) -> Result<T, ClientError> {
        let (reply,): (Result<T, FleetError>,) = self.query(method, args)?;
        reply.map_err(|error| ClientError::Fleet { canister: self.canister, method, error: Box::new(error) })
    }

    fn round_trip<I: ArgumentEncoder, O: for<'a> ArgumentDecoder<'a>>(
        &self,
        method: &'static str,
        args: I,
        send: impl FnOnce(Vec<u8>) -> Result<Vec<u8>, crate::error::TransportError>,
    ) -> Result<O, ClientError> {
        let canister = self.canister;
        let candid = |e: candid::Error| ClientError::Candid { canister, method, message: e.to_string() };
        let bytes = encode_args(args).map_err(candid)?;
        let reply = send(bytes).map_err(|source| ClientError::Transport { canister, method, source })?;
        decode_args(&reply).map_err(candid)
    }
}

/// Every item of a paged endpoint: `fetch` is asked for page after page, from offset 0, following `next_offset`
/// (a page that does not move forward ends the walk).
pub fn all_pages<T>(
    mut fetch: impl FnMut(fleet_api::PageRequest) -> Result<fleet_api::Page<T>, ClientError>,
) -> Result<Vec<T>, ClientError> {
    let mut items = Vec::new();
    let mut offset = Some(0);
    while let Some(at) = offset {
        let page = fetch(fleet_api::PageRequest::new(at, 0))?;
        items.extend(page.items);
        offset = page.next_offset.filter(|&next| next > at);
    }
    Ok(items)
}
