//! The packets every codec benchmark encodes and decodes.
//!
//! The values are constants so that the benchmark can build the very same packets with another
//! library and check that both encode them to identical bytes before timing anything.

use bytes::Bytes;
use flowsdk_codec::{
    CodecError, Connect, MqttString, Packet, PacketId, Property, ProtocolVersion, Publish, QoS,
    RetainHandling, Subscribe, Subscription, SubscriptionOptions, TopicFilter, TopicName,
};

/// The protocol version of every workload.
pub const VERSION: ProtocolVersion = ProtocolVersion::V5;

/// The largest packet either decoder accepts: above the 64 KiB case, far below the protocol's
/// maximum, as a client or broker would configure it.
pub const MAX_PACKET_SIZE: u32 = 1024 * 1024;

/// The PUBLISH topic: 16 bytes.
pub const TOPIC: &str = "sensors/0042/tmp";

/// The PUBLISH packet identifier.
pub const PUBLISH_PACKET_ID: u16 = 0x1234;

/// Payload sizes of the PUBLISH cases, with the label each case is named by.
pub const PUBLISH_PAYLOADS: [(usize, &str); 4] =
    [(0, "0B"), (64, "64B"), (1024, "1KiB"), (64 * 1024, "64KiB")];

/// CONNECT of the mixed stream: client identifier.
pub const CLIENT_ID: &str = "flowsdk-bench-client-0001";
/// CONNECT: keep alive, seconds.
pub const KEEP_ALIVE: u16 = 30;
/// CONNECT: Session Expiry Interval, seconds.
pub const SESSION_EXPIRY: u32 = 3600;
/// CONNECT: Receive Maximum.
pub const RECEIVE_MAXIMUM: u16 = 64;
/// CONNECT: Topic Alias Maximum.
pub const TOPIC_ALIAS_MAXIMUM: u16 = 16;
/// CONNECT: the User Property.
pub const CONNECT_USER_PROPERTY: (&str, &str) = ("app", "flowsdk-bench");

/// SUBSCRIBE of the mixed stream: packet identifier.
pub const SUBSCRIBE_PACKET_ID: u16 = 2;
/// SUBSCRIBE: Subscription Identifier.
pub const SUBSCRIPTION_ID: u32 = 7;

/// One SUBSCRIBE filter and its options, in a form any MQTT library can take.
#[derive(Clone, Copy, Debug)]
pub struct FilterSpec {
    /// The topic filter.
    pub filter: &'static str,
    /// Maximum QoS, 0 to 2.
    pub qos: u8,
    /// No Local.
    pub no_local: bool,
    /// Retain As Published.
    pub retain_as_published: bool,
    /// Retain Handling, 0 to 2.
    pub retain_handling: u8,
}

/// SUBSCRIBE: the three filters.
pub const FILTERS: [FilterSpec; 3] = [
    FilterSpec {
        filter: "sensors/+/temperature",
        qos: 1,
        no_local: true,
        retain_as_published: false,
        retain_handling: 0,
    },
    FilterSpec {
        filter: "alerts/#",
        qos: 2,
        no_local: false,
        retain_as_published: true,
        retain_handling: 1,
    },
    FilterSpec {
        filter: "$share/workers/jobs/+/queued",
        qos: 0,
        no_local: false,
        retain_as_published: false,
        retain_handling: 2,
    },
];

/// PUBLISH of the mixed stream: packet identifier.
pub const MIXED_PUBLISH_PACKET_ID: u16 = 3;
/// PUBLISH: payload size.
pub const MIXED_PAYLOAD_LEN: usize = 256;
/// PUBLISH: Message Expiry Interval, seconds.
pub const MESSAGE_EXPIRY: u32 = 60;
/// PUBLISH: Topic Alias.
pub const TOPIC_ALIAS: u16 = 5;
/// PUBLISH: User Properties, in order.
pub const PUBLISH_USER_PROPERTIES: [(&str, &str); 2] =
    [("unit", "celsius"), ("source", "sensor-42")];
/// PUBLISH: Content Type.
pub const CONTENT_TYPE: &str = "application/json";

