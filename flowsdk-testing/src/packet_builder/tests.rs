//! The presets decode into the packets they claim to be; invalid variants fail as expected.

use bytes::Bytes;
use flowsdk_codec::{
    Auth, CodecError, ConnAck, Connect, Disconnect, MqttString, Packet, PacketId, PacketType,
    PropertyId, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, QoS, ReasonCode, SubAck,
    Subscribe, Subscription, TopicFilter, TopicName, UnsubAck, Unsubscribe, Will,
};

use super::{Field, RawPacketBuilder, RawProperties};

const V5: ProtocolVersion = ProtocolVersion::V5;
const V311: ProtocolVersion = ProtocolVersion::V311;

fn id(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

fn decode(b: RawPacketBuilder, version: ProtocolVersion) -> Packet {
    b.decode(version)
        .unwrap_or_else(|e| panic!("{:02X?} does not decode: {e}", b.build().as_ref()))
}

/// The bytes the codec itself produces for `packet`.
fn encoded(packet: &Packet, version: ProtocolVersion) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    packet.encode(version, &mut out).unwrap();
    out.to_vec()
}

#[test]
fn connect_presets_decode_to_the_codecs_connect() {
    let mut expected = Connect::new(MqttString::new("flowsdk-raw").unwrap());
    assert_eq!(
        decode(RawPacketBuilder::connect_v5(), V5),
        Packet::Connect(Box::new(expected.clone()))
    );
    assert_eq!(
        RawPacketBuilder::connect_v5().build().as_ref(),
        encoded(&Packet::Connect(Box::new(expected.clone())), V5)
    );
    expected.protocol_version = V311;
    assert_eq!(
        decode(RawPacketBuilder::connect_v311(), V311),
        Packet::Connect(Box::new(expected))
    );
}

#[test]
fn connect_fields_can_be_changed_one_by_one() {
    let props = RawProperties::new()
        .four_byte_integer(PropertyId::SessionExpiryInterval.as_u8(), 30)
        .build();
    let b = RawPacketBuilder::connect_v5()
        .client_id("c-1")
        .keep_alive(5)
        .connect_flags(0b1100_0110) // user name, password, will, clean start
        .properties(&props)
        .will([], "will/t", "bye")
        .username("user")
        .password("secret");
    let Packet::Connect(c) = decode(b, V5) else {
        panic!("not a CONNECT")
    };
    assert_eq!(c.client_id.as_str(), "c-1");
    assert_eq!(c.keep_alive, 5);
    assert_eq!(c.properties.session_expiry_interval(), Some(30));
    assert_eq!(
        c.will,
        Some(Will::new(TopicName::new("will/t").unwrap(), "bye"))
    );
    assert_eq!(c.username.as_ref().map(MqttString::as_str), Some("user"));
    assert_eq!(c.password, Some(Bytes::from_static(b"secret")));
}

#[test]
fn connack_preset_decodes_to_success() {
    assert_eq!(
        decode(RawPacketBuilder::connack(), V5),
        Packet::ConnAck(ConnAck::new(ReasonCode::Success))
    );
    assert_eq!(
        decode(RawPacketBuilder::connack().without_properties(), V311),
        Packet::ConnAck(ConnAck::new(ReasonCode::Success))
    );
}

#[test]
fn publish_presets_decode_at_every_qos() {
    let topic = TopicName::new("a/b").unwrap();
    assert_eq!(
        decode(
            RawPacketBuilder::publish("a/b", QoS::AtMostOnce).payload("hi"),
            V5
        ),
        Packet::Publish(Publish::new(topic.clone(), "hi"))
    );
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let mut expected = Publish::new(topic.clone(), Bytes::new());
        expected.qos = qos;
        expected.packet_id = Some(id(1));
        assert_eq!(
            decode(RawPacketBuilder::publish("a/b", qos), V5),
            Packet::Publish(expected.clone())
        );
        assert_eq!(
            decode(
                RawPacketBuilder::publish("a/b", qos).without_properties(),
                V311
            ),
            Packet::Publish(expected)
        );
    }
}

