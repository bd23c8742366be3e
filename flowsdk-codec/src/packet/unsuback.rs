//! UNSUBACK (section 3.11).

use bytes::{BufMut, BytesMut};

use super::common::{check_reason_code, measure_properties, read_packet_id, read_reason_code};
use super::{packet_api, Body, Lens};
use crate::wire::Reader;
use crate::{CodecError, PacketId, PacketType, Properties, ProtocolVersion, ReasonCode};

/// UNSUBACK: the server answers an UNSUBSCRIBE (section 3.11).
///
/// In 5.0 it carries one reason code per filter, in order. A 3.1.1 UNSUBACK has no payload:
/// it decodes with no reason codes, and encodes only when every code given reports success
/// (a failure cannot be expressed in 3.1.1 and is refused rather than lost).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UnsubAck {
    /// The UNSUBSCRIBE's packet identifier [MQTT-2.2.1-6].
    pub packet_id: PacketId,
    /// One code per filter of the UNSUBSCRIBE (5.0); empty in 3.1.1.
    pub reason_codes: Vec<ReasonCode>,
    /// UNSUBACK properties (5.0 only): Reason String, User Properties.
    pub properties: Properties,
}

impl UnsubAck {
    /// An UNSUBACK without properties.
    pub fn new(packet_id: PacketId, reason_codes: Vec<ReasonCode>) -> Self {
        UnsubAck {
            packet_id,
            reason_codes,
            properties: Properties::new(),
        }
    }
}

packet_api!(UnsubAck);

impl Body for UnsubAck {
    const TYPE: PacketType = PacketType::UnsubAck;

    fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError> {
        for &code in &self.reason_codes {
            check_reason_code(Self::TYPE, code)?;
        }
        match version {
            ProtocolVersion::V5 if self.reason_codes.is_empty() => {
                return Err(CodecError::EmptyAckPayload { packet: Self::TYPE });
            }
            ProtocolVersion::V311 => {
                if let Some(&code) = self.reason_codes.iter().find(|c| !c.is_success()) {
                    return Err(CodecError::ReasonCodeNotInVersion {
                        packet: Self::TYPE,
                        code,
                        version,
                    });
                }
            }
            ProtocolVersion::V5 => {}
        }
        let (props, block) = measure_properties(&self.properties, Self::TYPE, version)?;
        // A 3.1.1 UNSUBACK carries only the packet identifier.
        let codes = if version == ProtocolVersion::V5 {
            self.reason_codes.len()
        } else {
            0
        };
        Ok(Lens {
            body: 2 + block + codes,
            props,
            ..Lens::default()
        })
    }

    fn write(&self, version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        out.put_u16(self.packet_id.get());
        if version == ProtocolVersion::V5 {
            self.properties.encode_block(lens.props, out);
            for code in &self.reason_codes {
                out.put_u8(code.as_u8());
            }
        }
    }

    fn read(_flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError> {
        let packet_id = read_packet_id(r)?;
        if version == ProtocolVersion::V311 {
            return Ok(UnsubAck::new(packet_id, Vec::new()));
        }
        let properties = Properties::decode_block(r, Some(Self::TYPE))?;
        let mut reason_codes = Vec::with_capacity(r.remaining());
        while r.has_remaining() {
            reason_codes.push(read_reason_code(r)?);
        }
        if reason_codes.is_empty() {
            return Err(CodecError::EmptyAckPayload { packet: Self::TYPE });
        }
        Ok(UnsubAck {
            packet_id,
            reason_codes,
            properties,
        })
    }
}
