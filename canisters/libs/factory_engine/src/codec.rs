//! How values are laid out in stable memory. Records that change shape over time are candid (new fields are added
//! as `opt`, so old bytes still decode); small hot index entries have a fixed binary layout.

use candid::Principal;
use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
use std::borrow::Cow;

/// Implements `Storable` through candid for a type that is `CandidType + Deserialize`. Decoding only fails on bytes
/// this code did not write (a corrupted or foreign memory), which is a trap by design: the upgrade rolls back.
macro_rules! candid_storable {
    ($($t:ty),+ $(,)?) => {$(
        impl ic_stable_structures::Storable for $t {
            fn to_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
                std::borrow::Cow::Owned(self.clone().into_bytes())
            }
            fn into_bytes(self) -> Vec<u8> {
                candid::encode_one(&self).expect("candid encoding of a stable record")
            }
            fn from_bytes(bytes: std::borrow::Cow<[u8]>) -> Self {
                candid::decode_one(&bytes).expect("candid decoding of a stable record")
            }
            const BOUND: ic_stable_structures::storable::Bound = ic_stable_structures::storable::Bound::Unbounded;
        }
    )+};
}
pub(crate) use candid_storable;

/// Longest principal: 29 bytes.
pub const MAX_PRINCIPAL_LEN: usize = 29;

/// Writes a principal as one length byte and its bytes.
pub fn put_principal(out: &mut Vec<u8>, principal: &Principal) {
    let bytes = principal.as_slice();
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

/// Reads what `put_principal` wrote, returning the principal and the rest.
pub fn take_principal(bytes: &[u8]) -> (Principal, &[u8]) {
    let len = bytes[0] as usize;
    (Principal::from_slice(&bytes[1..1 + len]), &bytes[1 + len..])
}

/// Bound of a value made of a few principals and fixed fields.
pub const fn bounded(max_size: u32) -> Bound {
    Bound::Bounded { max_size, is_fixed_size: false }
}

/// How many contracts a user created, takes part in, and how many of those are private.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserCounts {
    pub created: u64,
    pub participating: u64,
    pub private: u64,
}

impl Storable for UserCounts {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }
    fn into_bytes(self) -> Vec<u8> {
        [self.created, self.participating, self.private].iter().flat_map(|n| n.to_le_bytes()).collect()
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let field = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        Self { created: field(0), participating: field(1), private: field(2) }
    }
    const BOUND: Bound = Bound::Bounded { max_size: 24, is_fixed_size: true };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_and_counts_round_trip() {
        let p = Principal::from_slice(&[7; 29]);
        let mut out = vec![];
        put_principal(&mut out, &p);
        out.push(42);
        let (back, rest) = take_principal(&out);
        assert_eq!(back, p);
        assert_eq!(rest, &[42]);
        let counts = UserCounts { created: 3, participating: u64::MAX, private: 1 };
        assert_eq!(UserCounts::from_bytes(counts.to_bytes()), counts);
    }
}
