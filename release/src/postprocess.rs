//! What happens to a wasm after cargo: embed the public metadata, shrink, gzip reproducibly, hash.
//!
//! Everything here is a pure function of its input bytes: the same raw wasm and metadata always give the same
//! `.wasm.gz` and the same sha256 (tested below and in `tests/reproducible.rs`). That sha256 is what the IC reports
//! as `module_hash` after installing the gzipped module, and what the factories' registries record.

use flate2::{write::GzEncoder, Compression, GzBuilder};
use ic_wasm::metadata::{add_metadata, Kind};
use sha2::{Digest, Sha256};
use std::io::Write;

/// Public metadata sections written into a canister's wasm (`icp:public <name>` custom sections).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmMetadata {
    /// `candid:service`: the canister's candid interface.
    pub candid_service: String,
    /// `fleet:kind` and `fleet:version`, for contract canisters: a factory's registry refuses a module whose
    /// embedded kind/version do not match what is being published.
    pub contract: Option<ContractMetadata>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractMetadata {
    pub kind: String,
    pub version: String,
    /// `fleet:schema`: the stable schema version the code writes, when the crate declares it.
    pub schema: Option<u32>,
}

pub const CANDID_SERVICE: &str = "candid:service";
pub const FLEET_KIND: &str = "fleet:kind";
pub const FLEET_VERSION: &str = "fleet:version";
pub const FLEET_SCHEMA: &str = "fleet:schema";

/// The result of packaging one wasm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagedWasm {
    /// Size of the wasm cargo produced.
    pub raw_size: usize,
    /// The shrunk wasm with metadata, uncompressed.
    pub wasm: Vec<u8>,
    /// `wasm` gzipped reproducibly: what gets installed and published.
    pub gz: Vec<u8>,
    /// Hex sha256 of `gz`.
    pub sha256: String,
}

/// Embeds `metadata`, shrinks, gzips and hashes `raw`. Errors are plain messages; the caller names the canister.
pub fn package_wasm(raw: &[u8], metadata: &WasmMetadata) -> Result<PackagedWasm, String> {
    let wasm = embed_and_shrink(raw, metadata)?;
    let gz = gzip_reproducible(&wasm);
    let sha256 = sha256_hex(&gz);
    Ok(PackagedWasm {
        raw_size: raw.len(),
        wasm,
        gz,
        sha256,
    })
}

/// Parses the module (dropping the name section), writes the metadata sections, removes every other custom
/// section (debug info, producers, target features) and unused items, and checks the result is a module the
/// replica accepts.
pub fn embed_and_shrink(raw: &[u8], metadata: &WasmMetadata) -> Result<Vec<u8>, String> {
    if !raw.starts_with(ic_wasm::utils::WASM_MAGIC_BYTES) {
        return Err("not a wasm module (no \\0asm magic bytes); was the crate built for wasm32-unknown-unknown?".into());
    }
    let mut module = ic_wasm::utils::parse_wasm(raw, false).map_err(|e| e.to_string())?;
    add_metadata(
        &mut module,
        Kind::Public,
        CANDID_SERVICE,
        metadata.candid_service.as_bytes().to_vec(),
    );
    if let Some(contract) = &metadata.contract {
        add_metadata(
            &mut module,
            Kind::Public,
            FLEET_KIND,
            contract.kind.as_bytes().to_vec(),
        );
        add_metadata(
            &mut module,
            Kind::Public,
            FLEET_VERSION,
            contract.version.as_bytes().to_vec(),
        );
        if let Some(schema) = contract.schema {
            add_metadata(&mut module, Kind::Public, FLEET_SCHEMA, schema.to_string().into_bytes());
        }
    }
    // `shrink` keeps only `icp:` custom sections and garbage-collects unused functions, data and types.
    ic_wasm::shrink::shrink(&mut module);
    let wasm = module.emit_wasm();
    ic_wasm::utils::make_validator_with_features()
        .validate_all(&wasm)
        .map_err(|e| format!("the processed module fails the replica's validation: {e}"))?;
    Ok(wasm)
}

