//! Shared by every transport's tests: a mixed packet workload and a two-way exchange.

use std::time::Duration;

use bytes::Bytes;
use flowsdk_codec::{
    Packet, PacketId, ProtocolVersion, PubAck, Publish, QoS, ReasonCode, SubAck, Subscribe,
    Subscription, TopicFilter, TopicName,
};
use flowsdk_transport::{Listener, MqttConnection, Transport, TransportError};

/// Upper bound for any single test step: tests end on their own even when something hangs.
pub const STEP: Duration = Duration::from_secs(30);

/// `n` packets of mixed types and sizes (payloads from 0 B to 64 KiB), deterministic for `seed`.
pub fn mixed_packets(n: usize, seed: u64) -> Vec<Packet> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let r = next();
            let id = PacketId::new((i % 65535) as u16 + 1).expect("non-zero");
            match r % 6 {
                0..=2 => {
                    let size = match (r >> 8) % 10 {
                        0 => 0,
                        1..=6 => (r >> 16) as usize % 128,
                        7 | 8 => 1024 + (r >> 16) as usize % 1024,
                        _ => (r >> 16) as usize % (64 * 1024),
                    };
                    let payload: Vec<u8> = (0..size).map(|j| (j as u64 ^ r) as u8).collect();
                    let mut p = Publish::new(
                        TopicName::new(format!("load/{}/t", r % 100)).expect("valid topic"),
                        Bytes::from(payload),
                    );
                    if r % 2 == 0 {
                        p.qos = QoS::AtLeastOnce;
                        p.packet_id = Some(id);
                    }
                    Packet::Publish(p)
                }
                3 => Packet::PubAck(PubAck::new(id)),
                4 => Packet::Subscribe(Subscribe::new(
                    id,
                    vec![Subscription::new(
                        TopicFilter::new("load/+/t").expect("valid"),
                        QoS::AtLeastOnce,
                    )],
                )),
                _ => match r % 3 {
                    0 => Packet::SubAck(SubAck::new(id, vec![ReasonCode::GrantedQoS1])),
                    1 => Packet::PingReq,
                    _ => Packet::PingResp,
                },
            }
        })
        .collect()
}

/// Total encoded size of `packets` in 5.0.
pub fn wire_size(packets: &[Packet]) -> usize {
    packets
        .iter()
        .map(|p| p.encoded_len(ProtocolVersion::V5).expect("valid packet"))
        .sum()
}

/// Sends `packets` in batches (enqueue several, flush once), then shuts down the sending side.
async fn send_all(
    conn: &mut flowsdk_transport::MqttWriteHalf,
    packets: &[Packet],
) -> Result<(), TransportError> {
    for (i, p) in packets.iter().enumerate() {
        conn.enqueue(p)?;
        if i % 7 == 6 {
            conn.flush().await?;
        }
    }
    conn.shutdown().await
}

async fn receive_all(
    conn: &mut flowsdk_transport::MqttReadHalf,
) -> Result<Vec<Packet>, TransportError> {
    let mut got = Vec::new();
    while let Some(p) = conn.read_packet().await? {
        got.push(p);
    }
    Ok(got)
}

/// Sends `n` mixed packets each way at the same time and checks both sides received exactly
/// what the other sent, in order.
pub async fn exchange_both_ways(a: MqttConnection, b: MqttConnection, n: usize) {
    let to_b = mixed_packets(n, 0x9E37_79B9);
    let to_a = mixed_packets(n, 0x7F4A_7C15);
    let (mut ar, mut aw) = a.into_split();
    let (mut br, mut bw) = b.into_split();
    let (sa, sb, ra, rb) = tokio::time::timeout(STEP, async {
        tokio::join!(
            send_all(&mut aw, &to_b),
            send_all(&mut bw, &to_a),
            receive_all(&mut ar),
            receive_all(&mut br)
        )
    })
    .await
    .expect("exchange finished in time");
    sa.expect("a sent");
    sb.expect("b sent");
    let (ra, rb) = (ra.expect("a received"), rb.expect("b received"));
    assert_eq!(
        ra.len(),
        to_a.len(),
        "a received {} of {} packets",
        ra.len(),
        to_a.len()
    );
    assert_eq!(
        rb.len(),
        to_b.len(),
        "b received {} of {} packets",
        rb.len(),
        to_b.len()
    );
    assert!(ra == to_a, "a received different packets than b sent");
    assert!(rb == to_b, "b received different packets than a sent");
    assert_eq!(wire_size(&rb), wire_size(&to_b));
}

/// Accepts one connection on `listener` while `transport` dials it; returns (server, client).
pub async fn connect_pair(
    listener: &Listener,
    transport: &Transport,
) -> (MqttConnection, MqttConnection) {
    let address = listener.local_address().clone();
    let (server, client) = tokio::time::timeout(STEP, async {
        tokio::join!(
            async { listener.accept().await?.establish().await },
            transport.connect(address)
        )
    })
    .await
    .expect("connected in time");
    (
        server.expect("server side established"),
        client.expect("client side established"),
    )
}

#[cfg(any(feature = "tls", feature = "ws"))]
/// Dials `address` with `transport`, expects the connect timeout to expire in `phase` after
/// `limit` (no sooner, and within 5 s more), and returns the error for further checks.
pub async fn expect_connect_timeout(
    transport: &Transport,
    address: String,
    phase: flowsdk_transport::Phase,
    limit: Duration,
) -> TransportError {
    let started = tokio::time::Instant::now();
    let err = transport.connect(address).await.unwrap_err();
    let took = started.elapsed();
    match &err {
        TransportError::Timeout {
            phase: p, after, ..
        } if *p == phase => assert_eq!(*after, limit),
        other => panic!("expected a {phase} timeout, got {other:?}"),
    }
    assert!(
        took >= limit && took < limit + Duration::from_secs(5),
        "timed out after {took:?}"
    );
    err
}
