//! The tokio client against Mosquitto over TCP: sync operations and QoS round trips.

use std::time::Duration;

use flowsdk_codec::{QoS, ReasonCode};

use super::support::{client, connected, mosquitto, unique, STEP};

#[tokio::test]
async fn every_qos_round_trips_through_mosquitto_with_its_payload() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let (c, seen) = client(&broker.tcp_address(), |o| o, |c| c).await;
    let connected = c.connect_sync().await.unwrap();
    assert!(!connected.session_present);
    let topic = unique("rt");
    let sub = c.subscribe_sync(&format!("{topic}/#"), 2).await.unwrap();
    assert_eq!(sub.reason_codes, [ReasonCode::GrantedQoS2]);
    for qos in 0..=2u8 {
        let payload = format!("payload at qos {qos}");
        let done = c
            .publish_sync(&format!("{topic}/{qos}"), payload.clone(), qos, false)
            .await
            .unwrap();
        assert!(done.is_success());
        assert_eq!(done.packet_id.is_some(), qos > 0);
    }
    seen.until("three messages", |s| s.messages.len() == 3)
        .await;
    for (qos, m) in seen.seen().messages.iter().enumerate() {
        assert_eq!(m.payload, format!("payload at qos {qos}"));
        assert_eq!(m.qos, QoS::from_u8(qos as u8).unwrap());
    }
    let pong = c.ping_sync().await.unwrap();
    assert!(pong.round_trip < STEP);
    let unsub = c.unsubscribe_sync(&format!("{topic}/#")).await.unwrap();
    assert_eq!(unsub.reason_codes, [ReasonCode::Success]);
    c.disconnect_sync().await.unwrap();
    assert!(!c.is_connected());
}

#[tokio::test]
async fn a_message_stream_receives_its_subscription() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let (c, _) = connected(&broker).await;
    let topic = unique("stream");
    let cmd = flowsdk_client::SubscribeCommand::single(&topic, 1).unwrap();
    let (_, mut stream) = c.subscribe_stream(cmd).await.unwrap();
    for i in 0..10 {
        c.publish(&topic, format!("{i}"), 1, false).await.unwrap();
    }
    for i in 0..10 {
        let m = tokio::time::timeout(STEP, stream.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.payload, format!("{i}"));
    }
}

#[tokio::test]
async fn connecting_to_a_closed_port_fails_with_a_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (c, seen) = client(
        &format!("127.0.0.1:{port}"),
        |o| o,
        |c| c.auto_reconnect(false),
    )
    .await;
    let err = c.connect_sync().await.unwrap_err();
    assert!(
        matches!(err, flowsdk_client::ClientError::Transport(_)),
        "{err:?}"
    );
    seen.until("connect failed event", |s| !s.connect_failed.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test]
async fn set_peer_fails_over_to_another_broker_on_the_next_reconnect() {
    let Some(mut first) = mosquitto().await else {
        return;
    };
    let Some(second) = mosquitto().await else {
        return;
    };
    let (c, seen) = connected(&first).await;
    c.set_peer(&second.tcp_address()).unwrap();
    assert_eq!(c.peer(), format!("mqtt://{}", second.tcp_address()));
    // The current connection stays where it is until it ends.
    assert_eq!(seen.seen().connected.len(), 1);
    first.kill();
    seen.until("a connection to the second broker", |s| {
        s.connected.len() == 2
    })
    .await;
    // Messages now go through the second broker.
    let (watcher, watched) = connected(&second).await;
    let topic = unique("failover");
    watcher.subscribe_sync(&topic, 1).await.unwrap();
    c.publish_sync(&topic, "moved", 1, false).await.unwrap();
    watched
        .until("the message through the second broker", |s| {
            s.messages.iter().any(|m| m.payload == "moved")
        })
        .await;
}
