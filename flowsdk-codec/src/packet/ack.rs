//! PUBACK, PUBREC, PUBREL, PUBCOMP (sections 3.4 to 3.7): the QoS 1 and QoS 2 acknowledgements.
//!
//! The four share one layout: packet identifier, then (5.0) a reason code and properties,
//! both of which may be left out when the reason is Success and there are no properties.

use bytes::{BufMut, BytesMut};

use super::common::{check_reason_code, measure_properties, read_packet_id, read_reason_code};
use super::{packet_api, Body, Lens};
use crate::wire::Reader;
use crate::{CodecError, PacketId, PacketType, Properties, ProtocolVersion, ReasonCode};

fn measure_ack(
    packet: PacketType,
    reason_code: ReasonCode,
    properties: &Properties,
    version: ProtocolVersion,
) -> Result<Lens, CodecError> {
    check_reason_code(packet, reason_code)?;
    if version == ProtocolVersion::V311 && reason_code != ReasonCode::Success {
        return Err(CodecError::ReasonCodeNotInVersion {
            packet,
            code: reason_code,
            version,
        });
    }
    let (props, block) = measure_properties(properties, packet, version)?;
    // The reason code may be left out when it is Success, the property block when it is empty.
    let body = if props > 0 {
        3 + block
    } else if reason_code != ReasonCode::Success {
        3
    } else {
        2
    };
    Ok(Lens {
        body,
        props,
        ..Lens::default()
    })
}

fn write_ack(
    packet_id: PacketId,
    reason_code: ReasonCode,
    properties: &Properties,
    lens: &Lens,
    out: &mut BytesMut,
) {
    out.put_u16(packet_id.get());
    if lens.body > 2 {
        out.put_u8(reason_code.as_u8());
    }
    if lens.body > 3 {
        properties.encode_block(lens.props, out);
    }
}

fn read_ack(
    r: &mut Reader,
    version: ProtocolVersion,
) -> Result<(PacketId, ReasonCode, Properties), CodecError> {
    let packet_id = read_packet_id(r)?;
    if version == ProtocolVersion::V311 || !r.has_remaining() {
        return Ok((packet_id, ReasonCode::Success, Properties::new()));
    }
    let reason_code = read_reason_code(r)?;
    let properties = if r.has_remaining() {
        Properties::decode_block(r, Some(r.packet()))?
    } else {
        Properties::new()
    };
    Ok((packet_id, reason_code, properties))
}

macro_rules! ack_packet {
    ($(#[$doc:meta])* $ty:ident, $packet_type:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub struct $ty {
            /// The identifier of the PUBLISH this belongs to [MQTT-2.2.1-5].
            pub packet_id: PacketId,
            /// The outcome (5.0; always [`ReasonCode::Success`] in 3.1.1).
            pub reason_code: ReasonCode,
            /// Properties (5.0 only): Reason String and User Properties.
            pub properties: Properties,
        }

        impl $ty {
            /// A successful acknowledgement of `packet_id`, without properties.
            pub fn new(packet_id: PacketId) -> Self {
                $ty { packet_id, reason_code: ReasonCode::Success, properties: Properties::new() }
            }

            /// An acknowledgement of `packet_id` with `reason_code`, without properties.
            pub fn with_reason(packet_id: PacketId, reason_code: ReasonCode) -> Self {
                $ty { packet_id, reason_code, properties: Properties::new() }
            }
        }

        packet_api!($ty);

        impl Body for $ty {
            const TYPE: PacketType = PacketType::$packet_type;

            fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError> {
                measure_ack(Self::TYPE, self.reason_code, &self.properties, version)
            }

            fn write(&self, _version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
                write_ack(self.packet_id, self.reason_code, &self.properties, lens, out)
            }

            fn read(_flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError> {
                let (packet_id, reason_code, properties) = read_ack(r, version)?;
                Ok($ty { packet_id, reason_code, properties })
            }
        }
    };
}

ack_packet!(
    /// PUBACK: acknowledges a QoS 1 PUBLISH (section 3.4).
    PubAck, PubAck
);
ack_packet!(
    /// PUBREC: first acknowledgement of a QoS 2 PUBLISH (section 3.5).
    PubRec, PubRec
);
ack_packet!(
    /// PUBREL: releases a QoS 2 PUBLISH after PUBREC (section 3.6); fixed-header flags `0010`
    /// [MQTT-3.6.1-1].
    PubRel, PubRel
);
ack_packet!(
    /// PUBCOMP: completes a QoS 2 flow (section 3.7).
    PubComp, PubComp
);
