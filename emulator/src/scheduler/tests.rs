//! Scheduler behaviour on two hand-built canisters (no canister toolchain needed):
//! - `sender.send(callee)` performs three calls `callee.log([i])` for i = 0, 1, 2 in one execution, then replies;
//! - `logger.log([b])` appends the byte to its stable memory; `logger.log_then_trap` does the same, then traps.

use candid::Principal;
use ic_management_canister_types::CanisterInstallMode;
use walrus::ir::{BinaryOp, MemArg, StoreKind, Value};
use walrus::{ConstExpr, DataKind, ElementItems, ElementKind, FunctionBuilder, FunctionId, Module, RefType, ValType};

use crate::errors::ErrorCode;
use crate::state::{Subnet, SubnetConfig, DEFAULT_PROVISIONAL_CYCLES};

fn import(m: &mut Module, name: &str, params: &[ValType], results: &[ValType]) -> FunctionId {
    let ty = m.types.add(params, results);
    m.add_import_func("ic0", name, ty).0
}

fn export(m: &mut Module, name: &str, build: impl FnOnce(&mut walrus::InstrSeqBuilder)) {
    let mut f = FunctionBuilder::new(&mut m.types, &[], &[]);
    build(&mut f.func_body());
    let id = f.finish(vec![], &mut m.funcs);
    m.exports.add(name, id);
}

fn sender_module() -> Vec<u8> {
    use ValType::I32;
    let mut m = Module::default();
    let arg_size = import(&mut m, "msg_arg_data_size", &[], &[I32]);
    let arg_copy = import(&mut m, "msg_arg_data_copy", &[I32, I32, I32], &[]);
    let call_new = import(&mut m, "call_new", &[I32; 8], &[]);
    let append = import(&mut m, "call_data_append", &[I32, I32], &[]);
    let perform = import(&mut m, "call_perform", &[], &[I32]);
    let reply = import(&mut m, "msg_reply", &[], &[]);
    let mem = m.memories.add_local(false, false, 1, None, None);
    m.data.add(DataKind::Active { memory: mem, offset: ConstExpr::Value(Value::I32(100)) }, b"log".to_vec());
    let env = m.locals.add(I32);
    let mut cb = FunctionBuilder::new(&mut m.types, &[I32], &[]);
    cb.func_body();
    let callback = cb.finish(vec![env], &mut m.funcs);
    let table = m.tables.add_local(false, 1, Some(1), RefType::FUNCREF);
    m.elements.add(
        ElementKind::Active { table, offset: ConstExpr::Value(Value::I32(0)) },
        ElementItems::Functions(vec![callback]),
    );
    export(&mut m, "canister_update send", |body| {
        body.i32_const(0).i32_const(0).call(arg_size).call(arg_copy);
        for i in 0..3 {
            body.i32_const(200).i32_const(i).store(
                mem,
                StoreKind::I32_8 { atomic: false },
                MemArg { align: 0, offset: 0 },
            );
            body.i32_const(0).call(arg_size).i32_const(100).i32_const(3);
            body.i32_const(0).i32_const(0).i32_const(0).i32_const(0).call(call_new);
            body.i32_const(200).i32_const(1).call(append);
            body.call(perform).drop();
        }
        body.call(reply);
    });
    m.emit_wasm()
}

fn logger_module() -> Vec<u8> {
    use ValType::{I32, I64};
    let mut m = Module::default();
    let arg_copy = import(&mut m, "msg_arg_data_copy", &[I32, I32, I32], &[]);
    let grow = import(&mut m, "stable64_grow", &[I64], &[I64]);
    let write = import(&mut m, "stable64_write", &[I64, I64, I64], &[]);
    let reply = import(&mut m, "msg_reply", &[], &[]);
    let mem = m.memories.add_local(false, false, 1, None, None);
    let count = m.globals.add_local(I32, true, false, ConstExpr::Value(Value::I32(0)));
    let log = |body: &mut walrus::InstrSeqBuilder| {
        body.global_get(count).unop(walrus::ir::UnaryOp::I32Eqz).if_else(
            None,
            |then| {
                then.i64_const(1).call(grow).drop();
            },
            |_| {},
        );
        body.i32_const(0).i32_const(0).i32_const(1).call(arg_copy);
        body.global_get(count).unop(walrus::ir::UnaryOp::I64ExtendUI32).i64_const(0).i64_const(1).call(write);
        body.global_get(count).i32_const(1).binop(BinaryOp::I32Add).global_set(count);
        body.call(reply);
    };
    export(&mut m, "canister_update log", log);
    export(&mut m, "canister_update log_then_trap", |body| {
        log(body);
        body.unreachable();
    });
    let _ = mem;
    m.emit_wasm()
}

