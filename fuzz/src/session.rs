//! The client session state machine driven by a fuzzer-chosen script.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use flowsdk_client::proto::{Event, Session, SessionConfig, State};
use flowsdk_client::{
    MqttClientOptions, OverflowPolicy, PublishCommand, SubscribeCommand, UnsubscribeCommand,
};
use flowsdk_codec::{
    ConnAck, Packet, PacketId, Properties, Property, ProtocolVersion, PubAck, PubComp, PubRec,
    PubRel, Publish, QoS, ReasonCode, SubAck, TopicName, UnsubAck,
};

/// Reads a script from the fuzzer's bytes; past the end every read is zero.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, max: usize) -> &[u8] {
        let n = usize::from(self.byte()).min(max).min(self.0.len());
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        taken
    }

    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

const TOPICS: [&str; 4] = ["a", "a/b", "sensors/1/temp", "x"];

fn reason(b: u8) -> ReasonCode {
    match b % 5 {
        0 | 1 => ReasonCode::Success,
        2 => ReasonCode::NoMatchingSubscribers,
        3 => ReasonCode::UnspecifiedError,
        _ => ReasonCode::QuotaExceeded,
    }
}

/// Drives a [`Session`] through connects, CONNACKs with fuzzer-chosen limits, publishes,
/// subscriptions, acknowledgements for identifiers in use and for random ones, raw bytes,
/// clock jumps, connection losses and disconnects, in automatic or manual acknowledgement mode
/// (the application acknowledging delivered messages in any order, with any reason code), and
/// checks after every step that:
///
/// - nothing panics;
/// - every packet the session hands out encodes in the session's protocol version, within the
///   broker's Maximum Packet Size when one was announced [MQTT-3.2.2-15];
/// - nothing follows a DISCONNECT on the same connection [MQTT-3.14.4-1];
/// - a disconnected session hands out nothing but that DISCONNECT, after the held
///   acknowledgements it flushes;
/// - QoS 1/2 PUBLISH packets carry identifiers not used by another unfinished one
///   [MQTT-2.2.1-3].
pub fn fuzz_client_session(data: &[u8]) {
    let mut script = Script(data);
    let setup = script.byte();
    let version = if setup & 1 == 1 {
        ProtocolVersion::V311
    } else {
        ProtocolVersion::V5
    };
    let mut builder = MqttClientOptions::builder()
        .client_id("fuzz")
        .protocol_version(version)
        .keep_alive(u16::from(setup >> 4));
    if version == ProtocolVersion::V5 {
        builder = builder
            .receive_maximum(u16::from(setup >> 1 & 3) + 1)
            .topic_alias_maximum(u16::from(setup >> 3 & 1) * 4)
            .session_expiry_interval(u32::from(setup >> 2 & 1) * 60);
    }
    let Ok(options) = builder.build() else {
        return;
    };
    let policy = [
        OverflowPolicy::Reject,
        OverflowPolicy::DropOldest,
        OverflowPolicy::DropNewest,
    ][usize::from(setup >> 5) % 3];
    let config = SessionConfig::new(options)
        .with_buffer(8, policy)
        .with_max_inflight(u16::from(setup >> 6) + 1)
        .with_ping_timeout(Duration::from_secs(5))
        .with_connack_timeout(Duration::from_secs(10))
        // Manual acknowledgements when the keep-alive nibble is odd.
        .with_manual_acks(setup >> 4 & 1 == 1);
    let mut s = Session::new(config);
    // Incoming QoS 1/2 messages delivered and not acknowledged yet (manual mode).
    let mut delivered: Vec<(QoS, PacketId)> = Vec::new();
    // The virtual clock needs an origin; after this, time only moves by the script.
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let mut broker_max: Option<u32> = None;
    let mut unfinished: Vec<PacketId> = Vec::new();
    let mut steps = 0;
    while !script.done() && steps < 512 {
        steps += 1;
        let op = script.byte();
        let arg = script.byte();
        match op % 14 {
            0 => {
                if s.state() == State::Disconnected {
                    s.start_connect(now);
                }
            }
            1 => {
                let mut ack = ConnAck::new(if arg & 0x80 != 0 {
                    ReasonCode::NotAuthorized
                } else {
                    ReasonCode::Success
                });
                ack.session_present = arg & 1 == 1;
                if version == ProtocolVersion::V5 {
                    let mut p = Properties::new();
                    p.push(Property::ReceiveMaximum(u16::from(arg >> 1 & 7) + 1));
                    p.push(Property::TopicAliasMaximum(u16::from(arg >> 4 & 3)));
                    if arg & 0x40 != 0 {
                        p.push(Property::MaximumQoS(QoS::AtLeastOnce));
                        p.push(Property::MaximumPacketSize(64));
                    }
                    ack.properties = p;
                }
                s.handle_packet(now, Packet::ConnAck(ack));
                if s.is_connected() {
                    broker_max = s.server_limits().maximum_packet_size;
                }
            }
            2 => {
                let raw = script.bytes(64).to_vec();
                s.handle_bytes(now, &mut BytesMut::from(&raw[..]));
            }
            3 | 4 => {
                let t = TOPICS[usize::from(arg) % TOPICS.len()];
                let len = usize::from(script.byte());
                let mut b = PublishCommand::builder(t, vec![0x5a; len])
                    .qos((arg >> 2 & 3) % 3)
                    .retain(arg & 0x20 != 0);
                if version == ProtocolVersion::V5 && arg & 0x40 != 0 {
                    b = b.with_message_expiry(Duration::from_secs(u64::from(arg & 7)));
                }
                if let Ok(cmd) = b.build() {
                    let _ = s.publish(now, cmd);
                }
            }
            5 => {
                let t = TOPICS[usize::from(arg) % TOPICS.len()];
                if let Ok(cmd) = SubscribeCommand::single(t, arg >> 2 & 1) {
                    let _ = s.subscribe(now, cmd);
                }
            }
            6 => {
                let t = TOPICS[usize::from(arg) % TOPICS.len()];
                if let Ok(cmd) = UnsubscribeCommand::new([t]) {
                    let _ = s.unsubscribe(now, cmd);
                }
            }
            7 => {
                now += Duration::from_millis(u64::from(arg) * 250);
                while let Some(at) = s.poll_timeout() {
                    if at > now {
                        break;
                    }
                    s.handle_timeout(at.max(now));
                }
            }
            8 => {
                s.handle_connection_lost(now, "fuzz");
                unfinished.clear();
            }
            9 => {
                let _ = s.disconnect(now, reason(arg), Properties::new());
            }
            10 => {
                let _ = s.ping(now);
            }
            11 | 12 => {
                // An acknowledgement, for an identifier in use where there is one.
                let known = unfinished.get(usize::from(script.byte()) % unfinished.len().max(1));
                let id = match known {
                    Some(id) => *id,
                    None => {
                        PacketId::from(std::num::NonZeroU16::MIN.saturating_add(u16::from(arg)))
                    }
                };
                if arg % 7 == 6 && !delivered.is_empty() {
                    // The application acknowledges a delivered message (manual mode).
                    let (qos, id) = delivered.remove(usize::from(arg >> 3) % delivered.len());
                    let _ = s.ack(now, qos, id, reason(arg));
                    drain(&mut s, version, broker_max, &mut unfinished, now);
                    continue;
                }
                let packet = match arg % 7 {
                    0 => Packet::PubAck(PubAck::with_reason(id, reason(arg))),
                    1 => Packet::PubRec(PubRec::with_reason(id, reason(arg))),
                    2 => Packet::PubComp(PubComp::new(id)),
                    3 => Packet::PubRel(PubRel::new(id)),
                    4 => Packet::SubAck(SubAck::new(id, vec![ReasonCode::GrantedQoS1])),
                    5 => Packet::UnsubAck(UnsubAck::new(id, vec![ReasonCode::Success])),
                    _ => Packet::PingResp,
                };
                s.handle_packet(now, packet);
            }
            _ => {
                let mut p = Publish::new(
                    TopicName::new(TOPICS[usize::from(arg) % TOPICS.len()])
                        .unwrap_or_else(|_| TopicName::empty()),
                    Bytes::from_static(b"in"),
                );
                p.qos = QoS::from_u8(arg >> 2 & 3).unwrap_or(QoS::AtMostOnce);
                if p.qos != QoS::AtMostOnce {
                    p.packet_id = PacketId::new(u16::from(arg >> 4) + 1);
                }
                if version == ProtocolVersion::V5 && arg & 0x02 != 0 {
                    p.properties
                        .push(Property::TopicAlias(u16::from(arg & 0x3) + 1));
                }
                s.handle_packet(now, Packet::Publish(p));
            }
        }
        drain(&mut s, version, broker_max, &mut unfinished, now);
        while let Some(event) = s.poll_event() {
            if let Event::Message(m) = event {
                if let (QoS::AtLeastOnce | QoS::ExactlyOnce, Some(id)) = (m.qos, m.packet_id) {
                    delivered.push((m.qos, id));
                }
            }
        }
    }
}

