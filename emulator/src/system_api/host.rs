//! The store data every host function sees, and the helpers to move bytes between the heap and the host with
//! bounds checks and dirty-page tracking (a host write into the heap is rolled back like a wasm store).

use wasmtime::{Caller, Linker, Memory, ResourceLimiter};

use super::context::{ApiState, HostTrap};
use crate::wasm::DirtyTracker;

/// Store data of a canister instance.
pub struct Host {
    /// Set for the duration of one run.
    pub api: Option<ApiState>,
    pub tracker: DirtyTracker,
    pub memory: Option<Memory>,
    pub dirty_memory: Option<Memory>,
    /// `wasm_memory_limit`: memory.grow beyond it fails.
    pub heap_limit: u64,
}

impl Host {
    pub fn new(heap_limit: u64) -> Self {
        Host { api: None, tracker: DirtyTracker::default(), memory: None, dirty_memory: None, heap_limit }
    }
}

/// wasm32 heaps are at most 4 GiB.
const MAX_HEAP_BYTES: u64 = 4 << 30;

impl ResourceLimiter for Host {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let limit = if self.heap_limit == 0 { MAX_HEAP_BYTES } else { self.heap_limit.min(MAX_HEAP_BYTES) };
        Ok(desired as u64 <= limit)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

pub type Ctx<'a> = Caller<'a, Host>;
pub type HostResult<T> = wasmtime::Result<T>;

pub fn trap<T>(error: HostTrap) -> HostResult<T> {
    Err(wasmtime::Error::new(error))
}

pub fn violation<T>(message: impl Into<String>) -> HostResult<T> {
    trap(HostTrap::ContractViolation(message.into()))
}

/// The API state, checking the import is allowed in the current context.
pub fn api<'a>(caller: &'a mut Ctx<'_>, allowed_set: u32, import: &str) -> HostResult<&'a mut ApiState> {
    match caller.data_mut().api.as_mut() {
        Some(api) => {
            api.check(allowed_set, import).map_err(wasmtime::Error::new)?;
            Ok(api)
        }
        None => violation(format!("ic0.{import} called outside of a message execution")),
    }
}

fn memory(caller: &Ctx<'_>, import: &str) -> HostResult<Memory> {
    match caller.data().memory {
        Some(m) => Ok(m),
        None => violation(format!("ic0.{import}: the canister has no memory")),
    }
}

fn range(heap_len: usize, addr: u64, size: u64, import: &str) -> HostResult<std::ops::Range<usize>> {
    match addr.checked_add(size) {
        Some(end) if end <= heap_len as u64 => Ok(addr as usize..end as usize),
        _ => trap(HostTrap::Trapped(format!(
            "ic0.{import}: heap out of bounds (address {addr}, size {size}, heap {heap_len} bytes)"
        ))),
    }
}

/// Charges `instructions` against the execution's fuel, as the IC charges system calls for the bytes they copy.
pub fn charge(caller: &mut Ctx<'_>, instructions: u64) -> HostResult<()> {
    let fuel = caller.get_fuel().unwrap_or(0);
    if fuel < instructions {
        let _ = caller.set_fuel(0);
        return Err(wasmtime::Trap::OutOfFuel.into());
    }
    caller.set_fuel(fuel - instructions)
}

/// Copies `size` bytes of the heap at `src`.
pub fn read_heap(caller: &mut Ctx<'_>, src: u64, size: u64, import: &str) -> HostResult<Vec<u8>> {
    if size == 0 {
        return Ok(Vec::new());
    }
    charge(caller, size)?;
    let memory = memory(caller, import)?;
    let heap = memory.data(&*caller);
    let r = range(heap.len(), src, size, import)?;
    Ok(heap[r].to_vec())
}

/// Writes `bytes` into the heap at `dst`, saving the touched pages first.
pub fn write_heap(caller: &mut Ctx<'_>, dst: u64, bytes: &[u8], import: &str) -> HostResult<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    charge(caller, bytes.len() as u64)?;
    let memory = memory(caller, import)?;
    let (heap, host) = memory.data_and_store_mut(&mut *caller);
    let r = range(heap.len(), dst, bytes.len() as u64, import)?;
    host.tracker.mark_range(heap, dst, bytes.len() as u64);
    heap[r].copy_from_slice(bytes);
    Ok(())
}

/// The `*_copy(dst, offset, size)` pattern: copies `source[offset..offset+size]` to the heap, trapping if the
/// range is outside the source or the heap. `source` selects bytes of the API state without cloning them.
pub fn copy_out(
    caller: &mut Ctx<'_>,
    dst: u64,
    offset: u64,
    size: u64,
    import: &str,
    source: impl FnOnce(&ApiState) -> &[u8],
) -> HostResult<()> {
    charge(caller, size)?;
    let memory = memory(caller, import)?;
    let (heap, host) = memory.data_and_store_mut(&mut *caller);
    let Some(api) = host.api.as_ref() else { return violation(format!("ic0.{import} called outside of a message")) };
    let src = source(api);
    let end = match offset.checked_add(size) {
        Some(end) if end <= src.len() as u64 => end as usize,
        _ => {
            return violation(format!(
                "ic0.{import}: offset {offset} + size {size} exceeds the data size {}",
                src.len()
            ))
        }
    };
    let r = range(heap.len(), dst, size, import)?;
    host.tracker.mark_range(heap, dst, size);
    heap[r].copy_from_slice(&src[offset as usize..end]);
    Ok(())
}

/// Writes a little-endian u128 to the heap (the `*128(dst)` imports).
pub fn write_u128(caller: &mut Ctx<'_>, dst: u64, value: u128, import: &str) -> HostResult<()> {
    write_heap(caller, dst, &value.to_le_bytes(), import)
}

/// Joins the (high, low) halves of a 128-bit argument.
pub fn u128_from(high: i64, low: i64) -> u128 {
    ((high as u64 as u128) << 64) | (low as u64 as u128)
}

/// Pointer/size arguments of wasm32 imports are unsigned.
pub fn u(value: i32) -> u64 {
    value as u32 as u64
}

/// Defines the dirty-page hooks the instrumentation calls.
pub fn link_hooks(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    use crate::wasm::rewrite::HOST_MODULE;
    linker.func_wrap(HOST_MODULE, "mark_page", |mut caller: Ctx<'_>, page: i32| -> HostResult<()> {
        let (Some(memory), Some(dirty)) = (caller.data().memory, caller.data().dirty_memory) else { return Ok(()) };
        let (heap, host) = memory.data_and_store_mut(&mut caller);
        host.tracker.save_for_page(heap, page as u32);
        let (bitmap, host) = dirty.data_and_store_mut(&mut caller);
        host.tracker.set_marked(bitmap, page as u32);
        Ok(())
    })?;
    linker.func_wrap(HOST_MODULE, "mark_range", |mut caller: Ctx<'_>, addr: i32, len: i32| -> HostResult<()> {
        let Some(memory) = caller.data().memory else { return Ok(()) };
        let (heap, host) = memory.data_and_store_mut(&mut caller);
        host.tracker.mark_range(heap, u(addr), u(len));
        Ok(())
    })?;
    Ok(())
}
