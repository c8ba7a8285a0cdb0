//! ic0 imports for outgoing calls (call_new .. call_perform) and for cycles.

use candid::Principal;
use wasmtime::Linker;

use super::context::allowed::*;
use super::context::{Closure, OutgoingCall};
use super::host::{api, read_heap, u, u128_from, violation, write_u128, Ctx, Host, HostResult};
use crate::cycles;

/// Principals are at most 29 bytes.
const MAX_PRINCIPAL_BYTES: u64 = 29;
/// Longest method name accepted in a call.
const MAX_METHOD_NAME_BYTES: u64 = 20_000;

/// Bounded-wait calls are clamped to this timeout.
pub const MAX_CALL_TIMEOUT_SECONDS: u32 = 300;

pub fn link(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "ic0",
        "call_new",
        |mut c: Ctx<'_>,
         callee_src: i32,
         callee_size: i32,
         name_src: i32,
         name_size: i32,
         reply_fun: i32,
         reply_env: i32,
         reject_fun: i32,
         reject_env: i32|
         -> HostResult<()> {
            api(&mut c, CALLS, "call_new")?;
            if u(callee_size) > MAX_PRINCIPAL_BYTES || u(name_size) > MAX_METHOD_NAME_BYTES {
                return violation("ic0.call_new: the callee or the method name is too long");
            }
            let callee = read_heap(&mut c, u(callee_src), u(callee_size), "call_new")?;
            let name = read_heap(&mut c, u(name_src), u(name_size), "call_new")?;
            let Ok(callee) = Principal::try_from_slice(&callee) else {
                return violation("ic0.call_new: the callee is not a valid principal");
            };
            let Ok(method) = String::from_utf8(name) else {
                return violation("ic0.call_new: the method name is not valid UTF-8");
            };
            let a = api(&mut c, CALLS, "call_new")?;
            // A call still under construction is discarded; its cycles go back to the balance.
            if let Some(old) = a.pending_call.take() {
                a.balance += old.cycles;
            }
            a.pending_call = Some(OutgoingCall {
                callee,
                method,
                payload: Vec::new(),
                reply: Closure { fun: reply_fun as u32, env: u(reply_env) },
                reject: Closure { fun: reject_fun as u32, env: u(reject_env) },
                cleanup: None,
                cycles: 0,
                timeout_seconds: None,
            });
            Ok(())
        },
    )?;
    linker.func_wrap("ic0", "call_on_cleanup", |mut c: Ctx<'_>, fun: i32, env: i32| -> HostResult<()> {
        let call = pending(&mut c, "call_on_cleanup")?;
        if call.cleanup.is_some() {
            return violation("ic0.call_on_cleanup: the cleanup callback was already set");
        }
        call.cleanup = Some(Closure { fun: fun as u32, env: u(env) });
        Ok(())
    })?;
    linker.func_wrap("ic0", "call_data_append", |mut c: Ctx<'_>, src: i32, size: i32| -> HostResult<()> {
        let max = api(&mut c, CALLS, "call_data_append")?.max_payload as u64;
        let total = pending(&mut c, "call_data_append")?.payload.len() as u64 + u(size);
        if total > max {
            return violation(format!(
                "ic0.call_data_append: the payload ({total} bytes) exceeds the maximum of {max} bytes"
            ));
        }
        let bytes = read_heap(&mut c, u(src), u(size), "call_data_append")?;
        pending(&mut c, "call_data_append")?.payload.extend_from_slice(&bytes);
        Ok(())
    })?;
    linker.func_wrap("ic0", "call_with_best_effort_response", |mut c: Ctx<'_>, timeout: i32| -> HostResult<()> {
        let call = pending(&mut c, "call_with_best_effort_response")?;
        if call.timeout_seconds.is_some() {
            return violation("ic0.call_with_best_effort_response: the timeout was already set");
        }
        call.timeout_seconds = Some((timeout as u32).min(MAX_CALL_TIMEOUT_SECONDS));
        Ok(())
    })?;
    linker.func_wrap("ic0", "call_cycles_add128", |mut c: Ctx<'_>, high: i64, low: i64| -> HostResult<()> {
        add_cycles(&mut c, u128_from(high, low), "call_cycles_add128")
    })?;
    linker.func_wrap("ic0", "call_cycles_add", |mut c: Ctx<'_>, amount: i64| -> HostResult<()> {
        add_cycles(&mut c, amount as u64 as u128, "call_cycles_add")
    })?;
    linker.func_wrap("ic0", "call_perform", |mut c: Ctx<'_>| -> HostResult<i32> {
        pending(&mut c, "call_perform")?;
        let a = api(&mut c, CALLS, "call_perform")?;
        let call = a.pending_call.take().expect("checked by pending()");
        let fee = cycles::xnet_call_fee(call.method.len() + call.payload.len());
        if a.liquid_balance() < fee {
            // Not enough cycles to send: the call is not made and its cycles come back (SYS_TRANSIENT-like 2).
            a.balance += call.cycles;
            return Ok(2);
        }
        a.balance -= fee;
        a.performed_calls.push(call);
        Ok(0)
    })?;
    link_cycles(linker)
}

