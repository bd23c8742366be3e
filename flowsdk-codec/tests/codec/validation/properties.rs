//! Properties (section 2.2.2): where each may appear, how often, which values it may take.

use bytes::Bytes;
use flowsdk_codec::{
    Auth, CodecError, ConnAck, Connect, Packet, PacketType, Properties, Property, PropertyId,
    Publish, QoS, ReasonCode, SubAck, Subscribe, Subscription, TopicFilter, TopicName, UnsubAck,
    Unsubscribe,
};

use crate::codec::spec::{self, raw_property, Scope, PROPERTY_SCOPES};
use crate::codec::support::{
    assert_decode_error, assert_encode_refused, block, decode_ok, encode, field, frame,
    packet_with_properties, pid, string, typed_property, V5,
};

fn scope_name(scope: Scope) -> String {
    scope.map_or_else(|| "will properties".to_owned(), |p| p.to_string())
}

/// The properties of the decoded packet (for `None`, the will's).
fn properties_of(packet: Packet) -> Properties {
    match packet {
        Packet::Connect(c) => c.will.map_or(c.properties, |w| w.properties),
        Packet::ConnAck(p) => p.properties,
        Packet::Publish(p) => p.properties,
        Packet::PubAck(p) => p.properties,
        Packet::PubRec(p) => p.properties,
        Packet::PubRel(p) => p.properties,
        Packet::PubComp(p) => p.properties,
        Packet::Subscribe(p) => p.properties,
        Packet::SubAck(p) => p.properties,
        Packet::Unsubscribe(p) => p.properties,
        Packet::UnsubAck(p) => p.properties,
        Packet::Disconnect(p) => p.properties,
        Packet::Auth(p) => p.properties,
        Packet::PingReq | Packet::PingResp => Properties::new(),
    }
}

/// Asserts that a single property, hand-written as `raw`, is refused in `scope` with
/// `expected`, and (when `typed` is given) that encoding it there is refused too.
#[track_caller]
fn assert_property_refused(
    scope: Scope,
    raw: &[u8],
    typed: Option<Property>,
    expected: CodecError,
    reason: ReasonCode,
) {
    assert_decode_error(V5, &spec_frame(scope, &[raw]), expected.clone(), reason);
    if let Some(property) = typed {
        assert_encode_refused(
            packet_with_properties(scope, Properties::from(vec![property])),
            V5,
            expected,
        );
    }
}

fn spec_frame(scope: Scope, properties: &[&[u8]]) -> Vec<u8> {
    crate::codec::support::v5_frame_with_properties(scope, &block(properties))
}

#[test]
fn codec_property_tables_match_the_specification() {
    // Section 2.2.2.2: the codec's allowed sets and repetition rules equal the spec's table.
    assert_eq!(PropertyId::all().len(), 27);
    for &id in PropertyId::all() {
        assert_eq!(PropertyId::from_u32(u32::from(id.as_u8())), Ok(id));
        for scope in PROPERTY_SCOPES {
            assert_eq!(
                id.is_allowed_in(scope),
                spec::allowed_properties(scope).contains(&id),
                "{id} in {}",
                scope_name(scope)
            );
            assert_eq!(id.may_repeat_in(scope), spec::may_repeat(id, scope), "{id}");
        }
    }
}

#[test]
fn each_property_is_accepted_where_the_specification_allows_it() {
    // Section 2.2.2.2: decoding the hand-written block and encoding the typed property give
    // each other, in every place the property may appear.
    for scope in PROPERTY_SCOPES {
        for &id in spec::allowed_properties(scope) {
            // Authentication Data needs its Method (section 3.1.2.11.10).
            let (raws, typed) = if id == PropertyId::AuthenticationData {
                let method = PropertyId::AuthenticationMethod;
                (
                    vec![raw_property(method), raw_property(id)],
                    vec![typed_property(method), typed_property(id)],
                )
            } else {
                (vec![raw_property(id)], vec![typed_property(id)])
            };
            let raws: Vec<&[u8]> = raws.iter().map(Vec::as_slice).collect();
            let wire = spec_frame(scope, &raws);
            let packet = packet_with_properties(scope, Properties::from(typed.clone()));
            assert_eq!(
                &encode(&packet, V5)[..],
                &wire[..],
                "{id} in {}",
                scope_name(scope)
            );
            let decoded = decode_ok(V5, &wire);
            assert_eq!(properties_of(decoded), Properties::from(typed));
        }
    }
}

