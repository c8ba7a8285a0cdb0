//! Publishing a contract version to a factory's registry through the factory client (`fleet_client::publish`), the
//! way the release pipeline does it. Chunks go out in reverse order and the first one twice, because the registry
//! promises to accept chunks in any order and a re-sent chunk once: the rehearsal checks both promises on every
//! publish.

use anyhow::Result;
use candid::Principal;
use fleet_client::publish::{publish, ChunkOrder, PublishRequest};
use fleet_client::FactoryClient;
use token_factory_api::UpgradeMetadata;

use super::Fleet;
/// The `fleet_client` transport over this build's IC backend (the emulator, or PocketIC with `--features pocket-ic`):
/// use it, not `EmulatorTransport`, so a test compiles on both.
#[cfg(not(feature = "pocket-ic"))]
pub use fleet_client::emulator::EmulatorTransport as IcTransport;
#[cfg(feature = "pocket-ic")]
pub use fleet_client::pocket_ic::PocketIcTransport as IcTransport;

pub use fleet_client::publish::PublishReport;

/// 256 KiB: several chunks for a ~400 KB gzipped contract, so the chunked path is really taken.
pub const CHUNK_SIZE: usize = 256 * 1024;

impl Fleet {
    /// A transport calling this fleet's IC as `sender`, for the typed clients of `fleet_client`.
    pub fn transport(&self, sender: Principal) -> IcTransport<'_> {
        IcTransport::new(&self.ic, sender)
    }
}

/// Uploads `wasm` as `version` to `factory` as `uploader` and finalizes it; the factory verifies hash, wasm shape and
/// `fleet:kind`/`fleet:version` metadata before it publishes.
pub fn publish_version(
    fleet: &Fleet,
    factory: Principal,
    uploader: Principal,
    version: &str,
    wasm: &[u8],
    release_notes: &str,
) -> Result<PublishReport> {
    let transport = fleet.transport(uploader);
    let client = FactoryClient::new(&transport, factory);
    let request = PublishRequest {
        version,
        wasm,
        release_notes,
        upgrade: UpgradeMetadata { checkpoint: false, post_upgrade_arg: None, reachable_from: None },
        chunk_size: CHUNK_SIZE,
        order: ChunkOrder::ReverseThenResendFirst,
    };
    Ok(publish(&client, &request, |_| {})?)
}