#[test]
fn acknowledgement_presets_decode() {
    assert_eq!(
        decode(RawPacketBuilder::puback(7), V5),
        Packet::PubAck(PubAck::new(id(7)))
    );
    assert_eq!(
        decode(RawPacketBuilder::pubrec(7), V5),
        Packet::PubRec(PubRec::new(id(7)))
    );
    assert_eq!(
        decode(RawPacketBuilder::pubrel(7), V5),
        Packet::PubRel(PubRel::new(id(7)))
    );
    assert_eq!(
        decode(RawPacketBuilder::pubcomp(7), V5),
        Packet::PubComp(PubComp::new(id(7)))
    );
    // 3.1.1 acknowledgements are the packet identifier alone.
    let short = RawPacketBuilder::puback(7)
        .without_properties()
        .remove_field("reason_code");
    assert_eq!(short.build().as_ref(), [0x40, 0x02, 0x00, 0x07]);
    assert_eq!(decode(short, V311), Packet::PubAck(PubAck::new(id(7))));
}

#[test]
fn subscription_presets_decode() {
    let filter = TopicFilter::new("s/+").unwrap();
    assert_eq!(
        decode(RawPacketBuilder::subscribe("s/+", QoS::AtLeastOnce), V5),
        Packet::Subscribe(Subscribe::new(
            id(1),
            vec![Subscription::new(filter.clone(), QoS::AtLeastOnce)]
        ))
    );
    assert_eq!(
        decode(RawPacketBuilder::suback(3, 0x01), V5),
        Packet::SubAck(SubAck::new(id(3), vec![ReasonCode::GrantedQoS1]))
    );
    assert_eq!(
        decode(RawPacketBuilder::unsubscribe("s/+"), V5),
        Packet::Unsubscribe(Unsubscribe::new(id(1), vec![filter]))
    );
    assert_eq!(
        decode(RawPacketBuilder::unsuback(3), V5),
        Packet::UnsubAck(UnsubAck::new(id(3), vec![ReasonCode::Success]))
    );
}

#[test]
fn control_presets_decode() {
    assert_eq!(decode(RawPacketBuilder::pingreq(), V5), Packet::PingReq);
    assert_eq!(decode(RawPacketBuilder::pingresp(), V5), Packet::PingResp);
    assert_eq!(
        decode(RawPacketBuilder::disconnect(), V5),
        Packet::Disconnect(Disconnect::new(ReasonCode::Success))
    );
    assert_eq!(
        decode(RawPacketBuilder::auth(), V5),
        Packet::Auth(Auth::new(ReasonCode::Success))
    );
    assert_eq!(
        RawPacketBuilder::pingreq().build().as_ref(),
        encoded(&Packet::PingReq, V5)
    );
}

#[test]
fn every_packet_type_has_a_preset_of_that_type() {
    let presets = [
        RawPacketBuilder::connect_v5(),
        RawPacketBuilder::connack(),
        RawPacketBuilder::publish("t", QoS::AtMostOnce),
        RawPacketBuilder::puback(1),
        RawPacketBuilder::pubrec(1),
        RawPacketBuilder::pubrel(1),
        RawPacketBuilder::pubcomp(1),
        RawPacketBuilder::subscribe("t", QoS::AtMostOnce),
        RawPacketBuilder::suback(1, 0),
        RawPacketBuilder::unsubscribe("t"),
        RawPacketBuilder::unsuback(1),
        RawPacketBuilder::pingreq(),
        RawPacketBuilder::pingresp(),
        RawPacketBuilder::disconnect(),
        RawPacketBuilder::auth(),
    ];
    for (nibble, preset) in (1u8..).zip(presets) {
        let packet = decode(preset, V5);
        assert_eq!(packet.packet_type() as u8, nibble, "{packet:?}");
    }
}

#[test]
fn overlong_remaining_length_is_malformed() {
    // [MQTT-1.5.5-1]
    let b = RawPacketBuilder::pingreq().remaining_length_overlong(2);
    assert_eq!(b.build().as_ref(), [0xC0, 0x80, 0x00]);
    assert_eq!(b.decode(V5), Err(CodecError::MalformedVariableByteInteger));
    let five = RawPacketBuilder::puback(1).remaining_length_overlong(5);
    assert_eq!(five.build()[1..6], [0x84, 0x80, 0x80, 0x80, 0x00]);
    assert_eq!(
        five.decode(V5),
        Err(CodecError::MalformedVariableByteInteger)
    );
}

