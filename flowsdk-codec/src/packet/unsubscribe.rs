//! UNSUBSCRIBE (section 3.10).

use bytes::{BufMut, BytesMut};

use super::common::{measure_properties, read_packet_id, read_properties};
use super::{packet_api, Body, Lens};
use crate::wire::{put_str, Reader};
use crate::{CodecError, PacketId, PacketType, Properties, ProtocolVersion, TopicFilter};

/// UNSUBSCRIBE: a client removes subscriptions (section 3.10).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Unsubscribe {
    /// Packet identifier, echoed by the UNSUBACK [MQTT-2.2.1-6].
    pub packet_id: PacketId,
    /// The filters to remove; at least one [MQTT-3.10.3-2].
    pub filters: Vec<TopicFilter>,
    /// UNSUBSCRIBE properties (5.0 only): User Properties.
    pub properties: Properties,
}

impl Unsubscribe {
    /// An UNSUBSCRIBE without properties.
    pub fn new(packet_id: PacketId, filters: Vec<TopicFilter>) -> Self {
        Unsubscribe {
            packet_id,
            filters,
            properties: Properties::new(),
        }
    }
}

packet_api!(Unsubscribe);

impl Body for Unsubscribe {
    const TYPE: PacketType = PacketType::Unsubscribe;

    fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError> {
        if self.filters.is_empty() {
            return Err(CodecError::EmptyUnsubscribe);
        }
        let (props, block) = measure_properties(&self.properties, Self::TYPE, version)?;
        let filters: usize = self.filters.iter().map(|f| 2 + f.len()).sum();
        Ok(Lens {
            body: 2 + block + filters,
            props,
            ..Lens::default()
        })
    }

    fn write(&self, version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        out.put_u16(self.packet_id.get());
        if version == ProtocolVersion::V5 {
            self.properties.encode_block(lens.props, out);
        }
        for f in &self.filters {
            put_str(f.as_mqtt_str(), out);
        }
    }

    fn read(_flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError> {
        let packet_id = read_packet_id(r)?;
        let properties = read_properties(r, version)?;
        // A filter takes at least three bytes (length, one character); see `Subscribe::read`.
        let mut filters = Vec::with_capacity((r.remaining() / 3).min(8));
        while r.has_remaining() {
            filters.push(TopicFilter::try_from_string(r.string("topic filter")?)?);
        }
        if filters.is_empty() {
            return Err(CodecError::EmptyUnsubscribe);
        }
        Ok(Unsubscribe {
            packet_id,
            filters,
            properties,
        })
    }
}
