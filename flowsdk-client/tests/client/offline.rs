//! The outgoing buffer while disconnected: capacity, overflow policies and their reports, and
//! delivery of what was kept once connected.

use std::time::Duration;

use flowsdk_client::proto::DropReason;
use flowsdk_client::tokio_async_client::DroppedMessage;
use flowsdk_client::{ClientError, OverflowPolicy, TokioAsyncMqttClient};

use super::support::{client, mosquitto, unique, Recorder};

async fn subscriber(address: &str, topic: &str) -> (TokioAsyncMqttClient, Recorder) {
    let (s, seen) = client(address, |o| o, |c| c).await;
    s.connect_sync().await.unwrap();
    s.subscribe_sync(topic, 1).await.unwrap();
    (s, seen)
}

fn dropped(seen: &Recorder) -> Vec<DroppedMessage> {
    seen.seen().dropped.iter().map(|(_, r)| *r).collect()
}

#[tokio::test]
async fn reject_policy_refuses_when_the_buffer_is_full() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("reject");
    let (_sub, received) = subscriber(&broker.tcp_address(), &topic).await;
    let (c, seen) = client(
        &broker.tcp_address(),
        |o| o,
        |c| c.offline_buffer(3, OverflowPolicy::Reject),
    )
    .await;
    // Never connected: the buffer takes three messages, then refuses.
    for i in 0..3 {
        c.publish(&topic, format!("{i}"), 1, false).await.unwrap();
    }
    assert_eq!(c.stats().queued, 3);
    let err = c.publish(&topic, "3", 1, false).await.unwrap_err();
    assert!(
        matches!(err, ClientError::BufferFull { capacity: 3 }),
        "{err:?}"
    );
    assert!(dropped(&seen).is_empty());

    c.connect_sync().await.unwrap();
    received
        .until("the three buffered messages", |s| {
            s.payloads_on(&topic) == ["0", "1", "2"]
        })
        .await;
    seen.until("their acknowledgements", |s| s.published.len() == 3)
        .await;

    // Disconnected after a connection: the same.
    c.disconnect_sync().await.unwrap();
    c.publish(&topic, "a", 1, false).await.unwrap();
    c.publish(&topic, "b", 2, false).await.unwrap();
    c.publish(&topic, "c", 0, false).await.unwrap();
    assert!(matches!(
        c.publish(&topic, "d", 1, false).await,
        Err(ClientError::BufferFull { .. })
    ));
    c.connect_sync().await.unwrap();
    // Sent in order; Mosquitto forwards a QoS 2 message at PUBREL, so "c" (QoS 0) may
    // overtake "b" (QoS 2) on the way to the subscriber.
    received
        .until("the next three", |s| s.payloads_on(&topic).len() == 6)
        .await;
    let mut next = received.seen().payloads_on(&topic)[3..].to_vec();
    next.sort();
    assert_eq!(next, ["a", "b", "c"]);
}

#[tokio::test]
async fn drop_oldest_policy_drops_and_reports_the_oldest() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("oldest");
    let (_sub, received) = subscriber(&broker.tcp_address(), &topic).await;
    let (c, seen) = client(
        &broker.tcp_address(),
        |o| o,
        |c| {
            c.offline_buffer(3, OverflowPolicy::DropOldest)
                .operation_timeout(Duration::from_secs(30))
        },
    )
    .await;
    // The first message's publish_sync learns that it was dropped.
    let first = {
        let c = c.clone();
        let topic = topic.clone();
        tokio::spawn(async move { c.publish_sync(&topic, "0", 1, false).await })
    };
    super::support::eventually("the first message buffered", || {
        (c.stats().queued == 1).then_some(())
    })
    .await;
    for i in 1..5 {
        c.publish(&topic, format!("{i}"), 1, false).await.unwrap();
    }
    let err = first.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Dropped {
                reason: DropReason::OverflowDropOldest
            }
        ),
        "{err:?}"
    );
    seen.until("two drops reported", |s| s.dropped.len() == 2)
        .await;
    assert_eq!(
        dropped(&seen),
        [DroppedMessage::Outgoing(DropReason::OverflowDropOldest); 2]
    );
    assert_eq!(c.stats().queued, 3);

    c.connect_sync().await.unwrap();
    received
        .until("the three newest", |s| {
            s.payloads_on(&topic) == ["2", "3", "4"]
        })
        .await;
}

#[tokio::test]
async fn drop_newest_policy_accepts_the_call_and_drops_the_message() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("newest");
    let (_sub, received) = subscriber(&broker.tcp_address(), &topic).await;
    let (c, seen) = client(
        &broker.tcp_address(),
        |o| o,
        |c| c.offline_buffer(2, OverflowPolicy::DropNewest),
    )
    .await;
    for i in 0..4 {
        c.publish(&topic, format!("{i}"), 1, false).await.unwrap();
    }
    seen.until("two drops reported", |s| s.dropped.len() == 2)
        .await;
    assert_eq!(
        dropped(&seen),
        [DroppedMessage::Outgoing(DropReason::OverflowDropNewest); 2]
    );
    // A sync publish into the full buffer is told at once.
    let err = c.publish_sync(&topic, "x", 1, false).await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Dropped {
                reason: DropReason::OverflowDropNewest
            }
        ),
        "{err:?}"
    );

    c.connect_sync().await.unwrap();
    received
        .until("the two oldest", |s| s.payloads_on(&topic) == ["0", "1"])
        .await;
}

#[tokio::test]
async fn without_offline_buffering_publishing_while_disconnected_is_refused() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("nobuffer");
    let (_sub, received) = subscriber(&broker.tcp_address(), &topic).await;
    let (c, _) = client(
        &broker.tcp_address(),
        |o| o,
        |c| c.buffer_while_offline(false),
    )
    .await;
    assert!(matches!(
        c.publish(&topic, "early", 1, false).await,
        Err(ClientError::NotConnected)
    ));
    c.connect_sync().await.unwrap();
    c.publish_sync(&topic, "connected", 1, false).await.unwrap();
    received
        .until("the message", |s| s.payloads_on(&topic) == ["connected"])
        .await;
    c.disconnect_sync().await.unwrap();
    assert!(matches!(
        c.publish_sync(&topic, "late", 1, false).await,
        Err(ClientError::NotConnected)
    ));
}
