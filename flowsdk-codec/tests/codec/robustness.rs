//! Arbitrary and corrupted input: decoding never panics, and whatever decodes is the truth,
//! i.e. it re-encodes and decodes back to the same packet.

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{
    decode_variable_byte_integer, FixedHeader, MqttDecoder, Packet, Properties, ProtocolVersion,
    MAX_PACKET_SIZE,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};

use super::spec::PROPERTY_SCOPES;
use super::strategies::{any_packet, version};
use super::support::encode;

/// A decoded packet must survive re-encoding: an `Ok` for a frame the codec cannot write back
/// would be a packet it accepted in breach of its own rules.
fn assert_re_encodes(packet: &Packet, version: ProtocolVersion) -> Result<(), TestCaseError> {
    let mut out = BytesMut::new();
    if let Err(e) = packet.encode(version, &mut out) {
        return Err(TestCaseError::fail(format!(
            "decoded {packet:?} but cannot re-encode it as {version}: {e}"
        )));
    }
    prop_assert_eq!(&Packet::decode(version, out.freeze())?, packet);
    Ok(())
}

/// Runs `bytes` through a decoder until it stops; every packet it yields must re-encode.
fn decode_stream(version: ProtocolVersion, bytes: &[u8]) -> Result<usize, TestCaseError> {
    let mut decoder = MqttDecoder::new(version);
    let mut buf = BytesMut::from(bytes);
    let mut count = 0;
    loop {
        let before = decoder.version();
        match decoder.decode(&mut buf) {
            Ok(Some(packet)) => {
                // A CONNECT encodes with the version it declares; everything else with the
                // version the decoder used for it.
                assert_re_encodes(&packet, before)?;
                count += 1;
            }
            Ok(None) | Err(_) => return Ok(count),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_bytes_never_panic_and_what_decodes_round_trips(
        version in version(),
        bytes in vec(any::<u8>(), 0..300),
    ) {
        decode_stream(version, &bytes)?;
        // The one-shot entry point agrees on whatever it accepts.
        if let Ok(packet) = Packet::decode(version, Bytes::from(bytes)) {
            assert_re_encodes(&packet, version)?;
        }
    }

    /// Arbitrary bytes behind a plausible first byte reach deeper than pure noise.
    #[test]
    fn arbitrary_bodies_behind_every_fixed_header_never_panic(
        version in version(),
        first in select((1u8..=15).flat_map(|t| [t << 4, (t << 4) | 2, (t << 4) | 0x0B]).collect::<Vec<_>>()),
        body in vec(any::<u8>(), 0..120),
    ) {
        let mut bytes = vec![first, body.len() as u8];
        bytes.extend_from_slice(&body);
        decode_stream(version, &bytes)?;
    }

    #[test]
    fn arbitrary_property_blocks_never_panic_and_what_decodes_round_trips(
        scope in select(PROPERTY_SCOPES.to_vec()),
        body in vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = vec![body.len() as u8];
        bytes.extend_from_slice(&body);
        if let Ok(props) = Properties::decode(Bytes::from(bytes), scope) {
            let mut out = BytesMut::new();
            props.encode(scope, &mut out)?;
            prop_assert_eq!(Properties::decode(out.freeze(), scope)?, props);
        }
    }

    #[test]
    fn arbitrary_fixed_headers_and_integers_never_panic(bytes in vec(any::<u8>(), 0..8)) {
        let _ = FixedHeader::peek(&bytes, MAX_PACKET_SIZE);
        if let Ok(Some((value, len))) = decode_variable_byte_integer(&bytes) {
            prop_assert!((1..=4).contains(&len));
            prop_assert!(value <= flowsdk_codec::MAX_VARIABLE_BYTE_INTEGER);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Valid packets with a few bytes overwritten: either an error, or a packet that round-trips.
    #[test]
    fn corrupted_packets_are_rejected_or_decode_to_something_that_round_trips(
        (version, packet) in version().prop_flat_map(|v| (Just(v), any_packet(v))),
        edits in vec((any::<Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = encode(&packet, version).to_vec();
        let len = bytes.len();
        for (at, value) in edits {
            bytes[at.index(len)] = value;
        }
        decode_stream(version, &bytes)?;
    }

    /// A valid packet cut short is never a packet: the incremental decoder waits, the one-shot
    /// decoder refuses.
    #[test]
    fn truncated_packets_never_decode(
        (version, packet) in version().prop_flat_map(|v| (Just(v), any_packet(v))),
        cut in any::<Index>(),
    ) {
        let bytes = encode(&packet, version);
        let at = cut.index(bytes.len());
        let mut buf = BytesMut::from(&bytes[..at]);
        prop_assert_eq!(MqttDecoder::new(version).decode(&mut buf)?, None);
        prop_assert!(Packet::decode(version, bytes.slice(..at)).is_err());
    }
}
