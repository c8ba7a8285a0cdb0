//! What every canister's `canister_inspect_message` checks, as plain data and one pure function: a table of the
//! canister's update methods with, for each, who may send it as ingress and how large its argument may be. The
//! canister's `#[inspect_message]` hook looks the method up and accepts or rejects the message *before* it is
//! charged to the canister and before it is decoded (IC: inspect_message runs only for ingress update calls, on one
//! node, so it is a filter against cost, never the authorization itself; every endpoint still checks its caller).

use candid::Principal;

/// One update method's ingress rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IngressRule {
    pub method: &'static str,
    /// The anonymous principal may call it (a query-like update, or one that needs no identity).
    pub anonymous_allowed: bool,
    /// Largest candid argument accepted, in bytes.
    pub max_arg_bytes: usize,
}

/// A small argument: principals, numbers, short texts.
pub const SMALL_ARG: usize = 16 * 1024;
/// A contract's create arguments or a config value.
pub const MEDIUM_ARG: usize = 256 * 1024;
/// A registry chunk upload (1 MiB of module plus its candid framing).
pub const CHUNK_ARG: usize = 1024 * 1024 + 4 * 1024;

impl IngressRule {
    /// A method only identified callers may send, with an argument of at most `max_arg_bytes`.
    pub const fn signed(method: &'static str, max_arg_bytes: usize) -> Self {
        Self { method, anonymous_allowed: false, max_arg_bytes }
    }

    /// A method anyone, the anonymous principal included, may send.
    pub const fn open(method: &'static str, max_arg_bytes: usize) -> Self {
        Self { method, anonymous_allowed: true, max_arg_bytes }
    }
}

/// Why an ingress message is refused before execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngressRefusal {
    /// Not an update method of this canister's table (unknown, or a query sent as an update).
    UnknownMethod(String),
    Anonymous(String),
    ArgumentTooLarge {
        method: String,
        size: usize,
        limit: usize,
    },
}

impl std::fmt::Display for IngressRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownMethod(method) => write!(f, "'{method}' is not an update method of this canister"),
            Self::Anonymous(method) => write!(f, "'{method}' needs a signed-in caller, not the anonymous principal"),
            Self::ArgumentTooLarge { method, size, limit } => {
                write!(f, "the argument of '{method}' is {size} bytes; at most {limit} are accepted")
            }
        }
    }
}

/// Checks one ingress message against `rules`. A method missing from the table is refused: a new endpoint must be
/// added to its canister's table to be reachable by ingress at all (its inter-canister callers are not filtered).
pub fn check_ingress(
    rules: &[IngressRule],
    method: &str,
    caller: Principal,
    arg_bytes: usize,
) -> Result<(), IngressRefusal> {
    let rule =
        rules.iter().find(|rule| rule.method == method).ok_or_else(|| IngressRefusal::UnknownMethod(method.into()))?;
    if !rule.anonymous_allowed && caller == Principal::anonymous() {
        return Err(IngressRefusal::Anonymous(method.into()));
    }
    if arg_bytes > rule.max_arg_bytes {
        return Err(IngressRefusal::ArgumentTooLarge {
            method: method.into(),
            size: arg_bytes,
            limit: rule.max_arg_bytes,
        });
    }
    Ok(())
}

/// Defines a canister's `canister_inspect_message` hook from its table: the message is accepted only when `$rules`
/// allow its method, caller and argument size; otherwise the hook traps with the reason, which the IC hands back to
/// the sender, and the message is never executed or charged to the canister. The argument is read to learn its size:
/// at most the IC's ingress limit (2 MiB), far below inspect_message's instruction budget (200 M).
///
/// Expands to code using `ic_cdk`, which every canister crate depends on (this crate does not).
#[macro_export]
macro_rules! ingress_filter {
    ($rules:expr) => {
        #[::ic_cdk::inspect_message]
        fn inspect_message() {
            let method = ::ic_cdk::api::msg_method_name();
            let size = ::ic_cdk::api::msg_arg_data().len();
            match $crate::ingress::check_ingress($rules, &method, ::ic_cdk::api::msg_caller(), size) {
                Ok(()) => ::ic_cdk::api::accept_message(),
                Err(refusal) => ::ic_cdk::trap(format!("ingress refused: {refusal}")),
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[IngressRule] = &[IngressRule::signed("pay", 100), IngressRule::open("ping", 10)];

    fn user() -> Principal {
        Principal::from_slice(&[7; 29])
    }

    #[test]
    fn a_signed_method_refuses_the_anonymous_caller_and_accepts_a_user() {
        assert_eq!(
            check_ingress(RULES, "pay", Principal::anonymous(), 1),
            Err(IngressRefusal::Anonymous("pay".into()))
        );
        assert_eq!(check_ingress(RULES, "pay", user(), 100), Ok(()));
    }

    #[test]
    fn an_oversized_argument_is_refused_with_its_size_and_the_limit() {
        let refusal = check_ingress(RULES, "pay", user(), 101).unwrap_err();
        assert_eq!(refusal, IngressRefusal::ArgumentTooLarge { method: "pay".into(), size: 101, limit: 100 });
        assert!(refusal.to_string().contains("101 bytes"));
    }

    #[test]
    fn an_open_method_accepts_anonymous_and_an_unknown_method_is_refused() {
        assert_eq!(check_ingress(RULES, "ping", Principal::anonymous(), 10), Ok(()));
        assert!(matches!(check_ingress(RULES, "drop_all", user(), 0), Err(IngressRefusal::UnknownMethod(_))));
    }
}
