//! `RawProperties`: property bytes written one by one, valid or not.

use bytes::{BufMut, Bytes, BytesMut};

use super::field::put_vbi;

/// The bytes of a property block (without its length prefix), written property by property
/// with no check: unknown identifiers, duplicates, properties in the wrong packet and values
/// the specification forbids can all be written.
///
/// Identifiers are written as one byte (every identifier MQTT 5.0 defines fits); use
/// [`RawProperties::raw`] for anything else. The result goes into a packet with
/// [`RawPacketBuilder::properties`](crate::RawPacketBuilder::properties), which adds the
/// length prefix.
///
/// ```
/// use flowsdk_codec::PropertyId;
/// use flowsdk_testing::RawProperties;
///
/// // Receive Maximum 0 is a Protocol Error (section 3.1.2.11.3).
/// let props = RawProperties::new()
///     .two_byte_integer(PropertyId::ReceiveMaximum.as_u8(), 0)
///     .build();
/// assert_eq!(props.as_ref(), [0x21, 0x00, 0x00]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct RawProperties {
    buf: BytesMut,
}

impl RawProperties {
    /// No properties yet.
    pub fn new() -> Self {
        RawProperties::default()
    }

    /// A property with a Byte value (Payload Format Indicator, Maximum QoS, the booleans...).
    pub fn byte(mut self, id: u8, value: u8) -> Self {
        self.buf.put_u8(id);
        self.buf.put_u8(value);
        self
    }

    /// A property with a Two Byte Integer value (Receive Maximum, Topic Alias...).
    pub fn two_byte_integer(mut self, id: u8, value: u16) -> Self {
        self.buf.put_u8(id);
        self.buf.put_u16(value);
        self
    }

    /// A property with a Four Byte Integer value (Session Expiry Interval, Maximum Packet
    /// Size...).
    pub fn four_byte_integer(mut self, id: u8, value: u32) -> Self {
        self.buf.put_u8(id);
        self.buf.put_u32(value);
        self
    }

    /// A property with a Variable Byte Integer value (Subscription Identifier), in its
    /// shortest form (five bytes above 268,435,455).
    pub fn variable_byte_integer(mut self, id: u8, value: u32) -> Self {
        self.buf.put_u8(id);
        put_vbi(u64::from(value), 0, &mut self.buf);
        self
    }

    /// A property with a UTF-8 Encoded String value, bytes unchecked (invalid UTF-8 and
    /// U+0000 can be written); the length prefix is the byte count modulo 65,536.
    pub fn utf8(mut self, id: u8, value: impl AsRef<[u8]>) -> Self {
        self.buf.put_u8(id);
        put_prefixed(&mut self.buf, value.as_ref());
        self
    }

    /// A property with a UTF-8 String Pair value (User Property), bytes unchecked.
    pub fn utf8_pair(mut self, id: u8, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        self.buf.put_u8(id);
        put_prefixed(&mut self.buf, name.as_ref());
        put_prefixed(&mut self.buf, value.as_ref());
        self
    }

    /// A property with a Binary Data value (Correlation Data, Authentication Data).
    pub fn binary(mut self, id: u8, value: impl AsRef<[u8]>) -> Self {
        self.buf.put_u8(id);
        put_prefixed(&mut self.buf, value.as_ref());
        self
    }

    /// Bytes appended as they are: a truncated property, a multi-byte identifier...
    pub fn raw(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.buf.put_slice(bytes.as_ref());
        self
    }

    /// The number of bytes so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// `true` when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The property bytes, without a length prefix.
    pub fn build(self) -> Bytes {
        self.buf.freeze()
    }
}

fn put_prefixed(out: &mut BytesMut, bytes: &[u8]) {
    // Truncation is the documented behaviour for over-long values.
    out.put_u16(bytes.len() as u16);
    out.put_slice(bytes);
}
