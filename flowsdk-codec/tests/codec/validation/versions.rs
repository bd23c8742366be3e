//! What MQTT 3.1.1 lacks: AUTH, properties, most reason codes. The codec refuses to encode what
//! 3.1.1 cannot express rather than drop it silently.

use bytes::Bytes;
use flowsdk_codec::{
    Auth, CodecError, ConnAck, Disconnect, Packet, PacketType, Properties, Property, PubAck,
    PubComp, PubRec, PubRel, ReasonCode, SubAck, UnsubAck,
};

use crate::codec::spec::PROPERTY_SCOPES;
use crate::codec::support::{
    assert_decode_error, assert_encode_refused, decode_ok, encode, packet_with_properties, pid,
    string, V311,
};

#[test]
fn auth_does_not_exist_in_3_1_1() {
    // 3.1.1 section 2.2.1: packet type 15 is reserved.
    let expected = CodecError::PacketNotInVersion {
        packet: PacketType::Auth,
        version: V311,
    };
    assert_decode_error(
        V311,
        &[0xF0, 0x00],
        expected.clone(),
        ReasonCode::MalformedPacket,
    );
    assert_encode_refused(Auth::default(), V311, expected);
}

#[test]
fn properties_are_refused_when_encoding_3_1_1() {
    // 3.1.1 sections 3.1 to 3.14 define no properties: encoding them would lose them silently.
    for scope in PROPERTY_SCOPES {
        if scope == Some(PacketType::Auth) {
            continue;
        }
        let user = Property::UserProperty(string("k"), string("v"));
        let mut packet = packet_with_properties(scope, Properties::from(vec![user]));
        if let Packet::Connect(connect) = &mut packet {
            connect.protocol_version = V311;
        }
        let expected = CodecError::PropertiesNotInVersion {
            packet: scope.unwrap_or(PacketType::Connect),
        };
        assert_eq!(expected.reason_code(), None);
        assert_encode_refused(packet, V311, expected);
    }
}

#[test]
fn reason_codes_3_1_1_cannot_express_are_refused_when_encoding() {
    // 3.1.1 sections 3.2.2.3, 3.4 to 3.7, 3.11, 3.14: CONNACK has return codes 0 to 5 only;
    // acknowledgements, DISCONNECT and UNSUBACK carry no code at all.
    let not_in = |packet, code| CodecError::ReasonCodeNotInVersion {
        packet,
        code,
        version: V311,
    };
    let cases: [(Packet, CodecError); 8] = [
        (
            ConnAck::new(ReasonCode::Banned).into(),
            not_in(PacketType::ConnAck, ReasonCode::Banned),
        ),
        (
            PubAck::with_reason(pid(1), ReasonCode::NoMatchingSubscribers).into(),
            not_in(PacketType::PubAck, ReasonCode::NoMatchingSubscribers),
        ),
        (
            PubRec::with_reason(pid(1), ReasonCode::QuotaExceeded).into(),
            not_in(PacketType::PubRec, ReasonCode::QuotaExceeded),
        ),
        (
            PubRel::with_reason(pid(1), ReasonCode::PacketIdentifierNotFound).into(),
            not_in(PacketType::PubRel, ReasonCode::PacketIdentifierNotFound),
        ),
        (
            PubComp::with_reason(pid(1), ReasonCode::PacketIdentifierNotFound).into(),
            not_in(PacketType::PubComp, ReasonCode::PacketIdentifierNotFound),
        ),
        (
            Disconnect::new(ReasonCode::DisconnectWithWillMessage).into(),
            not_in(
                PacketType::Disconnect,
                ReasonCode::DisconnectWithWillMessage,
            ),
        ),
        (
            Disconnect::new(ReasonCode::ServerShuttingDown).into(),
            not_in(PacketType::Disconnect, ReasonCode::ServerShuttingDown),
        ),
        (
            UnsubAck::new(pid(1), vec![ReasonCode::Success, ReasonCode::NotAuthorized]).into(),
            not_in(PacketType::UnsubAck, ReasonCode::NotAuthorized),
        ),
    ];
    for (packet, expected) in cases {
        assert_eq!(expected.reason_code(), None);
        assert_encode_refused(packet, V311, expected);
    }
}

#[test]
fn suback_failure_codes_are_written_as_0x80_in_3_1_1() {
    // [MQTT-3.9.3-2 (3.1.1)]: 0x80 is the only failure return code; 5.0's specific failures
    // are written as it, and read back as Unspecified error.
    let suback = SubAck::new(
        pid(1),
        vec![ReasonCode::GrantedQoS2, ReasonCode::NotAuthorized],
    );
    let wire = encode(&suback.into(), V311);
    assert_eq!(&wire[..], &[0x90, 0x04, 0x00, 0x01, 0x02, 0x80]);
    assert_eq!(
        decode_ok(V311, &wire),
        SubAck::new(
            pid(1),
            vec![ReasonCode::GrantedQoS2, ReasonCode::UnspecifiedError]
        )
        .into()
    );
    // Any other 3.1.1 return code is malformed.
    assert_decode_error(
        V311,
        &[0x90, 0x03, 0x00, 0x01, 0x03],
        CodecError::UnknownReasonCode {
            packet: PacketType::SubAck,
            value: 3,
        },
        ReasonCode::MalformedPacket,
    );
}

#[test]
fn connack_return_codes_map_to_the_equivalent_reason_codes() {
    // 3.1.1 section 3.2.2.3, table 3.1 and 5.0 section 3.2.2.2.
    let table = [
        (0u8, ReasonCode::Success),
        (1, ReasonCode::UnsupportedProtocolVersion),
        (2, ReasonCode::ClientIdentifierNotValid),
        (3, ReasonCode::ServerUnavailable),
        (4, ReasonCode::BadUserNameOrPassword),
        (5, ReasonCode::NotAuthorized),
    ];
    for (value, code) in table {
        let wire = [0x20, 0x02, 0x00, value];
        assert_eq!(decode_ok(V311, &wire), ConnAck::new(code).into());
        assert_eq!(&encode(&ConnAck::new(code).into(), V311)[..], &wire);
    }
}

#[test]
fn will_properties_are_refused_when_encoding_a_3_1_1_connect() {
    // 3.1.1 section 3.1.3.2: a will is a topic and a message, without properties.
    let mut connect = flowsdk_codec::Connect::new(string("c"));
    connect.protocol_version = V311;
    let mut will = flowsdk_codec::Will::new(
        flowsdk_codec::TopicName::new("w").expect("valid"),
        Bytes::new(),
    );
    will.properties.set_will_delay_interval(Some(5));
    connect.will = Some(will);
    assert_encode_refused(
        connect,
        V311,
        CodecError::PropertiesNotInVersion {
            packet: PacketType::Connect,
        },
    );
}
