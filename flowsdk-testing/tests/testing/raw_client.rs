//! `RawTestClient`: scripted exchanges against a local listener (deterministic peers) and
//! against Mosquitto (skipped where it is not installed).

use std::time::Duration;

use flowsdk_codec::{CodecError, Disconnect, Packet, PacketType, ReasonCode};
use flowsdk_testing::{Mosquitto, PeerClosed, RawClientError, RawPacketBuilder, RawTestClient};
use flowsdk_transport::{Listener, ListenerConfig, MqttConnection, TransportConfig};

use super::support::within;

const SHORT: Duration = Duration::from_millis(200);
const CLOSE: Duration = Duration::from_secs(5);

/// A listener on 127.0.0.1:0 whose one connection is handed to `server`, and a raw client
/// connected to it.
async fn pair<F, Fut>(server: F) -> (RawTestClient, tokio::task::JoinHandle<()>)
where
    F: FnOnce(MqttConnection) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = Listener::bind("mqtt://127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let address = listener.local_address().clone();
    let task = tokio::spawn(async move {
        let conn = listener.accept().await.unwrap().establish().await.unwrap();
        server(conn).await;
    });
    let client = within(
        "connecting",
        RawTestClient::connect(address, TransportConfig::default()),
    )
    .await
    .unwrap();
    (client, task)
}

#[tokio::test]
async fn an_invalid_packet_from_the_peer_is_a_decode_error() {
    let (mut client, server) = pair(|mut conn| async move {
        // CONNACK with reserved acknowledge flags set [MQTT-3.2.2-1].
        conn.enqueue_raw(&RawPacketBuilder::connack().ack_flags(0x02).build());
        conn.flush().await.unwrap();
        let _ = conn.read_packet().await;
    })
    .await;
    match client.recv(CLOSE).await {
        Err(RawClientError::Decode(CodecError::InvalidConnAckFlags { flags: 0x02 })) => {}
        other => panic!("expected a decode error, got {other:?}"),
    }
    drop(client);
    within("the server", server).await.unwrap();
}

#[tokio::test]
async fn recv_and_expect_no_packet_time_out_when_the_peer_is_silent() {
    let (mut client, server) = pair(|mut conn| async move {
        let _ = conn.read_packet().await;
    })
    .await;
    let started = tokio::time::Instant::now();
    match client.recv(SHORT).await {
        Err(RawClientError::Timeout { after }) => assert_eq!(after, SHORT),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() >= SHORT);
    client.expect_no_packet(SHORT).await.unwrap();
    let err = client.expect_closed(SHORT).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    drop(client);
    within("the server", server).await.unwrap();
}

#[tokio::test]
async fn expect_no_packet_reports_the_packet_that_arrived() {
    let (mut client, server) = pair(|mut conn| async move {
        conn.send(&Packet::PingResp).await.unwrap();
        let _ = conn.read_packet().await;
    })
    .await;
    match client.expect_no_packet(CLOSE).await {
        Err(RawClientError::UnexpectedPacket { packet, .. }) => {
            assert_eq!(*packet, Packet::PingResp)
        }
        other => panic!("expected the PINGRESP, got {other:?}"),
    }
    drop(client);
    within("the server", server).await.unwrap();
}

#[tokio::test]
async fn expect_closed_reports_a_close_after_disconnect() {
    let (mut client, server) = pair(|mut conn| async move {
        conn.send(&Packet::Disconnect(Disconnect::new(
            ReasonCode::ProtocolError,
        )))
        .await
        .unwrap();
        conn.shutdown().await.unwrap();
    })
    .await;
    let closed = within("close", client.expect_closed(CLOSE)).await.unwrap();
    assert_eq!(closed.reason_code(), Some(ReasonCode::ProtocolError));
    within("the server", server).await.unwrap();
}

#[tokio::test]
async fn expect_closed_reports_a_close_without_disconnect() {
    let (mut client, server) = pair(|mut conn| async move {
        conn.shutdown().await.unwrap();
    })
    .await;
    let closed = within("close", client.expect_closed(CLOSE)).await.unwrap();
    assert_eq!(closed, PeerClosed::WithoutDisconnect);
    // Once closed, reads say so.
    assert!(matches!(
        client.recv(SHORT).await,
        Err(RawClientError::Closed)
    ));
    within("the server", server).await.unwrap();
}

#[tokio::test]
async fn expect_closed_refuses_other_packets() {
    let (mut client, server) = pair(|mut conn| async move {
        conn.send(&Packet::PingResp).await.unwrap();
        let _ = conn.read_packet().await;
    })
    .await;
    match client.expect_closed(CLOSE).await {
        Err(RawClientError::UnexpectedPacket { expected, packet }) => {
            assert_eq!(expected, "the connection to close");
            assert_eq!(packet.packet_type(), PacketType::PingResp);
        }
        other => panic!("expected an unexpected packet, got {other:?}"),
    }
    drop(client);
    within("the server", server).await.unwrap();
}

