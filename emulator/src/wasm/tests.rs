//! Module rewriting and instance rollback on a small hand-built module (no canister toolchain needed).

use candid::Principal;
use walrus::ir::{BinaryOp, MemArg, StoreKind, Value};
use walrus::{ConstExpr, ElementItems, ElementKind, FunctionBuilder, Module, RefType, ValType};

use super::rewrite::{rewrite, DIRTY_MEMORY_EXPORT, START_EXPORT, TABLE_EXPORT};
use super::{compile, Entry, ExecError, LiveInstance};
use crate::system_api::{ApiState, EntryKind};

const I32: StoreKind = StoreKind::I32 { atomic: false };

/// memory (2 pages), a mutable global, a start function writing heap[300] = 1, a table holding one callback
/// `(env) -> heap[200] = env`, and update methods that write and then trap or not.
fn test_module() -> Vec<u8> {
    let mut m = Module::default();
    let mem = m.memories.add_local(false, false, 2, None, None);
    m.exports.add("memory", mem);
    let g = m.globals.add_local(ValType::I32, true, false, ConstExpr::Value(Value::I32(0)));
    let arg = |offset| MemArg { align: 2, offset };

    let write = |m: &mut Module, name: &str, trap: bool, grow: bool| {
        let mut f = FunctionBuilder::new(&mut m.types, &[], &[]);
        let mut body = f.func_body();
        body.i32_const(100).i32_const(42).store(mem, I32, arg(4000));
        body.i32_const(70_000).i32_const(43).store(mem, I32, arg(0));
        // Straddles the boundary between pages 0 and 1 (4092..4100).
        body.i32_const(4092).i64_const(-1).store(mem, StoreKind::I64 { atomic: false }, MemArg { align: 3, offset: 0 });
        body.i32_const(8000).i32_const(9).i32_const(100).memory_fill(mem);
        body.i32_const(7).global_set(g);
        if grow {
            body.i32_const(1).memory_grow(mem).drop();
            body.i32_const(131_080).i32_const(5).store(mem, I32, arg(0));
        }
        if trap {
            body.unreachable();
        }
        let id = f.finish(vec![], &mut m.funcs);
        m.exports.add(name, id);
    };
    write(&mut m, "canister_update write", false, false);
    write(&mut m, "canister_update write_then_trap", true, false);
    write(&mut m, "canister_update grow_then_trap", true, true);

    let env = m.locals.add(ValType::I32);
    let mut f = FunctionBuilder::new(&mut m.types, &[ValType::I32], &[]);
    f.func_body().i32_const(200).local_get(env).store(mem, I32, arg(0));
    let callback = f.finish(vec![env], &mut m.funcs);
    let table = m.tables.add_local(false, 1, Some(1), RefType::FUNCREF);
    m.elements.add(
        ElementKind::Active { table, offset: ConstExpr::Value(Value::I32(0)) },
        ElementItems::Functions(vec![callback]),
    );

    let mut f = FunctionBuilder::new(&mut m.types, &[], &[]);
    f.func_body().i32_const(300).i32_const(1).store(mem, I32, arg(0));
    let start = f.finish(vec![], &mut m.funcs);
    m.start = Some(start);

    // A function that computes but does not store: instrumentation must leave it alone.
    let mut f = FunctionBuilder::new(&mut m.types, &[], &[ValType::I32]);
    f.func_body().i32_const(2).i32_const(3).binop(BinaryOp::I32Add);
    let pure = f.finish(vec![], &mut m.funcs);
    m.exports.add("pure", pure);
    m.emit_wasm()
}

fn api(kind: EntryKind) -> ApiState {
    ApiState::new(kind, Principal::anonymous(), Principal::anonymous(), 0)
}

fn read_u32(instance: &LiveInstance, addr: usize) -> u32 {
    let heap = instance.heap_copy();
    u32::from_le_bytes(heap[addr..addr + 4].try_into().unwrap())
}

fn fresh() -> LiveInstance {
    let module = compile(&test_module()).expect("test module compiles");
    let mut instance = LiveInstance::new(module, 0).unwrap();
    let run = instance.run(Entry::Start, api(EntryKind::Start), 1_000_000);
    assert_eq!(run.result, Ok(()));
    instance.commit();
    instance
}

#[test]
fn rewriting_exports_table_globals_start_and_the_dirty_bitmap() {
    let (bytes, info) = rewrite(&test_module()).unwrap();
    let module = Module::from_buffer(&bytes).unwrap();
    let exports: Vec<&str> = module.exports.iter().map(|e| e.name.as_str()).collect();
    for name in [TABLE_EXPORT, START_EXPORT, DIRTY_MEMORY_EXPORT, "__emu_global_0"] {
        assert!(exports.contains(&name), "{name} not exported: {exports:?}");
    }
    assert!(module.start.is_none(), "the start function is run by the host, not by instantiation");
    assert_eq!(info.update_methods.len(), 3);
    assert!(info.has_start && info.has_table && info.has_memory);
    assert_eq!(info.globals, vec![ValType::I32]);
}

