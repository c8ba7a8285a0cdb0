//! Versions travel as candid `text` holding a semver (`1.2.3`, `2.0.0-rc.1`). They are parsed at every boundary, so a
//! malformed version is an `InvalidInput` error at the door, never a trap deeper in.

use crate::FleetError;
pub use semver::Version;

/// Parses a semver string, rejecting build metadata: `1.0.0+a` and `1.0.0+b` would be different registry keys for the
/// same precedence, which makes "newest" ambiguous.
pub fn parse_version(text: &str) -> Result<Version, FleetError> {
    let version = Version::parse(text.trim())
        .map_err(|e| FleetError::invalid(format!("version `{text}` is not a semver (major.minor.patch): {e}")))?;
    if !version.build.is_empty() {
        return Err(FleetError::invalid(format!("version `{text}` has build metadata; use a pre-release tag instead")));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_and_prerelease() {
        assert_eq!(parse_version("1.2.3").unwrap(), Version::new(1, 2, 3));
        assert!(parse_version("2.0.0-rc.1").unwrap() < Version::new(2, 0, 0));
    }

    #[test]
    fn rejects_garbage_and_build_metadata() {
        for bad in ["", "1", "1.2", "v1.2.3", "1.2.3+build5", "1.2.x"] {
            assert!(matches!(parse_version(bad), Err(FleetError::InvalidInput(_))), "{bad} was accepted");
        }
    }
}
