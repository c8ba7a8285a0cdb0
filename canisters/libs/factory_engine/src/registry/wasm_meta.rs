//! Checks that uploaded bytes are a wasm module (plain or gzip) and reads the `fleet:kind` / `fleet:version` metadata
//! the release pipeline embeds as custom sections `icp:public <name>` (or `icp:private <name>`).
//!
//! Parsed by hand: a module is the 8-byte header then `(id: u8, size: LEB128 u32, payload)` sections, and a custom
//! section (id 0) starts with its name as a LEB128-length-prefixed string. Nothing else of the module is needed.

use fleet_api::FleetError;
use std::io::Read;

const WASM_MAGIC: [u8; 4] = [0x00, 0x61, 0x73, 0x6d];
const WASM_VERSION_1: [u8; 4] = [0x01, 0x00, 0x00, 0x00];
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// The inflated module may not exceed this: the IC caps a module at 100 MiB.
pub const MAX_INFLATED_BYTES: u64 = 100 * 1024 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleMetadata {
    pub kind: Option<String>,
    pub version: Option<String>,
}

/// Returns the plain module: `bytes` itself, or its gzip content inflated (at most `MAX_INFLATED_BYTES`).
pub fn plain_module(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, FleetError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        let mut inflated = Vec::new();
        let mut decoder = flate2::read::GzDecoder::new(bytes).take(MAX_INFLATED_BYTES + 1);
        decoder
            .read_to_end(&mut inflated)
            .map_err(|e| FleetError::invalid(format!("module is gzip but does not inflate: {e}")))?;
        if inflated.len() as u64 > MAX_INFLATED_BYTES {
            return Err(FleetError::TooLarge { size: inflated.len() as u64, limit: MAX_INFLATED_BYTES });
        }
        Ok(std::borrow::Cow::Owned(inflated))
    } else {
        Ok(std::borrow::Cow::Borrowed(bytes))
    }
}

/// Reads the fleet metadata of a module (plain or gzip), failing when the bytes are not a wasm module.
pub fn read_metadata(bytes: &[u8]) -> Result<ModuleMetadata, FleetError> {
    let module = plain_module(bytes)?;
    let module: &[u8] = &module;
    if module.len() < 8 || module[..4] != WASM_MAGIC {
        return Err(FleetError::invalid("module is neither a wasm module (\\0asm) nor a gzipped one"));
    }
    if module[4..8] != WASM_VERSION_1 {
        return Err(FleetError::invalid("wasm module has an unsupported binary version"));
    }
    let mut metadata = ModuleMetadata::default();
    let mut rest = &module[8..];
    while !rest.is_empty() {
        let id = rest[0];
        let (size, after_size) = read_leb_u32(&rest[1..])?;
        let size = size as usize;
        if after_size.len() < size {
            return Err(FleetError::invalid("wasm module is truncated: a section runs past the end"));
        }
        let (payload, next) = after_size.split_at(size);
        if id == 0 {
            let (name_len, after_len) = read_leb_u32(payload)?;
            let name_len = name_len as usize;
            if after_len.len() < name_len {
                return Err(FleetError::invalid("wasm custom section name runs past its section"));
            }
            let (name, data) = after_len.split_at(name_len);
            let name = std::str::from_utf8(name).unwrap_or("");
            let key = name.strip_prefix("icp:public ").or_else(|| name.strip_prefix("icp:private "));
            match key {
                Some("fleet:kind") => metadata.kind = Some(text(data, "fleet:kind")?),
                Some("fleet:version") => metadata.version = Some(text(data, "fleet:version")?),
                _ => {}
            }
        }
        rest = next;
    }
    Ok(metadata)
}

fn text(data: &[u8], what: &str) -> Result<String, FleetError> {
    std::str::from_utf8(data)
        .map(|s| s.trim().to_string())
        .map_err(|_| FleetError::invalid(format!("metadata {what} is not UTF-8")))
}

fn read_leb_u32(bytes: &[u8]) -> Result<(u32, &[u8]), FleetError> {
    let mut value: u64 = 0;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value)
                .map(|v| (v, &bytes[i + 1..]))
                .map_err(|_| FleetError::invalid("wasm module has a malformed LEB128 size"));
        }
    }
    Err(FleetError::invalid("wasm module is truncated or has a malformed LEB128 size"))
}

/// Builders for test modules, shared by this crate's tests and by factories' tests.
pub mod test_modules {
    /// A minimal valid wasm module carrying the given custom sections (name, data), plus `padding` bytes in an extra
    /// custom section to reach a wanted size.
    pub fn wasm_with_sections(sections: &[(&str, &[u8])], padding: usize) -> Vec<u8> {
        let mut module = vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        let mut all: Vec<(String, Vec<u8>)> = sections.iter().map(|(n, d)| (n.to_string(), d.to_vec())).collect();
        if padding > 0 {
            all.push(("padding".to_string(), vec![0xAB; padding]));
        }
        for (name, data) in all {
            let mut payload = leb(name.len() as u32);
            payload.extend_from_slice(name.as_bytes());
            payload.extend_from_slice(&data);
            module.push(0);
            module.extend(leb(payload.len() as u32));
            module.extend(payload);
        }
        module
    }

    /// A module with `icp:public fleet:kind` and `icp:public fleet:version`.
    pub fn fleet_wasm(kind: &str, version: &str, padding: usize) -> Vec<u8> {
        wasm_with_sections(
            &[("icp:public fleet:kind", kind.as_bytes()), ("icp:public fleet:version", version.as_bytes())],
            padding,
        )
    }

    pub fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).expect("writing to a Vec");
        encoder.finish().expect("writing to a Vec")
    }

    fn leb(mut value: u32) -> Vec<u8> {
        let mut out = vec![];
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_modules::*;
    use super::*;

    #[test]
    fn reads_public_and_private_metadata_from_plain_and_gzip() {
        let plain = fleet_wasm("token", "1.2.3", 300);
        let expected = ModuleMetadata { kind: Some("token".into()), version: Some("1.2.3".into()) };
        assert_eq!(read_metadata(&plain).unwrap(), expected);
        assert_eq!(read_metadata(&gzip(&plain)).unwrap(), expected);
        let private =
            wasm_with_sections(&[("icp:private fleet:kind", b"dao"), ("icp:private fleet:version", b"0.1.0")], 0);
        assert_eq!(read_metadata(&private).unwrap().kind.as_deref(), Some("dao"));
    }

    #[test]
    fn module_without_metadata_has_none() {
        let module = wasm_with_sections(&[("name", b"x")], 10);
        assert_eq!(read_metadata(&module).unwrap(), ModuleMetadata::default());
    }

    #[test]
    fn rejects_non_wasm_and_truncated_modules() {
        assert!(matches!(read_metadata(b"hello world, not wasm"), Err(FleetError::InvalidInput(_))));
        let mut truncated = fleet_wasm("token", "1.0.0", 100);
        truncated.truncate(truncated.len() - 10);
        assert!(matches!(read_metadata(&truncated), Err(FleetError::InvalidInput(_))));
        assert!(matches!(read_metadata(&[0x1f, 0x8b, 0x08, 0, 0]), Err(FleetError::InvalidInput(_))));
    }
}
