//! proptest strategies generating any valid packet of MQTT 5.0 (15 types) and 3.1.1 (14 types).
//!
//! Valid means valid by the specification: properties come from each packet's allowed set in
//! [`super::spec`] (repeated User Properties, several Subscription Identifiers in PUBLISH),
//! reason codes from each packet's table, strings are any Unicode without U+0000. In 3.1.1
//! there are no properties, only the reason codes 3.1.1 can express, no AUTH, an UNSUBACK
//! without reason codes, a password only with a user name, and subscription options that
//! carry nothing but the QoS.

use bytes::Bytes;
use flowsdk_codec::{
    Auth, ConnAck, Connect, Disconnect, MqttString, Packet, PacketId, PacketType, PayloadFormat,
    Properties, Property, PropertyId, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish,
    QoS, ReasonCode, RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions,
    TopicFilter, TopicName, UnsubAck, Unsubscribe, Will,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;

use super::spec::{self, Scope};
use super::support::{V311, V5};

/// Either protocol version.
pub(crate) fn version() -> BoxedStrategy<ProtocolVersion> {
    prop_oneof![Just(V5), Just(V311)].boxed()
}

/// The text of a UTF-8 string field: mostly ASCII, often any Unicode scalar value but U+0000
/// (surrogates cannot occur in a Rust `String`), sometimes a BOM or a supplementary-plane
/// character (the specification's own example, U+2A6D4).
pub(crate) fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 _./-]{0,12}",
        3 => "[^\\x00]{0,8}",
        1 => Just("\u{FEFF}bom".to_owned()),
        1 => Just("A\u{2A6D4}".to_owned()),
    ]
    .boxed()
}

pub(crate) fn mqtt_string() -> BoxedStrategy<MqttString> {
    text()
        .prop_map(|s| MqttString::new(s).expect("no U+0000 and short"))
        .boxed()
}

/// One topic level: no `/`, no wildcard, no U+0000; may be empty.
fn level() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-z0-9]{0,6}",
        1 => "[^\\x00+#/]{1,4}",
    ]
    .boxed()
}

/// Any valid topic name, `$` topics included.
pub(crate) fn topic_name() -> BoxedStrategy<TopicName> {
    prop_oneof![
        8 => vec(level(), 1..5).prop_map(|levels| levels.join("/")),
        1 => Just("$SYS/broker/load".to_owned()),
        1 => Just("/".to_owned()),
    ]
    .prop_filter_map("topic names are at least one character", |s| {
        TopicName::new(s).ok()
    })
    .boxed()
}

/// Any valid topic filter: `+` at any level, `#` last, and shared subscriptions
/// `$share/{ShareName}/{filter}`.
pub(crate) fn topic_filter() -> BoxedStrategy<TopicFilter> {
    let filter_level = prop_oneof![4 => level(), 1 => Just("+".to_owned())];
    let plain = prop_oneof![
        8 => (vec(filter_level, 1..5), any::<bool>()).prop_map(|(mut levels, hash)| {
            if hash {
                levels.push("#".to_owned());
            }
            levels.join("/")
        }),
        1 => Just("#".to_owned()),
    ];
    let share_name = prop_oneof!["[a-zA-Z0-9_]{1,8}", "[^\\x00+#/]{1,4}"];
    (option::weighted(0.2, share_name), plain)
        .prop_map(|(share, filter)| match share {
            Some(share) => format!("$share/{share}/{filter}"),
            None => filter,
        })
        .prop_filter_map("filters are at least one character", |s| {
            TopicFilter::new(s).ok()
        })
        .boxed()
}

/// Binary Data (section 1.5.6): short, possibly empty.
pub(crate) fn binary() -> BoxedStrategy<Bytes> {
    vec(any::<u8>(), 0..24).prop_map(Bytes::from).boxed()
}

