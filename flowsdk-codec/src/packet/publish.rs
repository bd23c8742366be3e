//! PUBLISH (section 3.3): an application message.

use bytes::{BufMut, Bytes, BytesMut};

use super::common::{measure_properties, read_packet_id, read_properties};
use super::{packet_api, Body, Lens};
use crate::wire::{put_str, Reader};
use crate::{CodecError, PacketId, PacketType, Properties, ProtocolVersion, QoS, TopicName};

/// PUBLISH: an application message, in either direction (section 3.3).
///
/// Topic and payload of a decoded PUBLISH are slices of the received buffer.
///
/// ```
/// use bytes::Bytes;
/// use flowsdk_codec::{PacketId, Publish, QoS, TopicName};
/// let mut publish = Publish::new(TopicName::new("a/b")?, Bytes::from_static(b"hello"));
/// publish.qos = QoS::AtLeastOnce;
/// publish.packet_id = PacketId::new(1);
/// publish.properties.set_message_expiry_interval(Some(30));
/// assert_eq!(publish.encoded_len(flowsdk_codec::ProtocolVersion::V5)?, 20);
/// # Ok::<(), flowsdk_codec::CodecError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Publish {
    /// DUP: this is a re-delivery [MQTT-3.3.1-1]; always `false` at QoS 0 [MQTT-3.3.1-2].
    pub dup: bool,
    /// Quality of service.
    pub qos: QoS,
    /// RETAIN: the server keeps this as the topic's retained message [MQTT-3.3.1-5].
    pub retain: bool,
    /// The topic; empty only when a Topic Alias property names it.
    pub topic: TopicName,
    /// Packet identifier: `Some` at QoS 1 and 2, `None` at QoS 0 [MQTT-2.2.1-2].
    pub packet_id: Option<PacketId>,
    /// PUBLISH properties (5.0 only).
    pub properties: Properties,
    /// The application payload.
    pub payload: Bytes,
}

impl Publish {
    /// A QoS 0, non-retained PUBLISH without properties.
    pub fn new(topic: TopicName, payload: impl Into<Bytes>) -> Self {
        Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic,
            packet_id: None,
            properties: Properties::new(),
            payload: payload.into(),
        }
    }

    fn check(&self, version: ProtocolVersion) -> Result<(), CodecError> {
        match (self.qos, self.packet_id) {
            (QoS::AtMostOnce, Some(_)) => return Err(CodecError::PacketIdWithQoS0),
            (QoS::AtMostOnce, None) if self.dup => return Err(CodecError::DupWithQoS0),
            (QoS::AtLeastOnce | QoS::ExactlyOnce, None) => {
                return Err(CodecError::MissingPacketId {
                    packet: PacketType::Publish,
                })
            }
            _ => {}
        }
        if self.topic.is_empty() {
            return Err(match version {
                ProtocolVersion::V5 if self.properties.topic_alias().is_none() => {
                    CodecError::EmptyTopicWithoutAlias
                }
                ProtocolVersion::V311 => CodecError::EmptyTopicName,
                ProtocolVersion::V5 => return Ok(()),
            });
        }
        Ok(())
    }
}

packet_api!(Publish);

impl Body for Publish {
    const TYPE: PacketType = PacketType::Publish;

    fn flags(&self) -> u8 {
        (u8::from(self.dup) << 3) | (self.qos.as_u8() << 1) | u8::from(self.retain)
    }

    fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError> {
        self.check(version)?;
        let (props, block) = measure_properties(&self.properties, Self::TYPE, version)?;
        let id = if self.packet_id.is_some() { 2 } else { 0 };
        let body = 2 + self.topic.len() + id + block + self.payload.len();
        Ok(Lens {
            body,
            props,
            ..Lens::default()
        })
    }

    fn write(&self, version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        put_str(self.topic.as_mqtt_str(), out);
        if let Some(id) = self.packet_id {
            out.put_u16(id.get());
        }
        if version == ProtocolVersion::V5 {
            self.properties.encode_block(lens.props, out);
        }
        out.put_slice(&self.payload);
    }

    fn read(flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError> {
        let dup = flags & 0x08 != 0;
        let qos = QoS::from_u8((flags >> 1) & 0x03)?;
        if dup && qos == QoS::AtMostOnce {
            return Err(CodecError::DupWithQoS0);
        }
        let retain = flags & 0x01 != 0;
        let topic = r.string("topic name")?;
        // Check a named topic before anything else; an empty one is legal only with an alias.
        let topic = if topic.is_empty() {
            None
        } else {
            Some(TopicName::try_from_string(topic)?)
        };
        let packet_id = if qos == QoS::AtMostOnce {
            None
        } else {
            Some(read_packet_id(r)?)
        };
        let properties = read_properties(r, version)?;
        let topic = match topic {
            Some(topic) => topic,
            None if version == ProtocolVersion::V311 => return Err(CodecError::EmptyTopicName),
            None if properties.topic_alias().is_none() => {
                return Err(CodecError::EmptyTopicWithoutAlias)
            }
            None => TopicName::empty(),
        };
        let payload = r.rest();
        Ok(Publish {
            dup,
            qos,
            retain,
            topic,
            packet_id,
            properties,
            payload,
        })
    }
}
