//! CONNECT (section 3.1): protocol name and level, connect flags, payload fields.

use bytes::Bytes;
use flowsdk_codec::{CodecError, Connect, Packet, PacketType, ProtocolVersion, QoS, ReasonCode};

use crate::codec::support::{
    assert_decode_error, assert_encode_refused, decode_ok, encode, field, frame, string, BOTH,
    V311, V5,
};

/// A CONNECT with protocol name "MQTT", `level`, `flags`, keep alive 60, then `rest` (the 5.0
/// property block, if any, and the payload).
fn connect(level: u8, flags: u8, rest: &[&[u8]]) -> Vec<u8> {
    let header = [0, 4, b'M', b'Q', b'T', b'T', level, flags, 0, 60];
    let mut parts: Vec<&[u8]> = vec![&header];
    parts.extend_from_slice(rest);
    frame(0x10, &parts)
}

/// The property block a `version` CONNECT has before its payload: one empty block in 5.0.
fn props(version: ProtocolVersion) -> &'static [u8] {
    if version == V5 {
        &[0x00]
    } else {
        &[]
    }
}

/// A field the CONNECT flags announce is absent [MQTT-3.1.2-9] [MQTT-3.1.2-17] [MQTT-3.1.2-19].
fn missing(field: &'static str) -> CodecError {
    CodecError::MissingConnectField { field }
}

fn eof(field: &'static str) -> CodecError {
    CodecError::UnexpectedEof {
        packet: PacketType::Connect,
        field,
    }
}

#[test]
fn protocol_name_other_than_mqtt_is_refused() {
    // [MQTT-3.1.2-1] [MQTT-3.1.2-1 (3.1.1)]
    for name in [&b"MQTX"[..], b"mqtt", b"MQT", b""] {
        let wire = frame(0x10, &[&field(name), &[4, 0x02, 0, 60], &field(b"c")]);
        let expected = CodecError::InvalidProtocolName {
            name: String::from_utf8_lossy(name).into_owned(),
        };
        assert_eq!(expected.normative_id(), Some("MQTT-3.1.2-1"));
        // The CONNECT chooses the version, so the decoder's own version does not matter.
        for version in BOTH {
            assert_decode_error(
                version,
                &wire,
                expected.clone(),
                ReasonCode::UnsupportedProtocolVersion,
            );
        }
    }
}

#[test]
fn protocol_level_other_than_4_or_5_is_refused() {
    // [MQTT-3.1.2-2] [MQTT-3.1.2-2 (3.1.1)]
    for level in [0u8, 3, 6, 0x84, 0xFF] {
        let expected = CodecError::UnsupportedProtocolVersion { level };
        for version in BOTH {
            assert_decode_error(
                version,
                &connect(level, 0x02, &[&field(b"c")]),
                expected.clone(),
                ReasonCode::UnsupportedProtocolVersion,
            );
        }
    }
    // MQTT 3.1's "MQIsdp" with level 3 is an unsupported version rather than a wrong name.
    assert_decode_error(
        V5,
        &frame(0x10, &[&field(b"MQIsdp"), &[3, 0x02, 0, 60], &field(b"c")]),
        CodecError::UnsupportedProtocolVersion { level: 3 },
        ReasonCode::UnsupportedProtocolVersion,
    );
}

