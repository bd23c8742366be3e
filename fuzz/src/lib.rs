//! The bodies of FlowSDK's cargo-fuzz targets, as a library.
//!
//! Each binary in `fuzz_targets/` is one `libfuzzer_sys::fuzz_target!` around a function of
//! this crate, and `tests/corpus.rs` runs the very same functions over a large deterministic
//! corpus on stable Rust. Every invariant checked while fuzzing is therefore also checked by
//! `cargo test`, and a crash libFuzzer finds becomes a regression case by adding its bytes to
//! that test.
//!
//! A body returns normally for every input. It panics (which libFuzzer reports as a crash)
//! only when `flowsdk-codec` breaks one of its promises:
//!
//! - no decoder panics, whatever the bytes;
//! - whatever decodes holds only values its types' constructors accept (so a fast path that
//!   skips a check is caught even when the bytes round-trip);
//! - whatever decodes re-encodes, to exactly [`Packet::encoded_len`] bytes, to bytes that decode
//!   to the same packet, and to the received bytes themselves unless the packet has a short
//!   form (MQTT 5.0 acknowledgements, DISCONNECT and AUTH may leave out a Success reason code
//!   and an empty property block);
//! - the incremental [`MqttDecoder`] agrees with [`Packet::decode`] however the stream is split,
//!   and returns `Ok(None)` only while the bytes are a strict prefix of a packet;
//! - errors met while decoding carry the reason code a receiver answers with;
//! - encoders write nothing when they refuse a packet;
//! - [`Frames`] queues the same bytes, with a PUBLISH payload referenced (not copied) when it
//!   is over the threshold.
//!
//! A third body, [`fuzz_client_session`], drives the client's sans-IO session
//! (`flowsdk_client::proto::Session`) through a script read from the bytes and checks the
//! packets it sends.
//!
//! ```
//! // Arbitrary bytes are fine: the bodies only panic on a codec bug.
//! flowsdk_fuzz::fuzz_parser_funs(b"\x30\x07\x00\x03a/bhi");
//! flowsdk_fuzz::fuzz_mqtt_packet_symmetric(b"\x30\x07\x00\x03a/bhi");
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]
#![deny(clippy::unwrap_used)]

use bytes::{Buf, Bytes, BytesMut};
use flowsdk_codec::{
    decode_variable_byte_integer, encode_variable_byte_integer, topic_matches, CodecError,
    FixedHeader, Frames, MqttDecoder, MqttString, Packet, PacketId, PacketType, Properties,
    Property, PropertyId, ProtocolVersion, QoS, ReasonCode, SubscriptionOptions, TopicFilter,
    TopicName, MAX_FIELD_LEN, MAX_PACKET_SIZE, MAX_VARIABLE_BYTE_INTEGER,
};

mod session;

pub use session::fuzz_client_session;

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V311, ProtocolVersion::V5];

/// Bytes put in an output buffer before encoding into it: encoders append, and must leave what
/// was there alone.
const GUARD: &[u8] = b"\x5a\xa5";

/// Drives every public decoding function of `flowsdk-codec` over `data` and checks the
/// invariants that must hold for any input.
///
/// - [`Packet::decode`] in both versions; a decoded packet goes through the round-trip checks
///   (re-encodes to `encoded_len` bytes, to the input unless it has a short form, decodes back
///   to itself, and converts to the other version as a stable projection).
/// - [`Packet::decode_body`] with every packet type and every flag nibble in both versions: with
///   the flags the type requires it agrees with [`Packet::decode`] on the same bytes behind a
///   real fixed header; with other flags it either ignores them or refuses them; a remaining
///   length that differs from the body is refused.
/// - [`MqttDecoder`] fed all at once, in chunks whose sizes come from the input, and with a
///   maximum packet size taken from the input: the same packets and errors whatever the split,
///   `Ok(None)` only for a strict prefix, each packet equal to [`Packet::decode`] of its frame.
/// - [`FixedHeader::peek`] with several limits: a header it returns is the one in the bytes and
///   fits the limit; `Ok(None)` only when the header is incomplete; limits only add
///   [`CodecError::PacketTooLarge`].
/// - [`Properties::decode`] for every packet type and for will properties (`None`): a decoded
///   block validates, re-encodes to the very same bytes, and decoding under another scope
///   agrees with [`Properties::validate`] there.
/// - [`decode_variable_byte_integer`], [`MqttString::from_bytes`], [`TopicName::new`] and
///   [`TopicFilter::new`] on a lossy UTF-8 view of the input, [`topic_matches`] against a
///   reference matcher, [`SubscriptionOptions::from_byte`], [`ReasonCode::try_from`],
///   [`PropertyId::from_u32`] and the other value parsers, each checked against its rule.
///
/// # Panics
/// When the codec breaks one of those invariants; never for any other reason.
pub fn fuzz_parser_funs(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);

    for version in VERSIONS {
        match Packet::decode(version, bytes.clone()) {
            Ok(packet) => {
                let header = FixedHeader::peek(data, MAX_PACKET_SIZE)
                    .ok()
                    .flatten()
                    .expect("a frame that decodes has a complete, valid fixed header");
                assert_eq!(
                    header.frame_len(),
                    data.len(),
                    "Packet::decode took a partial frame"
                );
                assert_eq!(header.packet_type, packet.packet_type());
                check_decoded(&packet, version, Some(data));
            }
            Err(e) => check_reported_error(&e, "Packet::decode"),
        }
    }

    check_decode_body(data, &bytes);
    check_incremental_decoder(data);
    check_fixed_header(data);
    check_properties(data, &bytes);
    check_variable_byte_integer(data);
    if data.len() > 1 {
        check_variable_byte_integer(&data[1..]);
    }
    check_strings(data, &bytes);
    check_value_parsers(data);
}

