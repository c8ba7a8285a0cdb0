//! The `PocketIc` test API (same names and shapes as `pocket_ic::PocketIc` 16.1) for everything except the
//! management-canister wrappers, which live in `crate::management::api`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use candid::Principal;
use ic_management_canister_types::CanisterLogRecord;

use crate::errors::{ErrorCode, RejectResponse};
use crate::state::{CanisterId, MessageId, Subnet, SubnetConfig};

/// Time as a duration since the Unix epoch, with nanosecond precision.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(Duration);

impl Time {
    /// Nanoseconds since the Unix epoch.
    pub fn as_nanos_since_unix_epoch(&self) -> u64 {
        u64::try_from(self.0.as_nanos()).unwrap_or(u64::MAX)
    }

    pub const fn from_nanos_since_unix_epoch(nanos: u64) -> Self {
        Time(Duration::from_nanos(nanos))
    }
}

impl std::fmt::Debug for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_nanos_since_unix_epoch())
    }
}

impl std::ops::Add<Duration> for Time {
    type Output = Time;
    fn add(self, dur: Duration) -> Time {
        Time(self.0 + dur)
    }
}

impl From<SystemTime> for Time {
    fn from(time: SystemTime) -> Self {
        let nanos = time.duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        Self::from_nanos_since_unix_epoch(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

impl TryFrom<Time> for SystemTime {
    type Error = String;
    fn try_from(time: Time) -> Result<SystemTime, String> {
        Ok(UNIX_EPOCH + Duration::from_nanos(time.as_nanos_since_unix_epoch()))
    }
}

/// The effective principal of an ingress message (only `CanisterId` matters to the emulator).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RawEffectivePrincipal {
    None,
    SubnetId(Vec<u8>),
    CanisterId(Vec<u8>),
}

/// Id of a submitted ingress message, as returned by `submit_call`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RawMessageId {
    pub effective_principal: RawEffectivePrincipal,
    pub message_id: Vec<u8>,
}

/// Compression of a blob passed to `set_stable_memory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlobCompression {
    Gzip,
    NoCompression,
}

/// Result of `ingress_status_as`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngressStatusResult {
    NotAvailable,
    Forbidden(String),
    Success(Result<Vec<u8>, RejectResponse>),
}

/// Builder with the pocket-ic method names. Subnet kinds are accepted and ignored: the emulator runs one
/// application subnet.
#[derive(Default)]
pub struct PocketIcBuilder {
    initial_time_nanos: Option<u64>,
    seed: u64,
    config: SubnetConfig,
}

impl PocketIcBuilder {
    pub fn new() -> Self {
        PocketIcBuilder::default()
    }
    pub fn with_application_subnet(self) -> Self {
        self
    }
    pub fn with_nns_subnet(self) -> Self {
        self
    }
    pub fn with_system_subnet(self) -> Self {
        self
    }
    pub fn with_ii_subnet(self) -> Self {
        self
    }
    pub fn with_fiduciary_subnet(self) -> Self {
        self
    }
    pub fn with_sns_subnet(self) -> Self {
        self
    }
    pub fn with_max_request_time_ms(self, _max_request_time_ms: Option<u64>) -> Self {
        self
    }
    pub fn with_initial_time(mut self, time: Time) -> Self {
        self.initial_time_nanos = Some(time.as_nanos_since_unix_epoch());
        self
    }
    pub fn with_initial_timestamp(mut self, initial_timestamp_nanos: u64) -> Self {
        self.initial_time_nanos = Some(initial_timestamp_nanos);
        self
    }
    /// Emulator only: seed of the deterministic random generator behind `raw_rand` and of the subnet's root and
    /// node keys (`crate::certification::SubnetKeys`; the same seed gives the same `root_key()`) (default 0).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Emulator only: subnet limits (instruction limits, round size).
    pub fn with_subnet_config(mut self, config: SubnetConfig) -> Self {
        self.config = config;
        self
    }
    pub fn build(self) -> PocketIc {
        // pocket-ic starts at the wall-clock time; a fixed default keeps runs reproducible unless a test asks.
        let now = self.initial_time_nanos.unwrap_or_else(|| Time::from(SystemTime::now()).as_nanos_since_unix_epoch());
        PocketIc {
            subnet: Arc::new(Mutex::new(Subnet::new(now, self.seed, self.config))),
            #[cfg(feature = "live")]
            live: None,
        }
    }
}

