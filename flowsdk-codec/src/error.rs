//! The codec's error type.

use crate::{PacketType, PropertyId, ProtocolVersion, ReasonCode};

/// Why a packet could not be encoded or decoded.
///
/// Each variant names the rule that was broken, the offending value, and the normative statement
/// where the specification has one. [`CodecError::reason_code`] gives the reason code a server or
/// client sends back (in DISCONNECT or CONNACK) when it receives such a packet.
///
/// An incomplete frame is not an error: decoders return `Ok(None)` and wait for more bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// A packet, announced or encoded, is larger than the maximum packet size in force.
    PacketTooLarge {
        /// The packet's size in bytes, fixed header included.
        size: usize,
        /// The maximum packet size in force.
        max: u32,
    },
    /// A Variable Byte Integer runs past four bytes, or is not in its shortest form [MQTT-1.5.5-1].
    MalformedVariableByteInteger,
    /// A value does not fit in a Variable Byte Integer (more than 268,435,455).
    VariableByteIntegerTooLarge {
        /// The value.
        value: usize,
    },
    /// The packet ended before a field was complete.
    UnexpectedEof {
        /// The packet being decoded.
        packet: PacketType,
        /// The field being read.
        field: &'static str,
    },
    /// Bytes remain after the last field of the packet.
    TrailingBytes {
        /// The packet being decoded.
        packet: PacketType,
        /// How many bytes were left over.
        extra: usize,
    },
    /// The packet type nibble is reserved (0).
    InvalidPacketType {
        /// The nibble.
        value: u8,
    },
    /// The packet type does not exist in this protocol version (AUTH in 3.1.1).
    PacketNotInVersion {
        /// The packet type.
        packet: PacketType,
        /// The version in use.
        version: ProtocolVersion,
    },
    /// Reserved fixed-header flag bits are not as the specification requires [MQTT-2.1.3-1].
    InvalidFixedHeaderFlags {
        /// The packet type.
        packet: PacketType,
        /// The flag bits received.
        flags: u8,
    },
    /// A QoS of 3 [MQTT-3.3.1-4].
    InvalidQoS {
        /// The value.
        value: u8,
    },
    /// A QoS 0 PUBLISH with the DUP flag set [MQTT-3.3.1-2].
    DupWithQoS0,
    /// A QoS 0 PUBLISH given a packet identifier [MQTT-2.2.1-2].
    PacketIdWithQoS0,
    /// A packet that needs a packet identifier has none (a QoS > 0 PUBLISH built without one).
    MissingPacketId {
        /// The packet type.
        packet: PacketType,
    },
    /// A packet identifier of zero [MQTT-2.2.1-3].
    ZeroPacketId {
        /// The packet type.
        packet: PacketType,
    },
    /// A string field is not valid UTF-8 (or encodes a surrogate) [MQTT-1.5.4-1].
    InvalidUtf8 {
        /// The field.
        field: &'static str,
    },
    /// A string field contains U+0000 [MQTT-1.5.4-2].
    NullCharacter {
        /// The field.
        field: &'static str,
    },
    /// A string or binary field is longer than 65,535 bytes [MQTT-4.7.3-3].
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A topic name is empty [MQTT-4.7.3-1].
    EmptyTopicName,
    /// A topic name contains `+` or `#` [MQTT-3.3.2-2] [MQTT-4.7.0-1].
    WildcardInTopicName {
        /// The topic.
        topic: String,
    },
    /// A topic filter is empty [MQTT-4.7.3-1].
    EmptyTopicFilter,
    /// A topic filter breaks a wildcard rule [MQTT-4.7.1-1] [MQTT-4.7.1-2].
    InvalidTopicFilter {
        /// The filter.
        filter: String,
        /// The rule broken.
        rule: &'static str,
    },
    /// A `$share/` filter without a valid share name or filter [MQTT-4.8.2-1] [MQTT-4.8.2-2].
    InvalidSharedSubscription {
        /// The filter.
        filter: String,
    },
    /// The CONNECT protocol name is not `MQTT` [MQTT-3.1.2-1].
    InvalidProtocolName {
        /// The name received.
        name: String,
    },
    /// The CONNECT protocol level is not 4 or 5 [MQTT-3.1.2-2].
    UnsupportedProtocolVersion {
        /// The level received.
        level: u8,
    },
    /// The CONNECT reserved flag bit is set [MQTT-3.1.2-3].
    ReservedConnectFlag,
    /// Will QoS set without the Will Flag [MQTT-3.1.2-11].
    WillFlagsWithoutWill,
    /// Will Retain set without the Will Flag [MQTT-3.1.2-13].
    WillRetainWithoutWill,
    /// Will QoS 3 [MQTT-3.1.2-12].
    InvalidWillQoS {
        /// The value received.
        value: u8,
    },
    /// A field its CONNECT flag announces is absent or cut short: will topic and payload
    /// [MQTT-3.1.2-9], user name [MQTT-3.1.2-17], password [MQTT-3.1.2-19].
    MissingConnectField {
        /// The field.
        field: &'static str,
    },
    /// A Response Topic with a wildcard [MQTT-3.3.2-14].
    WildcardInResponseTopic {
        /// The topic received.
        topic: String,
    },
    /// A password without a user name, which 3.1.1 forbids [MQTT-3.1.2-22 (3.1.1)].
    PasswordWithoutUsername,
    /// Reserved bits of the CONNACK acknowledge flags are set [MQTT-3.2.2-1].
    InvalidConnAckFlags {
        /// The flags byte.
        flags: u8,
    },
    /// Session Present set on a CONNACK that refuses the connection [MQTT-3.2.2-6].
    SessionPresentOnRefusal,
    /// A byte that is not a reason code the specification defines.
    UnknownReasonCode {
        /// The packet type.
        packet: PacketType,
        /// The byte.
        value: u8,
    },
    /// A reason code this packet type may not carry.
    ReasonCodeNotAllowed {
        /// The packet type.
        packet: PacketType,
        /// The code.
        code: ReasonCode,
    },
    /// A reason code that cannot be expressed in this protocol version (e.g. CONNACK 0x8A in 3.1.1).
    ReasonCodeNotInVersion {
        /// The packet type.
        packet: PacketType,
        /// The code.
        code: ReasonCode,
        /// The version in use.
        version: ProtocolVersion,
    },
    /// A property identifier the specification does not define.
    UnknownPropertyId {
        /// The identifier.
        id: u32,
    },
    /// A property this packet type may not carry (section 2.2.2.2).
    PropertyNotAllowed {
        /// The property.
        property: PropertyId,
        /// Where it appeared: a packet type, or `None` for will properties.
        packet: Option<PacketType>,
    },
    /// A property that may appear once appears more than once (section 2.2.2.2).
    DuplicateProperty {
        /// The property.
        property: PropertyId,
    },
    /// A property holds a value the specification forbids (e.g. Receive Maximum 0).
    InvalidPropertyValue {
        /// The property.
        property: PropertyId,
        /// The value.
        value: u32,
    },
    /// Authentication Data without an Authentication Method (section 3.1.2.11.10).
    AuthDataWithoutMethod,
    /// Properties given to a packet encoded as MQTT 3.1.1, which has none.
    PropertiesNotInVersion {
        /// The packet type.
        packet: PacketType,
    },
    /// A PUBLISH with an empty topic name and no Topic Alias (section 3.3.2.1).
    EmptyTopicWithoutAlias,
    /// A SUBSCRIBE with no topic filter [MQTT-3.8.3-2].
    EmptySubscribe,
    /// An UNSUBSCRIBE with no topic filter [MQTT-3.10.3-2].
    EmptyUnsubscribe,
    /// A SUBACK or UNSUBACK with no reason code (section 3.9.3).
    EmptyAckPayload {
        /// The packet type.
        packet: PacketType,
    },
    /// Reserved bits of the subscription options are set [MQTT-3.8.3-5].
    InvalidSubscriptionOptions {
        /// The options byte.
        options: u8,
    },
    /// A 5.0 subscription requesting QoS 3, which section 3.8.3.1 makes a Protocol Error
    /// (3.1.1 treats it as malformed: [`CodecError::InvalidQoS`]).
    InvalidSubscriptionQoS {
        /// The value.
        value: u8,
    },
    /// Retain Handling 3 (section 3.8.3.1).
    InvalidRetainHandling {
        /// The value.
        value: u8,
    },
    /// No Local on a shared subscription [MQTT-3.8.3-4].
    NoLocalOnSharedSubscription {
        /// The filter.
        filter: String,
    },
}

