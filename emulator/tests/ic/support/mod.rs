//! Test support: the probe fixture's wasm and candid types, and a small typed handle on a probe.

pub mod wasm;

use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::{CandidType, Deserialize, Principal};
use emulator::{CanisterSettings, PocketIc, PocketIcBuilder, RejectResponse, Time};
use std::path::Path;

/// 2023-11-14T22:13:20Z: a fixed start so that runs are reproducible.
pub const START_TIME_NANOS: u64 = 1_700_000_000_000_000_000;

/// The probe's wasm as the build pipeline produces it (built on first use).
pub fn probe_wasm() -> Vec<u8> {
    let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("probe");
    let krate = wasm::CanisterCrate { canister: "probe", package: "probe", source_dir: Some(&source_dir) };
    wasm::canister_wasm(&wasm::target_dir(Some(env!("CARGO_TARGET_TMPDIR"))), &krate)
}

/// The same code under a different module hash: the probe with one more custom section.
pub fn probe_wasm_variant(tag: &str) -> Vec<u8> {
    let mut module = plain_wasm(&probe_wasm());
    let name = b"probe:variant";
    let mut section = Vec::new();
    leb128(&mut section, name.len() as u64);
    section.extend_from_slice(name);
    section.extend_from_slice(tag.as_bytes());
    module.push(0); // custom section id
    leb128(&mut module, section.len() as u64);
    module.extend_from_slice(&section);
    module
}

/// The raw module: gunzips when the bytes are gzip.
pub fn plain_wasm(bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out).expect("gunzip wasm");
        out
    } else {
        bytes.to_vec()
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

fn leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub fn new_pic() -> PocketIc {
    PocketIcBuilder::new()
        .with_application_subnet()
        .with_initial_time(Time::from_nanos_since_unix_epoch(START_TIME_NANOS))
        .build()
}

/// An instance that runs at most `n` message executions per round, so that a test can look at the
/// state between the steps of a call chain (emulator only).
pub fn stepping_pic(n: usize) -> PocketIc {
    PocketIcBuilder::new()
        .with_initial_time(Time::from_nanos_since_unix_epoch(START_TIME_NANOS))
        .with_subnet_config(emulator::state::SubnetConfig { max_executions_per_round: n, ..Default::default() })
        .build()
}

pub fn ticks(pic: &PocketIc, n: usize) {
    for _ in 0..n {
        pic.tick();
    }
}

/// A canister id far beyond the ids the emulator allocates (index 0x0210_0000), on no canister.
pub fn unused_canister_id() -> Principal {
    Principal::from_slice(&[0, 0, 0, 0, 0x02, 0x10, 0, 0, 1, 1])
}

/// A distinct, non-anonymous principal per number.
pub fn user(n: u8) -> Principal {
    Principal::self_authenticating([n])
}

pub fn controller() -> Principal {
    user(200)
}

pub fn encode<A: ArgumentEncoder>(args: A) -> Vec<u8> {
    candid::encode_args(args).expect("encode candid")
}

pub fn decode<R: for<'a> ArgumentDecoder<'a>>(bytes: &[u8]) -> R {
    candid::decode_args(bytes).expect("decode candid")
}

// ----- the probe's candid types (mirrors emulator/fixtures/probe/probe.did) -----

#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub heap: u64,
    pub stable: u64,
    pub timer_ticks: u64,
    pub callbacks: u64,
    pub cleanups: u64,
}

#[derive(CandidType, Deserialize, Clone, Debug, Default)]
pub struct LifecycleArg {
    pub trap_with: Option<String>,
    pub timer_period_seconds: Option<u64>,
    pub burn_iterations: Option<u64>,
}

#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct CallRequest {
    pub target: Principal,
    pub method: String,
    pub arg: Vec<u8>,
    pub cycles: u128,
    pub timeout_seconds: Option<u32>,
}

impl CallRequest {
    pub fn new(target: Principal, method: &str, arg: Vec<u8>) -> Self {
        CallRequest { target, method: method.to_string(), arg, cycles: 0, timeout_seconds: None }
    }
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CallReply {
    pub bytes: Vec<u8>,
    pub refunded: u128,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CallReject {
    pub code: u32,
    pub message: String,
}

pub fn no_lifecycle_arg() -> Vec<u8> {
    encode((None::<LifecycleArg>,))
}

pub fn lifecycle_arg(arg: LifecycleArg) -> Vec<u8> {
    encode((Some(arg),))
}

/// A probe canister installed on `pic`, controlled by [`controller()`].
pub struct Probe<'a> {
    pub pic: &'a PocketIc,
    pub id: Principal,
}

impl<'a> Probe<'a> {
    /// Creates a canister controlled by [`controller()`] and installs the probe.
    pub fn install(pic: &'a PocketIc) -> Self {
        let probe = Probe::create_empty(pic);
        pic.install_canister(probe.id, probe_wasm(), no_lifecycle_arg(), Some(controller()));
        probe
    }

    pub fn create_empty(pic: &'a PocketIc) -> Self {
        let settings = CanisterSettings { controllers: Some(vec![controller()]), ..Default::default() };
        let id = pic.create_canister_with_settings(Some(controller()), Some(settings));
        Probe { pic, id }
    }

    pub fn update<A: ArgumentEncoder, R: for<'b> ArgumentDecoder<'b>>(
        &self,
        method: &str,
        args: A,
    ) -> Result<R, RejectResponse> {
        emulator::update_candid(self.pic, self.id, method, args)
    }

    pub fn query<A: ArgumentEncoder, R: for<'b> ArgumentDecoder<'b>>(
        &self,
        method: &str,
        args: A,
    ) -> Result<R, RejectResponse> {
        emulator::query_candid(self.pic, self.id, method, args)
    }

    pub fn increment(&self) -> Counters {
        self.update::<_, (Counters,)>("increment", ()).expect("increment").0
    }

    pub fn counters(&self) -> Counters {
        self.query::<_, (Counters,)>("counters", ()).expect("counters").0
    }

    /// `call_and_report`: the probe makes the call; the outer result is the ingress call's own outcome.
    pub fn call(&self, request: CallRequest) -> Result<Result<CallReply, CallReject>, RejectResponse> {
        self.update::<_, (Result<CallReply, CallReject>,)>("call_and_report", (request,)).map(|(r,)| r)
    }

    pub fn module_hash(&self) -> Option<Vec<u8>> {
        self.pic.canister_status(self.id, Some(controller())).expect("canister_status").module_hash
    }
}