/// An application payload: usually short, sometimes empty, now and then over 64 KiB (built
/// from a seed, so that generating and shrinking it stays cheap).
pub(crate) fn payload() -> BoxedStrategy<Bytes> {
    prop_oneof![
        12 => vec(any::<u8>(), 0..64).prop_map(Bytes::from),
        2 => Just(Bytes::new()),
        1 => (any::<u8>(), 65_536usize..150_000).prop_map(|(seed, len)| {
            (0..len)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
                .collect::<Vec<u8>>()
                .into()
        }),
    ]
    .boxed()
}

pub(crate) fn packet_id() -> BoxedStrategy<PacketId> {
    (1..=u16::MAX)
        .prop_map(|id| PacketId::new(id).expect("non-zero"))
        .boxed()
}

pub(crate) fn qos() -> BoxedStrategy<QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
    .boxed()
}

/// Any valid value of property `id`.
pub(crate) fn property(id: PropertyId) -> BoxedStrategy<Property> {
    use Property as P;
    use PropertyId as I;
    match id {
        I::PayloadFormatIndicator => prop_oneof![
            Just(P::PayloadFormatIndicator(PayloadFormat::Unspecified)),
            Just(P::PayloadFormatIndicator(PayloadFormat::Utf8)),
        ]
        .boxed(),
        I::MessageExpiryInterval => any::<u32>().prop_map(P::MessageExpiryInterval).boxed(),
        I::ContentType => mqtt_string().prop_map(P::ContentType).boxed(),
        I::ResponseTopic => topic_name().prop_map(P::ResponseTopic).boxed(),
        I::CorrelationData => binary().prop_map(P::CorrelationData).boxed(),
        I::SubscriptionIdentifier => prop_oneof![1u32..128, 1u32..=268_435_455]
            .prop_map(P::SubscriptionIdentifier)
            .boxed(),
        I::SessionExpiryInterval => any::<u32>().prop_map(P::SessionExpiryInterval).boxed(),
        I::AssignedClientIdentifier => mqtt_string().prop_map(P::AssignedClientIdentifier).boxed(),
        I::ServerKeepAlive => any::<u16>().prop_map(P::ServerKeepAlive).boxed(),
        I::AuthenticationMethod => mqtt_string().prop_map(P::AuthenticationMethod).boxed(),
        I::AuthenticationData => binary().prop_map(P::AuthenticationData).boxed(),
        I::RequestProblemInformation => {
            any::<bool>().prop_map(P::RequestProblemInformation).boxed()
        }
        I::WillDelayInterval => any::<u32>().prop_map(P::WillDelayInterval).boxed(),
        I::RequestResponseInformation => any::<bool>()
            .prop_map(P::RequestResponseInformation)
            .boxed(),
        I::ResponseInformation => mqtt_string().prop_map(P::ResponseInformation).boxed(),
        I::ServerReference => mqtt_string().prop_map(P::ServerReference).boxed(),
        I::ReasonString => mqtt_string().prop_map(P::ReasonString).boxed(),
        I::ReceiveMaximum => (1..=u16::MAX).prop_map(P::ReceiveMaximum).boxed(),
        I::TopicAliasMaximum => any::<u16>().prop_map(P::TopicAliasMaximum).boxed(),
        I::TopicAlias => (1..=u16::MAX).prop_map(P::TopicAlias).boxed(),
        I::MaximumQoS => prop_oneof![
            Just(P::MaximumQoS(QoS::AtMostOnce)),
            Just(P::MaximumQoS(QoS::AtLeastOnce)),
        ]
        .boxed(),
        I::RetainAvailable => any::<bool>().prop_map(P::RetainAvailable).boxed(),
        I::UserProperty => (mqtt_string(), mqtt_string())
            .prop_map(|(k, v)| P::UserProperty(k, v))
            .boxed(),
        I::MaximumPacketSize => (1..=u32::MAX).prop_map(P::MaximumPacketSize).boxed(),
        I::WildcardSubscriptionAvailable => any::<bool>()
            .prop_map(P::WildcardSubscriptionAvailable)
            .boxed(),
        I::SubscriptionIdentifierAvailable => any::<bool>()
            .prop_map(P::SubscriptionIdentifierAvailable)
            .boxed(),
        I::SharedSubscriptionAvailable => any::<bool>()
            .prop_map(P::SharedSubscriptionAvailable)
            .boxed(),
    }
}

