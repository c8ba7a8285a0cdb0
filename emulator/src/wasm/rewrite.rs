//! Module validation (the IC's rules that matter to an emulator) and rewriting:
//! - export the function table (`__emu_table`): callbacks are table indices and Rust canisters do not export it;
//! - export every mutable global (`__emu_global_<i>`) so the host can save and restore them on rollback;
//! - remove the `(start)` function and export it (`__emu_start`), so the host decides when it runs;
//! - dirty-page instrumentation: before every store to the canister's memory, check a one-byte-per-4KiB-page
//!   bitmap kept in a second memory (`__emu_dirty`) and, if the page is not yet saved, call the host
//!   (`__emu.mark_page`) which copies the page into the undo log. Bulk memory writes call `__emu.mark_range`.
//!   A set bitmap byte for page p means pages p and p+1 are saved, so stores of up to 16 bytes that straddle a
//!   page boundary are covered by the check of their first byte.

use std::collections::BTreeSet;

use walrus::ir::{Instr, InstrLocId, InstrSeqId, StoreKind, Visitor};
use walrus::{FunctionId, LocalId, MemoryId, Module, ValType};

pub const TABLE_EXPORT: &str = "__emu_table";
pub const START_EXPORT: &str = "__emu_start";
pub const DIRTY_MEMORY_EXPORT: &str = "__emu_dirty";
/// The canister's own memory, exported under a fixed name whatever the module calls it.
pub const MEMORY_EXPORT: &str = "__emu_memory";
pub const GLOBAL_EXPORT_PREFIX: &str = "__emu_global_";
pub const HOST_MODULE: &str = "__emu";
/// Bytes per tracked page.
pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
/// One bitmap byte per 4 KiB page of a 4 GiB memory: 1 MiB = 16 wasm pages.
const DIRTY_MEMORY_PAGES: u64 = 16;

/// IC validity limits.
const MAX_FUNCTIONS: usize = 50_000;
const MAX_GLOBALS: usize = 1_000;
const MAX_METHODS: usize = 1_000;
const MAX_METHOD_NAME_BYTES: usize = 20_000;

/// What the emulator needs to know about a canister module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    pub update_methods: BTreeSet<String>,
    pub query_methods: BTreeSet<String>,
    pub composite_query_methods: BTreeSet<String>,
    pub has_init: bool,
    pub has_pre_upgrade: bool,
    pub has_post_upgrade: bool,
    pub has_heartbeat: bool,
    pub has_global_timer: bool,
    pub has_inspect_message: bool,
    pub has_on_low_wasm_memory: bool,
    pub has_memory: bool,
    pub has_table: bool,
    pub has_start: bool,
    /// Types of the exported mutable globals `__emu_global_<i>`, in order.
    pub globals: Vec<ValType>,
    /// `icp:public <name>` / `icp:private <name>` custom sections.
    pub custom_sections: Vec<(String, Vec<u8>)>,
}

impl ModuleInfo {
    pub fn has_enhanced_orthogonal_persistence(&self) -> bool {
        self.custom_sections.iter().any(|(n, _)| n == "icp:private enhanced-orthogonal-persistence")
    }
}

/// Validates and rewrites a (decompressed) module. The error says what is wrong with it.
pub fn rewrite(wasm: &[u8]) -> Result<(Vec<u8>, ModuleInfo), String> {
    let mut module = Module::from_buffer(wasm).map_err(|e| format!("Wasm module is invalid: {e:#}"))?;
    let mut info = ModuleInfo::default();
    check_limits(&module)?;
    read_exports(&module, &mut info)?;
    read_custom_sections(&module, &mut info)?;

    if let Some(import) = module.imports.iter().find(|i| i.module != "ic0") {
        return Err(format!(
            "Wasm module imports `{}.{}`: only the \"ic0\" module can be imported",
            import.module, import.name
        ));
    }

    let memories: Vec<MemoryId> = module.memories.iter().map(|m| m.id()).collect();
    if memories.len() > 1 {
        return Err("Wasm module defines more than one memory".into());
    }
    let canister_memory = memories.first().copied();
    if let Some(id) = canister_memory {
        let memory = module.memories.get(id);
        if memory.memory64 {
            return Err("64-bit (memory64) canisters are not supported by the emulator".into());
        }
        if memory.shared {
            return Err("Wasm module declares a shared memory".into());
        }
        if memory.import.is_some() {
            return Err("Wasm module imports its memory".into());
        }
        info.has_memory = true;
        module.exports.add(MEMORY_EXPORT, id);
    }

    if let Some(table) = module.tables.iter().next().map(|t| t.id()) {
        module.exports.add(TABLE_EXPORT, table);
        info.has_table = true;
    }
    let mutable: Vec<_> = module.globals.iter().filter(|g| g.mutable).map(|g| (g.id(), g.ty)).collect();
    for (index, (id, ty)) in mutable.into_iter().enumerate() {
        module.exports.add(&format!("{GLOBAL_EXPORT_PREFIX}{index}"), id);
        info.globals.push(ty);
    }
    if let Some(start) = module.start.take() {
        module.exports.add(START_EXPORT, start);
        info.has_start = true;
    }

    if let Some(memory) = canister_memory {
        instrument(&mut module, memory)?;
    }
    Ok((module.emit_wasm(), info))
}

