//! What a server must do with a violation, and what one was seen to do.

use std::fmt;

use flowsdk_codec::{CodecError, Packet, ReasonCode};

/// A packet a server sends to say why it closes: the CONNACK refusing a CONNECT, or a
/// DISCONNECT after a successful CONNACK (MQTT 5.0 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Notice {
    /// A CONNACK with this reason code (3.1.1 return codes as flowsdk-codec maps them:
    /// 0x01 is [`ReasonCode::UnsupportedProtocolVersion`], 0x02
    /// [`ReasonCode::ClientIdentifierNotValid`]).
    ConnAck(ReasonCode),
    /// A DISCONNECT with this reason code.
    Disconnect(ReasonCode),
}

impl Notice {
    /// The reason code carried.
    pub fn reason_code(self) -> ReasonCode {
        match self {
            Notice::ConnAck(code) | Notice::Disconnect(code) => code,
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::ConnAck(code) => write!(f, "CONNACK 0x{:02X}", code.as_u8()),
            Notice::Disconnect(code) => write!(f, "DISCONNECT 0x{:02X}", code.as_u8()),
        }
    }
}

/// What the specification requires of a server that receives a [`MalformedCase`]'s bytes.
///
/// [`MalformedCase`]: crate::MalformedCase
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerReaction {
    /// The server MUST close the network connection. Before closing it MAY (or SHOULD) send
    /// `notice`, and nothing else: e.g. "close, with DISCONNECT 0x81 allowed before" is
    /// `Close { notice: Some(Notice::Disconnect(ReasonCode::MalformedPacket)) }`, and
    /// `notice: None` means the server has nothing it may send (no CONNACK has been sent
    /// yet, or the version has no DISCONNECT from servers).
    Close {
        /// The packet the server may send before closing.
        notice: Option<Notice>,
    },
    /// The server MUST send a DISCONNECT with this reason code, then close.
    DisconnectWith(ReasonCode),
    /// The server MUST send a CONNACK with this reason code, then close (e.g. 3.1.1 return
    /// code 0x01 for an unsupported protocol level, 0x02 for a rejected client identifier).
    ConnAckWith(ReasonCode),
    /// The server MAY reject the packet with this reason code (in the acknowledgement, or in a
    /// DISCONNECT before closing), or process it as usual: e.g. a payload that does not match
    /// its Payload Format Indicator, 0x99.
    MayReject(ReasonCode),
}

impl ServerReaction {
    /// `true` when `observed` is what the specification allows.
    ///
    /// A reset counts as a close; a server that closes without the allowed notice meets
    /// [`ServerReaction::Close`] but not [`ServerReaction::DisconnectWith`] or
    /// [`ServerReaction::ConnAckWith`].
    pub fn is_met_by(&self, observed: &ObservedReaction) -> bool {
        match (*self, observed) {
            (ServerReaction::Close { .. }, ObservedReaction::Closed { notice: None }) => true,
            (ServerReaction::Close { notice }, ObservedReaction::Closed { notice: seen }) => {
                notice == *seen
            }
            (ServerReaction::DisconnectWith(code), ObservedReaction::Closed { notice }) => {
                *notice == Some(Notice::Disconnect(code))
            }
            (ServerReaction::ConnAckWith(code), ObservedReaction::Closed { notice }) => {
                *notice == Some(Notice::ConnAck(code))
            }
            (ServerReaction::MayReject(code), ObservedReaction::Closed { notice }) => {
                match notice {
                    None => true,
                    Some(Notice::Disconnect(c)) => *c == code,
                    Some(Notice::ConnAck(_)) => false,
                }
            }
            (ServerReaction::MayReject(_), ObservedReaction::Silent) => true,
            (ServerReaction::MayReject(_), ObservedReaction::Replied(packet)) => {
                matches!(**packet, Packet::PubAck(_) | Packet::PubRec(_))
            }
            _ => false,
        }
    }
}

impl fmt::Display for ServerReaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerReaction::Close { notice: None } => f.write_str("close"),
            ServerReaction::Close {
                notice: Some(notice),
            } => write!(f, "close ({notice} allowed)"),
            ServerReaction::DisconnectWith(code) => {
                write!(f, "DISCONNECT 0x{:02X}, close", code.as_u8())
            }
            ServerReaction::ConnAckWith(code) => write!(f, "CONNACK 0x{:02X}, close", code.as_u8()),
            ServerReaction::MayReject(code) => {
                write!(f, "accept, or reject with 0x{:02X}", code.as_u8())
            }
        }
    }
}

/// What a server did after receiving a case's bytes, as a test saw it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ObservedReaction {
    /// The server closed (or reset) the connection, after sending `notice` if it did.
    Closed {
        /// The CONNACK or DISCONNECT that came before the close, if any.
        notice: Option<Notice>,
    },
    /// The server answered with this packet and kept the connection open (a SUBACK for a bad
    /// SUBSCRIBE, a CONNACK accepting a bad CONNECT, a DISCONNECT without closing...).
    Replied(Box<Packet>),
    /// Nothing arrived and the connection stayed open for the time the test waited.
    Silent,
    /// The server sent bytes flowsdk-codec rejects.
    InvalidReply(CodecError),
}

impl fmt::Display for ObservedReaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObservedReaction::Closed { notice: None } => f.write_str("closed"),
            ObservedReaction::Closed {
                notice: Some(notice),
            } => write!(f, "{notice}, closed"),
            ObservedReaction::Replied(packet) => match packet.as_ref() {
                Packet::ConnAck(ack) => {
                    write!(f, "CONNACK 0x{:02X}, open", ack.reason_code.as_u8())
                }
                Packet::Disconnect(d) => {
                    write!(f, "DISCONNECT 0x{:02X}, open", d.reason_code.as_u8())
                }
                Packet::SubAck(ack) => write!(
                    f,
                    "SUBACK {:02X?}, open",
                    ack.reason_codes
                        .iter()
                        .map(|c| c.as_u8())
                        .collect::<Vec<_>>()
                ),
                Packet::UnsubAck(ack) => write!(
                    f,
                    "UNSUBACK {:02X?}, open",
                    ack.reason_codes
                        .iter()
                        .map(|c| c.as_u8())
                        .collect::<Vec<_>>()
                ),
                Packet::PubAck(ack) => write!(f, "PUBACK 0x{:02X}, open", ack.reason_code.as_u8()),
                Packet::PubRec(ack) => write!(f, "PUBREC 0x{:02X}, open", ack.reason_code.as_u8()),
                Packet::PubComp(ack) => {
                    write!(f, "PUBCOMP 0x{:02X}, open", ack.reason_code.as_u8())
                }
                other => write!(f, "{:?}, open", other.packet_type()),
            },
            ObservedReaction::Silent => f.write_str("no reaction, open"),
            ObservedReaction::InvalidReply(e) => write!(f, "invalid reply: {e}"),
        }
    }
}
