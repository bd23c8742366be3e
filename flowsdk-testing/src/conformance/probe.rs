//! `Probe`: one connection of a case, with steps that turn every surprise into an outcome.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use flowsdk_codec::{
    ConnAck, Connect, Disconnect, Packet, PacketId, Properties, ProtocolVersion, PubAck, PubComp,
    PubRec, PubRel, Publish, QoS, ReasonCode, SubAck, Subscribe, Subscription, SubscriptionOptions,
    UnsubAck, Unsubscribe,
};
use tokio::time::Instant;

use super::context::{remember, Timing};
use super::packets::{describe, filter, pid};
use super::{Check, Outcome};
use crate::{RawClientError, RawTestClient};

/// A connection opened by a case. Every step either succeeds or ends the case with the right
/// [`Outcome`]: something the broker did wrong is a `Fail`, a local problem is an `Error`.
#[derive(Debug)]
pub(crate) struct Probe {
    client: RawTestClient,
    timing: Timing,
    next_id: u16,
    retained: Arc<Mutex<Vec<String>>>,
}

impl Probe {
    pub(crate) fn new(
        client: RawTestClient,
        timing: Timing,
        retained: Arc<Mutex<Vec<String>>>,
    ) -> Probe {
        Probe {
            client,
            timing,
            next_id: 0,
            retained,
        }
    }

    /// Sets the protocol version packets are decoded with.
    pub(crate) fn set_version(&mut self, version: ProtocolVersion) {
        self.client.set_version(version);
    }

    /// A packet identifier this connection has not used yet (1, 2, ...).
    pub(crate) fn next_packet_id(&mut self) -> PacketId {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        pid(self.next_id)
    }

    /// Sends `packet`.
    pub(crate) async fn send(&mut self, packet: &Packet) -> Check {
        if let Packet::Publish(p) = packet {
            if p.retain && !p.payload.is_empty() {
                remember(&self.retained, p.topic.as_str());
            }
        }
        self.client
            .send(packet)
            .await
            .map_err(|e| send_failure(e, packet.packet_type().name()))
    }

    /// Sends raw bytes, valid MQTT or not.
    pub(crate) async fn send_raw(&mut self, bytes: &[u8], what: &str) -> Check {
        self.client
            .send_raw(bytes)
            .await
            .map_err(|e| send_failure(e, what))
    }

    /// Sends `connect` (switching to its version) and waits for the CONNACK.
    pub(crate) async fn connect(&mut self, connect: Connect) -> Check<ConnAck> {
        self.client.set_version(connect.protocol_version);
        self.send(&Packet::Connect(Box::new(connect))).await?;
        match self.recv("a CONNACK").await? {
            Packet::ConnAck(ack) => Ok(ack),
            other => Err(Outcome::fail(
                "a CONNACK as the first packet [MQTT-3.2.0-1]",
                describe(&other),
            )),
        }
    }

    /// The next packet, within the run's wait.
    pub(crate) async fn recv(&mut self, expected: &str) -> Check<Packet> {
        let wait = self.timing.wait;
        self.recv_within(wait, expected).await
    }

    /// The next packet, within `timeout`.
    pub(crate) async fn recv_within(&mut self, timeout: Duration, expected: &str) -> Check<Packet> {
        self.client
            .recv(timeout)
            .await
            .map_err(|e| recv_failure(e, expected))
    }

    /// The next packet, which must be a PUBLISH.
    pub(crate) async fn expect_publish(&mut self, expected: &str) -> Check<Publish> {
        match self.recv(expected).await? {
            Packet::Publish(p) => Ok(p),
            other => Err(Outcome::fail(expected, describe(&other))),
        }
    }

    /// The next packet, which must be a PUBLISH; acknowledged as its QoS requires (PUBACK, or
    /// PUBREC / PUBREL / PUBCOMP).
    pub(crate) async fn expect_message(&mut self, expected: &str) -> Check<Publish> {
        let p = self.expect_publish(expected).await?;
        self.ack(&p).await?;
        Ok(p)
    }

    /// Collects PUBLISHes until none arrives for the quiet window, acknowledging each;
    /// returns them in arrival order.
    pub(crate) async fn drain_messages(&mut self) -> Check<Vec<Publish>> {
        let mut out = Vec::new();
        loop {
            match self.client.recv(self.timing.quiet).await {
                Ok(Packet::Publish(p)) => {
                    // QoS 2: answer PUBREC now and the PUBREL when it comes, as further
                    // PUBLISHes may arrive in between.
                    match (p.qos, p.packet_id) {
                        (QoS::AtLeastOnce, Some(id)) => {
                            self.send(&Packet::PubAck(PubAck::new(id))).await?
                        }
                        (QoS::ExactlyOnce, Some(id)) => {
                            self.send(&Packet::PubRec(PubRec::new(id))).await?
                        }
                        _ => {}
                    }
                    out.push(p);
                }
                Ok(Packet::PubRel(rel)) => {
                    self.send(&Packet::PubComp(PubComp::new(rel.packet_id)))
                        .await?;
                }
                Ok(other) => return Err(Outcome::fail("only PUBLISH packets", describe(&other))),
                Err(RawClientError::Timeout { .. }) => return Ok(out),
                Err(e) => return Err(recv_failure(e, "the connection to stay open")),
            }
        }
    }

