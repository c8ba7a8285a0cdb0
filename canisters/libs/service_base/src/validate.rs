//! Input checks shared by the service canisters. Each returns `InvalidInput` naming the field and the problem.

use candid::Principal;
use fleet_api::{FleetError, FleetResult};

/// Text of at most `max_bytes` bytes (may be empty).
pub fn text(field: &str, value: &str, max_bytes: usize) -> FleetResult<()> {
    if value.len() > max_bytes {
        return Err(FleetError::invalid(format!("{field} is {} bytes; at most {max_bytes} allowed", value.len())));
    }
    Ok(())
}

/// Non-empty text of at most `max_bytes` bytes.
pub fn required_text(field: &str, value: &str, max_bytes: usize) -> FleetResult<()> {
    if value.trim().is_empty() {
        return Err(FleetError::invalid(format!("{field} must not be empty")));
    }
    text(field, value, max_bytes)
}

/// An identifier such as a service name: 1..=max_bytes of `a-z`, `0-9`, `_`, starting with a letter.
pub fn identifier(field: &str, value: &str, max_bytes: usize) -> FleetResult<()> {
    let valid_chars = value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let starts_with_letter = value.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    if !valid_chars || !starts_with_letter || value.len() > max_bytes {
        return Err(FleetError::invalid(format!(
            "{field} `{}` must be 1 to {max_bytes} characters of a-z, 0-9 and _, starting with a letter",
            value.chars().take(64).collect::<String>()
        )));
    }
    Ok(())
}

/// A principal that names a real party: not the anonymous principal.
pub fn principal(field: &str, value: &Principal) -> FleetResult<()> {
    if *value == Principal::anonymous() {
        return Err(FleetError::invalid(format!("{field} must not be the anonymous principal")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(identifier("service", "token_factory", 64).is_ok());
        for bad in ["", "Token", "1abc", "a-b", "a b", "é"] {
            assert!(identifier("service", bad, 64).is_err(), "{bad}");
        }
        assert!(identifier("service", &"a".repeat(65), 64).is_err());
    }

    #[test]
    fn texts_and_principals() {
        assert!(text("metadata", "", 4).is_ok());
        assert!(text("metadata", "12345", 4).is_err());
        assert!(required_text("reason", "  ", 10).is_err());
        assert!(principal("user", &Principal::anonymous()).is_err());
        assert!(principal("user", &Principal::from_slice(&[1])).is_ok());
    }
}
