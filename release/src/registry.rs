//! `wasm-registry/`: every released contract version, its exact bytes and one `manifest.json`.
//!
//! ```text
//! wasm-registry/manifest.json             one entry per (kind, version), see [`Release`]
//! wasm-registry/<kind>/<version>/<kind>.wasm.gz          the module exactly as built
//! wasm-registry/<kind>/<version>/<kind>.wasm.gz.sha256   its hex sha256 and a newline
//! wasm-registry/<kind>/<version>/<kind>.did              its candid interface
//! ```
//!
//! A released version is never rewritten: [`ReleaseRegistry::add`] refuses an existing entry or folder, writes the
//! folder under a temporary name and renames it, then replaces the manifest the same way.

use crate::postprocess::sha256_hex;
use semver::Version;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "manifest.json";
pub const MANIFEST_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// Sorted by kind, then by semver.
    pub releases: Vec<Release>,
}

/// One released version of one contract kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub kind: String,
    pub version: String,
    /// Hex sha256 of the `.wasm.gz` (the IC's `module_hash` once installed).
    pub sha256: String,
    /// Bytes of the `.wasm.gz`.
    pub size: u64,
    /// Stable schema version this version's code writes.
    pub schema_version: u32,
    /// Full git commit the module was built from.
    pub git_revision: String,
    /// Paths relative to `wasm-registry/`.
    pub wasm: String,
    pub candid: String,
    /// What the factories' registries record for this version at upload (`UpgradeMetadata`).
    pub upgrade: ReleaseUpgrade,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseUpgrade {
    /// Semver requirement on the installed version; `null`: reachable from any older version.
    pub reachable_from: Option<String>,
    /// Carries a required migration: an upgrade path may not skip it.
    pub checkpoint: bool,
    /// Hex of the candid-encoded argument for the contract's `post_upgrade`, if any.
    pub post_upgrade_arg: Option<String>,
}

impl ReleaseUpgrade {
    /// As the factory's `UpgradeMetadata` wants it (`post_upgrade_arg` as bytes).
    pub fn post_upgrade_arg_bytes(&self) -> Result<Option<Vec<u8>>, RegistryError> {
        self.post_upgrade_arg
            .as_deref()
            .map(|h| hex::decode(h).map_err(|e| RegistryError::Manifest(format!("post_upgrade_arg is not hex: {e}"))))
            .transpose()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
    #[error("wasm-registry/manifest.json: {0}")]
    Manifest(String),
    #[error("unknown kind `{kind}`: wasm-registry has releases of {known}")]
    UnknownKind { kind: String, known: String },
    #[error("unknown version {kind} {version}: released versions are {known}")]
    UnknownVersion { kind: String, version: String, known: String },
    #[error(
        "{kind} {version} is already released ({sha256}); a released version is never rewritten: cut a new version"
    )]
    AlreadyReleased { kind: String, version: String, sha256: String },
    #[error("{}: missing artifact of {kind} {version}", path.display())]
    MissingArtifact { kind: String, version: String, path: PathBuf },
    #[error("{}: tampered artifact of {kind} {version}: {what}", path.display())]
    Tampered { kind: String, version: String, path: PathBuf, what: String },
}

/// The `wasm-registry/` folder.
#[derive(Debug, Clone)]
pub struct ReleaseRegistry {
    pub dir: PathBuf,
}

/// A released module read from disk and checked against the manifest.
#[derive(Debug, Clone)]
pub struct ReleasedModule {
    pub release: Release,
    pub wasm: Vec<u8>,
    pub candid: String,
}