/// Checks that decoding and encoding are inverse: whatever `data` decodes to (in either
/// version, whole or as the first packet of a stream) encodes back to bytes that decode to the
/// same packet and re-encode to the same bytes; the same holds through [`MqttDecoder`] fed in
/// two reads split at a point taken from the data, and for two packets back to back.
///
/// The re-encoding equals `data` itself unless the packet has a short form, and converting the
/// packet to the other version, where it encodes, is a projection: decoding and re-encoding the
/// converted bytes changes nothing.
///
/// # Panics
/// When the codec breaks one of those invariants; never for any other reason.
pub fn fuzz_mqtt_packet_symmetric(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    let split = fnv1a(data);
    for version in VERSIONS {
        let (packet, frame_len) = match Packet::decode(version, bytes.clone()) {
            Ok(packet) => (packet, data.len()),
            // Not a single whole packet: try the first packet of a stream.
            Err(_) => {
                let mut buf = BytesMut::from(data);
                match MqttDecoder::new(version).decode(&mut buf) {
                    Ok(Some(packet)) => (packet, data.len() - buf.len()),
                    _ => continue,
                }
            }
        };
        let frame = &data[..frame_len];
        let encoded = check_decoded(&packet, version, Some(frame));
        check_split_decoding(&packet, version, &encoded, split);
    }
}

/// The other protocol version.
fn other(version: ProtocolVersion) -> ProtocolVersion {
    match version {
        ProtocolVersion::V311 => ProtocolVersion::V5,
        ProtocolVersion::V5 => ProtocolVersion::V311,
    }
}

fn packet_types() -> impl Iterator<Item = PacketType> {
    (1..=15u8).map(|n| PacketType::from_nibble(n).expect("nibbles 1 to 15 are packet types"))
}

/// A cheap, stable hash of the input, used to pick split points the fuzzer can steer.
fn fnv1a(data: &[u8]) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    // Truncation is fine: any value is a valid seed.
    h as usize
}

/// `true` when `packet` has more than one encoding in `version` that decodes to it: in 5.0 the
/// acknowledgements, DISCONNECT and AUTH may leave out a Success reason code and an empty
/// property block, and the encoder always writes the shortest form.
fn has_short_form(packet: &Packet, version: ProtocolVersion) -> bool {
    version == ProtocolVersion::V5
        && matches!(
            packet,
            Packet::PubAck(_)
                | Packet::PubRec(_)
                | Packet::PubRel(_)
                | Packet::PubComp(_)
                | Packet::Disconnect(_)
                | Packet::Auth(_)
        )
}

/// Errors met while decoding received bytes must say how to answer the peer.
fn check_decode_error(e: &CodecError, what: &str) {
    assert!(
        e.reason_code().is_some(),
        "{what}: decode error {e:?} has no reason code; only errors of locally built values may lack one"
    );
}

/// As [`check_decode_error`], and the error displays. Formatting is the costly part, so it is
/// done for the errors of whole inputs only, not for each of the hundreds of `decode_body` calls.
fn check_reported_error(e: &CodecError, what: &str) {
    check_decode_error(e, what);
    assert!(
        !e.to_string().is_empty(),
        "{what}: {e:?} displays as nothing"
    );
}

/// The encoding of `packet` in `version` through its own type's API (`Publish::encode`, ...),
/// `None` for PINGREQ and PINGRESP, which have no type of their own.
fn typed_encoding(packet: &Packet, version: ProtocolVersion) -> Option<Bytes> {
    macro_rules! typed {
        ($p:expr) => {{
            let len = $p
                .encoded_len(version)
                .expect("the packet encodes through Packet, so through its type");
            let mut out = BytesMut::new();
            $p.encode(version, &mut out)
                .expect("the packet encodes through Packet, so through its type");
            assert_eq!(
                out.len(),
                len,
                "typed encoded_len differs from bytes written"
            );
            Some(out.freeze())
        }};
    }
    match packet {
        Packet::Connect(p) => typed!(p),
        Packet::ConnAck(p) => typed!(p),
        Packet::Publish(p) => typed!(p),
        Packet::PubAck(p) => typed!(p),
        Packet::PubRec(p) => typed!(p),
        Packet::PubRel(p) => typed!(p),
        Packet::PubComp(p) => typed!(p),
        Packet::Subscribe(p) => typed!(p),
        Packet::SubAck(p) => typed!(p),
        Packet::Unsubscribe(p) => typed!(p),
        Packet::UnsubAck(p) => typed!(p),
        Packet::Disconnect(p) => typed!(p),
        Packet::Auth(p) => typed!(p),
        Packet::PingReq | Packet::PingResp => None,
    }
}

