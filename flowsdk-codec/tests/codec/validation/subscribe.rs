//! SUBSCRIBE, UNSUBSCRIBE and their acknowledgements (sections 3.8 to 3.11).

use flowsdk_codec::{
    CodecError, PacketType, ProtocolVersion, QoS, ReasonCode, RetainHandling, SubAck, Subscribe,
    Subscription, SubscriptionOptions, TopicFilter, UnsubAck, Unsubscribe,
};

use crate::codec::support::{
    assert_decode_error, assert_encode_refused, field, frame, pid, BOTH, V311, V5,
};

/// A SUBSCRIBE to `filter` with the raw options byte `options`.
fn subscribe_with_options(version: ProtocolVersion, filter: &str, options: u8) -> Vec<u8> {
    let props: &[u8] = if version == V5 { &[0x00] } else { &[] };
    frame(
        0x82,
        &[&[0x00, 0x01], props, &field(filter.as_bytes()), &[options]],
    )
}

fn filter(s: &str) -> TopicFilter {
    TopicFilter::new(s).expect("valid filter")
}

#[test]
fn subscribe_without_topic_filters_is_a_protocol_error() {
    // [MQTT-3.8.3-2] [MQTT-3.8.3-3 (3.1.1)]
    assert_decode_error(
        V311,
        &[0x82, 0x02, 0x00, 0x01],
        CodecError::EmptySubscribe,
        ReasonCode::ProtocolError,
    );
    assert_decode_error(
        V5,
        &[0x82, 0x03, 0x00, 0x01, 0x00],
        CodecError::EmptySubscribe,
        ReasonCode::ProtocolError,
    );
    for version in BOTH {
        assert_encode_refused(
            Subscribe::new(pid(1), Vec::new()),
            version,
            CodecError::EmptySubscribe,
        );
    }
    assert_eq!(
        CodecError::EmptySubscribe.normative_id(),
        Some("MQTT-3.8.3-2")
    );
}

#[test]
fn unsubscribe_without_topic_filters_is_a_protocol_error() {
    // [MQTT-3.10.3-2] [MQTT-3.10.3-2 (3.1.1)]
    assert_decode_error(
        V311,
        &[0xA2, 0x02, 0x00, 0x01],
        CodecError::EmptyUnsubscribe,
        ReasonCode::ProtocolError,
    );
    assert_decode_error(
        V5,
        &[0xA2, 0x03, 0x00, 0x01, 0x00],
        CodecError::EmptyUnsubscribe,
        ReasonCode::ProtocolError,
    );
    for version in BOTH {
        assert_encode_refused(
            Unsubscribe::new(pid(1), Vec::new()),
            version,
            CodecError::EmptyUnsubscribe,
        );
    }
}

#[test]
fn subscription_options_reserved_bits_are_malformed() {
    // [MQTT-3.8.3-5] [MQTT-3.8.3-4 (3.1.1)]
    for options in [0x40u8, 0x80, 0xC1] {
        let expected = CodecError::InvalidSubscriptionOptions { options };
        assert_eq!(expected.normative_id(), Some("MQTT-3.8.3-5"));
        assert_decode_error(
            V5,
            &subscribe_with_options(V5, "a", options),
            expected,
            ReasonCode::MalformedPacket,
        );
    }
    // In 3.1.1 everything above the QoS bits is reserved.
    for options in [0x04u8, 0x08, 0x10, 0x20, 0x40, 0x80] {
        assert_decode_error(
            V311,
            &subscribe_with_options(V311, "a", options),
            CodecError::InvalidSubscriptionOptions { options },
            ReasonCode::MalformedPacket,
        );
    }
}

