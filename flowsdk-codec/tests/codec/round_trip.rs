//! Encode → decode symmetry, `encoded_len`, size limits and zero copy, for every packet type
//! of both versions.

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{CodecError, Packet, PacketType, Property, ProtocolVersion, Publish, QoS};
use proptest::prelude::*;

use super::spec;
use super::strategies::{any_packet, packet_of_type, version};
use super::support::{pid, V311, V5};

/// Encodes `packet`, checks `encoded_len` against the bytes written, decodes, compares.
fn assert_round_trip(packet: &Packet, version: ProtocolVersion) -> Result<(), TestCaseError> {
    let mut out = BytesMut::new();
    packet.encode(version, &mut out)?;
    prop_assert_eq!(packet.encoded_len(version)?, out.len(), "encoded_len");
    let decoded = Packet::decode(version, out.freeze())?;
    prop_assert_eq!(&decoded, packet);
    Ok(())
}

macro_rules! round_trips {
    ($($name:ident: $packet_type:ident in $version:ident;)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]
            $(
                #[test]
                fn $name(packet in packet_of_type(PacketType::$packet_type, $version)) {
                    assert_round_trip(&packet, $version)?;
                }
            )*
        }
    };
}

round_trips! {
    connect_v5_decodes_to_itself: Connect in V5;
    connack_v5_decodes_to_itself: ConnAck in V5;
    publish_v5_decodes_to_itself: Publish in V5;
    puback_v5_decodes_to_itself: PubAck in V5;
    pubrec_v5_decodes_to_itself: PubRec in V5;
    pubrel_v5_decodes_to_itself: PubRel in V5;
    pubcomp_v5_decodes_to_itself: PubComp in V5;
    subscribe_v5_decodes_to_itself: Subscribe in V5;
    suback_v5_decodes_to_itself: SubAck in V5;
    unsubscribe_v5_decodes_to_itself: Unsubscribe in V5;
    unsuback_v5_decodes_to_itself: UnsubAck in V5;
    pingreq_v5_decodes_to_itself: PingReq in V5;
    pingresp_v5_decodes_to_itself: PingResp in V5;
    disconnect_v5_decodes_to_itself: Disconnect in V5;
    auth_v5_decodes_to_itself: Auth in V5;

    connect_v311_decodes_to_itself: Connect in V311;
    connack_v311_decodes_to_itself: ConnAck in V311;
    publish_v311_decodes_to_itself: Publish in V311;
    puback_v311_decodes_to_itself: PubAck in V311;
    pubrec_v311_decodes_to_itself: PubRec in V311;
    pubrel_v311_decodes_to_itself: PubRel in V311;
    pubcomp_v311_decodes_to_itself: PubComp in V311;
    subscribe_v311_decodes_to_itself: Subscribe in V311;
    suback_v311_decodes_to_itself: SubAck in V311;
    unsubscribe_v311_decodes_to_itself: Unsubscribe in V311;
    unsuback_v311_decodes_to_itself: UnsubAck in V311;
    pingreq_v311_decodes_to_itself: PingReq in V311;
    pingresp_v311_decodes_to_itself: PingResp in V311;
    disconnect_v311_decodes_to_itself: Disconnect in V311;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The per-type `encode` and `encoded_len` agree with `Packet`'s, byte for byte.
    #[test]
    fn per_type_encode_writes_the_same_bytes_as_packet_encode(
        (version, packet) in version().prop_flat_map(|v| (Just(v), any_packet(v)))
    ) {
        let mut via_packet = BytesMut::new();
        packet.encode(version, &mut via_packet)?;
        let mut via_type = BytesMut::new();
        let len = match &packet {
            Packet::Connect(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::ConnAck(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::Publish(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::PubAck(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::PubRec(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::PubRel(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::PubComp(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::Subscribe(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::SubAck(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::Unsubscribe(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::UnsubAck(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::Disconnect(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::Auth(p) => { p.encode(version, &mut via_type)?; p.encoded_len(version)? }
            Packet::PingReq | Packet::PingResp => {
                via_type.extend_from_slice(&via_packet);
                2
            }
        };
        prop_assert_eq!(&via_type, &via_packet);
        prop_assert_eq!(len, via_packet.len());
    }

    /// `encode_limited` writes a packet of exactly the limit and refuses one byte less,
    /// appending nothing ([MQTT-3.1.2-24], [MQTT-3.2.2-15]: never send more than the peer's
    /// Maximum Packet Size).
    #[test]
    fn encode_limited_accepts_the_exact_size_and_refuses_one_byte_less(
        (version, packet) in version().prop_flat_map(|v| (Just(v), any_packet(v)))
    ) {
        let size = packet.encoded_len(version)?;
        let mut out = BytesMut::new();
        prop_assert_eq!(packet.encode_limited(version, size as u32, &mut out)?, size);
        prop_assert_eq!(out.len(), size);
        let mut refused = BytesMut::from(&b"before"[..]);
        let max = size as u32 - 1;
        prop_assert_eq!(
            packet.encode_limited(version, max, &mut refused),
            Err(CodecError::PacketTooLarge { size, max })
        );
        prop_assert_eq!(&refused[..], b"before");
    }

    /// Encoding appends: whatever was in the buffer stays in front of the new packet.
    #[test]
    fn encode_appends_after_existing_bytes(
        (version, packet) in version().prop_flat_map(|v| (Just(v), any_packet(v))),
        prefix in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut out = BytesMut::from(&prefix[..]);
        packet.encode(version, &mut out)?;
        prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
        prop_assert_eq!(Packet::decode(version, out.freeze().slice(prefix.len()..))?, packet);
    }
}

#[test]
fn every_defined_reason_code_round_trips_in_every_packet_that_allows_it() {
    // The proptests pick codes at random; this walks every (packet, code) pair of the tables.
    use flowsdk_codec::{ConnAck, Disconnect, PubAck, PubComp, PubRec, PubRel, SubAck, UnsubAck};
    for packet_type in spec::PACKET_TYPES {
        for version in [V5, V311] {
            if packet_type == PacketType::UnsubAck && version == V311 {
                continue; // no reason codes on the wire
            }
            for value in spec::expressible_reason_codes(packet_type, version) {
                let code = spec::code(value);
                let packet: Packet = match packet_type {
                    PacketType::ConnAck => ConnAck::new(code).into(),
                    PacketType::PubAck => PubAck::with_reason(pid(7), code).into(),
                    PacketType::PubRec => PubRec::with_reason(pid(7), code).into(),
                    PacketType::PubRel => PubRel::with_reason(pid(7), code).into(),
                    PacketType::PubComp => PubComp::with_reason(pid(7), code).into(),
                    PacketType::SubAck => SubAck::new(pid(7), vec![code]).into(),
                    PacketType::UnsubAck => UnsubAck::new(pid(7), vec![code]).into(),
                    PacketType::Disconnect => Disconnect::new(code).into(),
                    PacketType::Auth if version == V5 => flowsdk_codec::Auth::new(code).into(),
                    _ => continue,
                };
                if let Err(e) = assert_round_trip(&packet, version) {
                    panic!("{packet_type} 0x{value:02X} in {version}: {e}");
                }
            }
        }
    }
}

#[test]
fn decoded_publish_shares_the_received_buffer_instead_of_copying() {
    // DESIGN.md: decode from `Bytes` without copying payloads or topics.
    let mut publish = Publish::new(
        flowsdk_codec::TopicName::new("zero/copy").expect("valid"),
        Bytes::from_static(b"payload bytes"),
    );
    publish.qos = QoS::AtLeastOnce;
    publish.packet_id = Some(pid(1));
    publish
        .properties
        .push(Property::CorrelationData(Bytes::from_static(b"corr")));
    let mut out = BytesMut::new();
    publish.encode(V5, &mut out).expect("valid");
    let frame = out.freeze();
    let range = frame.as_ptr_range();
    let Packet::Publish(decoded) = Packet::decode(V5, frame.clone()).expect("valid") else {
        panic!("not a PUBLISH");
    };
    assert!(
        range.contains(&decoded.payload.as_ptr()),
        "payload was copied"
    );
    assert!(
        range.contains(&decoded.topic.as_mqtt_str().as_bytes().as_ptr()),
        "topic was copied"
    );
    let correlation = decoded.properties.correlation_data().expect("present");
    assert!(
        range.contains(&correlation.as_ptr()),
        "correlation data was copied"
    );
}