/// Checks everything a packet decoded in `version` promises, and returns its encoding.
///
/// It re-encodes in `version` (appending after what the buffer held), to exactly
/// `encoded_len` bytes, the same through its own type's API; a limit one byte short refuses it
/// without writing; the encoding decodes to the same packet and carries a fixed header that
/// announces its length. When `frame` (the bytes it was decoded from) is given, the encoding is
/// `frame` itself unless the packet has a short form.
fn check_decoded(packet: &Packet, version: ProtocolVersion, frame: Option<&[u8]>) -> Bytes {
    assert!(
        !(version == ProtocolVersion::V311 && packet.packet_type() == PacketType::Auth),
        "AUTH decoded as MQTT 3.1.1"
    );
    let _ = format!("{packet:?}");
    check_values(packet, version);

    let len = packet
        .encoded_len(version)
        .unwrap_or_else(|e| panic!("{packet:?} decoded in {version} but does not encode: {e}"));
    let mut out = BytesMut::from(GUARD);
    let written = packet
        .encode_limited(version, MAX_PACKET_SIZE, &mut out)
        .unwrap_or_else(|e| panic!("{packet:?} decoded in {version} but does not encode: {e}"));
    assert_eq!(
        written, len,
        "encode_limited wrote a different size than encoded_len"
    );
    assert_eq!(
        out.len(),
        GUARD.len() + len,
        "encoded_len differs from bytes written"
    );
    assert_eq!(
        &out[..GUARD.len()],
        GUARD,
        "encoding overwrote the buffer's contents"
    );
    let encoded = out.split_off(GUARD.len()).freeze();

    let mut plain = BytesMut::new();
    packet
        .encode(version, &mut plain)
        .expect("encode_limited accepted the packet at the protocol maximum");
    assert_eq!(plain, encoded, "Packet::encode differs from encode_limited");
    if let Some(typed) = typed_encoding(packet, version) {
        assert_eq!(
            typed, encoded,
            "the packet type's encode differs from Packet::encode"
        );
    }

    check_frames(packet, version, &encoded);

    // One byte short of its size, the packet is refused and nothing is written.
    let max = u32::try_from(len - 1).expect("decoded packets are far below 4 GiB");
    let mut refused = BytesMut::from(GUARD);
    match packet.encode_limited(version, max, &mut refused) {
        Err(CodecError::PacketTooLarge { size, max: m }) => {
            assert_eq!(
                (size, m),
                (len, max),
                "PacketTooLarge reports the wrong numbers"
            );
        }
        other => panic!("{len}-byte {packet:?} under a {max}-byte limit gave {other:?}"),
    }
    assert_eq!(&refused[..], GUARD, "a refused packet was partly written");

    let header = FixedHeader::peek(&encoded, MAX_PACKET_SIZE)
        .ok()
        .flatten()
        .expect("an encoding starts with a complete fixed header");
    assert_eq!(header.packet_type, packet.packet_type());
    assert_eq!(
        header.frame_len(),
        encoded.len(),
        "remaining length is wrong"
    );

    let again = Packet::decode(version, encoded.clone())
        .unwrap_or_else(|e| panic!("the encoding of {packet:?} in {version} fails to decode: {e}"));
    assert_eq!(&again, packet, "decode(encode(p)) != p in {version}");

    if let Some(frame) = frame {
        assert!(
            frame == &encoded[..] || has_short_form(packet, version),
            "{packet:?} decoded from {frame:02x?} re-encodes in {version} as {:02x?}",
            &encoded[..]
        );
    }

    check_other_version(packet, version);
    encoded
}

/// Queued in a [`Frames`] after another packet, with payloads referenced from one byte on and
/// copied at every size, the packet reads back as `encoded` (and a `Frames` refuses it one byte
/// short of its size, queueing nothing); the payload chunk is the payload's own memory.
fn check_frames(packet: &Packet, version: ProtocolVersion, encoded: &[u8]) {
    for min in [1, usize::MAX] {
        let mut frames = Frames::with_zero_copy_min(min);
        frames.push_raw(GUARD);
        let size = frames
            .push(packet, version, MAX_PACKET_SIZE)
            .expect("encode_limited accepted the packet at the protocol maximum");
        assert_eq!(size, encoded.len(), "Frames wrote another size");
        assert_eq!(frames.remaining(), GUARD.len() + size);
        let mut slices = [std::io::IoSlice::new(&[]); 4];
        let n = frames.chunks_vectored(&mut slices);
        if let (Packet::Publish(p), 1) = (packet, min) {
            if !p.payload.is_empty() {
                assert_eq!(n, 2, "a referenced payload is its own chunk");
                assert_eq!(
                    slices[1].as_ptr(),
                    p.payload.as_ptr(),
                    "the payload was copied"
                );
            }
        }
        let mut bytes = vec![0; frames.remaining()];
        frames.copy_to_slice(&mut bytes);
        assert_eq!(&bytes[..GUARD.len()], GUARD);
        assert_eq!(&bytes[GUARD.len()..], encoded, "Frames holds other bytes");
        let max = u32::try_from(size - 1).expect("decoded packets are far below 4 GiB");
        assert!(frames.push(packet, version, max).is_err());
        assert!(frames.is_empty(), "a refused packet was queued");
    }
}

/// A string field of a decoded packet holds what [`MqttString::new`] would accept: decoders
/// that wrap checked bytes without re-checking them (fast paths) must not let anything else in.
fn check_string(s: &MqttString, what: &str) {
    assert_eq!(s.as_str().len(), s.len(), "{what} is not valid UTF-8");
    assert_eq!(
        MqttString::new(s.as_str()).as_ref(),
        Ok(s),
        "{what} {s:?} breaks the MQTT string rules"
    );
}

fn check_topic_name(t: &TopicName, what: &str) {
    check_string(t.as_mqtt_str(), what);
    assert_eq!(
        TopicName::new(t.as_str()).as_ref(),
        Ok(t),
        "{what} {t:?} is invalid"
    );
}

fn check_topic_filter(f: &TopicFilter) {
    check_string(f.as_mqtt_str(), "topic filter");
    assert_eq!(
        TopicFilter::new(f.as_str()).as_ref(),
        Ok(f),
        "filter {f:?} is invalid"
    );
}

fn check_property_values(props: &Properties, scope: Option<PacketType>) {
    assert_eq!(
        props.validate(scope),
        Ok(()),
        "decoded {props:?} break a rule in {scope:?}"
    );
    for p in props {
        match &p {
            Property::ContentType(s)
            | Property::AssignedClientIdentifier(s)
            | Property::AuthenticationMethod(s)
            | Property::ResponseInformation(s)
            | Property::ServerReference(s)
            | Property::ReasonString(s) => check_string(s, p.id().name()),
            Property::ResponseTopic(t) => check_topic_name(t, "Response Topic"),
            Property::UserProperty(k, v) => {
                check_string(k, "User Property name");
                check_string(v, "User Property value");
            }
            _ => {}
        }
    }
}

