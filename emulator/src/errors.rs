//! Reject codes, error codes and the reject response, with the names and numbers of `pocket_ic` 16.1
//! (which mirror the replica's `ic-error-types`), so that test source matching on them compiles and behaves
//! the same against either backend.

use std::fmt;

/// Error for the `TryFrom<u64>` conversions, as in `pocket_ic::TryFromError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryFromError {
    ValueOutOfRange(u64),
}

/// User-facing reject codes (interface spec "reject codes"). An error code's hundreds digit is its reject code.
#[derive(PartialOrd, Ord, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectCode {
    SysFatal = 1,
    SysTransient = 2,
    DestinationInvalid = 3,
    CanisterReject = 4,
    CanisterError = 5,
    SysUnknown = 6,
}

impl TryFrom<u64> for RejectCode {
    type Error = TryFromError;
    fn try_from(code: u64) -> Result<RejectCode, TryFromError> {
        match code {
            1 => Ok(RejectCode::SysFatal),
            2 => Ok(RejectCode::SysTransient),
            3 => Ok(RejectCode::DestinationInvalid),
            4 => Ok(RejectCode::CanisterReject),
            5 => Ok(RejectCode::CanisterError),
            6 => Ok(RejectCode::SysUnknown),
            _ => Err(TryFromError::ValueOutOfRange(code)),
        }
    }
}

/// Declares the error code enum once, so the variant list, the numbers and the `TryFrom` table cannot drift apart.
macro_rules! error_codes {
    ($($name:ident = $num:literal,)*) => {
        /// User-facing error codes (`IC0xxx`), same variants and numbers as `pocket_ic::ErrorCode` 16.1.
        #[derive(PartialOrd, Ord, Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($name = $num,)*
        }

        impl ErrorCode {
            /// Every error code, in numeric order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];
        }

        impl TryFrom<u64> for ErrorCode {
            type Error = TryFromError;
            fn try_from(code: u64) -> Result<ErrorCode, TryFromError> {
                match code {
                    $($num => Ok(ErrorCode::$name),)*
                    _ => Err(TryFromError::ValueOutOfRange(code)),
                }
            }
        }
    };
}

error_codes! {
    // 1xx: SysFatal
    SubnetOversubscribed = 101,
    MaxNumberOfCanistersReached = 102,
    // 2xx: SysTransient
    CanisterQueueFull = 201,
    IngressMessageTimeout = 202,
    CanisterQueueNotEmpty = 203,
    IngressHistoryFull = 204,
    CanisterIdAlreadyExists = 205,
    StopCanisterRequestTimeout = 206,
    CanisterOutOfCycles = 207,
    CertifiedStateUnavailable = 208,
    CanisterInstallCodeRateLimited = 209,
    CanisterHeapDeltaRateLimited = 210,
    SubnetCoolingDown = 211,
    // 3xx: DestinationInvalid
    CanisterNotFound = 301,
    CanisterSnapshotNotFound = 305,
    // 4xx: CanisterReject
    InsufficientMemoryAllocation = 402,
    InsufficientCyclesForCreateCanister = 403,
    SubnetNotFound = 404,
    CanisterNotHostedBySubnet = 405,
    CanisterRejectedMessage = 406,
    UnknownManagementMessage = 407,
    InvalidManagementPayload = 408,
    CanisterSnapshotImmutable = 409,
    InvalidSubnetAdmin = 410,
    // 5xx: CanisterError
    CanisterTrapped = 502,
    CanisterCalledTrap = 503,
    CanisterContractViolation = 504,
    CanisterInvalidWasm = 505,
    CanisterDidNotReply = 506,
    CanisterOutOfMemory = 507,
    CanisterStopped = 508,
    CanisterStopping = 509,
    CanisterNotStopped = 510,
    CanisterStoppingCancelled = 511,
    CanisterInvalidController = 512,
    CanisterFunctionNotFound = 513,
    CanisterNonEmpty = 514,
    QueryCallGraphLoopDetected = 517,
    InsufficientCyclesInCall = 520,
    CanisterWasmEngineError = 521,
    CanisterInstructionLimitExceeded = 522,
    CanisterMemoryAccessLimitExceeded = 524,
    QueryCallGraphTooDeep = 525,
    QueryCallGraphTotalInstructionLimitExceeded = 526,
    CompositeQueryCalledInReplicatedMode = 527,
    QueryTimeLimitExceeded = 528,
    QueryCallGraphInternal = 529,
    InsufficientCyclesInComputeAllocation = 530,
    InsufficientCyclesInMemoryAllocation = 531,
    InsufficientCyclesInMemoryGrow = 532,
    ReservedCyclesLimitExceededInMemoryAllocation = 533,
    ReservedCyclesLimitExceededInMemoryGrow = 534,
    InsufficientCyclesInMessageMemoryGrow = 535,
    CanisterMethodNotFound = 536,
    CanisterWasmModuleNotFound = 537,
    CanisterAlreadyInstalled = 538,
    CanisterWasmMemoryLimitExceeded = 539,
    ReservedCyclesLimitIsTooLow = 540,
    CanisterInvalidControllerOrSubnetAdmin = 541,
    CanisterStatusAccessDenied = 542,
    // 6xx: SysUnknown
    DeadlineExpired = 601,
    ResponseDropped = 602,
}

