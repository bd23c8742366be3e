//! Helpers for hand-written frames and exact-error assertions.

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{
    Auth, CodecError, ConnAck, Connect, Disconnect, MqttDecoder, MqttString, Packet, PacketId,
    PacketType, PayloadFormat, Properties, Property, PropertyId, ProtocolVersion, PubAck, PubComp,
    PubRec, PubRel, Publish, QoS, ReasonCode, SubAck, Subscribe, Subscription, TopicFilter,
    TopicName, UnsubAck, Unsubscribe, Will,
};

use super::spec::Scope;

pub(crate) const V5: ProtocolVersion = ProtocolVersion::V5;
pub(crate) const V311: ProtocolVersion = ProtocolVersion::V311;
pub(crate) const BOTH: [ProtocolVersion; 2] = [V5, V311];

/// Bytes already in the output buffer before an encode, to show a refused encode appends nothing.
const SENTINEL: &[u8] = b"earlier";

/// A Variable Byte Integer, written out independently of the codec (section 1.5.5).
pub(crate) fn vbi(mut value: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut byte = (value % 128) as u8;
        value /= 128;
        if value > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if value == 0 {
            return out;
        }
    }
}

/// A whole packet: `first` (type and flags), the remaining length, then `parts` back to back.
pub(crate) fn frame(first: u8, parts: &[&[u8]]) -> Vec<u8> {
    let body = parts.concat();
    let mut out = vec![first];
    out.extend(vbi(body.len()));
    out.extend(body);
    out
}