/// Gzip with a fixed header (mtime 0, no file name, OS "unknown") and a fixed level, so the bytes depend only on
/// the input. The compressor is flate2's pure-Rust backend (miniz_oxide), whose version `Cargo.lock` pins.
pub fn gzip_reproducible(bytes: &[u8]) -> Vec<u8> {
    let mut encoder: GzEncoder<Vec<u8>> = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::with_capacity(bytes.len() / 2), Compression::best());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .unwrap_or_else(|e| unreachable!("writing to a Vec cannot fail: {e}"))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A small canister-like module: two exported methods, an unused function, a name section and a debug
    /// custom section, built with walrus so the test owns every byte.
    pub(crate) fn tiny_wasm() -> Vec<u8> {
        let mut module = walrus::Module::with_config(walrus::ModuleConfig::new());
        for name in ["canister_query greet", "canister_update bump"] {
            let mut f = walrus::FunctionBuilder::new(&mut module.types, &[], &[]);
            f.name(name.replace(' ', "_"))
                .func_body()
                .i32_const(1)
                .drop();
            let id = f.finish(vec![], &mut module.funcs);
            module.exports.add(name, id);
        }
        let mut unused = walrus::FunctionBuilder::new(&mut module.types, &[], &[]);
        unused.name("unused".into()).func_body().i32_const(7).drop();
        unused.finish(vec![], &mut module.funcs);
        module.customs.add(walrus::RawCustomSection {
            name: ".debug_info".into(),
            data: vec![0xAB; 64],
        });
        module.emit_wasm()
    }

    fn token_metadata() -> WasmMetadata {
        WasmMetadata {
            candid_service: "service : { greet : () -> (text) query }".into(),
            contract: Some(ContractMetadata {
                kind: "token".into(),
                version: "1.2.3".into(),
                schema: Some(2),
            }),
        }
    }

    fn custom_section_names(wasm: &[u8]) -> Vec<String> {
        let module = walrus::Module::from_buffer(wasm).unwrap();
        module
            .customs
            .iter()
            .map(|(_, s)| s.name().to_string())
            .collect()
    }

    #[test]
    fn same_input_gives_same_bytes() {
        let raw = tiny_wasm();
        let first = package_wasm(&raw, &token_metadata()).unwrap();
        let second = package_wasm(&raw, &token_metadata()).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.sha256, sha256_hex(&first.gz));
        assert_eq!(first.raw_size, raw.len());
    }

    #[test]
    fn different_metadata_gives_a_different_hash() {
        let raw = tiny_wasm();
        let mut other = token_metadata();
        other.contract.as_mut().unwrap().version = "1.2.4".into();
        assert_ne!(
            package_wasm(&raw, &token_metadata()).unwrap().sha256,
            package_wasm(&raw, &other).unwrap().sha256
        );
    }

    #[test]
    fn metadata_is_embedded_public_and_debug_sections_are_gone() {
        let raw = tiny_wasm();
        assert!(
            raw.windows(b"unused".len()).any(|w| w == b"unused"),
            "fixture must carry a name section"
        );
        let packaged = package_wasm(&raw, &token_metadata()).unwrap();
        let module = ic_wasm::utils::parse_wasm(&packaged.gz, true).unwrap();
        let get = |name| {
            String::from_utf8(
                ic_wasm::metadata::get_metadata(&module, name)
                    .unwrap()
                    .to_vec(),
            )
            .unwrap()
        };
        assert_eq!(get(CANDID_SERVICE), token_metadata().candid_service);
        assert_eq!(get(FLEET_KIND), "token");
        assert_eq!(get(FLEET_VERSION), "1.2.3");
        assert_eq!(get(FLEET_SCHEMA), "2");
        let mut names = custom_section_names(&packaged.wasm);
        names.sort();
        assert_eq!(
            names,
            [
                "icp:public candid:service",
                "icp:public fleet:kind",
                "icp:public fleet:schema",
                "icp:public fleet:version"
            ]
        );
        assert!(
            !packaged
                .wasm
                .windows(b"unused".len())
                .any(|w| w == b"unused"),
            "name section must be dropped"
        );
        let exports: Vec<String> = module.exports.iter().map(|e| e.name.clone()).collect();
        assert_eq!(exports, ["canister_query greet", "canister_update bump"]);
        assert_eq!(
            module.funcs.iter().count(),
            2,
            "the unused function is garbage-collected"
        );
    }

    #[test]
    fn non_contract_canisters_get_only_candid() {
        let metadata = WasmMetadata {
            contract: None,
            ..token_metadata()
        };
        let packaged = package_wasm(&tiny_wasm(), &metadata).unwrap();
        assert_eq!(
            custom_section_names(&packaged.wasm),
            ["icp:public candid:service"]
        );
    }

    #[test]
    fn gzip_header_is_fixed_and_round_trips() {
        let payload = b"the same bytes, every time".repeat(100);
        let gz = gzip_reproducible(&payload);
        // magic, deflate, no flags, mtime 0, max-compression flag, OS unknown
        assert_eq!(&gz[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255]);
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, payload);
        assert_eq!(gzip_reproducible(&payload), gz);
    }

    #[test]
    fn rejects_what_is_not_wasm() {
        let err = package_wasm(b"MZ\x90\x00not a module", &token_metadata()).unwrap_err();
        assert!(err.contains("not a wasm module"), "{err}");
        let mut truncated = tiny_wasm();
        truncated.truncate(truncated.len() / 2);
        assert!(package_wasm(&truncated, &token_metadata()).is_err());
    }

    #[test]
    fn known_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