impl ErrorCode {
    /// The numeric code, e.g. 512 for `CanisterInvalidController`.
    pub fn as_u64(self) -> u64 {
        self as u64
    }

    /// The reject code a caller sees with this error: the hundreds digit.
    pub fn reject_code(self) -> RejectCode {
        match self as u64 / 100 {
            1 => RejectCode::SysFatal,
            2 => RejectCode::SysTransient,
            3 => RejectCode::DestinationInvalid,
            4 => RejectCode::CanisterReject,
            5 => RejectCode::CanisterError,
            _ => RejectCode::SysUnknown,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IC{:04}", *self as u64)
    }
}

/// An unsuccessful call: the same fields as `pocket_ic::RejectResponse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectResponse {
    pub reject_code: RejectCode,
    pub reject_message: String,
    pub error_code: ErrorCode,
    pub certified: bool,
}

impl fmt::Display for RejectResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Same wording as pocket-ic, so logs and `expect` messages read the same on both backends.
        write!(
            f,
            "PocketIC returned a rejection error: reject code {:?}, reject message {}, error code {:?}",
            self.reject_code, self.reject_message, self.error_code
        )
    }
}

impl std::error::Error for RejectResponse {}

/// Constructors for the rejects the emulator produces. Messages follow the replica's wording where tests are
/// likely to match on them (e.g. "Only the controllers of the canister ... can control it.").
impl RejectResponse {
    /// A reject whose reject code is derived from the error code. Update calls are certified on the IC.
    pub fn new(error_code: ErrorCode, message: impl Into<String>) -> Self {
        RejectResponse {
            reject_code: error_code.reject_code(),
            reject_message: message.into(),
            error_code,
            certified: true,
        }
    }

    /// The same reject, marked as coming from a non-certified (query) response.
    pub fn uncertified(mut self) -> Self {
        self.certified = false;
        self
    }