fn check_limits(module: &Module) -> Result<(), String> {
    if module.funcs.iter().count() > MAX_FUNCTIONS {
        return Err(format!("Wasm module defines more than {MAX_FUNCTIONS} functions"));
    }
    if module.globals.iter().count() > MAX_GLOBALS {
        return Err(format!("Wasm module defines more than {MAX_GLOBALS} globals"));
    }
    Ok(())
}

fn read_exports(module: &Module, info: &mut ModuleInfo) -> Result<(), String> {
    let mut names = BTreeSet::new();
    let mut name_bytes = 0usize;
    for export in module.exports.iter() {
        let name = export.name.as_str();
        let is_func = matches!(export.item, walrus::ExportItem::Function(_));
        let (set, method) = if let Some(m) = name.strip_prefix("canister_update ") {
            (Some(&mut info.update_methods), m)
        } else if let Some(m) = name.strip_prefix("canister_query ") {
            (Some(&mut info.query_methods), m)
        } else if let Some(m) = name.strip_prefix("canister_composite_query ") {
            (Some(&mut info.composite_query_methods), m)
        } else {
            (None, "")
        };
        if let Some(set) = set {
            if !is_func {
                return Err(format!("Export `{name}` is not a function"));
            }
            if !names.insert(method.to_string()) {
                return Err(format!("Duplicate method `{method}` exported as more than one kind"));
            }
            name_bytes += method.len();
            set.insert(method.to_string());
            continue;
        }
        let flag = match name {
            "canister_init" => &mut info.has_init,
            "canister_pre_upgrade" => &mut info.has_pre_upgrade,
            "canister_post_upgrade" => &mut info.has_post_upgrade,
            "canister_heartbeat" => &mut info.has_heartbeat,
            "canister_global_timer" => &mut info.has_global_timer,
            "canister_inspect_message" => &mut info.has_inspect_message,
            "canister_on_low_wasm_memory" => &mut info.has_on_low_wasm_memory,
            other if other.starts_with("canister_") => {
                return Err(format!("Wasm module exports `{other}`, which is not a valid canister entry point"));
            }
            other if other.starts_with("__emu") => {
                return Err(format!("Wasm module exports `{other}`, a name reserved by the emulator"));
            }
            _ => continue,
        };
        if !is_func {
            return Err(format!("Export `{name}` is not a function"));
        }
        *flag = true;
    }
    if names.len() > MAX_METHODS {
        return Err(format!("Wasm module exports more than {MAX_METHODS} methods"));
    }
    if name_bytes > MAX_METHOD_NAME_BYTES {
        return Err(format!("Wasm module's exported method names exceed {MAX_METHOD_NAME_BYTES} bytes"));
    }
    // Entry points take no parameters and return nothing.
    for export in module.exports.iter() {
        if let walrus::ExportItem::Function(f) = export.item {
            if export.name.starts_with("canister_") {
                let ty = module.types.get(module.funcs.get(f).ty());
                if !ty.params().is_empty() || !ty.results().is_empty() {
                    return Err(format!("Entry point `{}` must have type () -> ()", export.name));
                }
            }
        }
    }
    Ok(())
}

