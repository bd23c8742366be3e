//! The catalogue: every case, built with `RawPacketBuilder`.

use bytes::Bytes;
use flowsdk_codec::{CodecError, PacketType, PropertyId, ProtocolVersion, QoS, ReasonCode};

use super::{CodecVerdict, MalformedCase, Notice, ServerReaction};
use crate::{RawPacketBuilder, RawProperties};

const V5: ProtocolVersion = ProtocolVersion::V5;
const V311: ProtocolVersion = ProtocolVersion::V311;

const MALFORMED: ReasonCode = ReasonCode::MalformedPacket;
const PROTOCOL_ERROR: ReasonCode = ReasonCode::ProtocolError;

/// Close; nothing may be sent first.
const CLOSE: ServerReaction = ServerReaction::Close { notice: None };

/// Close, with a DISCONNECT carrying `code` allowed first (MQTT 5.0, after CONNACK).
fn disconnect(code: ReasonCode) -> ServerReaction {
    ServerReaction::Close {
        notice: Some(Notice::Disconnect(code)),
    }
}

/// Close, with a CONNACK carrying `code` allowed first (a refused CONNECT).
fn connack(code: ReasonCode) -> ServerReaction {
    ServerReaction::Close {
        notice: Some(Notice::ConnAck(code)),
    }
}

fn case(
    name: &'static str,
    normative: &'static str,
    version: ProtocolVersion,
    description: &'static str,
) -> MalformedCase {
    MalformedCase {
        name,
        normative,
        version,
        description,
        bytes: Bytes::new(),
        valid_twin: Bytes::new(),
        needs_connect: true,
        codec: CodecVerdict::Accepts,
        expected: CLOSE,
    }
}

impl MalformedCase {
    fn packets(mut self, bad: RawPacketBuilder, twin: RawPacketBuilder) -> Self {
        self.bytes = bad.build();
        self.valid_twin = twin.build();
        self
    }

    /// The bytes open the connection (no CONNECT before them).
    fn first(mut self) -> Self {
        self.needs_connect = false;
        self
    }

    fn rejects(mut self, error: CodecError) -> Self {
        self.codec = CodecVerdict::Rejects(error);
        self
    }

    fn expect(mut self, reaction: ServerReaction) -> Self {
        self.expected = reaction;
        self
    }
}

fn props() -> RawProperties {
    RawProperties::new()
}

fn id(p: PropertyId) -> u8 {
    p.as_u8()
}

/// A valid QoS 1 PUBLISH to `a/b` with payload `hello`.
fn publish1() -> RawPacketBuilder {
    RawPacketBuilder::publish("a/b", QoS::AtLeastOnce).payload(b"hello")
}

/// A valid QoS 0 PUBLISH to `a/b` with payload `hello`.
fn publish0() -> RawPacketBuilder {
    RawPacketBuilder::publish("a/b", QoS::AtMostOnce).payload(b"hello")
}

fn publish_with(properties: RawProperties) -> RawPacketBuilder {
    publish0().properties(properties.build())
}

fn subscribe() -> RawPacketBuilder {
    RawPacketBuilder::subscribe("a/b", QoS::AtLeastOnce)
}

fn connect_with(properties: RawProperties) -> RawPacketBuilder {
    RawPacketBuilder::connect_v5().properties(properties.build())
}

pub(super) fn all() -> Vec<MalformedCase> {
    let mut all = Vec::with_capacity(64);
    all.extend(fixed_header());
    all.extend(publish());
    all.extend(properties());
    all.extend(subscriptions());
    all.extend(connect());
    all.extend(ordering());
    all
}

