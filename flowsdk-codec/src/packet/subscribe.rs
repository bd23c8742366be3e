//! SUBSCRIBE (section 3.8) and its subscription options.

use bytes::{BufMut, BytesMut};

use super::common::{measure_properties, read_packet_id, read_properties};
use super::{packet_api, Body, Lens};
use crate::wire::{put_str, Reader};
use crate::{CodecError, PacketId, PacketType, Properties, ProtocolVersion, QoS, TopicFilter};

/// Retain Handling: when retained messages are sent for a new subscription (section 3.8.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum RetainHandling {
    /// 0: send retained messages at the time of the subscribe [MQTT-3.3.1-9].
    #[default]
    SendAtSubscribe = 0,
    /// 1: send them only if the subscription did not already exist [MQTT-3.3.1-10].
    SendAtSubscribeIfNew = 1,
    /// 2: do not send them [MQTT-3.3.1-11].
    DoNotSend = 2,
}

/// The options of one subscription (section 3.8.3.1). In 3.1.1 only `qos` exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubscriptionOptions {
    /// Maximum QoS the server may deliver with.
    pub qos: QoS,
    /// No Local: do not receive one's own publications [MQTT-3.8.3-3].
    pub no_local: bool,
    /// Retain As Published: keep the publisher's RETAIN flag [MQTT-3.3.1-13].
    pub retain_as_published: bool,
    /// When to send retained messages.
    pub retain_handling: RetainHandling,
}

impl SubscriptionOptions {
    /// Options with `qos` and everything else at its default.
    pub fn new(qos: QoS) -> Self {
        SubscriptionOptions {
            qos,
            ..Self::default()
        }
    }

    /// The options byte.
    pub fn to_byte(self) -> u8 {
        self.qos.as_u8()
            | (u8::from(self.no_local) << 2)
            | (u8::from(self.retain_as_published) << 3)
            | ((self.retain_handling as u8) << 4)
    }

    /// Parses an options byte for `version`.
    ///
    /// # Errors
    /// [`CodecError::InvalidSubscriptionOptions`] for reserved bits [MQTT-3.8.3-5],
    /// [`CodecError::InvalidSubscriptionQoS`] (5.0) or [`CodecError::InvalidQoS`] (3.1.1) for
    /// QoS 3, [`CodecError::InvalidRetainHandling`].
    pub fn from_byte(byte: u8, version: ProtocolVersion) -> Result<Self, CodecError> {
        let reserved = match version {
            ProtocolVersion::V5 => 0xC0,
            ProtocolVersion::V311 => 0xFC,
        };
        if byte & reserved != 0 {
            return Err(CodecError::InvalidSubscriptionOptions { options: byte });
        }
        let retain_handling = match (byte >> 4) & 0x03 {
            0 => RetainHandling::SendAtSubscribe,
            1 => RetainHandling::SendAtSubscribeIfNew,
            2 => RetainHandling::DoNotSend,
            value => return Err(CodecError::InvalidRetainHandling { value }),
        };
        let qos = match QoS::from_u8(byte & 0x03) {
            Ok(qos) => qos,
            // 5.0 makes this a Protocol Error (section 3.8.3.1); 3.1.1 a malformed packet.
            Err(_) if version == ProtocolVersion::V5 => {
                return Err(CodecError::InvalidSubscriptionQoS { value: byte & 0x03 })
            }
            Err(e) => return Err(e),
        };
        Ok(SubscriptionOptions {
            qos,
            no_local: byte & 0x04 != 0,
            retain_as_published: byte & 0x08 != 0,
            retain_handling,
        })
    }
}

/// One topic filter with its options.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Subscription {
    /// The topic filter.
    pub filter: TopicFilter,
    /// Its options.
    pub options: SubscriptionOptions,
}

impl Subscription {
    /// A subscription to `filter` at `qos` with default options.
    pub fn new(filter: TopicFilter, qos: QoS) -> Self {
        Subscription {
            filter,
            options: SubscriptionOptions::new(qos),
        }
    }

    fn check(&self) -> Result<(), CodecError> {
        if self.options.no_local && self.filter.is_shared() {
            return Err(CodecError::NoLocalOnSharedSubscription {
                filter: self.filter.as_str().to_owned(),
            });
        }
        Ok(())
    }
}

/// SUBSCRIBE: a client subscribes to one or more topic filters (section 3.8).
///
/// ```
/// use flowsdk_codec::{PacketId, QoS, Subscribe, Subscription, TopicFilter};
/// let subscribe = Subscribe::new(
///     PacketId::new(1).unwrap(),
///     vec![Subscription::new(TopicFilter::new("sensors/+/temp")?, QoS::AtLeastOnce)],
/// );
/// let mut buf = bytes::BytesMut::new();
/// subscribe.encode(flowsdk_codec::ProtocolVersion::V5, &mut buf)?;
/// # Ok::<(), flowsdk_codec::CodecError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Subscribe {
    /// Packet identifier, echoed by the SUBACK [MQTT-2.2.1-6].
    pub packet_id: PacketId,
    /// The subscriptions; at least one [MQTT-3.8.3-2].
    pub subscriptions: Vec<Subscription>,
    /// SUBSCRIBE properties (5.0 only): Subscription Identifier, User Properties.
    pub properties: Properties,
}

impl Subscribe {
    /// A SUBSCRIBE without properties.
    pub fn new(packet_id: PacketId, subscriptions: Vec<Subscription>) -> Self {
        Subscribe {
            packet_id,
            subscriptions,
            properties: Properties::new(),
        }
    }
}

packet_api!(Subscribe);

impl Body for Subscribe {
    const TYPE: PacketType = PacketType::Subscribe;

    fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError> {
        if self.subscriptions.is_empty() {
            return Err(CodecError::EmptySubscribe);
        }
        let (props, block) = measure_properties(&self.properties, Self::TYPE, version)?;
        let mut body = 2 + block;
        for s in &self.subscriptions {
            s.check()?;
            // 3.1.1 options carry the QoS alone; the other bits are reserved there.
            if version == ProtocolVersion::V311
                && s.options != SubscriptionOptions::new(s.options.qos)
            {
                return Err(CodecError::InvalidSubscriptionOptions {
                    options: s.options.to_byte(),
                });
            }
            body += 2 + s.filter.len() + 1;
        }
        Ok(Lens {
            body,
            props,
            ..Lens::default()
        })
    }

    fn write(&self, version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        out.put_u16(self.packet_id.get());
        if version == ProtocolVersion::V5 {
            self.properties.encode_block(lens.props, out);
        }
        for s in &self.subscriptions {
            put_str(s.filter.as_mqtt_str(), out);
            out.put_u8(s.options.to_byte());
        }
    }

    fn read(_flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError> {
        let packet_id = read_packet_id(r)?;
        let properties = read_properties(r, version)?;
        // An entry takes at least four bytes (length, one character, options); room for up to
        // eight up front saves the reallocations of a growing vector in the usual packets.
        let mut subscriptions = Vec::with_capacity((r.remaining() / 4).min(8));
        while r.has_remaining() {
            let filter = TopicFilter::try_from_string(r.string("topic filter")?)?;
            let options = SubscriptionOptions::from_byte(r.u8("subscription options")?, version)?;
            let s = Subscription { filter, options };
            s.check()?;
            subscriptions.push(s);
        }
        if subscriptions.is_empty() {
            return Err(CodecError::EmptySubscribe);
        }
        Ok(Subscribe {
            packet_id,
            subscriptions,
            properties,
        })
    }
}
