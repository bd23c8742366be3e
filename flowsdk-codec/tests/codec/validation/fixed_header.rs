//! Fixed header (section 2.1), Variable Byte Integers (1.5.5), framing: reserved flags,
//! remaining length, truncation and trailing bytes.

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{
    decode_variable_byte_integer, CodecError, MqttDecoder, Packet, PacketType, ReasonCode,
};

use crate::codec::support::{assert_decode_error, encode, pid, BOTH, V311, V5};

/// Asserts that every flag nibble but `required` is refused for `packet`, from the first byte
/// alone, with `normative_id`.
#[track_caller]
fn assert_only_flags_accepted(packet: PacketType, required: u8, normative_id: &str) {
    let versions: &[_] = if packet == PacketType::Auth {
        &[V5]
    } else {
        &BOTH
    };
    for &version in versions {
        for flags in (0..16u8).filter(|&f| f != required) {
            let first = ((packet as u8) << 4) | flags;
            let expected = CodecError::InvalidFixedHeaderFlags { packet, flags };
            // The first byte is enough: the decoder does not wait for the rest.
            let mut buf = BytesMut::from(&[first][..]);
            let err = MqttDecoder::new(version)
                .decode(&mut buf)
                .expect_err("reserved flags accepted");
            assert_eq!(err, expected, "{packet} flags {flags:04b} in {version}");
            assert_eq!(err.reason_code(), Some(ReasonCode::MalformedPacket));
            assert_eq!(err.normative_id(), Some(normative_id));
            assert_decode_error(
                version,
                &[first, 0x00],
                expected,
                ReasonCode::MalformedPacket,
            );
        }
    }
}

#[test]
fn reserved_flags_of_packets_with_zero_flags_are_malformed() {
    // [MQTT-2.1.3-1] [MQTT-2.2.2-1 (3.1.1)] [MQTT-2.2.2-2 (3.1.1)]
    for packet in [
        PacketType::Connect,
        PacketType::ConnAck,
        PacketType::PubAck,
        PacketType::PubRec,
        PacketType::PubComp,
        PacketType::SubAck,
        PacketType::UnsubAck,
        PacketType::PingReq,
        PacketType::PingResp,
    ] {
        assert_only_flags_accepted(packet, 0b0000, "MQTT-2.1.3-1");
    }
}

#[test]
fn pubrel_flags_other_than_0010_are_malformed() {
    // [MQTT-3.6.1-1] [MQTT-3.6.1-1 (3.1.1)]
    assert_only_flags_accepted(PacketType::PubRel, 0b0010, "MQTT-3.6.1-1");
}

#[test]
fn subscribe_flags_other_than_0010_are_malformed() {
    // [MQTT-3.8.1-1] [MQTT-3.8.1-1 (3.1.1)]
    assert_only_flags_accepted(PacketType::Subscribe, 0b0010, "MQTT-3.8.1-1");
}

#[test]
fn unsubscribe_flags_other_than_0010_are_malformed() {
    // [MQTT-3.10.1-1] [MQTT-3.10.1-1 (3.1.1)]
    assert_only_flags_accepted(PacketType::Unsubscribe, 0b0010, "MQTT-3.10.1-1");
}

#[test]
fn disconnect_flags_other_than_0000_are_malformed() {
    // [MQTT-3.14.1-1]
    assert_only_flags_accepted(PacketType::Disconnect, 0b0000, "MQTT-3.14.1-1");
}

#[test]
fn auth_flags_other_than_0000_are_malformed() {
    // [MQTT-3.15.1-1]
    assert_only_flags_accepted(PacketType::Auth, 0b0000, "MQTT-3.15.1-1");
}

