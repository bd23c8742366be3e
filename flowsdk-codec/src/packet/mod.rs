//! The fifteen control packets, one file each, and the [`Packet`] enum over them.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::wire::{decode_variable_byte_integer, put_vbi, variable_byte_integer_len, Reader};
use crate::{CodecError, PacketType, ProtocolVersion, MAX_PACKET_SIZE};

mod ack;
mod auth;
mod connack;
mod connect;
mod disconnect;
mod publish;
mod suback;
mod subscribe;
mod unsuback;
mod unsubscribe;

pub use ack::{PubAck, PubComp, PubRec, PubRel};
pub use auth::Auth;
pub use connack::ConnAck;
pub use connect::{Connect, Will};
pub use disconnect::Disconnect;
pub(crate) use publish::PlainLayout;
pub use publish::Publish;
pub use suback::SubAck;
pub use subscribe::{RetainHandling, Subscribe, Subscription, SubscriptionOptions};
pub use unsuback::UnsubAck;
pub use unsubscribe::Unsubscribe;

/// Sizes worked out while validating a packet for encoding, reused while writing it.
#[derive(Default)]
pub(crate) struct Lens {
    /// Remaining length: everything after the fixed header.
    pub(crate) body: usize,
    /// Property block length, without its prefix.
    pub(crate) props: usize,
    /// Will property block length, without its prefix (CONNECT only).
    pub(crate) will_props: usize,
}

/// What each packet type implements; the [`Packet`] enum and the per-type `encode`/`decode`
/// methods are built on it.
pub(crate) trait Body: Sized {
    const TYPE: PacketType;
    /// Fixed-header flag bits.
    fn flags(&self) -> u8 {
        Self::TYPE.required_flags().unwrap_or(0)
    }
    /// Checks every rule and returns the sizes needed to write the packet.
    fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError>;
    /// Writes the variable header and payload; `lens` came from `measure`.
    fn write(&self, version: ProtocolVersion, lens: &Lens, out: &mut BytesMut);
    /// Writes the whole packet, `size` bytes; `lens` came from `measure`. A packet type may
    /// override this to write its fixed and variable headers together.
    #[inline]
    fn write_packet(&self, version: ProtocolVersion, lens: &Lens, size: usize, out: &mut BytesMut) {
        out.reserve(size);
        out.put_u8(((Self::TYPE as u8) << 4) | self.flags());
        put_vbi(lens.body as u32, out);
        self.write(version, lens, out);
    }
    /// Checks and measures the packet in a few tests when it has a simple shape (see
    /// [`Publish`]'s), for [`Body::write_packet`]; `None` sends it the general way
    /// ([`Body::measure`] and the size limit), which also names any rule broken.
    #[inline(always)]
    fn measure_simple(
        &self,
        _version: ProtocolVersion,
        _max_packet_size: u32,
    ) -> Option<(Lens, usize)> {
        None
    }
    /// Reads the variable header and payload; the flags were already checked for packets whose
    /// flags are fixed.
    fn read(flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError>;
}

/// The fixed header of a packet (section 2.1): type, flags and remaining length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedHeader {
    /// The packet type.
    pub packet_type: PacketType,
    /// The low nibble of the first byte.
    pub flags: u8,
    /// The number of bytes after the fixed header.
    pub remaining_length: usize,
    /// The size of the fixed header itself, 2 to 5 bytes.
    pub header_len: usize,
}

