//! Small value types shared by every packet: protocol version, QoS, packet identifier, packet type.

use std::num::NonZeroU16;

use crate::CodecError;

/// The MQTT protocol version a packet is encoded or decoded with.
///
/// One packet model serves both versions; the version is chosen at encode/decode time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ProtocolVersion {
    /// MQTT 3.1.1, protocol level 4.
    V311,
    /// MQTT 5.0, protocol level 5.
    #[default]
    V5,
}

impl ProtocolVersion {
    /// The protocol level byte carried in CONNECT (4 or 5).
    pub fn level(self) -> u8 {
        match self {
            ProtocolVersion::V311 => 4,
            ProtocolVersion::V5 => 5,
        }
    }

    /// The version for a CONNECT protocol level byte.
    ///
    /// # Errors
    /// [`CodecError::UnsupportedProtocolVersion`] for any level other than 4 or 5 [MQTT-3.1.2-2].
    pub fn from_level(level: u8) -> Result<Self, CodecError> {
        match level {
            4 => Ok(ProtocolVersion::V311),
            5 => Ok(ProtocolVersion::V5),
            level => Err(CodecError::UnsupportedProtocolVersion { level }),
        }
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProtocolVersion::V311 => "MQTT 3.1.1",
            ProtocolVersion::V5 => "MQTT 5.0",
        })
    }
}

/// Quality of service of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum QoS {
    /// QoS 0: at most once, no acknowledgement.
    #[default]
    AtMostOnce = 0,
    /// QoS 1: at least once, acknowledged by PUBACK.
    AtLeastOnce = 1,
    /// QoS 2: exactly once, PUBREC / PUBREL / PUBCOMP.
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS for its wire value.
    ///
    /// # Errors
    /// [`CodecError::InvalidQoS`] for 3 or more [MQTT-3.3.1-4].
    #[inline]
    pub fn from_u8(value: u8) -> Result<Self, CodecError> {
        match value {
            0 => Ok(QoS::AtMostOnce),
            1 => Ok(QoS::AtLeastOnce),
            2 => Ok(QoS::ExactlyOnce),
            value => Err(CodecError::InvalidQoS { value }),
        }
    }

    /// The wire value, 0 to 2.
    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

impl TryFrom<u8> for QoS {
    type Error = CodecError;
    fn try_from(value: u8) -> Result<Self, CodecError> {
        QoS::from_u8(value)
    }
}

/// A packet identifier: a non-zero 16-bit number [MQTT-2.2.1-3].
///
/// ```
/// use flowsdk_codec::PacketId;
/// assert!(PacketId::new(0).is_none());
/// assert_eq!(PacketId::new(7).unwrap().get(), 7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PacketId(NonZeroU16);

impl PacketId {
    /// The identifier `id`, or `None` for zero, which is never a packet identifier.
    pub const fn new(id: u16) -> Option<PacketId> {
        match NonZeroU16::new(id) {
            Some(id) => Some(PacketId(id)),
            None => None,
        }
    }

    /// The numeric value, 1 to 65535.
    pub const fn get(self) -> u16 {
        self.0.get()
    }

    /// The next identifier after this one, wrapping from 65535 to 1.
    pub fn next(self) -> PacketId {
        match NonZeroU16::new(self.0.get().wrapping_add(1)) {
            Some(id) => PacketId(id),
            None => PacketId(NonZeroU16::MIN),
        }
    }
}

impl From<NonZeroU16> for PacketId {
    fn from(id: NonZeroU16) -> Self {
        PacketId(id)
    }
}

impl TryFrom<u16> for PacketId {
    type Error = CodecError;
    /// # Errors
    /// [`CodecError::ZeroPacketId`] for zero [MQTT-2.2.1-3].
    fn try_from(id: u16) -> Result<Self, CodecError> {
        PacketId::new(id).ok_or(CodecError::ZeroPacketId {
            packet: PacketType::Publish,
        })
    }
}

impl std::fmt::Display for PacketId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The type of an MQTT control packet, the high nibble of its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum PacketType {
    /// CONNECT (1).
    Connect = 1,
    /// CONNACK (2).
    ConnAck = 2,
    /// PUBLISH (3).
    Publish = 3,
    /// PUBACK (4).
    PubAck = 4,
    /// PUBREC (5).
    PubRec = 5,
    /// PUBREL (6).
    PubRel = 6,
    /// PUBCOMP (7).
    PubComp = 7,
    /// SUBSCRIBE (8).
    Subscribe = 8,
    /// SUBACK (9).
    SubAck = 9,
    /// UNSUBSCRIBE (10).
    Unsubscribe = 10,
    /// UNSUBACK (11).
    UnsubAck = 11,
    /// PINGREQ (12).
    PingReq = 12,
    /// PINGRESP (13).
    PingResp = 13,
    /// DISCONNECT (14).
    Disconnect = 14,
    /// AUTH (15, MQTT 5.0 only).
    Auth = 15,
}

impl PacketType {
    /// The packet type for the high nibble of a fixed header's first byte.
    ///
    /// # Errors
    /// [`CodecError::InvalidPacketType`] for 0, which is reserved.
    #[inline]
    pub fn from_nibble(nibble: u8) -> Result<Self, CodecError> {
        use PacketType::*;
        Ok(match nibble {
            1 => Connect,
            2 => ConnAck,
            3 => Publish,
            4 => PubAck,
            5 => PubRec,
            6 => PubRel,
            7 => PubComp,
            8 => Subscribe,
            9 => SubAck,
            10 => Unsubscribe,
            11 => UnsubAck,
            12 => PingReq,
            13 => PingResp,
            14 => Disconnect,
            15 => Auth,
            value => return Err(CodecError::InvalidPacketType { value }),
        })
    }

    /// The fixed-header flag bits this packet type must carry (PUBLISH has variable flags and
    /// returns `None`) [MQTT-2.1.3-1].
    #[inline]
    pub fn required_flags(self) -> Option<u8> {
        match self {
            PacketType::Publish => None,
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }

    /// The specification's upper-case name, e.g. `"PUBACK"`.
    pub fn name(self) -> &'static str {
        use PacketType::*;
        match self {
            Connect => "CONNECT",
            ConnAck => "CONNACK",
            Publish => "PUBLISH",
            PubAck => "PUBACK",
            PubRec => "PUBREC",
            PubRel => "PUBREL",
            PubComp => "PUBCOMP",
            Subscribe => "SUBSCRIBE",
            SubAck => "SUBACK",
            Unsubscribe => "UNSUBSCRIBE",
            UnsubAck => "UNSUBACK",
            PingReq => "PINGREQ",
            PingResp => "PINGRESP",
            Disconnect => "DISCONNECT",
            Auth => "AUTH",
        }
    }
}

impl std::fmt::Display for PacketType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
