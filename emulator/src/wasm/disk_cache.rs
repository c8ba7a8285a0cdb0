//! An on-disk cache of compiled modules, so that every test process does not pay cranelift again for the same
//! canister wasm (seconds per megabyte of wasm). Entries are keyed by the module's hash, the rewriting code,
//! the wasmtime engine configuration and the crate version; they are written to a temporary file and renamed,
//! so concurrent test processes never see a partial entry. Any failure falls back to compiling.
//!
//! Location: `$EMULATOR_MODULE_CACHE` if set (`off` disables the cache), else `<tmp>/emulator-module-cache`.

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use candid::{CandidType, Deserialize};
use sha2::{Digest, Sha256};
use wasmtime::Module;

use super::engine::engine;
use super::rewrite::ModuleInfo;

fn cache_dir() -> Option<&'static PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = match std::env::var_os("EMULATOR_MODULE_CACHE") {
            Some(v) if v == "off" => return None,
            Some(v) => PathBuf::from(v),
            None => std::env::temp_dir().join("emulator-module-cache"),
        };
        std::fs::create_dir_all(&dir).ok()?;
        Some(dir)
    })
    .as_ref()
}

/// What besides the module's own hash decides the compiled artifact.
fn environment_hash() -> &'static [u8; 32] {
    static HASH: OnceLock<[u8; 32]> = OnceLock::new();
    HASH.get_or_init(|| {
        let mut engine_hasher = std::collections::hash_map::DefaultHasher::new();
        engine().precompile_compatibility_hash().hash(&mut engine_hasher);
        let mut hasher = Sha256::new();
        hasher.update(engine_hasher.finish().to_le_bytes());
        hasher.update(include_str!("rewrite.rs"));
        hasher.update(include_str!("engine.rs"));
        hasher.update(env!("CARGO_PKG_VERSION"));
        hasher.finalize().into()
    })
}

fn paths(code_hash: &[u8; 32]) -> Option<(PathBuf, PathBuf)> {
    let dir = cache_dir()?;
    let mut hasher = Sha256::new();
    hasher.update(code_hash);
    hasher.update(environment_hash());
    let key = hex::encode(hasher.finalize());
    Some((dir.join(format!("{key}.cwasm")), dir.join(format!("{key}.info"))))
}

/// `ModuleInfo` in a candid-encodable form.
#[derive(CandidType, Deserialize)]
struct StoredInfo {
    update_methods: Vec<String>,
    query_methods: Vec<String>,
    composite_query_methods: Vec<String>,
    flags: Vec<bool>,
    globals: Vec<u8>,
    custom_sections: Vec<(String, serde_bytes::ByteBuf)>,
}

fn flags(info: &ModuleInfo) -> Vec<bool> {
    vec![
        info.has_init,
        info.has_pre_upgrade,
        info.has_post_upgrade,
        info.has_heartbeat,
        info.has_global_timer,
        info.has_inspect_message,
        info.has_on_low_wasm_memory,
        info.has_memory,
        info.has_table,
        info.has_start,
    ]
}

fn encode_info(info: &ModuleInfo) -> Option<Vec<u8>> {
    use walrus::ValType;
    let globals = info
        .globals
        .iter()
        .map(|t| match t {
            ValType::I32 => Some(0),
            ValType::I64 => Some(1),
            ValType::F32 => Some(2),
            ValType::F64 => Some(3),
            _ => None,
        })
        .collect::<Option<Vec<u8>>>()?;
    let stored = StoredInfo {
        update_methods: info.update_methods.iter().cloned().collect(),
        query_methods: info.query_methods.iter().cloned().collect(),
        composite_query_methods: info.composite_query_methods.iter().cloned().collect(),
        flags: flags(info),
        globals,
        custom_sections: info
            .custom_sections
            .iter()
            .map(|(n, d)| (n.clone(), serde_bytes::ByteBuf::from(d.clone())))
            .collect(),
    };
    candid::encode_one(stored).ok()
}

