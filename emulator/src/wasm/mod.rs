//! Wasm modules: validation, rewriting (export the table, globals and start; dirty-page instrumentation),
//! the process-wide compiled-module cache, and live instances.

use std::io::Read;

mod dirty;
mod disk_cache;
mod engine;
mod instance;
pub mod rewrite;
#[cfg(test)]
mod tests;

pub use dirty::DirtyTracker;
pub use engine::{compile, compiled_module_count, decode_module, CompiledModule, MAX_WASM_BYTES};
pub use instance::{Entry, ExecError, Execution, LiveInstance};

/// Decompresses gzip data, refusing to produce more than `limit` bytes.
pub fn gunzip(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let decoder = flate2::read::GzDecoder::new(data);
    decoder
        .take((limit as u64).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("invalid gzip data: {e}"))?;
    if out.len() > limit {
        return Err(format!("decompressed data exceeds {limit} bytes"));
    }
    Ok(out)
}