/// Any valid property list for `scope` in `version`: empty in 3.1.1; in 5.0 often empty, else a
/// random subset of the allowed properties, the repeatable ones zero to three times, in random
/// order, with an Authentication Method whenever there is Authentication Data.
pub(crate) fn properties(scope: Scope, version: ProtocolVersion) -> BoxedStrategy<Properties> {
    if version == V311 {
        return Just(Properties::new()).boxed();
    }
    let allowed = spec::allowed_properties(scope);
    let once: Vec<_> = allowed
        .iter()
        .filter(|&&id| !spec::may_repeat(id, scope))
        .map(|&id| option::weighted(0.2, property(id)))
        .collect();
    let repeated: Vec<_> = allowed
        .iter()
        .filter(|&&id| spec::may_repeat(id, scope))
        .map(|&id| vec(property(id), 0..4))
        .collect();
    let generated = (once, repeated)
        .prop_flat_map(|(once, repeated)| {
            let mut all: Vec<Property> = once
                .into_iter()
                .flatten()
                .chain(repeated.into_iter().flatten())
                .collect();
            let has = |all: &[Property], id| all.iter().any(|p| p.id() == id);
            if has(&all, PropertyId::AuthenticationData)
                && !has(&all, PropertyId::AuthenticationMethod)
            {
                all.push(Property::AuthenticationMethod(
                    MqttString::new("SCRAM-SHA-256").expect("valid"),
                ));
            }
            Just(all).prop_shuffle()
        })
        .prop_map(Properties::from);
    // A quarter of the packets carry no properties at all.
    prop_oneof![1 => Just(Properties::new()), 3 => generated].boxed()
}

/// A reason code `packet` may carry in `version`.
pub(crate) fn reason_code(
    packet: PacketType,
    version: ProtocolVersion,
) -> BoxedStrategy<ReasonCode> {
    select(spec::expressible_reason_codes(packet, version))
        .prop_map(spec::code)
        .boxed()
}

pub(crate) fn will(version: ProtocolVersion) -> BoxedStrategy<Will> {
    (
        topic_name(),
        binary(),
        qos(),
        any::<bool>(),
        properties(None, version),
    )
        .prop_map(|(topic, payload, qos, retain, properties)| Will {
            topic,
            payload,
            qos,
            retain,
            properties,
        })
        .boxed()
}

pub(crate) fn connect(version: ProtocolVersion) -> BoxedStrategy<Connect> {
    (
        any::<bool>(),
        any::<u16>(),
        prop_oneof![1 => Just(MqttString::default()), 4 => mqtt_string()],
        option::weighted(0.4, will(version)),
        option::of(mqtt_string()),
        option::of(binary()),
        properties(Some(PacketType::Connect), version),
    )
        .prop_map(
            move |(clean_start, keep_alive, client_id, will, username, password, properties)| {
                // [MQTT-3.1.2-22 (3.1.1)]: no password without a user name in 3.1.1.
                let password = if version == V311 && username.is_none() {
                    None
                } else {
                    password
                };
                Connect {
                    protocol_version: version,
                    clean_start,
                    keep_alive,
                    client_id,
                    will,
                    username,
                    password,
                    properties,
                }
            },
        )
        .boxed()
}

pub(crate) fn connack(version: ProtocolVersion) -> BoxedStrategy<ConnAck> {
    (
        any::<bool>(),
        reason_code(PacketType::ConnAck, version),
        properties(Some(PacketType::ConnAck), version),
    )
        .prop_map(|(session_present, reason_code, properties)| ConnAck {
            // [MQTT-3.2.2-6]: Session Present only on success.
            session_present: session_present && reason_code.as_u8() < 0x80,
            reason_code,
            properties,
        })
        .boxed()
}