/// Remaining length, packet types and reserved flag bits.
fn fixed_header() -> Vec<MalformedCase> {
    let flags = |name, normative, packet, bad: RawPacketBuilder, twin: RawPacketBuilder| {
        let flags = bad.build().first().map_or(0, |b| b & 0x0F);
        case(
            name,
            normative,
            V5,
            "reserved fixed-header flag bits differ from the required value",
        )
        .packets(bad, twin)
        .rejects(CodecError::InvalidFixedHeaderFlags { packet, flags })
        .expect(disconnect(MALFORMED))
    };
    vec![
        case(
            "remaining_length_five_bytes",
            "MQTT-1.5.5-1",
            V5,
            "PINGREQ whose remaining length runs over five bytes (80 80 80 80 00)",
        )
        .packets(
            RawPacketBuilder::pingreq().remaining_length_overlong(5),
            RawPacketBuilder::pingreq(),
        )
        .rejects(CodecError::MalformedVariableByteInteger)
        .expect(disconnect(MALFORMED)),
        case(
            "remaining_length_not_shortest",
            "MQTT-1.5.5-1",
            V5,
            "PINGREQ whose remaining length 0 is written in two bytes (80 00)",
        )
        .packets(
            RawPacketBuilder::pingreq().remaining_length_overlong(2),
            RawPacketBuilder::pingreq(),
        )
        .rejects(CodecError::MalformedVariableByteInteger)
        .expect(disconnect(MALFORMED)),
        case(
            "remaining_length_longer_than_fields",
            "§3.12.1",
            V5,
            "PINGREQ whose remaining length 1 counts a byte the packet has no field for",
        )
        .packets(
            RawPacketBuilder::pingreq().push_u8(0),
            RawPacketBuilder::pingreq(),
        )
        .rejects(CodecError::TrailingBytes {
            packet: PacketType::PingReq,
            extra: 1,
        })
        .expect(disconnect(MALFORMED)),
        case(
            "remaining_length_shorter_than_fields",
            "§2.1.4",
            V5,
            "PUBREL whose remaining length 1 ends inside its packet identifier",
        )
        .packets(
            RawPacketBuilder::new(0x62).push_u8(0),
            RawPacketBuilder::new(0x62).push_u16(1),
        )
        .rejects(CodecError::UnexpectedEof {
            packet: PacketType::PubRel,
            field: "packet identifier",
        })
        .expect(disconnect(MALFORMED)),
        case(
            "reserved_packet_type_0",
            "§2.1.2",
            V5,
            "packet type 0, which is reserved (a PINGREQ with its type nibble cleared)",
        )
        .packets(
            RawPacketBuilder::pingreq().packet_type(0),
            RawPacketBuilder::pingreq(),
        )
        .rejects(CodecError::InvalidPacketType { value: 0 })
        .expect(disconnect(MALFORMED)),
        case(
            "auth_packet_in_v311",
            "§2.1.2 (3.1.1)",
            V311,
            "AUTH (type 15) in 3.1.1, where the type is reserved",
        )
        .packets(
            RawPacketBuilder::auth()
                .without_properties()
                .remove_field("reason_code"),
            RawPacketBuilder::pingreq(),
        )
        .rejects(CodecError::PacketNotInVersion {
            packet: PacketType::Auth,
            version: V311,
        }),
        flags(
            "reserved_flags_puback",
            "MQTT-2.1.3-1",
            PacketType::PubAck,
            RawPacketBuilder::puback(1).flags(0b0010),
            RawPacketBuilder::puback(1),
        ),
        flags(
            "reserved_flags_pubrec",
            "MQTT-2.1.3-1",
            PacketType::PubRec,
            RawPacketBuilder::pubrec(1).flags(0b0001),
            RawPacketBuilder::pubrec(1),
        ),
        flags(
            "reserved_flags_pubrel",
            "MQTT-3.6.1-1",
            PacketType::PubRel,
            RawPacketBuilder::pubrel(1).flags(0b0000),
            RawPacketBuilder::pubrel(1),
        ),
        flags(
            "reserved_flags_pubcomp",
            "MQTT-2.1.3-1",
            PacketType::PubComp,
            RawPacketBuilder::pubcomp(1).flags(0b1000),
            RawPacketBuilder::pubcomp(1),
        ),
        flags(
            "reserved_flags_subscribe",
            "MQTT-3.8.1-1",
            PacketType::Subscribe,
            subscribe().flags(0b0000),
            subscribe(),
        ),
        flags(
            "reserved_flags_unsubscribe",
            "MQTT-3.10.1-1",
            PacketType::Unsubscribe,
            RawPacketBuilder::unsubscribe("a/b").flags(0b0011),
            RawPacketBuilder::unsubscribe("a/b"),
        ),
        flags(
            "reserved_flags_pingreq",
            "MQTT-2.1.3-1",
            PacketType::PingReq,
            RawPacketBuilder::pingreq().flags(0b0001),
            RawPacketBuilder::pingreq(),
        ),
        flags(
            "reserved_flags_disconnect",
            "MQTT-3.14.1-1",
            PacketType::Disconnect,
            RawPacketBuilder::disconnect().flags(0b0100),
            RawPacketBuilder::disconnect(),
        ),
        flags(
            "reserved_flags_auth",
            "MQTT-3.15.1-1",
            PacketType::Auth,
            RawPacketBuilder::auth().flags(0b0001),
            RawPacketBuilder::auth(),
        ),
        case(
            "reserved_flags_connect",
            "MQTT-2.1.3-1",
            V5,
            "CONNECT whose fixed-header flags are 0001 instead of 0000",
        )
        .first()
        .packets(
            RawPacketBuilder::connect_v5().flags(0b0001),
            RawPacketBuilder::connect_v5(),
        )
        .rejects(CodecError::InvalidFixedHeaderFlags {
            packet: PacketType::Connect,
            flags: 0b0001,
        })
        .expect(connack(MALFORMED)),
        case(
            "reserved_flags_subscribe_v311",
            "MQTT-3.8.1-1",
            V311,
            "3.1.1 SUBSCRIBE whose fixed-header flags are 0000 instead of 0010",
        )
        .packets(
            subscribe().without_properties().flags(0b0000),
            subscribe().without_properties(),
        )
        .rejects(CodecError::InvalidFixedHeaderFlags {
            packet: PacketType::Subscribe,
            flags: 0,
        }),
    ]
}