fn pending<'a>(c: &'a mut Ctx<'_>, import: &str) -> HostResult<&'a mut OutgoingCall> {
    let a = api(c, CALLS, import)?;
    match a.pending_call.as_mut() {
        Some(call) => Ok(call),
        None => violation(format!("ic0.{import}: no call is under construction (call ic0.call_new first)")),
    }
}

fn add_cycles(c: &mut Ctx<'_>, amount: u128, import: &str) -> HostResult<()> {
    // Cycles cannot be attached in composite queries.
    api(c, U | RY | RT | T, import)?;
    pending(c, import)?;
    let a = api(c, CALLS, import)?;
    if amount > a.liquid_balance() {
        return violation(format!(
            "ic0.{import}: cannot attach {amount} cycles, the canister has {} cycles available",
            a.liquid_balance()
        ));
    }
    a.balance -= amount;
    let call = a.pending_call.as_mut().expect("checked by pending()");
    call.cycles += amount;
    Ok(())
}

const MSG_CYCLES: u32 = U | RQ | RT | RY;

fn link_cycles(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.func_wrap("ic0", "msg_cycles_available128", |mut c: Ctx<'_>, dst: i32| -> HostResult<()> {
        let v = api(&mut c, MSG_CYCLES, "msg_cycles_available128")?.cycles_available;
        write_u128(&mut c, u(dst), v, "msg_cycles_available128")
    })?;
    linker.func_wrap("ic0", "msg_cycles_available", |mut c: Ctx<'_>| -> HostResult<i64> {
        Ok(api(&mut c, MSG_CYCLES, "msg_cycles_available")?.cycles_available.min(u64::MAX as u128) as i64)
    })?;
    linker.func_wrap("ic0", "msg_cycles_refunded128", |mut c: Ctx<'_>, dst: i32| -> HostResult<()> {
        let v = api(&mut c, RT | RY, "msg_cycles_refunded128")?.cycles_refunded;
        write_u128(&mut c, u(dst), v, "msg_cycles_refunded128")
    })?;
    linker.func_wrap("ic0", "msg_cycles_refunded", |mut c: Ctx<'_>| -> HostResult<i64> {
        Ok(api(&mut c, RT | RY, "msg_cycles_refunded")?.cycles_refunded.min(u64::MAX as u128) as i64)
    })?;
    linker.func_wrap(
        "ic0",
        "msg_cycles_accept128",
        |mut c: Ctx<'_>, high: i64, low: i64, dst: i32| -> HostResult<()> {
            let a = api(&mut c, MSG_CYCLES, "msg_cycles_accept128")?;
            let accepted = u128_from(high, low).min(a.cycles_available);
            a.cycles_available -= accepted;
            a.cycles_accepted += accepted;
            a.balance += accepted;
            write_u128(&mut c, u(dst), accepted, "msg_cycles_accept128")
        },
    )?;
    linker.func_wrap("ic0", "msg_cycles_accept", |mut c: Ctx<'_>, max: i64| -> HostResult<i64> {
        let a = api(&mut c, MSG_CYCLES, "msg_cycles_accept")?;
        let accepted = (max as u64 as u128).min(a.cycles_available);
        a.cycles_available -= accepted;
        a.cycles_accepted += accepted;
        a.balance += accepted;
        Ok(accepted as i64)
    })?;
    linker.func_wrap("ic0", "canister_cycle_balance128", |mut c: Ctx<'_>, dst: i32| -> HostResult<()> {
        let v = api(&mut c, STAR, "canister_cycle_balance128")?.balance;
        write_u128(&mut c, u(dst), v, "canister_cycle_balance128")
    })?;
    linker.func_wrap("ic0", "canister_cycle_balance", |mut c: Ctx<'_>| -> HostResult<i64> {
        let v = api(&mut c, STAR, "canister_cycle_balance")?.balance;
        if v > u64::MAX as u128 {
            return violation("ic0.canister_cycle_balance: the balance does not fit in 64 bits");
        }
        Ok(v as i64)
    })?;
    linker.func_wrap("ic0", "canister_liquid_cycle_balance128", |mut c: Ctx<'_>, dst: i32| -> HostResult<()> {
        let v = api(&mut c, STAR, "canister_liquid_cycle_balance128")?.liquid_balance();
        write_u128(&mut c, u(dst), v, "canister_liquid_cycle_balance128")
    })?;
    linker.func_wrap("ic0", "cycles_burn128", |mut c: Ctx<'_>, high: i64, low: i64, dst: i32| -> HostResult<()> {
        let a = api(&mut c, I | G | U | RQ | RY | RT | C | T, "cycles_burn128")?;
        let burned = u128_from(high, low).min(a.liquid_balance());
        a.balance -= burned;
        write_u128(&mut c, u(dst), burned, "cycles_burn128")
    })?;
    linker.func_wrap(
        "ic0",
        "cost_call",
        |mut c: Ctx<'_>, name_size: i64, payload_size: i64, dst: i32| -> HostResult<()> {
            api(&mut c, ANY, "cost_call")?;
            let cost = cycles::cost_call(name_size as u64, payload_size as u64);
            write_u128(&mut c, u(dst), cost, "cost_call")
        },
    )?;
    linker.func_wrap("ic0", "cost_create_canister", |mut c: Ctx<'_>, dst: i32| -> HostResult<()> {
        api(&mut c, ANY, "cost_create_canister")?;
        write_u128(&mut c, u(dst), cycles::CANISTER_CREATION_FEE, "cost_create_canister")
    })?;
    linker.func_wrap("ic0", "cost_http_request", |mut c: Ctx<'_>, req: i64, res: i64, dst: i32| -> HostResult<()> {
        api(&mut c, ANY, "cost_http_request")?;
        write_u128(&mut c, u(dst), cycles::cost_http_request(req as u64, res as u64), "cost_http_request")
    })?;
    linker.func_wrap(
        "ic0",
        "cost_http_request_v2",
        |mut c: Ctx<'_>, _src: i32, size: i32, dst: i32| -> HostResult<()> {
            api(&mut c, ANY, "cost_http_request_v2")?;
            write_u128(&mut c, u(dst), cycles::cost_http_request(u(size), 2_000_000), "cost_http_request_v2")
        },
    )?;
    // Threshold signatures are not emulated: report "unknown key" (error code 1) and a zero cost.
    for name in ["cost_sign_with_ecdsa", "cost_sign_with_schnorr", "cost_vetkd_derive_key"] {
        linker.func_wrap(
            "ic0",
            name,
            move |mut c: Ctx<'_>, _src: i32, _size: i32, _alg: i32, dst: i32| -> HostResult<i32> {
                api(&mut c, ANY, name)?;
                write_u128(&mut c, u(dst), 0, name)?;
                Ok(1)
            },
        )?;
    }
    Ok(())
}
