//! `migrations/`: per kind, `schema.md` and, per released version, the fixture a scripted scenario left in a
//! contract's stable memory on that version's exact wasm:
//!
//! ```text
//! migrations/<kind>/schema.md
//! migrations/<kind>/<version>/stable_memory.bin.gz the stable memory, byte for byte, gzipped (reproducibly)
//! migrations/<kind>/<version>/fixture.json        wasm sha256, stable memory sha256 and size, clock, the calls made
//! migrations/<kind>/<version>/state.json          what the contract's users observed after the scenario
//! migrations/<kind>/<version>/README.md           the same, for people
//! ```
//!
//! The stable memory is stored gzipped: the `MemoryManager` gives each structure whole 8 MiB buckets, so a small
//! contract's stable memory is ~130 MiB, nearly all zeros; gzipped it is a few hundred KiB.
//!
//! A fixture is written whole or not at all, and never rewritten.

use crate::postprocess::sha256_hex;
use crate::registry::{write_folder_atomically, RegistryError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const STABLE_MEMORY: &str = "stable_memory.bin.gz";
pub const FIXTURE_JSON: &str = "fixture.json";
pub const STATE_JSON: &str = "state.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureMeta {
    pub kind: String,
    pub version: String,
    /// sha256 of the `.wasm.gz` the scenario ran on (the release's).
    pub wasm_sha256: String,
    /// sha256 and size of the stable memory itself (uncompressed).
    pub stable_memory_sha256: String,
    pub stable_memory_size: u64,
    /// The emulator clock during the scenario (and whenever the fixture is loaded).
    pub time_nanos: u64,
    /// One line per group of calls.
    pub calls: Vec<String>,
}

/// A fixture read back and checked against its `fixture.json`.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub meta: FixtureMeta,
    pub stable_memory: Vec<u8>,
    pub state: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct Migrations {
    pub dir: PathBuf,
}

impl Migrations {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn fixture_dir(&self, kind: &str, version: &str) -> PathBuf {
        self.dir.join(kind).join(version)
    }

    pub fn has_fixture(&self, kind: &str, version: &str) -> bool {
        self.fixture_dir(kind, version).join(STABLE_MEMORY).is_file()
    }

    pub fn schema_md(&self, kind: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(kind).join("schema.md")).ok()
    }

    /// Writes a new fixture folder; refuses one that exists.
    pub fn write(
        &self,
        meta: &FixtureMeta,
        stable_memory: &[u8],
        state: &serde_json::Value,
    ) -> Result<PathBuf, RegistryError> {
        let dir = self.fixture_dir(&meta.kind, &meta.version);
        if dir.exists() {
            return Err(RegistryError::AlreadyReleased {
                kind: meta.kind.clone(),
                version: meta.version.clone(),
                sha256: format!("its fixture {} exists", dir.display()),
            });
        }
        let meta_json = pretty(meta)?;
        let state_json = pretty(state)?;
        let readme = readme(meta);
        let gz = crate::postprocess::gzip_reproducible(stable_memory);
        write_folder_atomically(
            &dir,
            &[
                (STABLE_MEMORY, &gz),
                (FIXTURE_JSON, meta_json.as_bytes()),
                (STATE_JSON, state_json.as_bytes()),
                ("README.md", readme.as_bytes()),
            ],
        )?;
        Ok(dir)
    }

    /// Reads `kind` `version`'s fixture and checks its bytes against `fixture.json`.
    pub fn load(&self, kind: &str, version: &str) -> Result<Fixture, RegistryError> {
        let dir = self.fixture_dir(kind, version);
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    RegistryError::MissingArtifact { kind: kind.into(), version: version.into(), path: path.clone() }
                } else {
                    RegistryError::Io { path: path.clone(), reason: e.to_string() }
                }
            })
        };
        let parse = |name: &str, bytes: Vec<u8>| {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| RegistryError::Io { path: dir.join(name), reason: e.to_string() })
        };
        let meta: FixtureMeta = serde_json::from_value(parse(FIXTURE_JSON, read(FIXTURE_JSON)?)?)
            .map_err(|e| RegistryError::Io { path: dir.join(FIXTURE_JSON), reason: e.to_string() })?;
        let gz = read(STABLE_MEMORY)?;
        let mut stable_memory = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut stable_memory).map_err(|e| {
            RegistryError::Tampered {
                kind: kind.into(),
                version: version.into(),
                path: dir.join(STABLE_MEMORY),
                what: format!("does not gunzip: {e}"),
            }
        })?;
        let actual = sha256_hex(&stable_memory);
        if actual != meta.stable_memory_sha256 || stable_memory.len() as u64 != meta.stable_memory_size {
            return Err(RegistryError::Tampered {
                kind: kind.into(),
                version: version.into(),
                path: dir.join(STABLE_MEMORY),
                what: format!(
                    "sha256 {actual} and {} bytes, fixture.json says {} and {}",
                    stable_memory.len(),
                    meta.stable_memory_sha256,
                    meta.stable_memory_size
                ),
            });
        }
        let state = parse(STATE_JSON, read(STATE_JSON)?)?;
        Ok(Fixture { meta, stable_memory, state })
    }
}

