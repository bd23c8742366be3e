//! `proto` scenarios on virtual time: the session is fed packets and clock jumps, and what it
//! sends and reports is checked. No sockets, no sleeping.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use flowsdk_client::proto::{
    Authenticator, DisconnectCause, DropReason, Event, Session, SessionConfig, State,
    DEFAULT_ACK_BATCH, DEFAULT_ACK_DELAY,
};
use flowsdk_client::{
    ClientError, MqttClientOptions, MqttClientOptionsBuilder, OverflowPolicy, Priority,
    PublishCommand, SubscribeCommand, UnsubscribeCommand,
};
use flowsdk_codec::{
    Auth, ConnAck, Disconnect, MqttString, Packet, PacketId, Properties, Property, ProtocolVersion,
    PubAck, PubComp, PubRec, PubRel, Publish, QoS, ReasonCode, SubAck, Subscribe, TopicName,
    UnsubAck,
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn id(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

fn topic(s: &str) -> TopicName {
    TopicName::new(s).unwrap()
}

/// A session on a virtual clock, with what it sent and reported collected.
struct Scenario {
    session: Session,
    now: Instant,
}

impl Scenario {
    fn new(options: impl FnOnce(MqttClientOptionsBuilder) -> MqttClientOptionsBuilder) -> Self {
        Self::with_config(options, |c| c)
    }

    fn with_config(
        options: impl FnOnce(MqttClientOptionsBuilder) -> MqttClientOptionsBuilder,
        config: impl FnOnce(SessionConfig) -> SessionConfig,
    ) -> Self {
        let options = options(MqttClientOptions::builder().client_id("scenario"))
            .build()
            .unwrap();
        // The virtual clock needs an origin; after this, time only moves by `advance`.
        #[allow(clippy::disallowed_methods)]
        let origin = Instant::now();
        Scenario {
            session: Session::new(config(
                SessionConfig::new(options).with_ping_timeout(secs(5)),
            )),
            now: origin,
        }
    }

    /// Connects with a CONNACK carrying `props`; drains the CONNECT and the Connected event.
    fn connected_with(mut self, session_present: bool, props: Properties) -> Self {
        self.session.start_connect(self.now);
        assert!(matches!(self.sent()[..], [Packet::Connect(_)]));
        let mut ack = ConnAck::new(ReasonCode::Success);
        ack.session_present = session_present;
        ack.properties = props;
        self.feed(Packet::ConnAck(ack));
        assert!(self
            .events()
            .iter()
            .any(|e| matches!(e, Event::Connected(_))));
        self
    }

    fn connected(self) -> Self {
        self.connected_with(false, Properties::new())
    }

    fn feed(&mut self, p: Packet) {
        self.session.handle_packet(self.now, p);
    }

    /// Moves the clock by `d`, firing timers that come due on the way.
    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(at) = self.session.poll_timeout() {
            if at > end {
                break;
            }
            self.now = at.max(self.now);
            self.session.handle_timeout(self.now);
        }
        self.now = end;
    }

    /// What is sent once held acknowledgements come due (their coalescing delay).
    fn sent_after_ack_delay(&mut self) -> Vec<Packet> {
        self.advance(DEFAULT_ACK_DELAY);
        self.sent()
    }

    /// The packet identifiers of what is sent, asserting it is all QoS 1/2 PUBLISH.
    fn sent_publish_ids(&mut self) -> Vec<u16> {
        self.sent()
            .iter()
            .map(|p| match p {
                Packet::Publish(p) => p.packet_id.unwrap().get(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn sent(&mut self) -> Vec<Packet> {
        std::iter::from_fn(|| self.session.poll_packet(self.now)).collect()
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.session.poll_event()).collect()
    }

    fn publish(
        &mut self,
        t: &str,
        payload: &'static str,
        qos: u8,
    ) -> flowsdk_client::proto::Ticket {
        let cmd = PublishCommand::new(t, payload, qos, false).unwrap();
        self.session.publish(self.now, cmd).unwrap()
    }

    /// The DISCONNECT reason the session sent, asserting it closed.
    fn disconnected_with(&mut self) -> ReasonCode {
        let sent = self.sent();
        assert_eq!(self.session.state(), State::Disconnected, "sent {sent:?}");
        match &sent[..] {
            [Packet::Disconnect(d)] => d.reason_code,
            other => panic!("expected one DISCONNECT, sent {other:?}"),
        }
    }
}

fn props(list: Vec<Property>) -> Properties {
    let mut p = Properties::new();
    for x in list {
        p.push(x);
    }
    p
}

fn publish_in(qos: QoS, packet_id: Option<u16>, t: &str, payload: &'static str) -> Packet {
    let mut p = Publish::new(topic(t), Bytes::from_static(payload.as_bytes()));
    p.qos = qos;
    p.packet_id = packet_id.map(id);
    Packet::Publish(p)
}

// ---- connect and keep-alive ----

#[test]
fn connect_carries_the_options_and_connack_connects() {
    let mut t = Scenario::new(|b| {
        b.keep_alive(30)
            .session_expiry_interval(120)
            .receive_maximum(10)
            .topic_alias_maximum(5)
            .credentials("user", "pw")
    });
    t.session.start_connect(t.now);
    let sent = t.sent();
    let [Packet::Connect(c)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(c.keep_alive, 30);
    assert!(c.clean_start);
    assert_eq!(c.client_id.as_str(), "scenario");
    assert_eq!(c.properties.session_expiry_interval(), Some(120));
    assert_eq!(c.properties.receive_maximum(), Some(10));
    assert_eq!(c.properties.topic_alias_maximum(), Some(5));
    assert_eq!(c.username.as_ref().map(|u| u.as_str()), Some("user"));
    assert_eq!(t.session.state(), State::Connecting);
    t.feed(Packet::ConnAck(ConnAck::new(ReasonCode::Success)));
    assert!(t.session.is_connected());
}

#[test]
fn pingreq_is_sent_when_keep_alive_elapses_without_traffic() {
    // [MQTT-3.1.2-20]
    let mut t = Scenario::new(|b| b.keep_alive(10)).connected();
    t.advance(secs(9));
    assert!(t.sent().is_empty());
    t.advance(secs(1));
    assert_eq!(t.sent(), [Packet::PingReq]);
    t.feed(Packet::PingResp);
    assert!(t.session.is_connected());
    // Sending anything resets the interval.
    t.advance(secs(5));
    t.publish("a", "x", 0);
    assert_eq!(t.sent().len(), 1);
    t.advance(secs(9));
    assert!(t.sent().is_empty());
    t.advance(secs(1));
    assert_eq!(t.sent(), [Packet::PingReq]);
}

#[test]
fn server_keep_alive_replaces_the_requested_one() {
    // [MQTT-3.1.2-21]
    let mut t = Scenario::new(|b| b.keep_alive(60))
        .connected_with(false, props(vec![Property::ServerKeepAlive(5)]));
    assert_eq!(t.session.server_limits().keep_alive, secs(5));
    t.advance(secs(5));
    assert_eq!(t.sent(), [Packet::PingReq]);
}

#[test]
fn a_missing_pingresp_ends_the_connection_as_keep_alive_timeout() {
    let mut t = Scenario::new(|b| b.keep_alive(10)).connected();
    t.advance(secs(10));
    assert_eq!(t.sent(), [Packet::PingReq]);
    t.advance(secs(4));
    assert!(t.session.is_connected());
    t.advance(secs(1));
    assert_eq!(t.session.state(), State::Disconnected);
    let events = t.events();
    assert!(
        matches!(
            events[..],
            [Event::Disconnected(DisconnectCause::KeepAliveTimeout)]
        ),
        "{events:?}"
    );
}

#[test]
fn no_connack_in_time_fails_the_connection_attempt() {
    let mut t = Scenario::with_config(|b| b, |c| c.with_connack_timeout(secs(3)));
    t.session.start_connect(t.now);
    t.sent();
    t.advance(secs(3));
    assert_eq!(t.session.state(), State::Disconnected);
    let events = t.events();
    assert!(
        matches!(
            &events[..],
            [Event::ConnectFailed(ClientError::Timeout { .. })]
        ),
        "{events:?}"
    );
}

#[test]
fn a_refused_connack_fails_with_its_reason_code() {
    let mut t = Scenario::new(|b| b);
    t.session.start_connect(t.now);
    t.sent();
    let mut ack = ConnAck::new(ReasonCode::BadUserNameOrPassword);
    ack.properties
        .push(Property::ReasonString(MqttString::new("nope").unwrap()));
    t.feed(Packet::ConnAck(ack));
    let events = t.events();
    let [Event::ConnectFailed(ClientError::ConnectRefused {
        reason_code,
        reason_string,
        ..
    })] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(*reason_code, ReasonCode::BadUserNameOrPassword);
    assert_eq!(reason_string.as_deref(), Some("nope"));
    assert_eq!(t.session.state(), State::Disconnected);
}

#[test]
fn server_redirection_is_surfaced_with_its_server_reference() {
    let mut t = Scenario::new(|b| b).connected();
    let mut d = Disconnect::new(ReasonCode::ServerMoved);
    d.properties.push(Property::ServerReference(
        MqttString::new("other:1883").unwrap(),
    ));
    t.feed(Packet::Disconnect(d));
    let events = t.events();
    let [Event::Disconnected(cause)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(cause.reason_code(), Some(ReasonCode::ServerMoved));
    assert_eq!(cause.server_reference().as_deref(), Some("other:1883"));
}

#[test]
fn an_assigned_client_identifier_is_used_from_then_on() {
    let mut t = Scenario::new(|b| b.client_id("").session_expiry_interval(60)).connected_with(
        false,
        props(vec![Property::AssignedClientIdentifier(
            MqttString::new("auto-42").unwrap(),
        )]),
    );
    assert_eq!(t.session.client_id(), "auto-42");
    t.session.handle_connection_lost(t.now, "test");
    t.session.start_connect(t.now);
    let sent = t.sent();
    let [Packet::Connect(c)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(c.client_id.as_str(), "auto-42");
    assert!(!c.clean_start, "the session can be resumed");
}

// ---- QoS flows ----

#[test]
fn qos1_publish_finishes_at_puback_with_its_reason_code() {
    // [MQTT-4.3.2-1] [MQTT-4.3.2-2] [MQTT-4.3.2-3]
    let mut t = Scenario::new(|b| b).connected();
    let ticket = t.publish("a/b", "hello", 1);
    let sent = t.sent();
    let [Packet::Publish(p)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!((p.qos, p.dup), (QoS::AtLeastOnce, false));
    let pid = p.packet_id.unwrap();
    assert_eq!(t.session.inflight_len(), 1);
    t.feed(Packet::PubAck(PubAck::with_reason(
        pid,
        ReasonCode::NoMatchingSubscribers,
    )));
    let events = t.events();
    let [Event::Published(o)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (o.ticket, o.packet_id, o.reason_code),
        (ticket, Some(pid), ReasonCode::NoMatchingSubscribers)
    );
    assert_eq!(t.session.inflight_len(), 0);
}

#[test]
fn qos2_publish_goes_pubrec_pubrel_pubcomp() {
    // [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.3.3-4] [MQTT-4.3.3-5]
    let mut t = Scenario::new(|b| b).connected();
    let ticket = t.publish("a/b", "x", 2);
    let sent = t.sent();
    let [Packet::Publish(p)] = &sent[..] else {
        panic!("{sent:?}")
    };
    let pid = p.packet_id.unwrap();
    t.feed(Packet::PubRec(PubRec::new(pid)));
    assert_eq!(t.sent(), [Packet::PubRel(PubRel::new(pid))]);
    assert!(matches!(t.events()[..], [Event::PubRec { .. }]));
    assert_eq!(t.session.inflight_len(), 1, "kept until PUBCOMP");
    t.feed(Packet::PubComp(PubComp::new(pid)));
    let events = t.events();
    let [Event::Published(o)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (o.ticket, o.qos, o.reason_code),
        (ticket, QoS::ExactlyOnce, ReasonCode::Success)
    );
    assert_eq!(t.session.inflight_len(), 0);
}

#[test]
fn a_failing_pubrec_ends_the_flow_without_pubrel() {
    // [MQTT-4.4.0-2] [MQTT-4.3.3-9]
    let mut t = Scenario::new(|b| b).connected();
    t.publish("a", "x", 2);
    let pid = match &t.sent()[..] {
        [Packet::Publish(p)] => p.packet_id.unwrap(),
        other => panic!("{other:?}"),
    };
    t.feed(Packet::PubRec(PubRec::with_reason(
        pid,
        ReasonCode::QuotaExceeded,
    )));
    assert!(t.sent().is_empty());
    let events = t.events();
    assert!(
        matches!(&events[..], [Event::Published(o)] if o.reason_code == ReasonCode::QuotaExceeded)
    );
    assert_eq!(t.session.inflight_len(), 0);
}

#[test]
fn incoming_qos1_messages_are_acknowledged_in_the_order_received() {
    // [MQTT-4.5.0-2] [MQTT-4.6.0-2] [MQTT-4.3.2-4]
    let mut t = Scenario::new(|b| b).connected();
    t.feed(publish_in(QoS::AtLeastOnce, Some(7), "s/1", "a"));
    t.feed(publish_in(QoS::AtLeastOnce, Some(3), "s/2", "b"));
    assert_eq!(
        t.sent_after_ack_delay(),
        [
            Packet::PubAck(PubAck::new(id(7))),
            Packet::PubAck(PubAck::new(id(3)))
        ]
    );
    let events = t.events();
    assert!(
        matches!(&events[..], [Event::Message(a), Event::Message(b)] if a.payload == "a" && b.payload == "b")
    );
}

#[test]
fn incoming_qos2_is_delivered_once_and_released_by_pubrel() {
    // [MQTT-4.3.3-8] [MQTT-4.3.3-10] [MQTT-4.3.3-11] [MQTT-4.6.0-3]
    let mut t = Scenario::new(|b| b).connected();
    t.feed(publish_in(QoS::ExactlyOnce, Some(9), "s", "once"));
    assert_eq!(
        t.sent_after_ack_delay(),
        [Packet::PubRec(PubRec::new(id(9)))]
    );
    assert_eq!(t.events().len(), 1);
    // The broker repeats it (DUP) before PUBREL: acknowledged again, not delivered again.
    t.feed(publish_in(QoS::ExactlyOnce, Some(9), "s", "once"));
    assert_eq!(
        t.sent_after_ack_delay(),
        [Packet::PubRec(PubRec::new(id(9)))]
    );
    assert!(t.events().is_empty());
    t.feed(Packet::PubRel(PubRel::new(id(9))));
    assert_eq!(
        t.sent_after_ack_delay(),
        [Packet::PubComp(PubComp::new(id(9)))]
    );
    assert_eq!(t.session.incoming_qos2_len(), 0);
    // After PUBCOMP the identifier is free: a PUBLISH with it is a new message [MQTT-4.3.3-12].
    t.feed(publish_in(QoS::ExactlyOnce, Some(9), "s", "again"));
    assert_eq!(t.events().len(), 1);
}

#[test]
fn a_pubrel_for_an_unknown_identifier_gets_pubcomp_0x92() {
    let mut t = Scenario::new(|b| b).connected();
    t.feed(Packet::PubRel(PubRel::new(id(44))));
    assert_eq!(
        t.sent_after_ack_delay(),
        [Packet::PubComp(PubComp::with_reason(
            id(44),
            ReasonCode::PacketIdentifierNotFound
        ))]
    );
    assert!(t.session.is_connected());
}

// ---- acknowledgement coalescing and the window refill ----

fn pubacks(ids: std::ops::RangeInclusive<u16>) -> Vec<Packet> {
    ids.map(|i| Packet::PubAck(PubAck::new(id(i)))).collect()
}

#[test]
fn acknowledgements_are_held_until_a_batch_is_full_and_keep_their_order() {
    // [MQTT-4.6.0-2]: in the order received, in one write when a batch is full.
    let batch = DEFAULT_ACK_BATCH;
    let mut t = Scenario::new(|b| b).connected();
    for i in 1..batch {
        t.feed(publish_in(QoS::AtLeastOnce, Some(i), "s", "m"));
        assert!(t.sent().is_empty(), "acknowledgement {i} held");
    }
    // Messages are delivered at once; only their acknowledgements wait.
    assert_eq!(t.events().len(), usize::from(batch - 1));
    t.feed(publish_in(QoS::AtLeastOnce, Some(batch), "s", "m"));
    assert_eq!(t.sent(), pubacks(1..=batch));
}

#[test]
fn held_acknowledgements_leave_when_their_delay_runs_out() {
    let mut t = Scenario::new(|b| b).connected();
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "m"));
    t.feed(publish_in(QoS::ExactlyOnce, Some(2), "s", "m"));
    assert_eq!(t.session.poll_timeout(), Some(t.now + DEFAULT_ACK_DELAY));
    t.advance(DEFAULT_ACK_DELAY / 2);
    assert!(t.sent().is_empty());
    t.advance(DEFAULT_ACK_DELAY / 2);
    assert_eq!(
        t.sent(),
        [
            Packet::PubAck(PubAck::new(id(1))),
            Packet::PubRec(PubRec::new(id(2)))
        ]
    );
}

#[test]
fn held_acknowledgements_go_first_with_any_other_packet() {
    let mut t = Scenario::new(|b| b).connected();
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "m"));
    t.feed(publish_in(QoS::AtLeastOnce, Some(2), "s", "m"));
    t.publish("out", "x", 1);
    let sent = t.sent();
    assert!(
        matches!(&sent[..], [Packet::PubAck(a), Packet::PubAck(b), Packet::Publish(p)]
            if a.packet_id == id(1) && b.packet_id == id(2) && p.topic.as_str() == "out"),
        "{sent:?}"
    );
    // And before a DISCONNECT, so that the broker does not send them again.
    t.feed(publish_in(QoS::AtLeastOnce, Some(3), "s", "m"));
    t.session
        .disconnect(t.now, ReasonCode::Success, Properties::new())
        .unwrap();
    let sent = t.sent();
    assert!(
        matches!(&sent[..], [Packet::PubAck(a), Packet::Disconnect(_)] if a.packet_id == id(3)),
        "{sent:?}"
    );
}

#[test]
fn a_broker_waiting_for_acknowledgements_gets_smaller_batches_then_larger_again() {
    // The broker holds at most 4 messages in flight: after 4 it waits, the delay flushes the
    // acknowledgements, and its next message comes right after. Three times in a row, and
    // from then on batches are of 2, so that it never waits again.
    let mut t = Scenario::new(|b| b).connected();
    let mut next = 1;
    for round in 0..3 {
        assert_eq!(
            t.session.ack_batch(),
            usize::from(DEFAULT_ACK_BATCH),
            "{round}"
        );
        if round > 0 {
            t.advance(Duration::from_micros(50));
        }
        for i in next..next + 4 {
            t.feed(publish_in(QoS::AtLeastOnce, Some(i), "s", "m"));
        }
        assert_eq!(t.sent_after_ack_delay(), pubacks(next..=next + 3));
        next += 4;
    }
    t.advance(Duration::from_micros(50));
    t.feed(publish_in(QoS::AtLeastOnce, Some(next), "s", "m"));
    assert_eq!(t.session.ack_batch(), 2);
    assert!(t.sent().is_empty());
    t.feed(publish_in(QoS::AtLeastOnce, Some(next + 1), "s", "m"));
    assert_eq!(t.sent(), pubacks(next..=next + 1));
    // After 64 full batches it tries one more.
    let mut id_n = next + 2;
    for _ in 0..63 {
        for _ in 0..2 {
            t.feed(publish_in(QoS::AtLeastOnce, Some(id_n), "s", "m"));
            id_n += 1;
        }
        assert_eq!(t.sent().len(), 2);
    }
    assert_eq!(t.session.ack_batch(), 3);
    // A new connection starts again from the configured batch.
    t.session.handle_connection_lost(t.now, "test");
    let mut t = t.connected();
    for i in 7..7 + DEFAULT_ACK_BATCH - 1 {
        t.feed(publish_in(QoS::AtLeastOnce, Some(i), "s", "m"));
    }
    assert!(t.sent().is_empty());
}

#[test]
fn a_quiet_pause_after_a_flush_keeps_the_batch() {
    // A message long after the delay flush is a new burst, not a broker that was waiting.
    let mut t = Scenario::new(|b| b).connected();
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "m"));
    assert_eq!(t.sent_after_ack_delay(), pubacks(1..=1));
    t.advance(secs(1));
    for i in 2..=DEFAULT_ACK_BATCH {
        t.feed(publish_in(QoS::AtLeastOnce, Some(i), "s", "m"));
        assert!(t.sent().is_empty());
    }
    t.feed(publish_in(
        QoS::AtLeastOnce,
        Some(DEFAULT_ACK_BATCH + 1),
        "s",
        "m",
    ));
    assert_eq!(t.sent(), pubacks(2..=DEFAULT_ACK_BATCH + 1));
}

#[test]
fn batches_stay_within_half_of_our_receive_maximum() {
    // [MQTT-3.3.4-9]: the broker may have 4 unacknowledged; we hold at most 2.
    let mut t = Scenario::new(|b| b.receive_maximum(4)).connected();
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "m"));
    assert!(t.sent().is_empty());
    t.feed(publish_in(QoS::AtLeastOnce, Some(2), "s", "m"));
    assert_eq!(t.sent(), pubacks(1..=2));
}

