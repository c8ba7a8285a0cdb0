//! ic0 imports about the canister and its environment: identity, status, version, controllers, time, global
//! timer, performance counter, certified data, debug output and traps, environment variables.

use candid::Principal;
use wasmtime::Linker;

use super::context::allowed::*;
use super::context::HostTrap;
use super::host::{api, copy_out, read_heap, trap, u, violation, Ctx, Host, HostResult};

/// Largest certified data.
const MAX_CERTIFIED_DATA: u64 = 32;
/// Trap message of `ic0.data_certificate_size/copy` without a certificate.
const NO_DATA_CERTIFICATE: &str =
    "ic0.data_certificate: no data certificate is present (only the canister a query was sent to has one)";
/// Longest debug_print / trap message kept.
const MAX_DEBUG_MESSAGE: u64 = 32 * 1024;

pub fn link(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.func_wrap("ic0", "canister_self_size", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, STAR, "canister_self_size")?.canister_id.as_slice().len() as i32)
    })?;
    linker.func_wrap(
        "ic0",
        "canister_self_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| -> HostResult<()> {
            api(&mut c, STAR, "canister_self_copy")?;
            copy_out(&mut c, u(dst), u(off), u(size), "canister_self_copy", |a| a.canister_id.as_slice())
        },
    )?;
    linker.func_wrap("ic0", "subnet_self_size", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, STAR, "subnet_self_size")?.subnet_id.as_slice().len() as i32)
    })?;
    linker.func_wrap("ic0", "subnet_self_copy", |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| -> HostResult<()> {
        api(&mut c, STAR, "subnet_self_copy")?;
        copy_out(&mut c, u(dst), u(off), u(size), "subnet_self_copy", |a| a.subnet_id.as_slice())
    })?;
    linker.func_wrap("ic0", "subnet_self_node_count", |mut c: Ctx<'_>| -> HostResult<i32> {
        api(&mut c, STAR, "subnet_self_node_count")?;
        Ok(13)
    })?;
    // The IC's root key, DER-encoded (`PocketIc::root_key`).
    linker.func_wrap("ic0", "root_key_size", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, STAR, "root_key_size")?.keys.as_ref().map_or(0, |keys| keys.root_key_der_bytes().len()) as i32)
    })?;
    linker.func_wrap("ic0", "root_key_copy", |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| -> HostResult<()> {
        api(&mut c, STAR, "root_key_copy")?;
        copy_out(&mut c, u(dst), u(off), u(size), "root_key_copy", |a| {
            a.keys.as_ref().map_or(&[], |keys| keys.root_key_der_bytes())
        })
    })?;
    linker.func_wrap("ic0", "canister_status", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, STAR, "canister_status")?.status as i32)
    })?;
    linker.func_wrap("ic0", "canister_version", |mut c: Ctx<'_>| -> HostResult<i64> {
        Ok(api(&mut c, STAR, "canister_version")?.canister_version as i64)
    })?;
    linker.func_wrap("ic0", "is_controller", |mut c: Ctx<'_>, src: i32, size: i32| -> HostResult<i32> {
        api(&mut c, ANY, "is_controller")?;
        if u(size) > 29 {
            return violation("ic0.is_controller: the argument is not a valid principal");
        }
        let bytes = read_heap(&mut c, u(src), u(size), "is_controller")?;
        let Ok(principal) = Principal::try_from_slice(&bytes) else {
            return violation("ic0.is_controller: the argument is not a valid principal");
        };
        Ok(api(&mut c, ANY, "is_controller")?.controllers.contains(&principal) as i32)
    })?;
    linker.func_wrap("ic0", "in_replicated_execution", |mut c: Ctx<'_>| -> HostResult<i32> {
        let a = api(&mut c, ANY, "in_replicated_execution")?;
        Ok(!a.kind.is_non_replicated() as i32)
    })?;
    linker
        .func_wrap("ic0", "time", |mut c: Ctx<'_>| -> HostResult<i64> { Ok(api(&mut c, STAR, "time")?.time as i64) })?;
    linker.func_wrap("ic0", "global_timer_set", |mut c: Ctx<'_>, timestamp: i64| -> HostResult<i64> {
        let a = api(&mut c, I | G | U | RY | RT | C | T, "global_timer_set")?;
        let previous = a.global_timer;
        a.global_timer = timestamp as u64;
        Ok(previous as i64)
    })?;
    linker.func_wrap("ic0", "performance_counter", |mut c: Ctx<'_>, counter: i32| -> HostResult<i64> {
        let remaining = c.get_fuel().unwrap_or(0);
        let a = api(&mut c, ANY, "performance_counter")?;
        let used = a.instruction_limit.saturating_sub(remaining);
        match counter {
            0 => Ok(used as i64),
            1 => Ok((a.call_context_instructions + used) as i64),
            other => violation(format!("ic0.performance_counter: unknown counter type {other}")),
        }
    })?;
    linker.func_wrap("ic0", "certified_data_set", |mut c: Ctx<'_>, src: i32, size: i32| -> HostResult<()> {
        api(&mut c, I | G | U | RY | RT | T, "certified_data_set")?;
        if u(size) > MAX_CERTIFIED_DATA {
            return violation(format!("ic0.certified_data_set: {} bytes exceed the maximum of 32", u(size)));
        }
        let bytes = read_heap(&mut c, u(src), u(size), "certified_data_set")?;
        api(&mut c, ANY, "certified_data_set")?.certified_data = bytes;
        Ok(())
    })?;
    // A data certificate exists in a non-replicated query or composite query of the canister the user called
    // (`crate::certification::DataCertificate`, built on first use of size or copy).
    linker.func_wrap("ic0", "data_certificate_present", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, STAR, "data_certificate_present")?.data_certificate.is_some() as i32)
    })?;
    linker.func_wrap("ic0", "data_certificate_size", |mut c: Ctx<'_>| -> HostResult<i32> {
        match &api(&mut c, NRQ | CQ, "data_certificate_size")?.data_certificate {
            Some(certificate) => Ok(certificate.bytes().len() as i32),
            None => violation(NO_DATA_CERTIFICATE),
        }
    })?;
    linker.func_wrap(
        "ic0",
        "data_certificate_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| -> HostResult<()> {
            if api(&mut c, NRQ | CQ, "data_certificate_copy")?.data_certificate.is_none() {
                return violation(NO_DATA_CERTIFICATE);
            }
            copy_out(&mut c, u(dst), u(off), u(size), "data_certificate_copy", |a| {
                a.data_certificate.as_ref().map_or(&[], |certificate| certificate.bytes())
            })
        },
    )?;
    linker.func_wrap("ic0", "debug_print", |mut c: Ctx<'_>, src: i32, size: i32| -> HostResult<()> {
        // Never traps: out-of-bounds or oversized messages are cut or replaced.
        let size = u(size).min(MAX_DEBUG_MESSAGE);
        let bytes =
            read_heap(&mut c, u(src), size, "debug_print").unwrap_or_else(|_| b"(debug_print out of bounds)".to_vec());
        if let Some(a) = c.data_mut().api.as_mut() {
            a.logs.push(bytes);
        }
        Ok(())
    })?;
    linker.func_wrap("ic0", "trap", |mut c: Ctx<'_>, src: i32, size: i32| -> HostResult<()> {
        let size = u(size).min(MAX_DEBUG_MESSAGE);
        let bytes = read_heap(&mut c, u(src), size, "trap").unwrap_or_default();
        trap(HostTrap::CalledTrap(String::from_utf8_lossy(&bytes).into_owned()))
    })?;
    link_env_vars(linker)
}

