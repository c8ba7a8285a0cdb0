//! ic0 imports for the incoming message: argument, caller, reply/reject, reject code and message, method name,
//! deadline, inspect-message acceptance.

use wasmtime::Linker;

use super::context::allowed::*;
use super::context::{EntryKind, Response};
use super::host::{api, copy_out, read_heap, u, violation, Ctx, Host, HostResult};

/// Longest reject message a canister may give (the replica's limit is of this order).
const MAX_REJECT_MESSAGE_BYTES: u64 = 8 * 1024;

const ARG: u32 = I | U | RQ | NRQ | CQ | RY | CRY | F;

pub fn link(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.func_wrap("ic0", "msg_arg_data_size", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, ARG, "msg_arg_data_size")?.arg.len() as i32)
    })?;
    linker.func_wrap(
        "ic0",
        "msg_arg_data_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| -> HostResult<()> {
            api(&mut c, ARG, "msg_arg_data_copy")?;
            copy_out(&mut c, u(dst), u(off), u(size), "msg_arg_data_copy", |a| &a.arg)
        },
    )?;
    linker.func_wrap("ic0", "msg_caller_size", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, STAR, "msg_caller_size")?.caller.as_slice().len() as i32)
    })?;
    linker.func_wrap("ic0", "msg_caller_copy", |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| -> HostResult<()> {
        api(&mut c, STAR, "msg_caller_copy")?;
        copy_out(&mut c, u(dst), u(off), u(size), "msg_caller_copy", |a| a.caller.as_slice())
    })?;
    // Sender info (ic0 1.1): the emulator has no signed sender info, so it is empty.
    const INFO: u32 = U | Q | CQ | RY | RT | CRY | CRT | C | F;
    for (size_name, copy_name) in [
        ("msg_caller_info_data_size", "msg_caller_info_data_copy"),
        ("msg_caller_info_signer_size", "msg_caller_info_signer_copy"),
    ] {
        linker.func_wrap("ic0", size_name, move |mut c: Ctx<'_>| -> HostResult<i32> {
            api(&mut c, INFO, size_name)?;
            Ok(0)
        })?;
        linker.func_wrap("ic0", copy_name, move |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| -> HostResult<()> {
            api(&mut c, INFO, copy_name)?;
            copy_out(&mut c, u(dst), u(off), u(size), copy_name, |_| &[])
        })?;
    }
    linker.func_wrap("ic0", "msg_reject_code", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, RY | RT | CRY | CRT, "msg_reject_code")?.reject_code as i32)
    })?;
    linker.func_wrap("ic0", "msg_reject_msg_size", |mut c: Ctx<'_>| -> HostResult<i32> {
        let a = api(&mut c, RT | CRT, "msg_reject_msg_size")?;
        if a.reject_code == 0 {
            return violation("ic0.msg_reject_msg_size called without a reject");
        }
        Ok(a.reject_message.len() as i32)
    })?;
    linker.func_wrap(
        "ic0",
        "msg_reject_msg_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| -> HostResult<()> {
            if api(&mut c, RT | CRT, "msg_reject_msg_copy")?.reject_code == 0 {
                return violation("ic0.msg_reject_msg_copy called without a reject");
            }
            copy_out(&mut c, u(dst), u(off), u(size), "msg_reject_msg_copy", |a| a.reject_message.as_bytes())
        },
    )?;
    linker.func_wrap("ic0", "msg_deadline", |mut c: Ctx<'_>| -> HostResult<i64> {
        Ok(api(&mut c, U | Q | CQ | RY | RT | CRY | CRT, "msg_deadline")?.deadline as i64)
    })?;
    linker.func_wrap("ic0", "msg_reply_data_append", |mut c: Ctx<'_>, src: i32, size: i32| -> HostResult<()> {
        check_can_respond(&mut c, "msg_reply_data_append")?;
        let a = api(&mut c, RESPOND, "msg_reply_data_append")?;
        let total = a.reply_buffer.len() as u64 + u(size);
        if total > a.max_payload as u64 {
            return violation(format!(
                "ic0.msg_reply_data_append: application payload size ({total}) cannot be larger than {}",
                a.max_payload
            ));
        }
        let bytes = read_heap(&mut c, u(src), u(size), "msg_reply_data_append")?;
        api(&mut c, RESPOND, "msg_reply_data_append")?.reply_buffer.extend_from_slice(&bytes);
        Ok(())
    })?;
    linker.func_wrap("ic0", "msg_reply", |mut c: Ctx<'_>| -> HostResult<()> {
        check_can_respond(&mut c, "msg_reply")?;
        let a = api(&mut c, RESPOND, "msg_reply")?;
        let data = std::mem::take(&mut a.reply_buffer);
        a.response = Some(Response::Reply(data));
        Ok(())
    })?;
    linker.func_wrap("ic0", "msg_reject", |mut c: Ctx<'_>, src: i32, size: i32| -> HostResult<()> {
        check_can_respond(&mut c, "msg_reject")?;
        if u(size) > MAX_REJECT_MESSAGE_BYTES {
            return violation(format!("ic0.msg_reject: the message exceeds {MAX_REJECT_MESSAGE_BYTES} bytes"));
        }
        let bytes = read_heap(&mut c, u(src), u(size), "msg_reject")?;
        let Ok(message) = String::from_utf8(bytes) else {
            return violation("ic0.msg_reject: the reject message is not valid UTF-8");
        };
        let a = api(&mut c, RESPOND, "msg_reject")?;
        a.reply_buffer.clear();
        a.response = Some(Response::Reject(message));
        Ok(())
    })?;
    linker.func_wrap("ic0", "msg_method_name_size", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, F, "msg_method_name_size")?.method_name.len() as i32)
    })?;
    linker.func_wrap(
        "ic0",
        "msg_method_name_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| -> HostResult<()> {
            api(&mut c, F, "msg_method_name_copy")?;
            copy_out(&mut c, u(dst), u(off), u(size), "msg_method_name_copy", |a| a.method_name.as_bytes())
        },
    )?;
    linker.func_wrap("ic0", "accept_message", |mut c: Ctx<'_>| -> HostResult<()> {
        let a = api(&mut c, F, "accept_message")?;
        if a.message_accepted {
            return violation("ic0.accept_message: the message was already accepted");
        }
        a.message_accepted = true;
        Ok(())
    })?;
    Ok(())
}

/// Responding is allowed once, and only when the call context still needs a response.
fn check_can_respond(c: &mut Ctx<'_>, import: &str) -> HostResult<()> {
    let a = api(c, RESPOND, import)?;
    if a.kind == EntryKind::Cleanup || !a.can_respond {
        return violation(format!("ic0.{import}: the call context has no response to give"));
    }
    if a.response.is_some() {
        return violation(format!("ic0.{import}: the call was already replied to or rejected"));
    }
    Ok(())
}
