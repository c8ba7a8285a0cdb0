//! The canister history (`canister_info`): who made a change, how the creation record hashes environment
//! variables, and the method itself. The changes are recorded by the methods that make them (creation, code
//! deployment and uninstallation, controller changes, snapshot loads) through `Canister::record_change`.

use ic_management_canister_types::{
    CanisterInfoArgs, CanisterInfoResult, ChangeOrigin, EnvironmentVariable, FromCanisterRecord, FromUserRecord,
};
use sha2::{Digest, Sha256};

use super::{canister, decode_arg, reply};
use crate::errors::RejectResponse;
use crate::state::{ManagementCall, ManagementOutcome, Subnet};

/// The origin of a change: the user of an ingress call, or the calling canister with the
/// `sender_canister_version` it put in the payload (`None` when it did not).
pub(crate) fn change_origin(call: &ManagementCall<'_>, sender_canister_version: Option<u64>) -> ChangeOrigin {
    if call.is_ingress {
        ChangeOrigin::FromUser(FromUserRecord { user_id: call.caller })
    } else {
        ChangeOrigin::FromCanister(FromCanisterRecord {
            canister_id: call.caller,
            canister_version: sender_canister_version,
        })
    }
}

/// The interface specification's hash of a map (here name → value, both text): the SHA-256 of the sorted
/// concatenation of `sha256(name) · sha256(value)` over the entries.
pub(crate) fn environment_variables_hash(variables: &[EnvironmentVariable]) -> Vec<u8> {
    let mut entries: Vec<Vec<u8>> = variables
        .iter()
        .map(|v| [Sha256::digest(v.name.as_bytes()), Sha256::digest(v.value.as_bytes())].concat())
        .collect();
    entries.sort();
    Sha256::digest(entries.concat()).to_vec()
}

/// Any canister may ask about any canister. `recent_changes` holds the `num_requested_changes` most recent
/// changes, oldest first; none when it is not given.
pub(super) fn canister_info(
    subnet: &mut Subnet,
    call: &ManagementCall<'_>,
) -> Result<ManagementOutcome, RejectResponse> {
    let args: CanisterInfoArgs = decode_arg(call.arg)?;
    let target = canister(subnet, &args.canister_id)?;
    let requested = args.num_requested_changes.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let skip = target.history.len().saturating_sub(requested);
    reply((CanisterInfoResult {
        total_num_changes: target.history_changes,
        recent_changes: target.history.iter().skip(skip).cloned().collect(),
        module_hash: target.code.as_ref().map(|c| c.module_hash.to_vec()),
        controllers: target.settings.controllers.clone(),
    },))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_hash_does_not_depend_on_the_order_of_the_variables() {
        let var = |name: &str, value: &str| EnvironmentVariable { name: name.into(), value: value.into() };
        let a = environment_variables_hash(&[var("A", "1"), var("B", "2")]);
        let b = environment_variables_hash(&[var("B", "2"), var("A", "1")]);
        assert_eq!(a, b);
        assert_ne!(a, environment_variables_hash(&[var("A", "2"), var("B", "1")]));
        assert_eq!(environment_variables_hash(&[]), Sha256::digest(b"").to_vec());
    }
}