pub(crate) fn publish(version: ProtocolVersion) -> BoxedStrategy<Publish> {
    // In 5.0 a PUBLISH may leave the topic empty when a Topic Alias names it (3.3.2.3.4).
    let topic = if version == V5 {
        prop_oneof![8 => topic_name().prop_map(Some), 1 => Just(None)].boxed()
    } else {
        topic_name().prop_map(Some).boxed()
    };
    (
        qos(),
        any::<bool>(),
        any::<bool>(),
        topic,
        1..=u16::MAX,
        packet_id(),
        properties(Some(PacketType::Publish), version),
        payload(),
    )
        .prop_map(
            |(qos, dup, retain, topic, alias, id, mut properties, payload)| {
                let topic = topic.unwrap_or_else(|| {
                    if properties.topic_alias().is_none() {
                        properties.push(Property::TopicAlias(alias));
                    }
                    TopicName::empty()
                });
                let at_least_once = qos != QoS::AtMostOnce;
                Publish {
                    // [MQTT-3.3.1-2]: DUP only above QoS 0; [MQTT-2.2.1-2]: no id at QoS 0.
                    dup: dup && at_least_once,
                    qos,
                    retain,
                    topic,
                    packet_id: at_least_once.then_some(id),
                    properties,
                    payload,
                }
            },
        )
        .boxed()
}

macro_rules! ack_strategy {
    ($name:ident, $ty:ident) => {
        pub(crate) fn $name(version: ProtocolVersion) -> BoxedStrategy<$ty> {
            (
                packet_id(),
                reason_code(PacketType::$ty, version),
                properties(Some(PacketType::$ty), version),
            )
                .prop_map(|(packet_id, reason_code, properties)| $ty {
                    packet_id,
                    reason_code,
                    properties,
                })
                .boxed()
        }
    };
}

ack_strategy!(puback, PubAck);
ack_strategy!(pubrec, PubRec);
ack_strategy!(pubrel, PubRel);
ack_strategy!(pubcomp, PubComp);

pub(crate) fn subscription(version: ProtocolVersion) -> BoxedStrategy<Subscription> {
    let retain_handling = prop_oneof![
        Just(RetainHandling::SendAtSubscribe),
        Just(RetainHandling::SendAtSubscribeIfNew),
        Just(RetainHandling::DoNotSend),
    ];
    (
        topic_filter(),
        qos(),
        any::<bool>(),
        any::<bool>(),
        retain_handling,
    )
        .prop_map(
            move |(filter, qos, no_local, retain_as_published, retain_handling)| {
                let options = if version == V311 {
                    SubscriptionOptions::new(qos)
                } else {
                    SubscriptionOptions {
                        qos,
                        // [MQTT-3.8.3-4]: no No Local on a shared subscription.
                        no_local: no_local && !filter.as_str().starts_with("$share/"),
                        retain_as_published,
                        retain_handling,
                    }
                };
                Subscription { filter, options }
            },
        )
        .boxed()
}

pub(crate) fn subscribe(version: ProtocolVersion) -> BoxedStrategy<Subscribe> {
    (
        packet_id(),
        vec(subscription(version), 1..5),
        properties(Some(PacketType::Subscribe), version),
    )
        .prop_map(|(packet_id, subscriptions, properties)| Subscribe {
            packet_id,
            subscriptions,
            properties,
        })
        .boxed()
}

pub(crate) fn suback(version: ProtocolVersion) -> BoxedStrategy<SubAck> {
    (
        packet_id(),
        vec(reason_code(PacketType::SubAck, version), 1..6),
        properties(Some(PacketType::SubAck), version),
    )
        .prop_map(|(packet_id, reason_codes, properties)| SubAck {
            packet_id,
            reason_codes,
            properties,
        })
        .boxed()
}

