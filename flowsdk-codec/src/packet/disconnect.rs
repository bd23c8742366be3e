//! DISCONNECT (section 3.14).

use bytes::{BufMut, BytesMut};

use super::common::{check_reason_code, measure_properties, read_reason_code};
use super::{packet_api, Body, Lens};
use crate::wire::Reader;
use crate::{CodecError, PacketType, Properties, ProtocolVersion, ReasonCode};

/// DISCONNECT: the last packet of a connection, from either side in 5.0, from the client in
/// 3.1.1 (section 3.14). A 3.1.1 DISCONNECT has no reason code: only
/// [`ReasonCode::NORMAL_DISCONNECTION`] without properties encodes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Disconnect {
    /// Why the connection ends.
    pub reason_code: ReasonCode,
    /// DISCONNECT properties (5.0 only): Session Expiry Interval, Reason String, Server
    /// Reference, User Properties.
    pub properties: Properties,
}

impl Disconnect {
    /// A DISCONNECT with `reason_code` and no properties.
    pub fn new(reason_code: ReasonCode) -> Self {
        Disconnect {
            reason_code,
            properties: Properties::new(),
        }
    }
}

packet_api!(Disconnect);

impl Body for Disconnect {
    const TYPE: PacketType = PacketType::Disconnect;

    fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError> {
        check_reason_code(Self::TYPE, self.reason_code)?;
        if version == ProtocolVersion::V311 && self.reason_code != ReasonCode::NORMAL_DISCONNECTION
        {
            return Err(CodecError::ReasonCodeNotInVersion {
                packet: Self::TYPE,
                code: self.reason_code,
                version,
            });
        }
        let (props, block) = measure_properties(&self.properties, Self::TYPE, version)?;
        // Remaining length 0 means Normal disconnection without properties.
        let body = if props > 0 {
            1 + block
        } else if self.reason_code != ReasonCode::NORMAL_DISCONNECTION {
            1
        } else {
            0
        };
        Ok(Lens {
            body,
            props,
            ..Lens::default()
        })
    }

    fn write(&self, _version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        if lens.body > 0 {
            out.put_u8(self.reason_code.as_u8());
        }
        if lens.body > 1 {
            self.properties.encode_block(lens.props, out);
        }
    }

    fn read(_flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError> {
        if version == ProtocolVersion::V311 || !r.has_remaining() {
            return Ok(Disconnect::default());
        }
        let reason_code = read_reason_code(r)?;
        let properties = if r.has_remaining() {
            Properties::decode_block(r, Some(Self::TYPE))?
        } else {
            Properties::new()
        };
        Ok(Disconnect {
            reason_code,
            properties,
        })
    }
}
