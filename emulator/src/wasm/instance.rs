//! A live canister instance: one wasmtime store with the instance, its heap, the dirty bitmap memory, the
//! function table and the mutable globals. `run` executes one entry point; the caller then `commit`s or
//! `rollback`s, so a transaction can span more than one run (pre_upgrade + post_upgrade).

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::{Global, Instance, Memory, Store, Table, Trap, TypedFunc, Val};

use super::engine::{engine, CompiledModule};
use super::rewrite::{DIRTY_MEMORY_EXPORT, GLOBAL_EXPORT_PREFIX, MEMORY_EXPORT, START_EXPORT, TABLE_EXPORT};
use crate::state::GlobalValue;
use crate::system_api::{ApiState, Host, HostTrap};

/// Which code to run.
#[derive(Clone, Copy, Debug)]
pub enum Entry<'a> {
    /// An exported function, e.g. `canister_update put`.
    Export(&'a str),
    /// The module's `(start)` function, if any.
    Start,
    /// A callback from the function table, called with its environment value.
    Callback { fun: u32, env: u64 },
}

/// Why an execution failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// Raised by a system API function (ic0.trap, contract violation, ...).
    Host(HostTrap),
    /// A wasm trap (unreachable, out-of-bounds access, ...), described as the replica does.
    Wasm(String),
    /// The instruction limit (fuel) ran out.
    OutOfInstructions,
}

/// The outcome of one run: the API state (with the effects to apply on success) and the instructions used.
pub struct Execution {
    pub api: ApiState,
    pub result: Result<(), ExecError>,
    pub instructions: u64,
}

pub struct LiveInstance {
    store: Store<Host>,
    instance: Instance,
    memory: Option<Memory>,
    dirty_memory: Option<Memory>,
    table: Option<Table>,
    globals: Vec<Global>,
    saved_globals: Vec<Val>,
    /// A run's changes are neither committed nor rolled back yet.
    pending: bool,
    module: Arc<CompiledModule>,
    exports: HashMap<String, TypedFunc<(), ()>>,
}

