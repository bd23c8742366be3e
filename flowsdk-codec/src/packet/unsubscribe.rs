//! UNSUBSCRIBE (section 3.10).

use bytes::{BufMut, BytesMut};

use super::common::{no_properties_in_v311, read_packet_id};
use super::{packet_api, Body, Lens};
use crate::wire::{put_str, variable_byte_integer_len, Reader};
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
        let mut lens = Lens::default();
        let mut body = 2;
        match version {
            ProtocolVersion::V5 => {
                lens.props = self.properties.checked_len(Some(Self::TYPE))?;
                body += variable_byte_integer_len(lens.props) + lens.props;
            }
            ProtocolVersion::V311 => no_properties_in_v311(&self.properties, Self::TYPE)?,
        }
        body += self.filters.iter().map(|f| 2 + f.len()).sum::<usize>();
        lens.body = body;
        Ok(lens)
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
        let properties = match version {
            ProtocolVersion::V5 => Properties::decode_block(r, Some(Self::TYPE))?,
            ProtocolVersion::V311 => Properties::new(),
        };
        let mut filters = Vec::new();
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