fn check_reason_codes(codes: &[ReasonCode], packet: PacketType) {
    for code in codes {
        assert!(code.is_allowed_in(packet), "{code} decoded in a {packet}");
    }
}

/// Every value of a packet decoded in `version` satisfies its type's rules and the packet's:
/// strings, topics and filters as their constructors require, properties as
/// [`Properties::validate`] requires (none in 3.1.1), reason codes allowed in the packet, packet
/// identifiers where QoS needs them, non-empty lists where the specification requires entries.
fn check_values(packet: &Packet, version: ProtocolVersion) {
    let v5 = version == ProtocolVersion::V5;
    let scope = Some(packet.packet_type());
    let props = |p: &Properties, scope| {
        if v5 {
            check_property_values(p, scope);
        } else {
            assert!(p.is_empty(), "3.1.1 packet decoded with properties");
        }
    };
    match packet {
        Packet::Connect(c) => {
            let v5 = c.protocol_version == ProtocolVersion::V5;
            check_string(&c.client_id, "client identifier");
            if let Some(u) = &c.username {
                check_string(u, "user name");
            }
            assert!(v5 || c.password.is_none() || c.username.is_some());
            if v5 {
                check_property_values(&c.properties, scope);
            } else {
                assert!(c.properties.is_empty());
            }
            if let Some(will) = &c.will {
                check_topic_name(&will.topic, "will topic");
                if v5 {
                    check_property_values(&will.properties, None);
                } else {
                    assert!(will.properties.is_empty());
                }
            }
        }
        Packet::ConnAck(a) => {
            check_reason_codes(&[a.reason_code], PacketType::ConnAck);
            assert!(!a.session_present || a.reason_code.is_success());
            props(&a.properties, scope);
        }
        Packet::Publish(p) => {
            if p.topic.is_empty() {
                assert!(
                    v5 && p.properties.topic_alias().is_some(),
                    "empty topic, no alias"
                );
            } else {
                check_topic_name(&p.topic, "topic name");
            }
            assert_eq!(
                p.packet_id.is_some(),
                p.qos != QoS::AtMostOnce,
                "packet id vs QoS"
            );
            assert!(!p.dup || p.qos != QoS::AtMostOnce, "DUP at QoS 0");
            props(&p.properties, scope);
        }
        Packet::PubAck(a) => {
            check_reason_codes(&[a.reason_code], PacketType::PubAck);
            props(&a.properties, scope);
        }
        Packet::PubRec(a) => {
            check_reason_codes(&[a.reason_code], PacketType::PubRec);
            props(&a.properties, scope);
        }
        Packet::PubRel(a) => {
            check_reason_codes(&[a.reason_code], PacketType::PubRel);
            props(&a.properties, scope);
        }
        Packet::PubComp(a) => {
            check_reason_codes(&[a.reason_code], PacketType::PubComp);
            props(&a.properties, scope);
        }
        Packet::Subscribe(s) => {
            assert!(!s.subscriptions.is_empty(), "SUBSCRIBE without filters");
            for sub in &s.subscriptions {
                check_topic_filter(&sub.filter);
                let byte = sub.options.to_byte();
                assert_eq!(
                    SubscriptionOptions::from_byte(byte, version),
                    Ok(sub.options)
                );
                assert!(!(sub.options.no_local && sub.filter.is_shared()));
            }
            props(&s.properties, scope);
        }
        Packet::SubAck(a) => {
            assert!(!a.reason_codes.is_empty(), "SUBACK without reason codes");
            check_reason_codes(&a.reason_codes, PacketType::SubAck);
            props(&a.properties, scope);
        }
        Packet::Unsubscribe(u) => {
            assert!(!u.filters.is_empty(), "UNSUBSCRIBE without filters");
            u.filters.iter().for_each(check_topic_filter);
            props(&u.properties, scope);
        }
        Packet::UnsubAck(a) => {
            assert_eq!(a.reason_codes.is_empty(), !v5, "UNSUBACK reason codes");
            check_reason_codes(&a.reason_codes, PacketType::UnsubAck);
            props(&a.properties, scope);
        }
        Packet::Disconnect(d) => {
            check_reason_codes(&[d.reason_code], PacketType::Disconnect);
            props(&d.properties, scope);
        }
        Packet::Auth(a) => {
            check_reason_codes(&[a.reason_code], PacketType::Auth);
            props(&a.properties, scope);
        }
        Packet::PingReq | Packet::PingResp => {}
    }
}

/// Converting to the other version, where the packet encodes there, is a projection: the bytes
/// decode, and what they decode to encodes to the same bytes. Where it does not encode, nothing
/// is written and `encoded_len` gives the same error.
fn check_other_version(packet: &Packet, version: ProtocolVersion) {
    let other = other(version);
    let mut out = BytesMut::new();
    match packet.encode(other, &mut out) {
        Ok(()) => {
            assert_eq!(packet.encoded_len(other), Ok(out.len()));
            let converted = Packet::decode(other, out.clone().freeze()).unwrap_or_else(|e| {
                panic!("{packet:?} encodes in {other} to bytes that do not decode: {e}")
            });
            assert_eq!(converted.packet_type(), packet.packet_type());
            let mut again = BytesMut::new();
            converted
                .encode(other, &mut again)
                .unwrap_or_else(|e| panic!("{converted:?} decoded in {other} but fails: {e}"));
            assert_eq!(
                again, out,
                "conversion of {packet:?} to {other} is not stable"
            );
        }
        Err(e) => {
            assert!(out.is_empty(), "a refused packet was partly written");
            assert_eq!(packet.encoded_len(other), Err(e));
        }
    }
}