fn link_env_vars(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.func_wrap("ic0", "env_var_count", |mut c: Ctx<'_>| -> HostResult<i32> {
        Ok(api(&mut c, STAR, "env_var_count")?.environment_variables.len() as i32)
    })?;
    linker.func_wrap("ic0", "env_var_name_size", |mut c: Ctx<'_>, index: i32| -> HostResult<i32> {
        let a = api(&mut c, STAR, "env_var_name_size")?;
        match a.environment_variables.get(index as u32 as usize) {
            Some(v) => Ok(v.name.len() as i32),
            None => violation(format!("ic0.env_var_name_size: index {index} out of range")),
        }
    })?;
    linker.func_wrap(
        "ic0",
        "env_var_name_copy",
        |mut c: Ctx<'_>, index: i32, dst: i32, off: i32, size: i32| -> HostResult<()> {
            let a = api(&mut c, STAR, "env_var_name_copy")?;
            let index = index as u32 as usize;
            if index >= a.environment_variables.len() {
                return violation(format!("ic0.env_var_name_copy: index {index} out of range"));
            }
            copy_out(&mut c, u(dst), u(off), u(size), "env_var_name_copy", |a| {
                a.environment_variables[index].name.as_bytes()
            })
        },
    )?;
    linker.func_wrap("ic0", "env_var_name_exists", |mut c: Ctx<'_>, src: i32, size: i32| -> HostResult<i32> {
        let name = env_name(&mut c, src, size, "env_var_name_exists")?;
        Ok(api(&mut c, STAR, "env_var_name_exists")?.environment_variables.iter().any(|v| v.name == name) as i32)
    })?;
    linker.func_wrap("ic0", "env_var_value_size", |mut c: Ctx<'_>, src: i32, size: i32| -> HostResult<i32> {
        let name = env_name(&mut c, src, size, "env_var_value_size")?;
        let a = api(&mut c, STAR, "env_var_value_size")?;
        match a.environment_variables.iter().find(|v| v.name == name) {
            Some(v) => Ok(v.value.len() as i32),
            None => violation(format!("ic0.env_var_value_size: no environment variable `{name}`")),
        }
    })?;
    linker.func_wrap(
        "ic0",
        "env_var_value_copy",
        |mut c: Ctx<'_>, src: i32, size: i32, dst: i32, off: i32, len: i32| -> HostResult<()> {
            let name = env_name(&mut c, src, size, "env_var_value_copy")?;
            let a = api(&mut c, STAR, "env_var_value_copy")?;
            let Some(index) = a.environment_variables.iter().position(|v| v.name == name) else {
                return violation(format!("ic0.env_var_value_copy: no environment variable `{name}`"));
            };
            copy_out(&mut c, u(dst), u(off), u(len), "env_var_value_copy", |a| {
                a.environment_variables[index].value.as_bytes()
            })
        },
    )?;
    Ok(())
}

fn env_name(c: &mut Ctx<'_>, src: i32, size: i32, import: &str) -> HostResult<String> {
    api(c, STAR, import)?;
    if u(size) > 100 {
        return violation(format!("ic0.{import}: environment variable names are at most 100 bytes"));
    }
    let bytes = read_heap(c, u(src), u(size), import)?;
    String::from_utf8(bytes).or_else(|_| violation(format!("ic0.{import}: the name is not valid UTF-8")))
}
