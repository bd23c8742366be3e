//! `MqttString`: a UTF-8 string field that shares the packet's buffer.

use bytes::Bytes;

use crate::CodecError;

/// The longest string or binary field MQTT can carry: its length is a two-byte integer.
pub const MAX_FIELD_LEN: usize = u16::MAX as usize;

/// An MQTT UTF-8 Encoded String (section 1.5.4): valid UTF-8 without U+0000, at most 65,535
/// bytes, held in [`Bytes`] so that a decoded string is a slice of the received packet, not a copy.
///
/// The rules are checked when the string is made, so every `MqttString` can be encoded.
///
/// ```
/// use flowsdk_codec::MqttString;
/// let s = MqttString::new("sensors/7").unwrap();
/// assert_eq!(s.as_str(), "sensors/7");
/// assert!(MqttString::new("nul\0inside").is_err()); // [MQTT-1.5.4-2]
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MqttString(Bytes);

impl MqttString {
    /// Makes a string from anything that turns into a `String`.
    ///
    /// # Errors
    /// [`CodecError::NullCharacter`] for U+0000 [MQTT-1.5.4-2];
    /// [`CodecError::FieldTooLong`] over 65,535 bytes.
    pub fn new(s: impl Into<String>) -> Result<Self, CodecError> {
        let s = s.into();
        check_str(&s, "string")?;
        Ok(MqttString(Bytes::from(s)))
    }

    /// Makes a string from a `'static` str without copying it.
    ///
    /// # Errors
    /// As [`MqttString::new`].
    pub fn from_static(s: &'static str) -> Result<Self, CodecError> {
        check_str(s, "string")?;
        Ok(MqttString(Bytes::from_static(s.as_bytes())))
    }

    /// Checks `bytes` and wraps them without copying.
    ///
    /// # Errors
    /// [`CodecError::InvalidUtf8`] [MQTT-1.5.4-1], [`CodecError::NullCharacter`] [MQTT-1.5.4-2],
    /// [`CodecError::FieldTooLong`], each naming `field`.
    #[inline]
    pub fn from_bytes(bytes: Bytes, field: &'static str) -> Result<Self, CodecError> {
        check_bytes(&bytes, field)?;
        Ok(MqttString(bytes))
    }