/// The emulated IC: one application subnet, executed in-process.
pub struct PocketIc {
    /// Shared with the live endpoint's threads while live (`make_live`).
    subnet: Arc<Mutex<Subnet>>,
    /// The HTTP endpoint and round driver, while live.
    #[cfg(feature = "live")]
    live: Option<crate::live::LiveServer>,
}

impl Default for PocketIc {
    fn default() -> Self {
        Self::new()
    }
}

impl PocketIc {
    pub fn new() -> Self {
        PocketIcBuilder::new().with_application_subnet().build()
    }

    /// Locks the subnet (management wrappers and internal helpers). A panic in an earlier test thread that held
    /// the lock does not make the state unusable.
    pub(crate) fn subnet(&self) -> MutexGuard<'_, Subnet> {
        self.subnet.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // ----- calls -----

    pub fn submit_call(
        &self,
        canister_id: CanisterId,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<RawMessageId, RejectResponse> {
        let id = self.subnet().submit_ingress(canister_id, sender, method, payload)?;
        Ok(raw_message_id(canister_id, id))
    }

    pub fn submit_call_with_effective_principal(
        &self,
        canister_id: CanisterId,
        _effective_principal: RawEffectivePrincipal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<RawMessageId, RejectResponse> {
        self.submit_call(canister_id, sender, method, payload)
    }

    /// Runs rounds until the message has a result.
    pub fn await_call(&self, message_id: RawMessageId) -> Result<Vec<u8>, RejectResponse> {
        let id = parse_message_id(&message_id)?;
        self.subnet().await_ingress(id)
    }

    /// The result if the message is already done, without executing rounds.
    pub fn await_call_no_ticks(&self, message_id: RawMessageId) -> Result<Vec<u8>, RejectResponse> {
        let id = parse_message_id(&message_id)?;
        self.subnet().ingress_result(id).unwrap_or_else(|| {
            Err(RejectResponse::new(ErrorCode::IngressHistoryFull, "the message has not completed yet"))
        })
    }

    pub fn ingress_status(&self, message_id: RawMessageId) -> Option<Result<Vec<u8>, RejectResponse>> {
        let id = parse_message_id(&message_id).ok()?;
        self.subnet().ingress_result(id)
    }

    pub fn ingress_status_as(&self, message_id: RawMessageId, caller: Principal) -> IngressStatusResult {
        let Ok(id) = parse_message_id(&message_id) else { return IngressStatusResult::NotAvailable };
        let subnet = self.subnet();
        match (subnet.ingress_result(id), subnet.ingress_sender(id)) {
            (Some(_), Some(sender)) if sender != caller => {
                IngressStatusResult::Forbidden(format!("The user {caller} is not the sender {sender} of the message"))
            }
            (Some(result), _) => IngressStatusResult::Success(result),
            (None, _) => IngressStatusResult::NotAvailable,
        }
    }

    /// Submits an update call and runs rounds until it completes.
    pub fn update_call(
        &self,
        canister_id: CanisterId,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        let mut subnet = self.subnet();
        let id = subnet.submit_ingress(canister_id, sender, method, payload)?;
        subnet.await_ingress(id)
    }

    pub fn update_call_with_effective_principal(
        &self,
        canister_id: CanisterId,
        _effective_principal: RawEffectivePrincipal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        self.update_call(canister_id, sender, method, payload)
    }

    /// Runs a query (non-replicated): its state changes are discarded.
    pub fn query_call(
        &self,
        canister_id: CanisterId,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        self.subnet().query(canister_id, sender, method, payload)
    }

    pub fn query_call_with_effective_principal(
        &self,
        canister_id: CanisterId,
        _effective_principal: RawEffectivePrincipal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        self.query_call(canister_id, sender, method, payload)
    }

    // ----- time and rounds -----

    /// Executes one round: due timers, expired bounded-wait calls, queued messages.
    pub fn tick(&self) {
        self.subnet().tick();
    }

    pub fn get_time(&self) -> Time {
        Time::from_nanos_since_unix_epoch(self.subnet().time_nanos)
    }

    /// Sets the time. Like the IC, time never goes backwards: an earlier time is ignored.
    pub fn set_time(&self, time: Time) {
        let mut subnet = self.subnet();
        let nanos = time.as_nanos_since_unix_epoch();
        if nanos > subnet.time_nanos {
            subnet.time_nanos = nanos;
        }
    }

    pub fn set_certified_time(&self, time: Time) {
        self.set_time(time)
    }

    /// Moves time forward without executing a round.
    pub fn advance_time(&self, duration: Duration) {
        let mut subnet = self.subnet();
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        subnet.time_nanos = subnet.time_nanos.saturating_add(nanos);
    }

    /// The subnet a canister lives on: the emulator's single application subnet, if the canister exists.
    pub fn get_subnet(&self, canister_id: CanisterId) -> Option<Principal> {
        let subnet = self.subnet();
        subnet.canisters.contains_key(&canister_id).then_some(subnet.subnet_id)
    }

    /// The root key in DER (133 bytes), as agents fetch it (`crate::certification::SubnetKeys`).
    pub fn root_key(&self) -> Option<Vec<u8>> {
        Some(self.subnet().keys.root_key_der())
    }

    /// True while live (`make_live`): a background driver runs rounds and time follows the wall clock.
    pub fn auto_progress_enabled(&self) -> bool {
        #[cfg(feature = "live")]
        if self.live.is_some() {
            return true;
        }
        false
    }

    /// Serves the IC's HTTP interface on `127.0.0.1:<port>` (a free port when `None`) over this emulated IC, and
    /// runs rounds in the background (time follows the wall clock, timers fire) until `stop_live` or drop. Agents
    /// need only `fetch_root_key`. Already live: returns the current URL. Panics if the port cannot be bound, as
    /// pocket-ic does (`try_make_live` returns the error instead). Feature `live`.
    #[cfg(feature = "live")]
    pub fn make_live(&mut self, port: Option<u16>) -> url::Url {
        match self.try_make_live(port) {
            Ok(url) => url,
            Err(error) => panic!("make_live: {error}"),
        }
    }

    /// Emulator only: `make_live` with the bind error returned (e.g. the port is taken).
    #[cfg(feature = "live")]
    pub fn try_make_live(&mut self, port: Option<u16>) -> Result<url::Url, String> {
        if let Some(live) = &self.live {
            return Ok(live.url().clone());
        }
        let live = crate::live::LiveServer::start(self.subnet.clone(), port)?;
        let url = live.url().clone();
        self.live = Some(live);
        Ok(url)
    }

    /// Stops the HTTP endpoint and the background rounds (no-op when not live). Feature `live`.
    #[cfg(feature = "live")]
    pub fn stop_live(&mut self) {
        if let Some(mut live) = self.live.take() {
            live.stop();
        }
    }

    /// The live endpoint's URL, while live. Feature `live`.
    #[cfg(feature = "live")]
    pub fn url(&self) -> Option<url::Url> {
        self.live.as_ref().map(|live| live.url().clone())
    }

    // ----- canister state access -----

    pub fn canister_exists(&self, canister_id: CanisterId) -> bool {
        self.subnet().canisters.contains_key(&canister_id)
    }

    /// Controllers of a canister. Panics if it does not exist, as pocket-ic does.
    pub fn get_controllers(&self, canister_id: CanisterId) -> Vec<Principal> {
        match self.subnet().canister(&canister_id) {
            Some(c) => c.settings.controllers.clone(),
            None => panic!("CanisterNotFound({canister_id})"),
        }
    }

    /// Cycle balance; 0 for a canister that does not exist.
    pub fn cycle_balance(&self, canister_id: CanisterId) -> u128 {
        self.subnet().canister(&canister_id).map_or(0, |c| c.cycles)
    }

    /// Adds cycles and returns the new balance. Panics if the canister does not exist, as pocket-ic does.
    pub fn add_cycles(&self, canister_id: CanisterId, amount: u128) -> u128 {
        let mut subnet = self.subnet();
        match subnet.canister_mut(&canister_id) {
            Some(c) => {
                c.cycles = c.cycles.saturating_add(amount);
                c.cycles
            }
            None => panic!("CanisterNotFound({canister_id})"),
        }
    }

    /// The whole stable memory. Panics if the canister does not exist.
    pub fn get_stable_memory(&self, canister_id: CanisterId) -> Vec<u8> {
        match self.subnet().canister(&canister_id) {
            Some(c) => c.stable.to_vec(),
            None => panic!("CanisterNotFound({canister_id})"),
        }
    }

    /// Replaces the stable memory (grown to whole pages). Panics on an unknown canister or a bad gzip blob.
    pub fn set_stable_memory(&self, canister_id: CanisterId, data: Vec<u8>, compression: BlobCompression) {
        let data = match compression {
            BlobCompression::NoCompression => data,
            BlobCompression::Gzip => crate::wasm::gunzip(&data, usize::MAX).expect("invalid gzip blob"),
        };
        let mut subnet = self.subnet();
        match subnet.canister_mut(&canister_id) {
            Some(c) => c.stable = crate::stable::StableMemory::from_bytes(&data),
            None => panic!("CanisterNotFound({canister_id})"),
        }
    }

    /// `debug_print` output and trap messages, oldest first. Readable by controllers unless logs are public.
    pub fn fetch_canister_logs(
        &self,
        canister_id: CanisterId,
        sender: Principal,
    ) -> Result<Vec<CanisterLogRecord>, RejectResponse> {
        self.subnet().fetch_logs(canister_id, sender)
    }

    /// Emulator only: instructions used by the last message executed on the canister (from wasmtime fuel).
    pub fn instructions_used(&self, canister_id: CanisterId) -> u64 {
        self.subnet().canister(&canister_id).map_or(0, |c| c.last_instructions)
    }

    /// Emulator only: instructions of every message the canister executed, added up (what a multi-message
    /// operation cost it).
    pub fn total_instructions_used(&self, canister_id: CanisterId) -> u64 {
        self.subnet().canister(&canister_id).map_or(0, |c| c.total_instructions)
    }
}

fn raw_message_id(canister_id: CanisterId, id: MessageId) -> RawMessageId {
    RawMessageId {
        effective_principal: RawEffectivePrincipal::CanisterId(canister_id.as_slice().to_vec()),
        message_id: id.0.to_be_bytes().to_vec(),
    }
}

fn parse_message_id(raw: &RawMessageId) -> Result<MessageId, RejectResponse> {
    let bytes: [u8; 8] = raw.message_id.as_slice().try_into().map_err(|_| {
        RejectResponse::new(ErrorCode::InvalidManagementPayload, "message id was not issued by this emulator")
    })?;
    Ok(MessageId(u64::from_be_bytes(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pocket_ic_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PocketIc>();
    }

    #[test]
    fn time_converts_like_pocket_ic() {
        let t = Time::from_nanos_since_unix_epoch(1_700_000_000_123_456_789);
        assert_eq!(t.as_nanos_since_unix_epoch(), 1_700_000_000_123_456_789);
        assert_eq!((t + Duration::from_nanos(1)).as_nanos_since_unix_epoch(), 1_700_000_000_123_456_790);
        let system: SystemTime = t.try_into().unwrap();
        assert_eq!(Time::from(system), t);
        assert_eq!(format!("{t:?}"), "1700000000123456789");
    }

    #[test]
    fn message_ids_round_trip_and_foreign_ids_are_refused() {
        let raw = raw_message_id(Principal::anonymous(), MessageId(7));
        assert_eq!(parse_message_id(&raw).unwrap(), MessageId(7));
        let foreign = RawMessageId { effective_principal: RawEffectivePrincipal::None, message_id: vec![1, 2, 3] };
        assert!(parse_message_id(&foreign).is_err());
    }
}
