//! `MqttDecoder`: incremental decoding of a byte stream into packets.

use bytes::{Buf, BytesMut};

use crate::packet::PlainLayout;
use crate::{CodecError, FixedHeader, Packet, PacketType, ProtocolVersion, MAX_PACKET_SIZE};

/// How much buffer to reserve at once for a packet still arriving. Memory then grows with the
/// bytes that actually arrive, not with what a fixed header announces.
const RESERVE_STEP: usize = 64 * 1024;

/// Turns a stream of bytes, split anywhere, into packets.
///
/// Feed it the receive buffer after each read; it returns `Ok(None)` while a packet is
/// incomplete (never an error), and checks the announced size against the maximum packet size
/// from the fixed header alone, before the body is buffered.
///
/// After it decodes a CONNECT, the decoder switches to the version that CONNECT declares, so a
/// server can start with any version.
///
/// ```
/// use bytes::BytesMut;
/// use flowsdk_codec::{MqttDecoder, Packet, ProtocolVersion};
///
/// let mut decoder = MqttDecoder::new(ProtocolVersion::V5).with_max_packet_size(1024);
/// let mut buf = BytesMut::from(&[0xC0][..]); // first byte of a PINGREQ
/// assert_eq!(decoder.decode(&mut buf)?, None);
/// buf.extend_from_slice(&[0x00]);
/// assert_eq!(decoder.decode(&mut buf)?, Some(Packet::PingReq));
/// # Ok::<(), flowsdk_codec::CodecError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MqttDecoder {
    version: ProtocolVersion,
    max_packet_size: u32,
}

impl MqttDecoder {
    /// A decoder for `version` accepting packets up to the protocol's maximum size
    /// ([`MAX_PACKET_SIZE`]).
    pub fn new(version: ProtocolVersion) -> Self {
        MqttDecoder {
            version,
            max_packet_size: MAX_PACKET_SIZE,
        }
    }

    /// Refuses packets larger than `max` bytes, fixed header included (the Maximum Packet Size
    /// this side announced). Default: [`MAX_PACKET_SIZE`].
    #[must_use]
    pub fn with_max_packet_size(mut self, max: u32) -> Self {
        self.max_packet_size = max;
        self
    }

    /// The maximum packet size in force.
    pub fn max_packet_size(&self) -> u32 {
        self.max_packet_size
    }

    /// Changes the maximum packet size.
    pub fn set_max_packet_size(&mut self, max: u32) {
        self.max_packet_size = max;
    }

    /// The protocol version packets are decoded with.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Changes the protocol version.
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.version = version;
    }

    /// Takes one whole packet off the front of `src`, or returns `Ok(None)` and leaves `src`
    /// as it is when the packet is not complete yet.
    ///
    /// # Errors
    /// Any [`CodecError`]; the connection should then be closed (with a DISCONNECT carrying
    /// [`CodecError::reason_code`] where the protocol allows), as the stream can no longer be
    /// framed.
    #[inline]
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Packet>, CodecError> {
        let Some(header) = FixedHeader::peek(src, self.max_packet_size)? else {
            return Ok(None);
        };
        let frame_len = header.frame_len();
        if src.len() < frame_len {
            reserve_for(src, frame_len);
            return Ok(None);
        }
        // The common PUBLISH is checked on the borrowed bytes and built straight into the
        // return value. This path stays small enough to inline; everything else is out of line.
        if header.packet_type == PacketType::Publish {
            let body = &src[header.header_len..frame_len];
            if let Some(layout) = PlainLayout::of(header.flags, body, self.version) {
                let publish = layout.take_publish(src, header.header_len, frame_len);
                return Ok(Some(Packet::Publish(publish)));
            }
        }
        self.decode_general(&header, src)
    }

    /// Any other whole packet at the front of `src`.
    #[inline(never)]
    fn decode_general(
        &mut self,
        header: &FixedHeader,
        src: &mut BytesMut,
    ) -> Result<Option<Packet>, CodecError> {
        // One handle on the frame, advanced past the fixed header: splitting the header off
        // as a second handle would cost an atomic reference-count update per packet.
        let mut body = src.split_to(header.frame_len()).freeze();
        body.advance(header.header_len);
        // Matching on the result rather than unwrapping it with `?` saves copying the whole
        // `Packet` out of it and back into the return value.
        let packet = Packet::decode_general(header, body, self.version);
        if let Ok(Packet::Connect(connect)) = &packet {
            self.version = connect.protocol_version;
        }
        packet.map(Some)
    }
}

/// Room for the rest of a packet still arriving, in steps of at most [`RESERVE_STEP`].
#[cold]
fn reserve_for(src: &mut BytesMut, frame_len: usize) {
    src.reserve((frame_len - src.len()).min(RESERVE_STEP));
}

impl Default for MqttDecoder {
    /// A 5.0 decoder with the protocol's maximum packet size.
    fn default() -> Self {
        MqttDecoder::new(ProtocolVersion::V5)
    }
}