fn read_custom_sections(module: &Module, info: &mut ModuleInfo) -> Result<(), String> {
    let ids = walrus::IdsToIndices::default();
    let mut total = 0usize;
    for (_, section) in module.customs.iter() {
        let name = section.name();
        if let Some(rest) = name.strip_prefix("icp:") {
            if !(rest.starts_with("public ") || rest.starts_with("private ")) {
                return Err(format!("Invalid custom section name `{name}`: expected `icp:public` or `icp:private`"));
            }
            let data = section.data(&ids).into_owned();
            total += data.len();
            info.custom_sections.push((name.to_string(), data));
        }
    }
    if info.custom_sections.len() > 16 {
        return Err("Wasm module has more than 16 `icp:` custom sections".into());
    }
    if total > 1 << 20 {
        return Err("Wasm module's `icp:` custom sections exceed 1 MiB".into());
    }
    Ok(())
}

/// Locals added to one function by the instrumentation (created on first use).
#[derive(Default)]
struct Scratch {
    addr: Option<LocalId>,
    page: Option<LocalId>,
    len: Option<LocalId>,
    other: Option<LocalId>,
    values: Vec<(ValType, LocalId)>,
}

impl Scratch {
    fn get(slot: &mut Option<LocalId>, module_locals: &mut walrus::ModuleLocals) -> LocalId {
        *slot.get_or_insert_with(|| module_locals.add(ValType::I32))
    }
    fn value(&mut self, ty: ValType, module_locals: &mut walrus::ModuleLocals) -> LocalId {
        if let Some((_, l)) = self.values.iter().find(|(t, _)| *t == ty) {
            return *l;
        }
        let l = module_locals.add(ty);
        self.values.push((ty, l));
        l
    }
}

struct Hooks {
    memory: MemoryId,
    dirty: MemoryId,
    mark_page: FunctionId,
    mark_range: FunctionId,
}

fn instrument(module: &mut Module, memory: MemoryId) -> Result<(), String> {
    let dirty = module.memories.add_local(false, false, DIRTY_MEMORY_PAGES, Some(DIRTY_MEMORY_PAGES), None);
    module.exports.add(DIRTY_MEMORY_EXPORT, dirty);
    let page_ty = module.types.add(&[ValType::I32], &[]);
    let range_ty = module.types.add(&[ValType::I32, ValType::I32], &[]);
    let (mark_page, _) = module.add_import_func(HOST_MODULE, "mark_page", page_ty);
    let (mark_range, _) = module.add_import_func(HOST_MODULE, "mark_range", range_ty);
    let hooks = Hooks { memory, dirty, mark_page, mark_range };

    let ids: Vec<FunctionId> = module.funcs.iter_local().map(|(id, _)| id).collect();
    for id in ids {
        let mut scratch = Scratch::default();
        let func = module.funcs.get_mut(id).kind.unwrap_local_mut();
        let mut seqs = SeqCollector::default();
        walrus::ir::dfs_in_order(&mut seqs, func, func.entry_block());
        for seq in seqs.ids {
            let old = std::mem::take(&mut func.block_mut(seq).instrs);
            let mut new = Vec::with_capacity(old.len());
            for (instr, loc) in old {
                expand(instr, loc, func, &mut module.locals, &mut scratch, &hooks, &mut new)?;
            }
            func.block_mut(seq).instrs = new;
        }
    }
    Ok(())
}

#[derive(Default)]
struct SeqCollector {
    ids: Vec<InstrSeqId>,
}

impl<'a> Visitor<'a> for SeqCollector {
    fn start_instr_seq(&mut self, seq: &'a walrus::ir::InstrSeq) {
        self.ids.push(seq.id());
    }
}

