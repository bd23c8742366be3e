//! AUTH (section 3.15), MQTT 5.0 only.

use bytes::{BufMut, BytesMut};

use super::common::{check_reason_code, read_reason_code};
use super::{packet_api, Body, Lens};
use crate::wire::{variable_byte_integer_len, Reader};
use crate::{CodecError, PacketType, Properties, ProtocolVersion, ReasonCode};

/// AUTH: one step of an enhanced authentication exchange (section 3.15; 5.0 only).
///
/// Carries [`ReasonCode::ContinueAuthentication`], [`ReasonCode::ReAuthenticate`] or
/// [`ReasonCode::Success`], with Authentication Method and Data properties.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Auth {
    /// The step.
    pub reason_code: ReasonCode,
    /// AUTH properties: Authentication Method and Data, Reason String, User Properties.
    pub properties: Properties,
}

impl Auth {
    /// An AUTH with `reason_code` and no properties.
    pub fn new(reason_code: ReasonCode) -> Self {
        Auth {
            reason_code,
            properties: Properties::new(),
        }
    }
}

packet_api!(Auth);

impl Body for Auth {
    const TYPE: PacketType = PacketType::Auth;

    fn measure(&self, _version: ProtocolVersion) -> Result<Lens, CodecError> {
        check_reason_code(Self::TYPE, self.reason_code)?;
        let mut lens = Lens {
            props: self.properties.checked_len(Some(Self::TYPE))?,
            ..Lens::default()
        };
        if lens.props > 0 || self.reason_code != ReasonCode::Success {
            lens.body = 1 + variable_byte_integer_len(lens.props) + lens.props;
        }
        Ok(lens)
    }

    fn write(&self, _version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        if lens.body > 0 {
            out.put_u8(self.reason_code.as_u8());
            self.properties.encode_block(lens.props, out);
        }
    }

    fn read(_flags: u8, r: &mut Reader, _version: ProtocolVersion) -> Result<Self, CodecError> {
        if !r.has_remaining() {
            return Ok(Auth::default());
        }
        let reason_code = read_reason_code(r)?;
        let properties = if r.has_remaining() {
            Properties::decode_block(r, Some(Self::TYPE))?
        } else {
            Properties::new()
        };
        Ok(Auth {
            reason_code,
            properties,
        })
    }
}
