//! The specification's tables, copied from the MQTT 5.0 and 3.1.1 texts.
//!
//! Generators and tests use these instead of the codec's own tables, so that a codec table that
//! drifted from the specification fails a test instead of agreeing with itself.

use flowsdk_codec::{PacketType, PropertyId, ProtocolVersion, ReasonCode};

use PacketType as T;
use PropertyId as P;

/// Where a property block appears: a packet, or `None` for the will properties of a CONNECT.
pub(crate) type Scope = Option<PacketType>;

/// Every place a property block appears in MQTT 5.0.
pub(crate) const PROPERTY_SCOPES: [Scope; 14] = [
    Some(T::Connect),
    None,
    Some(T::ConnAck),
    Some(T::Publish),
    Some(T::PubAck),
    Some(T::PubRec),
    Some(T::PubRel),
    Some(T::PubComp),
    Some(T::Subscribe),
    Some(T::SubAck),
    Some(T::Unsubscribe),
    Some(T::UnsubAck),
    Some(T::Disconnect),
    Some(T::Auth),
];

/// Every packet type.
pub(crate) const PACKET_TYPES: [PacketType; 15] = [
    T::Connect,
    T::ConnAck,
    T::Publish,
    T::PubAck,
    T::PubRec,
    T::PubRel,
    T::PubComp,
    T::Subscribe,
    T::SubAck,
    T::Unsubscribe,
    T::UnsubAck,
    T::PingReq,
    T::PingResp,
    T::Disconnect,
    T::Auth,
];

/// Section 2.2.2.2, the table of properties and the packets that may carry them.
pub(crate) fn allowed_properties(scope: Scope) -> &'static [PropertyId] {
    match scope {
        None => &[
            P::PayloadFormatIndicator,
            P::MessageExpiryInterval,
            P::ContentType,
            P::ResponseTopic,
            P::CorrelationData,
            P::WillDelayInterval,
            P::UserProperty,
        ],
        Some(T::Connect) => &[
            P::SessionExpiryInterval,
            P::AuthenticationMethod,
            P::AuthenticationData,
            P::RequestProblemInformation,
            P::RequestResponseInformation,
            P::ReceiveMaximum,
            P::TopicAliasMaximum,
            P::UserProperty,
            P::MaximumPacketSize,
        ],
        Some(T::ConnAck) => &[
            P::SessionExpiryInterval,
            P::AssignedClientIdentifier,
            P::ServerKeepAlive,
            P::AuthenticationMethod,
            P::AuthenticationData,
            P::ResponseInformation,
            P::ServerReference,
            P::ReasonString,
            P::ReceiveMaximum,
            P::TopicAliasMaximum,
            P::MaximumQoS,
            P::RetainAvailable,
            P::UserProperty,
            P::MaximumPacketSize,
            P::WildcardSubscriptionAvailable,
            P::SubscriptionIdentifierAvailable,
            P::SharedSubscriptionAvailable,
        ],
        Some(T::Publish) => &[
            P::PayloadFormatIndicator,
            P::MessageExpiryInterval,
            P::ContentType,
            P::ResponseTopic,
            P::CorrelationData,
            P::SubscriptionIdentifier,
            P::TopicAlias,
            P::UserProperty,
        ],
        Some(T::PubAck | T::PubRec | T::PubRel | T::PubComp | T::SubAck | T::UnsubAck) => {
            &[P::ReasonString, P::UserProperty]
        }
        Some(T::Subscribe) => &[P::SubscriptionIdentifier, P::UserProperty],
        Some(T::Unsubscribe) => &[P::UserProperty],
        Some(T::Disconnect) => &[
            P::SessionExpiryInterval,
            P::ServerReference,
            P::ReasonString,
            P::UserProperty,
        ],
        Some(T::Auth) => &[
            P::AuthenticationMethod,
            P::AuthenticationData,
            P::ReasonString,
            P::UserProperty,
        ],
        Some(T::PingReq | T::PingResp) => &[],
    }
}

/// Section 2.2.2.2 and 3.3.2.3.8: User Property may repeat anywhere, Subscription Identifier
/// only in PUBLISH (one per matching subscription); every other property at most once.
pub(crate) fn may_repeat(id: PropertyId, scope: Scope) -> bool {
    id == P::UserProperty || (id == P::SubscriptionIdentifier && scope == Some(T::Publish))
}

