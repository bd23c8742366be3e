//! The fuzz target bodies over a large deterministic corpus, on stable Rust.
//!
//! `cargo fuzz` explores with coverage feedback on nightly; this test makes every `cargo test`
//! run the same bodies (`flowsdk_fuzz::fuzz_parser_funs` and
//! `flowsdk_fuzz::fuzz_mqtt_packet_symmetric`) over:
//! - valid packets of every type in both versions, built through the codec's public API by a
//!   small seeded generator (xorshift; no `rand`), and their encodings;
//! - mutations of those encodings: bit flips, byte overwrites, inserts and deletes,
//!   truncations, corrupted remaining lengths, off-by-one inner lengths, changed packet types,
//!   splices and concatenations of two packets;
//! - every input of one byte, and of two bytes whose first byte is a valid fixed header;
//! - the regression inputs below and the seed corpus in `fuzz/seeds/<target>/`.
//!
//! A failing input is printed in hex with where it came from; add it to [`REGRESSIONS`].

use std::collections::BTreeSet;
use std::panic::{catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{
    Auth, ConnAck, Connect, Disconnect, MqttString, Packet, PacketId, PacketType, PayloadFormat,
    Properties, Property, PropertyId, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish,
    QoS, ReasonCode, RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions,
    TopicFilter, TopicName, UnsubAck, Unsubscribe, Will, MAX_VARIABLE_BYTE_INTEGER,
};
use flowsdk_fuzz::{fuzz_client_session, fuzz_mqtt_packet_symmetric, fuzz_parser_funs};

/// Valid packets generated per protocol version; each yields [`MUTATIONS`] inputs.
const PACKETS_PER_VERSION: usize = 1500;
/// Inputs made from each generated packet: its encoding and eleven mutations of it.
const MUTATIONS: usize = 12;

/// Inputs that once broke a body, or that sit on an edge worth keeping; each runs through both
/// bodies. Minimized crash inputs from `cargo fuzz` go here, with a line on what they broke.
const REGRESSIONS: &[&[u8]] = &[
    b"",
    // A lone fixed header byte of each kind, and a remaining length that never ends.
    b"\x10",
    b"\x30\x80",
    b"\xc0\xff\xff\xff\xff\x7f",
    // A remaining length not in its shortest form [MQTT-1.5.5-1].
    b"\xc0\x80\x00",
    // The shortest packets: PINGREQ, PINGRESP, a 3.1.1 DISCONNECT, an AUTH without body.
    b"\xc0\x00",
    b"\xd0\x00",
    b"\xe0\x00",
    b"\xf0\x00",
    // 5.0 short forms: PUBACK with an explicit Success code and an empty property block,
    // DISCONNECT with an explicit Normal disconnection, AUTH with a bare reason code.
    b"\x40\x04\x00\x01\x00\x00",
    b"\xe0\x02\x00\x00",
    b"\xf0\x01\x18",
    // A 3.1.1 UNSUBACK with 5.0 reason codes after the packet identifier.
    b"\xb0\x03\x00\x01\x00",
    // A 3.1.1 CONNECT with a password and no user name [MQTT-3.1.2-22 (3.1.1)].
    b"\x10\x0e\x00\x04MQTT\x04\x40\x00\x3c\x00\x00\x00\x00",
    // A 3.1 CONNECT ("MQIsdp", level 3), answered as an unsupported version.
    b"\x10\x0f\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x01c",
    // A 5.0 PUBLISH with an empty topic and a Topic Alias, and without one.
    b"\x30\x06\x00\x00\x03\x23\x00\x01",
    b"\x30\x03\x00\x00\x00",
    // A SUBSCRIBE with No Local on a shared subscription [MQTT-3.8.3-4].
    b"\x82\x0e\x00\x01\x00\x00\x08$share/g/a\x04",
    // Authentication Data without an Authentication Method.
    b"\xf0\x05\x18\x03\x16\x00\x00",
    // Two packets back to back, then half of a third.
    b"\xc0\x00\xd0\x00\x30\x05\x00\x01a",
    // Found by cargo fuzz (fuzz_parser_funs, minimized): a property block of length 1 holding
    // only a Payload Format Indicator's identifier. `Reader::u8` read the value from the byte
    // after the block, so the block decoded (and re-encoded as `02 01 01`) instead of failing.
    b"\x01\x01\x01",
    // The same inside a 5.0 PUBLISH, as first found: the value was taken from the payload.
    b"\x30\x07\x00\x01\x01\x01\x01\x01\x01",
];

/// A xorshift64* generator: small, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`; `n` is not zero.
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn u8(&mut self) -> u8 {
        self.next_u64() as u8
    }

    /// A u16 or u32 drawn so that edge values come up often.
    fn number(&mut self, max: u64) -> u64 {
        match self.below(4) {
            0 => *self.pick(&[0, 1, 127, 128, 255, 256, 16_383, 16_384, max - 1, max]) % (max + 1),
            1 => self.next_u64() % 128,
            _ => self.next_u64() % (max + 1),
        }
    }

    fn nonzero(&mut self, max: u64) -> u64 {
        self.number(max).max(1)
    }

    fn bytes(&mut self, max_len: usize) -> Bytes {
        let len = self.below(max_len + 1);
        (0..len).map(|_| self.u8()).collect::<Vec<u8>>().into()
    }
}