#[test]
fn connect_reserved_flag_set_is_malformed() {
    // [MQTT-3.1.2-3] [MQTT-3.1.2-3 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &connect(version.level(), 0x03, &[props(version), &field(b"c")]),
            CodecError::ReservedConnectFlag,
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn will_qos_without_the_will_flag_is_malformed() {
    // [MQTT-3.1.2-11] [MQTT-3.1.2-11 (3.1.1)] [MQTT-3.1.2-13 (3.1.1)]
    for version in BOTH {
        for flags in [0x0A, 0x12, 0x1A] {
            assert_decode_error(
                version,
                &connect(version.level(), flags, &[props(version), &field(b"c")]),
                CodecError::WillFlagsWithoutWill,
                ReasonCode::MalformedPacket,
            );
        }
    }
}

#[test]
fn will_retain_without_the_will_flag_is_malformed() {
    // [MQTT-3.1.2-13] [MQTT-3.1.2-15 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &connect(version.level(), 0x22, &[props(version), &field(b"c")]),
            CodecError::WillRetainWithoutWill,
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn will_qos_3_is_malformed() {
    // [MQTT-3.1.2-12] [MQTT-3.1.2-14 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &connect(
                version.level(),
                0x1E, // will flag, will QoS 3, clean start
                &[
                    props(version),
                    &field(b"c"),
                    props(version),
                    &field(b"w"),
                    &field(b""),
                ],
            ),
            CodecError::InvalidWillQoS { value: 3 },
            ReasonCode::MalformedPacket,
        );
    }
    // Every defined will QoS decodes.
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let flags = 0x06 | (qos.as_u8() << 3);
        let Packet::Connect(c) = decode_ok(
            V311,
            &connect(4, flags, &[&field(b"c"), &field(b"w"), &field(b"")]),
        ) else {
            panic!("not a CONNECT");
        };
        assert_eq!(c.will.expect("will").qos, qos);
    }
}

#[test]
fn will_flag_requires_will_properties_topic_and_payload() {
    // [MQTT-3.1.2-9] [MQTT-3.1.2-9 (3.1.1)]
    let c = field(b"c");
    let w = field(b"w");
    assert_decode_error(
        V5,
        &connect(5, 0x06, &[&[0x00], &c]),
        missing("will properties"),
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V5,
        &connect(5, 0x06, &[&[0x00], &c, &[0x00]]),
        missing("will topic"),
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V5,
        &connect(5, 0x06, &[&[0x00], &c, &[0x00], &w]),
        missing("will payload"),
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V311,
        &connect(4, 0x06, &[&c]),
        missing("will topic"),
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V311,
        &connect(4, 0x06, &[&c, &w]),
        missing("will payload"),
        ReasonCode::MalformedPacket,
    );
}

#[test]
fn will_flag_clear_means_no_will_fields() {
    // [MQTT-3.1.2-11 (3.1.1)]: without the Will Flag there is no will topic or message; bytes
    // that look like them are left over.
    for version in BOTH {
        let will_fields = [field(b"w"), field(b"m")].concat();
        assert_decode_error(
            version,
            &connect(
                version.level(),
                0x02,
                &[props(version), &field(b"c"), &will_fields],
            ),
            CodecError::TrailingBytes {
                packet: PacketType::Connect,
                extra: will_fields.len(),
            },
            ReasonCode::MalformedPacket,
        );
        // And the encoder writes neither the flags nor the fields for a CONNECT without a will.
        let mut plain = Connect::new(string("c"));
        plain.protocol_version = version;
        let wire = encode(&plain.into(), version);
        assert_eq!(wire[9] & 0x3C, 0, "will flag, QoS or retain set");
    }
}

#[test]
fn user_name_flag_requires_a_user_name() {
    // [MQTT-3.1.2-17] [MQTT-3.1.2-19 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &connect(version.level(), 0x82, &[props(version), &field(b"c")]),
            missing("user name"),
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn user_name_flag_clear_means_no_user_name() {
    // [MQTT-3.1.2-16] [MQTT-3.1.2-18 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &connect(
                version.level(),
                0x02,
                &[props(version), &field(b"c"), &field(b"u")],
            ),
            CodecError::TrailingBytes {
                packet: PacketType::Connect,
                extra: 3,
            },
            ReasonCode::MalformedPacket,
        );
        let mut with_user = Connect::new(string("c"));
        with_user.protocol_version = version;
        let without = encode(&with_user.clone().into(), version);
        with_user.username = Some(string("u"));
        let with = encode(&with_user.into(), version);
        assert_eq!(without[9] & 0x80, 0x00);
        assert_eq!(with[9] & 0x80, 0x80);
        assert_eq!(&with[with.len() - 3..], &field(b"u")[..]);
    }
}