impl LiveInstance {
    /// Instantiates the module with a fresh heap (data segments applied, `(start)` not run).
    pub fn new(module: Arc<CompiledModule>, heap_limit: u64) -> Result<Self, String> {
        let mut store = Store::new(engine(), Host::new(heap_limit));
        store.limiter(|host| host as &mut dyn wasmtime::ResourceLimiter);
        let instance = module.pre.instantiate(&mut store).map_err(|e| format!("instantiation failed: {e:#}"))?;
        let memory = instance.get_memory(&mut store, MEMORY_EXPORT);
        let dirty_memory = instance.get_memory(&mut store, DIRTY_MEMORY_EXPORT);
        let table = instance.get_table(&mut store, TABLE_EXPORT);
        let globals = (0..module.info.globals.len())
            .map(|i| {
                instance
                    .get_global(&mut store, &format!("{GLOBAL_EXPORT_PREFIX}{i}"))
                    .ok_or_else(|| format!("rewritten module lacks global export {i}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        store.data_mut().memory = memory;
        store.data_mut().dirty_memory = dirty_memory;
        Ok(LiveInstance {
            store,
            instance,
            memory,
            dirty_memory,
            table,
            globals,
            saved_globals: Vec::new(),
            pending: false,
            module,
            exports: HashMap::new(),
        })
    }

    /// An instance of `module` whose heap and globals are set to the given values (snapshots, rollback after
    /// the heap grew).
    pub fn restore(
        module: Arc<CompiledModule>,
        heap_limit: u64,
        heap: &[u8],
        globals: &[GlobalValue],
    ) -> Result<Self, String> {
        let mut instance = Self::new(module, heap_limit)?;
        if let Some(memory) = instance.memory {
            let current = memory.data_size(&instance.store);
            if heap.len() > current {
                let pages = ((heap.len() - current) as u64).div_ceil(crate::stable::WASM_PAGE);
                memory.grow(&mut instance.store, pages).map_err(|e| format!("cannot restore heap: {e:#}"))?;
            }
            memory.data_mut(&mut instance.store)[..heap.len()].copy_from_slice(heap);
        }
        instance.set_globals(globals)?;
        Ok(instance)
    }

    pub fn module(&self) -> &Arc<CompiledModule> {
        &self.module
    }

    pub fn heap_size(&self) -> u64 {
        self.memory.map_or(0, |m| m.data_size(&self.store) as u64)
    }

    pub fn heap_copy(&self) -> Vec<u8> {
        self.memory.map_or_else(Vec::new, |m| m.data(&self.store).to_vec())
    }

    pub fn global_values(&mut self) -> Vec<GlobalValue> {
        let globals = self.globals.clone();
        globals.iter().map(|g| to_global_value(g.get(&mut self.store))).collect()
    }

    /// Sets the mutable globals; an empty slice keeps the module's initial values.
    fn set_globals(&mut self, values: &[GlobalValue]) -> Result<(), String> {
        if values.is_empty() {
            return Ok(());
        }
        if values.len() != self.globals.len() {
            return Err("snapshot globals do not match the module".into());
        }
        for (global, value) in self.globals.clone().iter().zip(values) {
            global.set(&mut self.store, from_global_value(*value)).map_err(|e| format!("cannot set global: {e:#}"))?;
        }
        Ok(())
    }

    /// Applies a new `wasm_memory_limit` (0 = the 4 GiB wasm32 maximum).
    pub fn set_heap_limit(&mut self, limit: u64) {
        self.store.data_mut().heap_limit = limit;
    }

    /// Whether the module exports `name`.
    pub fn has_export(&mut self, name: &str) -> bool {
        self.instance.get_func(&mut self.store, name).is_some()
    }

    /// Runs one entry point with `fuel` instructions. Effects stay pending until `commit` or `rollback`.
    pub fn run(&mut self, entry: Entry<'_>, api: ApiState, fuel: u64) -> Execution {
        // A run on an instance with uncommitted changes continues that transaction (upgrades, composite
        // queries): the undo log keeps the state from before the first run.
        if !self.pending {
            let heap_bytes = self.memory.map_or(0, |m| m.data_size(&self.store));
            self.store.data_mut().tracker.begin(heap_bytes);
            self.saved_globals = self.globals.clone().iter().map(|g| g.get(&mut self.store)).collect();
        }
        self.store.data_mut().api = Some(api);
        self.pending = true;
        let _ = self.store.set_fuel(fuel);
        let result = self.call(entry);
        let remaining = self.store.get_fuel().unwrap_or(0);
        let api = self.store.data_mut().api.take().expect("api state is set for the whole run");
        Execution { api, result, instructions: fuel.saturating_sub(remaining) }
    }

    fn call(&mut self, entry: Entry<'_>) -> Result<(), ExecError> {
        let outcome = match entry {
            Entry::Export(name) => match self.export(name) {
                Some(func) => func.call(&mut self.store, ()),
                None => return Ok(()),
            },
            Entry::Start => match self.export(START_EXPORT) {
                Some(func) => func.call(&mut self.store, ()),
                None => return Ok(()),
            },
            Entry::Callback { fun, env } => {
                let func = self
                    .table
                    .and_then(|t| t.get(&mut self.store, u64::from(fun)))
                    .and_then(|r| r.as_func().flatten().copied())
                    .ok_or_else(|| ExecError::Wasm(format!("callback {fun} is not a function in the table")))?;
                let typed = func.typed::<i32, ()>(&self.store).map_err(|_| {
                    ExecError::Host(HostTrap::ContractViolation(format!(
                        "callback {fun} does not have type (i32) -> ()"
                    )))
                })?;
                typed.call(&mut self.store, env as u32 as i32)
            }
        };
        outcome.map_err(classify)
    }

    fn export(&mut self, name: &str) -> Option<TypedFunc<(), ()>> {
        if let Some(f) = self.exports.get(name) {
            return Some(f.clone());
        }
        let func = self.instance.get_typed_func::<(), ()>(&mut self.store, name).ok()?;
        self.exports.insert(name.to_string(), func.clone());
        Some(func)
    }

    /// Keeps the last run's heap and global changes.
    pub fn commit(&mut self) {
        self.pending = false;
        let Some(dirty) = self.dirty_memory else { return };
        let (bitmap, host) = dirty.data_and_store_mut(&mut self.store);
        host.tracker.commit(bitmap);
    }

    /// Undoes the last run's heap and global changes. If the heap grew, the instance is rebuilt with the old
    /// size (wasm memories cannot shrink); that copies the heap once, which only happens after a trap.
    pub fn rollback(&mut self) -> Result<(), String> {
        if !std::mem::replace(&mut self.pending, false) {
            return Ok(());
        }
        for (global, value) in self.globals.clone().iter().zip(self.saved_globals.clone()) {
            let _ = global.set(&mut self.store, value);
        }
        let (Some(memory), Some(dirty)) = (self.memory, self.dirty_memory) else { return Ok(()) };
        let start_size = self.store.data().tracker.start_heap_bytes();
        let mut tracker = std::mem::take(&mut self.store.data_mut().tracker);
        if memory.data_size(&self.store) == start_size {
            tracker.restore(memory.data_mut(&mut self.store));
            tracker.commit(dirty.data_mut(&mut self.store));
            self.store.data_mut().tracker = tracker;
            return Ok(());
        }
        let mut heap = memory.data(&self.store)[..start_size].to_vec();
        tracker.restore(&mut heap);
        tracker.commit(dirty.data_mut(&mut self.store));
        let globals: Vec<GlobalValue> = self.saved_globals.iter().cloned().map(to_global_value).collect();
        let heap_limit = self.store.data().heap_limit;
        *self = Self::restore(self.module.clone(), heap_limit, &heap, &globals)?;
        Ok(())
    }

    /// Instructions limit helper for the host: the store's remaining fuel.
    pub fn remaining_fuel(&self) -> u64 {
        self.store.get_fuel().unwrap_or(0)
    }
}

fn classify(error: wasmtime::Error) -> ExecError {
    if let Some(host) = error.downcast_ref::<HostTrap>() {
        return ExecError::Host(host.clone());
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => ExecError::OutOfInstructions,
        Some(Trap::UnreachableCodeReached) => ExecError::Wasm("unreachable".into()),
        Some(Trap::MemoryOutOfBounds) => ExecError::Wasm("heap out of bounds".into()),
        Some(Trap::TableOutOfBounds) => ExecError::Wasm("table out of bounds".into()),
        Some(Trap::IndirectCallToNull) => ExecError::Wasm("uninitialized element".into()),
        Some(Trap::BadSignature) => ExecError::Wasm("indirect call type mismatch".into()),
        Some(Trap::IntegerDivisionByZero) => ExecError::Wasm("integer division by 0".into()),
        Some(Trap::IntegerOverflow) => ExecError::Wasm("integer overflow".into()),
        Some(Trap::BadConversionToInteger) => ExecError::Wasm("invalid conversion to integer".into()),
        Some(Trap::StackOverflow) => ExecError::Wasm("stack overflow".into()),
        Some(other) => ExecError::Wasm(other.to_string()),
        None => ExecError::Wasm(format!("{error:#}")),
    }
}

fn to_global_value(value: Val) -> GlobalValue {
    match value {
        Val::I32(v) => GlobalValue::I32(v),
        Val::I64(v) => GlobalValue::I64(v),
        Val::F32(v) => GlobalValue::F32(v),
        Val::F64(v) => GlobalValue::F64(v),
        _ => GlobalValue::I32(0),
    }
}

fn from_global_value(value: GlobalValue) -> Val {
    match value {
        GlobalValue::I32(v) => Val::I32(v),
        GlobalValue::I64(v) => Val::I64(v),
        GlobalValue::F32(v) => Val::F32(v),
        GlobalValue::F64(v) => Val::F64(v),
    }
}
