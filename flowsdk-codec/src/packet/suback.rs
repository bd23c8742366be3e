//! SUBACK (section 3.9).

use bytes::{BufMut, BytesMut};

use super::common::{
    check_reason_code, measure_properties, read_packet_id, read_properties, read_reason_code,
};
use super::{packet_api, Body, Lens};
use crate::wire::Reader;
use crate::{CodecError, PacketId, PacketType, Properties, ProtocolVersion, ReasonCode};

/// SUBACK: the server answers a SUBSCRIBE with one reason code per subscription, in order
/// (section 3.9). Success codes are the granted QoS: [`ReasonCode::GRANTED_QOS_0`],
/// [`ReasonCode::GrantedQoS1`], [`ReasonCode::GrantedQoS2`]. 3.1.1 has one failure code, 0x80,
/// which decodes as [`ReasonCode::UnspecifiedError`]; every 5.0 failure code encodes as 0x80.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubAck {
    /// The SUBSCRIBE's packet identifier [MQTT-2.2.1-6].
    pub packet_id: PacketId,
    /// One code per subscription of the SUBSCRIBE, in order.
    pub reason_codes: Vec<ReasonCode>,
    /// SUBACK properties (5.0 only): Reason String, User Properties.
    pub properties: Properties,
}

impl SubAck {
    /// A SUBACK without properties.
    pub fn new(packet_id: PacketId, reason_codes: Vec<ReasonCode>) -> Self {
        SubAck {
            packet_id,
            reason_codes,
            properties: Properties::new(),
        }
    }
}

packet_api!(SubAck);

impl Body for SubAck {
    const TYPE: PacketType = PacketType::SubAck;

    fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError> {
        if self.reason_codes.is_empty() {
            return Err(CodecError::EmptyAckPayload { packet: Self::TYPE });
        }
        for &code in &self.reason_codes {
            check_reason_code(Self::TYPE, code)?;
        }
        let (props, block) = measure_properties(&self.properties, Self::TYPE, version)?;
        let body = 2 + block + self.reason_codes.len();
        Ok(Lens {
            body,
            props,
            ..Lens::default()
        })
    }

    fn write(&self, version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        out.put_u16(self.packet_id.get());
        match version {
            ProtocolVersion::V5 => {
                self.properties.encode_block(lens.props, out);
                for code in &self.reason_codes {
                    out.put_u8(code.as_u8());
                }
            }
            ProtocolVersion::V311 => {
                for code in &self.reason_codes {
                    out.put_u8(code.to_v311_suback().unwrap_or(0x80));
                }
            }
        }
    }

    fn read(_flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError> {
        let packet_id = read_packet_id(r)?;
        let properties = read_properties(r, version)?;
        let mut reason_codes = Vec::with_capacity(r.remaining());
        while r.has_remaining() {
            reason_codes.push(match version {
                ProtocolVersion::V5 => read_reason_code(r)?,
                ProtocolVersion::V311 => {
                    let value = r.u8("return code")?;
                    ReasonCode::from_v311_suback(value).ok_or(CodecError::UnknownReasonCode {
                        packet: Self::TYPE,
                        value,
                    })?
                }
            });
        }
        if reason_codes.is_empty() {
            return Err(CodecError::EmptyAckPayload { packet: Self::TYPE });
        }
        Ok(SubAck {
            packet_id,
            reason_codes,
            properties,
        })
    }
}