impl FixedHeader {
    /// Reads a fixed header from the start of `buf` without consuming anything.
    ///
    /// Returns `Ok(None)` when `buf` is too short to hold the whole fixed header. Checks the
    /// packet type, the reserved flag bits [MQTT-2.1.3-1], the remaining length encoding
    /// [MQTT-1.5.5-1], and that the whole packet fits in `max_packet_size` — before any of the
    /// body has arrived, so a peer cannot make the receiver buffer more than the limit.
    ///
    /// # Errors
    /// [`CodecError::InvalidPacketType`], [`CodecError::InvalidFixedHeaderFlags`],
    /// [`CodecError::MalformedVariableByteInteger`], [`CodecError::PacketTooLarge`].
    #[inline]
    pub fn peek(buf: &[u8], max_packet_size: u32) -> Result<Option<FixedHeader>, CodecError> {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let packet_type = PacketType::from_nibble(first >> 4)?;
        let flags = first & 0x0F;
        if let Some(required) = packet_type.required_flags() {
            if flags != required {
                return Err(CodecError::InvalidFixedHeaderFlags {
                    packet: packet_type,
                    flags,
                });
            }
        }
        let Some((remaining_length, len)) = decode_variable_byte_integer(&buf[1..])? else {
            return Ok(None);
        };
        let header = FixedHeader {
            packet_type,
            flags,
            remaining_length: remaining_length as usize,
            header_len: 1 + len,
        };
        let size = header.frame_len();
        if size > max_packet_size as usize {
            return Err(CodecError::PacketTooLarge {
                size,
                max: max_packet_size,
            });
        }
        Ok(Some(header))
    }

    /// The size of the whole packet: fixed header plus remaining length.
    pub fn frame_len(&self) -> usize {
        self.header_len + self.remaining_length
    }
}

/// Any MQTT control packet.
///
/// One model serves MQTT 3.1.1 and 5.0; the version is chosen at [`Packet::encode`] /
/// [`Packet::decode`] time. Fields 3.1.1 lacks (properties, most reason codes) must be empty
/// or representable when encoding as 3.1.1, and come out empty when decoding 3.1.1.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use flowsdk_codec::{Packet, ProtocolVersion, Publish, QoS, TopicName};
///
/// let publish = Publish::new(TopicName::new("sensors/7/temp")?, Bytes::from_static(b"21.5"));
/// let mut buf = BytesMut::new();
/// Packet::from(publish.clone()).encode(ProtocolVersion::V5, &mut buf)?;
/// let decoded = Packet::decode(ProtocolVersion::V5, buf.freeze())?;
/// assert_eq!(decoded, Packet::Publish(publish));
/// # Ok::<(), flowsdk_codec::CodecError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[allow(missing_docs)] // each variant is documented on its type
pub enum Packet {
    /// Boxed: a CONNECT is more than twice the size of any other packet and comes once per
    /// connection, and every packet value is as large as the largest variant.
    Connect(Box<Connect>),
    ConnAck(ConnAck),
    Publish(Publish),
    PubAck(PubAck),
    PubRec(PubRec),
    PubRel(PubRel),
    PubComp(PubComp),
    Subscribe(Subscribe),
    SubAck(SubAck),
    Unsubscribe(Unsubscribe),
    UnsubAck(UnsubAck),
    /// PINGREQ: no variable header, no payload.
    PingReq,
    /// PINGRESP: no variable header, no payload.
    PingResp,
    Disconnect(Disconnect),
    Auth(Auth),
}

macro_rules! dispatch {
    ($self:expr, $p:ident => $body:expr, ping => $ping:expr) => {
        match $self {
            Packet::Connect($p) => {
                let $p: &Connect = $p;
                $body
            }
            Packet::ConnAck($p) => $body,
            Packet::Publish($p) => $body,
            Packet::PubAck($p) => $body,
            Packet::PubRec($p) => $body,
            Packet::PubRel($p) => $body,
            Packet::PubComp($p) => $body,
            Packet::Subscribe($p) => $body,
            Packet::SubAck($p) => $body,
            Packet::Unsubscribe($p) => $body,
            Packet::UnsubAck($p) => $body,
            Packet::Disconnect($p) => $body,
            Packet::Auth($p) => $body,
            Packet::PingReq | Packet::PingResp => $ping,
        }
    };
}

#[inline(always)]
fn measure_packet<B: Body>(b: &B, version: ProtocolVersion) -> Result<(Lens, usize), CodecError> {
    if B::TYPE == PacketType::Auth && version == ProtocolVersion::V311 {
        return Err(CodecError::PacketNotInVersion {
            packet: B::TYPE,
            version,
        });
    }
    let lens = b.measure(version)?;
    if lens.body > crate::wire::MAX_VARIABLE_BYTE_INTEGER as usize {
        return Err(CodecError::PacketTooLarge {
            size: lens.body,
            max: MAX_PACKET_SIZE,
        });
    }
    let size = 1 + variable_byte_integer_len(lens.body) + lens.body;
    Ok((lens, size))
}