#[test]
fn coalescing_off_acknowledges_each_message_at_once() {
    let mut t =
        Scenario::with_config(|b| b, |c| c.with_ack_coalescing(1, Duration::ZERO)).connected();
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "m"));
    assert_eq!(t.sent(), pubacks(1..=1));
}

#[test]
fn held_acknowledgements_are_dropped_with_the_connection_and_the_broker_resends() {
    // [MQTT-4.4.0-1]: unacknowledged QoS 1 messages come again, with DUP, on the resumed
    // session; they are acknowledged then (at least once).
    let mut t = Scenario::new(|b| b.session_expiry_interval(60)).connected();
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "m"));
    assert_eq!(t.events().len(), 1);
    t.session.handle_connection_lost(t.now, "test");
    assert!(t.sent().is_empty());
    let mut t = t.connected_with(true, Properties::new());
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "m"));
    assert_eq!(t.sent_after_ack_delay(), pubacks(1..=1));
}

#[test]
fn pubrels_ride_together_under_load_and_go_at_once_for_a_lone_publish() {
    // [MQTT-4.3.3-4] [MQTT-4.6.0-4]: PUBREL answers PUBREC, in PUBREC order. With 40 QoS 2
    // messages in flight in a window of 256, PUBRELs wait for a batch of 8.
    let mut t =
        Scenario::new(|b| b).connected_with(false, props(vec![Property::ReceiveMaximum(256)]));
    for _ in 0..40 {
        t.publish("out", "x", 2);
    }
    let ids = t.sent_publish_ids();
    assert_eq!(ids.len(), 40);
    for &i in &ids[..7] {
        t.feed(Packet::PubRec(PubRec::new(id(i))));
    }
    assert!(t.sent().is_empty(), "seven PUBRELs held");
    t.feed(Packet::PubRec(PubRec::new(id(ids[7]))));
    let rels: Vec<u16> = t
        .sent()
        .iter()
        .map(|p| match p {
            Packet::PubRel(r) => r.packet_id.get(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(rels, ids[..8]);
    // A lone QoS 2 publish: its PUBREL goes at once.
    let mut t = Scenario::new(|b| b).connected();
    t.publish("out", "x", 2);
    let ids = t.sent_publish_ids();
    t.feed(Packet::PubRec(PubRec::new(id(ids[0]))));
    assert_eq!(t.sent(), [Packet::PubRel(PubRel::new(id(ids[0])))]);
}

#[test]
fn a_full_window_refills_in_batches() {
    // The broker takes 32 at a time: the refill is 2 (one sixteenth). One PUBACK frees a
    // slot but sends nothing; the second sends two messages together.
    let mut t =
        Scenario::new(|b| b).connected_with(false, props(vec![Property::ReceiveMaximum(32)]));
    assert_eq!(t.session.window_refill(), 2);
    for _ in 0..40 {
        t.publish("out", "x", 1);
    }
    let first = t.sent_publish_ids();
    assert_eq!(first.len(), 32, "[MQTT-3.3.4-8]: no more than the window");
    t.feed(Packet::PubAck(PubAck::new(id(first[0]))));
    assert!(
        t.sent().is_empty(),
        "one free slot of 32: wait for the refill"
    );
    t.feed(Packet::PubAck(PubAck::new(id(first[1]))));
    assert_eq!(t.sent().len(), 2);
    // When the window is not full, a message goes out at once.
    for &i in &first[2..10] {
        t.feed(Packet::PubAck(PubAck::new(id(i))));
    }
    assert_eq!(t.sent().len(), 6, "the rest of the buffer");
    t.publish("out", "y", 1);
    assert_eq!(t.sent().len(), 1);
}

// ---- manual acknowledgements ----

fn manual() -> Scenario {
    Scenario::with_config(|b| b, |c| c.with_manual_acks(true)).connected()
}

#[test]
fn manual_acknowledgements_given_out_of_order_are_sent_in_arrival_order() {
    // [MQTT-4.6.0-2]: PUBACKs in the order the PUBLISHes arrived, whatever the application's.
    let mut t = manual();
    for i in 1..=3 {
        t.feed(publish_in(QoS::AtLeastOnce, Some(i), "s", "m"));
    }
    assert_eq!(t.events().len(), 3, "delivered at once");
    assert!(
        t.sent_after_ack_delay().is_empty(),
        "nothing acknowledged yet"
    );
    assert_eq!(t.session.unacknowledged_len(), 3);
    t.session
        .ack(t.now, QoS::AtLeastOnce, id(3), ReasonCode::Success)
        .unwrap();
    t.session
        .ack(t.now, QoS::AtLeastOnce, id(2), ReasonCode::Success)
        .unwrap();
    assert!(
        t.sent_after_ack_delay().is_empty(),
        "2 and 3 wait for 1 [MQTT-4.6.0-2]"
    );
    t.session
        .ack(t.now, QoS::AtLeastOnce, id(1), ReasonCode::Success)
        .unwrap();
    assert_eq!(t.sent_after_ack_delay(), pubacks(1..=3));
    assert_eq!(t.session.unacknowledged_len(), 0);
    // Acknowledged already: refused.
    assert!(t
        .session
        .ack(t.now, QoS::AtLeastOnce, id(1), ReasonCode::Success)
        .is_err());
}

#[test]
fn a_manual_qos2_acknowledgement_sends_pubrec_and_a_failure_ends_the_flow() {
    // [MQTT-4.6.0-3] PUBREC in arrival order; [MQTT-4.4.0-2] [MQTT-4.3.3-9] after a PUBREC of
    // 0x80 or above the identifier names a new message.
    let mut t = manual();
    t.feed(publish_in(QoS::ExactlyOnce, Some(5), "s", "a"));
    t.feed(publish_in(QoS::ExactlyOnce, Some(6), "s", "b"));
    assert_eq!(t.events().len(), 2);
    // A repeat before the application acknowledged: neither delivered nor acknowledged.
    t.feed(publish_in(QoS::ExactlyOnce, Some(5), "s", "a"));
    assert!(t.events().is_empty());
    assert!(t.sent_after_ack_delay().is_empty());
    t.session
        .ack(t.now, QoS::ExactlyOnce, id(6), ReasonCode::QuotaExceeded)
        .unwrap();
    t.session
        .ack(t.now, QoS::ExactlyOnce, id(5), ReasonCode::Success)
        .unwrap();
    assert_eq!(
        t.sent_after_ack_delay(),
        [
            Packet::PubRec(PubRec::new(id(5))),
            Packet::PubRec(PubRec::with_reason(id(6), ReasonCode::QuotaExceeded))
        ]
    );
    assert_eq!(t.session.incoming_qos2_len(), 1, "only 5 waits for PUBREL");
    t.feed(Packet::PubRel(PubRel::new(id(5))));
    assert_eq!(
        t.sent_after_ack_delay(),
        [Packet::PubComp(PubComp::new(id(5)))]
    );
    // 6 was refused: a PUBLISH with it is a new message.
    t.feed(publish_in(QoS::ExactlyOnce, Some(6), "s", "c"));
    assert_eq!(t.events().len(), 1);
}

#[test]
fn manual_acknowledgement_refuses_what_it_cannot_send() {
    let mut t = manual();
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "m"));
    // Not a PUBACK reason code [MQTT-3.4.2-1].
    assert!(matches!(
        t.session.ack(
            t.now,
            QoS::AtLeastOnce,
            id(1),
            ReasonCode::ReceiveMaximumExceeded
        ),
        Err(ClientError::InvalidOption {
            option: "reason_code",
            ..
        })
    ));
    // No such message.
    assert!(matches!(
        t.session
            .ack(t.now, QoS::AtLeastOnce, id(9), ReasonCode::Success),
        Err(ClientError::InvalidOption {
            option: "packet_id",
            ..
        })
    ));
    // QoS 0 needs nothing.
    t.session
        .ack(t.now, QoS::AtMostOnce, id(9), ReasonCode::Success)
        .unwrap();
    // Automatic acknowledgement: `ack` is refused.
    let mut auto = Scenario::new(|b| b).connected();
    auto.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "m"));
    assert!(matches!(
        auto.session
            .ack(auto.now, QoS::AtLeastOnce, id(1), ReasonCode::Success),
        Err(ClientError::InvalidOption {
            option: "manual_acks",
            ..
        })
    ));
}

