//! PUBLISH fixed header (section 3.3.1) and packet identifiers (section 2.2.1).

use bytes::Bytes;
use flowsdk_codec::{
    CodecError, Packet, PacketId, PacketType, Publish, QoS, ReasonCode, TopicName,
};

use crate::codec::support::{
    assert_decode_error, assert_encode_refused, decode_ok, pid, BOTH, V311, V5,
};

fn topic() -> TopicName {
    TopicName::new("t").expect("valid")
}

#[test]
fn publish_with_qos_3_is_malformed() {
    // [MQTT-3.3.1-4] [MQTT-3.3.1-4 (3.1.1)]
    for version in BOTH {
        // QoS bits 11, with and without DUP and RETAIN; topic "t", packet id 1.
        for first in [0x36u8, 0x37, 0x3E, 0x3F] {
            let body: &[u8] = if version == V5 {
                &[0x00, 0x01, b't', 0x00, 0x01, 0x00]
            } else {
                &[0x00, 0x01, b't', 0x00, 0x01]
            };
            let mut wire = vec![first, body.len() as u8];
            wire.extend_from_slice(body);
            assert_decode_error(
                version,
                &wire,
                CodecError::InvalidQoS { value: 3 },
                ReasonCode::MalformedPacket,
            );
        }
    }
    assert_eq!(QoS::try_from(3), Err(CodecError::InvalidQoS { value: 3 }));
    assert_eq!(
        CodecError::InvalidQoS { value: 3 }.normative_id(),
        Some("MQTT-3.3.1-4")
    );
}

#[test]
fn dup_on_a_qos_0_publish_is_malformed() {
    // [MQTT-3.3.1-2] [MQTT-3.3.1-2 (3.1.1)] [MQTT-4.3.1-1]
    assert_decode_error(
        V311,
        &[0x38, 0x03, 0x00, 0x01, b't'],
        CodecError::DupWithQoS0,
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V5,
        &[0x39, 0x04, 0x00, 0x01, b't', 0x00],
        CodecError::DupWithQoS0,
        ReasonCode::MalformedPacket,
    );
    for version in BOTH {
        let mut publish = Publish::new(topic(), Bytes::new());
        publish.dup = true;
        assert_encode_refused(publish, version, CodecError::DupWithQoS0);
    }
}

#[test]
fn qos_0_publish_carries_no_packet_identifier() {
    // [MQTT-2.2.1-2] [MQTT-2.3.1-5 (3.1.1)]
    for version in BOTH {
        let mut publish = Publish::new(topic(), Bytes::new());
        publish.packet_id = Some(pid(1));
        assert_encode_refused(publish, version, CodecError::PacketIdWithQoS0);
    }
    assert_eq!(CodecError::PacketIdWithQoS0.reason_code(), None);
    // On the wire a QoS 0 PUBLISH has no identifier field: bytes after the topic are payload.
    let Packet::Publish(p) = decode_ok(
        V311,
        &[0x30, 0x07, 0x00, 0x01, b't', 0x00, 0x0A, b'h', b'i'],
    ) else {
        panic!("not a PUBLISH");
    };
    assert_eq!(p.packet_id, None);
    assert_eq!(&p.payload[..], &[0x00, 0x0A, b'h', b'i']);
}

#[test]
fn publish_above_qos_0_needs_a_packet_identifier() {
    // [MQTT-2.3.1-1 (3.1.1)] section 2.2.1: QoS 1 and 2 PUBLISH packets carry one.
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        for version in BOTH {
            let mut publish = Publish::new(topic(), Bytes::new());
            publish.qos = qos;
            assert_encode_refused(
                publish,
                version,
                CodecError::MissingPacketId {
                    packet: PacketType::Publish,
                },
            );
        }
    }
    // A QoS 1 PUBLISH that ends after its topic.
    assert_decode_error(
        V311,
        &[0x32, 0x03, 0x00, 0x01, b't'],
        CodecError::UnexpectedEof {
            packet: PacketType::Publish,
            field: "packet identifier",
        },
        ReasonCode::MalformedPacket,
    );
}

#[test]
fn packet_identifier_of_zero_is_malformed_in_every_packet_that_carries_one() {
    // [MQTT-2.2.1-3] [MQTT-2.3.1-1 (3.1.1)]
    let v5_cases: [(PacketType, &[u8]); 10] = [
        (
            PacketType::Publish,
            &[0x32, 0x06, 0x00, 0x01, b't', 0x00, 0x00, 0x00],
        ),
        (
            PacketType::Publish,
            &[0x34, 0x06, 0x00, 0x01, b't', 0x00, 0x00, 0x00],
        ),
        (PacketType::PubAck, &[0x40, 0x02, 0x00, 0x00]),
        (PacketType::PubRec, &[0x50, 0x02, 0x00, 0x00]),
        (PacketType::PubRel, &[0x62, 0x02, 0x00, 0x00]),
        (PacketType::PubComp, &[0x70, 0x02, 0x00, 0x00]),
        (
            PacketType::Subscribe,
            &[0x82, 0x07, 0x00, 0x00, 0x00, 0x00, 0x01, b't', 0x00],
        ),
        (PacketType::SubAck, &[0x90, 0x04, 0x00, 0x00, 0x00, 0x00]),
        (
            PacketType::Unsubscribe,
            &[0xA2, 0x06, 0x00, 0x00, 0x00, 0x00, 0x01, b't'],
        ),
        (PacketType::UnsubAck, &[0xB0, 0x04, 0x00, 0x00, 0x00, 0x00]),
    ];
    for (packet, wire) in v5_cases {
        assert_decode_error(
            V5,
            wire,
            CodecError::ZeroPacketId { packet },
            ReasonCode::MalformedPacket,
        );
    }
    let v311_cases: [(PacketType, &[u8]); 6] = [
        (
            PacketType::Publish,
            &[0x32, 0x05, 0x00, 0x01, b't', 0x00, 0x00],
        ),
        (PacketType::PubAck, &[0x40, 0x02, 0x00, 0x00]),
        (PacketType::PubRel, &[0x62, 0x02, 0x00, 0x00]),
        (
            PacketType::Subscribe,
            &[0x82, 0x06, 0x00, 0x00, 0x00, 0x01, b't', 0x00],
        ),
        (PacketType::SubAck, &[0x90, 0x03, 0x00, 0x00, 0x00]),
        (PacketType::UnsubAck, &[0xB0, 0x02, 0x00, 0x00]),
    ];
    for (packet, wire) in v311_cases {
        assert_decode_error(
            V311,
            wire,
            CodecError::ZeroPacketId { packet },
            ReasonCode::MalformedPacket,
        );
    }
    // The type cannot hold zero, so no packet with identifier 0 can be encoded.
    assert_eq!(PacketId::new(0), None);
    assert!(PacketId::try_from(0u16).is_err());
    assert_eq!(
        CodecError::ZeroPacketId {
            packet: PacketType::PubAck
        }
        .normative_id(),
        Some("MQTT-2.2.1-3")
    );
}