/// `len` bytes of a fixed, non-repeating-looking pattern.
pub fn payload(len: usize) -> Bytes {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// The PUBLISH of the single-packet cases: QoS 1, topic [`TOPIC`], no properties.
///
/// # Errors
/// Never with these constants; the codec's checks are kept on the way.
pub fn publish(payload_len: usize) -> Result<Publish, CodecError> {
    let mut publish = Publish::new(TopicName::new(TOPIC)?, payload(payload_len));
    publish.qos = QoS::AtLeastOnce;
    publish.packet_id = PacketId::new(PUBLISH_PACKET_ID);
    Ok(publish)
}

/// The mixed stream: a CONNECT with properties, a SUBSCRIBE with three filters and a
/// Subscription Identifier, and a QoS 1 PUBLISH with Message Expiry, Topic Alias, two User
/// Properties and a Content Type.
///
/// Properties are listed in the order rumqttc writes its property structs, so both libraries
/// produce the same bytes.
///
/// # Errors
/// Never with these constants.
pub fn mixed() -> Result<[Packet; 3], CodecError> {
    let mut connect = Connect::new(MqttString::new(CLIENT_ID)?);
    connect.keep_alive = KEEP_ALIVE;
    connect.clean_start = true;
    let p = &mut connect.properties;
    p.push(Property::SessionExpiryInterval(SESSION_EXPIRY));
    p.push(Property::ReceiveMaximum(RECEIVE_MAXIMUM));
    p.push(Property::MaximumPacketSize(MAX_PACKET_SIZE));
    p.push(Property::TopicAliasMaximum(TOPIC_ALIAS_MAXIMUM));
    p.push_user_property(CONNECT_USER_PROPERTY.0, CONNECT_USER_PROPERTY.1)?;

    let subscriptions = FILTERS
        .iter()
        .map(|f| {
            Ok(Subscription {
                filter: TopicFilter::new(f.filter)?,
                options: SubscriptionOptions {
                    qos: QoS::from_u8(f.qos)?,
                    no_local: f.no_local,
                    retain_as_published: f.retain_as_published,
                    retain_handling: match f.retain_handling {
                        0 => RetainHandling::SendAtSubscribe,
                        1 => RetainHandling::SendAtSubscribeIfNew,
                        _ => RetainHandling::DoNotSend,
                    },
                },
            })
        })
        .collect::<Result<Vec<_>, CodecError>>()?;
    let packet_id = PacketId::new(SUBSCRIBE_PACKET_ID).ok_or(CodecError::ZeroPacketId {
        packet: flowsdk_codec::PacketType::Subscribe,
    })?;
    let mut subscribe = Subscribe::new(packet_id, subscriptions);
    subscribe
        .properties
        .push(Property::SubscriptionIdentifier(SUBSCRIPTION_ID));

    let mut publish = Publish::new(TopicName::new(TOPIC)?, payload(MIXED_PAYLOAD_LEN));
    publish.qos = QoS::AtLeastOnce;
    publish.packet_id = PacketId::new(MIXED_PUBLISH_PACKET_ID);
    let p = &mut publish.properties;
    p.push(Property::MessageExpiryInterval(MESSAGE_EXPIRY));
    p.push(Property::TopicAlias(TOPIC_ALIAS));
    for (name, value) in PUBLISH_USER_PROPERTIES {
        p.push_user_property(name, value)?;
    }
    p.push(Property::ContentType(MqttString::new(CONTENT_TYPE)?));

    Ok([connect.into(), subscribe.into(), publish.into()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use flowsdk_codec::MqttDecoder;

    #[test]
    fn the_publish_topic_is_sixteen_bytes() {
        assert_eq!(TOPIC.len(), 16);
    }

    #[test]
    fn every_workload_round_trips_through_the_codec() {
        let mut wire = BytesMut::new();
        let mut expected = Vec::new();
        for (len, _) in PUBLISH_PAYLOADS {
            let p = Packet::from(publish(len).unwrap());
            p.encode(VERSION, &mut wire).unwrap();
            expected.push(p);
        }
        for p in mixed().unwrap() {
            p.encode(VERSION, &mut wire).unwrap();
            expected.push(p);
        }
        let mut decoder = MqttDecoder::new(VERSION).with_max_packet_size(MAX_PACKET_SIZE);
        for p in expected {
            assert_eq!(decoder.decode(&mut wire).unwrap(), Some(p));
        }
        assert!(wire.is_empty());
    }
}