const PIECES: &[&str] = &[
    "a", "b", "sensor", "7", "temp", "é", "日本", "🦀", " ", "-", "_", ".", "$", "x0", "ÿ",
];

fn word(rng: &mut Rng) -> String {
    let n = if rng.chance(3) {
        60 + rng.below(100)
    } else {
        rng.below(4)
    };
    (0..n).map(|_| *rng.pick(PIECES)).collect()
}

fn string(rng: &mut Rng) -> MqttString {
    MqttString::new(word(rng)).expect("pieces hold no U+0000 and stay far below 64 KiB")
}

fn topic_name(rng: &mut Rng) -> TopicName {
    let levels = 1 + rng.below(5);
    let mut topic = if rng.chance(10) {
        String::from("$SYS/")
    } else {
        String::new()
    };
    let words: Vec<String> = (0..levels).map(|_| word(rng)).collect();
    topic.push_str(&words.join("/"));
    if topic.is_empty() {
        topic.push('t');
    }
    TopicName::new(topic).expect("levels hold no wildcard")
}

fn topic_filter(rng: &mut Rng) -> TopicFilter {
    let levels = 1 + rng.below(5);
    let mut parts: Vec<String> = (0..levels)
        .map(|_| {
            if rng.chance(20) {
                String::from("+")
            } else {
                word(rng)
            }
        })
        .collect();
    if rng.chance(25) {
        parts.push(String::from("#"));
    }
    let mut filter = parts.join("/");
    if filter.is_empty() {
        filter.push('f');
    }
    if rng.chance(15) {
        filter = format!("$share/g{}/{filter}", rng.below(10));
    }
    TopicFilter::new(filter).expect("wildcards occupy whole levels, '#' the last")
}

fn qos(rng: &mut Rng) -> QoS {
    *rng.pick(&[QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])
}

fn packet_id(rng: &mut Rng) -> PacketId {
    PacketId::new(rng.nonzero(u64::from(u16::MAX)) as u16).expect("nonzero")
}