    /// Acknowledges an incoming PUBLISH as its QoS requires; for QoS 2 waits for the PUBREL
    /// (which must carry the same identifier [MQTT-2.2.1-5]) and answers PUBCOMP.
    pub(crate) async fn ack(&mut self, p: &Publish) -> Check {
        let Some(id) = p.packet_id else {
            return Ok(());
        };
        match p.qos {
            QoS::AtMostOnce => Ok(()),
            QoS::AtLeastOnce => self.send(&Packet::PubAck(PubAck::new(id))).await,
            QoS::ExactlyOnce => {
                self.send(&Packet::PubRec(PubRec::new(id))).await?;
                let rel = self.expect_pubrel(id).await?;
                self.send(&Packet::PubComp(PubComp::new(rel.packet_id)))
                    .await
            }
        }
    }

    /// The next packet, which must be a PUBREL for `id`.
    pub(crate) async fn expect_pubrel(&mut self, id: PacketId) -> Check<PubRel> {
        let expected = format!("PUBREL for packet id {id}");
        match self.recv(&expected).await? {
            Packet::PubRel(rel) if rel.packet_id == id => Ok(rel),
            other => Err(Outcome::fail(expected, describe(&other))),
        }
    }

    /// Checks that nothing arrives during the quiet window and the connection stays open.
    pub(crate) async fn expect_nothing(&mut self, expected: &str) -> Check {
        let quiet = self.timing.quiet;
        self.expect_nothing_for(quiet, expected).await
    }

    /// Checks that nothing arrives for `duration` and the connection stays open.
    pub(crate) async fn expect_nothing_for(&mut self, duration: Duration, expected: &str) -> Check {
        match self.client.recv(duration).await {
            Err(RawClientError::Timeout { .. }) => Ok(()),
            Ok(packet) => Err(Outcome::fail(expected, describe(&packet))),
            Err(e) => Err(recv_failure(e, expected)),
        }
    }

    /// Waits (the run's wait) for the broker to close the connection; returns the DISCONNECT
    /// it sent first, if any. A second packet after a DISCONNECT is a failure
    /// [MQTT-3.14.4-1].
    pub(crate) async fn expect_close(&mut self, expected: &str) -> Check<Option<Disconnect>> {
        let wait = self.timing.wait;
        self.expect_close_within(wait, expected).await
    }