#[test]
fn password_flag_requires_a_password() {
    // [MQTT-3.1.2-19] [MQTT-3.1.2-21 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &connect(
                version.level(),
                0xC2,
                &[props(version), &field(b"c"), &field(b"u")],
            ),
            missing("password"),
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn password_flag_clear_means_no_password() {
    // [MQTT-3.1.2-18] [MQTT-3.1.2-20 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &connect(
                version.level(),
                0x82,
                &[props(version), &field(b"c"), &field(b"u"), &field(b"p")],
            ),
            CodecError::TrailingBytes {
                packet: PacketType::Connect,
                extra: 3,
            },
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn password_without_a_user_name_is_refused_in_3_1_1() {
    // [MQTT-3.1.2-22 (3.1.1)]
    assert_decode_error(
        V311,
        &connect(4, 0x42, &[&field(b"c"), &field(b"p")]),
        CodecError::PasswordWithoutUsername,
        ReasonCode::MalformedPacket,
    );
    assert_eq!(
        CodecError::PasswordWithoutUsername.normative_id(),
        Some("MQTT-3.1.2-22 (3.1.1)")
    );
    let mut connect_v311 = Connect::new(string("c"));
    connect_v311.protocol_version = V311;
    connect_v311.password = Some(Bytes::from_static(b"p"));
    assert_encode_refused(
        connect_v311.clone(),
        V311,
        CodecError::PasswordWithoutUsername,
    );
    // 5.0 lifts the restriction (section 3.1.2.9).
    let Packet::Connect(c) = decode_ok(
        V5,
        &connect(5, 0x42, &[&[0x00], &field(b"c"), &field(b"p")]),
    ) else {
        panic!("not a CONNECT");
    };
    assert_eq!(c.password.as_deref(), Some(&b"p"[..]));
    assert_eq!(c.username, None);
}

#[test]
fn client_identifier_is_mandatory_and_first_in_the_payload() {
    // [MQTT-3.1.3-3] [MQTT-3.1.3-3 (3.1.1)]
    assert_decode_error(
        V311,
        &connect(4, 0x02, &[]),
        eof("client identifier"),
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V5,
        &connect(5, 0x02, &[&[0x00]]),
        eof("client identifier"),
        ReasonCode::MalformedPacket,
    );
    // A zero-length client identifier is a present, empty field (section 3.1.3.1).
    let Packet::Connect(c) = decode_ok(V311, &connect(4, 0x02, &[&[0x00, 0x00]])) else {
        panic!("not a CONNECT");
    };
    assert!(c.client_id.is_empty());
}

#[test]
fn connect_payload_fields_are_read_in_the_specified_order() {
    // [MQTT-3.1.3-1] [MQTT-3.1.3-1 (3.1.1)]: client id, will properties, will topic, will
    // payload, user name, password. Distinct values show each lands in its own field.
    for version in BOTH {
        let will_props: &[u8] = if version == V5 {
            &[0x05, 0x18, 0x00, 0x00, 0x00, 0x07] // Will Delay Interval 7
        } else {
            &[]
        };
        let wire = connect(
            version.level(),
            0xEE, // user name, password, will retain, will QoS 1, will flag, clean start
            &[
                props(version),
                &field(b"cid"),
                will_props,
                &field(b"wt"),
                &field(b"wp"),
                &field(b"un"),
                &field(b"pw"),
            ],
        );
        let Packet::Connect(c) = decode_ok(version, &wire) else {
            panic!("not a CONNECT");
        };
        assert_eq!(c.client_id, "cid");
        let will = c.will.as_ref().expect("will");
        assert_eq!(will.topic, "wt");
        assert_eq!(&will.payload[..], b"wp");
        assert_eq!(will.qos, QoS::AtLeastOnce);
        assert!(will.retain);
        if version == V5 {
            assert_eq!(will.properties.will_delay_interval(), Some(7));
        }
        assert_eq!(c.username.as_deref(), Some("un"));
        assert_eq!(c.password.as_deref(), Some(&b"pw"[..]));
        assert!(c.clean_start);
        assert_eq!(&encode(&Packet::Connect(c), version)[..], &wire[..]);
    }
}