/// `encoded` (the encoding of `packet` in `version`) through a decoder in two reads split at
/// `seed`, then twice back to back split elsewhere, then under limits around its size.
fn check_split_decoding(packet: &Packet, version: ProtocolVersion, encoded: &Bytes, seed: usize) {
    let len = encoded.len();
    let at = seed % (len + 1);

    let mut decoder = MqttDecoder::new(version);
    let mut buf = BytesMut::from(&encoded[..at]);
    if at < len {
        assert_eq!(
            decoder.decode(&mut buf),
            Ok(None),
            "{at} of {len} bytes is not a packet"
        );
        assert_eq!(&buf[..], &encoded[..at], "Ok(None) consumed bytes");
    }
    buf.extend_from_slice(&encoded[at..]);
    assert_eq!(decoder.decode(&mut buf), Ok(Some(packet.clone())));
    assert!(buf.is_empty(), "the decoder left bytes of a whole packet");
    assert_eq!(decoder.decode(&mut buf), Ok(None));

    // Two copies back to back, split somewhere in the pair.
    let at = (seed / (len + 1)) % (2 * len + 1);
    let mut stream = BytesMut::with_capacity(2 * len);
    stream.extend_from_slice(encoded);
    stream.extend_from_slice(encoded);
    let mut decoder = MqttDecoder::new(version);
    let mut buf = BytesMut::from(&stream[..at]);
    let mut got = Vec::new();
    while let Some(p) = decoder.decode(&mut buf).expect("a valid stream decodes") {
        got.push(p);
    }
    buf.extend_from_slice(&stream[at..]);
    while let Some(p) = decoder.decode(&mut buf).expect("a valid stream decodes") {
        got.push(p);
    }
    assert!(buf.is_empty());
    assert_eq!(got, [packet.clone(), packet.clone()]);

    // The maximum packet size counts the whole packet, fixed header included.
    let size = u32::try_from(len).expect("decoded packets are far below 4 GiB");
    let mut at_limit = MqttDecoder::new(version).with_max_packet_size(size);
    assert_eq!(
        at_limit.decode(&mut BytesMut::from(&encoded[..])),
        Ok(Some(packet.clone()))
    );
    let mut below = MqttDecoder::new(version).with_max_packet_size(size - 1);
    assert_eq!(
        below.decode(&mut BytesMut::from(&encoded[..])),
        Err(CodecError::PacketTooLarge {
            size: len,
            max: size - 1
        })
    );
}

/// [`Packet::decode_body`] with every packet type and flag nibble, in both versions.
fn check_decode_body(data: &[u8], body: &Bytes) {
    let Ok(remaining) = u32::try_from(data.len()) else {
        return;
    };
    if remaining > MAX_VARIABLE_BYTE_INTEGER {
        return;
    }
    let mut frame = BytesMut::with_capacity(data.len() + 5);
    frame.extend_from_slice(&[0]);
    encode_variable_byte_integer(data.len(), &mut frame).expect("checked against the maximum");
    let header_len = frame.len();
    frame.extend_from_slice(data);

    for packet_type in packet_types() {
        let required = packet_type.required_flags();
        for version in VERSIONS {
            // A body that is not exactly the remaining length is refused.
            let longer = FixedHeader {
                packet_type,
                flags: required.unwrap_or(0),
                remaining_length: data.len() + 1,
                header_len,
            };
            assert!(
                Packet::decode_body(&longer, body.clone(), version).is_err(),
                "decode_body accepted a body shorter than the remaining length"
            );

            let header = |flags| FixedHeader {
                packet_type,
                flags,
                remaining_length: data.len(),
                header_len,
            };
            let reference =
                required.map(|flags| Packet::decode_body(&header(flags), body.clone(), version));
            for flags in 0..16u8 {
                if let (Some(required), Some(reference)) = (required, &reference) {
                    if flags != required {
                        // Flags a fixed-flag type may not carry are ignored or refused.
                        let result = Packet::decode_body(&header(flags), body.clone(), version);
                        assert!(
                            &result == reference
                                || matches!(result, Err(CodecError::InvalidFixedHeaderFlags { .. })),
                            "{packet_type} body decoded with flags {flags:04b}: {result:?}, with {required:04b}: {reference:?}"
                        );
                        continue;
                    }
                }
                let result = Packet::decode_body(&header(flags), body.clone(), version);
                frame[0] = ((packet_type as u8) << 4) | flags;
                let whole = Packet::decode(version, frame.clone().freeze());
                assert_eq!(
                    whole, result,
                    "Packet::decode and decode_body disagree on a {packet_type} with flags {flags:04b}"
                );
                match &result {
                    Ok(packet) => {
                        assert_eq!(packet.packet_type(), packet_type);
                        check_decoded(packet, version, Some(&frame));
                    }
                    Err(e) => check_decode_error(e, "Packet::decode_body"),
                }
            }
        }
    }
}

/// What a decoder did with a call to `decode`.
#[derive(Debug, PartialEq)]
// A harness value, built once per decoder call and compared at once: boxing would only add noise.
#[allow(clippy::large_enum_variant)]
enum Event {
    /// A packet, the frame length it took, and the version it was decoded with.
    Packet(Packet, usize, ProtocolVersion),
    /// An error; the decoder is not used after one.
    Error(CodecError),
    /// All bytes fed; this many wait for the rest of a packet.
    Pending(usize),
}

