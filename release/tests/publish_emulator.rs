//! `release publish` against a real token factory on the in-process emulator (through the emulator transport):
//! an interrupted publish resumes by sending only the chunks the factory misses; the factory's recorded sha256 is
//! the manifest's; a second publish uploads nothing; an identity the factory does not know is refused and nothing
//! is recorded. Also the publish throughput (MiB/s on the emulator), printed as a benchmark.
#![cfg(feature = "rehearse")]

use candid::Principal;
use fleet_client::emulator::EmulatorTransport;
use fleet_client::factory::methods::UPLOAD_CHUNK;
use fleet_client::{FactoryClient, Transport, TransportError};
use fleet_tests::ic::PocketIc;
use release::publish::{publish_release, ReleasePublishError};
use release::registry::ReleaseRegistry;
use std::cell::Cell;
use std::path::Path;
use std::time::Instant;

const CHUNK: usize = 64 * 1024;

fn registry() -> ReleaseRegistry {
    ReleaseRegistry::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm-registry"))
}

fn release_principal() -> Principal {
    fleet_tests::fleet::user("release-pipeline")
}

/// A token factory whose only release principal is `release_principal()`.
fn factory(ic: &PocketIc) -> Principal {
    let operator = fleet_tests::fleet::user("operator");
    let id = ic.create_canister_with_settings(Some(operator), None);
    ic.add_cycles(id, 100_000_000_000_000);
    let init = token_factory_api::FactoryInitArgs {
        whitelist: vec![],
        release_principals: vec![release_principal()],
        admins: vec![],
        config: None,
    };
    let wasm = fleet_tests::wasm::canister_wasm("token_factory");
    ic.install_canister(id, wasm, candid::encode_one(Some(&init)).unwrap(), Some(operator));
    id
}

/// Passes calls through, but drops the connection after `chunks_before_failure` chunks; counts the chunks sent.
struct Interrupting<'a> {
    inner: EmulatorTransport<'a>,
    chunks_before_failure: Option<usize>,
    chunks_sent: Cell<usize>,
}

impl Transport for Interrupting<'_> {
    fn update(&self, canister: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        if method == UPLOAD_CHUNK {
            if self.chunks_before_failure.is_some_and(|limit| self.chunks_sent.get() >= limit) {
                return Err(TransportError::Unreachable("connection reset by peer".into()));
            }
            self.chunks_sent.set(self.chunks_sent.get() + 1);
        }
        self.inner.update(canister, method, arg)
    }
    fn query(&self, canister: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.inner.query(canister, method, arg)
    }
    fn caller(&self) -> Principal {
        self.inner.caller()
    }
}

#[test]
fn an_interrupted_publish_resumes_with_the_missing_chunks_only() {
    let ic = fleet_tests::ic::new_instance();
    let factory_id = factory(&ic);
    let module = registry().load("token", "1.0.0").expect("token 1.0.0 in wasm-registry");
    let chunks = module.wasm.len().div_ceil(CHUNK);
    assert!(chunks >= 4, "the module must take several chunks: {chunks}");

    let flaky = Interrupting {
        inner: EmulatorTransport::new(&ic, release_principal()),
        chunks_before_failure: Some(2),
        chunks_sent: Cell::new(0),
    };
    let err = publish_release(&FactoryClient::new(&flaky, factory_id), &module, CHUNK, |_| {}).unwrap_err();
    assert!(err.to_string().contains("connection reset"), "{err}");
    let client = FactoryClient::new(&flaky.inner, factory_id);
    let progress = client.upload_progress("1.0.0").unwrap();
    assert_eq!((progress.received, progress.missing.len()), (2, chunks - 2), "{progress:?}");

    let resumed = Interrupting { inner: flaky.inner, chunks_before_failure: None, chunks_sent: Cell::new(0) };
    let mut started = None;
    let report = publish_release(&FactoryClient::new(&resumed, factory_id), &module, CHUNK, |event| {
        if let fleet_client::publish::PublishEvent::Started { received, to_send, .. } = event {
            started = Some((*received, *to_send));
        }
    })
    .unwrap();
    assert_eq!(started, Some((2, chunks - 2)));
    assert_eq!(resumed.chunks_sent.get(), chunks - 2, "only the missing chunks are sent");
    assert_eq!((report.chunks, report.chunks_sent, report.already_published), (chunks, chunks - 2, false));
    let info = client.version("1.0.0").unwrap();
    assert_eq!(hex::encode(&info.sha256), module.release.sha256, "the factory records the manifest's sha256");
    assert_eq!(info.status, token_factory_api::VersionStatus::Published);

    let again = Interrupting { inner: resumed.inner, chunks_before_failure: None, chunks_sent: Cell::new(0) };
    let report = publish_release(&FactoryClient::new(&again, factory_id), &module, CHUNK, |_| {}).unwrap();
    assert!(report.already_published && report.chunks_sent == 0 && again.chunks_sent.get() == 0, "{report:?}");
}

