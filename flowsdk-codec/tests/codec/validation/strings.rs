//! UTF-8 Encoded Strings (section 1.5.4), string pairs (1.5.7) and the length limit of string
//! and binary fields.

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{
    CodecError, Connect, MqttString, Packet, Property, ProtocolVersion, Publish, ReasonCode,
    TopicName, Will,
};

use crate::codec::support::{
    assert_decode_error, assert_encode_refused, block, decode_ok, encode, field, frame, string,
    BOTH, V311, V5,
};

/// A QoS 0 PUBLISH whose topic is the raw bytes `topic` (with an empty 5.0 property block).
fn publish_with_raw_topic(version: ProtocolVersion, topic: &[u8]) -> Vec<u8> {
    let props: &[u8] = if version == V5 { &[0x00] } else { &[] };
    frame(0x30, &[&field(topic), props])
}

/// A CONNECT with `flags` whose payload is `payload`.
fn connect_with_payload(version: ProtocolVersion, flags: u8, payload: &[&[u8]]) -> Vec<u8> {
    let header = [0, 4, b'M', b'Q', b'T', b'T', version.level(), flags, 0, 60];
    let mut parts: Vec<&[u8]> = vec![&header];
    if version == V5 {
        parts.push(&[0x00]);
    }
    parts.extend_from_slice(payload);
    frame(0x10, &parts)
}

#[test]
fn ill_formed_utf8_in_a_string_is_malformed() {
    // [MQTT-1.5.4-1] [MQTT-1.5.3-1 (3.1.1)]
    let ill_formed: [&[u8]; 6] = [
        &[0xFF],                   // never valid
        &[b'a', 0x80],             // lone continuation byte
        &[0xC3, 0x28],             // lead byte without continuation
        &[0xE2, 0x82],             // sequence cut short
        &[0xC0, 0xAF],             // overlong encoding of '/'
        &[0xF4, 0x90, 0x80, 0x80], // above U+10FFFF
    ];
    for version in BOTH {
        for topic in ill_formed {
            assert_decode_error(
                version,
                &publish_with_raw_topic(version, topic),
                CodecError::InvalidUtf8 {
                    field: "topic name",
                },
                ReasonCode::MalformedPacket,
            );
        }
    }
    assert_eq!(
        CodecError::InvalidUtf8 { field: "x" }.normative_id(),
        Some("MQTT-1.5.4-1")
    );
}

#[test]
fn surrogate_code_points_encoded_in_utf8_are_malformed() {
    // [MQTT-1.5.4-1] [MQTT-1.5.3-1 (3.1.1)]: U+D800 and U+DFFF as CESU-style 3-byte sequences.
    for version in BOTH {
        for topic in [&[0xED, 0xA0, 0x80][..], &[b'a', 0xED, 0xBF, 0xBF][..]] {
            assert_decode_error(
                version,
                &publish_with_raw_topic(version, topic),
                CodecError::InvalidUtf8 {
                    field: "topic name",
                },
                ReasonCode::MalformedPacket,
            );
        }
    }
}

#[test]
fn null_character_in_a_string_is_malformed() {
    // [MQTT-1.5.4-2] [MQTT-1.5.3-2 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &publish_with_raw_topic(version, b"a\0b"),
            CodecError::NullCharacter {
                field: "topic name",
            },
            ReasonCode::MalformedPacket,
        );
        assert_decode_error(
            version,
            &connect_with_payload(version, 0x02, &[&field(b"\0")]),
            CodecError::NullCharacter {
                field: "client identifier",
            },
            ReasonCode::MalformedPacket,
        );
    }
    // Strings cannot be built with U+0000 either, so such a packet cannot be encoded.
    assert_eq!(
        MqttString::new("nul\0"),
        Err(CodecError::NullCharacter { field: "string" })
    );
    assert_eq!(
        CodecError::NullCharacter { field: "x" }.normative_id(),
        Some("MQTT-1.5.4-2")
    );
}

#[test]
fn byte_order_mark_is_kept_rather_than_stripped() {
    // [MQTT-1.5.4-3] [MQTT-1.5.3-3 (3.1.1)]: EF BB BF at the start of a string is U+FEFF.
    for version in BOTH {
        let wire = publish_with_raw_topic(version, &[0xEF, 0xBB, 0xBF, b'a']);
        let Packet::Publish(publish) = decode_ok(version, &wire) else {
            panic!("not a PUBLISH");
        };
        assert_eq!(publish.topic.as_str(), "\u{FEFF}a");
        assert_eq!(
            publish.topic.as_mqtt_str().as_bytes(),
            &[0xEF, 0xBB, 0xBF, b'a']
        );
        assert_eq!(&encode(&publish.into(), version)[..], &wire[..]);
    }
}