fn property(rng: &mut Rng, id: PropertyId) -> Property {
    use Property as P;
    let u32_max = u64::from(u32::MAX);
    let u16_max = u64::from(u16::MAX);
    match id {
        PropertyId::PayloadFormatIndicator => P::PayloadFormatIndicator(if rng.chance(50) {
            PayloadFormat::Utf8
        } else {
            PayloadFormat::Unspecified
        }),
        PropertyId::MessageExpiryInterval => P::MessageExpiryInterval(rng.number(u32_max) as u32),
        PropertyId::ContentType => P::ContentType(string(rng)),
        PropertyId::ResponseTopic => P::ResponseTopic(topic_name(rng)),
        PropertyId::CorrelationData => P::CorrelationData(rng.bytes(24)),
        PropertyId::SubscriptionIdentifier => {
            P::SubscriptionIdentifier(rng.nonzero(u64::from(MAX_VARIABLE_BYTE_INTEGER)) as u32)
        }
        PropertyId::SessionExpiryInterval => P::SessionExpiryInterval(rng.number(u32_max) as u32),
        PropertyId::AssignedClientIdentifier => P::AssignedClientIdentifier(string(rng)),
        PropertyId::ServerKeepAlive => P::ServerKeepAlive(rng.number(u16_max) as u16),
        PropertyId::AuthenticationMethod => P::AuthenticationMethod(string(rng)),
        PropertyId::AuthenticationData => P::AuthenticationData(rng.bytes(24)),
        PropertyId::RequestProblemInformation => P::RequestProblemInformation(rng.chance(50)),
        PropertyId::WillDelayInterval => P::WillDelayInterval(rng.number(u32_max) as u32),
        PropertyId::RequestResponseInformation => P::RequestResponseInformation(rng.chance(50)),
        PropertyId::ResponseInformation => P::ResponseInformation(string(rng)),
        PropertyId::ServerReference => P::ServerReference(string(rng)),
        PropertyId::ReasonString => P::ReasonString(string(rng)),
        PropertyId::ReceiveMaximum => P::ReceiveMaximum(rng.nonzero(u16_max) as u16),
        PropertyId::TopicAliasMaximum => P::TopicAliasMaximum(rng.number(u16_max) as u16),
        PropertyId::TopicAlias => P::TopicAlias(rng.nonzero(u16_max) as u16),
        PropertyId::MaximumQoS => P::MaximumQoS(if rng.chance(50) {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        }),
        PropertyId::RetainAvailable => P::RetainAvailable(rng.chance(50)),
        PropertyId::UserProperty => P::UserProperty(string(rng), string(rng)),
        PropertyId::MaximumPacketSize => P::MaximumPacketSize(rng.nonzero(u32_max) as u32),
        PropertyId::WildcardSubscriptionAvailable => {
            P::WildcardSubscriptionAvailable(rng.chance(50))
        }
        PropertyId::SubscriptionIdentifierAvailable => {
            P::SubscriptionIdentifierAvailable(rng.chance(50))
        }
        PropertyId::SharedSubscriptionAvailable => P::SharedSubscriptionAvailable(rng.chance(50)),
    }
}

/// A valid property block for `scope` (`None`: will properties); empty in 3.1.1.
fn properties(rng: &mut Rng, scope: Option<PacketType>, version: ProtocolVersion) -> Properties {
    let mut props = Properties::new();
    if version == ProtocolVersion::V311 || rng.chance(35) {
        return props;
    }
    let allowed: Vec<PropertyId> = PropertyId::all()
        .iter()
        .copied()
        .filter(|id| id.is_allowed_in(scope))
        .collect();
    if allowed.is_empty() {
        return props;
    }
    for _ in 0..1 + rng.below(6) {
        let id = *rng.pick(&allowed);
        if props.get(id).is_some() && !id.may_repeat_in(scope) {
            continue;
        }
        if id == PropertyId::AuthenticationData && props.authentication_method().is_none() {
            props.push(property(rng, PropertyId::AuthenticationMethod));
        }
        props.push(property(rng, id));
    }
    props
}