/// Takes every packet the session has and checks the invariants of [`fuzz_client_session`].
fn drain(
    s: &mut Session,
    version: ProtocolVersion,
    broker_max: Option<u32>,
    unfinished: &mut Vec<PacketId>,
    now: Instant,
) {
    let mut after_disconnect = false;
    let mut acks_on_close = false;
    let mut out = BytesMut::new();
    while let Some(p) = s.poll_packet(now) {
        assert!(
            !after_disconnect,
            "{p:?} sent after DISCONNECT [MQTT-3.14.4-1]"
        );
        let v = match &p {
            Packet::Connect(c) => c.protocol_version,
            _ => version,
        };
        out.clear();
        if let Err(e) = p.encode(v, &mut out) {
            panic!("the session produced a packet that does not encode: {e} in {p:?}");
        }
        if let (Some(max), false) = (broker_max, matches!(p, Packet::Connect(_))) {
            assert!(
                out.len() <= max as usize,
                "{} bytes over the broker's maximum {max} [MQTT-3.2.2-15]: {p:?}",
                out.len()
            );
        }
        match &p {
            Packet::Disconnect(_) => after_disconnect = true,
            Packet::Connect(_) => unfinished.clear(),
            Packet::Publish(publish) => {
                if let Some(id) = publish.packet_id {
                    if !publish.dup {
                        assert!(
                            !unfinished.contains(&id),
                            "packet id {} reused while in use [MQTT-2.2.1-3]",
                            id.get()
                        );
                    }
                    if !unfinished.contains(&id) {
                        unfinished.push(id);
                    }
                }
            }
            _ => {}
        }
        if s.state() == State::Disconnected {
            // Only the DISCONNECT of `disconnect`, after the acknowledgements it flushes.
            assert!(
                matches!(
                    p,
                    Packet::Disconnect(_)
                        | Packet::PubAck(_)
                        | Packet::PubRec(_)
                        | Packet::PubComp(_)
                ),
                "a disconnected session handed out {p:?}"
            );
            acks_on_close |= !matches!(p, Packet::Disconnect(_));
        }
    }
    assert!(
        !acks_on_close || after_disconnect,
        "a disconnected session handed out acknowledgements without a DISCONNECT"
    );
    // Identifiers the session finished are free again.
    if s.inflight_len() == 0 {
        unfinished.clear();
    }
}