/// Feeds `data` to a fresh decoder in chunks of the sizes in `chunks` (cycled), decoding after
/// each chunk until it asks for more, and checks each call:
/// - a packet is what [`Packet::decode`] makes of the bytes it consumed, and a CONNECT switches
///   the decoder to its version;
/// - `Ok(None)` leaves the buffer alone and happens only while it holds a strict prefix of a
///   packet;
/// - an error is what [`FixedHeader::peek`] or [`Packet::decode_body`] say of those bytes.
fn run_decoder(data: &[u8], version: ProtocolVersion, max: u32, chunks: &[usize]) -> Vec<Event> {
    let mut decoder = MqttDecoder::new(version).with_max_packet_size(max);
    assert_eq!(
        (decoder.version(), decoder.max_packet_size()),
        (version, max)
    );
    let mut buf = BytesMut::new();
    let (mut consumed, mut fed) = (0, 0);
    let mut events = Vec::new();
    for step in chunks.iter().cycle() {
        loop {
            let before = buf.len();
            let v = decoder.version();
            match decoder.decode(&mut buf) {
                Ok(Some(packet)) => {
                    let n = before - buf.len();
                    let frame = Bytes::copy_from_slice(&data[consumed..consumed + n]);
                    assert_eq!(
                        Packet::decode(v, frame).as_ref(),
                        Ok(&packet),
                        "MqttDecoder and Packet::decode disagree"
                    );
                    let expected = match &packet {
                        Packet::Connect(c) => c.protocol_version,
                        _ => v,
                    };
                    assert_eq!(decoder.version(), expected, "version after {packet:?}");
                    consumed += n;
                    events.push(Event::Packet(packet, n, v));
                }
                Ok(None) => {
                    assert_eq!(
                        &buf[..],
                        &data[consumed..fed],
                        "Ok(None) changed the buffer"
                    );
                    match FixedHeader::peek(&buf, max) {
                        Ok(None) => {}
                        Ok(Some(h)) => assert!(
                            h.frame_len() > buf.len(),
                            "Ok(None) with a whole {}-byte packet buffered",
                            h.frame_len()
                        ),
                        Err(e) => panic!("Ok(None) for bytes whose fixed header fails: {e}"),
                    }
                    break;
                }
                Err(e) => {
                    let rest = &data[consumed..fed];
                    match FixedHeader::peek(rest, max) {
                        Err(he) => assert_eq!(he, e, "decoder and FixedHeader::peek disagree"),
                        Ok(Some(h)) => {
                            assert!(h.frame_len() <= rest.len(), "error on a partial packet");
                            let body = Bytes::copy_from_slice(&rest[h.header_len..h.frame_len()]);
                            assert_eq!(
                                Packet::decode_body(&h, body, v),
                                Err(e.clone()),
                                "decoder and decode_body disagree"
                            );
                        }
                        Ok(None) => panic!("decoder error {e} on an incomplete fixed header"),
                    }
                    check_reported_error(&e, "MqttDecoder::decode");
                    events.push(Event::Error(e));
                    return events;
                }
            }
        }
        if fed == data.len() {
            events.push(Event::Pending(buf.len()));
            return events;
        }
        let end = fed.saturating_add((*step).max(1)).min(data.len());
        buf.extend_from_slice(&data[fed..end]);
        fed = end;
    }
    unreachable!("chunks is never empty, so the cycle ends only by returning")
}

/// The incremental decoder over `data`: whole, in chunks, and under a limit.
fn check_incremental_decoder(data: &[u8]) {
    let chunks: Vec<usize> = if data.is_empty() {
        vec![1]
    } else {
        data.iter()
            .take(16)
            .map(|&b| 1 + usize::from(b % 13))
            .collect()
    };
    let whole = [data.len().max(1)];
    let limit = u32::try_from(data.len() / 2)
        .unwrap_or(u32::MAX)
        .saturating_add(u32::from(data.last().copied().unwrap_or(0)));

    for version in VERSIONS {
        let at_once = run_decoder(data, version, MAX_PACKET_SIZE, &whole);
        let chunked = run_decoder(data, version, MAX_PACKET_SIZE, &chunks);
        assert_eq!(
            chunked, at_once,
            "the decoder's output depends on how the input is split"
        );

        // A limit changes nothing up to the first packet over it, which becomes the error.
        let limited = run_decoder(data, version, limit, &chunks);
        let same = limited
            .iter()
            .zip(&at_once)
            .take_while(|(a, b)| a == b)
            .count();
        if same < at_once.len() {
            assert_eq!(
                limited.len(),
                same + 1,
                "the limited decoder went on after an error"
            );
            match &limited[same] {
                Event::Error(CodecError::PacketTooLarge { size, max }) => {
                    assert_eq!(*max, limit);
                    assert!(*size > limit as usize);
                }
                other => panic!(
                    "under a {limit}-byte limit: {other:?} instead of {:?}",
                    at_once[same]
                ),
            }
        } else {
            assert_eq!(limited.len(), at_once.len());
        }

        // Every packet taken whole passes the round-trip checks, and each strict prefix of the
        // first one is only `Ok(None)`.
        let mut offset = 0;
        for event in &at_once {
            if let Event::Packet(packet, n, v) = event {
                let frame = &data[offset..offset + n];
                check_decoded(packet, *v, Some(frame));
                if offset == 0 {
                    let mut decoder = MqttDecoder::new(version);
                    let mut buf = BytesMut::with_capacity(*n);
                    for (i, &b) in frame[..n - 1].iter().enumerate() {
                        buf.extend_from_slice(&[b]);
                        assert_eq!(
                            decoder.decode(&mut buf),
                            Ok(None),
                            "a strict prefix decoded"
                        );
                        assert_eq!(&buf[..], &frame[..=i], "Ok(None) changed the buffer");
                    }
                }
                offset += n;
            }
        }
    }
}

