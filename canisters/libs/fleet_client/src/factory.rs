//! The registry endpoints every factory shares (`factory_engine::api`), typed.

use crate::canister::CanisterClient;
use crate::error::ClientError;
use crate::transport::Transport;
use candid::Principal;
use factory_engine::api::{
    BeginUploadArgs, FleetSummary, FleetSummaryPage, RegistrySummary, UploadChunkArgs, UploadProgress, VersionInfo,
};
use fleet_api::{Page, PageRequest};

/// Candid method names of the registry endpoints (the factory `.did`s name them the same).
pub mod methods {
    pub const BEGIN_UPLOAD: &str = "beginUpload";
    pub const UPLOAD_CHUNK: &str = "uploadChunk";
    pub const GET_UPLOAD_PROGRESS: &str = "getUploadProgress";
    pub const FINALIZE_UPLOAD: &str = "finalizeUpload";
    pub const GET_VERSION: &str = "getVersion";
    pub const LIST_VERSIONS: &str = "listVersions";
    pub const GET_REGISTRY_SUMMARY: &str = "getRegistrySummary";
    pub const GET_FLEET_SUMMARY: &str = "getFleetSummary";
}

/// A factory canister's registry, over any transport.
#[derive(Clone, Copy)]
pub struct FactoryClient<'t> {
    canister: CanisterClient<'t>,
}

impl<'t> FactoryClient<'t> {
    pub fn new(transport: &'t dyn Transport, factory: Principal) -> Self {
        Self { canister: CanisterClient::new(transport, factory) }
    }

    pub fn id(&self) -> Principal {
        self.canister.id()
    }

    /// The principal the calls are made as.
    pub fn caller(&self) -> Principal {
        self.canister.transport().caller()
    }

    /// Starts (or, with the same description, resumes) the upload of a version.
    pub fn begin_upload(&self, args: &BeginUploadArgs) -> Result<UploadProgress, ClientError> {
        self.canister.update_result(methods::BEGIN_UPLOAD, (args,))
    }

    /// Stores one chunk; a re-sent identical chunk is accepted and not counted twice.
    pub fn upload_chunk(&self, args: &UploadChunkArgs) -> Result<UploadProgress, ClientError> {
        self.canister.update_result(methods::UPLOAD_CHUNK, (args,))
    }

    /// Which chunks of `version` the factory holds and which are missing.
    pub fn upload_progress(&self, version: &str) -> Result<UploadProgress, ClientError> {
        self.canister.query_result(methods::GET_UPLOAD_PROGRESS, (version,))
    }

    /// Verifies the whole module (sha256, wasm, `fleet:kind`/`fleet:version`) and publishes it.
    pub fn finalize_upload(&self, version: &str) -> Result<VersionInfo, ClientError> {
        self.canister.update_result(methods::FINALIZE_UPLOAD, (version,))
    }

    pub fn version(&self, version: &str) -> Result<VersionInfo, ClientError> {
        self.canister.query_result(methods::GET_VERSION, (version,))
    }

    /// One page of the registry's versions.
    pub fn list_versions(&self, page: PageRequest) -> Result<Page<VersionInfo>, ClientError> {
        let (reply,): (Page<VersionInfo>,) = self.canister.query(methods::LIST_VERSIONS, (page,))?;
        Ok(reply)
    }

    /// Every version, following `next_offset` to the last page.
    pub fn all_versions(&self) -> Result<Vec<VersionInfo>, ClientError> {
        crate::canister::all_pages(|page| self.list_versions(page))
    }

    pub fn registry_summary(&self) -> Result<RegistrySummary, ClientError> {
        let (reply,): (RegistrySummary,) = self.canister.query(methods::GET_REGISTRY_SUMMARY, ())?;
        Ok(reply)
    }

    /// One page of the fleet summary, from just after `cursor` (admins and release principals).
    pub fn fleet_summary_page(&self, cursor: Option<Principal>) -> Result<FleetSummaryPage, ClientError> {
        self.canister.query_result(methods::GET_FLEET_SUMMARY, (cursor,))
    }

    /// The whole fleet's summary: every page of `getFleetSummary`, added up, following `next_cursor` to the last
    /// (a page whose cursor does not move forward ends the walk with an error rather than looping).
    pub fn fleet_summary(&self) -> Result<FleetSummary, ClientError> {
        let mut total = FleetSummary::default();
        let mut cursor = None;
        loop {
            let page = self.fleet_summary_page(cursor)?;
            total.add(&page);
            match page.next_cursor {
                None => return Ok(total),
                Some(next) if cursor.is_some_and(|at| next <= at) => {
                    return Err(ClientError::Candid {
                        canister: self.id(),
                        method: methods::GET_FLEET_SUMMARY,
                        message: format!("the page after {cursor:?} did not move forward (next cursor {next})"),
                    });
                }
                Some(next) => cursor = Some(next),
            }
        }
    }
}
