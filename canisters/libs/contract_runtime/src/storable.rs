//! Storing candid values in stable structures.

use candid::{CandidType, Decode, Encode};
use ic_stable_structures::storable::{Bound, Storable};
use serde::de::DeserializeOwned;
use std::borrow::Cow;

/// A value stored in its candid encoding. Candid lets a later version add `opt` fields to a stored record and still
/// read what an older version wrote, which is what a stable record needs across upgrades.
///
/// Decoding what this canister wrote itself cannot fail unless stable memory is corrupt or a release changed a stored
/// type incompatibly; then `from_bytes` panics, which traps the message and, in `post_upgrade`, refuses the upgrade
/// with the old code still installed. That is the right outcome: nothing may run on state it cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candid<T>(pub T);

impl<T: CandidType + DeserializeOwned> Storable for Candid<T> {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.encode())
    }

    fn into_bytes(self) -> Vec<u8> {
        self.encode()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        match Decode!(bytes.as_ref(), T) {
            Ok(value) => Candid(value),
            Err(e) => panic!("stable memory holds an undecodable {}: {e}", std::any::type_name::<T>()),
        }
    }

    const BOUND: Bound = Bound::Unbounded;
}

impl<T: CandidType> Candid<T> {
    fn encode(&self) -> Vec<u8> {
        // Encoding a value of a derived CandidType cannot fail (only recursion-depth overflows could, and stored
        // records are flat).
        Encode!(&self.0).expect("candid encoding of a stored value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Deserialize;

    #[derive(CandidType, Deserialize, Debug, PartialEq, Clone)]
    struct V1 {
        a: u32,
    }

    #[derive(CandidType, Deserialize, Debug, PartialEq, Clone)]
    struct V2 {
        a: u32,
        b: Option<String>,
    }

    #[test]
    fn a_later_record_with_an_added_opt_field_reads_the_old_bytes() {
        let old = Candid(V1 { a: 7 }).into_bytes();
        let new = Candid::<V2>::from_bytes(Cow::Owned(old));
        assert_eq!(new.0, V2 { a: 7, b: None });
    }
}
