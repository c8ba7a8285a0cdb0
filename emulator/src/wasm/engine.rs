//! The process-wide wasmtime engine, the linker with every ic0 import, and the compiled-module cache keyed by the
//! sha256 of the decompressed module: a module is validated, rewritten and compiled once per process, however
//! many canisters or test instances run it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, InstancePre, Linker, Module, OptLevel};

use super::rewrite::{rewrite, ModuleInfo};
use crate::system_api::Host;

/// Largest module accepted after decompression (the IC's chunked-install limit).
pub const MAX_WASM_BYTES: usize = 100 * 1024 * 1024;

/// A validated, rewritten and compiled canister module.
pub struct CompiledModule {
    pub info: ModuleInfo,
    /// sha256 of the decompressed original module (the cache key).
    pub code_hash: [u8; 32],
    pub(crate) pre: InstancePre<Host>,
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule").field("code_hash", &hex::encode(self.code_hash)).finish()
    }
}

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.consume_fuel(true);
        config.wasm_multi_memory(true);
        config.wasm_bulk_memory(true);
        config.wasm_multi_value(true);
        config.cranelift_opt_level(OptLevel::Speed);
        Engine::new(&config).expect("the emulator's wasmtime configuration is valid")
    })
}

fn linker() -> &'static Linker<Host> {
    static LINKER: OnceLock<Linker<Host>> = OnceLock::new();
    LINKER.get_or_init(|| {
        let mut linker = Linker::new(engine());
        crate::system_api::link(&mut linker).expect("ic0 imports are defined once each");
        linker
    })
}

fn cache() -> &'static Mutex<HashMap<[u8; 32], Arc<CompiledModule>>> {
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], Arc<CompiledModule>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Number of modules compiled so far by this process (to check the cache in tests and benchmarks).
pub fn compiled_module_count() -> usize {
    cache().lock().map(|c| c.len()).unwrap_or(0)
}

/// The module bytes, decompressed if they are gzip (`1f 8b 08`).
pub fn decode_module(wasm: &[u8]) -> Result<Vec<u8>, String> {
    if wasm.starts_with(&[0x1f, 0x8b, 0x08]) {
        super::gunzip(wasm, MAX_WASM_BYTES)
    } else if wasm.starts_with(b"\0asm") {
        Ok(wasm.to_vec())
    } else {
        Err("Wasm module is neither a wasm binary (\\0asm) nor gzip-compressed".into())
    }
}

/// Validates, rewrites and compiles a module (raw or gzip), or returns the cached result.
pub fn compile(wasm: &[u8]) -> Result<Arc<CompiledModule>, String> {
    let bytes = decode_module(wasm)?;
    if bytes.len() > MAX_WASM_BYTES {
        return Err(format!("Wasm module of {} bytes exceeds the limit of {MAX_WASM_BYTES} bytes", bytes.len()));
    }
    let code_hash: [u8; 32] = Sha256::digest(&bytes).into();
    if let Some(found) = cache().lock().map_err(|_| "module cache poisoned")?.get(&code_hash) {
        return Ok(found.clone());
    }
    let (module, info) = super::disk_cache::load_or_compile(&code_hash, || {
        let (rewritten, info) = rewrite(&bytes)?;
        let module = Module::new(engine(), &rewritten).map_err(|e| format!("Wasm module is invalid: {e:#}"))?;
        Ok((module, info))
    })?;
    let pre = linker().instantiate_pre(&module).map_err(|e| format!("Wasm module has an invalid import: {e:#}"))?;
    let compiled = Arc::new(CompiledModule { info, code_hash, pre });
    cache().lock().map_err(|_| "module cache poisoned")?.insert(code_hash, compiled.clone());
    Ok(compiled)
}
