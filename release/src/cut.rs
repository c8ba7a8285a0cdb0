//! The refusals of `release cut`, as pure checks over the manifest's last release and the new build, so each one is
//! tested without building anything. Every message says what to do.

use crate::registry::Release;
use candid_parser::utils::{service_compatible, CandidSource};
use semver::Version;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CutRefusal {
    #[error("`{0}` is not a semver version")]
    NotSemver(String),
    #[error("no canister crate declares kind `{kind}` (known kinds: {known})")]
    UnknownKind { kind: String, known: String },
    #[error("--version {asked} differs from {package}'s Cargo.toml version {declared}: set `version = \"{asked}\"` there (the contract reports that version at runtime), then cut again")]
    VersionMismatch { package: String, asked: String, declared: String },
    #[error("refusing to cut {kind} {version}: it is not greater than the last released {kind} {last}; bump `version` in the kind's Cargo.toml")]
    NotGreater { kind: String, version: String, last: String },
    #[error("{package} declares no `schema = N` in [package.metadata.fleet]: add the stable schema version its code writes (its ContractSpec.schema_version)")]
    NoSchema { package: String },
    #[error("refusing to cut {kind} {version}: its candid interface is not backward compatible with {kind} {last}'s ({reason}); keep old clients working (add, do not change or remove) or cut a new major version")]
    CandidIncompatible { kind: String, version: String, last: String, reason: String },
    #[error("refusing to cut {kind} {version}: its schema {new} is lower than {kind} {last}'s schema {old}; a release never goes back to an older schema")]
    SchemaShrank { kind: String, version: String, last: String, old: u32, new: u32 },
    #[error("refusing to cut {kind} {version}: the schema grows from {old} to {new} but {kind} {last} has no fixture (migrations/{kind}/{last}/stable_memory.bin.gz) to prove the migration on; capture it with `release fixture {kind} {last}`")]
    NoPreviousFixture { kind: String, version: String, last: String, old: u32, new: u32 },
    #[error("refusing to cut {kind} {version}: migrations/{kind}/schema.md does not describe schema {schema} (a `## Schema {schema}` section): say what it stores and which migration step leads to it")]
    SchemaUndocumented { kind: String, version: String, schema: u32 },
    #[error("refusing to cut {kind} {version}: upgrading {kind} {last}'s fixture to it fails: {reason}; add the migration step from schema {old} (MIGRATIONS in the kind's lifecycle) and make it pass")]
    MigrationFails { kind: String, version: String, last: String, old: u32, reason: String },
    #[error("refusing to cut {kind} {version}: after upgrading {kind} {last}'s fixture, {reason}")]
    StateChanged { kind: String, version: String, last: String, reason: String },
    #[error("refusing to cut {kind} {version}: Cargo.toml declares schema {declared} but the installed code reports schema {reported}; make them agree")]
    SchemaDisagrees { kind: String, version: String, declared: u32, reported: u32 },
    #[error("refusing to cut from a work tree with uncommitted changes ({files}): commit them (a release records its git revision), or pass --allow-dirty for a trial")]
    Dirty { files: String },
}

pub fn parse_version(version: &str) -> Result<Version, CutRefusal> {
    Version::parse(version).map_err(|_| CutRefusal::NotSemver(version.to_string()))
}

/// The new version must be greater than the last released one.
pub fn check_version(kind: &str, version: &str, last: Option<&Release>) -> Result<(), CutRefusal> {
    let new = parse_version(version)?;
    if let Some(last) = last {
        if new <= parse_version(&last.version)? {
            return Err(CutRefusal::NotGreater {
                kind: kind.into(),
                version: version.into(),
                last: last.version.clone(),
            });
        }
    }
    Ok(())
}

/// Unless the major version changed, the new interface must be a subtype of the last release's (candid's own
/// service-compatibility check: every old client keeps working).
pub fn check_candid(
    kind: &str,
    version: &str,
    new_did: &str,
    last: &Release,
    last_did: &str,
) -> Result<(), CutRefusal> {
    if parse_version(version)?.major != parse_version(&last.version)?.major {
        return Ok(());
    }
    service_compatible(CandidSource::Text(new_did), CandidSource::Text(last_did)).map_err(|e| {
        CutRefusal::CandidIncompatible {
            kind: kind.into(),
            version: version.into(),
            last: last.version.clone(),
            reason: e.to_string().lines().collect::<Vec<_>>().join(" "),
        }
    })
}

/// How the schema moves from the last release; refuses a lower schema, and a higher one without a previous fixture.
pub fn check_schema(
    kind: &str,
    version: &str,
    schema: u32,
    last: Option<&Release>,
    previous_fixture_exists: bool,
) -> Result<SchemaChange, CutRefusal> {
    let Some(last) = last else { return Ok(SchemaChange::First) };
    let old = last.schema_version;
    if schema < old {
        return Err(CutRefusal::SchemaShrank {
            kind: kind.into(),
            version: version.into(),
            last: last.version.clone(),
            old,
            new: schema,
        });
    }
    if schema == old {
        return Ok(SchemaChange::Same);
    }
    if !previous_fixture_exists {
        return Err(CutRefusal::NoPreviousFixture {
            kind: kind.into(),
            version: version.into(),
            last: last.version.clone(),
            old,
            new: schema,
        });
    }
    Ok(SchemaChange::Grew { from: old, to: schema })
}

/// `schema.md` must have a `## Schema N` section for the schema being released.
pub fn check_schema_documented(
    kind: &str,
    version: &str,
    schema: u32,
    schema_md: Option<&str>,
) -> Result<(), CutRefusal> {
    let heading = format!("## Schema {schema}");
    let documented = schema_md.is_some_and(|text| {
        text.lines().any(|line| {
            line.trim_end() == heading
                || line.starts_with(&format!("{heading} "))
                || line.starts_with(&format!("{heading}:"))
        })
    });
    if documented {
        Ok(())
    } else {
        Err(CutRefusal::SchemaUndocumented { kind: kind.into(), version: version.into(), schema })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaChange {
    /// The kind's first release.
    First,
    Same,
    Grew {
        from: u32,
        to: u32,
    },
}

#[cfg(test)]
#[path = "cut_tests.rs"]
mod tests;