#[test]
fn owed_manual_acknowledgements_across_a_reconnect() {
    // QoS 1: the broker sends an unacknowledged message again on the resumed session; the
    // earlier delivery can no longer be acknowledged, the new one can. QoS 2: the identifier
    // stays owed, and an acknowledgement given while disconnected goes after CONNACK.
    let mut t = Scenario::with_config(
        |b| b.session_expiry_interval(60),
        |c| c.with_manual_acks(true),
    )
    .connected();
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "q1"));
    t.feed(publish_in(QoS::ExactlyOnce, Some(2), "s", "q2"));
    assert_eq!(t.events().len(), 2);
    t.session.handle_connection_lost(t.now, "test");
    assert!(t
        .session
        .ack(t.now, QoS::AtLeastOnce, id(1), ReasonCode::Success)
        .is_err());
    t.session
        .ack(t.now, QoS::ExactlyOnce, id(2), ReasonCode::Success)
        .unwrap();
    let mut t = t.connected_with(true, Properties::new());
    assert_eq!(
        t.sent_after_ack_delay(),
        [Packet::PubRec(PubRec::new(id(2)))]
    );
    t.feed(publish_in(QoS::AtLeastOnce, Some(1), "s", "q1"));
    assert_eq!(t.events().len(), 1, "QoS 1 delivered again");
    t.session
        .ack(t.now, QoS::AtLeastOnce, id(1), ReasonCode::Success)
        .unwrap();
    assert_eq!(t.sent_after_ack_delay(), pubacks(1..=1));
}

