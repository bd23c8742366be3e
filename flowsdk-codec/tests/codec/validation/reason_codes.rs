//! Reason codes (section 2.4): each packet accepts exactly the codes of its own table.

use flowsdk_codec::{
    Auth, CodecError, ConnAck, Disconnect, Packet, PacketType, PubAck, PubComp, PubRec, PubRel,
    ReasonCode, SubAck, UnsubAck,
};

use crate::codec::spec::{self, DEFINED_REASON_CODES};
use crate::codec::support::{
    assert_decode_error, assert_encode_refused, decode_ok, encode, pid, V5,
};

/// A 5.0 `packet` carrying the raw reason code byte `value`, hand-written.
fn wire_with_code(packet: PacketType, value: u8) -> Vec<u8> {
    match packet {
        PacketType::ConnAck => vec![0x20, 0x03, 0x00, value, 0x00],
        PacketType::PubAck => vec![0x40, 0x03, 0x00, 0x01, value],
        PacketType::PubRec => vec![0x50, 0x03, 0x00, 0x01, value],
        PacketType::PubRel => vec![0x62, 0x03, 0x00, 0x01, value],
        PacketType::PubComp => vec![0x70, 0x03, 0x00, 0x01, value],
        PacketType::SubAck => vec![0x90, 0x04, 0x00, 0x01, 0x00, value],
        PacketType::UnsubAck => vec![0xB0, 0x04, 0x00, 0x01, 0x00, value],
        PacketType::Disconnect => vec![0xE0, 0x01, value],
        PacketType::Auth => vec![0xF0, 0x02, value, 0x00],
        other => panic!("{other} carries no reason code"),
    }
}

/// The typed twin of [`wire_with_code`].
fn packet_with_code(packet: PacketType, code: ReasonCode) -> Packet {
    match packet {
        PacketType::ConnAck => ConnAck::new(code).into(),
        PacketType::PubAck => PubAck::with_reason(pid(1), code).into(),
        PacketType::PubRec => PubRec::with_reason(pid(1), code).into(),
        PacketType::PubRel => PubRel::with_reason(pid(1), code).into(),
        PacketType::PubComp => PubComp::with_reason(pid(1), code).into(),
        PacketType::SubAck => SubAck::new(pid(1), vec![code]).into(),
        PacketType::UnsubAck => UnsubAck::new(pid(1), vec![code]).into(),
        PacketType::Disconnect => Disconnect::new(code).into(),
        PacketType::Auth => Auth::new(code).into(),
        other => panic!("{other} carries no reason code"),
    }
}

/// Sweeps every byte: the codes of `packet`'s table decode and encode; other defined codes are
/// a Protocol Error both ways; undefined bytes are malformed.
#[track_caller]
fn assert_reason_code_table(packet: PacketType) {
    let table = spec::allowed_reason_codes(packet);
    let codec_table: Vec<u8> = ReasonCode::allowed_in(packet)
        .iter()
        .map(|c| c.as_u8())
        .collect();
    let mut sorted = table.to_vec();
    sorted.sort_unstable();
    let mut codec_sorted = codec_table.clone();
    codec_sorted.sort_unstable();
    assert_eq!(codec_sorted, sorted, "{packet} reason code table");

    for value in 0..=255u8 {
        let wire = wire_with_code(packet, value);
        if table.contains(&value) {
            let code = spec::code(value);
            let typed = packet_with_code(packet, code);
            assert_eq!(decode_ok(V5, &wire), typed, "{packet} 0x{value:02X}");
            assert_eq!(decode_ok(V5, &encode(&typed, V5)), typed);
        } else if DEFINED_REASON_CODES.contains(&value) {
            let code = spec::code(value);
            let expected = CodecError::ReasonCodeNotAllowed { packet, code };
            assert_decode_error(V5, &wire, expected.clone(), ReasonCode::ProtocolError);
            assert_encode_refused(packet_with_code(packet, code), V5, expected);
        } else {
            assert_decode_error(
                V5,
                &wire,
                CodecError::UnknownReasonCode { packet, value },
                ReasonCode::MalformedPacket,
            );
        }
    }
}

#[test]
fn reason_codes_are_exactly_those_the_specification_defines() {
    // Section 2.4: the table is closed.
    let codec: Vec<u8> = ReasonCode::all().iter().map(|c| c.as_u8()).collect();
    assert_eq!(codec, DEFINED_REASON_CODES);
    for value in 0..=255u8 {
        assert_eq!(
            ReasonCode::try_from(value).is_ok(),
            DEFINED_REASON_CODES.contains(&value),
            "0x{value:02X}"
        );
    }
}

#[test]
fn connack_accepts_exactly_the_connect_reason_codes() {
    // [MQTT-3.2.2-8]
    assert_reason_code_table(PacketType::ConnAck);
}

#[test]
fn puback_accepts_exactly_the_puback_reason_codes() {
    // [MQTT-3.4.2-1]
    assert_reason_code_table(PacketType::PubAck);
}

#[test]
fn pubrec_accepts_exactly_the_pubrec_reason_codes() {
    // [MQTT-3.5.2-1]
    assert_reason_code_table(PacketType::PubRec);
}

#[test]
fn pubrel_accepts_exactly_the_pubrel_reason_codes() {
    // [MQTT-3.6.2-1]
    assert_reason_code_table(PacketType::PubRel);
}

#[test]
fn pubcomp_accepts_exactly_the_pubcomp_reason_codes() {
    // [MQTT-3.7.2-1]
    assert_reason_code_table(PacketType::PubComp);
}

#[test]
fn suback_accepts_exactly_the_subscribe_reason_codes() {
    // [MQTT-3.9.3-2] [MQTT-3.8.4-7]: a granted QoS or a failure.
    assert_reason_code_table(PacketType::SubAck);
}

#[test]
fn unsuback_accepts_exactly_the_unsubscribe_reason_codes() {
    // [MQTT-3.11.3-2]
    assert_reason_code_table(PacketType::UnsubAck);
}

#[test]
fn disconnect_accepts_exactly_the_disconnect_reason_codes() {
    // [MQTT-3.14.2-1]
    assert_reason_code_table(PacketType::Disconnect);
}

#[test]
fn auth_accepts_exactly_the_authenticate_reason_codes() {
    // [MQTT-3.15.2-1]
    assert_reason_code_table(PacketType::Auth);
}

#[test]
fn every_subscribe_reason_code_in_a_suback_is_checked_not_just_the_first() {
    // [MQTT-3.9.3-2]: granted QoS 1, then Disconnect with Will Message, which SUBACK lacks.
    assert_decode_error(
        V5,
        &[0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x04],
        CodecError::ReasonCodeNotAllowed {
            packet: PacketType::SubAck,
            code: ReasonCode::DisconnectWithWillMessage,
        },
        ReasonCode::ProtocolError,
    );
}
