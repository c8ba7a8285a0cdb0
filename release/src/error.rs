//! The one error type of the release library. Each variant names the canister, package or file it concerns, so
//! that an operator reading a failed build knows what to fix without re-running with more logging.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`cargo metadata` failed: {0}")]
    CargoMetadata(#[from] cargo_metadata::Error),

    #[error("package `{package}` ({manifest}): invalid [package.metadata.fleet]: {reason}")]
    InvalidFleetMetadata {
        package: String,
        manifest: PathBuf,
        reason: String,
    },

    #[error("canister name `{canister}` is declared by two packages: `{first}` and `{second}`")]
    DuplicateCanister {
        canister: String,
        first: String,
        second: String,
    },

    #[error("unknown canister `{canister}`; the workspace declares: {known}")]
    UnknownCanister { canister: String, known: String },

    #[error("canister `{canister}`: candid file {} does not exist (the `did` path in [package.metadata.fleet] is relative to the package's Cargo.toml)", path.display())]
    MissingDid { canister: String, path: PathBuf },

    #[error("canister `{canister}`: candid file {} is invalid: {reason}", path.display())]
    InvalidDid {
        canister: String,
        path: PathBuf,
        reason: String,
    },

    #[error("canister `{canister}`: its wasm cannot be packaged: {reason}")]
    InvalidWasm { canister: String, reason: String },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cargo build failed: {0}")]
    CargoBuild(String),

    #[error(
        "cargo build finished but produced no wasm for package `{package}` (canister `{canister}`)"
    )]
    MissingArtifact { package: String, canister: String },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