#[test]
fn an_identity_the_factory_does_not_know_is_refused_and_nothing_is_recorded() {
    let ic = fleet_tests::ic::new_instance();
    let factory_id = factory(&ic);
    let module = registry().load("token", "1.0.0").unwrap();
    let stranger = fleet_tests::fleet::user("stranger");
    let transport = EmulatorTransport::new(&ic, stranger);
    let client = FactoryClient::new(&transport, factory_id);
    let err = publish_release(&client, &module, CHUNK, |_| {}).unwrap_err();
    assert!(matches!(err, ReleasePublishError::Refused { caller, .. } if caller == stranger), "{err}");
    assert!(err.to_string().contains(&stranger.to_text()), "{err}");
    let lookup = client.version("1.0.0").unwrap_err();
    assert!(matches!(lookup.fleet_error(), Some(fleet_api::FleetError::NotFound(_))), "{lookup}");
    assert_eq!(client.registry_summary().unwrap().uploading, 0);
}

#[test]
fn publish_throughput_on_the_emulator() {
    let module = registry().load("token", "1.0.0").unwrap();
    let mut lines = vec![format!(
        "{:>10} {:>7} {:>9} {:>8} {:>16} {:>12}",
        "chunk", "chunks", "seconds", "MiB/s", "chunks MiB/s", "finalize s"
    )];
    for chunk in [64 * 1024, 256 * 1024, 1024 * 1024] {
        let ic = fleet_tests::ic::new_instance();
        let factory_id = factory(&ic);
        let transport = EmulatorTransport::new(&ic, release_principal());
        let started = Instant::now();
        let (mut first_chunk, mut finalizing) = (None, None);
        let report =
            publish_release(&FactoryClient::new(&transport, factory_id), &module, chunk, |event| match event {
                fleet_client::publish::PublishEvent::Started { .. } => first_chunk = Some(Instant::now()),
                fleet_client::publish::PublishEvent::Finalizing => finalizing = Some(Instant::now()),
                _ => {}
            })
            .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let (first_chunk, finalizing) = (first_chunk.unwrap(), finalizing.unwrap());
        let mib = report.bytes as f64 / (1024.0 * 1024.0);
        let chunks_mib_per_s = mib / (finalizing - first_chunk).as_secs_f64();
        let finalize = finalizing.elapsed().as_secs_f64();
        lines.push(format!(
            "{:>7} KiB {:>7} {seconds:>9.3} {:>8.2} {chunks_mib_per_s:>16.2} {finalize:>12.3}",
            chunk / 1024,
            report.chunks,
            mib / seconds
        ));
    }
    println!(
        "\npublish throughput, token 1.0.0 ({} bytes), emulator, begin + chunks + finalize (benchmark):\n{}",
        module.wasm.len(),
        lines.join("\n")
    );
}
