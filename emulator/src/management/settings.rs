//! `canister_settings` validation (create_canister, provisional create, update_settings) and how a validated
//! change applies to the settings in effect. Absent fields leave the current value unchanged.

use candid::Principal;
use ic_management_canister_types::{CanisterSettings, EnvironmentVariable, LogVisibility, SnapshotVisibility};

use super::{nat_to_u128, nat_to_u64};
use crate::errors::{ErrorCode, RejectResponse};
use crate::state::{controller_set, Settings, MAX_CONTROLLERS};

/// Largest `wasm_memory_limit` the spec allows (2^48 bytes).
pub const MAX_WASM_MEMORY_LIMIT: u64 = 1 << 48;
/// Compute allocation is a percentage.
const MAX_COMPUTE_ALLOCATION: u64 = 100;
/// Largest memory allocation the replica accepts (the same bound as the wasm memory limit).
const MAX_MEMORY_ALLOCATION: u64 = 1 << 48;
/// Replica limits on environment variables.
const MAX_ENVIRONMENT_VARIABLES: usize = 20;
const MAX_ENVIRONMENT_VARIABLE_NAME_LENGTH: usize = 128;
const MAX_ENVIRONMENT_VARIABLE_VALUE_LENGTH: usize = 128;

/// A validated settings change: each `Some` replaces the current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsUpdate {
    pub controllers: Option<Vec<Principal>>,
    pub compute_allocation: Option<u64>,
    pub memory_allocation: Option<u64>,
    pub freezing_threshold: Option<u64>,
    pub reserved_cycles_limit: Option<u128>,
    pub log_visibility: Option<LogVisibility>,
    pub log_memory_limit: Option<u64>,
    pub snapshot_visibility: Option<SnapshotVisibility>,
    pub wasm_memory_limit: Option<u64>,
    pub wasm_memory_threshold: Option<u64>,
    pub environment_variables: Option<Vec<EnvironmentVariable>>,
}

impl SettingsUpdate {
    /// Checks every field the way the replica does and converts the `nat`s. Controllers become a set, in the
    /// order the replica keeps them (sorted, without duplicates).
    pub fn validate(settings: &CanisterSettings) -> Result<Self, RejectResponse> {
        let controllers = match &settings.controllers {
            Some(list) if list.len() > MAX_CONTROLLERS => {
                return Err(RejectResponse::new(
                    ErrorCode::CanisterContractViolation,
                    format!(
                        "Could not validate the settings: Invalid settings: 'controllers' length exceeds maximum size \
                         allowed of {MAX_CONTROLLERS}."
                    ),
                ))
            }
            Some(list) => Some(controller_set(list.iter().copied())),
            None => None,
        };
        let compute_allocation = match &settings.compute_allocation {
            Some(n) => {
                let value = u64::try_from(&n.0).ok().filter(|v| *v <= MAX_COMPUTE_ALLOCATION);
                Some(value.ok_or_else(|| {
                    RejectResponse::new(
                        ErrorCode::CanisterContractViolation,
                        format!("ComputeAllocation expected to be in the range [0..{MAX_COMPUTE_ALLOCATION}], got {n}"),
                    )
                })?)
            }
            None => None,
        };
        let memory_allocation = match &settings.memory_allocation {
            Some(n) => {
                let value = u64::try_from(&n.0).ok().filter(|v| *v <= MAX_MEMORY_ALLOCATION);
                Some(value.ok_or_else(|| {
                    RejectResponse::new(
                        ErrorCode::CanisterContractViolation,
                        format!("MemoryAllocation expected to be in the range [0..{MAX_MEMORY_ALLOCATION}], got {n}"),
                    )
                })?)
            }
            None => None,
        };
        let freezing_threshold =
            settings.freezing_threshold.as_ref().map(|n| nat_to_u64(n, "Freezing threshold")).transpose()?;
        let reserved_cycles_limit =
            settings.reserved_cycles_limit.as_ref().map(|n| nat_to_u128(n, "Reserved cycles limit")).transpose()?;
        let wasm_memory_limit = match &settings.wasm_memory_limit {
            Some(n) => {
                let value = nat_to_u64(n, "Wasm memory limit")?;
                if value > MAX_WASM_MEMORY_LIMIT {
                    return Err(RejectResponse::new(
                        ErrorCode::CanisterContractViolation,
                        format!("Wasm memory limit expected to be in the range of [0..2^48], got {n}"),
                    ));
                }
                Some(value)
            }
            None => None,
        };
        let wasm_memory_threshold =
            settings.wasm_memory_threshold.as_ref().map(|n| nat_to_u64(n, "Wasm memory threshold")).transpose()?;
        let log_memory_limit =
            settings.log_memory_limit.as_ref().map(|n| nat_to_u64(n, "Log memory limit")).transpose()?;
        if let Some(vars) = &settings.environment_variables {
            validate_environment_variables(vars)?;
        }
        Ok(SettingsUpdate {
            controllers,
            compute_allocation,
            memory_allocation,
            freezing_threshold,
            reserved_cycles_limit,
            log_visibility: settings.log_visibility.clone(),
            log_memory_limit,
            snapshot_visibility: settings.snapshot_visibility.clone(),
            wasm_memory_limit,
            wasm_memory_threshold,
            environment_variables: settings.environment_variables.clone(),
        })
    }