#[test]
fn both_halves_of_a_user_property_obey_the_string_rules() {
    // [MQTT-1.5.7-1]
    let user_property = |name: &[u8], value: &[u8]| {
        frame(
            0x30,
            &[
                &field(b"t"),
                &block(&[&[0x26], &field(name), &field(value)]),
            ],
        )
    };
    assert_decode_error(
        V5,
        &user_property(&[0xFF], b"v"),
        CodecError::InvalidUtf8 {
            field: "User Property",
        },
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V5,
        &user_property(b"k", &[0xED, 0xA0, 0x80]),
        CodecError::InvalidUtf8 {
            field: "User Property",
        },
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V5,
        &user_property(b"k", b"v\0"),
        CodecError::NullCharacter {
            field: "User Property",
        },
        ReasonCode::MalformedPacket,
    );
    let mut publish = Publish::new(TopicName::new("t").expect("valid"), Bytes::new());
    assert!(publish.properties.push_user_property("k\0", "v").is_err());
    assert!(publish.properties.push_user_property("k", "v\0").is_err());
    assert!(publish.properties.is_empty());
}

#[test]
fn client_identifier_must_be_a_utf8_string() {
    // [MQTT-3.1.3-4] [MQTT-3.1.3-4 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &connect_with_payload(version, 0x02, &[&field(&[0xC3, 0x28])]),
            CodecError::InvalidUtf8 {
                field: "client identifier",
            },
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn will_topic_must_be_a_utf8_string() {
    // [MQTT-3.1.3-11] [MQTT-3.1.3-10 (3.1.1)]
    for version in BOTH {
        let will_props: &[u8] = if version == V5 { &[0x00] } else { &[] };
        assert_decode_error(
            version,
            &connect_with_payload(
                version,
                0x06,
                &[&field(b"c"), will_props, &field(&[0xFF]), &field(b"")],
            ),
            CodecError::InvalidUtf8 {
                field: "will topic",
            },
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn user_name_must_be_a_utf8_string() {
    // [MQTT-3.1.3-12] [MQTT-3.1.3-11 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &connect_with_payload(version, 0x82, &[&field(b"c"), &field(&[0xED, 0xA0, 0x80])]),
            CodecError::InvalidUtf8 { field: "user name" },
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn content_type_must_be_a_utf8_string() {
    // [MQTT-3.3.2-19]
    assert_decode_error(
        V5,
        &frame(0x30, &[&field(b"t"), &block(&[&[0x03], &field(&[0xFF])])]),
        CodecError::InvalidUtf8 {
            field: "Content Type",
        },
        ReasonCode::MalformedPacket,
    );
}

#[test]
fn response_topic_must_be_a_utf8_string() {
    // [MQTT-3.3.2-13]
    assert_decode_error(
        V5,
        &frame(
            0x30,
            &[&field(b"t"), &block(&[&[0x08], &field(&[0xC0, 0xAF])])],
        ),
        CodecError::InvalidUtf8 {
            field: "Response Topic",
        },
        ReasonCode::MalformedPacket,
    );
}

#[test]
fn subscribe_topic_filters_must_be_utf8_strings() {
    // [MQTT-3.8.3-1] [MQTT-3.8.3-1 (3.1.1)]
    for version in BOTH {
        let props: &[u8] = if version == V5 { &[0x00] } else { &[] };
        assert_decode_error(
            version,
            &frame(0x82, &[&[0x00, 0x01], props, &field(&[0xFF]), &[0x00]]),
            CodecError::InvalidUtf8 {
                field: "topic filter",
            },
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn unsubscribe_topic_filters_must_be_utf8_strings() {
    // [MQTT-3.10.3-1] [MQTT-3.10.3-1 (3.1.1)]
    for version in BOTH {
        let props: &[u8] = if version == V5 { &[0x00] } else { &[] };
        // The first filter is fine; the second is not: every filter is checked.
        assert_decode_error(
            version,
            &frame(
                0xA2,
                &[&[0x00, 0x01], props, &field(b"a/b"), &field(&[0xE2, 0x82])],
            ),
            CodecError::InvalidUtf8 {
                field: "topic filter",
            },
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn string_and_binary_fields_longer_than_65535_bytes_are_refused() {
    // [MQTT-4.7.3-3] sections 1.5.4 and 1.5.6: a two-byte length prefix caps every field.
    // The wire cannot express a longer field, so the rule binds builders and the encoder.
    let long = "a".repeat(65_536);
    let too_long = |field| CodecError::FieldTooLong { field, len: 65_536 };
    assert_eq!(MqttString::new(long.clone()), Err(too_long("string")));
    assert_eq!(too_long("string").reason_code(), None);
    assert!(MqttString::new("a".repeat(65_535)).is_ok());

    let big = Bytes::from(vec![0u8; 65_536]);
    let mut publish = Publish::new(TopicName::new("t").expect("valid"), Bytes::new());
    publish
        .properties
        .push(Property::CorrelationData(big.clone()));
    assert_encode_refused(publish, V5, too_long("Correlation Data"));

    let mut connect = Connect::new(string("c"));
    connect.username = Some(string("u"));
    connect.password = Some(big.clone());
    assert_encode_refused(connect, V5, too_long("password"));

    let mut connect = Connect::new(string("c"));
    connect.protocol_version = V311;
    connect.will = Some(Will::new(TopicName::new("w").expect("valid"), big));
    assert_encode_refused(connect, V311, too_long("will payload"));

    // The longest field that fits still encodes.
    let mut connect = Connect::new(string("c"));
    connect.password = Some(Bytes::from(vec![0u8; 65_535]));
    let mut out = BytesMut::new();
    assert!(Packet::from(connect).encode(V5, &mut out).is_ok());
}
