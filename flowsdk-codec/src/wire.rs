//! Reading and writing the specification's data representations (section 1.5): integers,
//! Variable Byte Integers, UTF-8 strings and binary data.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::{CodecError, MqttString, PacketType};

/// The largest value a Variable Byte Integer holds (section 1.5.5).
pub const MAX_VARIABLE_BYTE_INTEGER: u32 = 268_435_455;

/// Decodes a Variable Byte Integer from the start of `buf`.
///
/// Returns `Ok(None)` when `buf` ends before the integer does, else the value and the number
/// of bytes it took.
///
/// # Errors
/// [`CodecError::MalformedVariableByteInteger`] when the integer runs past four bytes or is not
/// in its shortest form [MQTT-1.5.5-1].
///
/// ```
/// use flowsdk_codec::decode_variable_byte_integer;
/// assert_eq!(decode_variable_byte_integer(&[0xC1, 0x02]), Ok(Some((321, 2))));
/// assert_eq!(decode_variable_byte_integer(&[0xC1]), Ok(None));
/// assert!(decode_variable_byte_integer(&[0x80, 0x00]).is_err()); // not the shortest form
/// ```
#[inline]
pub fn decode_variable_byte_integer(buf: &[u8]) -> Result<Option<(u32, usize)>, CodecError> {
    let mut value: u32 = 0;
    for (i, &byte) in buf.iter().enumerate().take(4) {
        value |= u32::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            // A zero final byte after a continuation means a longer-than-needed encoding.
            if i > 0 && byte == 0 {
                return Err(CodecError::MalformedVariableByteInteger);
            }
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() >= 4 {
        Err(CodecError::MalformedVariableByteInteger)
    } else {
        Ok(None)
    }
}

/// Number of bytes the Variable Byte Integer encoding of `value` takes.
pub(crate) fn variable_byte_integer_len(value: usize) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Appends `value` as a Variable Byte Integer.
///
/// # Errors
/// [`CodecError::VariableByteIntegerTooLarge`] above 268,435,455.
pub fn encode_variable_byte_integer(value: usize, out: &mut BytesMut) -> Result<(), CodecError> {
    if value > MAX_VARIABLE_BYTE_INTEGER as usize {
        return Err(CodecError::VariableByteIntegerTooLarge { value });
    }
    put_vbi(value as u32, out);
    Ok(())
}

/// The Variable Byte Integer encoding of `value` (at most 268,435,455) and its length.
#[inline]
pub(crate) fn vbi_bytes(mut value: u32) -> ([u8; 4], usize) {
    let mut bytes = [0u8; 4];
    let mut len = 0;
    loop {
        let mut byte = (value & 0x7F) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        bytes[len] = byte;
        len += 1;
        if value == 0 || len == 4 {
            return (bytes, len);
        }
    }
}

pub(crate) fn put_vbi(mut value: u32, out: &mut BytesMut) {
    loop {
        let mut byte = (value & 0x7F) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        out.put_u8(byte);
        if value == 0 {
            break;
        }
    }
}

pub(crate) fn put_binary(bytes: &[u8], out: &mut BytesMut) {
    // Callers validated the length: every field type caps itself at 65,535 bytes.
    out.put_u16(bytes.len() as u16);
    out.put_slice(bytes);
}

pub(crate) fn put_str(s: &MqttString, out: &mut BytesMut) {
    put_binary(s.as_bytes(), out);
}

/// Checks a binary field's length before encoding.
pub(crate) fn check_binary(bytes: &[u8], field: &'static str) -> Result<usize, CodecError> {
    if bytes.len() > crate::string::MAX_FIELD_LEN {
        Err(CodecError::FieldTooLong {
            field,
            len: bytes.len(),
        })
    } else {
        Ok(2 + bytes.len())
    }
}

/// A cursor over one packet's body. Every read is bounds-checked and yields slices of the
/// shared buffer rather than copies.
pub(crate) struct Reader {
    buf: Bytes,
    pos: usize,
    /// Reads stop here: the end of `buf`, or of the block [`Reader::within`] reads.
    end: usize,
    packet: PacketType,
}

impl Reader {
    #[inline]
    pub(crate) fn new(buf: Bytes, packet: PacketType) -> Self {
        Reader {
            end: buf.len(),
            buf,
            pos: 0,
            packet,
        }
    }

    #[inline]
    pub(crate) fn packet(&self) -> PacketType {
        self.packet
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    #[inline]
    pub(crate) fn has_remaining(&self) -> bool {
        self.pos < self.end
    }

    fn eof(&self, field: &'static str) -> CodecError {
        CodecError::UnexpectedEof {
            packet: self.packet,
            field,
        }
    }

    #[inline]
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, CodecError> {
        // Bounded by `end`, not the buffer: inside `within` the block ends before the buffer.
        let b = *self.buf[..self.end]
            .get(self.pos)
            .ok_or_else(|| self.eof(field))?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, CodecError> {
        let s = self.take(2, field)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    #[inline]
    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, CodecError> {
        let s = self.take(4, field)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    #[inline]
    pub(crate) fn vbi(&mut self, field: &'static str) -> Result<u32, CodecError> {
        // Values below 128 (every property identifier, most lengths) are one byte, and one
        // byte without the continuation bit is always a valid, shortest encoding.
        if let Some(&byte) = self.buf[..self.end].get(self.pos) {
            if byte < 0x80 {
                self.pos += 1;
                return Ok(u32::from(byte));
            }
        }
        match decode_variable_byte_integer(&self.buf[self.pos..self.end])? {
            Some((value, len)) => {
                self.pos += len;
                Ok(value)
            }
            None => Err(self.eof(field)),
        }
    }

    #[inline]
    fn take(&mut self, len: usize, field: &'static str) -> Result<&[u8], CodecError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.end)
            .ok_or_else(|| self.eof(field))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// A zero-copy slice of the next `len` bytes.
    #[inline]
    pub(crate) fn slice(&mut self, len: usize, field: &'static str) -> Result<Bytes, CodecError> {
        let start = self.pos;
        self.take(len, field)?;
        Ok(self.buf.slice(start..self.pos))
    }

    #[inline]
    pub(crate) fn binary(&mut self, field: &'static str) -> Result<Bytes, CodecError> {
        let len = self.u16(field)? as usize;
        self.slice(len, field)
    }

    #[inline]
    pub(crate) fn string(&mut self, field: &'static str) -> Result<MqttString, CodecError> {
        let bytes = self.binary(field)?;
        MqttString::from_bytes(bytes, field)
    }

    /// Checks the next UTF-8 Encoded String as [`Reader::string`] does, and steps over it
    /// without taking a handle on it.
    #[inline]
    pub(crate) fn skip_string(&mut self, field: &'static str) -> Result<(), CodecError> {
        let len = self.u16(field)? as usize;
        let s = self.take(len, field)?;
        crate::string::check_bytes(s, field)
    }
    /// Steps over the next Binary Data field, as [`Reader::binary`] reads it.
    #[inline]
    pub(crate) fn skip_binary(&mut self, field: &'static str) -> Result<(), CodecError> {
        let len = self.u16(field)? as usize;
        self.take(len, field).map(|_| ())
    }
    /// The read position, for [`Reader::since`].
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }
    /// A zero-copy slice of what was read since `start` (a [`Reader::position`]).
    #[inline]
    pub(crate) fn since(&self, start: usize) -> Bytes {
        self.buf.slice(start..self.pos)
    }

    /// Runs `read` over the next `len` bytes (a property block) as if they were all there
    /// is; `read` must consume them. Bounding this reader, rather than handing out a second one
    /// over a slice, saves two atomic reference-count updates per block.
    #[inline]
    pub(crate) fn within<T>(
        &mut self,
        len: usize,
        field: &'static str,
        read: impl FnOnce(&mut Reader) -> Result<T, CodecError>,
    ) -> Result<T, CodecError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.end)
            .ok_or_else(|| self.eof(field))?;
        let outer = std::mem::replace(&mut self.end, end);
        let value = read(self);
        self.end = outer;
        value
    }

    /// Everything left, as one slice. Hands over the reader's own handle on the buffer rather
    /// than a new one, which would cost an atomic reference-count update per packet.
    #[inline]
    pub(crate) fn rest(&mut self) -> Bytes {
        let mut rest = std::mem::take(&mut self.buf);
        rest.truncate(self.end);
        rest.advance(self.pos);
        self.pos = 0;
        self.end = 0;
        rest
    }

    #[inline]
    pub(crate) fn finish(&self) -> Result<(), CodecError> {
        if self.has_remaining() {
            Err(CodecError::TrailingBytes {
                packet: self.packet,
                extra: self.remaining(),
            })
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_byte_integers_round_trip_at_every_boundary() {
        for v in [
            0usize,
            127,
            128,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            268_435_455,
        ] {
            let mut out = BytesMut::new();
            encode_variable_byte_integer(v, &mut out).unwrap();
            assert_eq!(out.len(), variable_byte_integer_len(v));
            assert_eq!(
                decode_variable_byte_integer(&out),
                Ok(Some((v as u32, out.len())))
            );
        }
    }

    #[test]
    fn variable_byte_integer_of_five_bytes_is_malformed() {
        assert_eq!(
            decode_variable_byte_integer(&[0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            Err(CodecError::MalformedVariableByteInteger)
        );
    }

    #[test]
    fn variable_byte_integer_not_in_shortest_form_is_malformed() {
        // [MQTT-1.5.5-1]
        assert_eq!(
            decode_variable_byte_integer(&[0x80, 0x80, 0x00]),
            Err(CodecError::MalformedVariableByteInteger)
        );
        assert_eq!(
            decode_variable_byte_integer(&[0x81, 0x00]),
            Err(CodecError::MalformedVariableByteInteger)
        );
    }

    #[test]
    fn too_large_a_value_is_refused() {
        let mut out = BytesMut::new();
        assert!(encode_variable_byte_integer(268_435_456, &mut out).is_err());
        assert!(out.is_empty());
    }
}