fn subnet_with(modules: &[Vec<u8>]) -> (Subnet, Vec<Principal>) {
    let mut subnet = Subnet::new(1_000, 0, SubnetConfig::default());
    let mut ids = Vec::new();
    for wasm in modules {
        let id = subnet.create_canister_entry(None, vec![Principal::anonymous()], DEFAULT_PROVISIONAL_CYCLES).unwrap();
        subnet.install_code(id, CanisterInstallMode::Install, wasm, &[], Principal::anonymous()).unwrap();
        ids.push(id);
    }
    (subnet, ids)
}

fn stable_prefix(subnet: &Subnet, id: &Principal, n: usize) -> Vec<u8> {
    subnet.canister(id).unwrap().stable.to_vec().into_iter().take(n).collect()
}

#[test]
fn calls_between_a_pair_of_canisters_arrive_in_order() {
    let (mut subnet, ids) = subnet_with(&[sender_module(), logger_module()]);
    let (sender, logger) = (ids[0], ids[1]);
    let first = subnet.submit_ingress(sender, Principal::anonymous(), "send", logger.as_slice().to_vec()).unwrap();
    let second = subnet.submit_ingress(sender, Principal::anonymous(), "send", logger.as_slice().to_vec()).unwrap();
    assert_eq!(subnet.await_ingress(first), Ok(Vec::new()));
    assert_eq!(subnet.await_ingress(second), Ok(Vec::new()));
    subnet.tick();
    assert_eq!(stable_prefix(&subnet, &logger, 6), vec![0, 1, 2, 0, 1, 2]);
    assert_eq!(subnet.scheduler.contexts.len(), 0, "every call context is closed");
    assert_eq!(subnet.scheduler.callbacks.len(), 0, "every callback ran");
}

#[test]
fn a_trapping_update_keeps_neither_stable_writes_nor_globals() {
    let (mut subnet, ids) = subnet_with(&[logger_module()]);
    let logger = ids[0];
    let ok = subnet.submit_ingress(logger, Principal::anonymous(), "log", vec![7]).unwrap();
    assert!(subnet.await_ingress(ok).is_ok());
    let trap = subnet.submit_ingress(logger, Principal::anonymous(), "log_then_trap", vec![8]).unwrap();
    let reject = subnet.await_ingress(trap).unwrap_err();
    assert_eq!(reject.error_code, ErrorCode::CanisterTrapped);
    let ok = subnet.submit_ingress(logger, Principal::anonymous(), "log", vec![9]).unwrap();
    assert!(subnet.await_ingress(ok).is_ok());
    // The trapped message neither wrote byte 1 nor advanced the counter global.
    assert_eq!(stable_prefix(&subnet, &logger, 3), vec![7, 9, 0]);
    assert_eq!(subnet.canister(&logger).unwrap().version, 3, "install + two committed updates");
}

#[test]
fn a_round_respects_its_execution_budget() {
    let config = SubnetConfig { max_executions_per_round: 1, ..SubnetConfig::default() };
    let (mut subnet, ids) = subnet_with(&[sender_module(), logger_module()]);
    subnet.config = config;
    let (sender, logger) = (ids[0], ids[1]);
    subnet.submit_ingress(sender, Principal::anonymous(), "send", logger.as_slice().to_vec()).unwrap();
    subnet.tick();
    assert_eq!(subnet.scheduler.queue.len(), 3, "send ran, its three calls wait for the next round");
    let version = |subnet: &Subnet| subnet.canister(&logger).unwrap().version;
    assert_eq!(version(&subnet), 1, "only installed so far");
    subnet.tick();
    assert_eq!(version(&subnet), 2, "one call per round");
    subnet.tick();
    assert_eq!(version(&subnet), 3);
}

/// `query get` replies `[42]` after writing heap[0] (a write that must not survive).
fn getter_module() -> Vec<u8> {
    use ValType::I32;
    let mut m = Module::default();
    let append = import(&mut m, "msg_reply_data_append", &[I32, I32], &[]);
    let reply = import(&mut m, "msg_reply", &[], &[]);
    let mem = m.memories.add_local(false, false, 1, None, None);
    m.data.add(DataKind::Active { memory: mem, offset: ConstExpr::Value(Value::I32(10)) }, vec![42]);
    export(&mut m, "canister_query get", |body| {
        body.i32_const(10).i32_const(1).call(append).call(reply);
        body.i32_const(10).i32_const(7).store(mem, StoreKind::I32_8 { atomic: false }, MemArg { align: 0, offset: 0 });
    });
    m.emit_wasm()
}