#[test]
fn packet_identifiers_are_unique_and_non_zero_while_in_use() {
    // [MQTT-2.2.1-3]
    let mut t = Scenario::new(|b| b).connected();
    for _ in 0..50 {
        t.publish("a", "x", 1);
    }
    let ids = t.sent_publish_ids();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 50);
    assert!(!ids.contains(&0));
}

// ---- flow control ----

#[test]
fn the_brokers_receive_maximum_blocks_further_qos1_publishes() {
    // [MQTT-3.3.4-7] [MQTT-4.9.0-2]
    let mut t =
        Scenario::new(|b| b).connected_with(false, props(vec![Property::ReceiveMaximum(2)]));
    for _ in 0..3 {
        t.publish("a", "x", 1);
    }
    let sent = t.sent();
    assert_eq!(sent.len(), 2, "only the window is sent");
    assert_eq!(t.session.queued_len(), 1);
    // Reaching the window delays no other packet [MQTT-3.3.4-8] [MQTT-4.9.0-3].
    t.session
        .subscribe(t.now, SubscribeCommand::single("x/#", 1).unwrap())
        .unwrap();
    t.feed(publish_in(QoS::AtLeastOnce, Some(100), "in", "y"));
    let next = t.sent();
    assert!(
        matches!(&next[..], [Packet::PubAck(_), Packet::Subscribe(_)]),
        "{next:?}"
    );
    let first = match &sent[0] {
        Packet::Publish(p) => p.packet_id.unwrap(),
        _ => unreachable!(),
    };
    t.feed(Packet::PubAck(PubAck::new(first)));
    assert!(matches!(&t.sent()[..], [Packet::Publish(_)]));
}

