//! Topic names, topic filters and shared subscriptions (sections 4.7, 4.8, 3.3.2).

use bytes::Bytes;
use flowsdk_codec::{
    CodecError, Connect, Packet, Property, ProtocolVersion, Publish, ReasonCode, TopicFilter,
    TopicName, Will,
};

use crate::codec::support::{
    assert_decode_error, assert_encode_refused, block, decode_ok, field, frame, string, BOTH, V311,
    V5,
};

fn publish_with_topic(version: ProtocolVersion, topic: &str) -> Vec<u8> {
    let props: &[u8] = if version == V5 { &[0x00] } else { &[] };
    frame(0x30, &[&field(topic.as_bytes()), props])
}

fn subscribe_with_filter(version: ProtocolVersion, filter: &str) -> Vec<u8> {
    let props: &[u8] = if version == V5 { &[0x00] } else { &[] };
    frame(
        0x82,
        &[&[0x00, 0x01], props, &field(filter.as_bytes()), &[0x00]],
    )
}

fn unsubscribe_with_filter(version: ProtocolVersion, filter: &str) -> Vec<u8> {
    let props: &[u8] = if version == V5 { &[0x00] } else { &[] };
    frame(0xA2, &[&[0x00, 0x01], props, &field(filter.as_bytes())])
}

/// A CONNECT with a will on `topic`.
fn connect_with_will_topic(version: ProtocolVersion, topic: &[u8]) -> Vec<u8> {
    let header = [0, 4, b'M', b'Q', b'T', b'T', version.level(), 0x06, 0, 60];
    let props: &[u8] = if version == V5 { &[0x00] } else { &[] };
    frame(
        0x10,
        &[
            &header,
            props,
            &field(b"c"),
            props,
            &field(topic),
            &field(b""),
        ],
    )
}

/// Asserts that `filter` is refused with `expected` in SUBSCRIBE and UNSUBSCRIBE of both
/// versions, and by `TopicFilter::new`.
#[track_caller]
fn assert_filter_refused(filter: &str, expected: CodecError) {
    let reason = ReasonCode::TopicFilterInvalid;
    for version in BOTH {
        assert_decode_error(
            version,
            &subscribe_with_filter(version, filter),
            expected.clone(),
            reason,
        );
        assert_decode_error(
            version,
            &unsubscribe_with_filter(version, filter),
            expected.clone(),
            reason,
        );
    }
    assert_eq!(TopicFilter::new(filter), Err(expected));
}

#[test]
fn publish_topic_with_a_wildcard_is_rejected() {
    // [MQTT-3.3.2-2] [MQTT-4.7.0-1] [MQTT-3.3.2-2 (3.1.1)] [MQTT-4.7.1-1 (3.1.1)]
    for topic in ["a/+", "#", "a/#", "sport+", "+/b"] {
        let expected = CodecError::WildcardInTopicName {
            topic: topic.to_owned(),
        };
        for version in BOTH {
            assert_decode_error(
                version,
                &publish_with_topic(version, topic),
                expected.clone(),
                ReasonCode::TopicNameInvalid,
            );
        }
        // Encoding cannot be asked for it: a TopicName with a wildcard cannot be built.
        assert_eq!(TopicName::new(topic), Err(expected.clone()));
        assert_eq!(expected.normative_id(), Some("MQTT-3.3.2-2"));
    }
}

#[test]
fn will_topic_with_a_wildcard_is_rejected() {
    // [MQTT-4.7.0-1] [MQTT-4.7.1-1 (3.1.1)]: the will topic is a topic name.
    for version in BOTH {
        assert_decode_error(
            version,
            &connect_with_will_topic(version, b"w/#"),
            CodecError::WildcardInTopicName {
                topic: "w/#".to_owned(),
            },
            ReasonCode::TopicNameInvalid,
        );
    }
}

#[test]
fn response_topic_with_a_wildcard_is_rejected() {
    // [MQTT-3.3.2-14]
    let expected = CodecError::WildcardInResponseTopic {
        topic: "reply/+".to_owned(),
    };
    assert_decode_error(
        V5,
        &frame(
            0x30,
            &[&field(b"t"), &block(&[&[0x08], &field(b"reply/+")])],
        ),
        expected.clone(),
        ReasonCode::ProtocolError,
    );
    // In will properties too.
    let header = [0, 4, b'M', b'Q', b'T', b'T', 5, 0x06, 0, 60, 0];
    assert_decode_error(
        V5,
        &frame(
            0x10,
            &[
                &header,
                &field(b"c"),
                &block(&[&[0x08], &field(b"reply/+")]),
                &field(b"w"),
                &field(b""),
            ],
        ),
        expected,
        ReasonCode::ProtocolError,
    );
}