/// [`FixedHeader::peek`] over `data` with limits from none at all to zero.
fn check_fixed_header(data: &[u8]) {
    let unlimited = FixedHeader::peek(data, u32::MAX);
    match &unlimited {
        Ok(Some(h)) => {
            assert!(
                (2..=5).contains(&h.header_len),
                "header of {} bytes",
                h.header_len
            );
            assert!(h.header_len <= data.len(), "header longer than the bytes");
            assert_eq!(data[0] >> 4, h.packet_type as u8);
            assert_eq!(data[0] & 0x0F, h.flags);
            if let Some(required) = h.packet_type.required_flags() {
                assert_eq!(h.flags, required, "reserved flags accepted [MQTT-2.1.3-1]");
            }
            let mut vbi = BytesMut::new();
            encode_variable_byte_integer(h.remaining_length, &mut vbi)
                .expect("a decoded remaining length is in range");
            assert_eq!(&vbi[..], &data[1..h.header_len], "remaining length misread");
            assert!(h.frame_len() <= MAX_PACKET_SIZE as usize);
        }
        Ok(None) => {
            assert!(data.len() < 5, "a header of 5 bytes or more is complete");
            assert!(
                data.iter().skip(1).all(|b| b & 0x80 != 0),
                "Ok(None) although the remaining length is complete"
            );
        }
        Err(e) => {
            assert!(!matches!(e, CodecError::PacketTooLarge { .. }));
            check_reported_error(e, "FixedHeader::peek");
        }
    }
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let mut word = [0u8; 4];
    for (w, b) in word.iter_mut().zip(data.iter().rev()) {
        *w = *b;
    }
    let limits = [
        0,
        1,
        2,
        3,
        127,
        16_384,
        len,
        len.saturating_sub(1),
        u32::from_le_bytes(word),
        MAX_PACKET_SIZE,
    ];
    for limit in limits {
        let limited = FixedHeader::peek(data, limit);
        match (&unlimited, &limited) {
            (Ok(Some(h)), Ok(Some(hl))) => {
                assert_eq!(h, hl);
                assert!(
                    h.frame_len() <= limit as usize,
                    "header over the limit accepted"
                );
            }
            (Ok(Some(h)), Err(CodecError::PacketTooLarge { size, max })) => {
                assert_eq!((*size, *max), (h.frame_len(), limit));
                assert!(*size > limit as usize, "a packet within the limit refused");
            }
            (a, b) => assert_eq!(a, b, "the limit {limit} changed more than the size check"),
        }
    }
}

/// [`Properties::decode`] in every scope.
fn check_properties(data: &[u8], bytes: &Bytes) {
    let scopes: Vec<Option<PacketType>> = std::iter::once(None)
        .chain(packet_types().map(Some))
        .collect();
    let mut decoded: Option<Properties> = None;
    for &scope in &scopes {
        match Properties::decode(bytes.clone(), scope) {
            Ok(props) => {
                assert_eq!(
                    props.validate(scope),
                    Ok(()),
                    "decoded properties fail validation"
                );
                for p in &props {
                    assert!(p.id().is_allowed_in(scope), "{p:?} decoded in {scope:?}");
                }
                let users = props
                    .iter()
                    .filter(|p| p.id() == PropertyId::UserProperty)
                    .count();
                assert_eq!(props.user_properties().count(), users);
                let mut out = BytesMut::from(GUARD);
                props
                    .encode(scope, &mut out)
                    .unwrap_or_else(|e| panic!("decoded {props:?} fails to encode: {e}"));
                assert_eq!(&out[..GUARD.len()], GUARD);
                assert_eq!(
                    &out[GUARD.len()..],
                    data,
                    "a property block has one encoding, the one received"
                );
                decoded.get_or_insert(props);
            }
            Err(e) => check_decode_error(&e, "Properties::decode"),
        }
    }
    // Where the block is well formed, decoding in a scope is validating in that scope.
    if let Some(props) = decoded {
        for &scope in &scopes {
            assert_eq!(
                Properties::decode(bytes.clone(), scope).map(|_| ()),
                props.validate(scope),
                "Properties::decode and validate disagree in {scope:?}"
            );
        }
    }
}

fn check_variable_byte_integer(data: &[u8]) {
    match decode_variable_byte_integer(data) {
        Ok(Some((value, len))) => {
            assert!(
                (1..=4).contains(&len) && len <= data.len(),
                "took {len} bytes"
            );
            assert!(value <= MAX_VARIABLE_BYTE_INTEGER);
            let mut out = BytesMut::new();
            encode_variable_byte_integer(value as usize, &mut out).expect("value is in range");
            assert_eq!(
                &out[..],
                &data[..len],
                "not the one shortest encoding [MQTT-1.5.5-1]"
            );
        }
        Ok(None) => assert!(
            data.len() < 4 && data.iter().all(|b| b & 0x80 != 0),
            "Ok(None) for a complete variable byte integer"
        ),
        Err(e) => assert_eq!(e, CodecError::MalformedVariableByteInteger),
    }
}

/// Strings and topics: [`MqttString::from_bytes`] on the bytes, topic names and filters on a
/// lossy UTF-8 view of them, and [`topic_matches`] on pieces of that view.
fn check_strings(data: &[u8], bytes: &Bytes) {
    let valid =
        std::str::from_utf8(data).is_ok_and(|s| !s.contains('\0') && s.len() <= MAX_FIELD_LEN);
    match MqttString::from_bytes(bytes.clone(), "fuzz input") {
        Ok(s) => {
            assert!(valid, "{data:02x?} accepted as an MQTT string");
            assert_eq!(s.as_bytes(), data);
            assert_eq!(MqttString::new(s.as_str()), Ok(s.clone()));
        }
        Err(e) => {
            assert!(!valid, "valid MQTT string {data:02x?} refused: {e}");
            assert!(matches!(
                e,
                CodecError::InvalidUtf8 { .. }
                    | CodecError::NullCharacter { .. }
                    | CodecError::FieldTooLong { .. }
            ));
        }
    }

    let text = String::from_utf8_lossy(data);
    let mut at = fnv1a(data) % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let (a, b) = text.split_at(at);
    for s in [&*text, a, b] {
        check_topic(s);
    }
    for (filter, topic) in [(a, b), (b, a), (&*text, &*text), ("#", a), ("+/#", b)] {
        assert_eq!(
            topic_matches(filter, topic),
            reference_matches(filter, topic),
            "topic_matches({filter:?}, {topic:?})"
        );
    }
}