/// PUBLISH: flags, topic names, packet identifiers.
fn publish() -> Vec<MalformedCase> {
    let topic = |name, normative, description, bad: &'static [u8], error| {
        case(name, normative, V5, description)
            .packets(publish1().topic(bad), publish1())
            .rejects(error)
    };
    vec![
        case(
            "publish_qos_3",
            "MQTT-3.3.1-4",
            V5,
            "PUBLISH with both QoS bits set",
        )
        .packets(
            RawPacketBuilder::publish("a/b", QoS::ExactlyOnce).flags(0b0110),
            RawPacketBuilder::publish("a/b", QoS::ExactlyOnce),
        )
        .rejects(CodecError::InvalidQoS { value: 3 })
        .expect(disconnect(MALFORMED)),
        case(
            "publish_dup_with_qos_0",
            "MQTT-3.3.1-2",
            V5,
            "QoS 0 PUBLISH with the DUP flag set",
        )
        .packets(publish0().flags(0b1000), publish0())
        .rejects(CodecError::DupWithQoS0)
        .expect(disconnect(MALFORMED)),
        case(
            "publish_qos_3_v311",
            "MQTT-3.3.1-4",
            V311,
            "3.1.1 PUBLISH with both QoS bits set",
        )
        .packets(
            RawPacketBuilder::publish("a/b", QoS::ExactlyOnce)
                .without_properties()
                .flags(0b0110),
            RawPacketBuilder::publish("a/b", QoS::ExactlyOnce).without_properties(),
        )
        .rejects(CodecError::InvalidQoS { value: 3 }),
        topic(
            "publish_topic_invalid_utf8",
            "MQTT-1.5.4-1",
            "PUBLISH topic name holding the byte 0xFF, which is not UTF-8",
            b"a/\xFF",
            CodecError::InvalidUtf8 {
                field: "topic name",
            },
        )
        .expect(disconnect(MALFORMED)),
        topic(
            "publish_topic_surrogate",
            "MQTT-1.5.4-1",
            "PUBLISH topic name encoding the surrogate code point U+D800 (ED A0 80)",
            b"a/\xED\xA0\x80",
            CodecError::InvalidUtf8 {
                field: "topic name",
            },
        )
        .expect(disconnect(MALFORMED)),
        topic(
            "publish_topic_null_character",
            "MQTT-1.5.4-2",
            "PUBLISH topic name containing U+0000",
            b"a\0b",
            CodecError::NullCharacter {
                field: "topic name",
            },
        )
        .expect(disconnect(MALFORMED)),
        topic(
            "publish_topic_wildcard_plus",
            "MQTT-3.3.2-2",
            "PUBLISH topic name containing the wildcard +",
            b"a/+",
            CodecError::WildcardInTopicName {
                topic: "a/+".into(),
            },
        )
        .expect(disconnect(ReasonCode::TopicNameInvalid)),
        topic(
            "publish_topic_wildcard_hash",
            "MQTT-3.3.2-2",
            "PUBLISH topic name containing the wildcard #",
            b"a/#",
            CodecError::WildcardInTopicName {
                topic: "a/#".into(),
            },
        )
        .expect(disconnect(ReasonCode::TopicNameInvalid)),
        case(
            "publish_topic_wildcard_v311",
            "MQTT-3.3.2-2",
            V311,
            "3.1.1 PUBLISH topic name containing the wildcard #",
        )
        .packets(
            publish1().without_properties().topic("a/#"),
            publish1().without_properties(),
        )
        .rejects(CodecError::WildcardInTopicName {
            topic: "a/#".into(),
        }),
        case(
            "publish_empty_topic_without_alias",
            "§3.3.2.1",
            V5,
            "PUBLISH with an empty topic name and no Topic Alias",
        )
        .packets(publish1().topic(""), publish1())
        .rejects(CodecError::EmptyTopicWithoutAlias)
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "publish_empty_topic_v311",
            "MQTT-4.7.3-1",
            V311,
            "3.1.1 PUBLISH with an empty topic name",
        )
        .packets(
            publish1().without_properties().topic(""),
            publish1().without_properties(),
        )
        .rejects(CodecError::EmptyTopicName),
        case(
            "publish_packet_id_zero",
            "MQTT-2.2.1-3",
            V5,
            "QoS 1 PUBLISH with packet identifier 0",
        )
        .packets(publish1().packet_id(0), publish1())
        .rejects(CodecError::ZeroPacketId {
            packet: PacketType::Publish,
        })
        .expect(disconnect(MALFORMED)),
    ]
}

