//! `FaultProxy`: each fault, seen by a client as the matching error or event. Most tests run
//! against a small scripted MQTT server in the test (no Mosquitto needed); one runs through
//! the proxy to Mosquitto (skipped where it is not installed).
//!
//! Timing assertions are lower bounds with wide margins; every wait is bounded.

use std::time::Duration;

use flowsdk_codec::{Packet, QoS, ReasonCode};
use flowsdk_testing::{
    Direction, FaultProxy, Mosquitto, RawClientError, RawPacketBuilder, RawTestClient,
};
use flowsdk_transport::{Listener, ListenerConfig, TransportConfig};
use tokio::time::Instant;

use super::support::within;

const WAIT: Duration = Duration::from_secs(5);

/// A minimal MQTT server on 127.0.0.1:0: CONNECT gets a successful CONNACK, PINGREQ a
/// PINGRESP, everything else is read and ignored; an invalid packet ends the connection.
async fn scripted_server() -> String {
    let listener = Listener::bind("mqtt://127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let address = listener.local_address().host_port();
    tokio::spawn(async move {
        while let Ok(incoming) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut conn) = incoming.establish().await else {
                    return;
                };
                while let Ok(Some(packet)) = conn.read_packet().await {
                    let reply = match packet {
                        Packet::Connect(c) => {
                            conn.set_version(c.protocol_version);
                            Packet::ConnAck(flowsdk_codec::ConnAck::new(ReasonCode::Success))
                        }
                        Packet::PingReq => Packet::PingResp,
                        _ => continue,
                    };
                    if conn.send(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

async fn proxy_to_scripted_server() -> FaultProxy {
    let upstream = scripted_server().await;
    within("starting the proxy", FaultProxy::start(upstream))
        .await
        .unwrap()
}

async fn client(proxy: &FaultProxy) -> RawTestClient {
    within(
        "connecting through the proxy",
        RawTestClient::connect(proxy.addr().to_string(), TransportConfig::default()),
    )
    .await
    .unwrap()
}

/// A client through the proxy, past CONNECT/CONNACK.
async fn connected(proxy: &FaultProxy, id: &str) -> RawTestClient {
    let mut c = client(proxy).await;
    let ack = within("CONNECT", c.connect_v5(id)).await.unwrap();
    assert_eq!(ack.reason_code, ReasonCode::Success);
    c
}

async fn ping(c: &mut RawTestClient) -> Duration {
    let start = Instant::now();
    c.send_raw(&RawPacketBuilder::pingreq().build())
        .await
        .unwrap();
    assert_eq!(c.recv(WAIT * 2).await.unwrap(), Packet::PingResp);
    start.elapsed()
}

async fn assert_closed(c: &mut RawTestClient) {
    match c.recv(WAIT).await {
        Err(RawClientError::Closed) => {}
        other => panic!("expected the connection to close, got {other:?}"),
    }
}

#[tokio::test]
async fn passthrough_forwards_both_ways_and_counts() {
    let proxy = proxy_to_scripted_server().await;
    let mut c = connected(&proxy, "pass").await;
    ping(&mut c).await;
    let stats = proxy.stats();
    assert_eq!(stats.connections_accepted, 1);
    assert_eq!(stats.connections_open, 1);
    // CONNECT (27 bytes) + PINGREQ up; CONNACK (5) + PINGRESP down.
    assert!(stats.client_to_broker >= 20, "{stats:?}");
    assert!(stats.broker_to_client >= 7, "{stats:?}");
    proxy.shutdown().await;
}

#[tokio::test]
async fn delay_holds_each_chunk() {
    let proxy = proxy_to_scripted_server().await;
    let mut c = connected(&proxy, "delay").await;
    let delay = Duration::from_millis(300);
    proxy.handle().delay(Direction::BrokerToClient, delay);
    let took = ping(&mut c).await;
    assert!(took >= delay, "PINGRESP after {took:?}, delay {delay:?}");
    // Both directions add up.
    proxy.handle().delay(Direction::Both, delay);
    let took = ping(&mut c).await;
    assert!(took >= delay * 2, "PINGRESP after {took:?}");
    proxy.handle().reset();
    ping(&mut c).await;
}

#[tokio::test]
async fn throttle_limits_the_rate() {
    let proxy = proxy_to_scripted_server().await;
    let mut c = connected(&proxy, "throttle").await;
    let rate = 20_000u64;
    proxy.handle().throttle(Direction::ClientToBroker, rate);
    let payload = vec![b'x'; 20_000];
    let publish = RawPacketBuilder::publish("big", QoS::AtMostOnce)
        .payload(&payload)
        .build();
    let start = Instant::now();
    c.send_raw(&publish).await.unwrap();
    // The PINGREQ follows the PUBLISH through the throttle.
    ping(&mut c).await;
    let took = start.elapsed();
    let floor = Duration::from_secs_f64(publish.len() as f64 / rate as f64 / 2.0);
    assert!(
        took >= floor,
        "{} bytes took {took:?} at {rate} B/s",
        publish.len()
    );
}

#[tokio::test]
async fn drop_after_closes_the_connection_mid_stream() {
    let proxy = proxy_to_scripted_server().await;
    let mut c = connected(&proxy, "drop-after").await;
    let before = proxy.stats().client_to_broker;
    // One byte of the PINGREQ goes through, then both sides close.
    proxy.handle().drop_after(Direction::ClientToBroker, 1);
    c.send_raw(&RawPacketBuilder::pingreq().build())
        .await
        .unwrap();
    assert_closed(&mut c).await;
    assert_eq!(proxy.stats().client_to_broker, before + 1);
    // New connections count from their start: a CONNECT is longer than 1 byte.
    let mut next = client(&proxy).await;
    let refused = next.connect_v5("drop-after-2").await;
    assert!(
        matches!(refused, Err(RawClientError::Closed)),
        "{refused:?}"
    );
    proxy.handle().reset();
    connected(&proxy, "drop-after-3").await;
}

#[tokio::test]
async fn drop_now_closes_open_connections_only() {
    let proxy = proxy_to_scripted_server().await;
    let mut a = connected(&proxy, "a").await;
    let mut b = connected(&proxy, "b").await;
    proxy.handle().drop_now();
    assert_closed(&mut a).await;
    assert_closed(&mut b).await;
    let mut c = connected(&proxy, "c").await;
    ping(&mut c).await;
    assert_eq!(proxy.stats().connections_accepted, 3);
}

#[tokio::test]
async fn blackhole_keeps_the_socket_open_and_silent() {
    let proxy = proxy_to_scripted_server().await;
    let mut c = connected(&proxy, "blackhole").await;
    proxy.handle().blackhole();
    c.send_raw(&RawPacketBuilder::pingreq().build())
        .await
        .unwrap();
    // Nothing comes back, and the connection is not closed either: a dead link.
    c.expect_no_packet(Duration::from_millis(700))
        .await
        .unwrap();
    assert!(c
        .recv(Duration::from_millis(300))
        .await
        .unwrap_err()
        .is_timeout());
    assert_eq!(proxy.stats().connections_open, 1);
    // The link heals: what was held goes through.
    proxy.handle().reset();
    assert_eq!(c.recv(WAIT).await.unwrap(), Packet::PingResp);
}

#[tokio::test]
async fn corrupt_byte_towards_the_client_is_a_decode_error() {
    let proxy = proxy_to_scripted_server().await;
    // The CONNACK's first byte 0x20 becomes 0xDF: a PINGRESP with reserved flags set.
    proxy.handle().corrupt_byte(Direction::BrokerToClient, 0);
    let mut c = client(&proxy).await;
    match within("CONNECT", c.connect_v5("corrupt")).await {
        Err(RawClientError::Decode(e)) => {
            assert_eq!(e.reason_code(), Some(ReasonCode::MalformedPacket), "{e}")
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn corrupt_byte_towards_the_server_makes_it_close() {
    let proxy = proxy_to_scripted_server().await;
    let mut c = connected(&proxy, "corrupt-up").await;
    let offset = proxy.stats().client_to_broker;
    // The next byte up is a PINGREQ's 0xC0: 0x3F is a PUBLISH with QoS 3.
    proxy
        .handle()
        .corrupt_byte(Direction::ClientToBroker, offset);
    c.send_raw(&RawPacketBuilder::pingreq().build())
        .await
        .unwrap();
    assert_closed(&mut c).await;
}

#[tokio::test]
async fn refused_connections_fail_then_are_accepted_again() {
    let proxy = proxy_to_scripted_server().await;
    let mut open = connected(&proxy, "before").await;
    proxy.handle().refuse_connections(true);
    // The listener closes asynchronously: wait until attempts fail.
    within("refusal", async {
        loop {
            match RawTestClient::connect(proxy.addr().to_string(), TransportConfig::default()).await
            {
                Err(RawClientError::Transport(_)) => break,
                Err(e) => panic!("unexpected error {e:?}"),
                Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await;
    // Open connections are not affected.
    ping(&mut open).await;
    proxy.handle().refuse_connections(false);
    let mut again = within("accepting again", async {
        loop {
            match RawTestClient::connect(proxy.addr().to_string(), TransportConfig::default()).await
            {
                Ok(c) => break c,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await;
    let ack = again.connect_v5("after").await.unwrap();
    assert_eq!(ack.reason_code, ReasonCode::Success);
}

#[tokio::test]
async fn shutdown_closes_every_connection() {
    let proxy = proxy_to_scripted_server().await;
    let address = proxy.addr().to_string();
    let mut c = connected(&proxy, "shutdown").await;
    within("shutdown", proxy.shutdown()).await;
    assert_closed(&mut c).await;
    assert!(RawTestClient::connect(address, TransportConfig::default())
        .await
        .is_err());
}

#[tokio::test]
async fn faults_through_the_proxy_to_mosquitto() {
    let Some(broker) = Mosquitto::builder().start().await.unwrap() else {
        return;
    };
    let proxy = within(
        "starting the proxy",
        FaultProxy::start(broker.tcp_address()),
    )
    .await
    .unwrap();
    let faults = proxy.handle();

    // Delay: the PINGRESP comes later than the delay.
    let mut c = connected(&proxy, "fp-delay").await;
    faults.delay(Direction::ClientToBroker, Duration::from_millis(250));
    assert!(ping(&mut c).await >= Duration::from_millis(250));
    faults.reset();

    // A corrupted CONNECT (0x10 -> 0xEF: DISCONNECT with reserved flags): Mosquitto closes.
    faults.corrupt_byte(Direction::ClientToBroker, 0);
    let mut bad = client(&proxy).await;
    match within("corrupt CONNECT", bad.connect_v5("fp-corrupt")).await {
        Err(RawClientError::Closed) => {}
        other => panic!("expected Mosquitto to close, got {other:?}"),
    }
    faults.reset();

    // Blackhole: the broker's PINGRESP never arrives, the socket stays open.
    faults.blackhole();
    c.send_raw(&RawPacketBuilder::pingreq().build())
        .await
        .unwrap();
    c.expect_no_packet(Duration::from_millis(500))
        .await
        .unwrap();
    faults.reset();
    assert_eq!(c.recv(WAIT).await.unwrap(), Packet::PingResp);

    // drop_now: closed.
    faults.drop_now();
    assert_closed(&mut c).await;
    proxy.shutdown().await;
}
