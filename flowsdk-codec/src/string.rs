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
        // Most strings on the wire are ASCII: one branch-free pass proves valid UTF-8 and no
        // U+0000 together. Anything else takes the full checks, which name the broken rule.
        if bytes.len() <= MAX_FIELD_LEN && is_ascii_without_nul(&bytes) {
            return Ok(MqttString(bytes));
        }
        let s = std::str::from_utf8(&bytes).map_err(|_| CodecError::InvalidUtf8 { field })?;
        check_str(s, field)?;
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

/// `true` when every byte is in 1..=127: ASCII, hence valid UTF-8, and no U+0000. No early
/// exit, so the loop is vectorized.
#[inline]
pub(crate) fn is_ascii_without_nul(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .fold(true, |ok, &b| ok & (b.wrapping_sub(1) < 0x7F))
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