#[test]
fn property_not_allowed_in_a_packet_is_malformed() {
    // Section 2.2.2.2: "A Control Packet which contains an Identifier which is not valid for
    // its packet type ... is a Malformed Packet." Every packet type, every property.
    let mut checked = 0;
    for scope in PROPERTY_SCOPES {
        for &id in PropertyId::all() {
            if spec::allowed_properties(scope).contains(&id) {
                continue;
            }
            assert_property_refused(
                scope,
                &raw_property(id),
                Some(typed_property(id)),
                CodecError::PropertyNotAllowed {
                    property: id,
                    packet: scope,
                },
                ReasonCode::MalformedPacket,
            );
            checked += 1;
        }
    }
    // 14 places x 27 properties, minus the 64 allowed pairs of the table.
    assert_eq!(checked, 14 * 27 - 64);
}

#[test]
fn unknown_property_identifier_is_malformed() {
    // Section 2.2.2.2: identifiers the specification does not define.
    for (raw, id) in [
        (&[0x00, 0x00][..], 0x00),
        (&[0x04, 0x00][..], 0x04),
        (&[0x14, 0x00][..], 0x14),
        (&[0x2B, 0x00][..], 0x2B),
        (&[0x7F, 0x00][..], 0x7F),
        (&[0x80, 0x01, 0x00][..], 0x80), // two-byte identifier 128
    ] {
        assert_decode_error(
            V5,
            &spec_frame(Some(PacketType::PubAck), &[raw]),
            CodecError::UnknownPropertyId { id },
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn property_that_may_appear_once_appearing_twice_is_a_protocol_error() {
    // Section 2.2.2.2 and each property's "It is a Protocol Error to include ... more than
    // once": every non-repeatable property, in every place it is allowed.
    for scope in PROPERTY_SCOPES {
        for &id in spec::allowed_properties(scope) {
            if spec::may_repeat(id, scope) {
                continue;
            }
            let raw = raw_property(id);
            let expected = CodecError::DuplicateProperty { property: id };
            assert_decode_error(
                V5,
                &spec_frame(scope, &[&raw, &raw]),
                expected.clone(),
                ReasonCode::ProtocolError,
            );
            assert_encode_refused(
                packet_with_properties(
                    scope,
                    Properties::from(vec![typed_property(id), typed_property(id)]),
                ),
                V5,
                expected,
            );
        }
    }
}

#[test]
fn user_properties_and_publish_subscription_identifiers_may_repeat() {
    // [MQTT-3.3.2-18] [MQTT-3.3.4-4]: repeated User Properties keep their order; a PUBLISH
    // carries one Subscription Identifier per matching subscription.
    let user = raw_property(PropertyId::UserProperty);
    for scope in PROPERTY_SCOPES {
        let decoded = decode_ok(V5, &spec_frame(scope, &[&user, &user, &user]));
        assert_eq!(properties_of(decoded).user_properties().count(), 3);
    }
    let Packet::Publish(publish) = decode_ok(
        V5,
        &spec_frame(
            Some(PacketType::Publish),
            &[&[0x0B, 0x01], &[0x0B, 0xC1, 0x02]],
        ),
    ) else {
        panic!("not a PUBLISH");
    };
    assert_eq!(
        publish
            .properties
            .subscription_identifiers()
            .collect::<Vec<_>>(),
        [1, 321]
    );
}

#[test]
fn receive_maximum_of_zero_is_a_protocol_error() {
    // Sections 3.1.2.11.3 and 3.2.2.3.3.
    for scope in [Some(PacketType::Connect), Some(PacketType::ConnAck)] {
        assert_property_refused(
            scope,
            &[0x21, 0x00, 0x00],
            Some(Property::ReceiveMaximum(0)),
            CodecError::InvalidPropertyValue {
                property: PropertyId::ReceiveMaximum,
                value: 0,
            },
            ReasonCode::ProtocolError,
        );
    }
}

#[test]
fn topic_alias_of_zero_is_refused_as_an_invalid_topic_alias() {
    // [MQTT-3.3.2-8] section 3.3.4: "A Topic Alias value of 0 ... is a Protocol Error, the
    // receiver uses DISCONNECT with Reason Code of 0x94 (Topic Alias invalid)".
    assert_property_refused(
        Some(PacketType::Publish),
        &[0x23, 0x00, 0x00],
        Some(Property::TopicAlias(0)),
        CodecError::InvalidPropertyValue {
            property: PropertyId::TopicAlias,
            value: 0,
        },
        ReasonCode::TopicAliasInvalid,
    );
}

#[test]
fn subscription_identifier_of_zero_is_a_protocol_error() {
    // Sections 3.3.2.3.8 and 3.8.2.1.2: 1 to 268,435,455; 0 is a Protocol Error.
    for scope in [Some(PacketType::Publish), Some(PacketType::Subscribe)] {
        assert_property_refused(
            scope,
            &[0x0B, 0x00],
            Some(Property::SubscriptionIdentifier(0)),
            CodecError::InvalidPropertyValue {
                property: PropertyId::SubscriptionIdentifier,
                value: 0,
            },
            ReasonCode::ProtocolError,
        );
    }
    // Above the Variable Byte Integer range it cannot be written at all.
    assert_encode_refused(
        packet_with_properties(
            Some(PacketType::Subscribe),
            Properties::from(vec![Property::SubscriptionIdentifier(268_435_456)]),
        ),
        V5,
        CodecError::InvalidPropertyValue {
            property: PropertyId::SubscriptionIdentifier,
            value: 268_435_456,
        },
    );
}

#[test]
fn maximum_packet_size_of_zero_is_a_protocol_error() {
    // Sections 3.1.2.11.4 and 3.2.2.3.6.
    for scope in [Some(PacketType::Connect), Some(PacketType::ConnAck)] {
        assert_property_refused(
            scope,
            &[0x27, 0x00, 0x00, 0x00, 0x00],
            Some(Property::MaximumPacketSize(0)),
            CodecError::InvalidPropertyValue {
                property: PropertyId::MaximumPacketSize,
                value: 0,
            },
            ReasonCode::ProtocolError,
        );
    }
}

#[test]
fn payload_format_indicator_other_than_0_or_1_is_a_protocol_error() {
    // Sections 3.3.2.3.2 and 3.1.3.2.3: 0 unspecified bytes, 1 UTF-8; nothing else.
    for scope in [Some(PacketType::Publish), None] {
        assert_property_refused(
            scope,
            &[0x01, 0x02],
            None, // PayloadFormat has no third value to encode
            CodecError::InvalidPropertyValue {
                property: PropertyId::PayloadFormatIndicator,
                value: 2,
            },
            ReasonCode::ProtocolError,
        );
    }
}

#[test]
fn maximum_qos_other_than_0_or_1_is_a_protocol_error() {
    // Section 3.2.2.3.4: a server supporting QoS 2 leaves Maximum QoS out.
    assert_property_refused(
        Some(PacketType::ConnAck),
        &[0x24, 0x02],
        Some(Property::MaximumQoS(QoS::ExactlyOnce)),
        CodecError::InvalidPropertyValue {
            property: PropertyId::MaximumQoS,
            value: 2,
        },
        ReasonCode::ProtocolError,
    );
}

#[test]
fn byte_flags_other_than_0_or_1_are_a_protocol_error() {
    // Sections 3.1.2.11.6, 3.1.2.11.7, 3.2.2.3.5, 3.2.2.3.11, 3.2.2.3.12, 3.2.2.3.13.
    let cases = [
        (
            Some(PacketType::Connect),
            PropertyId::RequestProblemInformation,
        ),
        (
            Some(PacketType::Connect),
            PropertyId::RequestResponseInformation,
        ),
        (Some(PacketType::ConnAck), PropertyId::RetainAvailable),
        (
            Some(PacketType::ConnAck),
            PropertyId::WildcardSubscriptionAvailable,
        ),
        (
            Some(PacketType::ConnAck),
            PropertyId::SubscriptionIdentifierAvailable,
        ),
        (
            Some(PacketType::ConnAck),
            PropertyId::SharedSubscriptionAvailable,
        ),
    ];
    for (scope, id) in cases {
        for value in [2u8, 0xFF] {
            assert_property_refused(
                scope,
                &[id.as_u8(), value],
                None, // a bool has no third value to encode
                CodecError::InvalidPropertyValue {
                    property: id,
                    value: u32::from(value),
                },
                ReasonCode::ProtocolError,
            );
        }
    }
}

#[test]
fn authentication_data_without_a_method_is_a_protocol_error() {
    // Sections 3.1.2.11.10, 3.2.2.3.18, 3.15.2.2.3.
    let data = raw_property(PropertyId::AuthenticationData);
    let method = raw_property(PropertyId::AuthenticationMethod);
    for scope in [
        Some(PacketType::Connect),
        Some(PacketType::ConnAck),
        Some(PacketType::Auth),
    ] {
        assert_property_refused(
            scope,
            &data,
            Some(typed_property(PropertyId::AuthenticationData)),
            CodecError::AuthDataWithoutMethod,
            ReasonCode::ProtocolError,
        );
        // The method may come after the data: the pair is checked over the whole block.
        decode_ok(V5, &spec_frame(scope, &[&data, &method]));
    }
}

#[test]
fn packets_without_properties_still_encode_a_zero_property_length() {
    // [MQTT-2.2.2-1]: the packets whose property length is not optional.
    let t = || TopicName::new("t").expect("valid");
    let f = || TopicFilter::new("t").expect("valid");
    let cases: [(Packet, &[u8]); 8] = [
        (
            Connect::new(string("c")).into(),
            &[
                0x10, 0x0E, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 60, 0x00, 0, 1, b'c',
            ],
        ),
        (
            ConnAck::new(ReasonCode::Success).into(),
            &[0x20, 0x03, 0, 0, 0x00],
        ),
        (
            Publish::new(t(), Bytes::new()).into(),
            &[0x30, 0x04, 0, 1, b't', 0x00],
        ),
        (
            Subscribe::new(pid(1), vec![Subscription::new(f(), QoS::AtMostOnce)]).into(),
            &[0x82, 0x07, 0, 1, 0x00, 0, 1, b't', 0],
        ),
        (
            SubAck::new(pid(1), vec![ReasonCode::Success]).into(),
            &[0x90, 0x04, 0, 1, 0x00, 0],
        ),
        (
            Unsubscribe::new(pid(1), vec![f()]).into(),
            &[0xA2, 0x06, 0, 1, 0x00, 0, 1, b't'],
        ),
        (
            UnsubAck::new(pid(1), vec![ReasonCode::Success]).into(),
            &[0xB0, 0x04, 0, 1, 0x00, 0],
        ),
        // AUTH with a reason code other than Success writes its (empty) property block too.
        (
            Auth::new(ReasonCode::ReAuthenticate).into(),
            &[0xF0, 0x02, 0x19, 0x00],
        ),
    ];
    for (packet, wire) in cases {
        assert_eq!(&encode(&packet, V5)[..], wire, "{packet:?}");
    }
    // A will without properties has a zero will property length too.
    let mut connect = Connect::new(string("c"));
    connect.will = Some(flowsdk_codec::Will::new(t(), Bytes::new()));
    assert_eq!(
        &encode(&connect.into(), V5)[..],
        &frame(
            0x10,
            &[
                &[0, 4, b'M', b'Q', b'T', b'T', 5, 0x06, 0, 60, 0x00],
                &field(b"c"),
                &[0x00],
                &field(b"t"),
                &field(b""),
            ],
        )[..]
    );
    // Leaving the property length out where it is required is malformed.
    assert_decode_error(
        V5,
        &[0x30, 0x03, 0x00, 0x01, b't'],
        CodecError::UnexpectedEof {
            packet: PacketType::Publish,
            field: "property length",
        },
        ReasonCode::MalformedPacket,
    );
}
