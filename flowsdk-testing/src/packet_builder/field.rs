//! The pieces a raw packet is made of: body fields and the remaining length.

use bytes::{BufMut, Bytes, BytesMut};

/// One field of a packet body, written exactly as given.
///
/// Lengths the field carries on the wire (the two-byte prefix of a string, the Variable Byte
/// Integer before a property block) are computed from the bytes, unless the variant takes the
/// length explicitly; nothing is validated, so any byte sequence can be written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// A one-byte integer (flags, protocol level, reason code, QoS...).
    U8(u8),
    /// A two-byte big-endian integer (keep alive, packet identifier...).
    U16(u16),
    /// A four-byte big-endian integer.
    U32(u32),
    /// A Variable Byte Integer in its shortest form, up to five bytes for values above
    /// 268,435,455 (which is itself invalid, [MQTT-1.5.5-1]).
    Vbi(u32),
    /// A UTF-8 Encoded String (section 1.5.4): a two-byte length, then the bytes as given. The
    /// bytes are not checked, so invalid UTF-8, surrogates and U+0000 can be written; the
    /// length is the byte count modulo 65,536.
    Utf8(Bytes),
    /// Binary Data (section 1.5.6): a two-byte length, then the bytes; the length is the byte
    /// count modulo 65,536.
    Binary(Bytes),
    /// A string or binary field with a chosen length prefix that may disagree with the bytes.
    LengthPrefixed {
        /// The two-byte length written.
        len: u16,
        /// The bytes written after it.
        bytes: Bytes,
    },
    /// A property block: the Variable Byte Integer length of `0`, then `0` itself (raw
    /// property bytes, see [`RawProperties`](crate::RawProperties)).
    Properties(Bytes),
    /// Bytes written as they are, with no length (a PUBLISH payload, a hand-made encoding).
    Raw(Bytes),
}

impl Field {
    /// Appends the field's wire form to `out`.
    pub fn write(&self, out: &mut BytesMut) {
        match self {
            Field::U8(v) => out.put_u8(*v),
            Field::U16(v) => out.put_u16(*v),
            Field::U32(v) => out.put_u32(*v),
            Field::Vbi(v) => put_vbi(u64::from(*v), 0, out),
            Field::Utf8(bytes) | Field::Binary(bytes) => {
                // Truncating to 16 bits is the documented behaviour: it is how an over-long
                // string is written.
                out.put_u16(bytes.len() as u16);
                out.put_slice(bytes);
            }
            Field::LengthPrefixed { len, bytes } => {
                out.put_u16(*len);
                out.put_slice(bytes);
            }
            Field::Properties(bytes) => {
                put_vbi(bytes.len() as u64, 0, out);
                out.put_slice(bytes);
            }
            Field::Raw(bytes) => out.put_slice(bytes),
        }
    }

    /// The number of bytes [`Field::write`] appends.
    pub fn wire_len(&self) -> usize {
        match self {
            Field::U8(_) => 1,
            Field::U16(_) => 2,
            Field::U32(_) => 4,
            Field::Vbi(v) => vbi_len(u64::from(*v)),
            Field::Utf8(b) | Field::Binary(b) | Field::LengthPrefixed { bytes: b, .. } => {
                2 + b.len()
            }
            Field::Properties(b) => vbi_len(b.len() as u64) + b.len(),
            Field::Raw(b) => b.len(),
        }
    }
}

/// How the remaining length of the fixed header is written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemainingLength {
    /// The body's length in the shortest Variable Byte Integer: a valid packet. The default.
    #[default]
    Computed,
    /// This value in the shortest Variable Byte Integer, whatever the body's length (five
    /// bytes above 268,435,455).
    Value(u32),
    /// The body's length stretched over `width` bytes with continuation bits, e.g. a
    /// remaining length of 2 as `82 80 80 80 00` for width 5 — the non-minimal or over-long
    /// encodings [MQTT-1.5.5-1] forbids. A width below the shortest form gives the shortest.
    Overlong {
        /// The number of bytes to use.
        width: usize,
    },
    /// These bytes, as they are (an unterminated integer, six continuation bytes...).
    Raw(Bytes),
}

/// Appends `value` as a Variable Byte Integer of at least `min_width` bytes: the shortest form
/// padded with `0x80` continuation bytes ending in `0x00`.
///
/// Values above 268,435,455 take a fifth byte; nothing is refused, so invalid encodings can be
/// written on purpose.
pub(crate) fn put_vbi(mut value: u64, min_width: usize, out: &mut BytesMut) {
    let mut written = 0;
    loop {
        let mut byte = (value & 0x7F) as u8;
        value >>= 7;
        let more = value > 0 || written + 1 < min_width;
        if more {
            byte |= 0x80;
        }
        out.put_u8(byte);
        written += 1;
        if !more {
            return;
        }
    }
}

/// The length of [`put_vbi`]'s shortest form of `value`.
pub(crate) fn vbi_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vbi(value: u64, width: usize) -> Vec<u8> {
        let mut out = BytesMut::new();
        put_vbi(value, width, &mut out);
        out.to_vec()
    }

    #[test]
    fn shortest_variable_byte_integers_match_the_specification_table() {
        // Section 1.5.5: the boundaries of each length.
        assert_eq!(vbi(0, 0), [0x00]);
        assert_eq!(vbi(127, 0), [0x7F]);
        assert_eq!(vbi(128, 0), [0x80, 0x01]);
        assert_eq!(vbi(16_383, 0), [0xFF, 0x7F]);
        assert_eq!(vbi(16_384, 0), [0x80, 0x80, 0x01]);
        assert_eq!(vbi(268_435_455, 0), [0xFF, 0xFF, 0xFF, 0x7F]);
        assert_eq!(vbi(268_435_456, 0), [0x80, 0x80, 0x80, 0x80, 0x01]);
        for v in [0, 127, 128, 16_383, 16_384, 268_435_455, 268_435_456] {
            assert_eq!(vbi_len(v), vbi(v, 0).len());
        }
    }

    #[test]
    fn overlong_variable_byte_integers_pad_with_continuation_bytes() {
        assert_eq!(vbi(2, 5), [0x82, 0x80, 0x80, 0x80, 0x00]);
        assert_eq!(vbi(2, 2), [0x82, 0x00]);
        assert_eq!(vbi(300, 1), [0xAC, 0x02]);
    }

    #[test]
    fn string_fields_write_the_bytes_they_are_given() {
        let mut out = BytesMut::new();
        Field::Utf8(Bytes::from_static(b"a\0\xFF")).write(&mut out);
        Field::LengthPrefixed {
            len: 9,
            bytes: Bytes::from_static(b"ab"),
        }
        .write(&mut out);
        Field::Properties(Bytes::from_static(&[0x21, 0x00, 0x0A])).write(&mut out);
        assert_eq!(
            out.as_ref(),
            [0, 3, b'a', 0, 0xFF, 0, 9, b'a', b'b', 3, 0x21, 0x00, 0x0A]
        );
    }
}