impl CodecError {
    /// The reason code a receiver sends (in DISCONNECT, or CONNACK before a session exists)
    /// when a packet fails with this error; `None` for errors that only arise when encoding
    /// locally built values.
    pub fn reason_code(&self) -> Option<ReasonCode> {
        use CodecError::*;
        Some(match self {
            PacketTooLarge { .. } => ReasonCode::PacketTooLarge,
            InvalidProtocolName { .. } | UnsupportedProtocolVersion { .. } => {
                ReasonCode::UnsupportedProtocolVersion
            }
            EmptyTopicName | WildcardInTopicName { .. } => ReasonCode::TopicNameInvalid,
            EmptyTopicFilter | InvalidTopicFilter { .. } | InvalidSharedSubscription { .. } => {
                ReasonCode::TopicFilterInvalid
            }
            // Section 3.3.4: a Topic Alias of 0 is answered with 0x94, not a bare 0x82.
            InvalidPropertyValue {
                property: PropertyId::TopicAlias,
                ..
            } => ReasonCode::TopicAliasInvalid,
            DuplicateProperty { .. }
            | InvalidPropertyValue { .. }
            | AuthDataWithoutMethod
            | EmptyTopicWithoutAlias
            | EmptySubscribe
            | EmptyUnsubscribe
            | InvalidSubscriptionQoS { .. }
            | InvalidRetainHandling { .. }
            | NoLocalOnSharedSubscription { .. }
            | ReasonCodeNotAllowed { .. }
            | SessionPresentOnRefusal
            | WildcardInResponseTopic { .. } => ReasonCode::ProtocolError,
            VariableByteIntegerTooLarge { .. }
            | MissingPacketId { .. }
            | PacketIdWithQoS0
            | FieldTooLong { .. }
            | ReasonCodeNotInVersion { .. }
            | PropertiesNotInVersion { .. } => return None,
            _ => ReasonCode::MalformedPacket,
        })
    }