#[inline(always)]
pub(crate) fn encode_body<B: Body>(
    b: &B,
    version: ProtocolVersion,
    max_packet_size: u32,
    out: &mut BytesMut,
) -> Result<usize, CodecError> {
    // One call of `write_packet` for both paths: the writer is inlined once.
    let (lens, size) = match b.measure_simple(version, max_packet_size) {
        Some(measured) => measured,
        None => measure_limited(b, version, max_packet_size)?,
    };
    b.write_packet(version, &lens, size, out);
    Ok(size)
}

/// Checks `b` for `version` and measures it, refusing it when the whole packet is larger than
/// `max_packet_size`.
#[inline(always)]
pub(crate) fn measure_limited<B: Body>(
    b: &B,
    version: ProtocolVersion,
    max_packet_size: u32,
) -> Result<(Lens, usize), CodecError> {
    let (lens, size) = measure_packet(b, version)?;
    if size > max_packet_size as usize {
        return Err(CodecError::PacketTooLarge {
            size,
            max: max_packet_size,
        });
    }
    Ok((lens, size))
}

#[inline]
pub(crate) fn decode_frame<B: Body>(
    header: &FixedHeader,
    body: Bytes,
    version: ProtocolVersion,
) -> Result<B, CodecError> {
    let mut r = Reader::new(body, B::TYPE);
    let packet = B::read(header.flags, &mut r, version)?;
    r.finish()?;
    Ok(packet)
}