fn pretty(value: &impl Serialize) -> Result<String, RegistryError> {
    serde_json::to_string_pretty(value)
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|e| RegistryError::Manifest(e.to_string()))
}

fn readme(meta: &FixtureMeta) -> String {
    let mut text = format!(
        "# {kind} {version}: upgrade fixture\n\n\
         `stable_memory.bin.gz` is the whole stable memory ({size} bytes once gunzipped, sha256 `{memory}`) of a {kind} contract \
         running the exact `wasm-registry/{kind}/{version}/{kind}.wasm.gz` (sha256 `{wasm}`) on the in-process \
         emulator, after these calls, with the clock at {time} ns since the Unix epoch:\n\n",
        kind = meta.kind,
        version = meta.version,
        size = meta.stable_memory_size,
        memory = meta.stable_memory_sha256,
        wasm = meta.wasm_sha256,
        time = meta.time_nanos,
    );
    for call in &meta.calls {
        text.push_str(&format!("- {call}\n"));
    }
    text.push_str(
        "\n`state.json` is what the contract's users could observe afterwards (the kind's view in \
         `tests/src/released/`); the upgrade rehearsal tests (`tests/tests/released_versions.rs`) load this fixture \
         into this version's wasm, check that view, upgrade to the current build and check it again with the kind's \
         invariants.\n\nMade by `release cut` / `release fixture` (the scenario is `tests/src/released/`). Never \
         edited: it is a record of what this version wrote.\n",
    );
    text
}

/// `migrations/` beside `wasm-registry/`.
pub fn beside(registry_dir: &Path) -> Migrations {
    Migrations::new(registry_dir.parent().unwrap_or(Path::new(".")).join("migrations"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(memory: &[u8]) -> FixtureMeta {
        FixtureMeta {
            kind: "token".into(),
            version: "1.0.0".into(),
            wasm_sha256: "ab".repeat(32),
            stable_memory_sha256: sha256_hex(memory),
            stable_memory_size: memory.len() as u64,
            time_nanos: 1,
            calls: vec!["install".into()],
        }
    }

    #[test]
    fn a_fixture_round_trips_and_is_never_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let migrations = Migrations::new(dir.path());
        let memory: Vec<u8> = (0..200_000u32).map(|i| if i % 1000 == 0 { 7 } else { 0 }).collect();
        let state = serde_json::json!({"total_supply": "5"});
        migrations.write(&meta(&memory), &memory, &state).unwrap();
        assert!(migrations.has_fixture("token", "1.0.0"));
        let loaded = migrations.load("token", "1.0.0").unwrap();
        assert_eq!((loaded.stable_memory, loaded.state, loaded.meta), (memory.clone(), state.clone(), meta(&memory)));
        let readme = std::fs::read_to_string(dir.path().join("token/1.0.0/README.md")).unwrap();
        assert!(readme.contains(&"ab".repeat(32)) && readme.contains("- install"), "{readme}");
        let err = migrations.write(&meta(&memory), b"other", &state).unwrap_err();
        assert!(err.to_string().contains("never rewritten"), "{err}");
    }

    #[test]
    fn a_tampered_fixture_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let migrations = Migrations::new(dir.path());
        migrations.write(&meta(b"memory"), b"memory", &serde_json::json!({})).unwrap();
        let path = dir.path().join("token/1.0.0").join(STABLE_MEMORY);
        std::fs::write(&path, crate::postprocess::gzip_reproducible(b"memorY")).unwrap();
        assert!(matches!(migrations.load("token", "1.0.0").unwrap_err(), RegistryError::Tampered { .. }));
        std::fs::write(&path, b"not gzip").unwrap();
        assert!(matches!(migrations.load("token", "1.0.0").unwrap_err(), RegistryError::Tampered { .. }));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(migrations.load("token", "1.0.0").unwrap_err(), RegistryError::MissingArtifact { .. }));
    }
}