#[test]
fn encoder_writes_the_required_fixed_header_flags() {
    // [MQTT-2.1.3-1] [MQTT-3.6.1-1] [MQTT-3.8.1-1] [MQTT-3.10.1-1]
    use flowsdk_codec::{PubRel, QoS, Subscribe, Subscription, TopicFilter, Unsubscribe};
    let filter = TopicFilter::new("a").expect("valid");
    let cases: [(Packet, u8); 3] = [
        (PubRel::new(pid(1)).into(), 0x62),
        (
            Subscribe::new(
                pid(1),
                vec![Subscription::new(filter.clone(), QoS::AtMostOnce)],
            )
            .into(),
            0x82,
        ),
        (Unsubscribe::new(pid(1), vec![filter]).into(), 0xA2),
    ];
    for (packet, first) in cases {
        for version in BOTH {
            assert_eq!(encode(&packet, version)[0], first, "{packet:?}");
        }
    }
}

#[test]
fn packet_type_0_is_reserved_and_malformed() {
    // Section 2.1.2: packet type 0 is reserved.
    for version in BOTH {
        assert_decode_error(
            version,
            &[0x00, 0x00],
            CodecError::InvalidPacketType { value: 0 },
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn remaining_length_longer_than_four_bytes_is_malformed() {
    // [MQTT-1.5.5-1] section 2.1.4: at most four bytes.
    for version in BOTH {
        assert_decode_error(
            version,
            &[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
            CodecError::MalformedVariableByteInteger,
            ReasonCode::MalformedPacket,
        );
        // Known as soon as the fourth length byte still says "more follows".
        let mut buf = BytesMut::from(&[0x30, 0x80, 0x80, 0x80, 0x80][..]);
        assert_eq!(
            MqttDecoder::new(version).decode(&mut buf),
            Err(CodecError::MalformedVariableByteInteger)
        );
    }
    assert_eq!(
        CodecError::MalformedVariableByteInteger.normative_id(),
        Some("MQTT-1.5.5-1")
    );
}

#[test]
fn remaining_length_not_in_its_shortest_form_is_malformed() {
    // [MQTT-1.5.5-1]
    for version in BOTH {
        // PINGREQ, remaining length 0 written in two bytes.
        assert_decode_error(
            version,
            &[0xC0, 0x80, 0x00],
            CodecError::MalformedVariableByteInteger,
            ReasonCode::MalformedPacket,
        );
        // PUBLISH, remaining length 5 written in three bytes.
        assert_decode_error(
            version,
            &[0x30, 0x85, 0x80, 0x00, 0x00, 0x01, b't', 0x00, 0x00],
            CodecError::MalformedVariableByteInteger,
            ReasonCode::MalformedPacket,
        );
    }
    assert_eq!(
        decode_variable_byte_integer(&[0xFF, 0xFF, 0x80, 0x00]),
        Err(CodecError::MalformedVariableByteInteger)
    );
}

#[test]
fn variable_byte_integers_inside_the_packet_must_be_in_their_shortest_form() {
    // [MQTT-1.5.5-1] property length, property identifier and Subscription Identifier.
    // PUBACK, id 1, success, property length 0 written as 80 00.
    assert_decode_error(
        V5,
        &[0x40, 0x05, 0x00, 0x01, 0x00, 0x80, 0x00],
        CodecError::MalformedVariableByteInteger,
        ReasonCode::MalformedPacket,
    );
    // PUBACK whose Reason String identifier 0x1F is written as 9F 00.
    assert_decode_error(
        V5,
        &[
            0x40, 0x0A, 0x00, 0x01, 0x00, 0x06, 0x9F, 0x00, 0x00, 0x02, b'o', b'k',
        ],
        CodecError::MalformedVariableByteInteger,
        ReasonCode::MalformedPacket,
    );
    // PUBLISH with Subscription Identifier 5 written as 85 00.
    assert_decode_error(
        V5,
        &[0x30, 0x07, 0x00, 0x01, b't', 0x03, 0x0B, 0x85, 0x00],
        CodecError::MalformedVariableByteInteger,
        ReasonCode::MalformedPacket,
    );
}

#[test]
fn bytes_after_the_last_field_are_malformed() {
    // Section 2.1.4: the remaining length is exactly the variable header plus payload.
    let trailing = |packet, extra| CodecError::TrailingBytes { packet, extra };
    for version in BOTH {
        assert_decode_error(
            version,
            &[0xC0, 0x01, 0x00],
            trailing(PacketType::PingReq, 1),
            ReasonCode::MalformedPacket,
        );
        assert_decode_error(
            version,
            &[0xD0, 0x02, 0x00, 0x00],
            trailing(PacketType::PingResp, 2),
            ReasonCode::MalformedPacket,
        );
    }
    // 3.1.1 acknowledgements, DISCONNECT and UNSUBACK have nothing after the packet id.
    assert_decode_error(
        V311,
        &[0x40, 0x03, 0x00, 0x01, 0x00],
        trailing(PacketType::PubAck, 1),
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V311,
        &[0xE0, 0x01, 0x00],
        trailing(PacketType::Disconnect, 1),
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V311,
        &[0xB0, 0x03, 0x00, 0x01, 0x00],
        trailing(PacketType::UnsubAck, 1),
        ReasonCode::MalformedPacket,
    );
    // 5.0 CONNACK and PUBACK with a byte after their property block.
    assert_decode_error(
        V5,
        &[0x20, 0x04, 0x00, 0x00, 0x00, 0xFF],
        trailing(PacketType::ConnAck, 1),
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V5,
        &[0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0xFF],
        trailing(PacketType::PubAck, 1),
        ReasonCode::MalformedPacket,
    );
    // A one-shot decode of a frame longer than its remaining length.
    assert_eq!(
        Packet::decode(V5, Bytes::from_static(&[0xC0, 0x00, 0x00])),
        Err(trailing(PacketType::PingReq, 1))
    );
}

#[test]
fn fields_cut_short_by_the_remaining_length_are_malformed() {
    // Section 2.1.4: a field that runs past the remaining length.
    let eof = |packet, field| CodecError::UnexpectedEof { packet, field };
    let cases: [(&[u8], CodecError); 7] = [
        // PUBLISH whose topic claims 5 bytes of 1.
        (
            &[0x30, 0x03, 0x00, 0x05, b'a'],
            eof(PacketType::Publish, "topic name"),
        ),
        // PUBACK with half a packet identifier.
        (
            &[0x40, 0x01, 0x00],
            eof(PacketType::PubAck, "packet identifier"),
        ),
        // PUBACK whose property block claims 5 bytes of 1.
        (
            &[0x40, 0x05, 0x00, 0x01, 0x00, 0x05, 0x1F],
            eof(PacketType::PubAck, "properties"),
        ),
        // PUBACK whose Reason String length is cut inside the block.
        (
            &[0x40, 0x06, 0x00, 0x01, 0x00, 0x02, 0x1F, 0x00],
            eof(PacketType::PubAck, "Reason String"),
        ),
        // PUBLISH whose User Property has a name but no value.
        (
            &[0x30, 0x08, 0x00, 0x01, b't', 0x04, 0x26, 0x00, 0x01, b'k'],
            eof(PacketType::Publish, "User Property"),
        ),
        // 5.0 CONNACK without its property length.
        (
            &[0x20, 0x02, 0x00, 0x00],
            eof(PacketType::ConnAck, "property length"),
        ),
        // CONNECT that stops before the keep alive.
        (
            &[0x10, 0x08, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02],
            eof(PacketType::Connect, "keep alive"),
        ),
    ];
    for (bytes, expected) in cases {
        assert_decode_error(V5, bytes, expected, ReasonCode::MalformedPacket);
    }
    // 3.1.1 SUBSCRIBE whose filter has no options byte.
    assert_decode_error(
        V311,
        &[0x82, 0x05, 0x00, 0x01, 0x00, 0x01, b't'],
        eof(PacketType::Subscribe, "subscription options"),
        ReasonCode::MalformedPacket,
    );
}
