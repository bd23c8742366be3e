//! The incremental decoder: streams split at any byte, size limits checked from the fixed
//! header, version switching on CONNECT.

use bytes::BytesMut;
use flowsdk_codec::{
    CodecError, Connect, FixedHeader, MqttDecoder, Packet, ProtocolVersion, ReasonCode, SubAck,
    MAX_PACKET_SIZE,
};
use proptest::collection::vec;
use proptest::prelude::*;

use super::strategies::packet_stream;
use super::support::{encode, pid, string, BOTH, V311, V5};

fn encode_stream(version: ProtocolVersion, packets: &[Packet]) -> BytesMut {
    let mut wire = BytesMut::new();
    for p in packets {
        p.encode(version, &mut wire)
            .expect("generated packets are valid");
    }
    wire
}

/// Decodes every whole packet in `buf`, leaving any incomplete rest.
fn drain(
    decoder: &mut MqttDecoder,
    buf: &mut BytesMut,
    into: &mut Vec<Packet>,
) -> Result<(), CodecError> {
    while let Some(packet) = decoder.decode(buf)? {
        into.push(packet);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn stream_split_in_two_reads_decodes_to_the_same_packets(
        (version, packets) in packet_stream(),
        split in any::<prop::sample::Index>(),
    ) {
        let wire = encode_stream(version, &packets);
        let at = split.index(wire.len() + 1);
        let mut decoder = MqttDecoder::new(version);
        let mut buf = BytesMut::from(&wire[..at]);
        let mut decoded = Vec::new();
        drain(&mut decoder, &mut buf, &mut decoded)?;
        buf.extend_from_slice(&wire[at..]);
        drain(&mut decoder, &mut buf, &mut decoded)?;
        prop_assert!(buf.is_empty(), "{} bytes left over", buf.len());
        prop_assert_eq!(decoded, packets);
    }

    #[test]
    fn stream_fed_in_random_chunks_decodes_to_the_same_packets(
        (version, packets) in packet_stream(),
        chunk_sizes in vec(1usize..600, 1..24),
    ) {
        let wire = encode_stream(version, &packets);
        let mut decoder = MqttDecoder::new(version);
        let mut buf = BytesMut::new();
        let mut decoded = Vec::new();
        let mut sizes = chunk_sizes.iter().cycle();
        let mut fed = 0;
        while fed < wire.len() {
            let end = (fed + sizes.next().copied().unwrap_or(1)).min(wire.len());
            buf.extend_from_slice(&wire[fed..end]);
            fed = end;
            drain(&mut decoder, &mut buf, &mut decoded)?;
        }
        prop_assert!(buf.is_empty(), "{} bytes left over", buf.len());
        prop_assert_eq!(decoded, packets);
    }

    #[test]
    fn stream_fed_one_byte_at_a_time_yields_each_packet_on_its_last_byte(
        (version, packets) in packet_stream().prop_filter(
            "keep byte-by-byte feeding cheap",
            |(v, ps)| ps.iter().all(|p| p.encoded_len(*v).is_ok_and(|n| n < 4096)),
        ),
    ) {
        let mut decoder = MqttDecoder::new(version);
        let mut buf = BytesMut::new();
        for packet in &packets {
            let wire = encode(packet, version);
            for (i, byte) in wire.iter().enumerate() {
                buf.extend_from_slice(&[*byte]);
                let got = decoder.decode(&mut buf)?;
                if i + 1 < wire.len() {
                    prop_assert_eq!(got, None, "packet returned before its last byte");
                    prop_assert_eq!(buf.len(), i + 1, "incomplete bytes were consumed");
                } else {
                    prop_assert_eq!(got.as_ref(), Some(packet));
                    prop_assert!(buf.is_empty());
                }
            }
        }
    }
}

#[test]
fn incomplete_packet_returns_none_and_keeps_every_byte() {
    // SUBACK, packet id 1, no properties, granted QoS 1; fed one byte short.
    let wire = [0x90, 0x04, 0x00, 0x01, 0x00, 0x01];
    for version in BOTH {
        let mut decoder = MqttDecoder::new(version);
        for len in 0..wire.len() {
            let mut buf = BytesMut::from(&wire[..len]);
            assert_eq!(decoder.decode(&mut buf), Ok(None), "{len} bytes");
            assert_eq!(&buf[..], &wire[..len], "{len} bytes");
        }
    }
}

#[test]
fn packet_over_the_maximum_is_refused_from_its_fixed_header_before_the_body_arrives() {
    // [MQTT-3.2.2-15] [MQTT-3.1.2-24]: a receiver refuses packets above the Maximum Packet Size
    // it announced; it must not buffer the announced size to find out.
    // PUBLISH announcing 268,435,455 bytes; only the 5-byte fixed header has arrived.
    let header = [0x30, 0xFF, 0xFF, 0xFF, 0x7F];
    let mut buf = BytesMut::from(&header[..]);
    let capacity_before = buf.capacity();
    let mut decoder = MqttDecoder::new(V5).with_max_packet_size(1024);
    let err = decoder.decode(&mut buf).expect_err("too large");
    assert_eq!(
        err,
        CodecError::PacketTooLarge {
            size: 5 + 268_435_455,
            max: 1024
        }
    );
    assert_eq!(err.reason_code(), Some(ReasonCode::PacketTooLarge));
    assert_eq!(
        buf.capacity(),
        capacity_before,
        "the decoder grew the buffer"
    );
    assert_eq!(&buf[..], &header[..], "the decoder consumed bytes");
    // The same from a 2-byte fixed header just over the limit: 2 + 127 > 128.
    let mut small = BytesMut::from(&[0x30, 0x7F][..]);
    assert_eq!(
        MqttDecoder::new(V311)
            .with_max_packet_size(128)
            .decode(&mut small),
        Err(CodecError::PacketTooLarge {
            size: 129,
            max: 128
        })
    );
}

#[test]
fn huge_announced_packet_within_the_limit_reserves_memory_only_as_bytes_arrive() {
    // Without a limit below the protocol's own, a fixed header announcing 256 MiB must not
    // make the decoder reserve 256 MiB up front.
    let mut buf = BytesMut::from(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0x00][..]);
    let mut decoder = MqttDecoder::new(V5);
    assert_eq!(decoder.max_packet_size(), MAX_PACKET_SIZE);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(
        buf.capacity() < 1 << 20,
        "reserved {} bytes for a packet that has not arrived",
        buf.capacity()
    );
}

