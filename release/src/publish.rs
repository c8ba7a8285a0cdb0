//! `release publish`: one released module from `wasm-registry/`, checked against the manifest, uploaded to a
//! factory's registry through the factory client (only the chunks it misses), finalized, and its recorded sha256
//! compared with the manifest's.

use crate::registry::{RegistryError, ReleaseRegistry, ReleasedModule};
use factory_engine::api::UpgradeMetadata;
use fleet_client::publish::{publish, ChunkOrder, PublishError, PublishEvent, PublishReport, PublishRequest};
use fleet_client::FactoryClient;

#[derive(Debug, thiserror::Error)]
pub enum ReleasePublishError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("factory {factory} refused identity {caller}: {reason}")]
    Refused { factory: candid::Principal, caller: candid::Principal, reason: String },
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Reads and checks `kind` `version` (before any network call), so a missing or tampered artifact fails first.
pub fn load_release(registry: &ReleaseRegistry, kind: &str, version: &str) -> Result<ReleasedModule, RegistryError> {
    registry.load(kind, version)
}

/// Publishes `module` to `factory`, reporting progress through `on_event`.
pub fn publish_release(
    factory: &FactoryClient<'_>,
    module: &ReleasedModule,
    chunk_size: usize,
    on_event: impl FnMut(&PublishEvent),
) -> Result<PublishReport, ReleasePublishError> {
    let release = &module.release;
    let notes = format!("{} {} (git {})", release.kind, release.version, release.git_revision);
    let request = PublishRequest {
        version: &release.version,
        wasm: &module.wasm,
        release_notes: &notes,
        upgrade: UpgradeMetadata {
            reachable_from: release.upgrade.reachable_from.clone(),
            checkpoint: release.upgrade.checkpoint,
            post_upgrade_arg: release.upgrade.post_upgrade_arg_bytes()?,
        },
        chunk_size,
        order: ChunkOrder::Ascending,
    };
    let report = publish(factory, &request, on_event).map_err(|e| match &e {
        PublishError::Client(client) => match client.fleet_error() {
            Some(fleet_api::FleetError::Unauthorized(reason)) => {
                ReleasePublishError::Refused { factory: factory.id(), caller: factory.caller(), reason: reason.clone() }
            }
            _ => ReleasePublishError::Publish(e),
        },
        _ => ReleasePublishError::Publish(e),
    })?;
    // `publish` compared the factory's record with the sha256 of the bytes; those bytes were checked against the
    // manifest when loaded, so the factory now records the manifest's sha256.
    debug_assert_eq!(report.sha256, release.sha256);
    Ok(report)
}