    /// As [`Probe::expect_close`] within `timeout`.
    pub(crate) async fn expect_close_within(
        &mut self,
        timeout: Duration,
        expected: &str,
    ) -> Check<Option<Disconnect>> {
        let deadline = Instant::now() + timeout;
        let mut disconnect: Option<Disconnect> = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.client.recv(left).await {
                Err(RawClientError::Closed) => return Ok(disconnect),
                Err(RawClientError::Timeout { .. }) => {
                    return Err(Outcome::fail(
                        expected,
                        format!(
                            "the connection still open after {timeout:?}{}",
                            match &disconnect {
                                Some(d) => format!(" (after DISCONNECT {})", d.reason_code),
                                None => String::new(),
                            }
                        ),
                    ))
                }
                Ok(Packet::Disconnect(d)) if disconnect.is_none() => disconnect = Some(d),
                Ok(packet) => {
                    let seen = match &disconnect {
                        Some(_) => {
                            format!("{} after the DISCONNECT [MQTT-3.14.4-1]", describe(&packet))
                        }
                        None => describe(&packet),
                    };
                    return Err(Outcome::fail(expected, seen));
                }
                Err(e) => return Err(recv_failure(e, expected)),
            }
        }
    }

    /// Sends SUBSCRIBE with `subscriptions` and `properties`; returns the SUBACK, which must
    /// carry the SUBSCRIBE's packet identifier [MQTT-3.8.4-2].
    pub(crate) async fn subscribe_with(
        &mut self,
        subscriptions: Vec<Subscription>,
        properties: Properties,
    ) -> Check<SubAck> {
        let id = self.next_packet_id();
        let mut subscribe = Subscribe::new(id, subscriptions);
        subscribe.properties = properties;
        self.send(&Packet::Subscribe(subscribe)).await?;
        let expected = format!("SUBACK for packet id {id}");
        match self.recv(&expected).await? {
            Packet::SubAck(ack) if ack.packet_id == id => Ok(ack),
            other => Err(Outcome::fail(expected, describe(&other))),
        }
    }

    /// Subscribes to one filter with `options`; returns the SUBACK.
    pub(crate) async fn subscribe_options(
        &mut self,
        topic_filter: &str,
        options: SubscriptionOptions,
    ) -> Check<SubAck> {
        let sub = Subscription {
            filter: filter(topic_filter)?,
            options,
        };
        self.subscribe_with(vec![sub], Properties::new()).await
    }

    /// Subscribes to one filter at `qos`; fails the case unless the broker grants exactly
    /// `qos` (the cases only ask for what the broker advertised).
    pub(crate) async fn subscribe(&mut self, topic_filter: &str, qos: QoS) -> Check<SubAck> {
        self.subscribe_granted(topic_filter, SubscriptionOptions::new(qos))
            .await
    }

    /// Subscribes with `options`; fails the case unless the broker grants the QoS asked for.
    pub(crate) async fn subscribe_granted(
        &mut self,
        topic_filter: &str,
        options: SubscriptionOptions,
    ) -> Check<SubAck> {
        let ack = self.subscribe_options(topic_filter, options).await?;
        let want = granted_code(options.qos);
        match ack.reason_codes.as_slice() {
            [code] if *code == want => Ok(ack),
            codes => Err(Outcome::fail(
                format!("SUBACK granting {want} for {topic_filter:?}"),
                format!("SUBACK {}", codes_list(codes)),
            )),
        }
    }

    /// Sends UNSUBSCRIBE for `filters`; returns the UNSUBACK, which must carry the
    /// UNSUBSCRIBE's packet identifier [MQTT-2.2.1-6].
    pub(crate) async fn unsubscribe(&mut self, filters: &[&str]) -> Check<UnsubAck> {
        let id = self.next_packet_id();
        let filters = filters
            .iter()
            .map(|f| filter(f))
            .collect::<Check<Vec<_>>>()?;
        self.send(&Packet::Unsubscribe(Unsubscribe::new(id, filters)))
            .await?;
        let expected = format!("UNSUBACK for packet id {id}");
        match self.recv(&expected).await? {
            Packet::UnsubAck(ack) if ack.packet_id == id => Ok(ack),
            other => Err(Outcome::fail(expected, describe(&other))),
        }
    }

    /// Publishes `p` and completes its QoS flow (PUBACK, or PUBREC / PUBREL / PUBCOMP); a
    /// packet identifier is assigned when `p` has none. Acknowledgements must carry the
    /// PUBLISH's identifier and a reason code below 0x80.
    pub(crate) async fn publish(&mut self, mut p: Publish) -> Check {
        if p.qos != QoS::AtMostOnce && p.packet_id.is_none() {
            p.packet_id = Some(self.next_packet_id());
        }
        let id = p.packet_id;
        let qos = p.qos;
        self.send(&Packet::Publish(p)).await?;
        let Some(id) = id else { return Ok(()) };
        match qos {
            QoS::AtMostOnce => Ok(()),
            QoS::AtLeastOnce => {
                let expected = format!("PUBACK for packet id {id}");
                match self.recv(&expected).await? {
                    Packet::PubAck(ack) if ack.packet_id == id && !is_failure(ack.reason_code) => {
                        Ok(())
                    }
                    other => Err(Outcome::fail(expected, describe(&other))),
                }
            }
            QoS::ExactlyOnce => {
                let expected = format!("PUBREC for packet id {id}");
                match self.recv(&expected).await? {
                    Packet::PubRec(rec) if rec.packet_id == id && !is_failure(rec.reason_code) => {}
                    other => return Err(Outcome::fail(expected, describe(&other))),
                }
                self.send(&Packet::PubRel(PubRel::new(id))).await?;
                let expected = format!("PUBCOMP for packet id {id}");
                match self.recv(&expected).await? {
                    Packet::PubComp(comp) if comp.packet_id == id => Ok(()),
                    other => Err(Outcome::fail(expected, describe(&other))),
                }
            }
        }
    }

    /// PINGREQ, then the PINGRESP [MQTT-3.12.4-1].
    pub(crate) async fn ping(&mut self) -> Check {
        self.send(&Packet::PingReq).await?;
        match self.recv("PINGRESP").await? {
            Packet::PingResp => Ok(()),
            other => Err(Outcome::fail("PINGRESP", describe(&other))),
        }
    }

    /// Sends DISCONNECT with `code` and closes the connection.
    pub(crate) async fn disconnect_with(mut self, code: ReasonCode) -> Check {
        self.send(&Packet::Disconnect(Disconnect::new(code)))
            .await?;
        let _ = self.client.shutdown().await;
        Ok(())
    }

    /// Sends DISCONNECT 0x00 (normal disconnection) and closes the connection.
    pub(crate) async fn disconnect(self) -> Check {
        self.disconnect_with(ReasonCode::Success).await
    }

    /// Closes the connection without a DISCONNECT (an abrupt close, as a crash or a network
    /// failure looks to the broker).
    pub(crate) async fn drop_abruptly(mut self) {
        let _ = self.client.shutdown().await;
    }
}