fn check_topic(s: &str) {
    let field_ok = !s.contains('\0') && s.len() <= MAX_FIELD_LEN;
    let name_ok = field_ok && !s.is_empty() && !s.contains(['+', '#']);
    match TopicName::new(s) {
        Ok(name) => {
            assert!(name_ok, "{s:?} accepted as a topic name");
            assert_eq!(name.as_str(), s);
            assert_eq!(name.is_system(), s.starts_with('$'));
            assert_eq!(name.levels().count(), s.split('/').count());
            assert!(topic_matches(s, s), "a topic name does not match itself");
            if !s.starts_with("$share/") {
                let filter = TopicFilter::new(s)
                    .unwrap_or_else(|e| panic!("topic name {s:?} is no valid filter: {e}"));
                assert!(!filter.has_wildcards());
                assert!(filter.matches(&name));
            }
        }
        Err(e) => assert!(!name_ok, "topic name {s:?} refused: {e}"),
    }
    match TopicFilter::new(s) {
        Ok(filter) => {
            assert!(
                field_ok && !s.is_empty(),
                "{s:?} accepted as a topic filter"
            );
            assert_eq!(filter.as_str(), s);
            assert_eq!(filter.is_shared(), filter.shared().is_some());
            if let Some(shared) = filter.shared() {
                assert!(!shared.group.is_empty() && !shared.group.contains(['+', '#']));
                assert_eq!(shared.filter, filter.pattern());
            }
            let pattern = filter.pattern();
            assert!(!pattern.is_empty());
            // Wildcards occupy whole levels, '#' only the last [MQTT-4.7.1-1] [MQTT-4.7.1-2].
            let levels: Vec<&str> = pattern.split('/').collect();
            for (i, level) in levels.iter().enumerate() {
                if level.contains('#') {
                    assert!(*level == "#" && i + 1 == levels.len(), "{s:?} accepted");
                }
                if level.contains('+') {
                    assert_eq!(*level, "+", "{s:?} accepted");
                }
            }
            // A filter without wildcards matches exactly its own text.
            if !filter.has_wildcards() {
                if let Ok(name) = TopicName::new(pattern) {
                    assert!(filter.matches(&name));
                }
            }
        }
        Err(e) => assert!(
            !field_ok || s.is_empty() || s.contains(['+', '#']) || s.starts_with("$share/"),
            "topic filter {s:?} refused: {e}"
        ),
    }
}

/// Topic matching as section 4.7 states it, written independently of the codec.
fn reference_matches(filter: &str, topic: &str) -> bool {
    // [MQTT-4.7.2-1]: wildcards at the first level do not match topics starting with '$'.
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let f: Vec<&str> = filter.split('/').collect();
    let t: Vec<&str> = topic.split('/').collect();
    for (i, level) in f.iter().enumerate() {
        if *level == "#" {
            // Levels 0..i matched; '#' takes the parent level and everything below.
            return true;
        }
        match t.get(i) {
            Some(tl) if *level == "+" || level == tl => {}
            _ => return false,
        }
    }
    f.len() == t.len()
}

/// The one-byte and four-byte value parsers, each on the input's bytes.
fn check_value_parsers(data: &[u8]) {
    for &b in data.iter().take(64) {
        for version in VERSIONS {
            if let Ok(options) = SubscriptionOptions::from_byte(b, version) {
                assert_eq!(options.to_byte(), b, "subscription options byte misread");
                if version == ProtocolVersion::V311 {
                    assert!(b <= 2, "3.1.1 options {b:#04x} accepted [MQTT-3.8.3-5]");
                }
            }
        }
        match ReasonCode::try_from(b) {
            Ok(code) => {
                assert_eq!(code.as_u8(), b);
                assert!(ReasonCode::all().contains(&code));
                assert_eq!(code.is_success(), b < 0x80);
            }
            Err(back) => assert_eq!(back, b),
        }
        if let Some(code) = ReasonCode::from_v311_connack(b) {
            assert_eq!(code.to_v311_connack(), Some(b));
        }
        if let Some(code) = ReasonCode::from_v311_suback(b) {
            assert_eq!(code.to_v311_suback(), Some(b));
        }
        if let Ok(v) = ProtocolVersion::from_level(b) {
            assert_eq!(v.level(), b);
        }
        if let Ok(qos) = QoS::from_u8(b) {
            assert_eq!(qos.as_u8(), b);
        }
        if let Ok(t) = PacketType::from_nibble(b) {
            assert_eq!(t as u8, b);
        }
        match PropertyId::from_u32(u32::from(b)) {
            Ok(id) => assert_eq!(id.as_u8(), b),
            Err(e) => assert_eq!(e, CodecError::UnknownPropertyId { id: u32::from(b) }),
        }
    }
    for chunk in data.chunks(4).take(16) {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        let value = u32::from_be_bytes(word);
        match PropertyId::from_u32(value) {
            Ok(id) => assert_eq!(u32::from(id.as_u8()), value),
            Err(e) => assert_eq!(e, CodecError::UnknownPropertyId { id: value }),
        }
        let id = u16::from_be_bytes([word[0], word[1]]);
        assert_eq!(
            PacketId::new(id).map(PacketId::get),
            (id != 0).then_some(id)
        );
    }
}