/// Property blocks: duplicates, misplaced and unknown identifiers, forbidden values.
fn properties() -> Vec<MalformedCase> {
    let alias = id(PropertyId::TopicAlias);
    let pfi = id(PropertyId::PayloadFormatIndicator);
    vec![
        case(
            "publish_topic_alias_zero",
            "MQTT-3.3.2-8",
            V5,
            "PUBLISH with Topic Alias 0",
        )
        .packets(
            publish_with(props().two_byte_integer(alias, 0)),
            publish_with(props().two_byte_integer(alias, 1)),
        )
        .rejects(CodecError::InvalidPropertyValue {
            property: PropertyId::TopicAlias,
            value: 0,
        })
        .expect(disconnect(ReasonCode::TopicAliasInvalid)),
        case(
            "publish_duplicate_property",
            "§3.3.2.3.2",
            V5,
            "PUBLISH carrying the Payload Format Indicator twice",
        )
        .packets(
            publish_with(props().byte(pfi, 0).byte(pfi, 0)),
            publish_with(props().byte(pfi, 0)),
        )
        .rejects(CodecError::DuplicateProperty {
            property: PropertyId::PayloadFormatIndicator,
        })
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "publish_property_not_allowed",
            "§2.2.2.2",
            V5,
            "PUBLISH carrying Session Expiry Interval, a CONNECT/CONNACK/DISCONNECT property",
        )
        .packets(
            publish_with(props().four_byte_integer(id(PropertyId::SessionExpiryInterval), 10)),
            publish_with(props().four_byte_integer(id(PropertyId::MessageExpiryInterval), 10)),
        )
        .rejects(CodecError::PropertyNotAllowed {
            property: PropertyId::SessionExpiryInterval,
            packet: Some(PacketType::Publish),
        })
        .expect(disconnect(MALFORMED)),
        case(
            "publish_unknown_property",
            "§2.2.2.2",
            V5,
            "PUBLISH carrying property identifier 0x7F, which MQTT 5.0 does not define",
        )
        .packets(
            publish_with(props().byte(0x7F, 0)),
            publish_with(props().byte(pfi, 0)),
        )
        .rejects(CodecError::UnknownPropertyId { id: 0x7F })
        .expect(disconnect(MALFORMED)),
        case(
            "publish_payload_format_indicator_2",
            "§3.3.2.3.2",
            V5,
            "PUBLISH with Payload Format Indicator 2 (only 0 and 1 exist)",
        )
        .packets(
            publish_with(props().byte(pfi, 2)),
            publish_with(props().byte(pfi, 1)),
        )
        .rejects(CodecError::InvalidPropertyValue {
            property: PropertyId::PayloadFormatIndicator,
            value: 2,
        })
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "publish_response_topic_wildcard",
            "MQTT-3.3.2-14",
            V5,
            "PUBLISH whose Response Topic contains the wildcard #",
        )
        .packets(
            publish_with(props().utf8(id(PropertyId::ResponseTopic), "r/#")),
            publish_with(props().utf8(id(PropertyId::ResponseTopic), "r/x")),
        )
        .rejects(CodecError::WildcardInResponseTopic {
            topic: "r/#".into(),
        })
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "publish_content_type_invalid_utf8",
            "MQTT-1.5.4-1",
            V5,
            "PUBLISH whose Content Type holds the byte 0xC0, which is not UTF-8",
        )
        .packets(
            publish_with(props().utf8(id(PropertyId::ContentType), b"text/\xC0")),
            publish_with(props().utf8(id(PropertyId::ContentType), "text/x")),
        )
        .rejects(CodecError::InvalidUtf8 {
            field: "Content Type",
        })
        .expect(disconnect(MALFORMED)),
        case(
            "publish_user_property_null_character",
            "MQTT-1.5.4-2",
            V5,
            "PUBLISH with a User Property whose value contains U+0000 (a UTF-8 string pair, MQTT-1.5.7-1)",
        )
        .packets(
            publish_with(props().utf8_pair(id(PropertyId::UserProperty), "k", "v\0")),
            publish_with(props().utf8_pair(id(PropertyId::UserProperty), "k", "v")),
        )
        .rejects(CodecError::NullCharacter {
            field: "User Property",
        })
        .expect(disconnect(MALFORMED)),
        case(
            "publish_subscription_identifier_from_client",
            "MQTT-3.3.4-6",
            V5,
            "PUBLISH from a client carrying a Subscription Identifier, which only a server may send",
        )
        .packets(
            publish_with(props().variable_byte_integer(id(PropertyId::SubscriptionIdentifier), 1)),
            publish0(),
        )
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "publish_payload_format_mismatch",
            "§3.3.2.3.2",
            V5,
            "PUBLISH with Payload Format Indicator 1 (UTF-8) and a payload that is not UTF-8",
        )
        .packets(
            publish_with(props().byte(pfi, 1)).payload(b"\xFF\xFE"),
            publish_with(props().byte(pfi, 1)).payload("ok"),
        )
        .expect(ServerReaction::MayReject(ReasonCode::PayloadFormatInvalid)),
        case(
            "pubrel_reason_code_not_allowed",
            "§3.6.2.1",
            V5,
            "PUBREL with reason code 0x10, a PUBACK-only code",
        )
        .packets(
            RawPacketBuilder::pubrel(1).reason_code(0x10),
            RawPacketBuilder::pubrel(1).reason_code(0x92),
        )
        .rejects(CodecError::ReasonCodeNotAllowed {
            packet: PacketType::PubRel,
            code: ReasonCode::NoMatchingSubscribers,
        })
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "puback_unknown_reason_code",
            "§3.4.2.1",
            V5,
            "PUBACK with reason code 0x03, which no packet defines",
        )
        .packets(
            RawPacketBuilder::puback(1).reason_code(0x03),
            RawPacketBuilder::puback(1),
        )
        .rejects(CodecError::UnknownReasonCode {
            packet: PacketType::PubAck,
            value: 0x03,
        })
        .expect(disconnect(MALFORMED)),
    ]
}