#[test]
fn empty_response_topic_is_rejected() {
    // [MQTT-4.7.3-1] [MQTT-3.3.2-13]: the Response Topic is a topic name, so not empty.
    assert_decode_error(
        V5,
        &frame(0x30, &[&field(b"t"), &block(&[&[0x08], &field(b"")])]),
        CodecError::EmptyTopicName,
        ReasonCode::TopicNameInvalid,
    );
    let mut publish = Publish::new(TopicName::new("t").expect("valid"), Bytes::new());
    publish
        .properties
        .push(Property::ResponseTopic(TopicName::empty()));
    assert_encode_refused(publish, V5, CodecError::EmptyTopicName);
}

#[test]
fn multi_level_wildcard_must_be_alone_in_the_last_level() {
    // [MQTT-4.7.1-1] [MQTT-4.7.1-2 (3.1.1)]
    let not_last = |filter: &str| CodecError::InvalidTopicFilter {
        filter: filter.to_owned(),
        rule: "'#' must be the last level",
    };
    let not_whole = |filter: &str| CodecError::InvalidTopicFilter {
        filter: filter.to_owned(),
        rule: "'#' must occupy a whole level",
    };
    for filter in ["a/#/b", "#/a", "$share/g/#/x"] {
        assert_filter_refused(filter, not_last(filter));
    }
    for filter in ["a#", "a/b#", "#a", "a/#b"] {
        assert_filter_refused(filter, not_whole(filter));
    }
    assert_eq!(not_last("x").normative_id(), Some("MQTT-4.7.1-1"));
    assert_eq!(not_whole("x").normative_id(), Some("MQTT-4.7.1-1"));
}

#[test]
fn single_level_wildcard_must_fill_its_level() {
    // [MQTT-4.7.1-2] [MQTT-4.7.1-3 (3.1.1)]
    for filter in ["a+", "+a", "a/b+/c", "++", "$share/g/x+"] {
        let expected = CodecError::InvalidTopicFilter {
            filter: filter.to_owned(),
            rule: "'+' must occupy a whole level",
        };
        assert_eq!(expected.normative_id(), Some("MQTT-4.7.1-2"));
        assert_filter_refused(filter, expected);
    }
}

#[test]
fn well_placed_wildcards_are_accepted() {
    // [MQTT-4.7.1-1] [MQTT-4.7.1-2]: the positive side of the wildcard rules.
    for filter in [
        "#",
        "+",
        "a/+/b",
        "+/+/#",
        "a/#",
        "/",
        "a//b",
        "/+",
        "$SYS/#",
        "$share/g/#",
    ] {
        for version in BOTH {
            let Packet::Subscribe(subscribe) =
                decode_ok(version, &subscribe_with_filter(version, filter))
            else {
                panic!("not a SUBSCRIBE");
            };
            assert_eq!(subscribe.subscriptions[0].filter.as_str(), filter);
            decode_ok(version, &unsubscribe_with_filter(version, filter));
        }
    }
}

#[test]
fn empty_topic_name_is_rejected() {
    // [MQTT-4.7.3-1] [MQTT-4.7.3-1 (3.1.1)]
    assert_decode_error(
        V311,
        &publish_with_topic(V311, ""),
        CodecError::EmptyTopicName,
        ReasonCode::TopicNameInvalid,
    );
    for version in BOTH {
        assert_decode_error(
            version,
            &connect_with_will_topic(version, b""),
            CodecError::EmptyTopicName,
            ReasonCode::TopicNameInvalid,
        );
    }
    assert_eq!(TopicName::new(""), Err(CodecError::EmptyTopicName));
    assert_eq!(
        CodecError::EmptyTopicName.normative_id(),
        Some("MQTT-4.7.3-1")
    );
    // The empty name kept for Topic Aliases cannot be sent where 3.1.1 or a will needs a name.
    assert_encode_refused(
        Publish::new(TopicName::empty(), Bytes::new()),
        V311,
        CodecError::EmptyTopicName,
    );
    let mut connect = Connect::new(string("c"));
    connect.will = Some(Will::new(TopicName::empty(), Bytes::new()));
    assert_encode_refused(connect, V5, CodecError::EmptyTopicName);
}