fn reason_code(rng: &mut Rng, packet: PacketType, version: ProtocolVersion) -> ReasonCode {
    match (version, packet) {
        (ProtocolVersion::V5, _) => *rng.pick(ReasonCode::allowed_in(packet)),
        (ProtocolVersion::V311, PacketType::ConnAck) => {
            ReasonCode::from_v311_connack(rng.below(6) as u8).expect("0 to 5 are return codes")
        }
        (ProtocolVersion::V311, PacketType::SubAck) => *rng.pick(&[
            ReasonCode::GRANTED_QOS_0,
            ReasonCode::GrantedQoS1,
            ReasonCode::GrantedQoS2,
            ReasonCode::UnspecifiedError,
        ]),
        (ProtocolVersion::V311, _) => ReasonCode::Success,
    }
}

/// The packet types of `version`: all fifteen in 5.0, all but AUTH in 3.1.1.
fn packet_types(version: ProtocolVersion) -> Vec<PacketType> {
    (1..=15u8)
        .map(|n| PacketType::from_nibble(n).expect("1 to 15 are packet types"))
        .filter(|&t| !(t == PacketType::Auth && version == ProtocolVersion::V311))
        .collect()
}

/// A valid packet of type `packet_type` for `version`, built through the public API.
fn packet(rng: &mut Rng, packet_type: PacketType, version: ProtocolVersion) -> Packet {
    let v5 = version == ProtocolVersion::V5;
    let scope = Some(packet_type);
    match packet_type {
        PacketType::Connect => {
            let mut c = Connect::new(string(rng));
            c.protocol_version = version;
            c.clean_start = rng.chance(50);
            c.keep_alive = rng.number(u64::from(u16::MAX)) as u16;
            c.properties = properties(rng, scope, version);
            if rng.chance(40) {
                let mut will = Will::new(topic_name(rng), rng.bytes(40));
                will.qos = qos(rng);
                will.retain = rng.chance(50);
                will.properties = properties(rng, None, version);
                c.will = Some(will);
            }
            if rng.chance(50) {
                c.username = Some(string(rng));
            }
            if (c.username.is_some() || v5) && rng.chance(40) {
                c.password = Some(rng.bytes(16));
            }
            c.into()
        }
        PacketType::ConnAck => {
            let mut a = ConnAck::new(reason_code(rng, packet_type, version));
            a.session_present = a.reason_code.is_success() && rng.chance(50);
            a.properties = properties(rng, scope, version);
            a.into()
        }
        PacketType::Publish => {
            let payload = if rng.chance(2) {
                // Large enough for a three-byte remaining length.
                Bytes::from(vec![rng.u8(); 16_384 + rng.below(4_000)])
            } else if rng.chance(5) {
                Bytes::from(vec![rng.u8(); 128 + rng.below(400)])
            } else {
                rng.bytes(48)
            };
            let mut p = Publish::new(topic_name(rng), payload);
            p.qos = qos(rng);
            if p.qos != QoS::AtMostOnce {
                p.packet_id = Some(packet_id(rng));
                p.dup = rng.chance(30);
            }
            p.retain = rng.chance(30);
            p.properties = properties(rng, scope, version);
            if v5 && rng.chance(10) {
                p.topic = TopicName::empty();
                p.properties
                    .set_topic_alias(Some(rng.nonzero(u64::from(u16::MAX)) as u16));
            }
            p.into()
        }
        PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
            let id = packet_id(rng);
            let code = if rng.chance(50) {
                ReasonCode::Success
            } else {
                reason_code(rng, packet_type, version)
            };
            let props = if rng.chance(50) {
                Properties::new()
            } else {
                properties(rng, scope, version)
            };
            match packet_type {
                PacketType::PubAck => PubAck {
                    packet_id: id,
                    reason_code: code,
                    properties: props,
                }
                .into(),
                PacketType::PubRec => PubRec {
                    packet_id: id,
                    reason_code: code,
                    properties: props,
                }
                .into(),
                PacketType::PubRel => PubRel {
                    packet_id: id,
                    reason_code: code,
                    properties: props,
                }
                .into(),
                _ => PubComp {
                    packet_id: id,
                    reason_code: code,
                    properties: props,
                }
                .into(),
            }
        }
        PacketType::Subscribe => {
            let subscriptions = (0..1 + rng.below(5))
                .map(|_| {
                    let filter = topic_filter(rng);
                    let mut options = SubscriptionOptions::new(qos(rng));
                    if v5 {
                        options.no_local = !filter.is_shared() && rng.chance(50);
                        options.retain_as_published = rng.chance(50);
                        options.retain_handling = *rng.pick(&[
                            RetainHandling::SendAtSubscribe,
                            RetainHandling::SendAtSubscribeIfNew,
                            RetainHandling::DoNotSend,
                        ]);
                    }
                    Subscription { filter, options }
                })
                .collect();
            let mut s = Subscribe::new(packet_id(rng), subscriptions);
            s.properties = properties(rng, scope, version);
            s.into()
        }
        PacketType::SubAck => {
            let codes = (0..1 + rng.below(6))
                .map(|_| reason_code(rng, packet_type, version))
                .collect();
            let mut a = SubAck::new(packet_id(rng), codes);
            a.properties = properties(rng, scope, version);
            a.into()
        }
        PacketType::Unsubscribe => {
            let filters = (0..1 + rng.below(5)).map(|_| topic_filter(rng)).collect();
            let mut u = Unsubscribe::new(packet_id(rng), filters);
            u.properties = properties(rng, scope, version);
            u.into()
        }
        PacketType::UnsubAck => {
            let codes = if v5 {
                (0..1 + rng.below(6))
                    .map(|_| reason_code(rng, packet_type, version))
                    .collect()
            } else {
                Vec::new()
            };
            let mut a = UnsubAck::new(packet_id(rng), codes);
            a.properties = properties(rng, scope, version);
            a.into()
        }
        PacketType::PingReq => Packet::PingReq,
        PacketType::PingResp => Packet::PingResp,
        PacketType::Disconnect => {
            let mut d = Disconnect::new(if rng.chance(40) {
                ReasonCode::NORMAL_DISCONNECTION
            } else {
                reason_code(rng, packet_type, version)
            });
            d.properties = properties(rng, scope, version);
            d.into()
        }
        PacketType::Auth => {
            let mut a = Auth::new(reason_code(rng, packet_type, version));
            a.properties = properties(rng, scope, version);
            a.into()
        }
    }
}