#[test]
fn maximum_packet_size_counts_the_whole_packet_and_admits_exactly_the_limit() {
    // PINGREQ is 2 bytes with its fixed header: a limit of 2 admits it, 1 does not.
    for version in BOTH {
        let mut ok = BytesMut::from(&[0xC0, 0x00][..]);
        assert_eq!(
            MqttDecoder::new(version)
                .with_max_packet_size(2)
                .decode(&mut ok),
            Ok(Some(Packet::PingReq))
        );
        let mut refused = BytesMut::from(&[0xC0, 0x00][..]);
        let mut decoder = MqttDecoder::new(version);
        decoder.set_max_packet_size(1);
        assert_eq!(
            decoder.decode(&mut refused),
            Err(CodecError::PacketTooLarge { size: 2, max: 1 })
        );
    }
}

#[test]
fn decoder_switches_to_the_version_a_connect_declares() {
    // A server starts in 5.0; a 3.1.1 CONNECT makes what follows decode as 3.1.1, where a
    // SUBACK return code 0x80 is the generic failure, not a 5.0 reason code.
    let mut connect = Connect::new(string("old-client"));
    connect.protocol_version = V311;
    let mut wire = BytesMut::new();
    connect.encode(V5, &mut wire).expect("valid");
    wire.extend_from_slice(&[0x90, 0x03, 0x00, 0x01, 0x80]);
    let mut decoder = MqttDecoder::new(V5);
    assert_eq!(
        decoder.decode(&mut wire),
        Ok(Some(Packet::Connect(Box::new(connect))))
    );
    assert_eq!(decoder.version(), V311);
    assert_eq!(
        decoder.decode(&mut wire),
        Ok(Some(Packet::SubAck(SubAck::new(
            pid(1),
            vec![ReasonCode::UnspecifiedError]
        ))))
    );
}

#[test]
fn fixed_header_peek_reads_type_flags_and_remaining_length_without_consuming() {
    // PUBLISH, QoS 1, retain; remaining length 321 = C1 02 (the specification's example).
    let buf = [0x33, 0xC1, 0x02, 0xAA];
    let header = FixedHeader::peek(&buf, MAX_PACKET_SIZE)
        .expect("valid")
        .expect("whole header");
    assert_eq!(header.packet_type, flowsdk_codec::PacketType::Publish);
    assert_eq!(header.flags, 0b0011);
    assert_eq!(header.remaining_length, 321);
    assert_eq!(header.header_len, 3);
    assert_eq!(header.frame_len(), 324);
    assert_eq!(FixedHeader::peek(&buf[..2], MAX_PACKET_SIZE), Ok(None));
    assert_eq!(FixedHeader::peek(&[], MAX_PACKET_SIZE), Ok(None));
}