#[test]
fn subscription_requesting_qos_3_is_refused() {
    // [MQTT-3.8.3-4 (3.1.1)]: malformed in 3.1.1. Section 3.8.3.1 of 5.0: "It is a Protocol
    // Error if the Maximum QoS field has the value 3."
    assert_decode_error(
        V311,
        &subscribe_with_options(V311, "a", 0x03),
        CodecError::InvalidQoS { value: 3 },
        ReasonCode::MalformedPacket,
    );
    assert_decode_error(
        V5,
        &subscribe_with_options(V5, "a", 0x03),
        CodecError::InvalidSubscriptionQoS { value: 3 },
        ReasonCode::ProtocolError,
    );
}

#[test]
fn retain_handling_3_is_a_protocol_error() {
    // Section 3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3."
    assert_decode_error(
        V5,
        &subscribe_with_options(V5, "a", 0x30),
        CodecError::InvalidRetainHandling { value: 3 },
        ReasonCode::ProtocolError,
    );
}

#[test]
fn no_local_on_a_shared_subscription_is_a_protocol_error() {
    // [MQTT-3.8.3-4]
    let expected = CodecError::NoLocalOnSharedSubscription {
        filter: "$share/g/a".to_owned(),
    };
    assert_eq!(expected.normative_id(), Some("MQTT-3.8.3-4"));
    assert_decode_error(
        V5,
        &subscribe_with_options(V5, "$share/g/a", 0x04),
        expected.clone(),
        ReasonCode::ProtocolError,
    );
    let mut options = SubscriptionOptions::new(QoS::AtLeastOnce);
    options.no_local = true;
    assert_encode_refused(
        Subscribe::new(
            pid(1),
            vec![Subscription {
                filter: filter("$share/g/a"),
                options,
            }],
        ),
        V5,
        expected,
    );
    // No Local on an ordinary filter is fine.
    crate::codec::support::decode_ok(V5, &subscribe_with_options(V5, "a", 0x04));
}

#[test]
fn subscription_options_beyond_qos_are_refused_when_encoding_3_1_1() {
    // [MQTT-3.8.3-4 (3.1.1)]: 3.1.1 has only the QoS bits; the 5.0 options would be reserved
    // bits on its wire, so they are refused rather than dropped.
    let cases = [
        (
            SubscriptionOptions {
                no_local: true,
                ..SubscriptionOptions::new(QoS::AtMostOnce)
            },
            0x04,
        ),
        (
            SubscriptionOptions {
                retain_as_published: true,
                ..SubscriptionOptions::new(QoS::AtLeastOnce)
            },
            0x09,
        ),
        (
            SubscriptionOptions {
                retain_handling: RetainHandling::DoNotSend,
                ..SubscriptionOptions::new(QoS::ExactlyOnce)
            },
            0x22,
        ),
    ];
    for (options, byte) in cases {
        assert_encode_refused(
            Subscribe::new(
                pid(1),
                vec![Subscription {
                    filter: filter("a"),
                    options,
                }],
            ),
            V311,
            CodecError::InvalidSubscriptionOptions { options: byte },
        );
    }
}

#[test]
fn suback_and_unsuback_without_reason_codes_are_malformed() {
    // Sections 3.9.3 and 3.11.3: one reason code per topic filter, so at least one.
    let empty = |packet| CodecError::EmptyAckPayload { packet };
    for version in BOTH {
        let props: &[u8] = if version == V5 { &[0x00] } else { &[] };
        assert_decode_error(
            version,
            &frame(0x90, &[&[0x00, 0x01], props]),
            empty(PacketType::SubAck),
            ReasonCode::MalformedPacket,
        );
        assert_encode_refused(
            SubAck::new(pid(1), Vec::new()),
            version,
            empty(PacketType::SubAck),
        );
    }
    assert_decode_error(
        V5,
        &[0xB0, 0x03, 0x00, 0x01, 0x00],
        empty(PacketType::UnsubAck),
        ReasonCode::MalformedPacket,
    );
    assert_encode_refused(
        UnsubAck::new(pid(1), Vec::new()),
        V5,
        empty(PacketType::UnsubAck),
    );
}
