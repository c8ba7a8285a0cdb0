//! ic0 stable memory imports (64-bit and the legacy 32-bit API). Stable memory lives host-side in the API state
//! during an execution; its own undo log makes a trap roll it back.

use wasmtime::Linker;

use super::context::allowed::ANY;
use super::host::{api, charge, trap, u, violation, Ctx, Host, HostResult};
use super::HostTrap;

/// The 32-bit API cannot address more than 4 GiB.
const MAX_32BIT_PAGES: u64 = 65_536;

pub fn link(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.func_wrap("ic0", "stable64_size", |mut c: Ctx<'_>| -> HostResult<i64> {
        Ok(api(&mut c, ANY, "stable64_size")?.stable.size_pages() as i64)
    })?;
    linker.func_wrap("ic0", "stable64_grow", |mut c: Ctx<'_>, new_pages: i64| -> HostResult<i64> {
        let a = api(&mut c, ANY, "stable64_grow")?;
        Ok(a.stable.grow(new_pages as u64).map_or(-1, |old| old as i64))
    })?;
    linker.func_wrap(
        "ic0",
        "stable64_write",
        |mut c: Ctx<'_>, offset: i64, src: i64, size: i64| -> HostResult<()> {
            write(&mut c, offset as u64, src as u64, size as u64, "stable64_write")
        },
    )?;
    linker.func_wrap("ic0", "stable64_read", |mut c: Ctx<'_>, dst: i64, offset: i64, size: i64| -> HostResult<()> {
        read(&mut c, dst as u64, offset as u64, size as u64, "stable64_read")
    })?;
    linker.func_wrap("ic0", "stable_size", |mut c: Ctx<'_>| -> HostResult<i32> {
        let pages = api(&mut c, ANY, "stable_size")?.stable.size_pages();
        if pages > MAX_32BIT_PAGES {
            return violation("ic0.stable_size: stable memory is larger than 4 GiB, use the 64-bit API");
        }
        Ok(pages as i32)
    })?;
    linker.func_wrap("ic0", "stable_grow", |mut c: Ctx<'_>, new_pages: i32| -> HostResult<i32> {
        let a = api(&mut c, ANY, "stable_grow")?;
        let old = a.stable.size_pages();
        if old > MAX_32BIT_PAGES {
            return violation("ic0.stable_grow: stable memory is larger than 4 GiB, use the 64-bit API");
        }
        if old + u(new_pages) > MAX_32BIT_PAGES {
            return Ok(-1);
        }
        Ok(a.stable.grow(u(new_pages)).map_or(-1, |old| old as i32))
    })?;
    linker.func_wrap("ic0", "stable_write", |mut c: Ctx<'_>, offset: i32, src: i32, size: i32| -> HostResult<()> {
        write(&mut c, u(offset), u(src), u(size), "stable_write")
    })?;
    linker.func_wrap("ic0", "stable_read", |mut c: Ctx<'_>, dst: i32, offset: i32, size: i32| -> HostResult<()> {
        read(&mut c, u(dst), u(offset), u(size), "stable_read")
    })?;
    Ok(())
}

/// Copies heap `[src, src+size)` into stable memory at `offset`, without an intermediate buffer.
fn write(c: &mut Ctx<'_>, offset: u64, src: u64, size: u64, import: &str) -> HostResult<()> {
    api(c, ANY, import)?;
    charge(c, size)?;
    let Some(memory) = c.data().memory else { return violation(format!("ic0.{import}: the canister has no memory")) };
    let (heap, host) = memory.data_and_store_mut(&mut *c);
    let range = heap_range(heap.len(), src, size, import)?;
    let Some(api) = host.api.as_mut() else { return violation(format!("ic0.{import} called outside of a message")) };
    api.stable.write(offset, &heap[range]).or_else(|e| out_of_bounds(import, e.offset, e.size, e.memory_bytes))
}

/// Copies stable memory `[offset, offset+size)` into the heap at `dst`, without an intermediate buffer.
fn read(c: &mut Ctx<'_>, dst: u64, offset: u64, size: u64, import: &str) -> HostResult<()> {
    api(c, ANY, import)?;
    charge(c, size)?;
    let Some(memory) = c.data().memory else { return violation(format!("ic0.{import}: the canister has no memory")) };
    let (heap, host) = memory.data_and_store_mut(&mut *c);
    let range = heap_range(heap.len(), dst, size, import)?;
    let Some(api) = host.api.as_ref() else { return violation(format!("ic0.{import} called outside of a message")) };
    if offset.checked_add(size).is_none_or(|end| end > api.stable.size_bytes()) {
        return out_of_bounds(import, offset, size, api.stable.size_bytes());
    }
    host.tracker.mark_range(heap, dst, size);
    api.stable.read(offset, &mut heap[range]).or_else(|e| out_of_bounds(import, e.offset, e.size, e.memory_bytes))
}

fn heap_range(heap_len: usize, addr: u64, size: u64, import: &str) -> HostResult<std::ops::Range<usize>> {
    match addr.checked_add(size) {
        Some(end) if end <= heap_len as u64 => Ok(addr as usize..end as usize),
        _ => trap(HostTrap::Trapped(format!(
            "ic0.{import}: heap out of bounds (address {addr}, size {size}, heap {heap_len} bytes)"
        ))),
    }
}

fn out_of_bounds<T>(import: &str, offset: u64, size: u64, memory_bytes: u64) -> HostResult<T> {
    trap(HostTrap::Trapped(format!(
        "ic0.{import}: stable memory out of bounds (offset {offset}, size {size}, stable memory {memory_bytes} bytes)"
    )))
}
