//! CONNACK (section 3.2): acknowledge flags and Session Present.

use flowsdk_codec::{CodecError, ConnAck, PacketType, ReasonCode};

use crate::codec::support::{assert_decode_error, assert_encode_refused, BOTH, V311, V5};

#[test]
fn connack_reserved_acknowledge_flags_are_malformed() {
    // [MQTT-3.2.2-1] (3.1.1 section 3.2.2.1, which has no id for it): bits 7 to 1 are reserved.
    for flags in [0x02u8, 0x80, 0xFE, 0xFF] {
        let expected = CodecError::InvalidConnAckFlags { flags };
        assert_decode_error(
            V5,
            &[0x20, 0x03, flags, 0x00, 0x00],
            expected.clone(),
            ReasonCode::MalformedPacket,
        );
        assert_decode_error(
            V311,
            &[0x20, 0x02, flags, 0x00],
            expected.clone(),
            ReasonCode::MalformedPacket,
        );
        assert_eq!(expected.normative_id(), Some("MQTT-3.2.2-1"));
    }
}

#[test]
fn session_present_with_a_failure_reason_code_is_a_protocol_error() {
    // [MQTT-3.2.2-6] [MQTT-3.2.2-4 (3.1.1)]: a refused connection has no session.
    assert_decode_error(
        V5,
        &[0x20, 0x03, 0x01, 0x87, 0x00],
        CodecError::SessionPresentOnRefusal,
        ReasonCode::ProtocolError,
    );
    assert_decode_error(
        V311,
        &[0x20, 0x02, 0x01, 0x05],
        CodecError::SessionPresentOnRefusal,
        ReasonCode::ProtocolError,
    );
    for version in BOTH {
        let mut refused = ConnAck::new(ReasonCode::NotAuthorized);
        refused.session_present = true;
        assert_encode_refused(refused, version, CodecError::SessionPresentOnRefusal);
    }
}

#[test]
fn connack_return_code_above_5_is_malformed_in_3_1_1() {
    // 3.1.1 section 3.2.2.3: return codes 6 to 255 are reserved.
    for value in [6u8, 0x80, 0xFF] {
        assert_decode_error(
            V311,
            &[0x20, 0x02, 0x00, value],
            CodecError::UnknownReasonCode {
                packet: PacketType::ConnAck,
                value,
            },
            ReasonCode::MalformedPacket,
        );
    }
}
