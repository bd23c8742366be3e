//! The will message through Mosquitto: published when the connection ends without a normal
//! DISCONNECT (cut by a [`Cutter`]), discarded on a normal DISCONNECT, delayed by the Will
//! Delay Interval and cancelled by a reconnect within it.

use std::time::Duration;

use flowsdk_client::TokioAsyncMqttClient;
use flowsdk_codec::{Properties, QoS, ReasonCode};
use flowsdk_testing::Mosquitto;

use super::support::{client, connected, eventually, mosquitto, unique, Cutter, Recorder, STEP};

/// A client subscribed to `topic` (and to a marker topic, returned).
async fn watcher(broker: &Mosquitto, topic: &str) -> (TokioAsyncMqttClient, Recorder, String) {
    let (w, seen) = connected(broker).await;
    w.subscribe_sync(topic, 1).await.unwrap();
    let marker = unique("marker");
    w.subscribe_sync(&marker, 1).await.unwrap();
    (w, seen, marker)
}

/// Waits until Mosquitto has logged the end of `client_id`'s connection, so that its will
/// decision has been taken.
async fn broker_saw_the_end(broker: &Mosquitto, client_id: &str) {
    let disconnected = format!("Client {client_id} disconnected");
    let closed = format!("Client {client_id} closed its connection");
    eventually("mosquitto to log the disconnection", || {
        let log = broker.log();
        (log.contains(&disconnected) || log.contains(&closed)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_will_is_published_when_the_connection_is_cut() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("will");
    let (_w, seen, _) = watcher(&broker, &topic).await;
    let cutter = Cutter::start(&broker.tcp_address()).await;
    let (c, events) = client(
        &cutter.address(),
        |o| o.will(&topic, "gone", 1, false),
        |c| c.auto_reconnect(false),
    )
    .await;
    c.connect_sync().await.unwrap();
    cutter.cut();
    // [MQTT-3.1.2-8]: the connection ended without DISCONNECT, so the will is published.
    seen.until("the will", |s| s.payloads_on(&topic) == ["gone"])
        .await;
    let m = seen.seen().messages[0].clone();
    assert_eq!(m.qos, QoS::AtLeastOnce);
    // Will Retain 0: published as a non-retained message [MQTT-3.1.2-14].
    assert!(!m.retain);
    // The client noticed the loss too.
    events
        .until("on_disconnected", |s| s.disconnected.len() == 1)
        .await;
    assert!(!c.is_connected());
}

#[tokio::test]
async fn a_normal_disconnect_discards_the_will() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("nowill");
    let (w, seen, marker) = watcher(&broker, &topic).await;
    let id = unique("leaving");
    let (c, _) = client(
        &broker.tcp_address(),
        |o| o.client_id(&id).will(&topic, "gone", 1, false),
        |c| c,
    )
    .await;
    c.connect_sync().await.unwrap();
    c.disconnect_sync().await.unwrap();
    drop(c);
    broker_saw_the_end(&broker, &id).await;
    w.publish_sync(&marker, "after", 1, false).await.unwrap();
    seen.until("the marker", |s| s.payloads_on(&marker) == ["after"])
        .await;
    // [MQTT-3.1.2-10] [MQTT-3.14.4-3]: DISCONNECT 0x00 removes the will unpublished.
    assert_eq!(seen.seen().payloads_on(&topic), Vec::<String>::new());
}

#[tokio::test]
async fn disconnect_with_will_message_publishes_the_will() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("willreq");
    let (_w, seen, _) = watcher(&broker, &topic).await;
    let (c, _) = client(
        &broker.tcp_address(),
        |o| o.will(&topic, "asked for", 0, true),
        |c| c,
    )
    .await;
    c.connect_sync().await.unwrap();
    c.disconnect_with(ReasonCode::DisconnectWithWillMessage, Properties::new())
        .await
        .unwrap();
    // Reason code 0x04: the broker publishes the will (section 3.14.2.1).
    seen.until("the will", |s| s.payloads_on(&topic) == ["asked for"])
        .await;

    // Will Retain 1: published as retained [MQTT-3.1.2-15], so a new subscriber gets it.
    let (late, late_seen, _) = watcher(&broker, &topic).await;
    late_seen
        .until("the retained will", |s| {
            s.payloads_on(&topic) == ["asked for"]
        })
        .await;
    assert!(late_seen.seen().messages[0].retain);
    late.publish_sync(&topic, "", 0, true).await.unwrap();
}

#[tokio::test]
async fn the_will_waits_for_its_delay() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("willdelay");
    let (_w, seen, _) = watcher(&broker, &topic).await;
    let cutter = Cutter::start(&broker.tcp_address()).await;
    let (c, _) = client(
        &cutter.address(),
        // The session must outlive the connection for the delay to matter: the will is
        // published at the earlier of the delay and the session's end [MQTT-3.1.2-8].
        |o| {
            o.will(&topic, "late", 1, false)
                .will_delay_interval(2)
                .session_expiry_interval(60)
        },
        |c| c.auto_reconnect(false),
    )
    .await;
    c.connect_sync().await.unwrap();
    let cut_at = tokio::time::Instant::now();
    cutter.cut();
    tokio::time::timeout(
        STEP,
        seen.until("the will", |s| s.payloads_on(&topic) == ["late"]),
    )
    .await
    .unwrap();
    let waited = cut_at.elapsed();
    // Not before the delay (Mosquitto checks delays once a second: allow for rounding).
    assert!(waited >= Duration::from_millis(1500), "{waited:?}");
}

#[tokio::test]
async fn reconnecting_within_the_will_delay_cancels_the_will() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("willcancel");
    let (w, seen, marker) = watcher(&broker, &topic).await;
    let cutter = Cutter::start(&broker.tcp_address()).await;
    let (c, events) = client(
        &cutter.address(),
        |o| {
            o.will(&topic, "should not", 1, false)
                .will_delay_interval(2)
                .session_expiry_interval(60)
        },
        |c| c,
    )
    .await;
    c.connect_sync().await.unwrap();
    let cut_at = tokio::time::Instant::now();
    cutter.cut();
    // Auto-reconnect brings the client back through the forwarder, resuming its session.
    events
        .until("the reconnection", |s| s.connected.len() == 2)
        .await;
    let back_after = cut_at.elapsed();
    assert!(events.seen().connected[1].session_present);
    assert!(!events.seen().reconnecting.is_empty());
    // Wait past the delay, then check with a marker.
    let past_delay = cut_at + Duration::from_secs(3);
    tokio::time::sleep_until(past_delay).await;
    w.publish_sync(&marker, "after", 1, false).await.unwrap();
    seen.until("the marker", |s| s.payloads_on(&marker) == ["after"])
        .await;
    if back_after < Duration::from_secs(2) {
        // [MQTT-3.1.3-9]: reconnected before the Will Delay Interval passed: no will.
        assert_eq!(seen.seen().payloads_on(&topic), Vec::<String>::new());
    } else {
        println!("skipped the check: the reconnection took {back_after:?}, past the will delay");
    }
    c.disconnect_sync().await.unwrap();
}