/// SUBSCRIBE and UNSUBSCRIBE: filters, options, identifiers.
fn subscriptions() -> Vec<MalformedCase> {
    let filter = |name, normative, bad: &'static str, error| {
        case(
            name,
            normative,
            V5,
            "SUBSCRIBE whose topic filter breaks a wildcard rule",
        )
        .packets(subscribe().topic_filter(bad), subscribe())
        .rejects(error)
        .expect(disconnect(ReasonCode::TopicFilterInvalid))
    };
    let options = |name, normative, description, bad: u8, error, code| {
        case(name, normative, V5, description)
            .packets(subscribe().subscription_options(bad), subscribe())
            .rejects(error)
            .expect(disconnect(code))
    };
    vec![
        filter(
            "subscribe_filter_hash_not_last",
            "MQTT-4.7.1-1",
            "a/#/b",
            CodecError::InvalidTopicFilter {
                filter: "a/#/b".into(),
                rule: "'#' must be the last level",
            },
        ),
        filter(
            "subscribe_filter_hash_first_level",
            "MQTT-4.7.1-1",
            "#/a",
            CodecError::InvalidTopicFilter {
                filter: "#/a".into(),
                rule: "'#' must be the last level",
            },
        ),
        filter(
            "subscribe_filter_hash_in_level",
            "MQTT-4.7.1-1",
            "a/b#",
            CodecError::InvalidTopicFilter {
                filter: "a/b#".into(),
                rule: "'#' must occupy a whole level",
            },
        ),
        filter(
            "subscribe_filter_plus_in_level",
            "MQTT-4.7.1-2",
            "a+",
            CodecError::InvalidTopicFilter {
                filter: "a+".into(),
                rule: "'+' must occupy a whole level",
            },
        ),
        filter(
            "subscribe_filter_empty",
            "MQTT-4.7.3-1",
            "",
            CodecError::EmptyTopicFilter,
        ),
        filter(
            "subscribe_shared_share_name_wildcard",
            "MQTT-4.8.2-2",
            "$share/g+/a",
            CodecError::InvalidSharedSubscription {
                filter: "$share/g+/a".into(),
            },
        ),
        filter(
            "subscribe_shared_empty_share_name",
            "MQTT-4.8.2-1",
            "$share//a",
            CodecError::InvalidSharedSubscription {
                filter: "$share//a".into(),
            },
        ),
        case(
            "subscribe_filter_invalid_utf8",
            "MQTT-1.5.4-1",
            V5,
            "SUBSCRIBE whose topic filter holds the byte 0xFF (MQTT-3.8.3-1)",
        )
        .packets(subscribe().topic_filter(b"a/\xFF"), subscribe())
        .rejects(CodecError::InvalidUtf8 {
            field: "topic filter",
        })
        .expect(disconnect(MALFORMED)),
        case(
            "subscribe_empty",
            "MQTT-3.8.3-2",
            V5,
            "SUBSCRIBE without any topic filter",
        )
        .packets(
            subscribe()
                .remove_field("topic_filter")
                .remove_field("subscription_options"),
            subscribe(),
        )
        .rejects(CodecError::EmptySubscribe)
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "subscribe_packet_id_zero",
            "MQTT-2.2.1-3",
            V5,
            "SUBSCRIBE with packet identifier 0",
        )
        .packets(subscribe().packet_id(0), subscribe())
        .rejects(CodecError::ZeroPacketId {
            packet: PacketType::Subscribe,
        })
        .expect(disconnect(MALFORMED)),
        options(
            "subscribe_options_reserved_bits",
            "MQTT-3.8.3-5",
            "SUBSCRIBE whose subscription options set the reserved bits 6-7",
            0xC1,
            CodecError::InvalidSubscriptionOptions { options: 0xC1 },
            MALFORMED,
        ),
        options(
            "subscribe_retain_handling_3",
            "§3.8.3.1",
            "SUBSCRIBE with Retain Handling 3",
            0x31,
            CodecError::InvalidRetainHandling { value: 3 },
            PROTOCOL_ERROR,
        ),
        options(
            "subscribe_qos_3",
            "§3.8.3.1",
            "SUBSCRIBE requesting maximum QoS 3",
            0x03,
            CodecError::InvalidSubscriptionQoS { value: 3 },
            PROTOCOL_ERROR,
        ),
        case(
            "subscribe_shared_no_local",
            "MQTT-3.8.3-4",
            V5,
            "SUBSCRIBE to a shared subscription with No Local set",
        )
        .packets(
            subscribe()
                .topic_filter("$share/g/a")
                .subscription_options(0x05),
            subscribe().topic_filter("$share/g/a"),
        )
        .rejects(CodecError::NoLocalOnSharedSubscription {
            filter: "$share/g/a".into(),
        })
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "subscribe_subscription_identifier_zero",
            "§3.8.2.1.2",
            V5,
            "SUBSCRIBE with Subscription Identifier 0",
        )
        .packets(
            subscribe().properties(
                props()
                    .variable_byte_integer(id(PropertyId::SubscriptionIdentifier), 0)
                    .build(),
            ),
            subscribe().properties(
                props()
                    .variable_byte_integer(id(PropertyId::SubscriptionIdentifier), 1)
                    .build(),
            ),
        )
        .rejects(CodecError::InvalidPropertyValue {
            property: PropertyId::SubscriptionIdentifier,
            value: 0,
        })
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "subscribe_options_reserved_bits_v311",
            "MQTT-3.8.3-5",
            V311,
            "3.1.1 SUBSCRIBE whose requested QoS byte sets reserved bit 2",
        )
        .packets(
            subscribe().without_properties().subscription_options(0x05),
            subscribe().without_properties(),
        )
        .rejects(CodecError::InvalidSubscriptionOptions { options: 0x05 }),
        case(
            "unsubscribe_empty",
            "MQTT-3.10.3-2",
            V5,
            "UNSUBSCRIBE without any topic filter",
        )
        .packets(
            RawPacketBuilder::unsubscribe("a/b").remove_field("topic_filter"),
            RawPacketBuilder::unsubscribe("a/b"),
        )
        .rejects(CodecError::EmptyUnsubscribe)
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "unsubscribe_filter_hash_not_last",
            "MQTT-4.7.1-1",
            V5,
            "UNSUBSCRIBE whose topic filter a/#/b breaks a wildcard rule",
        )
        .packets(
            RawPacketBuilder::unsubscribe("a/#/b"),
            RawPacketBuilder::unsubscribe("a/#"),
        )
        .rejects(CodecError::InvalidTopicFilter {
            filter: "a/#/b".into(),
            rule: "'#' must be the last level",
        })
        .expect(disconnect(ReasonCode::TopicFilterInvalid)),
        case(
            "unsubscribe_packet_id_zero",
            "MQTT-2.2.1-3",
            V5,
            "UNSUBSCRIBE with packet identifier 0",
        )
        .packets(
            RawPacketBuilder::unsubscribe("a/b").packet_id(0),
            RawPacketBuilder::unsubscribe("a/b"),
        )
        .rejects(CodecError::ZeroPacketId {
            packet: PacketType::Unsubscribe,
        })
        .expect(disconnect(MALFORMED)),
        case(
            "unsubscribe_empty_v311",
            "MQTT-3.10.3-2",
            V311,
            "3.1.1 UNSUBSCRIBE without any topic filter",
        )
        .packets(
            RawPacketBuilder::unsubscribe("a/b")
                .without_properties()
                .remove_field("topic_filter"),
            RawPacketBuilder::unsubscribe("a/b").without_properties(),
        )
        .rejects(CodecError::EmptyUnsubscribe),
    ]
}

