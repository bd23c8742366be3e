//! Acknowledgement coalescing over a real socket: a scripted broker (a plain TCP listener
//! speaking through the codec) sends QoS 1 and QoS 2 messages and checks the acknowledgements
//! that come back; and Mosquitto holding fewer messages in flight than a batch.

use std::time::Duration;

use bytes::BytesMut;
use flowsdk_codec::{
    ConnAck, MqttDecoder, Packet, PacketId, ProtocolVersion, PubRel, Publish, QoS, ReasonCode,
    TopicName,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use flowsdk_client::TokioAsyncMqttClient;

use super::support::{client, connected, mosquitto, mosquitto_with, unique, Recorder, STEP};

/// The broker side of one scripted connection.
struct ScriptedBroker {
    stream: TcpStream,
    decoder: MqttDecoder,
    input: BytesMut,
}

impl ScriptedBroker {
    async fn accept(listener: &TcpListener) -> Self {
        let (stream, _) = tokio::time::timeout(STEP, listener.accept())
            .await
            .expect("the client connects")
            .unwrap();
        ScriptedBroker {
            stream,
            decoder: MqttDecoder::new(ProtocolVersion::V5),
            input: BytesMut::new(),
        }
    }

    /// A client (defaults, no auto-reconnect) connected to a scripted broker: CONNECT
    /// received, CONNACK success sent.
    async fn connected_client() -> (TokioAsyncMqttClient, Recorder, Self) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let peer = listener.local_addr().unwrap().to_string();
        let (c, seen) = client(&peer, |o| o, |c| c.auto_reconnect(false)).await;
        let connecting = tokio::spawn({
            let c = c.clone();
            async move { c.connect_sync().await }
        });
        let mut broker = ScriptedBroker::accept(&listener).await;
        assert!(matches!(broker.recv().await, Packet::Connect(_)));
        broker
            .send(&[Packet::ConnAck(ConnAck::new(ReasonCode::Success))])
            .await;
        connecting.await.unwrap().unwrap();
        (c, seen, broker)
    }

    /// The next packet from the client, within [`STEP`].
    async fn recv(&mut self) -> Packet {
        tokio::time::timeout(STEP, async {
            loop {
                if let Some(p) = self.decoder.decode(&mut self.input).unwrap() {
                    return p;
                }
                let n = self.stream.read_buf(&mut self.input).await.unwrap();
                assert!(n > 0, "the client closed the connection");
            }
        })
        .await
        .expect("a packet from the client in time")
    }

    /// Writes `packets` in one write.
    async fn send(&mut self, packets: &[Packet]) {
        let mut out = BytesMut::new();
        for p in packets {
            p.encode(ProtocolVersion::V5, &mut out).unwrap();
        }
        self.stream.write_all(&out).await.unwrap();
    }
}

fn message(qos: QoS, id: u16) -> Packet {
    let mut p = Publish::new(TopicName::new("acks/t").unwrap(), format!("{id}"));
    p.qos = qos;
    p.packet_id = PacketId::new(id);
    Packet::Publish(p)
}