#[test]
fn our_receive_maximum_is_enforced_on_the_broker() {
    let mut t = Scenario::new(|b| b.receive_maximum(2)).connected();
    t.feed(publish_in(QoS::ExactlyOnce, Some(1), "s", "a"));
    t.feed(publish_in(QoS::ExactlyOnce, Some(2), "s", "b"));
    t.sent();
    t.feed(publish_in(QoS::ExactlyOnce, Some(3), "s", "c"));
    assert_eq!(t.disconnected_with(), ReasonCode::ReceiveMaximumExceeded);
}

#[test]
fn high_priority_messages_overtake_queued_normal_ones() {
    let mut t =
        Scenario::new(|b| b).connected_with(false, props(vec![Property::ReceiveMaximum(1)]));
    t.publish("normal/1", "x", 1);
    let first = match &t.sent()[..] {
        [Packet::Publish(p)] => p.packet_id.unwrap(),
        other => panic!("{other:?}"),
    };
    // The window of 1 is full: the next two wait in the buffer.
    t.publish("normal/2", "x", 1);
    let urgent = PublishCommand::builder("urgent", "!")
        .qos(1)
        .priority(Priority::High)
        .build()
        .unwrap();
    t.session.publish(t.now, urgent).unwrap();
    assert!(t.sent().is_empty());
    t.feed(Packet::PubAck(PubAck::new(first)));
    match &t.sent()[..] {
        [Packet::Publish(p)] => assert_eq!(p.topic.as_str(), "urgent"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_full_buffer_refuses_or_drops_as_its_policy_says() {
    let mut reject = Scenario::with_config(|b| b, |c| c.with_buffer(2, OverflowPolicy::Reject));
    reject.publish("a", "1", 1);
    reject.publish("a", "2", 1);
    let err = reject
        .session
        .publish(reject.now, PublishCommand::new("a", "3", 1, false).unwrap())
        .unwrap_err();
    assert!(matches!(err, ClientError::BufferFull { capacity: 2 }));

    let mut oldest = Scenario::with_config(|b| b, |c| c.with_buffer(2, OverflowPolicy::DropOldest));
    let first = oldest.publish("a", "1", 1);
    oldest.publish("a", "2", 1);
    oldest.publish("a", "3", 1);
    let events = oldest.events();
    assert!(
        matches!(&events[..], [Event::Dropped { ticket, reason: DropReason::OverflowDropOldest, .. }] if *ticket == first)
    );
    let mut oldest = oldest.connected();
    let payloads: Vec<Bytes> = oldest
        .sent()
        .into_iter()
        .map(|p| match p {
            Packet::Publish(p) => p.payload,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(payloads, ["2", "3"]);

    let mut newest = Scenario::with_config(|b| b, |c| c.with_buffer(1, OverflowPolicy::DropNewest));
    newest.publish("a", "1", 1);
    let second = newest.publish("a", "2", 1);
    assert!(
        matches!(&newest.events()[..], [Event::Dropped { ticket, reason: DropReason::OverflowDropNewest, .. }] if *ticket == second)
    );
}

#[test]
fn publishing_while_disconnected_without_buffering_is_refused() {
    let mut t = Scenario::with_config(|b| b, |c| c.with_offline_buffering(false));
    let err = t
        .session
        .publish(t.now, PublishCommand::new("a", "x", 0, false).unwrap())
        .unwrap_err();
    assert!(matches!(err, ClientError::NotConnected));
}

#[test]
fn a_buffered_message_whose_expiry_runs_out_is_dropped_and_reported() {
    let mut t = Scenario::new(|b| b);
    let cmd = PublishCommand::builder("a", "x")
        .qos(1)
        .with_message_expiry(secs(5))
        .build()
        .unwrap();
    let ticket = t.session.publish(t.now, cmd).unwrap();
    t.advance(secs(5));
    assert!(
        matches!(&t.events()[..], [Event::Dropped { ticket: d, reason: DropReason::Expired, .. }] if *d == ticket)
    );
    assert_eq!(t.session.queued_len(), 0);
}

#[test]
fn time_in_the_buffer_counts_against_message_expiry() {
    let mut t = Scenario::new(|b| b);
    let cmd = PublishCommand::builder("a", "x")
        .with_message_expiry(secs(10))
        .build()
        .unwrap();
    t.session.publish(t.now, cmd).unwrap();
    t.advance(secs(4));
    let mut t = t.connected();
    match &t.sent()[..] {
        [Packet::Publish(p)] => assert_eq!(p.properties.message_expiry_interval(), Some(6)),
        other => panic!("{other:?}"),
    }
}

// ---- limits from CONNACK ----

#[test]
fn publishes_above_the_brokers_limits_are_refused_locally() {
    // [MQTT-3.2.2-11] [MQTT-3.2.2-14] [MQTT-3.2.2-15]
    let mut t = Scenario::new(|b| b).connected_with(
        false,
        props(vec![
            Property::MaximumQoS(QoS::AtLeastOnce),
            Property::RetainAvailable(false),
            Property::MaximumPacketSize(64),
        ]),
    );
    let qos2 = PublishCommand::new("a", "x", 2, false).unwrap();
    assert!(matches!(
        t.session.publish(t.now, qos2),
        Err(ClientError::QosNotSupported {
            requested: QoS::ExactlyOnce,
            maximum: QoS::AtLeastOnce
        })
    ));
    let retained = PublishCommand::new("a", "x", 0, true).unwrap();
    assert!(matches!(
        t.session.publish(t.now, retained),
        Err(ClientError::RetainNotSupported)
    ));
    let big = PublishCommand::new("a", vec![0u8; 100], 0, false).unwrap();
    assert!(matches!(
        t.session.publish(t.now, big),
        Err(ClientError::PacketTooLarge { max: 64, .. })
    ));
    assert!(t.sent().is_empty());
}

#[test]
fn a_buffered_message_above_the_limits_learned_at_connack_fails_its_operation() {
    let mut t = Scenario::new(|b| b);
    let ticket = t.publish("a", "x", 2);
    let mut t = t.connected_with(false, props(vec![Property::MaximumQoS(QoS::AtMostOnce)]));
    assert!(t.sent().is_empty());
    let events = t.events();
    assert!(
        matches!(&events[..], [Event::OperationFailed { ticket: f, error: ClientError::QosNotSupported { .. } }] if *f == ticket)
    );
}

// ---- topic aliases ----

#[test]
fn topic_aliases_are_assigned_reused_and_recycled_least_recently_used_first() {
    // [MQTT-3.2.2-17] [MQTT-3.3.2-9]
    let mut t =
        Scenario::new(|b| b).connected_with(false, props(vec![Property::TopicAliasMaximum(2)]));
    let wire = |t: &mut Scenario, name: &str| -> (String, Option<u16>) {
        t.publish(name, "x", 0);
        match &t.sent()[..] {
            [Packet::Publish(p)] => (p.topic.as_str().to_string(), p.properties.topic_alias()),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(wire(&mut t, "sensors/1"), ("sensors/1".into(), Some(1)));
    assert_eq!(wire(&mut t, "sensors/1"), ("".into(), Some(1)));
    assert_eq!(wire(&mut t, "sensors/2"), ("sensors/2".into(), Some(2)));
    assert_eq!(wire(&mut t, "sensors/1"), ("".into(), Some(1)));
    // Both aliases taken; sensors/2 is the least recently used and gives up alias 2.
    assert_eq!(wire(&mut t, "sensors/3"), ("sensors/3".into(), Some(2)));
    assert_eq!(wire(&mut t, "sensors/2"), ("sensors/2".into(), Some(1)));
}

#[test]
fn no_topic_alias_is_sent_when_the_broker_allows_none() {
    // [MQTT-3.2.2-18]
    let mut t = Scenario::new(|b| b).connected();
    t.publish("a", "x", 0);
    t.publish("a", "x", 0);
    for p in t.sent() {
        let Packet::Publish(p) = p else { panic!() };
        assert_eq!(p.properties.topic_alias(), None);
        assert_eq!(p.topic.as_str(), "a");
    }
}

#[test]
fn aliases_start_over_on_a_new_connection_and_resends_carry_the_full_topic() {
    let mut t = Scenario::new(|b| b.session_expiry_interval(60))
        .connected_with(false, props(vec![Property::TopicAliasMaximum(5)]));
    t.publish("t", "1", 1);
    t.publish("t", "2", 1);
    t.sent();
    t.session.handle_connection_lost(t.now, "cut");
    let t = t.connected_with(true, props(vec![Property::TopicAliasMaximum(5)]));
    let mut t = t;
    let sent = t.sent();
    // Reconnected: what the previous connection's CONNECT did not see, so to speak, is sent
    // with the topic name and no alias.
    for p in &sent {
        let Packet::Publish(p) = p else {
            panic!("{sent:?}")
        };
        assert_eq!(p.topic.as_str(), "t");
        assert!(p.dup);
        assert_eq!(p.properties.topic_alias(), None);
    }
    t.publish("t", "3", 0);
    match &t.sent()[..] {
        [Packet::Publish(p)] => {
            assert_eq!(p.topic.as_str(), "t");
            assert_eq!(p.properties.topic_alias(), Some(1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn incoming_topic_aliases_are_resolved() {
    // [MQTT-3.3.2-10]
    let mut t = Scenario::new(|b| b.topic_alias_maximum(3)).connected();
    let mut first = Publish::new(topic("long/topic/name"), Bytes::from_static(b"1"));
    first.properties.push(Property::TopicAlias(3));
    t.feed(Packet::Publish(first));
    let mut second = Publish::new(TopicName::empty(), Bytes::from_static(b"2"));
    second.properties.push(Property::TopicAlias(3));
    t.feed(Packet::Publish(second));
    let events = t.events();
    let topics: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Message(p) => p.topic.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(topics, ["long/topic/name", "long/topic/name"]);
}

#[test]
fn an_incoming_alias_above_our_maximum_disconnects_with_0x94() {
    let mut t = Scenario::new(|b| b.topic_alias_maximum(2)).connected();
    let mut p = Publish::new(topic("a"), Bytes::new());
    p.properties.push(Property::TopicAlias(3));
    t.feed(Packet::Publish(p));
    assert_eq!(t.disconnected_with(), ReasonCode::TopicAliasInvalid);
    let events = t.events();
    assert!(
        matches!(&events[..], [Event::Disconnected(DisconnectCause::ProtocolViolation(e))] if e.reason_code() == Some(ReasonCode::TopicAliasInvalid))
    );
}

#[test]
fn an_unmapped_incoming_alias_is_a_protocol_error() {
    let mut t = Scenario::new(|b| b.topic_alias_maximum(2)).connected();
    let mut p = Publish::new(TopicName::empty(), Bytes::new());
    p.properties.push(Property::TopicAlias(1));
    t.feed(Packet::Publish(p));
    assert_eq!(t.disconnected_with(), ReasonCode::ProtocolError);
}

// ---- session resume ----

#[test]
fn unacknowledged_packets_are_resent_in_order_with_dup_after_reconnect() {
    // [MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-4.3.3-6]
    let mut t = Scenario::new(|b| b.session_expiry_interval(300)).connected();
    t.publish("q1", "a", 1);
    t.publish("q2", "b", 2);
    t.publish("q1", "c", 1);
    let first: Vec<Packet> = t.sent();
    let ids: Vec<PacketId> = first
        .iter()
        .map(|p| match p {
            Packet::Publish(p) => p.packet_id.unwrap(),
            _ => unreachable!(),
        })
        .collect();
    // The QoS 2 one got its PUBREC: only its PUBREL is owed now.
    t.feed(Packet::PubRec(PubRec::new(ids[1])));
    t.sent();
    t.session.handle_connection_lost(t.now, "cable pulled");
    assert!(matches!(
        t.events()[..],
        [_, Event::Disconnected(DisconnectCause::ConnectionLost(_))]
    ));

    t.session.start_connect(t.now);
    let connect = t.sent();
    assert!(matches!(&connect[..], [Packet::Connect(c)] if !c.clean_start));
    let mut ack = ConnAck::new(ReasonCode::Success);
    ack.session_present = true;
    t.feed(Packet::ConnAck(ack));
    let resent = t.sent();
    assert_eq!(resent.len(), 3, "{resent:?}");
    match (&resent[0], &resent[1], &resent[2]) {
        (Packet::Publish(a), Packet::PubRel(r), Packet::Publish(c)) => {
            assert_eq!(
                (a.packet_id, a.dup, a.payload.as_ref()),
                (Some(ids[0]), true, &b"a"[..])
            );
            assert_eq!(r.packet_id, ids[1]);
            assert_eq!(
                (c.packet_id, c.dup, c.payload.as_ref()),
                (Some(ids[2]), true, &b"c"[..])
            );
        }
        other => panic!("{other:?}"),
    }
    let events = t.events();
    assert!(matches!(&events[..], [Event::Connected(c)] if c.session_present && c.resent == 3));
}

#[test]
fn a_lost_session_requeues_unacknowledged_messages_and_restores_subscriptions() {
    // [MQTT-3.2.2-5]
    let mut t = Scenario::new(|b| b.session_expiry_interval(300)).connected();
    let sub = t
        .session
        .subscribe(
            t.now,
            SubscribeCommand::builder()
                .add_topic("a/#", 1)
                .with_subscription_id(7)
                .build()
                .unwrap(),
        )
        .unwrap();
    let sid = match &t.sent()[..] {
        [Packet::Subscribe(s)] => s.packet_id,
        other => panic!("{other:?}"),
    };
    t.feed(Packet::SubAck(SubAck::new(
        sid,
        vec![ReasonCode::GrantedQoS1],
    )));
    assert!(matches!(&t.events()[..], [Event::Subscribed(o)] if o.ticket == sub));
    let ticket = t.publish("x", "unacked", 1);
    t.sent();
    t.session.handle_connection_lost(t.now, "cut");
    t.events();
    t.session.start_connect(t.now);
    t.sent();
    t.feed(Packet::ConnAck(ConnAck::new(ReasonCode::Success))); // session present 0
    let sent = t.sent();
    match &sent[..] {
        [Packet::Subscribe(s), Packet::Publish(p)] => {
            assert_eq!(s.subscriptions[0].filter.as_str(), "a/#");
            assert_eq!(
                s.properties.subscription_identifiers().collect::<Vec<_>>(),
                [7]
            );
            assert!(!p.dup, "sent again as a new message");
            assert_eq!(p.payload, "unacked");
        }
        other => panic!("{other:?}"),
    }
    let events = t.events();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::SessionLost {
                requeued: 1,
                resubscribed: 1
            }
        )),
        "{events:?}"
    );
    // The requeued message keeps its ticket: its PUBACK completes the original publish.
    let pid = match &sent[1] {
        Packet::Publish(p) => p.packet_id.unwrap(),
        _ => unreachable!(),
    };
    t.feed(Packet::PubAck(PubAck::new(pid)));
    assert!(matches!(&t.events()[..], [Event::Published(o)] if o.ticket == ticket));
}

#[test]
fn session_present_after_clean_start_is_a_protocol_error() {
    // [MQTT-3.2.2-4]
    let mut t = Scenario::new(|b| b);
    t.session.start_connect(t.now);
    t.sent();
    let mut ack = ConnAck::new(ReasonCode::Success);
    ack.session_present = true;
    t.feed(Packet::ConnAck(ack));
    assert_eq!(t.disconnected_with(), ReasonCode::ProtocolError);
}

#[test]
fn subscribe_while_disconnected_is_sent_after_connack_and_resent_if_unacknowledged() {
    let mut t = Scenario::new(|b| b);
    let ticket = t
        .session
        .subscribe(t.now, SubscribeCommand::single("w/#", 2).unwrap())
        .unwrap();
    let mut t = t.connected();
    assert!(matches!(&t.sent()[..], [Packet::Subscribe(_)]));
    t.session.handle_connection_lost(t.now, "cut");
    t.events();
    let mut t = t.connected();
    let sent = t.sent();
    let [Packet::Subscribe(s)] = &sent[..] else {
        panic!("{sent:?}")
    };
    t.feed(Packet::SubAck(SubAck::new(
        s.packet_id,
        vec![ReasonCode::GrantedQoS2],
    )));
    assert!(matches!(&t.events()[..], [Event::Subscribed(o)] if o.ticket == ticket));
    assert_eq!(t.session.subscriptions().count(), 1);
}

#[test]
fn unsubscribe_removes_the_subscription_from_the_session() {
    let mut t = Scenario::new(|b| b).connected();
    t.session
        .subscribe(t.now, SubscribeCommand::single("a", 0).unwrap())
        .unwrap();
    let Packet::Subscribe(s) = t.sent().remove(0) else {
        panic!()
    };
    t.feed(Packet::SubAck(SubAck::new(
        s.packet_id,
        vec![ReasonCode::Success],
    )));
    t.session
        .unsubscribe(t.now, UnsubscribeCommand::new(["a"]).unwrap())
        .unwrap();
    let Packet::Unsubscribe(u) = t.sent().remove(0) else {
        panic!()
    };
    t.feed(Packet::UnsubAck(UnsubAck::new(
        u.packet_id,
        vec![ReasonCode::Success],
    )));
    assert_eq!(t.session.subscriptions().count(), 0);
    assert!(matches!(t.events().last(), Some(Event::Unsubscribed(_))));
}

#[test]
fn a_snapshot_restored_into_a_new_session_resumes_the_flows() {
    let mut t = Scenario::new(|b| b.session_expiry_interval(600)).connected();
    t.publish("persist", "p", 1);
    let Packet::Publish(sent) = t.sent().remove(0) else {
        panic!()
    };
    t.publish("queued", "q", 0);
    // Not yet polled: still in the buffer.
    let state = t.session.snapshot();
    assert_eq!(state.inflight.len(), 1);

    let mut fresh = Scenario::new(|b| b.session_expiry_interval(600));
    fresh.session.restore(fresh.now, state).unwrap();
    fresh.session.start_connect(fresh.now);
    let connect = fresh.sent();
    assert!(matches!(&connect[..], [Packet::Connect(c)] if !c.clean_start));
    let mut ack = ConnAck::new(ReasonCode::Success);
    ack.session_present = true;
    fresh.feed(Packet::ConnAck(ack));
    let out = fresh.sent();
    match &out[..] {
        [Packet::Publish(a), Packet::Publish(b)] => {
            assert_eq!((a.packet_id, a.dup), (sent.packet_id, true));
            assert_eq!(b.payload, "q");
        }
        other => panic!("{other:?}"),
    }
}

// ---- broker protocol errors ----

fn violation(packet: Packet) -> ReasonCode {
    let mut t = Scenario::new(|b| b).connected();
    t.feed(packet);
    let code = t.disconnected_with();
    let events = t.events();
    assert!(
        matches!(&events[..], [Event::Disconnected(DisconnectCause::ProtocolViolation(e))] if e.reason_code() == Some(code)),
        "{events:?}"
    );
    code
}

#[test]
fn puback_for_an_unknown_identifier_is_a_protocol_error() {
    assert_eq!(
        violation(Packet::PubAck(PubAck::new(id(5)))),
        ReasonCode::ProtocolError
    );
}

#[test]
fn pubcomp_without_pubrel_is_a_protocol_error() {
    assert_eq!(
        violation(Packet::PubComp(PubComp::new(id(5)))),
        ReasonCode::ProtocolError
    );
}

#[test]
fn suback_for_an_unknown_identifier_is_a_protocol_error() {
    assert_eq!(
        violation(Packet::SubAck(SubAck::new(
            id(5),
            vec![ReasonCode::Success]
        ))),
        ReasonCode::ProtocolError
    );
}

#[test]
fn a_second_connack_is_a_protocol_error() {
    assert_eq!(
        violation(Packet::ConnAck(ConnAck::new(ReasonCode::Success))),
        ReasonCode::ProtocolError
    );
}

#[test]
fn client_to_server_packets_from_the_broker_are_protocol_errors() {
    assert_eq!(violation(Packet::PingReq), ReasonCode::ProtocolError);
    let sub = Subscribe::new(
        id(1),
        vec![flowsdk_codec::Subscription::new(
            flowsdk_codec::TopicFilter::new("a").unwrap(),
            QoS::AtMostOnce,
        )],
    );
    assert_eq!(violation(Packet::Subscribe(sub)), ReasonCode::ProtocolError);
}

#[test]
fn puback_for_a_qos2_publish_is_a_protocol_error() {
    let mut t = Scenario::new(|b| b).connected();
    t.publish("a", "x", 2);
    let Packet::Publish(p) = t.sent().remove(0) else {
        panic!()
    };
    t.feed(Packet::PubAck(PubAck::new(p.packet_id.unwrap())));
    assert_eq!(t.disconnected_with(), ReasonCode::ProtocolError);
}

#[test]
fn a_suback_with_the_wrong_number_of_reason_codes_is_a_protocol_error() {
    // [MQTT-3.9.3-1]
    let mut t = Scenario::new(|b| b).connected();
    t.session
        .subscribe(
            t.now,
            SubscribeCommand::builder()
                .add_topic("a", 0)
                .add_topic("b", 0)
                .build()
                .unwrap(),
        )
        .unwrap();
    let Packet::Subscribe(s) = t.sent().remove(0) else {
        panic!()
    };
    t.feed(Packet::SubAck(SubAck::new(
        s.packet_id,
        vec![ReasonCode::Success],
    )));
    assert_eq!(t.disconnected_with(), ReasonCode::ProtocolError);
}

#[test]
fn a_packet_before_connack_is_a_protocol_error() {
    let mut t = Scenario::new(|b| b);
    t.session.start_connect(t.now);
    t.sent();
    t.feed(publish_in(QoS::AtMostOnce, None, "a", "x"));
    assert_eq!(t.disconnected_with(), ReasonCode::ProtocolError);
    assert!(matches!(
        &t.events()[..],
        [Event::ConnectFailed(ClientError::ProtocolViolation { .. })]
    ));
}

#[test]
fn malformed_bytes_from_the_broker_disconnect_with_0x81() {
    let mut t = Scenario::new(|b| b).connected();
    // PUBLISH at QoS 3: reserved [MQTT-3.3.1-4].
    let mut input = BytesMut::from(&[0x36u8, 0x04, 0x00, 0x01, b'a', 0x00][..]);
    t.session.handle_bytes(t.now, &mut input);
    assert_eq!(t.disconnected_with(), ReasonCode::MalformedPacket);
}

#[test]
fn a_packet_above_our_maximum_packet_size_disconnects_with_0x95() {
    let mut t = Scenario::new(|b| b.maximum_packet_size(32)).connected();
    let mut big = BytesMut::new();
    Packet::Publish(Publish::new(topic("t"), vec![0u8; 64]))
        .encode(ProtocolVersion::V5, &mut big)
        .unwrap();
    t.session.handle_bytes(t.now, &mut big);
    assert_eq!(t.disconnected_with(), ReasonCode::PacketTooLarge);
}

#[test]
fn split_bytes_decode_into_the_same_packets() {
    let mut t = Scenario::new(|b| b).connected();
    let mut wire = BytesMut::new();
    for i in 1..=3u16 {
        publish_in(QoS::AtLeastOnce, Some(i), "s", "payload")
            .encode(ProtocolVersion::V5, &mut wire)
            .unwrap();
    }
    let mut input = BytesMut::new();
    for b in wire.iter() {
        input.extend_from_slice(&[*b]);
        t.session.handle_bytes(t.now, &mut input);
    }
    assert_eq!(t.events().len(), 3);
    assert_eq!(t.sent_after_ack_delay().len(), 3);
}

// ---- enhanced authentication ----

#[derive(Debug)]
struct Echo;

impl Authenticator for Echo {
    fn initial_data(&mut self) -> Option<Bytes> {
        Some(Bytes::from_static(b"first"))
    }
    fn challenge(&mut self, data: Option<&Bytes>, _: &Properties) -> Result<Option<Bytes>, String> {
        let mut v = data.ok_or("no data")?.to_vec();
        v.reverse();
        Ok(Some(v.into()))
    }
}

fn auth(reason: ReasonCode, method: &str, data: &'static [u8]) -> Packet {
    let mut a = Auth::new(reason);
    a.properties.push(Property::AuthenticationMethod(
        MqttString::new(method).unwrap(),
    ));
    a.properties
        .push(Property::AuthenticationData(Bytes::from_static(data)));
    Packet::Auth(a)
}

#[test]
fn enhanced_authentication_answers_challenges_then_connects() {
    // [MQTT-4.12.0-3] [MQTT-3.1.2-30]
    let mut t = Scenario::new(|b| b.auth_method("ECHO"));
    t.session.set_authenticator(Box::new(Echo));
    t.session.start_connect(t.now);
    let sent = t.sent();
    let [Packet::Connect(c)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(
        c.properties.authentication_method().unwrap().as_str(),
        "ECHO"
    );
    assert_eq!(c.properties.authentication_data().unwrap(), "first");
    t.feed(auth(ReasonCode::ContinueAuthentication, "ECHO", b"abc"));
    let sent = t.sent();
    let [Packet::Auth(a)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(a.reason_code, ReasonCode::ContinueAuthentication);
    assert_eq!(a.properties.authentication_data().unwrap(), "cba");
    t.feed(Packet::ConnAck(ConnAck::new(ReasonCode::Success)));
    assert!(t.session.is_connected());
    // Re-authentication uses the same method [MQTT-4.12.1-1].
    let ticket = t.session.reauthenticate(t.now).unwrap();
    let sent = t.sent();
    assert!(
        matches!(&sent[..], [Packet::Auth(a)] if a.reason_code == ReasonCode::ReAuthenticate && a.properties.authentication_method().unwrap().as_str() == "ECHO")
    );
    t.feed(auth(ReasonCode::Success, "ECHO", b""));
    assert!(t
        .events()
        .iter()
        .any(|e| matches!(e, Event::Reauthenticated { ticket: r } if *r == ticket)));
}

#[test]
fn auth_with_another_method_is_a_protocol_error() {
    let mut t = Scenario::new(|b| b.auth_method("ECHO"));
    t.session.set_authenticator(Box::new(Echo));
    t.session.start_connect(t.now);
    t.sent();
    t.feed(auth(ReasonCode::ContinueAuthentication, "OTHER", b"x"));
    assert_eq!(t.disconnected_with(), ReasonCode::ProtocolError);
}

#[test]
fn auth_without_an_authentication_method_is_a_protocol_error() {
    assert_eq!(
        violation(auth(ReasonCode::ContinueAuthentication, "X", b"")),
        ReasonCode::ProtocolError
    );
}

// ---- 3.1.1 ----

#[test]
fn a_3_1_1_session_refuses_5_0_only_features() {
    let mut t = Scenario::new(|b| b.protocol_version(ProtocolVersion::V311));
    t.session.start_connect(t.now);
    let sent = t.sent();
    assert!(
        matches!(&sent[..], [Packet::Connect(c)] if c.protocol_version == ProtocolVersion::V311 && c.properties.is_empty())
    );
    let with_props = PublishCommand::builder("a", "x")
        .with_content_type("text/plain")
        .build()
        .unwrap();
    assert!(matches!(
        t.session.publish(t.now, with_props),
        Err(ClientError::NeedsV5 { .. })
    ));
    let no_local = SubscribeCommand::builder()
        .add_topic("a", 0)
        .with_no_local(true)
        .build()
        .unwrap();
    assert!(matches!(
        t.session.subscribe(t.now, no_local),
        Err(ClientError::NeedsV5 { .. })
    ));
    assert!(matches!(
        t.session.reauthenticate(t.now),
        Err(ClientError::NeedsV5 { .. })
    ));
}

#[test]
fn disconnect_sends_its_reason_and_ends_the_connection() {
    let mut t = Scenario::new(|b| b).connected();
    t.session
        .disconnect(
            t.now,
            ReasonCode::DisconnectWithWillMessage,
            Properties::new(),
        )
        .unwrap();
    assert_eq!(t.disconnected_with(), ReasonCode::DisconnectWithWillMessage);
    assert!(matches!(
        &t.events()[..],
        [Event::Disconnected(DisconnectCause::ByClient {
            reason_code: ReasonCode::DisconnectWithWillMessage
        })]
    ));
    // Nothing more is sent after DISCONNECT [MQTT-3.14.4-1].
    t.publish("a", "x", 0);
    assert!(t.sent().is_empty());
}

#[test]
fn a_reason_code_disconnect_cannot_carry_is_refused_before_sending() {
    // [MQTT-3.14.2-1]
    let mut t = Scenario::new(|b| b).connected();
    let err = t
        .session
        .disconnect(t.now, ReasonCode::NoMatchingSubscribers, Properties::new())
        .unwrap_err();
    assert!(matches!(
        err,
        ClientError::InvalidOption {
            option: "reason_code",
            ..
        }
    ));
    assert!(t.session.is_connected());
    assert!(t.sent().is_empty());
}

#[test]
fn acknowledgements_in_3_1_1_carry_no_reason_code() {
    let mut t = Scenario::new(|b| b.protocol_version(ProtocolVersion::V311)).connected();
    t.feed(Packet::PubRel(PubRel::new(id(5))));
    let sent = t.sent_after_ack_delay();
    assert!(matches!(&sent[..], [Packet::PubComp(c)] if c.reason_code == ReasonCode::Success));
    let mut out = BytesMut::new();
    sent[0].encode(ProtocolVersion::V311, &mut out).unwrap();
}

#[test]
fn a_new_alias_is_not_assigned_where_it_would_break_the_maximum_packet_size() {
    // [MQTT-3.2.2-15]
    let mut t = Scenario::new(|b| b).connected_with(
        false,
        props(vec![
            Property::TopicAliasMaximum(4),
            Property::MaximumPacketSize(16),
        ]),
    );
    // 2 + 1 + 2 + 1 + 1 + 9 = 16 bytes without an alias; an alias would make it 19.
    t.publish("t", "123456789", 0);
    let sent = t.sent();
    let [Packet::Publish(p)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(p.properties.topic_alias(), None);
    assert_eq!(p.topic.as_str(), "t");
}

#[test]
fn a_ping_lost_with_the_connection_fails_its_operation() {
    let mut t = Scenario::new(|b| b).connected();
    let ticket = t.session.ping(t.now).unwrap();
    assert_eq!(t.sent(), [Packet::PingReq]);
    t.session.handle_connection_lost(t.now, "cut");
    let events = t.events();
    assert!(events.iter().any(|e| matches!(e, Event::OperationFailed { ticket: p, error: ClientError::ConnectionLost { .. } } if *p == ticket)));
}

#[test]
fn a_pingresp_answers_a_ping_with_its_ticket() {
    let mut t = Scenario::new(|b| b).connected();
    let ticket = t.session.ping(t.now).unwrap();
    t.sent();
    t.feed(Packet::PingResp);
    assert!(matches!(&t.events()[..], [Event::PingResponse { ticket: Some(p) }] if *p == ticket));
}

#[test]
fn new_credentials_go_into_the_next_connect() {
    let mut t = Scenario::new(|b| b.credentials("old", "expired")).connected();
    t.session
        .set_credentials(Some("new".into()), Some(Bytes::from_static(b"rotated")))
        .unwrap();
    t.session.handle_connection_lost(t.now, "cut");
    t.session.start_connect(t.now);
    let sent = t.sent();
    let [Packet::Connect(c)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(c.username.as_ref().map(|u| u.as_str()), Some("new"));
    assert_eq!(c.password.as_deref(), Some(&b"rotated"[..]));

    let mut v311 = Scenario::new(|b| b.protocol_version(ProtocolVersion::V311));
    let err = v311
        .session
        .set_credentials(None, Some(Bytes::from_static(b"pw")))
        .unwrap_err();
    assert!(matches!(
        err,
        ClientError::InvalidOption {
            option: "password",
            ..
        }
    ));
}