/// Pushes `instr` to `out`, preceded by the dirty-page check when it writes the canister's memory.
fn expand(
    instr: Instr,
    loc: InstrLocId,
    func: &mut walrus::LocalFunction,
    locals: &mut walrus::ModuleLocals,
    scratch: &mut Scratch,
    hooks: &Hooks,
    out: &mut Vec<(Instr, InstrLocId)>,
) -> Result<(), String> {
    use walrus::ir::*;
    match &instr {
        Instr::Store(Store { memory, kind, arg }) if *memory == hooks.memory => {
            if kind.atomic() {
                return Err("atomic instructions are not supported on the IC".into());
            }
            let value = scratch.value(store_value_type(kind), locals);
            let addr = Scratch::get(&mut scratch.addr, locals);
            let page = Scratch::get(&mut scratch.page, locals);
            out.push((LocalSet { local: value }.into(), loc));
            out.push((LocalTee { local: addr }.into(), loc));
            if arg.offset != 0 {
                // The offset fits in u32 for wasm32; a wrapped sum only marks a harmless extra page before the
                // store itself traps out of bounds.
                out.push((Const { value: Value::I32(arg.offset as u32 as i32) }.into(), loc));
                out.push((Binop { op: BinaryOp::I32Add }.into(), loc));
            }
            out.push((Const { value: Value::I32(PAGE_SHIFT as i32) }.into(), loc));
            out.push((Binop { op: BinaryOp::I32ShrU }.into(), loc));
            out.push((LocalTee { local: page }.into(), loc));
            let byte = MemArg { align: 1, offset: 0 };
            out.push((
                Load { memory: hooks.dirty, kind: LoadKind::I32_8 { kind: ExtendedLoad::ZeroExtend }, arg: byte }
                    .into(),
                loc,
            ));
            out.push((Unop { op: UnaryOp::I32Eqz }.into(), loc));
            let builder = func.builder_mut();
            let consequent = {
                let mut seq = builder.dangling_instr_seq(None);
                seq.local_get(page).call(hooks.mark_page);
                seq.id()
            };
            let alternative = builder.dangling_instr_seq(None).id();
            out.push((IfElse { consequent, alternative }.into(), loc));
            out.push((LocalGet { local: addr }.into(), loc));
            out.push((LocalGet { local: value }.into(), loc));
            out.push((instr, loc));
        }
        Instr::MemoryFill(MemoryFill { memory }) if *memory == hooks.memory => {
            range_check(loc, locals, scratch, hooks, out);
            out.push((instr, loc));
        }
        Instr::MemoryCopy(MemoryCopy { dst, .. }) if *dst == hooks.memory => {
            range_check(loc, locals, scratch, hooks, out);
            out.push((instr, loc));
        }
        Instr::MemoryInit(MemoryInit { memory, .. }) if *memory == hooks.memory => {
            range_check(loc, locals, scratch, hooks, out);
            out.push((instr, loc));
        }
        Instr::AtomicRmw(_) | Instr::Cmpxchg(_) | Instr::AtomicNotify(_) | Instr::AtomicWait(_) => {
            return Err("atomic instructions are not supported on the IC".into());
        }
        _ => out.push((instr, loc)),
    }
    Ok(())
}

/// For `memory.fill/copy/init` (stack: dst, x, len): save the destination range first.
fn range_check(
    loc: InstrLocId,
    locals: &mut walrus::ModuleLocals,
    scratch: &mut Scratch,
    hooks: &Hooks,
    out: &mut Vec<(Instr, InstrLocId)>,
) {
    use walrus::ir::*;
    let addr = Scratch::get(&mut scratch.addr, locals);
    let len = Scratch::get(&mut scratch.len, locals);
    let other = Scratch::get(&mut scratch.other, locals);
    out.push((LocalSet { local: len }.into(), loc));
    out.push((LocalSet { local: other }.into(), loc));
    out.push((LocalTee { local: addr }.into(), loc));
    out.push((LocalGet { local: len }.into(), loc));
    out.push((Call { func: hooks.mark_range }.into(), loc));
    out.push((LocalGet { local: addr }.into(), loc));
    out.push((LocalGet { local: other }.into(), loc));
    out.push((LocalGet { local: len }.into(), loc));
}

fn store_value_type(kind: &StoreKind) -> ValType {
    match kind {
        StoreKind::I32 { .. } | StoreKind::I32_8 { .. } | StoreKind::I32_16 { .. } => ValType::I32,
        StoreKind::I64 { .. } | StoreKind::I64_8 { .. } | StoreKind::I64_16 { .. } | StoreKind::I64_32 { .. } => {
            ValType::I64
        }
        StoreKind::F32 => ValType::F32,
        StoreKind::F64 => ValType::F64,
        StoreKind::V128 => ValType::V128,
    }
}