/// `composite_query relay(callee)`: calls `callee.get`, or `callee.relay` when the argument is 30 bytes
/// (callee padded with the marker), and answers with the reply, or `[reject code]` on a reject.
fn relay_module() -> Vec<u8> {
    use ValType::I32;
    let mut m = Module::default();
    let arg_size = import(&mut m, "msg_arg_data_size", &[], &[I32]);
    let arg_copy = import(&mut m, "msg_arg_data_copy", &[I32, I32, I32], &[]);
    let call_new = import(&mut m, "call_new", &[I32; 8], &[]);
    let append_call = import(&mut m, "call_data_append", &[I32, I32], &[]);
    let perform = import(&mut m, "call_perform", &[], &[I32]);
    let append = import(&mut m, "msg_reply_data_append", &[I32, I32], &[]);
    let reply = import(&mut m, "msg_reply", &[], &[]);
    let reject_code = import(&mut m, "msg_reject_code", &[], &[I32]);
    let mem = m.memories.add_local(false, false, 1, None, None);
    m.data.add(DataKind::Active { memory: mem, offset: ConstExpr::Value(Value::I32(100)) }, b"get".to_vec());
    m.data.add(DataKind::Active { memory: mem, offset: ConstExpr::Value(Value::I32(110)) }, b"relay".to_vec());
    let byte = MemArg { align: 0, offset: 0 };
    let env = m.locals.add(I32);
    let mut on_reply = FunctionBuilder::new(&mut m.types, &[I32], &[]);
    on_reply.func_body().i32_const(300).i32_const(0).call(arg_size).call(arg_copy);
    on_reply.func_body().i32_const(300).call(arg_size).call(append).call(reply);
    let on_reply = on_reply.finish(vec![env], &mut m.funcs);
    let env = m.locals.add(I32);
    let mut on_reject = FunctionBuilder::new(&mut m.types, &[I32], &[]);
    on_reject.func_body().i32_const(300).call(reject_code).store(mem, StoreKind::I32_8 { atomic: false }, byte);
    on_reject.func_body().i32_const(300).i32_const(1).call(append).call(reply);
    let on_reject = on_reject.finish(vec![env], &mut m.funcs);
    let table = m.tables.add_local(false, 2, Some(2), RefType::FUNCREF);
    m.elements.add(
        ElementKind::Active { table, offset: ConstExpr::Value(Value::I32(0)) },
        ElementItems::Functions(vec![on_reply, on_reject]),
    );
    export(&mut m, "canister_composite_query relay", |body| {
        body.i32_const(0).i32_const(0).call(arg_size).call(arg_copy);
        // arg = callee (10 bytes) [+ anything: then call `relay` instead of `get`, forwarding the whole arg]
        body.i32_const(0).i32_const(10);
        body.call(arg_size).i32_const(10).binop(BinaryOp::I32GtU).if_else(
            I32,
            |then| {
                then.i32_const(110);
            },
            |other| {
                other.i32_const(100);
            },
        );
        body.call(arg_size).i32_const(10).binop(BinaryOp::I32GtU).if_else(
            I32,
            |then| {
                then.i32_const(5);
            },
            |other| {
                other.i32_const(3);
            },
        );
        body.i32_const(0).i32_const(0).i32_const(1).i32_const(0).call(call_new);
        body.i32_const(10).call(arg_size).i32_const(10).binop(BinaryOp::I32Sub).call(append_call);
        body.call(perform).drop();
    });
    m.emit_wasm()
}

#[test]
fn composite_queries_call_queries_and_discard_every_change() {
    let (mut subnet, ids) = subnet_with(&[relay_module(), getter_module(), relay_module()]);
    let (relay, getter, relay2) = (ids[0], ids[1], ids[2]);
    let anonymous = Principal::anonymous();
    let reply = subnet.query(relay, anonymous, "relay", getter.as_slice().to_vec());
    assert_eq!(reply, Ok(vec![42]));
    // The getter's write after replying was discarded: the second call sees the same state.
    assert_eq!(subnet.query(relay, anonymous, "relay", getter.as_slice().to_vec()), Ok(vec![42]));
    // relay -> relay2 -> getter: nested composite query.
    let mut arg = relay2.as_slice().to_vec();
    arg.extend_from_slice(getter.as_slice());
    assert_eq!(subnet.query(relay, anonymous, "relay", arg), Ok(vec![42]));
    // relay -> relay2 -> relay: a loop, rejected inside the graph; relay2 answers with the reject code.
    let mut arg = relay2.as_slice().to_vec();
    arg.extend_from_slice(relay.as_slice());
    assert_eq!(subnet.query(relay, anonymous, "relay", arg), Ok(vec![5]), "CANISTER_ERROR for the loop");
    // A composite query cannot run in replicated mode.
    let id = subnet.submit_ingress(relay, anonymous, "relay", getter.as_slice().to_vec());
    assert!(id.is_ok());
    let reject = subnet.await_ingress(id.unwrap()).unwrap_err();
    assert_eq!(reject.error_code, ErrorCode::CompositeQueryCalledInReplicatedMode);
}