/// A length-prefixed string or binary field.
pub(crate) fn field(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A property block: Variable Byte Integer length, then `properties` back to back.
pub(crate) fn block(properties: &[&[u8]]) -> Vec<u8> {
    let body = properties.concat();
    let mut out = vbi(body.len());
    out.extend(body);
    out
}

/// The smallest 5.0 packet of each kind carrying `props` as its property block (for `None`,
/// as the will properties of a CONNECT). Hand-written so that property rules can be tested
/// in every place a property block appears.
pub(crate) fn v5_frame_with_properties(scope: Scope, props: &[u8]) -> Vec<u8> {
    const MQTT5: &[u8] = &[0, 4, b'M', b'Q', b'T', b'T', 5];
    match scope {
        // flags: clean start; keep alive 60; properties; client id "c"
        Some(PacketType::Connect) => frame(0x10, &[MQTT5, &[0x02, 0, 60], props, &field(b"c")]),
        // flags: will + clean start; no CONNECT properties; client id; will properties;
        // will topic "t"; empty will payload
        None => frame(
            0x10,
            &[
                MQTT5,
                &[0x06, 0, 60, 0],
                &field(b"c"),
                props,
                &field(b"t"),
                &[0, 0],
            ],
        ),
        // no session present, success
        Some(PacketType::ConnAck) => frame(0x20, &[&[0, 0], props]),
        // QoS 0, topic "t", empty payload
        Some(PacketType::Publish) => frame(0x30, &[&field(b"t"), props]),
        // packet id 1, reason code success
        Some(PacketType::PubAck) => frame(0x40, &[&[0, 1, 0], props]),
        Some(PacketType::PubRec) => frame(0x50, &[&[0, 1, 0], props]),
        Some(PacketType::PubRel) => frame(0x62, &[&[0, 1, 0], props]),
        Some(PacketType::PubComp) => frame(0x70, &[&[0, 1, 0], props]),
        // packet id 1, filter "t" at QoS 0
        Some(PacketType::Subscribe) => frame(0x82, &[&[0, 1], props, &field(b"t"), &[0]]),
        // packet id 1, one reason code: granted QoS 0
        Some(PacketType::SubAck) => frame(0x90, &[&[0, 1], props, &[0]]),
        Some(PacketType::Unsubscribe) => frame(0xA2, &[&[0, 1], props, &field(b"t")]),
        Some(PacketType::UnsubAck) => frame(0xB0, &[&[0, 1], props, &[0]]),
        // normal disconnection
        Some(PacketType::Disconnect) => frame(0xE0, &[&[0], props]),
        // success
        Some(PacketType::Auth) => frame(0xF0, &[&[0], props]),
        Some(PacketType::PingReq | PacketType::PingResp) => {
            panic!("PINGREQ and PINGRESP have no properties")
        }
    }
}

/// The smallest valid packet of each kind that has properties, carrying `properties` (for
/// `None`, as will properties). The typed twin of [`v5_frame_with_properties`].
pub(crate) fn packet_with_properties(scope: Scope, properties: Properties) -> Packet {
    let id = pid(1);
    let topic = || TopicName::new("t").expect("valid topic");
    let filter = || TopicFilter::new("t").expect("valid filter");
    match scope {
        Some(PacketType::Connect) => {
            let mut connect = Connect::new(string("c"));
            connect.properties = properties;
            connect.into()
        }
        None => {
            let mut connect = Connect::new(string("c"));
            let mut will = Will::new(topic(), Bytes::new());
            will.properties = properties;
            connect.will = Some(will);
            connect.into()
        }
        Some(PacketType::ConnAck) => ConnAck {
            properties,
            ..ConnAck::new(ReasonCode::Success)
        }
        .into(),
        Some(PacketType::Publish) => Publish {
            properties,
            ..Publish::new(topic(), Bytes::new())
        }
        .into(),
        Some(PacketType::PubAck) => PubAck {
            properties,
            ..PubAck::new(id)
        }
        .into(),
        Some(PacketType::PubRec) => PubRec {
            properties,
            ..PubRec::new(id)
        }
        .into(),
        Some(PacketType::PubRel) => PubRel {
            properties,
            ..PubRel::new(id)
        }
        .into(),
        Some(PacketType::PubComp) => PubComp {
            properties,
            ..PubComp::new(id)
        }
        .into(),
        Some(PacketType::Subscribe) => Subscribe {
            properties,
            ..Subscribe::new(id, vec![Subscription::new(filter(), QoS::AtMostOnce)])
        }
        .into(),
        Some(PacketType::SubAck) => SubAck {
            properties,
            ..SubAck::new(id, vec![ReasonCode::Success])
        }
        .into(),
        Some(PacketType::Unsubscribe) => Unsubscribe {
            properties,
            ..Unsubscribe::new(id, vec![filter()])
        }
        .into(),
        Some(PacketType::UnsubAck) => UnsubAck {
            properties,
            ..UnsubAck::new(id, vec![ReasonCode::Success])
        }
        .into(),
        Some(PacketType::Disconnect) => Disconnect {
            properties,
            ..Disconnect::default()
        }
        .into(),
        Some(PacketType::Auth) => Auth {
            properties,
            ..Auth::default()
        }
        .into(),
        Some(PacketType::PingReq | PacketType::PingResp) => {
            panic!("PINGREQ and PINGRESP have no properties")
        }
    }
}

/// The typed value [`super::spec::raw_property`] writes for `id`.
pub(crate) fn typed_property(id: PropertyId) -> Property {
    use Property as P;
    match id {
        PropertyId::PayloadFormatIndicator => P::PayloadFormatIndicator(PayloadFormat::Utf8),
        PropertyId::MessageExpiryInterval => P::MessageExpiryInterval(10),
        PropertyId::ContentType => P::ContentType(string("text")),
        PropertyId::ResponseTopic => P::ResponseTopic(TopicName::new("r/t").expect("valid")),
        PropertyId::CorrelationData => P::CorrelationData(Bytes::from_static(&[0xCA, 0xFE])),
        PropertyId::SubscriptionIdentifier => P::SubscriptionIdentifier(5),
        PropertyId::SessionExpiryInterval => P::SessionExpiryInterval(60),
        PropertyId::AssignedClientIdentifier => P::AssignedClientIdentifier(string("id")),
        PropertyId::ServerKeepAlive => P::ServerKeepAlive(30),
        PropertyId::AuthenticationMethod => P::AuthenticationMethod(string("m")),
        PropertyId::AuthenticationData => P::AuthenticationData(Bytes::from_static(&[0x01])),
        PropertyId::RequestProblemInformation => P::RequestProblemInformation(true),
        PropertyId::WillDelayInterval => P::WillDelayInterval(5),
        PropertyId::RequestResponseInformation => P::RequestResponseInformation(true),
        PropertyId::ResponseInformation => P::ResponseInformation(string("i")),
        PropertyId::ServerReference => P::ServerReference(string("s")),
        PropertyId::ReasonString => P::ReasonString(string("ok")),
        PropertyId::ReceiveMaximum => P::ReceiveMaximum(10),
        PropertyId::TopicAliasMaximum => P::TopicAliasMaximum(10),
        PropertyId::TopicAlias => P::TopicAlias(1),
        PropertyId::MaximumQoS => P::MaximumQoS(QoS::AtLeastOnce),
        PropertyId::RetainAvailable => P::RetainAvailable(true),
        PropertyId::UserProperty => P::UserProperty(string("k"), string("v")),
        PropertyId::MaximumPacketSize => P::MaximumPacketSize(1024),
        PropertyId::WildcardSubscriptionAvailable => P::WildcardSubscriptionAvailable(true),
        PropertyId::SubscriptionIdentifierAvailable => P::SubscriptionIdentifierAvailable(true),
        PropertyId::SharedSubscriptionAvailable => P::SharedSubscriptionAvailable(true),
    }
}

pub(crate) fn string(s: &str) -> MqttString {
    MqttString::new(s).expect("valid MQTT string")
}

pub(crate) fn pid(id: u16) -> PacketId {
    PacketId::new(id).expect("non-zero packet id")
}

/// Encodes `packet`, which must be valid in `version`.
#[track_caller]
pub(crate) fn encode(packet: &Packet, version: ProtocolVersion) -> Bytes {
    let mut out = BytesMut::new();
    if let Err(e) = packet.encode(version, &mut out) {
        panic!("{packet:?} did not encode as {version}: {e}");
    }
    out.freeze()
}

/// Decodes one whole packet through both entry points, which must agree.
#[track_caller]
pub(crate) fn decode(version: ProtocolVersion, bytes: &[u8]) -> Result<Packet, CodecError> {
    let mut buf = BytesMut::from(bytes);
    let incremental = match MqttDecoder::new(version).decode(&mut buf) {
        Ok(Some(packet)) => {
            assert!(buf.is_empty(), "the decoder left {} bytes", buf.len());
            Ok(packet)
        }
        Ok(None) => panic!("{bytes:02X?} is not a whole packet"),
        Err(e) => Err(e),
    };
    let whole = Packet::decode(version, Bytes::copy_from_slice(bytes));
    assert_eq!(
        incremental, whole,
        "MqttDecoder and Packet::decode disagree on {bytes:02X?}"
    );
    incremental
}

/// Decodes `bytes`, which must be one valid packet in `version`.
#[track_caller]
pub(crate) fn decode_ok(version: ProtocolVersion, bytes: &[u8]) -> Packet {
    decode(version, bytes)
        .unwrap_or_else(|e| panic!("{bytes:02X?} did not decode as {version}: {e}"))
}

/// Asserts that `bytes`, one whole packet, fails to decode in `version` with exactly
/// `expected`, and that the error asks for `reason`.
#[track_caller]
pub(crate) fn assert_decode_error(
    version: ProtocolVersion,
    bytes: &[u8],
    expected: CodecError,
    reason: ReasonCode,
) {
    match decode(version, bytes) {
        Ok(packet) => {
            panic!("{bytes:02X?} decoded as {version} to {packet:?}; expected {expected:?}")
        }
        Err(err) => {
            assert_eq!(err, expected, "decoding {bytes:02X?} as {version}");
            assert_eq!(err.reason_code(), Some(reason), "reason code of {err:?}");
        }
    }
}

/// Asserts that encoding `packet` in `version` fails with exactly `expected`, that
/// `encoded_len` reports the same error, and that nothing was appended to the buffer.
#[track_caller]
pub(crate) fn assert_encode_refused(
    packet: impl Into<Packet>,
    version: ProtocolVersion,
    expected: CodecError,
) {
    let packet = packet.into();
    let mut out = BytesMut::from(SENTINEL);
    assert_eq!(
        packet.encode(version, &mut out),
        Err(expected.clone()),
        "encoding {packet:?} as {version}"
    );
    assert_eq!(&out[..], SENTINEL, "a refused encode appended bytes");
    assert_eq!(packet.encoded_len(version), Err(expected), "encoded_len");
}