impl Packet {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::Connect,
            Packet::ConnAck(_) => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::Subscribe(_) => PacketType::Subscribe,
            Packet::SubAck(_) => PacketType::SubAck,
            Packet::Unsubscribe(_) => PacketType::Unsubscribe,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingReq => PacketType::PingReq,
            Packet::PingResp => PacketType::PingResp,
            Packet::Disconnect(_) => PacketType::Disconnect,
            Packet::Auth(_) => PacketType::Auth,
        }
    }

    /// Appends the encoded packet to `out`, after checking every rule for `version`.
    ///
    /// Nothing is written when an error is returned.
    ///
    /// # Errors
    /// Any [`CodecError`] rule the packet breaks for `version`, e.g.
    /// [`CodecError::PropertiesNotInVersion`] for a 3.1.1 packet given properties.
    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) -> Result<(), CodecError> {
        self.encode_limited(version, MAX_PACKET_SIZE, out)
            .map(|_| ())
    }

    /// As [`Packet::encode`], refusing a packet larger than `max_packet_size` bytes (the peer's
    /// Maximum Packet Size, [MQTT-3.1.2-24]). Returns the number of bytes written.
    ///
    /// # Errors
    /// [`CodecError::PacketTooLarge`] over the limit, or any rule the packet breaks.
    pub fn encode_limited(
        &self,
        version: ProtocolVersion,
        max_packet_size: u32,
        out: &mut BytesMut,
    ) -> Result<usize, CodecError> {
        dispatch!(self, p => encode_body(p, version, max_packet_size, out), ping => {
            if max_packet_size < 2 {
                return Err(CodecError::PacketTooLarge { size: 2, max: max_packet_size });
            }
            out.reserve(2);
            out.put_u8((self.packet_type() as u8) << 4);
            out.put_u8(0);
            Ok(2)
        })
    }

    /// The encoded size of the packet in `version`, fixed header included.
    ///
    /// # Errors
    /// As [`Packet::encode`].
    pub fn encoded_len(&self, version: ProtocolVersion) -> Result<usize, CodecError> {
        dispatch!(self, p => measure_packet(p, version).map(|(_, size)| size), ping => Ok(2))
    }

    /// Decodes exactly one whole packet, fixed header included, from `frame`.
    ///
    /// A CONNECT is decoded with the protocol version it declares, whatever `version` says.
    ///
    /// # Errors
    /// Any [`CodecError`]: a frame that is incomplete or longer than its remaining length,
    /// or a packet breaking a rule.
    pub fn decode(version: ProtocolVersion, frame: Bytes) -> Result<Packet, CodecError> {
        let header = match FixedHeader::peek(&frame, MAX_PACKET_SIZE)? {
            Some(header) => header,
            None => {
                return Err(CodecError::UnexpectedEof {
                    packet: PacketType::from_nibble(frame.first().map_or(0, |b| b >> 4))?,
                    field: "fixed header",
                })
            }
        };
        let frame_len = header.frame_len();
        if frame.len() < frame_len {
            return Err(CodecError::UnexpectedEof {
                packet: header.packet_type,
                field: "remaining length",
            });
        }
        if frame.len() > frame_len {
            return Err(CodecError::TrailingBytes {
                packet: header.packet_type,
                extra: frame.len() - frame_len,
            });
        }
        let mut body = frame;
        body.advance(header.header_len);
        Packet::decode_body(&header, body, version)
    }

    /// Decodes a packet's body (everything after the fixed header) given its fixed header.
    ///
    /// # Errors
    /// Any [`CodecError`] rule the body breaks.
    pub fn decode_body(
        header: &FixedHeader,
        body: Bytes,
        version: ProtocolVersion,
    ) -> Result<Packet, CodecError> {
        if body.len() != header.remaining_length {
            return Err(CodecError::UnexpectedEof {
                packet: header.packet_type,
                field: "remaining length",
            });
        }
        // `peek` checked these already; a hand-built header gets the same check [MQTT-2.1.3-1].
        if let Some(required) = header.packet_type.required_flags() {
            if header.flags != required {
                return Err(CodecError::InvalidFixedHeaderFlags {
                    packet: header.packet_type,
                    flags: header.flags,
                });
            }
        }
        if header.packet_type == PacketType::Publish {
            if let Some(layout) = PlainLayout::of(header.flags, &body, version) {
                return Ok(Packet::Publish(layout.into_publish(body)));
            }
        }
        Packet::decode_general(header, body, version)
    }

    /// [`Packet::decode_body`] without the length check and the plain-PUBLISH fast path, for
    /// callers that did both.
    pub(crate) fn decode_general(
        header: &FixedHeader,
        body: Bytes,
        version: ProtocolVersion,
    ) -> Result<Packet, CodecError> {
        Ok(match header.packet_type {
            PacketType::Connect => Packet::Connect(Box::new(decode_frame(header, body, version)?)),
            PacketType::ConnAck => Packet::ConnAck(decode_frame(header, body, version)?),
            PacketType::Publish => Packet::Publish(decode_frame(header, body, version)?),
            PacketType::PubAck => Packet::PubAck(decode_frame(header, body, version)?),
            PacketType::PubRec => Packet::PubRec(decode_frame(header, body, version)?),
            PacketType::PubRel => Packet::PubRel(decode_frame(header, body, version)?),
            PacketType::PubComp => Packet::PubComp(decode_frame(header, body, version)?),
            PacketType::Subscribe => Packet::Subscribe(decode_frame(header, body, version)?),
            PacketType::SubAck => Packet::SubAck(decode_frame(header, body, version)?),
            PacketType::Unsubscribe => Packet::Unsubscribe(decode_frame(header, body, version)?),
            PacketType::UnsubAck => Packet::UnsubAck(decode_frame(header, body, version)?),
            PacketType::PingReq | PacketType::PingResp => {
                if !body.is_empty() {
                    return Err(CodecError::TrailingBytes {
                        packet: header.packet_type,
                        extra: body.len(),
                    });
                }
                if header.packet_type == PacketType::PingReq {
                    Packet::PingReq
                } else {
                    Packet::PingResp
                }
            }
            PacketType::Disconnect => Packet::Disconnect(decode_frame(header, body, version)?),
            PacketType::Auth => {
                if version == ProtocolVersion::V311 {
                    return Err(CodecError::PacketNotInVersion {
                        packet: PacketType::Auth,
                        version,
                    });
                }
                Packet::Auth(decode_frame(header, body, version)?)
            }
        })
    }
}