    /// The reject a canister produced with `ic0.msg_reject`: reject code 4 (CANISTER_REJECT), IC0406 and the
    /// canister's message as given, for every caller (the replica's `WasmResult::Reject`, which pocket-ic turns
    /// into this record).
    pub fn canister_rejected(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::CanisterRejectedMessage, message)
    }

    pub fn canister_not_found(canister: impl fmt::Display) -> Self {
        Self::new(ErrorCode::CanisterNotFound, format!("Canister {canister} not found."))
    }

    pub fn invalid_controller(
        canister: impl fmt::Display,
        controllers: &[impl fmt::Display],
        sender: impl fmt::Display,
    ) -> Self {
        let controllers = controllers.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ");
        Self::new(
            ErrorCode::CanisterInvalidController,
            format!(
                "Only the controllers of the canister {canister} can control it.\n\
                 Canister's controllers: {controllers}\n\
                 Sender's ID: {sender}"
            ),
        )
    }

    /// A wasm trap (unreachable, out-of-bounds access, ...): IC0502.
    pub fn trapped(canister: impl fmt::Display, what: impl fmt::Display) -> Self {
        Self::new(ErrorCode::CanisterTrapped, format!("Error from Canister {canister}: Canister trapped: {what}."))
    }

    /// `ic0.trap` or a Rust panic: IC0503.
    pub fn called_trap(canister: impl fmt::Display, message: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::CanisterCalledTrap,
            format!("Error from Canister {canister}: Canister called `ic0.trap` with message: '{message}'."),
        )
    }

    pub fn did_not_reply(canister: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::CanisterDidNotReply,
            format!("Error from Canister {canister}: Canister did not reply to the call."),
        )
    }

    pub fn stopped(canister: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::CanisterStopped,
            format!("Canister {canister} is stopped and therefore does not have a CallContextManager"),
        )
    }

    pub fn stopping(canister: impl fmt::Display) -> Self {
        Self::new(ErrorCode::CanisterStopping, format!("Canister {canister} is stopping"))
    }

    pub fn not_stopped(canister: impl fmt::Display) -> Self {
        Self::new(ErrorCode::CanisterNotStopped, format!("Canister {canister} must be stopped before it is deleted."))
    }

    pub fn stopping_cancelled(canister: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::CanisterStoppingCancelled,
            format!("Canister {canister} has been restarted while stopping."),
        )
    }

    /// The method is not exported with the kind of call made (update vs query): IC0536.
    pub fn method_not_found(canister: impl fmt::Display, kind: &str, method: &str) -> Self {
        Self::new(
            ErrorCode::CanisterMethodNotFound,
            format!("Error from Canister {canister}: Canister has no {kind} method '{method}'."),
        )
    }

    /// A call to a canister that has no code installed: IC0537.
    pub fn wasm_module_not_found(canister: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::CanisterWasmModuleNotFound,
            format!(
                "Error from Canister {canister}: Attempted to execute a message, but the canister contains no Wasm module."
            ),
        )
    }

    pub fn instruction_limit_exceeded(canister: impl fmt::Display, limit: u64) -> Self {
        Self::new(
            ErrorCode::CanisterInstructionLimitExceeded,
            format!("Error from Canister {canister}: Canister exceeded the limit of {limit} instructions for single message execution."),
        )
    }

    pub fn invalid_wasm(canister: impl fmt::Display, why: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::CanisterInvalidWasm,
            format!("Error from Canister {canister}: Canister's Wasm module is not valid: {why}"),
        )
    }

    pub fn contract_violation(canister: impl fmt::Display, why: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::CanisterContractViolation,
            format!("Error from Canister {canister}: Canister violated contract: {why}"),
        )
    }

    pub fn out_of_cycles(canister: impl fmt::Display, balance: u128, needed: u128) -> Self {
        Self::new(
            ErrorCode::CanisterOutOfCycles,
            format!(
                "Canister {canister} is out of cycles: please top up the canister with at least {} additional cycles",
                needed.saturating_sub(balance)
            ),
        )
    }

    /// The replica reports an unknown management method as IC0536, not IC0407.
    pub fn unknown_management_method(method: &str) -> Self {
        Self::new(ErrorCode::CanisterMethodNotFound, format!("Management canister has no method '{method}'"))
    }

    /// A management call whose argument does not decode or fails validation: IC0408.
    pub fn invalid_management_payload(why: impl fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidManagementPayload, format!("Error decoding candid: {why}"))
    }

    pub fn snapshot_not_found(canister: impl fmt::Display, snapshot_id: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::CanisterSnapshotNotFound,
            format!("Could not find the snapshot ID {snapshot_id} for canister {canister}."),
        )
    }

    pub fn deadline_expired(canister: impl fmt::Display) -> Self {
        Self::new(ErrorCode::DeadlineExpired, format!("Call to canister {canister} timed out."))
    }

    pub fn payload_too_large(size: usize, limit: usize) -> Self {
        Self::new(
            ErrorCode::CanisterContractViolation,
            format!("Request payload of {size} bytes exceeds the limit of {limit} bytes."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_numbers_match_the_ic() {
        assert_eq!(ErrorCode::CanisterNotFound as u64, 301);
        assert_eq!(ErrorCode::CanisterTrapped as u64, 502);
        assert_eq!(ErrorCode::CanisterCalledTrap as u64, 503);
        assert_eq!(ErrorCode::CanisterDidNotReply as u64, 506);
        assert_eq!(ErrorCode::CanisterStopped as u64, 508);
        assert_eq!(ErrorCode::CanisterStopping as u64, 509);
        assert_eq!(ErrorCode::CanisterInvalidController as u64, 512);
        assert_eq!(ErrorCode::CanisterInstructionLimitExceeded as u64, 522);
        assert_eq!(ErrorCode::CanisterMethodNotFound as u64, 536);
        assert_eq!(ErrorCode::CanisterWasmModuleNotFound as u64, 537);
        assert_eq!(ErrorCode::DeadlineExpired as u64, 601);
        assert_eq!(ErrorCode::ALL.len(), 62);
    }

    #[test]
    fn every_error_code_round_trips_and_derives_its_reject_code() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::try_from(code.as_u64()).unwrap(), code);
            assert_eq!(code.reject_code() as u64, code.as_u64() / 100, "{code:?}");
        }
        assert!(ErrorCode::try_from(999).is_err());
        assert!(RejectCode::try_from(0).is_err());
        assert_eq!(RejectCode::try_from(4).unwrap(), RejectCode::CanisterReject);
    }

    #[test]
    fn error_code_displays_as_ic_code() {
        assert_eq!(ErrorCode::CanisterNotFound.to_string(), "IC0301");
        assert_eq!(ErrorCode::CanisterInstructionLimitExceeded.to_string(), "IC0522");
    }

    #[test]
    fn constructors_set_matching_reject_code() {
        let r = RejectResponse::invalid_controller("aaaaa-aa", &["2vxsx-fae"], "ryjl3-tyaaa-aaaaa-aaaba-cai");
        assert_eq!(r.reject_code, RejectCode::CanisterError);
        assert_eq!(r.error_code, ErrorCode::CanisterInvalidController);
        assert!(r.reject_message.starts_with("Only the controllers of the canister aaaaa-aa can control it."));
        assert!(r.certified);
        let r = RejectResponse::canister_not_found("x").uncertified();
        assert_eq!(r.reject_code, RejectCode::DestinationInvalid);
        assert!(!r.certified);
        let r = RejectResponse::canister_rejected("no");
        assert_eq!((r.reject_code, r.error_code), (RejectCode::CanisterReject, ErrorCode::CanisterRejectedMessage));
        assert_eq!(r.reject_message, "no", "the canister's message, verbatim");
        assert_eq!(RejectResponse::deadline_expired("c").reject_code, RejectCode::SysUnknown);
    }
}