    /// Wraps bytes the caller has already checked against every rule of
    /// [`MqttString::from_bytes`].
    pub(crate) fn from_checked(bytes: Bytes) -> Self {
        MqttString(bytes)
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        // The constructors only admit valid UTF-8, so this cannot fail; the fallback keeps the
        // accessor panic-free all the same.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The encoded bytes (without the length prefix).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying buffer, shared with the packet it was decoded from.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `true` when every byte is in 1..=127: ASCII, hence valid UTF-8, and no U+0000.
#[inline]
pub(crate) fn is_ascii_without_nul(bytes: &[u8]) -> bool {
    all_words(bytes, |w| (w & HIGH) | zero_byte(w))
}

/// `true` when every byte is in 1..=127 (ASCII, hence valid UTF-8, and no U+0000) and none is
/// a wildcard, `+` or `#`: a topic name that breaks no rule of its characters.
#[inline]
pub(crate) fn is_ascii_topic_name(bytes: &[u8]) -> bool {
    // `+` (0x2B) and `#` (0x23) differ only in bit 3, and no other byte becomes 0x23 when that
    // bit is cleared: one comparison finds both.
    const BIT3: u64 = u64::from_ne_bytes([0x08; 8]);
    const HASH: u64 = u64::from_ne_bytes([b'#'; 8]);
    all_words(bytes, |w| {
        (w & HIGH) | zero_byte(w) | zero_byte((w & !BIT3) ^ HASH)
    })
}

/// The high bit of each byte of `word` (eight bytes, read little-endian) that is `+` or `#`,
/// exactly: bit `8 * i + 7` is set when byte `i` is a wildcard.
#[inline(always)]
pub(crate) fn wildcard_bytes(word: &[u8]) -> u64 {
    const BIT3: u64 = u64::from_ne_bytes([0x08; 8]);
    const HASH: u64 = u64::from_ne_bytes([b'#'; 8]);
    const LOW7: u64 = u64::from_ne_bytes([0x7F; 8]);
    let mut w = [0u8; 8];
    w.copy_from_slice(word);
    // Zero exactly where the byte is `#` or `+` (they differ only in bit 3).
    let t = (u64::from_le_bytes(w) & !BIT3) ^ HASH;
    // A byte's high bit ends up clear exactly when the byte is zero; no carry crosses bytes.
    !(((t & LOW7) + LOW7) | t) & HIGH
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// Non-zero exactly when some byte of `w` is zero (a borrow can only mark bytes above a zero
/// byte, never invent one).
#[inline(always)]
fn zero_byte(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGH
}

/// `true` when `bad` is zero for every eight bytes of `bytes`.
///
/// A word at a time, without branches on the data: MQTT strings and topics are short, and a
/// byte-wise loop spends most of its time on the loop itself. A string shorter than a word is
/// padded with `a`, which every check accepts; a longer one ends with its last eight bytes,
/// overlapping the last whole word (checking a byte twice changes nothing).
#[inline(always)]
fn all_words(bytes: &[u8], bad: impl Fn(u64) -> u64) -> bool {
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        u64::from_ne_bytes(w)
    };
    let len = bytes.len();
    if len < 8 {
        let mut w = [b'a'; 8];
        for (to, &from) in w.iter_mut().zip(bytes) {
            *to = from;
        }
        return bad(u64::from_ne_bytes(w)) == 0;
    }
    let any = bytes.chunks_exact(8).fold(0, |any, w| any | bad(word(w)));
    any | bad(word(&bytes[len - 8..])) == 0
}

/// The rules of [`MqttString::from_bytes`], on borrowed bytes: what a decoder checks when it
/// keeps the encoded field rather than a string value.
#[inline]
pub(crate) fn check_bytes(bytes: &[u8], field: &'static str) -> Result<(), CodecError> {
    // Most strings on the wire are ASCII: one branch-free pass proves valid UTF-8 and no
    // U+0000 together. Anything else takes the full checks, which name the broken rule.
    if bytes.len() <= MAX_FIELD_LEN && is_ascii_without_nul(bytes) {
        return Ok(());
    }
    let s = std::str::from_utf8(bytes).map_err(|_| CodecError::InvalidUtf8 { field })?;
    check_str(s, field)
}

pub(crate) fn check_str(s: &str, field: &'static str) -> Result<(), CodecError> {
    if s.len() > MAX_FIELD_LEN {
        return Err(CodecError::FieldTooLong {
            field,
            len: s.len(),
        });
    }
    if s.as_bytes().contains(&0) {
        return Err(CodecError::NullCharacter { field });
    }
    Ok(())
}

impl std::ops::Deref for MqttString {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for MqttString {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for MqttString {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for MqttString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for MqttString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for MqttString {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for MqttString {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl TryFrom<&str> for MqttString {
    type Error = CodecError;
    fn try_from(s: &str) -> Result<Self, CodecError> {
        MqttString::new(s)
    }
}

impl TryFrom<String> for MqttString {
    type Error = CodecError;
    fn try_from(s: String) -> Result<Self, CodecError> {
        MqttString::new(s)
    }
}

impl std::str::FromStr for MqttString {
    type Err = CodecError;
    fn from_str(s: &str) -> Result<Self, CodecError> {
        MqttString::new(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for MqttString {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for MqttString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        MqttString::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checks without the ASCII shortcut.
    fn full_check(bytes: &[u8]) -> Result<(), CodecError> {
        let s = std::str::from_utf8(bytes).map_err(|_| CodecError::InvalidUtf8 { field: "f" })?;
        check_str(s, "f")
    }

    #[test]
    fn the_word_at_a_time_checks_agree_with_byte_at_a_time_checks() {
        for len in 1..=24usize {
            for pos in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'x'; len];
                    bytes[pos] = b;
                    let ascii = (1..=127).contains(&b);
                    assert_eq!(is_ascii_without_nul(&bytes), ascii, "{bytes:?}");
                    let topic = ascii && b != b'+' && b != b'#';
                    assert_eq!(is_ascii_topic_name(&bytes), topic, "{bytes:?}");
                }
            }
        }
        assert!(is_ascii_without_nul(b"") && is_ascii_topic_name(b""));
    }

    #[test]
    fn wildcard_bytes_marks_exactly_the_wildcards_of_a_word() {
        // Each byte value in each place, beside every byte value in the next place (a false
        // mark would come from a borrow or carry between neighbours).
        for pos in 0..8 {
            for b in 0..=255u8 {
                for next in 0..=255u8 {
                    let mut w = [b'x'; 8];
                    w[pos] = b;
                    w[(pos + 1) % 8] = next;
                    let expected = w.iter().enumerate().fold(0u64, |m, (i, &c)| {
                        m | (u64::from(c == b'+' || c == b'#') << (8 * i + 7))
                    });
                    assert_eq!(wildcard_bytes(&w), expected, "{w:?}");
                }
            }
        }
    }

    #[test]
    fn the_ascii_shortcut_accepts_and_refuses_what_the_full_checks_do() {
        let mut cases: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b'x', b, b'y']).collect();
        cases.extend([
            vec![],
            "caf\u{e9}".as_bytes().to_vec(),
            vec![0xE2, 0x82],
            vec![b'a'; 100],
            [vec![b'a'; 40], vec![0], vec![b'a'; 40]].concat(),
        ]);
        for bytes in cases {
            assert_eq!(
                MqttString::from_bytes(Bytes::from(bytes.clone()), "f").map(|_| ()),
                full_check(&bytes),
                "{bytes:?}"
            );
        }
    }
}