/// Exports `canister_on_low_wasm_memory`, which grows stable memory by one page (a visible run counter).
fn low_memory_module() -> Vec<u8> {
    let mut m = Module::default();
    let grow = import(&mut m, "stable64_grow", &[ValType::I64], &[ValType::I64]);
    m.memories.add_local(false, false, 2, None, None);
    export(&mut m, "canister_on_low_wasm_memory", |body| {
        body.i64_const(1).call(grow).drop();
    });
    m.emit_wasm()
}

#[test]
fn the_low_wasm_memory_hook_runs_once_per_low_memory_episode() {
    let (mut subnet, ids) = subnet_with(&[low_memory_module()]);
    let id = ids[0];
    let runs = |subnet: &Subnet| subnet.canister(&id).unwrap().stable.size_pages();
    subnet.tick();
    assert_eq!(runs(&subnet), 0, "no threshold, no hook");
    let settings = &mut subnet.canister_mut(&id).unwrap().settings;
    settings.wasm_memory_limit = 3 * 65_536;
    settings.wasm_memory_threshold = 2 * 65_536;
    subnet.tick();
    subnet.tick();
    assert_eq!(runs(&subnet), 1, "free heap 64 KiB < threshold 128 KiB: one run");
    subnet.canister_mut(&id).unwrap().settings.wasm_memory_threshold = 0;
    subnet.tick();
    subnet.canister_mut(&id).unwrap().settings.wasm_memory_threshold = 2 * 65_536;
    subnet.tick();
    assert_eq!(runs(&subnet), 2, "a new episode runs the hook again");
}

/// `update ask(callee)`: calls `callee.get`; its reply callback answers with `msg_caller`.
fn ask_module() -> Vec<u8> {
    use ValType::I32;
    let mut m = Module::default();
    let arg_size = import(&mut m, "msg_arg_data_size", &[], &[I32]);
    let arg_copy = import(&mut m, "msg_arg_data_copy", &[I32, I32, I32], &[]);
    let call_new = import(&mut m, "call_new", &[I32; 8], &[]);
    let perform = import(&mut m, "call_perform", &[], &[I32]);
    let caller_size = import(&mut m, "msg_caller_size", &[], &[I32]);
    let caller_copy = import(&mut m, "msg_caller_copy", &[I32, I32, I32], &[]);
    let append = import(&mut m, "msg_reply_data_append", &[I32, I32], &[]);
    let reply = import(&mut m, "msg_reply", &[], &[]);
    let mem = m.memories.add_local(false, false, 1, None, None);
    m.data.add(DataKind::Active { memory: mem, offset: ConstExpr::Value(Value::I32(100)) }, b"get".to_vec());
    let env = m.locals.add(I32);
    let mut on_reply = FunctionBuilder::new(&mut m.types, &[I32], &[]);
    on_reply.func_body().i32_const(300).i32_const(0).call(caller_size).call(caller_copy);
    on_reply.func_body().i32_const(300).call(caller_size).call(append).call(reply);
    let on_reply = on_reply.finish(vec![env], &mut m.funcs);
    let table = m.tables.add_local(false, 1, Some(1), RefType::FUNCREF);
    m.elements.add(
        ElementKind::Active { table, offset: ConstExpr::Value(Value::I32(0)) },
        ElementItems::Functions(vec![on_reply]),
    );
    export(&mut m, "canister_update ask", |body| {
        body.i32_const(0).i32_const(0).call(arg_size).call(arg_copy);
        body.i32_const(0).call(arg_size).i32_const(100).i32_const(3);
        body.i32_const(0).i32_const(0).i32_const(0).i32_const(0).call(call_new);
        body.call(perform).drop();
    });
    m.emit_wasm()
}

#[test]
fn callbacks_see_the_caller_of_the_call_context() {
    let (mut subnet, ids) = subnet_with(&[ask_module(), getter_module()]);
    let user = Principal::from_slice(&[7; 29]);
    let id = subnet.submit_ingress(ids[0], user, "ask", ids[1].as_slice().to_vec()).unwrap();
    assert_eq!(subnet.await_ingress(id), Ok(user.as_slice().to_vec()), "the user, not the canister that replied");
}
