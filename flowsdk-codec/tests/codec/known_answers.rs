//! Exact bytes, mostly from the specifications' own examples, to pin the wire format: round
//! trips alone would pass a codec that is consistently wrong.

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{
    decode_variable_byte_integer, encode_variable_byte_integer, Auth, ConnAck, Connect, Disconnect,
    Packet, Property, ProtocolVersion, PubAck, PubRel, Publish, QoS, ReasonCode, RetainHandling,
    SubAck, Subscribe, Subscription, SubscriptionOptions, TopicFilter, TopicName, UnsubAck,
    Unsubscribe, Will,
};

use super::support::{decode_ok, encode, pid, string, V311, V5};

/// `packet` encodes to exactly `wire` in `version`, and `wire` decodes to `packet`.
#[track_caller]
fn assert_wire(version: ProtocolVersion, packet: impl Into<Packet>, wire: &[u8]) {
    let packet = packet.into();
    assert_eq!(
        &encode(&packet, version)[..],
        wire,
        "encoding {packet:?} as {version}"
    );
    assert_eq!(decode_ok(version, wire), packet, "decoding {wire:02X?}");
}

fn topic(s: &str) -> TopicName {
    TopicName::new(s).expect("valid topic")
}

fn filter(s: &str) -> TopicFilter {
    TopicFilter::new(s).expect("valid filter")
}