#[test]
fn invalid_modules_are_refused_with_a_reason() {
    assert!(rewrite(b"\0asm\x01\0\0\0garbage").unwrap_err().contains("invalid"));
    let mut m = Module::default();
    let ty = m.types.add(&[], &[]);
    m.add_import_func("env", "foo", ty);
    let err = rewrite(&m.emit_wasm()).unwrap_err();
    assert!(err.contains("env.foo"), "{err}");
    let mut m = Module::default();
    let f =
        FunctionBuilder::new(&mut m.types, &[ValType::I32], &[]).finish(vec![m.locals.add(ValType::I32)], &mut m.funcs);
    m.exports.add("canister_update bad", f);
    assert!(rewrite(&m.emit_wasm()).unwrap_err().contains("() -> ()"));
    let mut m = Module::default();
    let f = FunctionBuilder::new(&mut m.types, &[], &[]).finish(vec![], &mut m.funcs);
    m.exports.add("canister_query x", f);
    m.exports.add("canister_update x", f);
    assert!(rewrite(&m.emit_wasm()).unwrap_err().contains("Duplicate"));
}

#[test]
fn start_runs_only_when_asked() {
    let module = compile(&test_module()).unwrap();
    let instance = LiveInstance::new(module, 0).unwrap();
    assert_eq!(read_u32(&instance, 300), 0);
    assert_eq!(read_u32(&fresh(), 300), 1);
}

#[test]
fn a_trap_rolls_back_heap_stores_fills_and_globals() {
    let mut instance = fresh();
    let before = instance.heap_copy();
    let run = instance.run(Entry::Export("canister_update write_then_trap"), api(EntryKind::Update), 1_000_000);
    assert_eq!(run.result, Err(ExecError::Wasm("unreachable".into())));
    instance.rollback().unwrap();
    assert!(instance.heap_copy() == before, "heap restored");
    assert_eq!(instance.global_values(), vec![crate::state::GlobalValue::I32(0)]);
}

#[test]
fn a_commit_keeps_the_changes_and_resets_the_bitmap() {
    let mut instance = fresh();
    let run = instance.run(Entry::Export("canister_update write"), api(EntryKind::Update), 1_000_000);
    assert_eq!(run.result, Ok(()));
    assert!(run.instructions > 0);
    instance.commit();
    assert_eq!(read_u32(&instance, 4100), 42);
    assert_eq!(read_u32(&instance, 70_000), 43);
    assert_eq!(&instance.heap_copy()[4092..4100], &[0xff; 8]);
    assert_eq!(instance.heap_copy()[8050], 9);
    // The next run is tracked from scratch: its trap rolls back to the committed state.
    let committed = instance.heap_copy();
    let run = instance.run(Entry::Export("canister_update write_then_trap"), api(EntryKind::Update), 1_000_000);
    assert!(run.result.is_err());
    instance.rollback().unwrap();
    assert!(instance.heap_copy() == committed);
}

#[test]
fn a_trap_after_memory_grow_restores_the_old_size() {
    let mut instance = fresh();
    let before = instance.heap_copy();
    let run = instance.run(Entry::Export("canister_update grow_then_trap"), api(EntryKind::Update), 1_000_000);
    assert!(run.result.is_err());
    instance.rollback().unwrap();
    assert_eq!(instance.heap_size(), 2 * 65_536);
    assert!(instance.heap_copy() == before);
    // The rebuilt instance keeps working.
    let run = instance.run(Entry::Export("canister_update write"), api(EntryKind::Update), 1_000_000);
    assert_eq!(run.result, Ok(()));
}

#[test]
fn callbacks_are_called_through_the_table_and_fuel_limits_execution() {
    let mut instance = fresh();
    let run = instance.run(Entry::Callback { fun: 0, env: 77 }, api(EntryKind::ReplyCallback), 1_000_000);
    assert_eq!(run.result, Ok(()));
    instance.commit();
    assert_eq!(read_u32(&instance, 200), 77);
    let run = instance.run(Entry::Callback { fun: 5, env: 0 }, api(EntryKind::ReplyCallback), 1_000_000);
    assert!(matches!(run.result, Err(ExecError::Wasm(_))));
    instance.rollback().unwrap();
    // Fuel is checked at function entries and loop headers, so only an empty budget stops this straight code.
    let run = instance.run(Entry::Export("canister_update write"), api(EntryKind::Update), 0);
    assert_eq!(run.result, Err(ExecError::OutOfInstructions));
    instance.rollback().unwrap();
    assert_eq!(read_u32(&instance, 4100), 0);
}

#[test]
fn modules_are_compiled_once_per_hash() {
    let bytes = test_module();
    let a = compile(&bytes).unwrap();
    let b = compile(&bytes).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}
