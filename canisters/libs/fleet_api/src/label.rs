//! The one rule for a contract's human label (a token's, a wallet's, a distribution's `name`): what `getMyContracts`
//! shows every user, so it must be readable and bounded.

use crate::FleetError;

/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 64;

/// Checks `field` (e.g. `name`): not empty, no leading or trailing whitespace, at most [`MAX_LABEL_CHARS`]
/// characters, no control characters.
pub fn validate_label(field: &str, label: &str) -> Result<(), FleetError> {
    let invalid = |what: String| Err(FleetError::InvalidInput(format!("{field}: {what}")));
    if label.trim().is_empty() {
        return invalid("empty".into());
    }
    if label.trim() != label {
        return invalid(format!("`{label}` starts or ends with whitespace"));
    }
    let chars = label.chars().count();
    if chars > MAX_LABEL_CHARS {
        return invalid(format!("{chars} characters, at most {MAX_LABEL_CHARS} are allowed"));
    }
    if label.chars().any(char::is_control) {
        return invalid("contains control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_non_empty_trimmed_bounded_and_printable() {
        assert_eq!(validate_label("name", "My Token"), Ok(()));
        assert_eq!(validate_label("name", " "), Err(FleetError::InvalidInput("name: empty".into())));
        assert!(validate_label("name", " x").is_err());
        assert!(validate_label("name", &"x".repeat(MAX_LABEL_CHARS)).is_ok());
        assert!(validate_label("name", &"x".repeat(MAX_LABEL_CHARS + 1)).is_err());
        assert!(validate_label("name", "a\u{7}b").is_err());
    }
}