fn decode_info(bytes: &[u8]) -> Option<ModuleInfo> {
    use walrus::ValType;
    let stored: StoredInfo = candid::decode_one(bytes).ok()?;
    let [has_init, has_pre_upgrade, has_post_upgrade, has_heartbeat, has_global_timer, has_inspect_message, has_on_low_wasm_memory, has_memory, has_table, has_start] =
        stored.flags[..]
    else {
        return None;
    };
    let globals = stored
        .globals
        .iter()
        .map(|t| match t {
            0 => Some(ValType::I32),
            1 => Some(ValType::I64),
            2 => Some(ValType::F32),
            3 => Some(ValType::F64),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>();
    Some(ModuleInfo {
        update_methods: set(stored.update_methods),
        query_methods: set(stored.query_methods),
        composite_query_methods: set(stored.composite_query_methods),
        has_init,
        has_pre_upgrade,
        has_post_upgrade,
        has_heartbeat,
        has_global_timer,
        has_inspect_message,
        has_on_low_wasm_memory,
        has_memory,
        has_table,
        has_start,
        globals,
        custom_sections: stored.custom_sections.into_iter().map(|(n, d)| (n, d.into_vec())).collect(),
    })
}

/// How long a process waits for another one compiling the same module before compiling it itself.
const WAIT_FOR_OTHER_COMPILER: Duration = Duration::from_secs(180);

/// Loads the module from the cache, or compiles it with `compile` and stores it. When several processes (e.g.
/// nextest runs every test in its own process) need the same module at once, one compiles it while the others
/// wait for its entry, instead of all of them paying cranelift on a small machine.
pub fn load_or_compile(
    code_hash: &[u8; 32],
    compile: impl FnOnce() -> Result<(Module, ModuleInfo), String>,
) -> Result<(Module, ModuleInfo), String> {
    if let Some(found) = load(code_hash) {
        return Ok(found);
    }
    let lock = paths(code_hash).map(|(module_path, _)| module_path.with_extension("lock"));
    let mut held = None;
    if let Some(lock) = lock {
        let deadline = Instant::now() + WAIT_FOR_OTHER_COMPILER;
        loop {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
                Ok(_) => {
                    held = Some(LockGuard(lock));
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                    if let Some(found) = load(code_hash) {
                        return Ok(found);
                    }
                }
                // Stale lock (a compiler that died) or an unwritable directory: compile without the lock.
                Err(_) => break,
            }
        }
        // Another process may have finished between our last look and taking the lock.
        if let Some(found) = load(code_hash) {
            return Ok(found);
        }
    }
    let (module, info) = compile()?;
    store(code_hash, &module, &info);
    drop(held);
    Ok((module, info))
}

/// Removes the lock file when the compilation is done (or failed).
struct LockGuard(PathBuf);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A previously compiled module, if the cache has a valid entry.
fn load(code_hash: &[u8; 32]) -> Option<(Module, ModuleInfo)> {
    let (module_path, info_path) = paths(code_hash)?;
    let info = decode_info(&std::fs::read(&info_path).ok()?)?;
    // SAFETY: the file was written by `store` below from `Module::serialize` of this same engine configuration
    // (the key covers the engine's compatibility hash), and is only ever replaced atomically by rename.
    let module = unsafe { Module::deserialize_file(engine(), &module_path) }.ok()?;
    Some((module, info))
}

/// Saves a compiled module; failures are ignored (the cache is an optimisation).
fn store(code_hash: &[u8; 32], module: &Module, info: &ModuleInfo) {
    let Some((module_path, info_path)) = paths(code_hash) else { return };
    let (Ok(serialized), Some(info_bytes)) = (module.serialize(), encode_info(info)) else { return };
    let unique = format!("{}.{:?}", std::process::id(), std::thread::current().id());
    let write = |path: &PathBuf, bytes: &[u8]| -> std::io::Result<()> {
        let tmp = path.with_extension(format!("tmp{}", unique.replace(|c: char| !c.is_ascii_alphanumeric(), "")));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    };
    // The info goes first: `load` needs both, and a module file without its info is never used.
    if write(&info_path, &info_bytes).is_ok() {
        let _ = write(&module_path, &serialized);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_info_round_trips() {
        let mut info = ModuleInfo::default();
        info.update_methods.insert("put".into());
        info.query_methods.insert("get".into());
        info.has_global_timer = true;
        info.globals = vec![walrus::ValType::I32, walrus::ValType::F64];
        info.custom_sections.push(("icp:public candid:service".into(), b"service : {}".to_vec()));
        let bytes = encode_info(&info).unwrap();
        assert_eq!(decode_info(&bytes), Some(info));
        assert_eq!(decode_info(b"garbage"), None);
    }
}