/// CONNECT fields and properties.
fn connect() -> Vec<MalformedCase> {
    let v5 = RawPacketBuilder::connect_v5;
    let v311 = RawPacketBuilder::connect_v311;
    let will = |b: RawPacketBuilder| b.will([], "w/t", "bye");
    let will311 = |b: RawPacketBuilder, topic: &str| b.will([], topic, "bye").without_properties();
    vec![
        case(
            "connect_protocol_name_wrong",
            "MQTT-3.1.2-1",
            V5,
            "CONNECT with protocol name \"mqtt\" instead of \"MQTT\"",
        )
        .first()
        .packets(v5().protocol_name("mqtt"), v5())
        .rejects(CodecError::InvalidProtocolName {
            name: "mqtt".into(),
        })
        .expect(connack(ReasonCode::UnsupportedProtocolVersion)),
        case(
            "connect_protocol_level_unknown",
            "MQTT-3.1.2-2",
            V5,
            "CONNECT with protocol level 6",
        )
        .first()
        .packets(v5().protocol_level(6), v5())
        .rejects(CodecError::UnsupportedProtocolVersion { level: 6 })
        .expect(connack(ReasonCode::UnsupportedProtocolVersion)),
        case(
            "connect_protocol_level_unknown_v311",
            "MQTT-3.1.2-2",
            V311,
            "3.1.1 CONNECT (no properties) with protocol name MQTT and level 3",
        )
        .first()
        .packets(v311().protocol_level(3), v311())
        .rejects(CodecError::UnsupportedProtocolVersion { level: 3 })
        .expect(ServerReaction::ConnAckWith(
            ReasonCode::UnsupportedProtocolVersion,
        )),
        case(
            "connect_reserved_flag",
            "MQTT-3.1.2-3",
            V5,
            "CONNECT with the reserved connect flag (bit 0) set",
        )
        .first()
        .packets(v5().connect_flags(0x03), v5())
        .rejects(CodecError::ReservedConnectFlag)
        .expect(connack(MALFORMED)),
        case(
            "connect_reserved_flag_v311",
            "MQTT-3.1.2-3",
            V311,
            "3.1.1 CONNECT with the reserved connect flag (bit 0) set",
        )
        .first()
        .packets(v311().connect_flags(0x03), v311())
        .rejects(CodecError::ReservedConnectFlag),
        case(
            "connect_will_qos_without_will_flag",
            "MQTT-3.1.2-11",
            V5,
            "CONNECT with Will QoS 1 and the Will Flag clear",
        )
        .first()
        .packets(v5().connect_flags(0x0A), v5())
        .rejects(CodecError::WillFlagsWithoutWill)
        .expect(connack(MALFORMED)),
        case(
            "connect_will_retain_without_will_flag",
            "MQTT-3.1.2-13",
            V5,
            "CONNECT with Will Retain set and the Will Flag clear",
        )
        .first()
        .packets(v5().connect_flags(0x22), v5())
        .rejects(CodecError::WillRetainWithoutWill)
        .expect(connack(MALFORMED)),
        case(
            "connect_will_qos_3",
            "MQTT-3.1.2-12",
            V5,
            "CONNECT with the Will Flag and Will QoS 3",
        )
        .first()
        .packets(
            will(v5().connect_flags(0x1E)),
            will(v5().connect_flags(0x16)),
        )
        .rejects(CodecError::InvalidWillQoS { value: 3 })
        .expect(connack(MALFORMED)),
        case(
            "connect_will_topic_wildcard_v311",
            "MQTT-3.3.2-2",
            V311,
            "3.1.1 CONNECT whose Will Topic contains the wildcard + (will topics are topic names)",
        )
        .first()
        .packets(
            will311(v311().connect_flags(0x06), "w/+"),
            will311(v311().connect_flags(0x06), "w/t"),
        )
        .rejects(CodecError::WildcardInTopicName {
            topic: "w/+".into(),
        }),
        case(
            "connect_password_without_username_v311",
            "MQTT-3.1.2-22 (3.1.1)",
            V311,
            "3.1.1 CONNECT with the Password flag and a password but no User Name flag",
        )
        .first()
        .packets(
            v311().connect_flags(0x42).password("secret"),
            v311()
                .connect_flags(0xC2)
                .username("user")
                .password("secret"),
        )
        .rejects(CodecError::PasswordWithoutUsername),
        case(
            "connect_username_flag_without_username",
            "MQTT-3.1.2-17",
            V5,
            "CONNECT with the User Name flag set and no User Name in the payload",
        )
        .first()
        .packets(
            v5().connect_flags(0x82),
            v5().connect_flags(0x82).username("user"),
        )
        .rejects(CodecError::MissingConnectField { field: "user name" })
        .expect(connack(MALFORMED)),
        case(
            "connect_client_id_invalid_utf8",
            "MQTT-1.5.4-1",
            V5,
            "CONNECT whose client identifier holds the byte 0xFF (MQTT-3.1.3-4)",
        )
        .first()
        .packets(v5().client_id(b"id\xFF"), v5().client_id("id"))
        .rejects(CodecError::InvalidUtf8 {
            field: "client identifier",
        })
        .expect(connack(MALFORMED)),
        case(
            "connect_username_null_character",
            "MQTT-1.5.4-2",
            V5,
            "CONNECT whose User Name contains U+0000 (MQTT-3.1.3-12)",
        )
        .first()
        .packets(
            v5().connect_flags(0x82).username("us\0er"),
            v5().connect_flags(0x82).username("user"),
        )
        .rejects(CodecError::NullCharacter { field: "user name" })
        .expect(connack(MALFORMED)),
        case(
            "connect_duplicate_property",
            "§3.1.2.11.2",
            V5,
            "CONNECT carrying Session Expiry Interval twice",
        )
        .first()
        .packets(
            connect_with(
                props()
                    .four_byte_integer(id(PropertyId::SessionExpiryInterval), 10)
                    .four_byte_integer(id(PropertyId::SessionExpiryInterval), 10),
            ),
            connect_with(props().four_byte_integer(id(PropertyId::SessionExpiryInterval), 10)),
        )
        .rejects(CodecError::DuplicateProperty {
            property: PropertyId::SessionExpiryInterval,
        })
        .expect(connack(PROTOCOL_ERROR)),
        case(
            "connect_property_not_allowed",
            "§2.2.2.2",
            V5,
            "CONNECT carrying Topic Alias, a PUBLISH property",
        )
        .first()
        .packets(
            connect_with(props().two_byte_integer(id(PropertyId::TopicAlias), 1)),
            connect_with(props().two_byte_integer(id(PropertyId::TopicAliasMaximum), 1)),
        )
        .rejects(CodecError::PropertyNotAllowed {
            property: PropertyId::TopicAlias,
            packet: Some(PacketType::Connect),
        })
        .expect(connack(MALFORMED)),
        case(
            "connect_receive_maximum_zero",
            "§3.1.2.11.3",
            V5,
            "CONNECT with Receive Maximum 0",
        )
        .first()
        .packets(
            connect_with(props().two_byte_integer(id(PropertyId::ReceiveMaximum), 0)),
            connect_with(props().two_byte_integer(id(PropertyId::ReceiveMaximum), 1)),
        )
        .rejects(CodecError::InvalidPropertyValue {
            property: PropertyId::ReceiveMaximum,
            value: 0,
        })
        .expect(connack(PROTOCOL_ERROR)),
        case(
            "connect_maximum_packet_size_zero",
            "§3.1.2.11.4",
            V5,
            "CONNECT with Maximum Packet Size 0",
        )
        .first()
        .packets(
            connect_with(props().four_byte_integer(id(PropertyId::MaximumPacketSize), 0)),
            connect_with(props().four_byte_integer(id(PropertyId::MaximumPacketSize), 1024)),
        )
        .rejects(CodecError::InvalidPropertyValue {
            property: PropertyId::MaximumPacketSize,
            value: 0,
        })
        .expect(connack(PROTOCOL_ERROR)),
        case(
            "connect_request_problem_information_2",
            "§3.1.2.11.7",
            V5,
            "CONNECT with Request Problem Information 2 (only 0 and 1 exist)",
        )
        .first()
        .packets(
            connect_with(props().byte(id(PropertyId::RequestProblemInformation), 2)),
            connect_with(props().byte(id(PropertyId::RequestProblemInformation), 1)),
        )
        .rejects(CodecError::InvalidPropertyValue {
            property: PropertyId::RequestProblemInformation,
            value: 2,
        })
        .expect(connack(PROTOCOL_ERROR)),
        case(
            "connect_auth_data_without_method",
            "§3.1.2.11.10",
            V5,
            "CONNECT with Authentication Data and no Authentication Method",
        )
        .first()
        .packets(
            connect_with(props().binary(id(PropertyId::AuthenticationData), b"x")),
            connect_with(
                props()
                    .utf8(id(PropertyId::AuthenticationMethod), "m")
                    .binary(id(PropertyId::AuthenticationData), b"x"),
            ),
        )
        .rejects(CodecError::AuthDataWithoutMethod)
        .expect(connack(PROTOCOL_ERROR)),
        case(
            "connect_v311_empty_client_id_without_clean_session",
            "MQTT-3.1.3-8 (3.1.1)",
            V311,
            "3.1.1 CONNECT with a zero-byte client identifier and Clean Session 0",
        )
        .first()
        .packets(
            v311().connect_flags(0x00).client_id(""),
            v311().connect_flags(0x02).client_id(""),
        )
        .expect(ServerReaction::ConnAckWith(
            ReasonCode::ClientIdentifierNotValid,
        )),
    ]
}

/// Rules about the order of packets on the connection.
fn ordering() -> Vec<MalformedCase> {
    vec![
        case(
            "second_connect",
            "MQTT-3.1.0-2",
            V5,
            "a second CONNECT after the connection was accepted",
        )
        .packets(RawPacketBuilder::connect_v5(), RawPacketBuilder::pingreq())
        .expect(disconnect(PROTOCOL_ERROR)),
        case(
            "second_connect_v311",
            "MQTT-3.1.0-2",
            V311,
            "a second 3.1.1 CONNECT after the connection was accepted",
        )
        .packets(
            RawPacketBuilder::connect_v311(),
            RawPacketBuilder::pingreq(),
        ),
        case(
            "publish_before_connect",
            "MQTT-3.1.0-1",
            V5,
            "a PUBLISH as the first packet on the connection, before any CONNECT",
        )
        .first()
        .packets(publish0(), RawPacketBuilder::connect_v5()),
        case(
            "pingreq_before_connect_v311",
            "MQTT-3.1.0-1",
            V311,
            "a 3.1.1 PINGREQ as the first packet on the connection, before any CONNECT",
        )
        .first()
        .packets(
            RawPacketBuilder::pingreq(),
            RawPacketBuilder::connect_v311(),
        ),
    ]
}