    /// Validates optional settings (create calls take `opt canister_settings`).
    pub fn validate_opt(settings: Option<&CanisterSettings>) -> Result<Self, RejectResponse> {
        settings.map_or_else(|| Ok(SettingsUpdate::default()), SettingsUpdate::validate)
    }

    /// Replaces the fields this update sets.
    pub fn apply_to(self, settings: &mut Settings) {
        let SettingsUpdate {
            controllers,
            compute_allocation,
            memory_allocation,
            freezing_threshold,
            reserved_cycles_limit,
            log_visibility,
            log_memory_limit,
            snapshot_visibility,
            wasm_memory_limit,
            wasm_memory_threshold,
            environment_variables,
        } = self;
        fn set<T>(slot: &mut T, value: Option<T>) {
            if let Some(v) = value {
                *slot = v;
            }
        }
        set(&mut settings.controllers, controllers);
        set(&mut settings.compute_allocation, compute_allocation);
        set(&mut settings.memory_allocation, memory_allocation);
        set(&mut settings.freezing_threshold, freezing_threshold);
        set(&mut settings.reserved_cycles_limit, reserved_cycles_limit);
        set(&mut settings.log_visibility, log_visibility);
        set(&mut settings.log_memory_limit, log_memory_limit);
        set(&mut settings.snapshot_visibility, snapshot_visibility);
        set(&mut settings.wasm_memory_limit, wasm_memory_limit);
        set(&mut settings.wasm_memory_threshold, wasm_memory_threshold);
        set(&mut settings.environment_variables, environment_variables);
    }

    /// The settings of a new canister: the IC defaults, controllers `[caller]` unless given, then this update.
    pub fn into_new_settings(self, caller: Principal) -> Settings {
        let mut settings = Settings::with_controllers(vec![caller]);
        self.apply_to(&mut settings);
        settings
    }
}

fn validate_environment_variables(vars: &[EnvironmentVariable]) -> Result<(), RejectResponse> {
    if vars.len() > MAX_ENVIRONMENT_VARIABLES {
        return Err(RejectResponse::new(
            ErrorCode::InvalidManagementPayload,
            format!("Too many environment variables: {} (max: {MAX_ENVIRONMENT_VARIABLES})", vars.len()),
        ));
    }
    for (i, var) in vars.iter().enumerate() {
        if var.name.len() > MAX_ENVIRONMENT_VARIABLE_NAME_LENGTH {
            return Err(RejectResponse::new(
                ErrorCode::InvalidManagementPayload,
                format!(
                    "Environment variable name \"{}\" exceeds the maximum allowed length of \
                     {MAX_ENVIRONMENT_VARIABLE_NAME_LENGTH}.",
                    var.name
                ),
            ));
        }
        if var.value.len() > MAX_ENVIRONMENT_VARIABLE_VALUE_LENGTH {
            return Err(RejectResponse::new(
                ErrorCode::InvalidManagementPayload,
                format!(
                    "Environment variable value \"{}\" exceeds the maximum allowed length of \
                     {MAX_ENVIRONMENT_VARIABLE_VALUE_LENGTH}.",
                    var.value
                ),
            ));
        }
        if vars[..i].iter().any(|earlier| earlier.name == var.name) {
            return Err(RejectResponse::new(
                ErrorCode::InvalidManagementPayload,
                format!("Duplicate environment variable name \"{}\".", var.name),
            ));
        }
    }
    Ok(())
}
