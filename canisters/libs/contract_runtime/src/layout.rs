//! Hand-written byte layouts for records a contract reads and writes on every call (books, transfer records):
//! candid costs a few hundred thousand instructions per record in wasm, these a few thousand.
//!
//! A layout starts with a version byte. Fields are little-endian integers, an `Option` is a presence byte and the
//! value (zero when absent), bytes and text are a `u32` length and the bytes, a principal is its bytes. A later
//! release may append fields: past the end of older bytes every field reads as its default, so what an older release
//! wrote stays readable; a layout newer than the code is refused ([`LayoutReader::open`]).

use candid::Principal;

/// Writes a layout: the version byte first, then the fields in order.
pub struct LayoutWriter(Vec<u8>);

impl LayoutWriter {
    pub fn new(version: u8) -> Self {
        Self(vec![version])
    }

    pub fn finish(self) -> Vec<u8> {
        self.0
    }

    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u128(&mut self, v: u128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub fn opt_u64(&mut self, v: Option<u64>) {
        self.u8(u8::from(v.is_some()));
        self.u64(v.unwrap_or(0));
    }

    pub fn opt_u128(&mut self, v: Option<u128>) {
        self.u8(u8::from(v.is_some()));
        self.u128(v.unwrap_or(0));
    }

    /// `v`'s length (at most `u32::MAX`: stored records are far smaller) and `v`.
    pub fn bytes(&mut self, v: &[u8]) {
        self.u32(u32::try_from(v.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(v);
    }

    pub fn text(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }

    pub fn principal(&mut self, p: &Principal) {
        self.bytes(p.as_slice());
    }
}

/// Reads what [`LayoutWriter`] wrote; past the end every field reads as its default.
pub struct LayoutReader<'a>(&'a [u8]);

impl<'a> LayoutReader<'a> {
    /// Opens `bytes` written in a layout at most `newest` (this code's).
    ///
    /// # Panics
    /// When `bytes` is empty or holds a newer layout: it would be misread. The panic traps the message; in
    /// `post_upgrade` it refuses the upgrade, and the newer code keeps running.
    pub fn open(bytes: &'a [u8], newest: u8, what: &str) -> Self {
        assert!(
            bytes.first().is_some_and(|v| *v <= newest),
            "stable memory holds a {what} layout newer than this code"
        );
        Self(&bytes[1..])
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let head = self.take(N);
        out[..head.len()].copy_from_slice(head);
        out
    }

    pub fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    pub fn u128(&mut self) -> u128 {
        u128::from_le_bytes(self.array())
    }

    pub fn opt_u64(&mut self) -> Option<u64> {
        let some = self.u8() == 1;
        let v = self.u64();
        some.then_some(v)
    }

    pub fn opt_u128(&mut self) -> Option<u128> {
        let some = self.u8() == 1;
        let v = self.u128();
        some.then_some(v)
    }

    pub fn bytes(&mut self) -> Vec<u8> {
        let n = self.u32() as usize;
        self.take(n).to_vec()
    }

    pub fn text(&mut self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// A principal; the anonymous one for bytes that are not a principal (only corrupt memory has such bytes).
    pub fn principal(&mut self) -> Principal {
        Principal::try_from_slice(&self.bytes()).unwrap_or_else(|_| Principal::anonymous())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_missing_ones_read_as_defaults() {
        let mut w = LayoutWriter::new(2);
        w.u8(7);
        w.u32(70_000);
        w.u64(u64::MAX);
        w.u128(u128::MAX - 1);
        w.opt_u64(None);
        w.opt_u128(Some(5));
        w.text("déjà");
        w.principal(&Principal::management_canister());
        let bytes = w.finish();
        assert_eq!(bytes[0], 2);
        let mut r = LayoutReader::open(&bytes, 2, "test");
        assert_eq!((r.u8(), r.u32(), r.u64(), r.u128()), (7, 70_000, u64::MAX, u128::MAX - 1));
        assert_eq!((r.opt_u64(), r.opt_u128()), (None, Some(5)));
        assert_eq!(r.text(), "déjà");
        assert_eq!(r.principal(), Principal::management_canister());
        // Fields a later release appended read as their defaults from these bytes.
        assert_eq!((r.u64(), r.opt_u128(), r.text()), (0, None, String::new()));
        // A length beyond the end reads what is there.
        let mut r = LayoutReader::open(&[1, 9, 0, 0, 0, b'a'], 1, "test");
        assert_eq!(r.bytes(), b"a".to_vec());
    }

    #[test]
    #[should_panic(expected = "layout newer than this code")]
    fn a_newer_layout_is_refused() {
        LayoutReader::open(&[3, 0], 2, "books");
    }
}