fn encode(packet: &Packet, version: ProtocolVersion) -> Bytes {
    let mut out = BytesMut::new();
    packet
        .encode(version, &mut out)
        .unwrap_or_else(|e| panic!("generated {packet:?} does not encode in {version}: {e}"));
    out.freeze()
}

/// `count` valid packets for `version`, cycling through its packet types, with their encodings.
fn generate(seed: u64, version: ProtocolVersion, count: usize) -> Vec<(Packet, Bytes)> {
    let mut rng = Rng::new(seed);
    let types = packet_types(version);
    (0..count)
        .map(|i| {
            let p = packet(&mut rng, types[i % types.len()], version);
            let bytes = encode(&p, version);
            (p, bytes)
        })
        .collect()
}

/// The remaining length field of an encoding: where it starts and how long it is.
fn remaining_length_field(frame: &[u8]) -> (usize, usize) {
    let len = frame[1..]
        .iter()
        .take(4)
        .position(|b| b & 0x80 == 0)
        .map_or(4, |i| i + 1);
    (1, len.min(frame.len() - 1))
}

/// Mutation `kind` of `frame`; `other` is another packet's encoding for splices.
fn mutate(rng: &mut Rng, kind: usize, frame: &[u8], other: &[u8]) -> Vec<u8> {
    let mut m = frame.to_vec();
    let at = |rng: &mut Rng, len: usize| rng.below(len.max(1));
    match kind {
        // The encoding itself.
        0 => {}
        // One bit flipped.
        1 => {
            let i = at(rng, m.len());
            m[i] ^= 1 << rng.below(8);
        }
        // A few bits flipped.
        2 => {
            for _ in 0..2 + rng.below(3) {
                let i = at(rng, m.len());
                m[i] ^= 1 << rng.below(8);
            }
        }
        // A byte overwritten with an interesting value.
        3 => {
            let i = at(rng, m.len());
            let random = rng.u8();
            m[i] = *rng.pick(&[0x00, 0x01, 0x02, 0x7f, 0x80, 0xc0, 0xff, random]);
        }
        // A byte inserted.
        4 => {
            let i = rng.below(m.len() + 1);
            let b = if rng.chance(50) { rng.u8() } else { 0 };
            m.insert(i, b);
        }
        // A byte deleted.
        5 => {
            let i = at(rng, m.len());
            m.remove(i);
        }
        // Truncated.
        6 => m.truncate(rng.below(m.len())),
        // The remaining length replaced: off by a little, not in shortest form, or too long.
        7 => {
            let (start, len) = remaining_length_field(&m);
            let body = m.len() - 1 - len;
            let field: Vec<u8> = match rng.below(4) {
                0 => vbi(body + 1 + rng.below(3)),
                1 => vbi(body.saturating_sub(1 + rng.below(3))),
                2 => {
                    let mut f = vbi(body);
                    *f.last_mut().expect("a vbi has a byte") |= 0x80;
                    f.push(0x00);
                    f
                }
                _ => vec![0xff, 0xff, 0xff, 0xff, 0x7f][..1 + rng.below(5)].to_vec(),
            };
            m.splice(start..start + len, field);
        }
        // An inner length or count off by one: a string or property length, say.
        8 => {
            let i = at(rng, m.len());
            m[i] = if rng.chance(50) {
                m[i].wrapping_add(1)
            } else {
                m[i].wrapping_sub(1)
            };
        }
        // Another packet type or flags in the first byte.
        9 => m[0] = rng.u8(),
        // The head of this packet and the tail of another.
        10 => {
            m.truncate(rng.below(m.len() + 1));
            m.extend_from_slice(&other[rng.below(other.len() + 1)..]);
        }
        // Two packets back to back, as a stream.
        _ => m.extend_from_slice(other),
    }
    m
}

