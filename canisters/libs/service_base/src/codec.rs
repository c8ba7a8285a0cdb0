//! How values are laid out in stable memory.
//!
//! Records are stored candid-encoded: candid lets a later version add `opt` fields and still read what an older
//! version wrote, which is what schema evolution without `pre_upgrade` needs.

use candid::CandidType;
use ic_stable_structures::storable::{Bound, Storable};
use serde::de::DeserializeOwned;
use std::borrow::Cow;

/// A record stored candid-encoded. Decoding can only fail if stable memory holds something this canister never wrote
/// (a bug or a botched migration); `Storable` cannot return an error, so that traps, which rolls the message back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candid<T>(pub T);

impl<T: CandidType + DeserializeOwned> Storable for Candid<T> {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(candid::encode_one(&self.0).expect("candid encoding of a stable record failed"))
    }

    fn into_bytes(self) -> Vec<u8> {
        candid::encode_one(&self.0).expect("candid encoding of a stable record failed")
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        match candid::decode_one(&bytes) {
            Ok(value) => Candid(value),
            Err(e) => panic!("stable record is not valid candid for {}: {e}", std::any::type_name::<T>()),
        }
    }

    const BOUND: Bound = Bound::Unbounded;
}

/// A short text usable in composite `StableBTreeMap` keys (tuples need bounded parts).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShortText(String);

impl ShortText {
    pub const MAX_BYTES: u32 = 96;

    /// `None` when the text is longer than [`Self::MAX_BYTES`] bytes.
    pub fn new(text: impl Into<String>) -> Option<Self> {
        let text = text.into();
        (text.len() <= Self::MAX_BYTES as usize).then_some(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Storable for ShortText {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.0.as_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        self.0.into_bytes()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        Self(String::from_utf8(bytes.into_owned()).expect("stable short text is not utf-8"))
    }

    const BOUND: Bound = Bound::Bounded { max_size: Self::MAX_BYTES, is_fixed_size: false };
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Deserialize;

    #[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
    struct V1 {
        id: u64,
        name: String,
    }

    #[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
    struct V2 {
        id: u64,
        name: String,
        note: Option<String>,
    }

    #[test]
    fn candid_records_round_trip_and_read_older_layouts() {
        let v1 = Candid(V1 { id: 7, name: "a".into() });
        assert_eq!(Candid::<V1>::from_bytes(v1.to_bytes()), v1);
        // A record written by an older version decodes into a newer type with an added opt field.
        let v2 = Candid::<V2>::from_bytes(v1.to_bytes());
        assert_eq!(v2.0, V2 { id: 7, name: "a".into(), note: None });
    }

    #[test]
    fn short_text_is_bounded_and_orders_like_strings() {
        assert!(ShortText::new("x".repeat(ShortText::MAX_BYTES as usize)).is_some());
        assert!(ShortText::new("x".repeat(ShortText::MAX_BYTES as usize + 1)).is_none());
        let a = ShortText::new("Alpha").unwrap();
        assert_eq!(ShortText::from_bytes(a.to_bytes()), a);
        assert!(ShortText::new("a").unwrap() < ShortText::new("b").unwrap());
    }
}