pub(crate) fn unsubscribe(version: ProtocolVersion) -> BoxedStrategy<Unsubscribe> {
    (
        packet_id(),
        vec(topic_filter(), 1..5),
        properties(Some(PacketType::Unsubscribe), version),
    )
        .prop_map(|(packet_id, filters, properties)| Unsubscribe {
            packet_id,
            filters,
            properties,
        })
        .boxed()
}

pub(crate) fn unsuback(version: ProtocolVersion) -> BoxedStrategy<UnsubAck> {
    // A 3.1.1 UNSUBACK has no payload, hence no reason codes.
    let codes = if version == V5 {
        vec(reason_code(PacketType::UnsubAck, version), 1..6).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (
        packet_id(),
        codes,
        properties(Some(PacketType::UnsubAck), version),
    )
        .prop_map(|(packet_id, reason_codes, properties)| UnsubAck {
            packet_id,
            reason_codes,
            properties,
        })
        .boxed()
}

pub(crate) fn disconnect(version: ProtocolVersion) -> BoxedStrategy<Disconnect> {
    (
        reason_code(PacketType::Disconnect, version),
        properties(Some(PacketType::Disconnect), version),
    )
        .prop_map(|(reason_code, properties)| Disconnect {
            reason_code,
            properties,
        })
        .boxed()
}

/// AUTH exists only in 5.0.
pub(crate) fn auth() -> BoxedStrategy<Auth> {
    (
        reason_code(PacketType::Auth, V5),
        properties(Some(PacketType::Auth), V5),
    )
        .prop_map(|(reason_code, properties)| Auth {
            reason_code,
            properties,
        })
        .boxed()
}

/// Any valid packet of type `packet` in `version`.
///
/// # Panics
/// For AUTH in 3.1.1, which has no AUTH packet.
pub(crate) fn packet_of_type(
    packet: PacketType,
    version: ProtocolVersion,
) -> BoxedStrategy<Packet> {
    use PacketType as T;
    match packet {
        T::Connect => connect(version).prop_map(Packet::from).boxed(),
        T::ConnAck => connack(version).prop_map(Packet::from).boxed(),
        T::Publish => publish(version).prop_map(Packet::from).boxed(),
        T::PubAck => puback(version).prop_map(Packet::from).boxed(),
        T::PubRec => pubrec(version).prop_map(Packet::from).boxed(),
        T::PubRel => pubrel(version).prop_map(Packet::from).boxed(),
        T::PubComp => pubcomp(version).prop_map(Packet::from).boxed(),
        T::Subscribe => subscribe(version).prop_map(Packet::from).boxed(),
        T::SubAck => suback(version).prop_map(Packet::from).boxed(),
        T::Unsubscribe => unsubscribe(version).prop_map(Packet::from).boxed(),
        T::UnsubAck => unsuback(version).prop_map(Packet::from).boxed(),
        T::PingReq => Just(Packet::PingReq).boxed(),
        T::PingResp => Just(Packet::PingResp).boxed(),
        T::Disconnect => disconnect(version).prop_map(Packet::from).boxed(),
        T::Auth => {
            assert_eq!(version, V5, "3.1.1 has no AUTH packet");
            auth().prop_map(Packet::from).boxed()
        }
    }
}

/// The packet types of `version`: all fifteen in 5.0, all but AUTH in 3.1.1.
pub(crate) fn packet_types(version: ProtocolVersion) -> Vec<PacketType> {
    spec::PACKET_TYPES
        .into_iter()
        .filter(|&t| version == V5 || t != PacketType::Auth)
        .collect()
}

/// Any valid packet of any type in `version`, each type equally likely.
pub(crate) fn any_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    Union::new(
        packet_types(version)
            .into_iter()
            .map(|t| packet_of_type(t, version)),
    )
    .boxed()
}

/// A version and a stream of one to five valid packets for it.
pub(crate) fn packet_stream() -> BoxedStrategy<(ProtocolVersion, Vec<Packet>)> {
    version()
        .prop_flat_map(|v| (Just(v), vec(any_packet(v), 1..6)))
        .boxed()
}