fn vbi(value: usize) -> Vec<u8> {
    let mut out = BytesMut::new();
    flowsdk_codec::encode_variable_byte_integer(value, &mut out).expect("in range");
    out.to_vec()
}

/// A fuzz target body.
type Body = fn(&[u8]);

/// Runs `body` on `input`; on a panic, names the input so that it can become a regression.
fn run(body: Body, name: &str, input: &[u8], origin: &dyn Fn() -> String) {
    if let Err(panic) = catch_unwind(|| body(input)) {
        eprintln!(
            "{name} failed on {} ({} bytes): {:02x?}",
            origin(),
            input.len(),
            input
        );
        resume_unwind(panic);
    }
}

/// The generated corpus of `version`: every encoding and its mutations; returns the count.
fn run_corpus(body: Body, name: &str, version: ProtocolVersion, seed: u64) -> usize {
    let packets = generate(seed, version, PACKETS_PER_VERSION);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut inputs = 0;
    for (i, (_, frame)) in packets.iter().enumerate() {
        let other = &packets[rng.below(packets.len())].1;
        for kind in 0..MUTATIONS {
            let input = mutate(&mut rng, kind, frame, other);
            run(body, name, &input, &|| {
                format!("mutation {kind} of packet {i} ({version}, seed {seed})")
            });
            inputs += 1;
        }
    }
    inputs
}

const V5_SEED: u64 = 0x0005_f10e;
const V311_SEED: u64 = 0x0311_f10e;

