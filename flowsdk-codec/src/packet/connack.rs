//! CONNACK (section 3.2): the server's answer to CONNECT.

use bytes::{BufMut, BytesMut};

use super::common::{check_reason_code, measure_properties};
use super::{packet_api, Body, Lens};
use crate::wire::Reader;
use crate::{CodecError, PacketType, Properties, ProtocolVersion, ReasonCode};

/// CONNACK: the server accepts or refuses a connection (section 3.2).
///
/// In 3.1.1 the return codes 0 to 5 map onto [`ReasonCode`]s with the same meaning
/// ([`ReasonCode::from_v311_connack`]); encoding a code 3.1.1 lacks is an error.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConnAck {
    /// Session Present: the server resumed an existing session.
    pub session_present: bool,
    /// The outcome: [`ReasonCode::Success`] or why the connection was refused.
    pub reason_code: ReasonCode,
    /// CONNACK properties (5.0 only).
    pub properties: Properties,
}

impl ConnAck {
    /// A CONNACK with `reason_code`, no session present, no properties.
    pub fn new(reason_code: ReasonCode) -> Self {
        ConnAck {
            session_present: false,
            reason_code,
            properties: Properties::new(),
        }
    }
}

packet_api!(ConnAck);

impl Body for ConnAck {
    const TYPE: PacketType = PacketType::ConnAck;

    fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError> {
        check_reason_code(Self::TYPE, self.reason_code)?;
        if self.session_present && !self.reason_code.is_success() {
            return Err(CodecError::SessionPresentOnRefusal);
        }
        if version == ProtocolVersion::V311 && self.reason_code.to_v311_connack().is_none() {
            return Err(CodecError::ReasonCodeNotInVersion {
                packet: Self::TYPE,
                code: self.reason_code,
                version,
            });
        }
        let (props, block) = measure_properties(&self.properties, Self::TYPE, version)?;
        Ok(Lens {
            body: 2 + block,
            props,
            ..Lens::default()
        })
    }

    fn write(&self, version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        out.put_u8(u8::from(self.session_present));
        match version {
            ProtocolVersion::V5 => {
                out.put_u8(self.reason_code.as_u8());
                self.properties.encode_block(lens.props, out);
            }
            ProtocolVersion::V311 => out.put_u8(self.reason_code.to_v311_connack().unwrap_or(0)),
        }
    }

    fn read(_flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError> {
        let flags = r.u8("acknowledge flags")?;
        if flags & 0xFE != 0 {
            return Err(CodecError::InvalidConnAckFlags { flags });
        }
        let session_present = flags & 0x01 != 0;
        let (reason_code, properties) = match version {
            ProtocolVersion::V5 => {
                let code = super::common::read_reason_code(r)?;
                (code, Properties::decode_block(r, Some(Self::TYPE))?)
            }
            ProtocolVersion::V311 => {
                let value = r.u8("return code")?;
                let code =
                    ReasonCode::from_v311_connack(value).ok_or(CodecError::UnknownReasonCode {
                        packet: Self::TYPE,
                        value,
                    })?;
                (code, Properties::new())
            }
        };
        if session_present && !reason_code.is_success() {
            return Err(CodecError::SessionPresentOnRefusal);
        }
        Ok(ConnAck {
            session_present,
            reason_code,
            properties,
        })
    }
}