/// Per-type `encode`, `encoded_len` and `decode`, and `From<T> for Packet`.
macro_rules! packet_api {
    ($ty:ident) => {
        $crate::packet::packet_api!($ty, |p| p);
    };
    // `Packet` holds this type boxed.
    ($ty:ident, boxed) => {
        $crate::packet::packet_api!($ty, |p| Box::new(p));
    };
    ($ty:ident, |$p:ident| $wrap:expr) => {
        impl $ty {
            /// Appends the encoded packet to `out`, after checking every rule for `version`.
            /// Nothing is written when an error is returned.
            ///
            /// # Errors
            /// Any [`CodecError`](crate::CodecError) rule the packet breaks for `version`.
            pub fn encode(
                &self,
                version: $crate::ProtocolVersion,
                out: &mut bytes::BytesMut,
            ) -> Result<(), $crate::CodecError> {
                $crate::packet::encode_body(self, version, $crate::MAX_PACKET_SIZE, out).map(|_| ())
            }

            /// The encoded size in `version`, fixed header included.
            ///
            /// # Errors
            /// As `encode`.
            pub fn encoded_len(
                &self,
                version: $crate::ProtocolVersion,
            ) -> Result<usize, $crate::CodecError> {
                $crate::packet::Packet::encoded_len_of(self, version)
            }
        }

        impl From<$ty> for $crate::packet::Packet {
            fn from($p: $ty) -> Self {
                $crate::packet::Packet::$ty($wrap)
            }
        }
    };
}
pub(crate) use packet_api;

impl Packet {
    pub(crate) fn encoded_len_of<B: Body>(
        b: &B,
        version: ProtocolVersion,
    ) -> Result<usize, CodecError> {
        measure_packet(b, version).map(|(_, size)| size)
    }
}

/// Helpers shared by the packet files.
pub(crate) mod common {
    use super::*;
    use crate::{PacketId, ReasonCode};

    #[inline]
    pub(crate) fn read_packet_id(r: &mut Reader) -> Result<PacketId, CodecError> {
        let id = r.u16("packet identifier")?;
        PacketId::new(id).ok_or(CodecError::ZeroPacketId { packet: r.packet() })
    }

    pub(crate) fn read_reason_code(r: &mut Reader) -> Result<ReasonCode, CodecError> {
        let packet = r.packet();
        let value = r.u8("reason code")?;
        let code = ReasonCode::try_from(value)
            .map_err(|value| CodecError::UnknownReasonCode { packet, value })?;
        check_reason_code(packet, code)?;
        Ok(code)
    }

    pub(crate) fn check_reason_code(
        packet: PacketType,
        code: ReasonCode,
    ) -> Result<(), CodecError> {
        if code.is_allowed_in(packet) {
            Ok(())
        } else {
            Err(CodecError::ReasonCodeNotAllowed { packet, code })
        }
    }

    /// Checks `props` for `packet` in `version`; returns the block's length without and with
    /// its length prefix. 3.1.1 has no property block: `(0, 0)`, and non-empty properties are
    /// refused rather than lost.
    #[inline]
    pub(crate) fn measure_properties(
        props: &crate::Properties,
        packet: PacketType,
        version: ProtocolVersion,
    ) -> Result<(usize, usize), CodecError> {
        match version {
            // No properties: a block of one byte, nothing to check.
            ProtocolVersion::V5 if props.is_empty() => Ok((0, 1)),
            ProtocolVersion::V5 => {
                let len = props.checked_len(Some(packet))?;
                Ok((len, variable_byte_integer_len(len) + len))
            }
            ProtocolVersion::V311 => no_properties_in_v311(props, packet).map(|()| (0, 0)),
        }
    }

    /// Reads the property block of the packet `r` is reading (5.0); none in 3.1.1.
    #[inline]
    pub(crate) fn read_properties(
        r: &mut Reader,
        version: ProtocolVersion,
    ) -> Result<crate::Properties, CodecError> {
        match version {
            ProtocolVersion::V5 => crate::Properties::decode_block(r, Some(r.packet())),
            ProtocolVersion::V311 => Ok(crate::Properties::new()),
        }
    }

    /// In 3.1.1 a packet carries no properties; encoding some would lose them.
    pub(crate) fn no_properties_in_v311(
        props: &crate::Properties,
        packet: PacketType,
    ) -> Result<(), CodecError> {
        if props.is_empty() {
            Ok(())
        } else {
            Err(CodecError::PropertiesNotInVersion { packet })
        }
    }
}