#[test]
fn generated_packets_of_every_type_round_trip() {
    for (version, seed) in [
        (ProtocolVersion::V5, V5_SEED),
        (ProtocolVersion::V311, V311_SEED),
    ] {
        let packets = generate(seed, version, PACKETS_PER_VERSION);
        let mut types = BTreeSet::new();
        for (p, bytes) in &packets {
            assert_eq!(p.encoded_len(version), Ok(bytes.len()));
            assert_eq!(Packet::decode(version, bytes.clone()).as_ref(), Ok(p));
            types.insert(p.packet_type());
        }
        assert_eq!(
            types.into_iter().collect::<Vec<_>>(),
            packet_types(version),
            "the generator misses packet types in {version}"
        );
    }
}

#[test]
fn parser_funs_survives_the_v5_corpus() {
    let n = run_corpus(
        fuzz_parser_funs,
        "fuzz_parser_funs",
        ProtocolVersion::V5,
        V5_SEED,
    );
    assert_eq!(n, PACKETS_PER_VERSION * MUTATIONS);
}

#[test]
fn parser_funs_survives_the_v311_corpus() {
    let n = run_corpus(
        fuzz_parser_funs,
        "fuzz_parser_funs",
        ProtocolVersion::V311,
        V311_SEED,
    );
    assert_eq!(n, PACKETS_PER_VERSION * MUTATIONS);
}

#[test]
fn packet_symmetry_holds_over_the_v5_corpus() {
    let n = run_corpus(
        fuzz_mqtt_packet_symmetric,
        "fuzz_mqtt_packet_symmetric",
        ProtocolVersion::V5,
        V5_SEED,
    );
    assert_eq!(n, PACKETS_PER_VERSION * MUTATIONS);
}

#[test]
fn packet_symmetry_holds_over_the_v311_corpus() {
    let n = run_corpus(
        fuzz_mqtt_packet_symmetric,
        "fuzz_mqtt_packet_symmetric",
        ProtocolVersion::V311,
        V311_SEED,
    );
    assert_eq!(n, PACKETS_PER_VERSION * MUTATIONS);
}

#[test]
fn every_one_byte_input_and_two_byte_packet_start() {
    for first in 0..=255u8 {
        let one = [first];
        run(fuzz_parser_funs, "fuzz_parser_funs", &one, &|| {
            "one byte".into()
        });
        run(
            fuzz_mqtt_packet_symmetric,
            "fuzz_mqtt_packet_symmetric",
            &one,
            &|| "one byte".into(),
        );
        // Two-byte inputs are fixed headers: only the valid first bytes make them interesting.
        if flowsdk_codec::FixedHeader::peek(&one, u32::MAX).is_err() {
            continue;
        }
        for second in 0..=255u8 {
            let two = [first, second];
            run(
                fuzz_mqtt_packet_symmetric,
                "fuzz_mqtt_packet_symmetric",
                &two,
                &|| "two bytes".into(),
            );
            if second < 4 || second & 0x80 != 0 {
                run(fuzz_parser_funs, "fuzz_parser_funs", &two, &|| {
                    "two bytes".into()
                });
            }
        }
    }
}

#[test]
fn regression_inputs() {
    for (i, input) in REGRESSIONS.iter().enumerate() {
        run(fuzz_parser_funs, "fuzz_parser_funs", input, &|| {
            format!("regression {i}")
        });
        run(
            fuzz_mqtt_packet_symmetric,
            "fuzz_mqtt_packet_symmetric",
            input,
            &|| format!("regression {i}"),
        );
    }
}

const TARGETS: [(&str, Body); 2] = [
    ("fuzz_parser_funs", fuzz_parser_funs),
    ("fuzz_mqtt_packet_symmetric", fuzz_mqtt_packet_symmetric),
];

fn seed_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target)
}