#[test]
fn empty_topic_filter_is_rejected() {
    // [MQTT-4.7.3-1] [MQTT-4.7.3-1 (3.1.1)]
    assert_filter_refused("", CodecError::EmptyTopicFilter);
    assert_eq!(
        CodecError::EmptyTopicFilter.normative_id(),
        Some("MQTT-4.7.3-1")
    );
}

#[test]
fn empty_topic_without_a_topic_alias_is_a_protocol_error() {
    // Section 3.3.2.3.4: a zero-length topic name without a Topic Alias is a Protocol Error.
    assert_decode_error(
        V5,
        &publish_with_topic(V5, ""),
        CodecError::EmptyTopicWithoutAlias,
        ReasonCode::ProtocolError,
    );
    assert_encode_refused(
        Publish::new(TopicName::empty(), Bytes::new()),
        V5,
        CodecError::EmptyTopicWithoutAlias,
    );
}

#[test]
fn empty_topic_with_a_topic_alias_is_accepted() {
    // Section 3.3.2.3.4: the alias names the topic.
    let Packet::Publish(publish) =
        decode_ok(V5, &[0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x05, b'x'])
    else {
        panic!("not a PUBLISH");
    };
    assert!(publish.topic.is_empty());
    assert_eq!(publish.properties.topic_alias(), Some(5));
    assert_eq!(&publish.payload[..], b"x");
}

#[test]
fn null_character_in_topic_names_and_filters_is_rejected() {
    // [MQTT-4.7.3-2] [MQTT-4.7.3-2 (3.1.1)]
    for version in BOTH {
        assert_decode_error(
            version,
            &publish_with_topic(version, "a/\0"),
            CodecError::NullCharacter {
                field: "topic name",
            },
            ReasonCode::MalformedPacket,
        );
        assert_decode_error(
            version,
            &subscribe_with_filter(version, "a/\0/#"),
            CodecError::NullCharacter {
                field: "topic filter",
            },
            ReasonCode::MalformedPacket,
        );
    }
    assert!(TopicName::new("a\0").is_err());
    assert!(TopicFilter::new("a\0").is_err());
}

#[test]
fn topic_names_and_filters_longer_than_65535_bytes_are_refused() {
    // [MQTT-4.7.3-3] [MQTT-4.7.3-3 (3.1.1)]: the length prefix makes longer ones unsendable.
    let long = "a/".repeat(32_768); // 65,536 bytes
    let expected = CodecError::FieldTooLong {
        field: "string",
        len: 65_536,
    };
    assert_eq!(TopicName::new(long.clone()), Err(expected.clone()));
    assert_eq!(TopicFilter::new(long), Err(expected));
    let longest = "b".repeat(65_535);
    assert!(TopicName::new(longest.clone()).is_ok());
    assert!(TopicFilter::new(longest).is_ok());
}

#[test]
fn shared_subscription_needs_a_non_empty_share_name() {
    // [MQTT-4.8.2-1]
    for filter in ["$share//a", "$share/"] {
        assert_filter_refused(
            filter,
            CodecError::InvalidSharedSubscription {
                filter: filter.to_owned(),
            },
        );
    }
}

#[test]
fn share_name_has_no_wildcard_or_slash_and_is_followed_by_a_filter() {
    // [MQTT-4.8.2-2]
    for filter in [
        "$share/g+/a",
        "$share/#/a",
        "$share/a+b/c",
        "$share/g",
        "$share/g/",
    ] {
        let expected = CodecError::InvalidSharedSubscription {
            filter: filter.to_owned(),
        };
        assert_eq!(expected.normative_id(), Some("MQTT-4.8.2-2"));
        assert_filter_refused(filter, expected);
    }
    // The filter after the share name follows the ordinary rules.
    let valid = TopicFilter::new("$share/group/sensors/+").expect("valid");
    let shared = valid.shared().expect("shared");
    assert_eq!((shared.group, shared.filter), ("group", "sensors/+"));
}