fn pid(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

#[tokio::test]
async fn acknowledgements_come_back_in_order_whole_batches_and_stragglers_alike() {
    // [MQTT-4.6.0-2] PUBACKs and [MQTT-4.6.0-3] PUBRECs in the order of the PUBLISHes;
    // [MQTT-4.3.3-11] PUBCOMP answers PUBREL. Eight QoS 1 messages make a full batch; the
    // three QoS 2 messages after them leave when the coalescing delay runs out.
    let (c, seen, mut broker) = ScriptedBroker::connected_client().await;

    let mut burst: Vec<Packet> = (1..=8).map(|i| message(QoS::AtLeastOnce, i)).collect();
    burst.extend((9..=11).map(|i| message(QoS::ExactlyOnce, i)));
    broker.send(&burst).await;
    for i in 1..=8 {
        match broker.recv().await {
            Packet::PubAck(a) => assert_eq!(a.packet_id, pid(i)),
            other => panic!("PUBACK {i} expected, got {other:?}"),
        }
    }
    for i in 9..=11 {
        match broker.recv().await {
            Packet::PubRec(r) => assert_eq!(r.packet_id, pid(i)),
            other => panic!("PUBREC {i} expected, got {other:?}"),
        }
    }
    let releases: Vec<Packet> = (9..=11)
        .map(|i| Packet::PubRel(PubRel::new(pid(i))))
        .collect();
    broker.send(&releases).await;
    for i in 9..=11 {
        match broker.recv().await {
            Packet::PubComp(c) => {
                assert_eq!(c.packet_id, pid(i));
                assert_eq!(c.reason_code, ReasonCode::Success);
            }
            other => panic!("PUBCOMP {i} expected, got {other:?}"),
        }
    }
    // Every message was delivered once, in order, whatever its acknowledgement waited for.
    let payloads: Vec<String> = seen.seen().payloads_on("acks/t");
    let expected: Vec<String> = (1..=11).map(|i| i.to_string()).collect();
    assert_eq!(payloads, expected);

    // Held acknowledgements go before DISCONNECT.
    broker.send(&[message(QoS::AtLeastOnce, 12)]).await;
    seen.until("message 12", |s| s.messages.len() == 12).await;
    c.disconnect().await.unwrap();
    match broker.recv().await {
        Packet::PubAck(a) => assert_eq!(a.packet_id, pid(12)),
        other => panic!("PUBACK 12 before DISCONNECT expected, got {other:?}"),
    }
    assert!(matches!(broker.recv().await, Packet::Disconnect(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3_1_1_subscriber_behind_a_small_broker_window_receives_everything_in_order() {
    // Mosquitto with `max_inflight_messages 3`: its Receive Maximum for the publisher, and the
    // window it may keep towards a 3.1.1 subscriber; coalesced acknowledgements in 3.1.1.
    let Some(broker) = mosquitto_with(|b| b.config_line("max_inflight_messages 3")).await else {
        return;
    };
    const N: usize = 300;
    for qos in [1u8, 2] {
        let topic = unique("smallwindow");
        let (sub, seen) = client(
            &broker.tcp_address(),
            |o| o.protocol_version(ProtocolVersion::V311),
            |c| c,
        )
        .await;
        sub.connect_sync().await.unwrap();
        sub.subscribe_sync(&topic, qos).await.unwrap();
        assert_eq!(
            sub.stats().ack_batch,
            usize::from(flowsdk_client::proto::DEFAULT_ACK_BATCH)
        );
        let (publisher, _) = client(
            &broker.tcp_address(),
            |o| o,
            |c| c.offline_buffer(64, flowsdk_client::OverflowPolicy::Wait),
        )
        .await;
        publisher.connect_sync().await.unwrap();
        for i in 0..N {
            publisher
                .publish(&topic, format!("{i}"), qos, false)
                .await
                .unwrap();
        }
        let deadline = tokio::time::Instant::now() + 3 * STEP;
        while seen.seen().messages.len() < N {
            assert!(
                tokio::time::Instant::now() < deadline,
                "QoS {qos}: {} of {N} messages arrived",
                seen.seen().messages.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let expected: Vec<String> = (0..N).map(|i| i.to_string()).collect();
        // One publisher, one topic: in order [MQTT-4.6.0-6].
        assert_eq!(seen.seen().payloads_on(&topic), expected, "QoS {qos}");
        publisher.disconnect_sync().await.unwrap();
        sub.disconnect_sync().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withheld_manual_acknowledgements_hold_the_broker_back() {
    // [MQTT-3.3.4-9]: the broker sends no more unacknowledged QoS 1 messages than our Receive
    // Maximum; [MQTT-4.6.0-2]: acknowledgements given in reverse go out in arrival order.
    let Some(broker) = mosquitto().await else {
        return;
    };
    const N: usize = 20;
    let topic = unique("manual");
    let (sub, seen) = client(
        &broker.tcp_address(),
        |o| o.receive_maximum(5),
        |c| c.manual_acks(true),
    )
    .await;
    sub.connect_sync().await.unwrap();
    sub.subscribe_sync(&topic, 1).await.unwrap();
    let (publisher, _) = connected(&broker).await;
    for i in 0..N {
        publisher
            .publish_sync(&topic, format!("{i}"), 1, false)
            .await
            .unwrap();
    }
    seen.until("the first five", |s| s.messages.len() == 5)
        .await;
    // Ten times what the broker needs to send the next one: it waits for us.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        seen.seen().messages.len(),
        5,
        "held back by the withheld PUBACKs"
    );
    assert_eq!(sub.stats().ack_batch, 2, "half of our Receive Maximum of 5");
    assert_eq!(sub.stats().unacknowledged, 5);
    let first: Vec<Publish> = seen.seen().messages.clone();
    for m in first.iter().rev() {
        sub.ack(m).unwrap();
    }
    // From here on, acknowledge each message as it comes, until all have.
    let deadline = tokio::time::Instant::now() + STEP;
    let mut acked = 5;
    while acked < N {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{acked} of {N} messages arrived and were acknowledged"
        );
        let next: Vec<Publish> = seen.seen().messages[acked..].to_vec();
        for m in &next {
            sub.ack(m).unwrap();
        }
        acked += next.len();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let expected: Vec<String> = (0..N).map(|i| i.to_string()).collect();
    assert_eq!(seen.seen().payloads_on(&topic), expected);
    assert_eq!(sub.stats().unacknowledged, 0);
    assert!(sub.ack(&first[0]).is_err(), "acknowledged already");
}

#[tokio::test]
async fn a_broker_that_waits_for_acknowledgements_gets_smaller_batches() {
    // A scripted broker that keeps at most 3 messages unacknowledged, fewer than the batch of
    // 8: each round it sends 3 QoS 1 messages and waits for their PUBACKs, which come on the
    // coalescing delay. After three such waits in a row the batch shrinks and the PUBACKs
    // come at once.
    let (c, seen, mut broker) = ScriptedBroker::connected_client().await;
    assert_eq!(
        c.stats().ack_batch,
        usize::from(flowsdk_client::proto::DEFAULT_ACK_BATCH)
    );
    let mut next = 1u16;
    for _ in 0..10 {
        let round: Vec<Packet> = (next..next + 3)
            .map(|i| message(QoS::AtLeastOnce, i))
            .collect();
        broker.send(&round).await;
        for i in next..next + 3 {
            match broker.recv().await {
                Packet::PubAck(a) => assert_eq!(a.packet_id, pid(i)),
                other => panic!("PUBACK {i} expected, got {other:?}"),
            }
        }
        next += 3;
    }
    let batch = c.stats().ack_batch;
    assert!(batch < 3, "batch of {batch} after ten waits");
    assert_eq!(seen.seen().messages.len(), 30);
}