#[tokio::test]
async fn send_refuses_what_the_codec_refuses_and_send_raw_does_not() {
    let (mut client, server) = pair(|mut conn| async move {
        // The raw bytes arrive and fail to decode on this side.
        let got = conn.read_packet().await;
        assert!(got.is_err(), "{got:?}");
    })
    .await;
    let err = client.connect_v5("a\0b").await.unwrap_err();
    assert!(
        matches!(
            err,
            RawClientError::Encode(CodecError::NullCharacter { .. })
        ),
        "{err:?}"
    );
    client
        .send_raw(&RawPacketBuilder::connect_v5().client_id("a\0b").build())
        .await
        .unwrap();
    within("the server", server).await.unwrap();
}

// ----- against Mosquitto -----

async fn mosquitto() -> Option<Mosquitto> {
    within("starting mosquitto", Mosquitto::builder().start())
        .await
        .unwrap()
}

async fn client_of(broker: &Mosquitto) -> RawTestClient {
    within(
        "connecting",
        RawTestClient::connect(broker.tcp_address(), TransportConfig::default()),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn mosquitto_answers_connect_v5_and_pingreq() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let mut client = client_of(&broker).await;
    let ack = within("CONNACK", client.connect_v5("raw-connect"))
        .await
        .unwrap();
    assert_eq!(ack.reason_code, ReasonCode::Success);
    client
        .send_raw(&RawPacketBuilder::pingreq().build())
        .await
        .unwrap();
    assert_eq!(client.recv(CLOSE).await.unwrap(), Packet::PingResp);
    client.expect_no_packet(SHORT).await.unwrap();
}

#[tokio::test]
async fn mosquitto_answers_connect_v311() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let mut client = client_of(&broker).await;
    let ack = within("CONNACK", client.connect_v311("raw-connect-311"))
        .await
        .unwrap();
    assert_eq!(ack.reason_code, ReasonCode::Success);
}

#[tokio::test]
async fn mosquitto_closes_on_an_overlong_remaining_length() {
    // [MQTT-1.5.5-1]
    let Some(broker) = mosquitto().await else {
        return;
    };
    let mut client = client_of(&broker).await;
    within("CONNACK", client.connect_v5("raw-overlong"))
        .await
        .unwrap();
    client
        .send_raw(
            &RawPacketBuilder::pingreq()
                .remaining_length_overlong(5)
                .build(),
        )
        .await
        .unwrap();
    let closed = within("close", client.expect_closed(CLOSE)).await.unwrap();
    println!("mosquitto closed the connection: {closed:?}");
    if let Some(code) = closed.reason_code() {
        assert_eq!(code, ReasonCode::MalformedPacket);
    }
}

#[tokio::test]
async fn mosquitto_closes_on_a_connect_with_the_reserved_flag() {
    // [MQTT-3.1.2-3]
    let Some(broker) = mosquitto().await else {
        return;
    };
    let mut client = client_of(&broker).await;
    client
        .send_raw(&RawPacketBuilder::connect_v5().connect_flags(0x03).build())
        .await
        .unwrap();
    // Mosquitto may answer with a refusing CONNACK first; either way the connection ends.
    let closed = loop {
        match within("close", client.expect_closed(CLOSE)).await {
            Ok(closed) => break closed,
            Err(RawClientError::UnexpectedPacket { packet, .. }) => match *packet {
                Packet::ConnAck(ack) => assert_ne!(ack.reason_code, ReasonCode::Success),
                other => panic!("unexpected {other:?}"),
            },
            Err(e) => panic!("{e}"),
        }
    };
    println!("mosquitto closed the connection: {closed:?}");
}

#[tokio::test]
async fn mosquitto_closes_the_first_connection_on_session_takeover() {
    // [MQTT-3.1.4-3]. Mosquitto 2.0.11 closes without a DISCONNECT; later versions send one
    // with 0x8E (Session taken over).
    let Some(broker) = mosquitto().await else {
        return;
    };
    let mut first = client_of(&broker).await;
    within("CONNACK", first.connect_v5("raw-takeover"))
        .await
        .unwrap();
    let mut second = client_of(&broker).await;
    within("CONNACK", second.connect_v5("raw-takeover"))
        .await
        .unwrap();
    let closed = within("close", first.expect_closed(CLOSE)).await.unwrap();
    println!("the first connection was closed: {closed:?}");
    if let Some(code) = closed.reason_code() {
        assert_eq!(code, ReasonCode::SessionTakenOver);
    }
}