/// The checked-in seeds: each target's files run through its body, and together they hold a
/// packet of every type in each version.
#[test]
fn seed_corpus_runs_and_covers_every_packet_type() {
    for (target, body) in TARGETS {
        let dir = seed_dir(target);
        let mut seen: BTreeSet<(String, PacketType)> = BTreeSet::new();
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("seed corpus {} is missing: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("readable seed directory").path();
            let input = std::fs::read(&path).expect("readable seed file");
            run(body, target, &input, &|| path.display().to_string());
            for version in [ProtocolVersion::V311, ProtocolVersion::V5] {
                if let Ok(p) = Packet::decode(version, Bytes::from(input.clone())) {
                    seen.insert((version.to_string(), p.packet_type()));
                }
            }
        }
        for version in [ProtocolVersion::V311, ProtocolVersion::V5] {
            for t in packet_types(version) {
                assert!(
                    seen.contains(&(version.to_string(), t)),
                    "{}: no {t} seed decodes in {version}",
                    dir.display()
                );
            }
        }
    }
}

/// Writes the seed corpus: one small packet of each type per version, from the generator.
/// Run on purpose only: `cargo test -p flowsdk-fuzz --test corpus -- --ignored write_seed_corpus`.
#[test]
#[ignore = "writes fuzz/seeds/; run by hand to regenerate the seed corpus"]
fn write_seed_corpus() {
    for (target, _) in TARGETS {
        let dir = seed_dir(target);
        std::fs::create_dir_all(&dir).expect("seed directory can be made");
        for (version, tag, seed) in [
            (ProtocolVersion::V5, "v5", V5_SEED),
            (ProtocolVersion::V311, "v311", V311_SEED),
        ] {
            let mut rng = Rng::new(seed);
            for t in packet_types(version) {
                // The richest of a few candidates that stays small: properties, wills and
                // several subscriptions give the fuzzer more to mutate.
                let seed = (0..16)
                    .map(|_| encode(&packet(&mut rng, t, version), version))
                    .filter(|b| b.len() <= 160)
                    .max_by_key(Bytes::len)
                    .unwrap_or_else(|| encode(&packet(&mut rng, t, version), version));
                let name = format!("{}-{tag}", t.name().to_lowercase());
                std::fs::write(dir.join(name), &seed).expect("seed file can be written");
            }
        }
    }
}

/// Found by cargo fuzz (fuzz_client_session): a broker CONNECT of unknown level made the session
/// answer DISCONNECT 0x84, a code only CONNACK may carry.
#[test]
fn a_decode_error_with_a_connack_only_code_disconnects_with_0x81() {
    let script = [
        0xca, 0x9a, 0xaa, 0xae, 0x9a, 0xaa, 0xae, 0xfe, 0x10, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xff, 0xff, 0x05, 0x0a, 0x35, 0x24, 0x03,
    ];
    run(fuzz_client_session, "fuzz_client_session", &script, &|| {
        "crash-eb4931c9".into()
    });
}

/// Scripts for `fuzz_client_session`: random ones, and ones that mostly connect first so that
/// the connected paths (acks, aliases, resends) are reached.
#[test]
fn the_client_session_survives_generated_scripts() {
    let mut rng = Rng::new(0xc11e_0005);
    for i in 0..40_000 {
        let mut script = vec![rng.u8()];
        if i % 4 != 0 {
            // connect, then CONNACK with random limits
            script.extend_from_slice(&[0, 0, 1, rng.u8() & 0x7f]);
        }
        let ops = rng.below(200);
        for _ in 0..ops {
            let op = *rng.pick(&[0u8, 1, 2, 3, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 11, 12, 13, 13]);
            script.push(op);
            script.push(rng.u8());
            if op == 2 {
                script.extend_from_slice(&rng.bytes(32));
            } else if op == 3 || op == 4 || op == 11 || op == 12 {
                script.push(rng.u8());
            }
        }
        run(fuzz_client_session, "fuzz_client_session", &script, &|| {
            format!("script {i}")
        });
    }
}