/// The SUBACK reason code that grants `qos`.
pub(crate) fn granted_code(qos: QoS) -> ReasonCode {
    match qos {
        QoS::AtMostOnce => ReasonCode::Success,
        QoS::AtLeastOnce => ReasonCode::GrantedQoS1,
        QoS::ExactlyOnce => ReasonCode::GrantedQoS2,
    }
}

/// `true` for reason codes 0x80 and above.
pub(crate) fn is_failure(code: ReasonCode) -> bool {
    code.as_u8() >= 0x80
}

/// `[Granted QoS 1 (0x01), ...]`.
pub(crate) fn codes_list(codes: &[ReasonCode]) -> String {
    let items: Vec<String> = codes.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// A payload made of `n` bytes.
pub(crate) fn payload_of(n: usize) -> Bytes {
    Bytes::from(vec![b'x'; n])
}

fn send_failure(e: RawClientError, what: &str) -> Outcome {
    match e {
        RawClientError::Closed => Outcome::fail(
            format!("the connection open to send {what}"),
            "the broker had closed it",
        ),
        RawClientError::Encode(e) => {
            Outcome::error(format!("the harness built an invalid {what}: {e}"))
        }
        other => Outcome::error(format!("sending {what}: {other}")),
    }
}

fn recv_failure(e: RawClientError, expected: &str) -> Outcome {
    match e {
        RawClientError::Timeout { after } => {
            Outcome::fail(expected, format!("nothing within {after:?}"))
        }
        RawClientError::Closed => Outcome::fail(expected, "the connection closed"),
        RawClientError::Decode(e) => Outcome::fail(expected, format!("an invalid packet: {e}")),
        RawClientError::UnexpectedPacket { packet, .. } => {
            Outcome::fail(expected, describe(&packet))
        }
        other => Outcome::error(format!("reading: {other}")),
    }
}

impl Probe {
    /// Waits for the broker to close the connection after a malformed packet or a protocol
    /// error [MQTT-4.13.1-1]; a DISCONNECT before the close must carry a failure reason code
    /// defined for DISCONNECT [MQTT-4.13.2-1].
    pub(crate) async fn expect_protocol_close(&mut self, what: &str) -> Check {
        let expected = format!("the connection closed after {what}");
        let disconnect = self.expect_close(&expected).await?;
        if let Some(d) = disconnect {
            if !is_failure(d.reason_code)
                || !d
                    .reason_code
                    .is_allowed_in(flowsdk_codec::PacketType::Disconnect)
            {
                return Err(Outcome::fail(
                    format!("a DISCONNECT with a failure reason code (0x80 or above) after {what}"),
                    format!("DISCONNECT {}", d.reason_code),
                ));
            }
        }
        Ok(())
    }

    /// After a CONNECT the broker must refuse: either a CONNACK with a failure reason code
    /// (0x80 or above, Session Present 0 [MQTT-3.2.2-6]) and then the close [MQTT-3.2.2-7],
    /// or the close alone. A DISCONNECT is never allowed before a successful CONNACK
    /// [MQTT-3.14.0-1]. Returns the CONNACK, if one came.
    pub(crate) async fn expect_connect_refused(&mut self, what: &str) -> Check<Option<ConnAck>> {
        let expected = format!("the connection refused and closed after {what}");
        let first = match self.client.recv(self.timing.wait).await {
            Err(RawClientError::Closed) => return Ok(None),
            Ok(packet) => packet,
            Err(e) => return Err(recv_failure(e, &expected)),
        };
        let ack = match first {
            Packet::ConnAck(ack) if is_failure(ack.reason_code) && !ack.session_present => ack,
            other => {
                return Err(Outcome::fail(
                    format!("{expected} (a CONNACK, if any, with a failure reason code)"),
                    describe(&other),
                ))
            }
        };
        match self.expect_close(&expected).await? {
            None => Ok(Some(ack)),
            Some(d) => Err(Outcome::fail(
                format!("{expected}, with no DISCONNECT before a successful CONNACK"),
                format!("DISCONNECT {}", d.reason_code),
            )),
        }
    }
}

impl Probe {
    /// Makes the next packet identifier `id` (the one after it `id + 1`, ...).
    pub(crate) fn set_next_packet_id(&mut self, id: u16) {
        self.next_id = id.wrapping_sub(1);
    }

    /// The next packet or the raw client's error, for cases that tell errors apart
    /// themselves.
    pub(crate) async fn recv_result(
        &mut self,
        timeout: Duration,
    ) -> Result<Packet, RawClientError> {
        self.client.recv(timeout).await
    }
}