impl ReleaseRegistry {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(MANIFEST)
    }

    /// The manifest; an empty one when the file does not exist yet.
    pub fn manifest(&self) -> Result<Manifest, RegistryError> {
        let path = self.manifest_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest { format: MANIFEST_FORMAT, releases: vec![] })
            }
            Err(e) => return Err(io(&path, e)),
        };
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| RegistryError::Manifest(e.to_string()))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(RegistryError::Manifest(format!(
                "format {} is not the one this release tool reads ({MANIFEST_FORMAT})",
                manifest.format
            )));
        }
        for release in &manifest.releases {
            Version::parse(&release.version).map_err(|e| {
                RegistryError::Manifest(format!("{} {}: not semver: {e}", release.kind, release.version))
            })?;
        }
        Ok(manifest)
    }

    /// The newest release of `kind`, by semver.
    pub fn latest(&self, kind: &str) -> Result<Option<Release>, RegistryError> {
        Ok(self.manifest()?.releases.into_iter().filter(|r| r.kind == kind).max_by_key(|r| semver(&r.version)))
    }

    /// The manifest entry of `kind` `version`, or an error naming what is released.
    pub fn release(&self, kind: &str, version: &str) -> Result<Release, RegistryError> {
        let manifest = self.manifest()?;
        let of_kind: Vec<&Release> = manifest.releases.iter().filter(|r| r.kind == kind).collect();
        if of_kind.is_empty() {
            let mut kinds: Vec<&str> = manifest.releases.iter().map(|r| r.kind.as_str()).collect();
            kinds.dedup();
            return Err(RegistryError::UnknownKind {
                kind: kind.to_string(),
                known: if kinds.is_empty() { "nothing yet".into() } else { kinds.join(", ") },
            });
        }
        of_kind.iter().find(|r| r.version == version).map(|r| (*r).clone()).ok_or_else(|| {
            RegistryError::UnknownVersion {
                kind: kind.to_string(),
                version: version.to_string(),
                known: of_kind.iter().map(|r| r.version.as_str()).collect::<Vec<_>>().join(", "),
            }
        })
    }

    /// Reads `kind` `version` and checks its bytes against the manifest (sha256, size, the `.sha256` file).
    pub fn load(&self, kind: &str, version: &str) -> Result<ReleasedModule, RegistryError> {
        let release = self.release(kind, version)?;
        let wasm_path = self.dir.join(&release.wasm);
        let missing = |path: &Path| RegistryError::MissingArtifact {
            kind: kind.to_string(),
            version: version.to_string(),
            path: path.to_path_buf(),
        };
        let tampered = |path: &Path, what: String| RegistryError::Tampered {
            kind: kind.to_string(),
            version: version.to_string(),
            path: path.to_path_buf(),
            what,
        };
        let wasm = read(&wasm_path).map_err(|e| if e.1 { missing(&wasm_path) } else { e.0 })?;
        let actual = sha256_hex(&wasm);
        if actual != release.sha256 {
            return Err(tampered(&wasm_path, format!("sha256 is {actual}, the manifest says {}", release.sha256)));
        }
        if wasm.len() as u64 != release.size {
            return Err(tampered(&wasm_path, format!("{} bytes, the manifest says {}", wasm.len(), release.size)));
        }
        let sha_path = PathBuf::from(format!("{}.sha256", wasm_path.display()));
        let recorded = read(&sha_path).map_err(|e| if e.1 { missing(&sha_path) } else { e.0 })?;
        if String::from_utf8_lossy(&recorded).trim() != release.sha256 {
            return Err(tampered(&sha_path, "does not hold the manifest's sha256".into()));
        }
        let candid_path = self.dir.join(&release.candid);
        let candid = read(&candid_path).map_err(|e| if e.1 { missing(&candid_path) } else { e.0 })?;
        let candid = String::from_utf8(candid).map_err(|_| tampered(&candid_path, "not UTF-8".into()))?;
        Ok(ReleasedModule { release, wasm, candid })
    }

    /// Adds a release: writes `<kind>/<version>/` (module, `.sha256`, `.did`) under a temporary name and renames it,
    /// then the manifest with the new entry. Refuses an existing version (in the manifest or on disk).
    pub fn add(&self, release: Release, wasm: &[u8], candid: &str) -> Result<(), RegistryError> {
        let mut manifest = self.manifest()?;
        if let Some(existing) =
            manifest.releases.iter().find(|r| r.kind == release.kind && r.version == release.version)
        {
            return Err(RegistryError::AlreadyReleased {
                kind: release.kind.clone(),
                version: release.version.clone(),
                sha256: existing.sha256.clone(),
            });
        }
        let folder = self.dir.join(&release.kind).join(&release.version);
        if folder.exists() {
            return Err(RegistryError::AlreadyReleased {
                kind: release.kind.clone(),
                version: release.version.clone(),
                sha256: format!("folder {} exists", folder.display()),
            });
        }
        let wasm_name = format!("{}.wasm.gz", release.kind);
        let sha_line = format!("{}\n", release.sha256);
        let files: [(String, &[u8]); 3] = [
            (wasm_name.clone(), wasm),
            (format!("{wasm_name}.sha256"), sha_line.as_bytes()),
            (format!("{}.did", release.kind), candid.as_bytes()),
        ];
        write_folder_atomically(&folder, &files.iter().map(|(n, b)| (n.as_str(), *b)).collect::<Vec<_>>())?;
        manifest.releases.push(release);
        if let Err(e) = self.replace_manifest(manifest) {
            // Nothing half-written: without its manifest entry the folder is not a release.
            let _ = std::fs::remove_dir_all(&folder);
            return Err(e);
        }
        Ok(())
    }
}

impl ReleaseRegistry {
    /// Writes `manifest` (sorted) through a temporary file and a rename.
    pub fn replace_manifest(&self, mut manifest: Manifest) -> Result<(), RegistryError> {
        manifest
            .releases
            .sort_by(|a, b| (a.kind.as_str(), semver(&a.version)).cmp(&(b.kind.as_str(), semver(&b.version))));
        let mut text = serde_json::to_string_pretty(&manifest).map_err(|e| RegistryError::Manifest(e.to_string()))?;
        text.push('\n');
        write_file_atomically(&self.manifest_path(), text.as_bytes())
    }
}

fn semver(version: &str) -> Version {
    Version::parse(version).unwrap_or_else(|_| Version::new(0, 0, 0))
}

fn io(path: &Path, e: std::io::Error) -> RegistryError {
    RegistryError::Io { path: path.to_path_buf(), reason: e.to_string() }
}

/// The file's bytes, or the error and whether it was "not found".
fn read(path: &Path) -> Result<Vec<u8>, (RegistryError, bool)> {
    std::fs::read(path).map_err(|e| {
        let not_found = e.kind() == std::io::ErrorKind::NotFound;
        (io(path, e), not_found)
    })
}

/// Writes `path` through a temporary file beside it and a rename.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes).map_err(|e| io(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        io(path, e)
    })
}

/// Creates folder `dir` holding `files`, or nothing: the files go into a temporary sibling folder renamed at the end.
pub fn write_folder_atomically(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), RegistryError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&temporary);
    let written = (|| {
        std::fs::create_dir(&temporary).map_err(|e| io(&temporary, e))?;
        for (file, bytes) in files {
            let path = temporary.join(file);
            std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        }
        std::fs::rename(&temporary, dir).map_err(|e| io(dir, e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&temporary);
    }
    written
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