#[test]
fn remaining_length_disagreeing_with_the_body_is_rejected() {
    let short = RawPacketBuilder::puback(1).remaining_length(2).decode(V5);
    assert!(
        matches!(short, Err(CodecError::TrailingBytes { extra: 2, .. })),
        "{short:?}"
    );
    let long = RawPacketBuilder::puback(1).remaining_length(9).decode(V5);
    assert!(
        matches!(long, Err(CodecError::UnexpectedEof { .. })),
        "{long:?}"
    );
}

#[test]
fn reserved_flags_and_types_are_rejected() {
    // [MQTT-3.6.1-1]
    assert_eq!(
        RawPacketBuilder::pubrel(1).flags(0).decode(V5),
        Err(CodecError::InvalidFixedHeaderFlags {
            packet: PacketType::PubRel,
            flags: 0
        })
    );
    assert_eq!(
        RawPacketBuilder::pingreq().packet_type(0).decode(V5),
        Err(CodecError::InvalidPacketType { value: 0 })
    );
    // QoS 3 [MQTT-3.3.1-4]
    assert_eq!(
        RawPacketBuilder::publish("t", QoS::AtLeastOnce)
            .flags(0b0110)
            .decode(V5),
        Err(CodecError::InvalidQoS { value: 3 })
    );
}

#[test]
fn invalid_connect_fields_are_rejected() {
    assert_eq!(
        RawPacketBuilder::connect_v5()
            .protocol_name("MQTX")
            .decode(V5),
        Err(CodecError::InvalidProtocolName {
            name: "MQTX".into()
        })
    );
    assert_eq!(
        RawPacketBuilder::connect_v5()
            .connect_flags(0x03)
            .decode(V5),
        Err(CodecError::ReservedConnectFlag)
    );
    assert!(matches!(
        RawPacketBuilder::connect_v5()
            .client_id(b"a\xFFb")
            .decode(V5),
        Err(CodecError::InvalidUtf8 { .. })
    ));
    assert!(matches!(
        RawPacketBuilder::connect_v5().client_id("a\0b").decode(V5),
        Err(CodecError::NullCharacter { .. })
    ));
}

#[test]
fn invalid_properties_and_ids_are_rejected() {
    let zero_receive_maximum = RawProperties::new()
        .two_byte_integer(PropertyId::ReceiveMaximum.as_u8(), 0)
        .build();
    assert_eq!(
        RawPacketBuilder::connect_v5()
            .properties(&zero_receive_maximum)
            .decode(V5),
        Err(CodecError::InvalidPropertyValue {
            property: PropertyId::ReceiveMaximum,
            value: 0
        })
    );
    assert!(matches!(
        RawPacketBuilder::connect_v5()
            .properties(RawProperties::new().byte(0x7F, 0).build())
            .decode(V5),
        Err(CodecError::UnknownPropertyId { id: 0x7F })
    ));
    assert_eq!(
        RawPacketBuilder::puback(0).decode(V5),
        Err(CodecError::ZeroPacketId {
            packet: PacketType::PubAck
        })
    );
    assert!(matches!(
        RawPacketBuilder::publish("a/#", QoS::AtMostOnce).decode(V5),
        Err(CodecError::WildcardInTopicName { .. })
    ));
}

#[test]
fn named_fields_replace_in_place_and_unknown_names_append() {
    let b = RawPacketBuilder::connect_v5().keep_alive(1);
    assert_eq!(
        b.field_names().collect::<Vec<_>>(),
        [
            "protocol_name",
            "protocol_level",
            "connect_flags",
            "keep_alive",
            "properties",
            "client_id"
        ]
    );
    assert_eq!(b.field("keep_alive"), Some(&Field::U16(1)));
    let b = RawPacketBuilder::pingreq().packet_id(9);
    assert_eq!(b.build().as_ref(), [0xC0, 0x02, 0x00, 0x09]);
    let b = b.remove_field("packet_id").push_raw([1, 2, 3]);
    assert_eq!(b.build().as_ref(), [0xC0, 0x03, 1, 2, 3]);
}