    /// The normative statement this error breaks, e.g. `"MQTT-3.3.2-2"`, where one applies.
    pub fn normative_id(&self) -> Option<&'static str> {
        use CodecError::*;
        Some(match self {
            MalformedVariableByteInteger => "MQTT-1.5.5-1",
            InvalidFixedHeaderFlags { packet, .. } => match packet {
                PacketType::PubRel => "MQTT-3.6.1-1",
                PacketType::Subscribe => "MQTT-3.8.1-1",
                PacketType::Unsubscribe => "MQTT-3.10.1-1",
                PacketType::Disconnect => "MQTT-3.14.1-1",
                PacketType::Auth => "MQTT-3.15.1-1",
                _ => "MQTT-2.1.3-1",
            },
            InvalidQoS { .. } => "MQTT-3.3.1-4",
            InvalidPropertyValue {
                property: PropertyId::TopicAlias,
                ..
            } => "MQTT-3.3.2-8",
            DupWithQoS0 => "MQTT-3.3.1-2",
            PacketIdWithQoS0 => "MQTT-2.2.1-2",
            ZeroPacketId { .. } => "MQTT-2.2.1-3",
            InvalidUtf8 { .. } => "MQTT-1.5.4-1",
            NullCharacter { .. } => "MQTT-1.5.4-2",
            FieldTooLong { .. } => "MQTT-4.7.3-3",
            EmptyTopicName | EmptyTopicFilter => "MQTT-4.7.3-1",
            WildcardInTopicName { .. } => "MQTT-3.3.2-2",
            InvalidTopicFilter { rule, .. } => {
                if rule.contains('#') {
                    "MQTT-4.7.1-1"
                } else {
                    "MQTT-4.7.1-2"
                }
            }
            // An empty share name breaks the first rule; anything else the second.
            InvalidSharedSubscription { filter } if filter.starts_with("$share//") => {
                "MQTT-4.8.2-1"
            }
            InvalidSharedSubscription { .. } => "MQTT-4.8.2-2",
            InvalidProtocolName { .. } => "MQTT-3.1.2-1",
            UnsupportedProtocolVersion { .. } => "MQTT-3.1.2-2",
            ReservedConnectFlag => "MQTT-3.1.2-3",
            WillFlagsWithoutWill => "MQTT-3.1.2-11",
            WillRetainWithoutWill => "MQTT-3.1.2-13",
            InvalidWillQoS { .. } => "MQTT-3.1.2-12",
            MissingConnectField { field } => match *field {
                "user name" => "MQTT-3.1.2-17",
                "password" => "MQTT-3.1.2-19",
                _ => "MQTT-3.1.2-9",
            },
            WildcardInResponseTopic { .. } => "MQTT-3.3.2-14",
            PasswordWithoutUsername => "MQTT-3.1.2-22 (3.1.1)",
            InvalidConnAckFlags { .. } => "MQTT-3.2.2-1",
            SessionPresentOnRefusal => "MQTT-3.2.2-6",
            EmptySubscribe => "MQTT-3.8.3-2",
            EmptyUnsubscribe => "MQTT-3.10.3-2",
            InvalidSubscriptionOptions { .. } => "MQTT-3.8.3-5",
            NoLocalOnSharedSubscription { .. } => "MQTT-3.8.3-4",
            _ => return None,
        })
    }
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use CodecError::*;
        match self {
            PacketTooLarge { size, max } => {
                write!(f, "packet of {size} bytes exceeds the maximum packet size {max}")?
            }
            MalformedVariableByteInteger => f.write_str(
                "variable byte integer longer than 4 bytes or not in its shortest form",
            )?,
            VariableByteIntegerTooLarge { value } => write!(
                f,
                "value {value} exceeds the variable byte integer maximum 268435455"
            )?,
            UnexpectedEof { packet, field } => {
                write!(f, "{packet} ends before its {field} is complete")?
            }
            TrailingBytes { packet, extra } => {
                write!(f, "{packet} has {extra} bytes after its last field")?
            }
            InvalidPacketType { value } => write!(f, "packet type {value} is reserved")?,
            PacketNotInVersion { packet, version } => {
                write!(f, "{packet} does not exist in {version}")?
            }
            InvalidFixedHeaderFlags { packet, flags } => write!(
                f,
                "{packet} fixed header flags 0b{flags:04b} differ from those the specification requires"
            )?,
            InvalidQoS { value } => write!(f, "QoS {value} is not 0, 1 or 2")?,
            DupWithQoS0 => f.write_str("DUP flag set on a QoS 0 PUBLISH")?,
            PacketIdWithQoS0 => f.write_str("QoS 0 PUBLISH given a packet identifier")?,
            MissingPacketId { packet } => write!(f, "{packet} needs a packet identifier")?,
            ZeroPacketId { packet } => write!(f, "{packet} has packet identifier 0")?,
            InvalidUtf8 { field } => write!(f, "{field} is not well-formed UTF-8")?,
            NullCharacter { field } => write!(f, "{field} contains U+0000")?,
            FieldTooLong { field, len } => {
                write!(f, "{field} of {len} bytes exceeds the 65535-byte field limit")?
            }
            EmptyTopicName => f.write_str("topic name is empty")?,
            WildcardInTopicName { topic } => {
                write!(f, "topic name {topic:?} contains a wildcard")?
            }
            EmptyTopicFilter => f.write_str("topic filter is empty")?,
            InvalidTopicFilter { filter, rule } => {
                write!(f, "topic filter {filter:?} is invalid: {rule}")?
            }
            InvalidSharedSubscription { filter } => write!(
                f,
                "shared subscription {filter:?} needs a share name without '/', '+', '#' and a topic filter"
            )?,
            InvalidProtocolName { name } => {
                write!(f, "protocol name {name:?} is not \"MQTT\"")?
            }
            UnsupportedProtocolVersion { level } => {
                write!(f, "protocol level {level} is neither 4 (3.1.1) nor 5 (5.0)")?
            }
            ReservedConnectFlag => f.write_str("CONNECT reserved flag bit is set")?,
            WillFlagsWithoutWill => {
                f.write_str("CONNECT sets Will QoS without the Will Flag")?
            }
            WillRetainWithoutWill => {
                f.write_str("CONNECT sets Will Retain without the Will Flag")?
            }
            InvalidWillQoS { value } => write!(f, "CONNECT Will QoS {value} is not 0, 1 or 2")?,
            MissingConnectField { field } => {
                write!(f, "CONNECT flags announce a {field} the payload does not hold")?
            }
            WildcardInResponseTopic { topic } => {
                write!(f, "response topic {topic:?} contains a wildcard")?
            }
            PasswordWithoutUsername => {
                f.write_str("CONNECT carries a password without a user name")?
            }
            InvalidConnAckFlags { flags } => {
                write!(f, "CONNACK acknowledge flags 0x{flags:02X} set reserved bits")?
            }
            SessionPresentOnRefusal => {
                f.write_str("CONNACK sets Session Present with a failure reason code")?
            }
            UnknownReasonCode { packet, value } => {
                write!(f, "{packet} reason code 0x{value:02X} is not defined")?
            }
            ReasonCodeNotAllowed { packet, code } => {
                write!(f, "{packet} may not carry reason code {code}")?
            }
            ReasonCodeNotInVersion {
                packet,
                code,
                version,
            } => write!(f, "{packet} reason code {code} cannot be expressed in {version}")?,
            UnknownPropertyId { id } => write!(f, "property identifier 0x{id:02X} is not defined")?,
            PropertyNotAllowed { property, packet } => match packet {
                Some(packet) => write!(f, "property {property} is not allowed in {packet}")?,
                None => write!(f, "property {property} is not allowed in will properties")?,
            },
            DuplicateProperty { property } => {
                write!(f, "property {property} appears more than once")?
            }
            InvalidPropertyValue { property, value } => {
                write!(f, "property {property} may not be {value}")?
            }
            AuthDataWithoutMethod => {
                f.write_str("Authentication Data without an Authentication Method")?
            }
            PropertiesNotInVersion { packet } => {
                write!(f, "{packet} carries properties, which MQTT 3.1.1 does not have")?
            }
            EmptyTopicWithoutAlias => {
                f.write_str("PUBLISH has an empty topic name and no Topic Alias")?
            }
            EmptySubscribe => f.write_str("SUBSCRIBE has no topic filter")?,
            EmptyUnsubscribe => f.write_str("UNSUBSCRIBE has no topic filter")?,
            EmptyAckPayload { packet } => write!(f, "{packet} has no reason code")?,
            InvalidSubscriptionOptions { options } => write!(
                f,
                "subscription options 0x{options:02X} set reserved bits"
            )?,
            InvalidSubscriptionQoS { value } => {
                write!(f, "subscription requests QoS {value}, which is not 0, 1 or 2")?
            }
            InvalidRetainHandling { value } => {
                write!(f, "retain handling {value} is not 0, 1 or 2")?
            }
            NoLocalOnSharedSubscription { filter } => {
                write!(f, "No Local is set on shared subscription {filter:?}")?
            }
        }
        if let Some(id) = self.normative_id() {
            write!(f, " [{id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for CodecError {}