/// The reason codes a packet may carry in MQTT 5.0, from each packet's own table
/// (3.2.2.2, 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1, 3.9.3, 3.11.3, 3.14.2.1, 3.15.2.1).
///
/// The summary table of section 2.4 also lists 0x8C (Bad authentication method) for
/// DISCONNECT, but the DISCONNECT table of 3.14.2.1, which [MQTT-3.14.2-1] refers to, does not;
/// the per-packet table is followed.
pub(crate) fn allowed_reason_codes(packet: PacketType) -> &'static [u8] {
    match packet {
        T::ConnAck => &[
            0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90,
            0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
        ],
        T::PubAck | T::PubRec => &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
        T::PubRel | T::PubComp => &[0x00, 0x92],
        T::SubAck => &[
            0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
        ],
        T::UnsubAck => &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91],
        T::Disconnect => &[
            0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93,
            0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1,
            0xA2,
        ],
        T::Auth => &[0x00, 0x18, 0x19],
        _ => &[],
    }
}

/// Every reason code value section 2.4 defines.
pub(crate) const DEFINED_REASON_CODES: [u8; 43] = [
    0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
    0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];

/// The reason codes that can be expressed in a packet of `packet` type in `version`: the 5.0
/// table, or in 3.1.1 the CONNACK return codes 0 to 5 (as their 5.0 equivalents), the SUBACK
/// return codes 0, 1, 2 and 0x80, and Success alone for the packets that carry no code.
pub(crate) fn expressible_reason_codes(packet: PacketType, version: ProtocolVersion) -> Vec<u8> {
    match version {
        ProtocolVersion::V5 => allowed_reason_codes(packet).to_vec(),
        ProtocolVersion::V311 => match packet {
            // 0 accepted, 1 unacceptable protocol version, 2 identifier rejected, 3 server
            // unavailable, 4 bad user name or password, 5 not authorized.
            T::ConnAck => vec![0x00, 0x84, 0x85, 0x88, 0x86, 0x87],
            T::SubAck => vec![0x00, 0x01, 0x02, 0x80],
            _ => vec![0x00],
        },
    }
}

/// The reason code for a byte the specification defines.
pub(crate) fn code(value: u8) -> ReasonCode {
    ReasonCode::try_from(value).unwrap_or_else(|v| panic!("0x{v:02X} is a defined reason code"))
}

/// A wire-format value of the right type for each property, hand-written: identifier byte,
/// then the value. Used to build property blocks byte by byte.
pub(crate) fn raw_property(id: PropertyId) -> Vec<u8> {
    let mut out = vec![id.as_u8()];
    out.extend_from_slice(match id {
        P::PayloadFormatIndicator => &[0x01],
        P::MessageExpiryInterval => &[0, 0, 0, 10],
        P::ContentType => &[0, 4, b't', b'e', b'x', b't'],
        P::ResponseTopic => &[0, 3, b'r', b'/', b't'],
        P::CorrelationData => &[0, 2, 0xCA, 0xFE],
        P::SubscriptionIdentifier => &[0x05],
        P::SessionExpiryInterval => &[0, 0, 0, 60],
        P::AssignedClientIdentifier => &[0, 2, b'i', b'd'],
        P::ServerKeepAlive => &[0, 30],
        P::AuthenticationMethod => &[0, 1, b'm'],
        P::AuthenticationData => &[0, 1, 0x01],
        P::RequestProblemInformation => &[1],
        P::WillDelayInterval => &[0, 0, 0, 5],
        P::RequestResponseInformation => &[1],
        P::ResponseInformation => &[0, 1, b'i'],
        P::ServerReference => &[0, 1, b's'],
        P::ReasonString => &[0, 2, b'o', b'k'],
        P::ReceiveMaximum => &[0, 10],
        P::TopicAliasMaximum => &[0, 10],
        P::TopicAlias => &[0, 1],
        P::MaximumQoS => &[1],
        P::RetainAvailable => &[1],
        P::UserProperty => &[0, 1, b'k', 0, 1, b'v'],
        P::MaximumPacketSize => &[0, 0, 4, 0],
        P::WildcardSubscriptionAvailable => &[1],
        P::SubscriptionIdentifierAvailable => &[1],
        P::SharedSubscriptionAvailable => &[1],
    });
    out
}