#[test]
fn variable_byte_integers_match_the_specification_table() {
    // [MQTT-1.5.5-1] section 1.5.5, table 1-1, plus the example 321 = C1 02.
    let table: [(usize, &[u8]); 9] = [
        (0, &[0x00]),
        (127, &[0x7F]),
        (128, &[0x80, 0x01]),
        (321, &[0xC1, 0x02]),
        (16_383, &[0xFF, 0x7F]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xFF, 0xFF, 0x7F]),
        (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
        (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
    ];
    for (value, wire) in table {
        let mut out = BytesMut::new();
        encode_variable_byte_integer(value, &mut out).expect("in range");
        assert_eq!(&out[..], wire, "{value}");
        assert_eq!(
            decode_variable_byte_integer(wire),
            Ok(Some((value as u32, wire.len())))
        );
    }
}

#[test]
fn remaining_length_of_321_is_written_as_c1_02() {
    // A PUBLISH whose body is 321 bytes: topic "t" (3 bytes), property length (1), payload 317.
    let publish = Publish::new(topic("t"), Bytes::from(vec![0x55; 317]));
    let wire = encode(&publish.into(), V5);
    assert_eq!(&wire[..7], &[0x30, 0xC1, 0x02, 0x00, 0x01, b't', 0x00]);
    assert_eq!(wire.len(), 3 + 321);
}

#[test]
fn utf8_string_example_encodes_as_in_the_specification() {
    // Section 1.5.4, figure 1-1: "A\u{2A6D4}" is 00 05 41 F0 AA 9B 94.
    assert_wire(
        V311,
        Publish::new(topic("A\u{2A6D4}"), Bytes::new()),
        &[0x30, 0x07, 0x00, 0x05, 0x41, 0xF0, 0xAA, 0x9B, 0x94],
    );
}

#[test]
fn minimal_connect_is_encoded_byte_for_byte() {
    // Clean start, keep alive 60, client id "a", nothing else.
    let mut connect = Connect::new(string("a"));
    connect.protocol_version = V311;
    assert_wire(
        V311,
        connect.clone(),
        &[
            0x10, 0x0D, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01,
            b'a',
        ],
    );
    connect.protocol_version = V5;
    assert_wire(
        V5,
        connect,
        &[
            0x10, 0x0E, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00,
            0x01, b'a',
        ],
    );
}

/// The CONNECT of the variable-header examples: user name, password, will at QoS 1, clean
/// start, keep alive 10 (connect flags 0xCE).
fn example_connect(version: ProtocolVersion) -> Connect {
    let mut will = Will::new(topic("w"), Bytes::from_static(b"x"));
    will.qos = QoS::AtLeastOnce;
    let mut connect = Connect::new(string("c"));
    connect.protocol_version = version;
    connect.keep_alive = 10;
    connect.will = Some(will);
    connect.username = Some(string("u"));
    connect.password = Some(Bytes::from_static(b"p"));
    connect
}

#[test]
fn connect_variable_header_matches_the_v5_example() {
    // [MQTT-3.1.3-1] section 3.1.2.12, figure 3-7: 00 04 'MQTT' 05 CE 00 0A, then properties
    // 05 11 00 00 00 0A (Session Expiry Interval 10). Then the payload in the specified
    // order: client id, will properties, will topic, will payload, user name, password.
    let mut connect = example_connect(V5);
    connect.properties.set_session_expiry_interval(Some(10));
    assert_wire(
        V5,
        connect,
        &[
            0x10, 0x20, // fixed header, remaining length 32
            0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0xCE, 0x00, 0x0A, // variable header
            0x05, 0x11, 0x00, 0x00, 0x00, 0x0A, // properties
            0x00, 0x01, b'c', // client identifier
            0x00, // will properties: none
            0x00, 0x01, b'w', // will topic
            0x00, 0x01, b'x', // will payload
            0x00, 0x01, b'u', // user name
            0x00, 0x01, b'p', // password
        ],
    );
}

#[test]
fn connect_variable_header_matches_the_v311_example() {
    // [MQTT-3.1.3-1 (3.1.1)] 3.1.1 section 3.1.2.10, figure 3.6: 00 04 'MQTT' 04 CE 00 0A,
    // then client id, will topic, will message, user name, password.
    assert_wire(
        V311,
        example_connect(V311),
        &[
            0x10, 0x19, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0xCE, 0x00, 0x0A, 0x00, 0x01,
            b'c', 0x00, 0x01, b'w', 0x00, 0x01, b'x', 0x00, 0x01, b'u', 0x00, 0x01, b'p',
        ],
    );
}

#[test]
fn publish_variable_header_matches_the_example() {
    // [MQTT-3.3.2-1] section 3.3.2 example: topic "a/b", packet identifier 10, topic first.
    let mut publish = Publish::new(topic("a/b"), Bytes::from_static(b"hi"));
    publish.qos = QoS::AtLeastOnce;
    publish.packet_id = Some(pid(10));
    assert_wire(
        V311,
        publish.clone(),
        &[
            0x32, 0x09, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x0A, b'h', b'i',
        ],
    );
    // 5.0 adds the property length after the packet identifier.
    publish.retain = true;
    publish.dup = true;
    publish.properties.push(Property::TopicAlias(1));
    assert_wire(
        V5,
        publish,
        &[
            0x3B, 0x0D, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x0A, 0x03, 0x23, 0x00, 0x01, b'h',
            b'i',
        ],
    );
}

#[test]
fn repeated_user_properties_keep_their_order_on_the_wire() {
    // [MQTT-3.3.2-18] order is kept; [MQTT-1.5.7-1] each is a pair of strings.
    let mut publish = Publish::new(topic("t"), Bytes::new());
    publish
        .properties
        .push_user_property("b", "2")
        .expect("valid");
    publish
        .properties
        .push_user_property("a", "1")
        .expect("valid");
    publish
        .properties
        .push_user_property("b", "3")
        .expect("valid");
    assert_wire(
        V5,
        publish,
        &[
            0x30, 0x19, 0x00, 0x01, b't', 0x15, // property length 21
            0x26, 0x00, 0x01, b'b', 0x00, 0x01, b'2', //
            0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'1', //
            0x26, 0x00, 0x01, b'b', 0x00, 0x01, b'3',
        ],
    );
}

#[test]
fn subscribe_and_suback_match_the_examples() {
    // Section 3.8.3 payload example ("a/b" QoS 1, "c/d" QoS 2), packet identifier 10.
    let subscribe = Subscribe::new(
        pid(10),
        vec![
            Subscription::new(filter("a/b"), QoS::AtLeastOnce),
            Subscription::new(filter("c/d"), QoS::ExactlyOnce),
        ],
    );
    assert_wire(
        V311,
        subscribe,
        &[
            0x82, 0x0E, 0x00, 0x0A, 0x00, 0x03, b'a', b'/', b'b', 0x01, 0x00, 0x03, b'c', b'/',
            b'd', 0x02,
        ],
    );
    // 5.0 options byte: QoS 2, No Local, Retain As Published, Retain Handling 2 = 0x2E.
    let mut options = SubscriptionOptions::new(QoS::ExactlyOnce);
    options.no_local = true;
    options.retain_as_published = true;
    options.retain_handling = RetainHandling::DoNotSend;
    let mut subscribe = Subscribe::new(
        pid(10),
        vec![Subscription {
            filter: filter("a/+"),
            options,
        }],
    );
    subscribe
        .properties
        .push(Property::SubscriptionIdentifier(321));
    assert_wire(
        V5,
        subscribe,
        &[
            0x82, 0x0C, 0x00, 0x0A, 0x03, 0x0B, 0xC1, 0x02, 0x00, 0x03, b'a', b'/', b'+', 0x2E,
        ],
    );
    // 3.1.1 SUBACK example: granted QoS 0, 1, 2 and failure 0x80.
    assert_wire(
        V311,
        SubAck::new(
            pid(10),
            vec![
                ReasonCode::GRANTED_QOS_0,
                ReasonCode::GrantedQoS1,
                ReasonCode::GrantedQoS2,
                ReasonCode::UnspecifiedError,
            ],
        ),
        &[0x90, 0x06, 0x00, 0x0A, 0x00, 0x01, 0x02, 0x80],
    );
}

#[test]
fn unsubscribe_and_unsuback_match_the_examples() {
    // Section 3.10.3 payload example: "a/b", "c/d".
    assert_wire(
        V311,
        Unsubscribe::new(pid(10), vec![filter("a/b"), filter("c/d")]),
        &[
            0xA2, 0x0C, 0x00, 0x0A, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x03, b'c', b'/', b'd',
        ],
    );
    assert_wire(
        V311,
        UnsubAck::new(pid(10), Vec::new()),
        &[0xB0, 0x02, 0x00, 0x0A],
    );
    assert_wire(
        V5,
        UnsubAck::new(
            pid(10),
            vec![ReasonCode::Success, ReasonCode::NoSubscriptionExisted],
        ),
        &[0xB0, 0x05, 0x00, 0x0A, 0x00, 0x00, 0x11],
    );
}

#[test]
fn connack_and_acknowledgements_are_encoded_byte_for_byte() {
    let mut connack = ConnAck::new(ReasonCode::Success);
    connack.session_present = true;
    assert_wire(V311, connack.clone(), &[0x20, 0x02, 0x01, 0x00]);
    assert_wire(V5, connack, &[0x20, 0x03, 0x01, 0x00, 0x00]);
    // 3.1.1 return code 5 is "not authorized".
    assert_wire(
        V311,
        ConnAck::new(ReasonCode::NotAuthorized),
        &[0x20, 0x02, 0x00, 0x05],
    );
    // Section 3.4.2.1: reason code and properties are left out for Success without properties.
    assert_wire(V5, PubAck::new(pid(10)), &[0x40, 0x02, 0x00, 0x0A]);
    assert_wire(
        V5,
        PubAck::with_reason(pid(10), ReasonCode::NoMatchingSubscribers),
        &[0x40, 0x03, 0x00, 0x0A, 0x10],
    );
    let mut puback = PubAck::with_reason(pid(10), ReasonCode::NoMatchingSubscribers);
    puback.properties.push(Property::ReasonString(string("ok")));
    assert_wire(
        V5,
        puback,
        &[
            0x40, 0x09, 0x00, 0x0A, 0x10, 0x05, 0x1F, 0x00, 0x02, b'o', b'k',
        ],
    );
    assert_wire(V311, PubRel::new(pid(1)), &[0x62, 0x02, 0x00, 0x01]);
    assert_wire(V5, PubRel::new(pid(1)), &[0x62, 0x02, 0x00, 0x01]);
}

#[test]
fn ping_disconnect_and_auth_are_encoded_byte_for_byte() {
    for version in [V5, V311] {
        assert_wire(version, Packet::PingReq, &[0xC0, 0x00]);
        assert_wire(version, Packet::PingResp, &[0xD0, 0x00]);
        assert_wire(version, Disconnect::default(), &[0xE0, 0x00]);
    }
    assert_wire(
        V5,
        Disconnect::new(ReasonCode::DisconnectWithWillMessage),
        &[0xE0, 0x01, 0x04],
    );
    assert_wire(V5, Auth::default(), &[0xF0, 0x00]);
    let mut auth = Auth::new(ReasonCode::ContinueAuthentication);
    auth.properties
        .push(Property::AuthenticationMethod(string("m")));
    assert_wire(V5, auth, &[0xF0, 0x06, 0x18, 0x04, 0x15, 0x00, 0x01, b'm']);
}

#[test]
fn short_forms_the_specification_allows_are_accepted_on_decode() {
    // A PUBACK/DISCONNECT/AUTH whose property length is absent (remaining length < 4 / < 2)
    // means "no properties" (sections 3.4.2.2.1, 3.14.2.2.1), and explicit zero-length
    // blocks mean the same.
    assert_eq!(
        decode_ok(V5, &[0x40, 0x04, 0x00, 0x0A, 0x10, 0x00]),
        PubAck::with_reason(pid(10), ReasonCode::NoMatchingSubscribers).into()
    );
    assert_eq!(
        decode_ok(V5, &[0x40, 0x04, 0x00, 0x0A, 0x00, 0x00]),
        PubAck::new(pid(10)).into()
    );
    assert_eq!(
        decode_ok(V5, &[0xE0, 0x02, 0x00, 0x00]),
        Disconnect::default().into()
    );
    assert_eq!(
        decode_ok(V5, &[0xF0, 0x02, 0x00, 0x00]),
        Auth::default().into()
    );
}
